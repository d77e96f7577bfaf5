//! The app as a device of a team vault, through real parts: a real `keysmith serve --team` on
//! 127.0.0.1 with its own self-signed certificate, the real app in a real window joined with an
//! invitation, and the command line as a second device of the account holder's. The window
//! issues and the command line sees it; the command line revokes and the window shows it within
//! two seconds; the server is killed and the window shows the offline copy with its banner,
//! search still working, and comes back online by itself when the server does. Screenshots of
//! the connect screen, the device list and the offline banner, light and dark.

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
    theme(&app, "light").await;

    // It comes back (same port, same certificate): the window goes online by itself.
    let _server = TeamServer::start(&vault, port);
    app.wait_gone("[data-testid=offline-banner]").await;
    app.end().await;
}
