//! The tray icon: what state Keysmith is in (locked, unlocked, how many credentials expire
//! soon) and a menu to open the window, lock the vault or quit. With the setting "keep running
//! in the tray", closing the window hides it here instead of quitting.

use std::sync::{Mutex, PoisonError};

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

use crate::instance::show_main_window;
use crate::locking::lock_if;
use crate::models::LockReason;

/// The tray icon and the menu items whose text or state follows the app's.
pub struct Tray {
    icon: TrayIcon,
    status: MenuItem<Wry>,
    lock: MenuItem<Wry>,
    shown: Mutex<Status>,
}

/// What the tray shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Status {
    unlocked: bool,
    /// Active credentials expiring soon, as last counted while unlocked.
    expiring_soon: u32,
}

impl Status {
    fn text(self) -> String {
        match (self.unlocked, self.expiring_soon) {
            (false, _) => "Keysmith: locked".to_owned(),
            (true, 0) => "Keysmith: unlocked".to_owned(),
            (true, 1) => "Keysmith: unlocked · 1 expiring soon".to_owned(),
            (true, n) => format!("Keysmith: unlocked · {n} expiring soon"),
        }
    }
}

/// Puts the icon in the tray. Where the desktop has no tray, or its library is missing, the
/// app runs without one (and closing the window then quits).
pub fn create(app: &AppHandle) {
    match build(app) {
        Ok(tray) => {
            app.manage(tray);
        }
        Err(error) => tracing::warn!(%error, "no tray icon"),
    }
}

fn build(app: &AppHandle) -> tauri::Result<Tray> {
    let status = MenuItem::with_id(app, "status", Status::default().text(), false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Keysmith", true, None::<&str>)?;
    let lock = MenuItem::with_id(app, "lock", "Lock", false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Keysmith", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &lock,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("keysmith")
        .menu(&menu)
        .tooltip(Status::default().text())
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_main_window(app),
            "lock" => {
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    lock_if(&app, |session| session.is_unlocked(), LockReason::Tray).await;
                });
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    Ok(Tray {
        icon: builder.build(app)?,
        status,
        lock,
        shown: Mutex::default(),
    })
}

/// Shows whether the vault is unlocked.
pub fn show_unlocked(app: &AppHandle, unlocked: bool) {
    update(app, |status| status.unlocked = unlocked);
}

/// Shows how many active credentials expire soon.
pub fn show_expiring_soon(app: &AppHandle, count: u32) {
    update(app, |status| status.expiring_soon = count);
}

/// Whether the app has a tray icon to keep running in.
pub fn exists(app: &AppHandle) -> bool {
    app.try_state::<Tray>().is_some()
}

fn update(app: &AppHandle, change: impl FnOnce(&mut Status)) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    let status = {
        let mut shown = tray.shown.lock().unwrap_or_else(PoisonError::into_inner);
        let before = *shown;
        change(&mut shown);
        if *shown == before {
            return;
        }
        *shown
    };
    let text = status.text();
    let shown = tray
        .status
        .set_text(&text)
        .and_then(|()| tray.lock.set_enabled(status.unlocked))
        .and_then(|()| tray.icon.set_tooltip(Some(&text)));
    if let Err(error) = shown {
        tracing::warn!(%error, "could not update the tray");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_says_locked_or_how_many_expire_soon() {
        let locked = Status {
            unlocked: false,
            expiring_soon: 3,
        };
        assert_eq!(locked.text(), "Keysmith: locked");
        let unlocked = |expiring_soon| Status {
            unlocked: true,
            expiring_soon,
        };
        assert_eq!(unlocked(0).text(), "Keysmith: unlocked");
        assert_eq!(unlocked(1).text(), "Keysmith: unlocked · 1 expiring soon");
        assert_eq!(unlocked(4).text(), "Keysmith: unlocked · 4 expiring soon");
    }
}
