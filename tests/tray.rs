//! The app when the admin is not looking at it, in the real window on the test's session bus:
//! the tray menu (served over D-Bus as the desktop's tray reads it: libayatana-appindicator's
//! dbusmenu, which the test reads and clicks with `busctl`), expiry reminders shown by a real
//! notification server (dunst; `dbus-monitor` records what it was sent, `dunstctl` clicks),
//! one instance per vault, and the remembered window.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use keysmith_core::{Description, Expiry, ManualClock, Name, NewCredential, Rights, TokenKind};
use keysmith_e2e::flows::{unlock, vault_made_outside, APPLICATION};
use keysmith_e2e::{app_binary, eventually, Session, UI_TIMEOUT};
use tokio::process::{Child, Command};

/// Where the tray's menu is served (libayatana-appindicator names it after the tray's id).
const TRAY_MENU: &str = "/org/ayatana/NotificationItem/tray_icon_tray_app_keysmith/Menu";

/// One entry of the tray's menu.
#[derive(Debug, Clone)]
struct MenuEntry {
    id: i64,
    label: String,
    enabled: bool,
}

/// `busctl --user ARGS` on the test's session bus: its stdout when it succeeds.
async fn busctl(args: &[&str]) -> Option<String> {
    let output = Command::new("busctl")
        // A connection that never answers (the app has several) must not hold the test up.
        .args(["--user", "--timeout=2"])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .await
        .expect("busctl (apt: systemd)");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The bus connection of the app that serves a tray menu, and the menu's entries.
async fn tray_menu() -> Result<(String, Vec<MenuEntry>), String> {
    let names = busctl(&["list", "--no-legend"]).await.unwrap_or_default();
    for line in names.lines() {
        let columns: Vec<&str> = line.split_whitespace().collect();
        if columns.len() < 3 || !columns[0].starts_with(':') || columns[2] != "keysmith-app" {
            continue;
        }
        let layout = busctl(&[
            "--json=short",
            "call",
            "--", // "-1" below is an argument, not an option
            columns[0],
            TRAY_MENU,
            "com.canonical.dbusmenu",
            "GetLayout",
            "iias",
            "0",
            "-1",
            "0",
        ])
        .await;
        if let Some(layout) = layout {
            let layout: serde_json::Value = serde_json::from_str(&layout).unwrap();
            let mut entries = Vec::new();
            collect_entries(&layout["data"][1], &mut entries);
            return Ok((columns[0].to_owned(), entries));
        }
    }
    Err(format!(
        "no keysmith-app serves a tray menu; on the bus: {names}"
    ))
}

/// Walks a dbusmenu layout `(id, properties, children)`, whose children come as variants.
fn collect_entries(node: &serde_json::Value, into: &mut Vec<MenuEntry>) {
    let node = node.get("data").unwrap_or(node);
    let properties = &node[1];
    if let Some(label) = properties["label"]["data"].as_str() {
        into.push(MenuEntry {
            id: node[0].as_i64().unwrap(),
            label: label.to_owned(),
            enabled: properties["enabled"]["data"].as_bool().unwrap_or(true),
        });
    }
    for child in node[2].as_array().into_iter().flatten() {
        collect_entries(child, into);
    }
}

/// Waits until the tray's menu has an entry labelled `label`, and returns the menu.
async fn tray_with(label: &str) -> (String, Vec<MenuEntry>) {
    eventually(UI_TIMEOUT, async || {
        let (owner, entries) = tray_menu().await?;
        match entries.iter().any(|entry| entry.label == label) {
            true => Ok((owner, entries)),
            false => Err(format!("no {label:?} in the tray menu: {entries:?}")),
        }
    })
    .await
}

/// Clicks the tray menu's entry labelled `label`, as the desktop's tray does.
async fn click_tray(label: &str) {
    let (owner, entries) = tray_with(label).await;
    let entry = entries.iter().find(|entry| entry.label == label).unwrap();
    let id = entry.id.to_string();
    let clicked = busctl(&[
        "call",
        "--",
        &owner,
        TRAY_MENU,
        "com.canonical.dbusmenu",
        "Event",
        "isvu",
        &id,
        "clicked",
        "s",
        "",
        "0",
    ])
    .await;
    assert!(clicked.is_some(), "the tray took the click on {label}");
}

/// Asks the window whose title contains `title` to close, as a window manager does when its
/// close button is clicked (a `WM_DELETE_WINDOW` message; there is no window manager under
/// Xvfb to click).
async fn close_window(title: &str) {
    const CLOSE: &str = r#"
import sys
from Xlib import X, display, protocol
screen = display.Display()
wm_protocols = screen.intern_atom("WM_PROTOCOLS")
delete = screen.intern_atom("WM_DELETE_WINDOW")
sent = 0
for wid in sys.argv[1:]:
    window = screen.create_resource_object("window", int(wid))
    if delete in (window.get_wm_protocols() or []):
        window.send_event(protocol.event.ClientMessage(window=window, client_type=wm_protocols,
            data=(32, [delete, X.CurrentTime, 0, 0, 0])))
        sent += 1
screen.flush()
assert sent, "no window takes WM_DELETE_WINDOW"
"#;
    let found = Command::new("xdotool")
        .args(["search", "--name", title])
        .output()
        .await
        .expect("xdotool");
    let windows = String::from_utf8_lossy(&found.stdout);
    let closed = Command::new("/usr/bin/python3")
        .args(["-c", CLOSE])
        .args(windows.split_whitespace())
        .status()
        .await
        .expect("python3 with Xlib (apt: python3-xlib)");
    assert!(closed.success(), "a close request sent to {title}");
}

/// Whether a window whose title contains `title` is on screen.
async fn window_shown(title: &str) -> bool {
    Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", title])
        .stdout(Stdio::null())
        .status()
        .await
        .expect("xdotool")
        .success()
}

/// A process ended with the test.
fn spawn(command: &mut Command) -> Child {
    command
        .kill_on_drop(true)
        .spawn()
        .expect("a helper on PATH (scripts/setup installs it)")
}

/// A vault made outside the app a day ago, holding a token that expires in 6½ days, with the
/// expiry scan run then: the first scan in the app sees the 7-day mark pass.
fn vault_with_a_token_nearing_expiry(path: &Path) {
    let now = Utc::now();
    let clock = ManualClock::new(now - chrono::Duration::days(1));
    let mut vault = vault_made_outside(path, Arc::new(clock));
    vault.scan_webhook_events().unwrap();
    let expires = now + chrono::Duration::days(6) + chrono::Duration::hours(12);
    vault
        .issue(&NewCredential {
            kind: TokenKind::PersonalAccessToken,
            owner: Some(vault.operator().user_id),
            name: Name::new("deploy-bot").unwrap(),
            description: Description::new("ships the nightly build").unwrap(),
            expiry: Expiry::new(expires, now - chrono::Duration::days(1)).unwrap(),
            scopes: vec![keysmith_core::Permission::new("payables:read").unwrap()],
            rights: Rights::ReadWrite,
            applications: vec![Name::new(APPLICATION).unwrap()],
            rate_limit: Default::default(),
            restrictions: Default::default(),
            disabled: false,
        })
        .unwrap();
}

#[tokio::test]
async fn a_reminder_is_shown_and_opens_its_credential_and_the_tray_locks_and_one_instance_runs() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("tray.vault");
    vault_with_a_token_nearing_expiry(&vault);
    let _dunst = spawn(
        Command::new("dunst")
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let notified = dir.path().join("notify.log");
    let _monitor = spawn(
        Command::new("dbus-monitor")
            .args([
                "--session",
                "interface=org.freedesktop.Notifications,member=Notify",
            ])
            .stdout(std::fs::File::create(&notified).unwrap()),
    );
    let app = Session::start(&vault, &[]).await;
    let (_, locked) = tray_with("Keysmith: locked").await;
    let lock = locked.iter().find(|entry| entry.label == "Lock").unwrap();
    assert!(!lock.enabled, "nothing to lock yet: {locked:?}");
    unlock(&app).await;
    app.find("[data-testid=credential-row]").await;

    // The 7-day reminder reaches the notification server: names and dates, no secret.
    let sent = eventually(Duration::from_secs(45), async || {
        let sent = std::fs::read_to_string(&notified).unwrap_or_default();
        match sent.contains("deploy-bot expires in 7 days") {
            true => Ok(sent),
            false => Err(format!("no reminder sent; the daemon saw: {sent}")),
        }
    })
    .await;
    assert!(sent.contains("Renew it in Keysmith before then."), "{sent}");
    assert!(
        !sent.contains("ks_pat_"),
        "a reminder never carries a token"
    );
    tray_with("Keysmith: unlocked · 1 expiring soon").await;

    // Clicking it (dunst's default action) opens the credential beside the inventory.
    app.click("[data-testid=nav-settings]").await;
    let clicked = Command::new("dunstctl")
        .args(["action", "0"])
        .status()
        .await
        .expect("dunstctl (apt: dunst)");
    assert!(clicked.success());
    app.wait_text("[data-testid=detail]", "deploy-bot").await;
    app.screenshot("tray-reminder-opened").await;

    // A second launch on the same vault hands over to this one and ends.
    let second = Command::new(app_binary())
        .env("KEYSMITH_VAULT", &vault)
        .env("KEYSMITH_LOG", dir.path().join("second.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status();
    let second = tokio::time::timeout(Duration::from_secs(20), second)
        .await
        .expect("the second launch ends at once")
        .unwrap();
    assert!(second.success());
    assert_eq!(app.client.windows().await.unwrap().len(), 1);
    app.find("[data-testid=detail]").await;

    // The tray's Lock locks, and the window says so.
    click_tray("Lock").await;
    app.find("[data-testid=unlock-vault]").await;
    assert_eq!(
        app.text("[data-testid=notice]").await,
        "Locked from the tray."
    );
    let (_, locked) = tray_with("Keysmith: locked").await;
    assert!(!locked.iter().find(|e| e.label == "Lock").unwrap().enabled);
    app.end().await;
}

#[tokio::test]
async fn the_window_comes_back_where_it_was_left_after_quitting_from_the_tray() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("remembered.vault");
    vault_with_a_token_nearing_expiry(&vault);
    let config = dir.path().join("config");
    let config = config.to_str().unwrap();
    let app = Session::start(&vault, &[("XDG_CONFIG_HOME", config)]).await;
    app.find("[data-testid=unlock-vault]").await;
    app.client.set_window_rect(60, 40, 900, 640).await.unwrap();
    let left = app.client.get_window_rect().await.unwrap();
    assert_eq!((left.2, left.3), (900, 640), "the window took the size");
    click_tray("Quit Keysmith").await;
    let saved = Path::new(config).join("dev.keysmith.app/.window-state.json");
    eventually(UI_TIMEOUT, async || match saved.exists() {
        true => Ok(()),
        false => Err("no window state saved on quit".to_owned()),
    })
    .await;
    drop(app);

    let again = Session::start(&vault, &[("XDG_CONFIG_HOME", config)]).await;
    again.find("[data-testid=unlock-vault]").await;
    let back = again.client.get_window_rect().await.unwrap();
    assert_eq!((back.2, back.3), (900, 640), "size kept: {back:?}");
    assert_eq!((back.0, back.1), (left.0, left.1), "position kept");
    again.end().await;
}

#[tokio::test]
async fn closing_the_window_keeps_the_app_in_the_tray_when_told_to_and_quits_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("closing.vault");
    vault_with_a_token_nearing_expiry(&vault);
    let app = Session::start(&vault, &[]).await;
    unlock(&app).await;
    app.find("[data-testid=credential-row]").await;
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=keep-running-in-tray]").await;
    app.screenshot("tray-setting").await;
    app.click("[data-testid=save-settings]").await;
    app.settings_saved().await;

    // Closed, the window goes to the tray: the app runs on, the vault still unlocked.
    close_window("closing.vault").await;
    eventually(UI_TIMEOUT, async || {
        match window_shown("closing.vault").await {
            false => Ok(()),
            true => Err("the window is still shown".to_owned()),
        }
    })
    .await;
    tray_with("Keysmith: unlocked · 1 expiring soon").await;
    click_tray("Open Keysmith").await;
    eventually(UI_TIMEOUT, async || {
        match window_shown("closing.vault").await {
            true => Ok(()),
            false => Err("Open did not bring the window back".to_owned()),
        }
    })
    .await;
    app.find("[data-testid=credential-row]").await;

    // With the setting off, closing quits: the tray goes with the app.
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=keep-running-in-tray]").await;
    app.click("[data-testid=save-settings]").await;
    app.settings_saved().await;
    close_window("closing.vault").await;
    eventually(UI_TIMEOUT, async || match tray_menu().await {
        Err(_) => Ok(()),
        Ok((_, menu)) => Err(format!("the app still runs: {menu:?}")),
    })
    .await;
    drop(app);
}
