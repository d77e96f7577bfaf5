//! One window per vault, where the admin left it: a second launch on the same vault focuses
//! the running window instead of opening another (tauri-plugin-single-instance), and the
//! window's size and position come back on the next launch (tauri-plugin-window-state).

use std::path::Path;

use sha2::{Digest, Sha256};
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Wry};

/// The plugin that ends a second launch on the same vault and shows the first window. On
/// Linux the instances meet on the session bus under a name made of the app's identifier and,
/// when `$KEYSMITH_VAULT` names another vault, that vault's path (hashed: a bus name cannot
/// carry a path): two vaults may be open side by side, one vault only once.
pub fn single(identifier: &str, vault: Option<&Path>) -> TauriPlugin<Wry> {
    tauri_plugin_single_instance::Builder::new()
        .dbus_id(bus_id(identifier, vault))
        .callback(|app, _args, _cwd| show_main_window(app))
        .build()
}

/// The plugin that saves the main window's size, position and maximized state on close and
/// restores them on launch (in the OS config folder, `.window-state.json`).
pub fn remembered_window() -> TauriPlugin<Wry> {
    use tauri_plugin_window_state::StateFlags;
    tauri_plugin_window_state::Builder::new()
        .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
        .build()
}

/// Brings the main window up: shown (it may be hidden in the tray), restored if minimized,
/// focused.
pub fn show_main_window(app: &AppHandle) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let shown = window
        .show()
        .and_then(|()| window.unminimize())
        .and_then(|()| window.set_focus());
    if let Err(error) = shown {
        tracing::warn!(%error, "could not bring the window up");
    }
}

/// The D-Bus name stem for the instance on `vault` (`None`: the default vault).
fn bus_id(identifier: &str, vault: Option<&Path>) -> String {
    match vault {
        None => identifier.to_owned(),
        Some(path) => {
            let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
            let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            format!("{identifier}.vault_{hex}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_vault_has_its_own_bus_name_and_the_default_vault_the_plain_one() {
        let a = bus_id("dev.keysmith.app", Some(Path::new("/tmp/a.vault")));
        let b = bus_id("dev.keysmith.app", Some(Path::new("/tmp/b.vault")));
        assert_ne!(a, b);
        assert_eq!(
            a,
            bus_id("dev.keysmith.app", Some(Path::new("/tmp/a.vault")))
        );
        assert!(
            a.starts_with("dev.keysmith.app.vault_") && a.len() == 23 + 16,
            "{a}"
        );
        assert_eq!(bus_id("dev.keysmith.app", None), "dev.keysmith.app");
        // A valid bus name element: letters, digits, underscores, not starting with a digit.
        let element = a.rsplit('.').next().unwrap();
        assert!(element
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }
}
