//! The vault end to end through the public API, against real SQLCipher files in temp dirs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common::{Fixture, PASSPHRASE};
use chrono::Duration;
use keysmith_core::{
    ApiSettings, Expiry, InactiveReason, KdfParams, Secret, Settings, Status, Vault, Verification,
};
use sha2::{Digest, Sha256};

fn sha256_of(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn create_issue_reopen_verify() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&fx.new_credential("ci deploy", 30)).unwrap();
    let token = issued.token.expose().to_owned();
    assert!(token.starts_with("ks_pat_"));
    drop(vault);

    let vault = fx.unlock(PASSPHRASE).unwrap();
    match vault.verify(&token, None, None).unwrap() {
        Verification::Active(verified) => {
            let credential = &verified.credential;
            assert_eq!(credential.id, issued.credential.id);
            assert_eq!(credential.owner_name.as_deref(), Some("Ada Holder"));
            assert_eq!(verified.scopes, ["payables:read"]);
            assert_eq!(credential.name, "ci deploy");
            assert_eq!(credential.description, "for the nightly export");
            assert_eq!(credential.token_hint, format!("{}…", &token[..11]));
        }
        other => panic!("expected active, got {other:?}"),
    }
    let listed = vault.list_credentials().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status(fx.clock_now()), Status::Active);
}

#[test]
fn a_wrong_passphrase_fails_and_leaves_the_files_byte_identical() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    vault.issue(&fx.new_credential("ci deploy", 30)).unwrap();
    drop(vault); // closing checkpoints the WAL into the main file
    let before = sha256_of(&fx.path);
    let header = PathBuf::from(format!("{}.keys", fx.path.display()));
    let header_before = sha256_of(&header);

    let err = fx.unlock("not the passphrase").unwrap_err();
    assert_eq!(err.code(), "wrong_passphrase");
    assert_eq!(err.to_string(), "Wrong passphrase");
    assert_eq!(sha256_of(&fx.path), before);
    assert_eq!(sha256_of(&header), header_before);
    // And the right one still works afterwards.
    fx.unlock(PASSPHRASE).unwrap();
}

#[test]
fn the_files_hold_no_token_and_are_not_plain_sqlite() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let tokens: Vec<String> = (0..20)
        .map(|i| {
            let issued = vault
                .issue(&fx.new_credential(&format!("token {i}"), 90))
                .unwrap();
            issued.token.expose().to_owned()
        })
        .collect();
    // Look while the vault is open (pages still in the WAL) and after it is closed.
    for bytes in [fx.all_bytes(), {
        drop(vault);
        fx.all_bytes()
    }] {
        for token in &tokens {
            assert!(!contains(&bytes, token.as_bytes()), "a token is on disk");
            // Not even the random body alone.
            assert!(!contains(&bytes, &token.as_bytes()[7..50]));
        }
        assert!(!contains(&bytes, b"token 3"), "names are encrypted too");
    }
    let db = std::fs::read(&fx.path).unwrap();
    assert!(!db.starts_with(b"SQLite format 3"));
}

#[test]
fn an_expiry_past_365_days_is_refused_and_writes_nothing() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let now = fx.clock_now();
    let err = Expiry::new(now + Duration::days(366), now).unwrap_err();
    assert_eq!(err.code(), "expiry_too_far");
    assert_eq!(
        err.to_string(),
        "Expiry must be within 365 days; you chose 366"
    );
    assert!(vault.list_credentials().unwrap().is_empty());
    // The boundary itself is allowed.
    vault.issue(&fx.new_credential("a year", 365)).unwrap();
}

#[test]
fn revoked_tokens_no_longer_verify() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&fx.new_credential("to revoke", 30)).unwrap();
    let revoked = vault.revoke(issued.credential.id).unwrap();
    assert_eq!(revoked.status(fx.clock_now()), Status::Revoked);
    assert_eq!(
        vault.verify(issued.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Revoked)
    );
    assert_eq!(
        vault.revoke(issued.credential.id).unwrap_err().code(),
        "already_revoked"
    );
    // Survives reopening.
    drop(vault);
    let vault = fx.unlock(PASSPHRASE).unwrap();
    assert_eq!(
        vault.verify(issued.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Revoked)
    );
}

#[test]
fn tokens_expire_with_the_clock() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&fx.new_credential("short", 1)).unwrap();
    fx.clock.advance(Duration::hours(23));
    assert!(matches!(
        vault.verify(issued.token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    fx.clock.advance(Duration::hours(1));
    assert_eq!(
        vault.verify(issued.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Expired)
    );
}

#[test]
fn one_changed_character_is_malformed_and_an_unissued_token_unknown() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&fx.new_credential("typo", 30)).unwrap();
    let token = issued.token.expose();
    let mut chars: Vec<char> = token.chars().collect();
    chars[20] = if chars[20] == 'a' { 'b' } else { 'a' };
    let typo: String = chars.into_iter().collect();
    assert_eq!(
        vault.verify(&typo, None, None).unwrap(),
        Verification::Inactive(InactiveReason::Malformed)
    );
    let stranger = keysmith_core::token::generate(keysmith_core::TokenKind::PersonalAccessToken);
    assert_eq!(
        vault.verify(stranger.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Unknown)
    );
}

#[test]
fn a_token_from_another_vault_is_unknown_here() {
    let (a, b) = (Fixture::new(), Fixture::new());
    let mut vault_a = a.create();
    let vault_b = b.create();
    let issued = vault_a.issue(&a.new_credential("elsewhere", 30)).unwrap();
    assert_eq!(
        vault_b.verify(issued.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Unknown)
    );
}

#[test]
fn names_are_unique_among_unrevoked_credentials() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let first = vault.issue(&fx.new_credential("deploy", 30)).unwrap();
    let err = vault.issue(&fx.new_credential("deploy", 30)).unwrap_err();
    assert_eq!(err.code(), "duplicate_name");
    assert_eq!(vault.list_credentials().unwrap().len(), 1);
    vault.revoke(first.credential.id).unwrap();
    vault.issue(&fx.new_credential("deploy", 30)).unwrap();
}

#[test]
fn weak_passphrases_and_existing_vaults_are_refused() {
    let fx = Fixture::new();
    let clock = Arc::new(fx.clock.clone());
    let err = Vault::create(
        &fx.path,
        &Secret::from("eleven char"),
        &crate::common::holder(),
        KdfParams::MINIMUM,
        clock.clone(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "weak_passphrase");
    assert!(!fx.path.exists());
    drop(fx.create());
    let err = Vault::create(
        &fx.path,
        &Secret::from(PASSPHRASE),
        &crate::common::holder(),
        KdfParams::MINIMUM,
        clock,
    )
    .unwrap_err();
    assert_eq!(err.code(), "vault_exists");
    fx.unlock(PASSPHRASE).unwrap();
}

#[test]
fn unlocking_a_missing_vault_says_so() {
    let fx = Fixture::new();
    assert_eq!(fx.unlock(PASSPHRASE).unwrap_err().code(), "vault_not_found");
    assert!(!Vault::exists(&fx.path));
}

#[test]
fn settings_persist_and_are_validated() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    assert_eq!(vault.settings().unwrap(), Settings::default());
    let changed = Settings {
        clipboard_clear_seconds: 5,
        auto_lock_minutes: 2,
        lock_on_screen_lock: false,
        lock_on_sleep: false,
        keep_running_in_tray: true,
        organization_tokens: false,
        max_lifetime_days: 90,
        api: ApiSettings {
            enabled: true,
            port: 8711,
            ..ApiSettings::default()
        },
    };
    vault.update_settings(changed).unwrap();
    let bad = Settings {
        clipboard_clear_seconds: 0,
        ..changed
    };
    assert_eq!(
        vault.update_settings(bad).unwrap_err().code(),
        "invalid_setting"
    );
    let unconfirmed = Settings {
        api: ApiSettings {
            address: "192.0.2.1".parse().unwrap(),
            ..changed.api
        },
        ..changed
    };
    assert_eq!(
        vault.update_settings(unconfirmed).unwrap_err().code(),
        "remote_bind_unconfirmed"
    );
    drop(vault);
    assert_eq!(fx.unlock(PASSPHRASE).unwrap().settings().unwrap(), changed);
}

#[test]
fn the_audit_log_records_each_step_and_its_chain_holds() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&fx.new_credential("audited", 30)).unwrap();
    vault.revoke(issued.credential.id).unwrap();
    drop(vault);
    let vault = fx.unlock(PASSPHRASE).unwrap();
    let actions: Vec<String> = vault
        .audit_log(None)
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        actions,
        [
            "vault.created",
            "credential.issued",
            "credential.revoked",
            "vault.unlocked"
        ]
    );
    let for_credential = vault.audit_log(Some(issued.credential.id)).unwrap();
    assert_eq!(for_credential.len(), 2);
    assert!(for_credential
        .iter()
        .all(|e| e.actor == "Ada Holder <ada@example.com>"));
    assert_eq!(vault.verify_audit_chain().unwrap().first_broken, None);
    let log = format!("{:?}", vault.audit_log(None).unwrap());
    assert!(!log.contains(issued.token.expose()));
}

/// Someone holding the key edits a row of the log through a connection of their own, past the
/// append-only triggers: the chain check names exactly that row, as it reads now.
#[test]
fn the_chain_check_names_the_row_edited_from_a_second_connection() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    for name in ["one", "two", "three"] {
        vault.issue(&fx.new_credential(name, 30)).unwrap();
    }
    let log = vault.audit_log(None).unwrap();
    let intact = vault.verify_audit_chain().unwrap();
    assert_eq!(
        (intact.checked as usize, intact.first_broken),
        (log.len(), None)
    );

    let edited = log[2].seq;
    let raw = vault.raw_connection().unwrap();
    raw.execute_batch("DROP TRIGGER audit_no_update").unwrap();
    raw.execute(
        "UPDATE audit SET actor = 'Mallory <m@example.com>' WHERE seq = ?1",
        [edited],
    )
    .unwrap();
    drop(raw);

    let verdict = vault.verify_audit_chain().unwrap();
    let broken = verdict.first_broken.expect("the edit is found");
    assert_eq!(broken.seq, edited);
    assert_eq!(broken.actor, "Mallory <m@example.com>");
    assert_eq!(i64::from(verdict.checked), edited);
}
