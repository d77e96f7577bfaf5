//! The app as a device of a team vault, through real parts: a real `keysmith serve --team` on
//! 127.0.0.1 with its own self-signed certificate, the real app in a real window joined with an
//! invitation, and the command line as a second device of the account holder's. The window
//! issues and the command line sees it; the command line revokes and the window shows it within
//! two seconds; the server is killed and the window shows the offline copy with its banner,
//! search still working, and comes back online by itself when the server does. Screenshots of
//! the connect screen, the device list and the offline banner, light and dark (and the smallest
//! window).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use keysmith_core::{clock, EmailAddress, Name, Role, UserSpec};
use keysmith_e2e::flows::{
    create_token, row, row_text, take_revealed_token, vault_made_outside, PASSPHRASE,
};
use keysmith_e2e::{cli_binary, eventually, free_port, wait_title, Session};

/// `keysmith serve --team` over `vault` on `port`; killed (as a crash would) on drop.
struct TeamServer {
    child: Child,
    _stdout: BufReader<ChildStdout>,
}

impl TeamServer {
    fn start(vault: &Path, port: u16) -> TeamServer {
        let mut child = Command::new(cli_binary())
            .arg("--vault")
            .arg(vault)
            .args(["serve", "--team", "--listen", &format!("127.0.0.1:{port}")])
            .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("keysmith serve --team");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        for expected in ["listening on https://", "certificate fingerprint SHA256:"] {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            assert!(line.starts_with(expected), "{line:?}");
        }
        TeamServer {
            child,
            _stdout: stdout,
        }
    }
}

impl Drop for TeamServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `keysmith` with `args` as the command line's own device (its key sealed in `config`).
fn cli(config: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(cli_binary())
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env("KEYSMITH_PASSPHRASE", "the command line's own passphrase")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "keysmith {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// An invitation for `email`, made on the server's side (the vault file).
fn invite(vault: &Path, email: &str) -> String {
    let output = Command::new(cli_binary())
        .arg("--vault")
        .arg(vault)
        .args(["invite", email])
        .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Paints the window in `theme` (as Settings → Appearance would) for a screenshot.
async fn theme(app: &Session, theme: &str) {
    app.script(
        "document.documentElement.dataset.theme = arguments[0]; return null;",
        vec![serde_json::json!(theme)],
    )
    .await;
}

#[tokio::test]
async fn the_window_works_on_a_team_vault_with_another_device_and_offline() {
    let dir = tempfile::tempdir().unwrap();
    let vault: PathBuf = dir.path().join("team.vault");
    let mut made = vault_made_outside(&vault, clock::system());
    made.create_user(&UserSpec {
        name: Name::new("Cleo Member").unwrap(),
        email: EmailAddress::try_from("cleo@example.com".to_owned()).unwrap(),
        role: Role::Member,
        api_access: true,
    })
    .unwrap();
    drop(made);
    let port = free_port();
    let server = TeamServer::start(&vault, port);

    // The window: no vault file on this desktop, a team vault to connect to.
    let desktop = dir.path().join("desktop.vault");
    let app = Session::start(&desktop, &[]).await;
    app.find("[data-testid=create-vault]").await;
    app.screenshot("team-first-screen").await;
    app.click("[data-testid=connect-team-link]").await;
    app.find("[data-testid=connect-team]").await;
    app.type_into("[data-testid=invitation]", "not an invitation")
        .await;
    app.find("[data-testid=invitation-problem]").await;
    app.screenshot("team-connect-light").await;
    theme(&app, "dark").await;
    app.screenshot("team-connect-dark").await;
    app.client.set_window_size(760, 520).await.unwrap();
    app.screenshot("team-connect-dark-smallest").await;
    app.client.set_window_size(1100, 720).await.unwrap();
    theme(&app, "light").await;
    app.replace_text(
        "[data-testid=invitation]",
        &invite(&vault, "ada@example.com"),
    )
    .await;
    app.type_into("[data-testid=device-name]", "Ada desktop")
        .await;
    app.click("[data-testid=connect]").await;
    app.find("[data-testid=empty-state]").await;
    let where_ = app
        .wait_text("[data-testid=team-where]", "Team vault ada-desktop")
        .await;
    assert!(
        where_.contains(&format!("https://127.0.0.1:{port}")),
        "{where_}"
    );
    wait_title(&format!(
        "ada-desktop (https://127.0.0.1:{port}) — Keysmith"
    ))
    .await;

    // The command line joins as a second device of the account holder's.
    let config = dir.path().join("cli-config");
    cli(
        &config,
        &["join", "--name", "ada-cli"],
        &format!("{}\n", invite(&vault, "ada@example.com")),
    );

    // The window issues; the command line sees it.
    create_token(&app, "ledger-sync", 30).await;
    let token = take_revealed_token(&app).await;
    assert!(token.starts_with("ks_pat_"));
    let listed = cli(&config, &["--remote", "ada-cli", "list", "--json"], "");
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let id = listed[0]["id"].to_string();
    assert_eq!(listed[0]["name"], "ledger-sync");

    // The command line revokes; the window shows it within two seconds.
    cli(&config, &["--remote", "ada-cli", "revoke", &id], "");
    eventually(Duration::from_secs(2), async || {
        let text = row_text(&app, "ledger-sync").await;
        match text.contains("\nrevoked") {
            true => Ok(()),
            false => Err(format!("the row still shows {text:?}")),
        }
    })
    .await;
    create_token(&app, "payroll-export", 30).await;
    take_revealed_token(&app).await;

    // People lists both devices of the account holder's, with when and where they were seen.
    app.click("[data-testid=nav-people]").await;
    app.wait_text("[data-testid=devices]", "ada-cli").await;
    let devices = app.text("[data-testid=devices]").await;
    assert!(
        devices.contains("Ada desktop") && devices.contains("127.0.0.1"),
        "{devices}"
    );
    app.screenshot("team-devices-light").await;
    theme(&app, "dark").await;
    app.screenshot("team-devices-dark").await;
    theme(&app, "light").await;
    app.click("[data-testid=nav-credentials]").await;

    // The server goes away: the window shows the inventory it last saw, read-only, and says so.
    drop(server);
    let banner = app
        .wait_text("[data-testid=offline-banner]", "Offline since")
        .await;
    assert!(banner.contains("changes need the server"), "{banner}");
    app.type_into("[data-testid=search]", "payroll").await;
    app.find(&row("payroll-export")).await;
    app.wait_gone(&row("ledger-sync")).await;
    app.screenshot("team-offline-light").await;
    theme(&app, "dark").await;
    app.screenshot("team-offline-dark").await;
    app.client.set_window_size(760, 520).await.unwrap();
    app.screenshot("team-offline-dark-smallest").await;
    theme(&app, "light").await;

    // It comes back (same port, same certificate): the window goes online by itself.
    let _server = TeamServer::start(&vault, port);
    app.wait_gone("[data-testid=offline-banner]").await;

    // An admin removes this computer mid-session: its next call is refused, and the window
    // says so on the unlock screen.
    let devices = Command::new(cli_binary())
        .arg("--vault")
        .arg(&vault)
        .args(["devices", "--json"])
        .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    let devices: serde_json::Value = serde_json::from_slice(&devices.stdout).unwrap();
    let desktop_device = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|device| device["name"] == "Ada desktop")
        .expect("the window's device")["id"]
        .to_string();
    let removed = Command::new(cli_binary())
        .arg("--vault")
        .arg(&vault)
        .args(["devices", "--remove", &desktop_device])
        .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert!(removed.status.success());
    app.wait_text("[data-testid=notice]", "removed from the team vault")
        .await;
    app.find("[data-testid=unlock-vault]").await;
    app.screenshot("team-device-removed").await;
    app.end().await;

    // Nothing the desktop keeps holds a token it issued, the invitation, or the inventory in
    // clear: its profile folder has the profile and the sealed offline copy.
    let config = keysmith_e2e::artifacts_dir().join("desktop.config");
    let mut kept = Vec::new();
    let mut folders = vec![config];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                for secret in [token.as_str(), "ks_inv_", "payroll-export"] {
                    assert!(
                        !text.contains(secret),
                        "{} holds {secret:?}",
                        path.display()
                    );
                }
                kept.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    kept.sort();
    assert!(
        kept.contains(&"ada-desktop.json".to_owned())
            && kept.contains(&"ada-desktop.inventory".to_owned()),
        "{kept:?}"
    );
}
