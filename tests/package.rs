//! The Linux package as a desktop installs it: the `.deb` that `scripts/package --debug` makes
//! (`$KEYSMITH_E2E_DEB`, set by scripts/test) unpacked into a throwaway root with `dpkg -x`,
//! its desktop entry and icons where desktops look, the command line and the systemd user
//! unit beside the app, and the installed app started under Xvfb up to its unlock screen.

use keysmith_core::clock;
use keysmith_e2e::flows::vault_made_outside;
use keysmith_e2e::Session;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The package under test.
fn package() -> PathBuf {
    let path = PathBuf::from(
        std::env::var_os("KEYSMITH_E2E_DEB")
            .expect("KEYSMITH_E2E_DEB must name the .deb; run the tests with scripts/test"),
    );
    assert!(path.exists(), "no package at {}", path.display());
    path
}

/// The width and height a PNG file says it has (its IHDR chunk).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        path.display()
    );
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

/// The `Key=value` lines of a desktop entry's `[Desktop Entry]` group.
fn desktop_entry(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("{} is missing", path.display()))
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_package_installs_the_app_where_desktops_look_and_the_installed_app_starts() {
    let deb = package();
    let depends = Command::new("dpkg-deb")
        .args(["--field"])
        .arg(&deb)
        .arg("Depends")
        .output()
        .expect("dpkg-deb");
    let depends = String::from_utf8_lossy(&depends.stdout);
    for library in [
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libayatana-appindicator3-1",
    ] {
        assert!(depends.contains(library), "Depends: {depends}");
    }
    let root = tempfile::tempdir().unwrap();
    let unpacked = Command::new("dpkg")
        .arg("-x")
        .arg(&deb)
        .arg(root.path())
        .status()
        .expect("dpkg");
    assert!(unpacked.success());
    let usr = root.path().join("usr");

    let entry = desktop_entry(&usr.join("share/applications/Keysmith.desktop"));
    let field = |key: &str| {
        entry
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {key} in the desktop entry: {entry:?}"))
    };
    assert_eq!(field("Name"), "Keysmith");
    assert_eq!(field("Type"), "Application");
    assert_eq!(field("Exec"), "keysmith-app");
    assert!(field("Categories").split(';').any(|c| c == "Utility"));
    assert!(!field("Comment").is_empty());
    let icon = field("Icon");
    assert!(
        usr.join("bin").join(field("Exec")).is_file(),
        "Exec names the installed app"
    );
    for size in [32, 128, 512] {
        let path = usr.join(format!("share/icons/hicolor/{size}x{size}/apps/{icon}.png"));
        assert_eq!(png_size(&path), (size, size), "{}", path.display());
    }

    // The command line beside the app, and the user unit that runs `keysmith serve` with it.
    let cli = usr.join("bin/keysmith");
    let version = Command::new(&cli)
        .arg("--version")
        .output()
        .expect("keysmith");
    assert!(version.status.success());
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
    let unit = std::fs::read_to_string(usr.join("lib/systemd/user/keysmith-serve.service"))
        .expect("the systemd user unit");
    let exec = unit
        .lines()
        .find_map(|line| line.strip_prefix("ExecStart="))
        .expect("ExecStart");
    assert_eq!(
        exec, "/usr/bin/keysmith serve",
        "the unit runs the packaged CLI"
    );

    // The installed app opens a vault at its unlock screen.
    let vault = root.path().join("installed.vault");
    vault_made_outside(&vault, clock::system());
    let app = Session::start_binary(&usr.join("bin/keysmith-app"), &vault, &[]).await;
    app.find("[data-testid=unlock-vault]").await;
    app.screenshot("package-installed-unlock").await;
    app.end().await;
}
