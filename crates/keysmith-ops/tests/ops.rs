//! The list of operations through the door the team server uses: by name, with JSON in and
//! out, over a real vault file. Each scenario checks the definition every door shares: the
//! names, the effects (reads work on a vault opened for reading only), the answers, and the
//! core's rules reaching every caller.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use keysmith_core::{
    AccountHolder, EmailAddress, ErrorCode, KdfParams, ManualClock, Name, Secret, UserId, Vault,
};
use keysmith_ops::{dispatch, effect_of, CallError, Effect, NAMES};
use serde_json::{json, Value};

const PASSPHRASE: &str = "correct horse battery";
const MEMBER_PASSPHRASE: &str = "cleo's long passphrase";

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    clock: ManualClock,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        Fixture {
            path: dir.path().join("ops.vault"),
            _dir: dir,
            clock: ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()),
        }
    }

    fn create(&self) -> Vault {
        let holder = AccountHolder {
            name: Name::new("Ada Holder").unwrap(),
            email: EmailAddress::try_from("ada@example.com".to_owned()).unwrap(),
        };
        Vault::create(
            &self.path,
            &Secret::from(PASSPHRASE),
            &holder,
            KdfParams::MINIMUM,
            Arc::new(self.clock.clone()),
        )
        .unwrap()
    }

    fn unlock(&self, passphrase: &str) -> Vault {
        Vault::unlock(
            &self.path,
            &Secret::from(passphrase),
            Arc::new(self.clock.clone()),
        )
        .unwrap()
    }
}

/// Calls `name` with `request`; the answer, or the refusal's code.
fn call(vault: &mut Vault, name: &str, request: Value) -> Result<Value, ErrorCode> {
    dispatch(name, request, vault).map_err(|error| match error {
        CallError::Core(error) => error.code(),
        other => panic!("{name}: {other}"),
    })
}

/// A catalogue, a member (Cleo) with API access in a group granting `payables:read`, and a
/// token of hers; the member's id and the token's id.
fn team(vault: &mut Vault) -> (i64, i64) {
    for (catalogue, name) in [("permissions", "ledger:read"), ("applications", "Ledger")] {
        let entry = json!({"catalogue": catalogue, "name": name, "description": ""});
        call(vault, "add_catalogue_entry", entry).unwrap();
    }
    let cleo = call(
        vault,
        "save_user",
        json!({"id": null, "name": "Cleo Member", "email": "cleo@example.com",
               "role": "member", "api_access": true}),
    )
    .unwrap();
    let cleo = cleo["id"].as_i64().unwrap();
    call(
        vault,
        "save_group",
        json!({"id": null, "name": "Payables", "permissions": ["ledger:read"], "blocks": [],
               "blocks_api_access": false, "members": [cleo]}),
    )
    .unwrap();
    let issued = call(
        vault,
        "issue_credential",
        json!({"request": {
            "kind": "personal_access_token", "owner_id": cleo, "name": "ledger sync",
            "description": "", "scopes": ["ledger:read"], "rights": "read",
            "applications": ["Ledger"], "rate_limit": null, "expires_on": "2027-01-15"}}),
    )
    .unwrap();
    assert!(issued["token"].as_str().unwrap().starts_with("ks_pat_"));
    (cleo, issued["credential"]["id"].as_i64().unwrap())
}

#[test]
fn every_operation_answers_to_one_name_and_a_request_of_its_own_shape() {
    let mut names = NAMES.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), NAMES.len(), "a name is used twice");
    assert!(NAMES.iter().all(|name| effect_of(name).is_some()));
    assert_eq!(effect_of("issue_credential"), Some(Effect::Change));
    assert_eq!(effect_of("list_credentials"), Some(Effect::Watch));
    assert_eq!(effect_of("unlock_vault"), None, "not an operation");

    let fx = Fixture::new();
    let mut vault = fx.create();
    assert!(matches!(
        dispatch("change_passphrase", json!({}), &mut vault),
        Err(CallError::UnknownOperation(name)) if name == "change_passphrase"
    ));
    assert!(matches!(
        dispatch("credential_detail", json!({"id": "seven"}), &mut vault),
        Err(CallError::BadRequest(_))
    ));
}

#[test]
fn a_vault_is_kept_through_the_operations_by_name() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let (_, id) = team(&mut vault);

    let listing = call(&mut vault, "list_credentials", json!({"query": null})).unwrap();
    assert_eq!(listing["total"], 1);
    let row = &listing["rows"][0];
    assert_eq!(
        (row["name"].as_str(), row["status"].as_str()),
        (Some("ledger sync"), Some("active"))
    );
    assert_eq!(row["owner_name"], "Cleo Member");
    assert_eq!(row["days_left"], 45);
    assert!(row["refusal"].is_null(), "the account holder manages it");
    assert!(
        row.get("token").is_none() && row.get("digest").is_none(),
        "{row}"
    );

    // The typed confirmation is the definition's, for every door that sends one.
    let wrong = json!({"id": id, "confirm_name": "ledger"});
    assert_eq!(
        call(&mut vault, "revoke_credential", wrong),
        Err(ErrorCode::ConfirmationMismatch)
    );
    let detail = call(&mut vault, "credential_detail", json!({"id": id})).unwrap();
    assert_eq!(detail["credential"]["status"], "active", "nothing changed");
    let revoked = call(
        &mut vault,
        "revoke_credential",
        json!({"id": id, "confirm_name": " ledger sync "}),
    )
    .unwrap();
    assert_eq!(revoked["status"], "revoked");
    let counts = call(&mut vault, "credential_counts", json!({})).unwrap();
    assert_eq!(counts, json!({"in_vault": 1, "expiring_soon": 0}));

    // A renewal's end is computed below the doors: a day the old one ends, a day the new one
    // expires.
    let (_, second) = team_second(&mut vault);
    let renewed = call(
        &mut vault,
        "renew_credential",
        json!({"id": second, "old_ends_on": "2026-12-03", "expires_on": "2027-03-01"}),
    )
    .unwrap();
    assert_eq!(renewed["credential"]["expires_at"], "2027-03-01T00:00:00Z");
    let old = call(&mut vault, "credential_detail", json!({"id": second})).unwrap();
    assert_eq!(old["credential"]["expires_at"], "2026-12-03T00:00:00Z");
    assert_eq!(old["credential"]["status"], "superseded");
}

/// A second credential of Cleo's, for the renewal.
fn team_second(vault: &mut Vault) -> (i64, i64) {
    let users = call(vault, "people_overview", json!({})).unwrap();
    let cleo = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["email"] == "cleo@example.com")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let issued = call(
        vault,
        "issue_credential",
        json!({"request": {
            "kind": "personal_access_token", "owner_id": cleo, "name": "report export",
            "description": "", "scopes": ["ledger:read"], "rights": "read",
            "applications": ["Ledger"], "rate_limit": null, "expires_on": "2027-01-15"}}),
    )
    .unwrap();
    (cleo, issued["credential"]["id"].as_i64().unwrap())
}

#[test]
fn reads_are_reads_a_vault_opened_for_reading_serves_them_all() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let (_, id) = team(&mut vault);
    drop(vault);
    let mut read_only = Vault::unlock_read_only(
        &fx.path,
        &Secret::from(PASSPHRASE),
        Arc::new(fx.clock.clone()),
    )
    .unwrap();
    let mut served = 0;
    for name in NAMES
        .iter()
        .filter(|name| effect_of(name) != Some(Effect::Change))
    {
        // Each read, with the requests they take: none, a credential, a webhook, a query.
        let requests = [
            json!({}),
            json!({"id": id}),
            json!({"query": {"limit": 10, "offset": 0}, "format": "json"}),
            json!({"format": "json"}),
            json!({"user": null, "app": null}),
        ];
        let answer = requests
            .into_iter()
            .map(|request| dispatch(name, request, &mut read_only))
            .find(|answer| !matches!(answer, Err(CallError::BadRequest(_))));
        match answer {
            Some(Err(CallError::Core(error))) => {
                // Not found is an answer (no webhook 1); a write attempt is not.
                assert_ne!(error.code(), ErrorCode::VaultReadOnly, "{name} writes");
                assert_ne!(
                    error.code(),
                    ErrorCode::Forbidden,
                    "{name} refused the holder"
                );
            }
            Some(Err(other)) => panic!("{name}: {other}"),
            Some(Ok(_)) => served += 1,
            None => panic!("{name}: no request fits it; add one above"),
        }
    }
    assert!(served > 20, "only {served} reads answered");
    assert!(matches!(
        dispatch(
            "update_settings",
            json!({"settings": read_only.settings().unwrap()}),
            &mut read_only
        ),
        Err(CallError::Core(keysmith_core::Error::VaultReadOnly))
    ));
}

#[test]
fn a_member_is_refused_by_the_same_definitions_whatever_door_they_use() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let (cleo, id) = team(&mut vault);
    vault
        .add_operator(
            UserId(cleo),
            &Secret::from(MEMBER_PASSPHRASE),
            KdfParams::MINIMUM,
        )
        .unwrap();
    let mut member = fx.unlock(MEMBER_PASSPHRASE);

    let promote = json!({"id": cleo, "name": "Cleo Member", "email": "cleo@example.com",
                         "role": "admin", "api_access": true});
    assert_eq!(
        call(&mut member, "save_user", promote),
        Err(ErrorCode::Forbidden)
    );
    assert_eq!(
        call(&mut member, "export_inventory", json!({"format": "json"})),
        Err(ErrorCode::Forbidden)
    );
    let people = call(&mut vault, "people_overview", json!({})).unwrap();
    let cleo_now = people["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == cleo)
        .cloned();
    assert_eq!(cleo_now.unwrap()["role"], "member", "nothing changed");

    // Her own credential is hers to manage.
    let row = call(
        &mut member,
        "set_credential_enabled",
        json!({"id": id, "enabled": false}),
    )
    .unwrap();
    assert_eq!(row["status"], "disabled");
    assert!(row["refusal"].is_null());
}
