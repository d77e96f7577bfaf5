//! The People screen's and Settings' operations on the command line, over a real vault: users,
//! groups, the catalogues, the settings and the backup schedule, through the same definitions
//! the window calls. Bad input is refused with its code, and nothing changes.

use std::path::Path;

use serde_json::Value;

mod support;
use support::{init, issue_json, keysmith, ok, ok_json, refused_with};

/// Runs `keysmith`, insists it failed with exit 2 and `code` on stderr.
fn refused(vault: &Path, args: &[&str], code: &str) {
    refused_with(&keysmith(vault, args), code);
}

fn user<'a>(people: &'a Value, email: &str) -> &'a Value {
    people
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["email"] == email)
        .unwrap_or_else(|| panic!("no {email} in {people}"))
}

#[test]
fn users_groups_and_catalogues_are_kept_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("people.vault");
    init(&vault);

    ok(
        &vault,
        &[
            "catalogue",
            "add",
            "permission",
            "ledger:read",
            "--description",
            "Read the ledger",
        ],
    );
    ok(&vault, &["catalogue", "add", "application", "Ledger"]);
    let catalogues = ok_json(keysmith(&vault, &["catalogue", "list", "--json"]));
    assert!(catalogues["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|entry| entry["name"] == "ledger:read" && entry["description"] == "Read the ledger"));
    refused(
        &vault,
        &["catalogue", "add", "permission", "ledger read"],
        "invalid_permission",
    );

    let cleo = ok(
        &vault,
        &[
            "user",
            "add",
            "--name",
            "Cleo Member",
            "--email",
            "cleo@example.com",
            "--api-access",
        ],
    );
    let cleo: i64 = cleo.trim().parse().expect("the new user's id alone");
    refused(
        &vault,
        &[
            "user",
            "add",
            "--name",
            "Cleo Again",
            "--email",
            "CLEO@example.com",
        ],
        "already_exists",
    );

    let group = ok(
        &vault,
        &[
            "group",
            "add",
            "--name",
            "Ledger team",
            "--grant",
            "ledger:read",
            "--member",
            "cleo@example.com",
        ],
    );
    let group = group.trim().to_owned();
    let groups = ok_json(keysmith(&vault, &["group", "list", "--json"]));
    let ledger_team = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == "Ledger team")
        .expect("the new group is listed");
    assert_eq!(ledger_team["id"].to_string(), group);
    assert_eq!(ledger_team["members"], serde_json::json!([cleo]));
    refused(
        &vault,
        &[
            "group",
            "add",
            "--name",
            "Nobody",
            "--member",
            "nobody@example.com",
        ],
        "user_not_found",
    );

    // Cleo holds the group's permission: a credential of hers may carry it.
    let token = issue_json(
        &vault,
        "ledger sync",
        &[
            "--owner",
            "cleo@example.com",
            "--scope",
            "ledger:read",
            "--application",
            "Ledger",
        ],
    );
    let people = ok_json(keysmith(&vault, &["people", "--json"]));
    assert_eq!(
        user(&people, "cleo@example.com")["permissions"],
        serde_json::json!(["ledger:read"])
    );
    assert!(ok(&vault, &["people"])
        .contains("Cleo Member\tcleo@example.com\tmember\tapi access\tLedger team"));

    // Blocking the group's API access blocks her credential; editing a user keeps what is not given.
    ok(
        &vault,
        &[
            "group",
            "edit",
            &group,
            "--name",
            "Ledger team",
            "--grant",
            "ledger:read",
            "--block-api-access",
            "--member",
            "cleo@example.com",
        ],
    );
    let shown = ok_json(keysmith(
        &vault,
        &["show", &token["id"].to_string(), "--json"],
    ));
    assert_eq!(shown["status"], "blocked");
    assert_eq!(shown["status_note"], "blocked by Ledger team");
    ok(
        &vault,
        &["user", "edit", "cleo@example.com", "--name", "Cleo Ledger"],
    );
    let people = ok_json(keysmith(&vault, &["people", "--json"]));
    let cleo_now = user(&people, "cleo@example.com");
    assert_eq!(
        (cleo_now["name"].as_str(), cleo_now["role"].as_str()),
        (Some("Cleo Ledger"), Some("member"))
    );
    assert_eq!(cleo_now["api_access"], true);

    // The account holder cannot be demoted from here either: the core's rule, the same refusal.
    refused(
        &vault,
        &["user", "edit", "ada@example.com", "--role", "member"],
        "invalid_role",
    );
    assert_eq!(
        user(
            &ok_json(keysmith(&vault, &["people", "--json"])),
            "ada@example.com"
        )["role"],
        "account_holder"
    );

    assert_eq!(
        ok(&vault, &["user", "revoke-all", "cleo@example.com"]).trim(),
        "revoked 1"
    );
    ok(&vault, &["group", "delete", &group]);
    let groups = ok_json(keysmith(&vault, &["group", "list", "--json"]));
    assert!(!groups.to_string().contains("Ledger team"), "{groups}");
    assert!(ok(&vault, &["user", "offboard", "cleo@example.com"])
        .starts_with(&format!("offboarded {cleo} (1 credentials)")));
    assert!(ok_json(keysmith(&vault, &["list", "--json"]))
        .as_array()
        .unwrap()
        .is_empty());
    ok(&vault, &["catalogue", "remove", "application", "Ledger"]);
    refused(
        &vault,
        &["catalogue", "remove", "application", "Ledger"],
        "unknown_application",
    );
}

#[test]
fn settings_are_printed_and_set_by_their_names_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("settings.vault");
    init(&vault);

    let printed = ok(&vault, &["settings"]);
    assert!(
        printed.lines().any(|line| line == "auto_lock_minutes=10"),
        "{printed}"
    );
    assert!(
        printed.lines().any(|line| line.starts_with("api.port=")),
        "{printed}"
    );

    let set = ok_json(keysmith(
        &vault,
        &[
            "settings",
            "--set",
            "auto_lock_minutes=15",
            "--set",
            "api.port=8411",
            "--json",
        ],
    ));
    assert_eq!(
        (
            set["auto_lock_minutes"].as_u64(),
            set["api"]["port"].as_u64()
        ),
        (Some(15), Some(8411))
    );

    // An unknown name, a value of the wrong type, a value out of range: refused, nothing saved.
    refused(
        &vault,
        &[
            "settings",
            "--set",
            "auto_lock_minutes=20",
            "--set",
            "colour=blue",
        ],
        "unknown_setting",
    );
    refused(
        &vault,
        &["settings", "--set", "auto_lock_minutes=soon"],
        "invalid_setting",
    );
    refused(
        &vault,
        &[
            "settings",
            "--set",
            "auto_lock_minutes=20",
            "--set",
            "max_lifetime_days=4000",
        ],
        "invalid_lifetime_policy",
    );
    refused(
        &vault,
        &["settings", "--set", "api=8400"],
        "unknown_setting",
    );
    let now = ok_json(keysmith(&vault, &["settings", "--json"]));
    assert_eq!(now, set, "nothing changed");

    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let schedule = ok_json(keysmith(
        &vault,
        &[
            "backup-schedule",
            "--every",
            "weekly",
            "--folder",
            backups.to_str().unwrap(),
            "--keep",
            "4",
            "--json",
        ],
    ));
    assert_eq!(
        schedule["schedule"],
        serde_json::json!({"every": "weekly", "folder": backups.to_str().unwrap(), "keep": 4})
    );
    refused(
        &vault,
        &["backup-schedule", "--folder", "relative/folder"],
        "invalid_backup_folder",
    );
    assert!(ok(&vault, &["backup-schedule"]).starts_with("every=weekly\n"));
}
