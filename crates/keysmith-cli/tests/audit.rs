//! `keysmith audit` over a real vault: every entry names what it was about (disabled, enabled,
//! edited, renewed and deleted credentials included), filters by search and date, exports JSON
//! that a script outside Keysmith checks, and `--verify` finds an entry edited behind the
//! vault's back. Also: a closed output pipe ends any command quietly.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

mod support;
use support::{add_admin, in_days, init, keysmith, ok, ok_json, stdout, PASSPHRASE};

/// The exported log at `path` checked by the documented script: its exit code and its line.
fn checked_outside(path: &Path) -> (Option<i32>, String) {
    let python = std::env::var("KEYSMITH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/check-audit-chain.py"
    );
    let output = Command::new(python)
        .arg(script)
        .arg(path)
        .output()
        .expect("python runs");
    (output.status.code(), stdout(&output).trim().to_owned())
}

#[test]
fn every_entry_names_its_credential_and_the_export_checks_outside_keysmith() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("audit.vault");
    init(&vault);
    let issued = ok_json(keysmith(
        &vault,
        &[
            "issue",
            "--name",
            "ledger-sync",
            "--expires",
            &in_days(30),
            "--scope",
            "payables:read",
            "--json",
        ],
    ));
    let id = issued["id"].to_string();
    ok(&vault, &["disable", &id]);
    ok(&vault, &["enable", &id]);
    ok(&vault, &["edit", &id, "--description", "for the ledger"]);
    let renewed = ok_json(keysmith(
        &vault,
        &[
            "renew",
            &id,
            "--end-old",
            "now",
            "--name",
            "ledger-sync-2",
            "--json",
        ],
    ));
    ok(&vault, &["delete", &id]);

    // Each line names the credential, as it was, the deleted one included.
    let log = ok(&vault, &["audit", "--credential", &id]);
    let lines: Vec<(&str, &str)> = log
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (fields[3], fields[4])
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("credential.issued", "ledger-sync"),
            ("credential.disabled", "ledger-sync"),
            ("credential.enabled", "ledger-sync"),
            ("credential.edited", "ledger-sync"),
            ("credential.renewed", "ledger-sync"),
            ("credential.deleted", "ledger-sync"),
        ]
    );
    // A search finds by name; the successor's rows name it.
    let found = ok(&vault, &["audit", "--search", "ledger-sync-2"]);
    assert!(found.lines().count() >= 1, "{found}");
    assert!(
        found.lines().all(|line| line.contains("ledger-sync-2")),
        "{found}"
    );
    assert!(!ok(&vault, &["audit", "--search", "no such name"])
        .trim()
        .contains('\t'));
    // A date range: everything happened today, nothing before.
    let today = chrono::Utc::now().date_naive();
    let yesterday = (today - chrono::Duration::days(1)).to_string();
    assert_eq!(ok(&vault, &["audit", "--until", &yesterday]), "");
    assert_eq!(
        ok(&vault, &["audit", "--since", &today.to_string()])
            .lines()
            .count(),
        ok(&vault, &["audit"]).lines().count()
    );
    let bad = keysmith(&vault, &["audit", "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2));

    // The JSON export carries each entry's hashes; the documented script checks them.
    let export = dir.path().join("audit.json");
    std::fs::write(&export, ok(&vault, &["audit", "--json"])).unwrap();
    let entries: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert!(entries
        .iter()
        .all(|e| e["hash"].as_str().unwrap().len() == 64));
    let successor = &renewed["id"];
    assert!(entries
        .iter()
        .any(|e| &e["credential_id"] == successor && e["subject"] == "ledger-sync-2"));
    let count = entries.len();
    assert_eq!(
        checked_outside(&export),
        (Some(0), format!("intact ({count} entries)"))
    );
    assert_eq!(
        ok(&vault, &["audit", "--verify"]).trim(),
        format!("intact ({count} entries)")
    );
    // A filtered export checks too: each entry against the previous hash it carries.
    std::fs::write(
        &export,
        ok(&vault, &["audit", "--json", "--credential", &id]),
    )
    .unwrap();
    assert_eq!(checked_outside(&export).0, Some(0));
    let csv = ok(&vault, &["audit", "--csv"]);
    assert!(csv.starts_with(
        "seq,at,at_unix,actor,action,credential_id,subject,details,previous_hash,hash"
    ));

    // Someone with the key edits an entry behind the vault's back: both checks find it.
    let opened = keysmith_core::Vault::unlock(
        &vault,
        &keysmith_core::Secret::from(PASSPHRASE),
        keysmith_core::clock::system(),
    )
    .unwrap();
    let raw = opened.raw_connection().unwrap();
    raw.execute_batch(
        "DROP TRIGGER audit_no_update;
         UPDATE audit SET details = '{\"name\":\"something else\"}' WHERE seq = 3;",
    )
    .unwrap();
    drop((raw, opened));
    let verify = keysmith(&vault, &["audit", "--verify"]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(
        stdout(&verify).starts_with("broken at entry 3"),
        "{}",
        stdout(&verify)
    );
    std::fs::write(&export, ok(&vault, &["audit", "--json"])).unwrap();
    assert_eq!(
        checked_outside(&export),
        (
            Some(1),
            "broken at entry 3: it does not match its hash".into()
        )
    );
}

#[test]
fn a_closed_output_pipe_ends_a_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("pipe.vault");
    init(&vault);
    ok(
        &vault,
        &[
            "issue",
            "--name",
            "one",
            "--expires",
            &in_days(30),
            "--scope",
            "payables:read",
        ],
    );
    for args in [&["list"][..], &["audit"], &["audit", "--json"]] {
        // The reading end is closed before the command starts: its first write finds the pipe
        // closed, as `keysmith list | head -0` would.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_keysmith"))
            .arg("--vault")
            .arg(&vault)
            .args(args)
            .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(141), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn an_admin_is_refused_the_account_holders_credentials_here_too() {
    const ADMIN: &str = "bob's own cli passphrase";
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("roles.vault");
    init(&vault);
    let holders = ok_json(keysmith(
        &vault,
        &[
            "issue",
            "--name",
            "holder's",
            "--expires",
            &in_days(30),
            "--scope",
            "payables:read",
            "--json",
        ],
    ))["id"]
        .to_string();
    add_admin(&vault, ADMIN);
    let as_admin = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_keysmith"))
            .arg("--vault")
            .arg(&vault)
            .args(args)
            .env("KEYSMITH_PASSPHRASE", ADMIN)
            .output()
            .unwrap()
    };
    for args in [
        vec!["revoke", holders.as_str()],
        vec!["disable", holders.as_str()],
        vec!["renew", holders.as_str(), "--end-old", "now"],
    ] {
        let refused = as_admin(&args);
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("error: forbidden"),
            "{args:?}"
        );
    }
    let shown = ok_json(keysmith(&vault, &["show", &holders, "--json"]));
    assert_eq!(shown["status"], "active");
}
