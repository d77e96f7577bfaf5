//! Tauri's build step for the app: the config at the repository root and the app manifest
//! that gives each of our commands its `allow-<command>` permission.

/// Turns the command list into the names the app manifest takes.
macro_rules! commands {
    ($($module:ident::$command:ident),* $(,)?) => {
        const COMMANDS: &[&str] = &[$(stringify!($command)),*];
    };
}

include!("src/command_list.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/command_list.rs");
    // tauri.conf.json lives at the repository root; capabilities/default.json allows exactly
    // these commands and nothing else.
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}
