//! The copy marked as a password for clipboard managers, and what the desktop says that locks
//! the vault, in the real window: the screensaver's
//! `ActiveChanged(true)` sent on the test's session bus (by `dbus-send`, as a screensaver would)
//! locks an unlocked vault and clears the token Keysmith copied; `ActiveChanged(false)` and,
//! with the setting off, `ActiveChanged(true)` leave it unlocked. (logind's `PrepareForSleep`
//! comes on the system bus, which this container does not have: the app logs that it is not
//! watching for sleep, and that path is covered by the same lock code.)

use std::process::Command;
use std::time::Duration;

use keysmith_e2e::flows::{create_token, create_vault, unlock};
use keysmith_e2e::{clipboard_text, eventually, Session, UI_TIMEOUT};

/// Sends the screensaver's `ActiveChanged(active)` signal on the session bus.
fn screensaver(active: bool) {
    let sent = Command::new("dbus-send")
        .args([
            "--session",
            "--type=signal",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver.ActiveChanged",
            &format!("boolean:{active}"),
        ])
        .status()
        .expect("dbus-send (apt: dbus)");
    assert!(sent.success());
}

/// What `xclip -o -selection clipboard ARGS` prints.
fn xclip(args: &[&str]) -> String {
    let output = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .args(args)
        .output()
        .expect("xclip (apt: xclip)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Waits until the app's log says its watcher is listening (it subscribes after start-up).
async fn watching(app: &Session) {
    eventually(UI_TIMEOUT, async || {
        match app.log().contains("watching the screen lock") {
            true => Ok(()),
            false => Err("the app never watched the screen lock".to_owned()),
        }
    })
    .await;
}

#[tokio::test]
async fn the_screen_lock_locks_the_vault_and_clears_the_copied_token_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("desktop.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    watching(&app).await;
    create_token(&app, "nightly", 30).await;
    let token = app
        .text("[data-testid=revealed-token]")
        .await
        .trim()
        .to_owned();
    app.click("[data-testid=copy-token]").await;
    eventually(UI_TIMEOUT, async || match clipboard_text().await {
        Some(text) if text == token => Ok(()),
        _ => Err("the token never reached the clipboard".to_owned()),
    })
    .await;
    // Marked for clipboard managers as a password (KeePassXC's hint), so they keep no history.
    let hint = xclip(&["-t", "x-kde-passwordManagerHint"]);
    assert_eq!(
        hint.trim(),
        "secret",
        "targets: {}",
        xclip(&["-t", "TARGETS"])
    );
    app.click("[data-testid=done]").await;
    app.wait_gone("[data-testid=reveal]").await;

    // The screensaver turning off says nothing; turning on locks, and the copy goes.
    screensaver(false);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!app.present("[data-testid=unlock-vault]").await);
    screensaver(true);
    app.find("[data-testid=unlock-vault]").await;
    assert_ne!(clipboard_text().await.as_deref(), Some(token.as_str()));
    assert_eq!(
        app.text("[data-testid=notice]").await,
        "Locked when the screen locked."
    );
    assert!(app.log().contains("vault locked reason=ScreenLocked"));
    app.screenshot("desktop-locked-by-screen").await;

    // With the setting off, the screen lock leaves the vault open.
    unlock(&app).await;
    app.find("[data-testid=credential-row]").await;
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=lock-on-screen-lock]").await;
    app.click("[data-testid=save-settings]").await;
    app.settings_saved().await;
    screensaver(true);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!app.present("[data-testid=unlock-vault]").await);
    app.find("[data-testid=credential-row]").await;
    app.end().await;
}
