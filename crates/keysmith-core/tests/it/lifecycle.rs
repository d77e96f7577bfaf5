//! The credential lifecycle beyond issue and revoke: disable and enable, edit, renew, delete.
//! Each refusal is checked to leave the credentials and the audit log unchanged.

use crate::common::{history_of, snapshot, Fixture};
use chrono::Duration;
use keysmith_core::{
    CredentialEdit, Description, InactiveReason, Name, NewCredential, Renewal, Status, Verification,
};

fn renewal(fx: &Fixture, name: &str, old_ends_in: Duration) -> Renewal {
    Renewal {
        old_ends_at: fx.clock_now() + old_ends_in,
        new_expiry: None,
        name: Some(Name::new(name).unwrap()),
        description: Some(Description::new("rotated").unwrap()),
    }
}

#[test]
fn disabled_tokens_fail_verification_until_enabled_again() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&fx.new_credential("sync", 30)).unwrap();
    let id = issued.credential.id;

    let disabled = vault.set_enabled(id, false).unwrap();
    assert_eq!(disabled.status(fx.clock_now()), Status::Disabled);
    assert_eq!(disabled.disabled_at, Some(fx.clock_now()));
    assert_eq!(
        vault.verify(issued.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Disabled)
    );
    // Disabling twice changes nothing and writes no second audit row.
    let before = snapshot(&vault);
    vault.set_enabled(id, false).unwrap();
    assert_eq!(snapshot(&vault), before);

    let enabled = vault.set_enabled(id, true).unwrap();
    assert_eq!(enabled.status(fx.clock_now()), Status::Active);
    assert!(matches!(
        vault.verify(issued.token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    let actions: Vec<String> = vault
        .audit_log(Some(id))
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        actions,
        [
            "credential.issued",
            "credential.disabled",
            "credential.enabled"
        ]
    );
}

#[test]
fn a_revoked_credential_can_be_neither_enabled_nor_disabled_nor_renewed() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let id = vault
        .issue(&fx.new_credential("gone", 30))
        .unwrap()
        .credential
        .id;
    vault.revoke(id).unwrap();
    let before = snapshot(&vault);
    assert_eq!(
        vault.set_enabled(id, true).unwrap_err().code(),
        "already_revoked"
    );
    assert_eq!(
        vault.set_enabled(id, false).unwrap_err().code(),
        "already_revoked"
    );
    let err = vault
        .renew(id, &renewal(&fx, "gone 2", Duration::zero()))
        .unwrap_err();
    assert_eq!(err.code(), "already_revoked");
    assert_eq!(snapshot(&vault), before);
}

#[test]
fn only_the_description_is_edited() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&fx.new_credential("billing", 30)).unwrap();
    let id = issued.credential.id;
    let change = CredentialEdit {
        description: Some(Description::new("billing exports, nightly").unwrap()),
        ..CredentialEdit::default()
    };
    let edited = vault.edit(id, &change).unwrap();
    assert_eq!(edited.description, "billing exports, nightly");
    assert_eq!(edited.name, issued.credential.name);
    assert_eq!(edited.expires_at, issued.credential.expires_at);
    assert!(Description::new(&"x".repeat(1001)).is_err());
    drop(vault);
    let vault = fx.unlock(crate::common::PASSPHRASE).unwrap();
    assert_eq!(
        vault.credential(id).unwrap().description,
        "billing exports, nightly"
    );
}

#[test]
fn renewal_issues_a_linked_successor_and_ends_the_old_token_on_its_date() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault.issue(&fx.new_credential("deploy", 30)).unwrap();
    fx.clock.advance(Duration::days(10));

    let new = vault
        .renew(
            old.credential.id,
            &renewal(&fx, "deploy 2", Duration::hours(24)),
        )
        .unwrap();
    assert_ne!(new.token.expose(), old.token.expose());
    assert_eq!(new.credential.renewed_from, Some(old.credential.id));
    assert_eq!(new.credential.description, "rotated");
    assert_eq!(new.credential.kind, old.credential.kind);
    // Same 30-day lifetime, counted from today, to a date (00:00 UTC) like every expiry.
    assert_eq!(new.credential.expires_at, start_of_day_in(&fx, 30));
    assert_eq!(
        vault.successor(old.credential.id).unwrap(),
        Some(new.credential.id)
    );
    assert_eq!(
        vault.credential(old.credential.id).unwrap().expires_at,
        fx.clock_now() + Duration::hours(24)
    );

    // Both work until the old one's end date; then only the new one.
    assert!(matches!(
        vault.verify(old.token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    assert!(matches!(
        vault.verify(new.token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    fx.clock.advance(Duration::hours(24));
    assert_eq!(
        vault.verify(old.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Expired)
    );
    assert!(matches!(
        vault.verify(new.token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    let renewed = vault.audit_log(Some(old.credential.id)).unwrap();
    assert_eq!(renewed.last().unwrap().action, "credential.renewed");
}

#[test]
fn a_renewed_expiry_never_exceeds_365_days() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault.issue(&fx.new_credential("yearly", 365)).unwrap();
    fx.clock.advance(Duration::days(200));
    let new = vault
        .renew(
            old.credential.id,
            &renewal(&fx, "yearly 2", Duration::zero()),
        )
        .unwrap();
    assert_eq!(new.credential.expires_at, start_of_day_in(&fx, 365));
}

/// 00:00 UTC of the day `days` after the fixture's today.
fn start_of_day_in(fx: &Fixture, days: i64) -> chrono::DateTime<chrono::Utc> {
    (fx.clock_now().date_naive() + Duration::days(days))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
}

/// Renewing keeps the name (the old credential steps aside), the description and the
/// auto-renewal settings unless they are given; another current credential's name is still
/// taken.
#[test]
fn a_renewal_keeps_the_name_description_and_auto_renewal_settings() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault
        .issue(&NewCredential {
            description: Description::new("nightly exports").unwrap(),
            ..fx.new_credential("exports", 30)
        })
        .unwrap();
    let settings = serde_json::json!({ "auto_renewal": {
        "every_days": 7,
        "recipient": "ops@example.com",
        "callback_url": "https://hooks.example.com/renewed",
    }});
    let edit = CredentialEdit::from_fields(settings.as_object().unwrap()).unwrap();
    vault.edit(old.credential.id, &edit).unwrap();
    vault.issue(&fx.new_credential("other", 30)).unwrap();

    let taken = Renewal {
        name: Some(Name::new("other").unwrap()),
        ..renewal(&fx, "unused", Duration::hours(1))
    };
    assert_eq!(
        vault.renew(old.credential.id, &taken).unwrap_err().code(),
        "duplicate_name"
    );
    let kept = Renewal {
        old_ends_at: fx.clock_now() + Duration::hours(1),
        new_expiry: None,
        name: None,
        description: None,
    };
    let new = vault.renew(old.credential.id, &kept).unwrap();
    assert_eq!(new.credential.name, "exports");
    assert_eq!(new.credential.description, "nightly exports");
    assert_eq!(
        vault.auto_renewal(new.credential.id).unwrap(),
        vault.auto_renewal(old.credential.id).unwrap()
    );
    assert!(vault.auto_renewal(new.credential.id).unwrap().is_some());
    // The successor now holds the name: a third "exports" is refused.
    let clash = vault.issue(&fx.new_credential("exports", 30)).unwrap_err();
    assert_eq!(clash.code(), "duplicate_name");
}

#[test]
fn an_expired_credential_can_be_renewed_and_keeps_its_expiry() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault.issue(&fx.new_credential("lapsed", 7)).unwrap();
    fx.clock.advance(Duration::days(9));
    let new = vault
        .renew(
            old.credential.id,
            &renewal(&fx, "lapsed 2", Duration::zero()),
        )
        .unwrap();
    assert_eq!(
        vault.credential(old.credential.id).unwrap().expires_at,
        old.credential.expires_at
    );
    assert!(matches!(
        vault.verify(new.token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
}

#[test]
fn bad_renewals_are_refused_and_write_nothing() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault.issue(&fx.new_credential("api", 30)).unwrap();
    let id = old.credential.id;
    let before = snapshot(&vault);

    let past = renewal(&fx, "api 2", -Duration::hours(1));
    assert_eq!(
        vault.renew(id, &past).unwrap_err().code(),
        "invalid_end_date"
    );
    let beyond = renewal(&fx, "api 2", Duration::days(31));
    assert_eq!(
        vault.renew(id, &beyond).unwrap_err().code(),
        "invalid_end_date"
    );
    let too_long = Renewal {
        name: None,
        ..renewal(&fx, "api 2", Duration::days(400))
    };
    assert_eq!(
        vault.renew(id, &too_long).unwrap_err().code(),
        "invalid_end_date"
    );
    assert_eq!(
        snapshot(&vault),
        before,
        "a refused renewal changed the vault"
    );
}

#[test]
fn deleting_removes_the_row_and_keeps_its_history() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault.issue(&fx.new_credential("temp", 30)).unwrap();
    let new = vault
        .renew(
            old.credential.id,
            &renewal(&fx, "temp 2", Duration::hours(1)),
        )
        .unwrap();
    vault.delete(old.credential.id).unwrap();

    assert_eq!(
        vault.verify(old.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Unknown)
    );
    assert_eq!(
        vault.credential(old.credential.id).unwrap_err().code(),
        "credential_not_found"
    );
    assert_eq!(vault.list_credentials().unwrap().len(), 1);
    // The successor survives; its link to the deleted row is cleared.
    assert_eq!(
        vault.credential(new.credential.id).unwrap().renewed_from,
        None
    );
    assert_eq!(
        history_of(&vault, old.credential.id),
        [
            "credential.issued",
            "credential.renewed",
            "credential.deleted"
        ]
    );
    assert_eq!(vault.verify_audit_chain().unwrap().first_broken, None);
    assert_eq!(
        vault.delete(old.credential.id).unwrap_err().code(),
        "credential_not_found"
    );
}

fn fields(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().unwrap().clone()
}

#[test]
fn auto_renewal_settings_are_stored_changed_and_turned_off() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let id = vault
        .issue(&fx.new_credential("nightly", 90))
        .unwrap()
        .credential
        .id;
    assert_eq!(vault.auto_renewal(id).unwrap(), None);

    let on = CredentialEdit::from_fields(&fields(serde_json::json!({
        "auto_renewal": {
            "every_days": 14,
            "recipient": "ops@example.com",
            "callback_url": "https://hooks.example.com/keysmith"
        }
    })))
    .unwrap();
    vault.edit(id, &on).unwrap();
    let stored = vault.auto_renewal(id).unwrap().unwrap();
    assert_eq!(stored.every_days, 14);
    assert_eq!(String::from(stored.recipient), "ops@example.com");
    assert_eq!(
        stored.callback_url.map(String::from).as_deref(),
        Some("https://hooks.example.com/keysmith")
    );

    let off =
        CredentialEdit::from_fields(&fields(serde_json::json!({ "auto_renewal": null }))).unwrap();
    vault.edit(id, &off).unwrap();
    assert_eq!(vault.auto_renewal(id).unwrap(), None);
    let last = vault.audit_log(Some(id)).unwrap().pop().unwrap();
    assert_eq!(last.action, "credential.edited");
    assert!(last.details.contains("auto_renewal"));
}

#[test]
fn edits_to_anything_else_are_refused_and_write_nothing() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let id = vault
        .issue(&fx.new_credential("fixed", 30))
        .unwrap()
        .credential
        .id;
    for field in ["name", "expires_at", "scopes", "kind", "token_hint"] {
        let err =
            CredentialEdit::from_fields(&fields(serde_json::json!({ field: "x" }))).unwrap_err();
        assert_eq!(err.code(), "immutable_field", "{field}");
        assert!(err.to_string().starts_with(field));
    }
    // A valid field beside an immutable one: nothing at all is applied.
    let mixed = fields(serde_json::json!({ "description": "new", "name": "renamed" }));
    assert_eq!(
        CredentialEdit::from_fields(&mixed).unwrap_err().code(),
        "immutable_field"
    );
    let bad = [
        (serde_json::json!({ "description": 5 }), "invalid_edit"),
        (
            serde_json::json!({ "auto_renewal": { "every_days": 0, "recipient": "ops@example.com" } }),
            "invalid_auto_renewal",
        ),
        (
            serde_json::json!({ "auto_renewal": { "every_days": 7, "recipient": "nobody" } }),
            "invalid_email",
        ),
        (
            serde_json::json!({ "auto_renewal": {
                "every_days": 7,
                "recipient": "ops@example.com",
                "callback_url": "http://hooks.example.com"
            } }),
            "invalid_auto_renewal",
        ),
        (
            serde_json::json!({ "auto_renewal": { "days": 7 } }),
            "invalid_edit",
        ),
    ];
    for (value, code) in bad {
        let err = CredentialEdit::from_fields(&fields(value.clone())).unwrap_err();
        assert_eq!(err.code(), code, "{value}");
    }

    vault.revoke(id).unwrap();
    let before = snapshot(&vault);
    let change = CredentialEdit {
        description: Some(Description::new("too late").unwrap()),
        ..CredentialEdit::default()
    };
    assert_eq!(
        vault.edit(id, &change).unwrap_err().code(),
        "already_revoked"
    );
    assert_eq!(snapshot(&vault), before);
}

#[test]
fn the_lifetime_policy_caps_issue_and_renew_and_lowering_it_cuts_nothing() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let long = vault
        .issue(&fx.new_credential("long", 90))
        .unwrap()
        .credential;
    let settings = keysmith_core::Settings {
        max_lifetime_days: 30,
        ..vault.settings().unwrap()
    };
    vault.update_settings(settings).unwrap();

    let before = snapshot(&vault);
    let refused = vault.issue(&fx.new_credential("too long", 31)).unwrap_err();
    assert_eq!(refused.code(), "expiry_beyond_policy");
    assert!(refused.to_string().contains("at most 30 days"), "{refused}");
    assert_eq!(snapshot(&vault), before, "a refused issue writes nothing");
    vault.issue(&fx.new_credential("month", 30)).unwrap();

    // The 90-day credential keeps its expiry; its successor obeys the policy.
    assert_eq!(
        vault.credential(long.id).unwrap().expires_at,
        long.expires_at
    );
    let successor = vault
        .renew(long.id, &renewal(&fx, "long", Duration::hours(1)))
        .unwrap()
        .credential;
    let lifetime = successor.expires_at - fx.clock_now();
    assert!(lifetime <= Duration::days(30), "{lifetime:?}");
    assert!(lifetime > Duration::days(29), "{lifetime:?}");

    let odd = keysmith_core::Settings {
        max_lifetime_days: 45,
        ..vault.settings().unwrap()
    };
    assert_eq!(
        vault.update_settings(odd).unwrap_err().code(),
        "invalid_lifetime_policy"
    );
}

#[test]
fn an_auto_renewal_period_must_come_before_the_expiry() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let monthly = vault
        .issue(&fx.new_credential("monthly", 30))
        .unwrap()
        .credential;
    let every = |days: u32| {
        CredentialEdit::from_fields(&fields(serde_json::json!({
            "auto_renewal": { "every_days": days, "recipient": "ops@example.com" }
        })))
        .unwrap()
    };
    let before = snapshot(&vault);
    let refused = vault.edit(monthly.id, &every(30)).unwrap_err();
    assert_eq!(refused.code(), "renewal_period_too_long");
    assert_eq!(snapshot(&vault), before);
    vault.edit(monthly.id, &every(29)).unwrap();
    assert_eq!(
        vault.auto_renewal(monthly.id).unwrap().unwrap().every_days,
        29
    );
}

#[test]
fn a_credential_issued_switched_off_verifies_only_once_enabled() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let request = keysmith_core::IssueRequest {
        fields: keysmith_core::CredentialFields {
            kind: keysmith_core::TokenKind::PersonalAccessToken,
            owner_id: Some(crate::common::HOLDER),
            name: "go-live".into(),
            description: String::new(),
            scopes: vec!["payables:read".into()],
            rights: keysmith_core::Rights::Read,
            applications: vec![crate::common::APPLICATION.into()],
            rate_limit: None,
            max_uses: None,
            refill: None,
            allowed_ips: Vec::new(),
        },
        expires_on: (fx.clock_now() + chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string(),
        disabled: true,
    };
    let issued = vault
        .issue(&request.validate(fx.clock_now()).unwrap())
        .unwrap();
    assert_eq!(
        issued.credential.status(fx.clock_now()),
        keysmith_core::Status::Disabled
    );
    assert_eq!(
        vault.verify(issued.token.expose(), None, None).unwrap(),
        keysmith_core::Verification::Inactive(keysmith_core::InactiveReason::Disabled)
    );
    let issued_row = vault.audit_log(Some(issued.credential.id)).unwrap();
    let details: serde_json::Value = serde_json::from_str(&issued_row[0].details).unwrap();
    assert_eq!(details["disabled"], true);
    vault.set_enabled(issued.credential.id, true).unwrap();
    assert!(matches!(
        vault.verify(issued.token.expose(), None, None).unwrap(),
        keysmith_core::Verification::Active(_)
    ));
}
