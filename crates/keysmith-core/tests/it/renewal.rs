//! The renewal service on a manual clock: due every x days from issue, the successor's
//! fields, its secret held until handed over once (then wiped), catch-up oldest first, a
//! refused renewal's reason and retry, "Renew now", and who may do what.

use chrono::Duration;
use keysmith_core::{CredentialEdit, CredentialId, EmailAddress, Role, Vault, Verification};

use crate::common::{history_of, Fixture};
use crate::team::{credential, user, Team};

/// Turns auto-renewal on for `id`, every `days` days, calling `callback` if given.
fn auto_renew(vault: &mut Vault, id: CredentialId, days: u32, callback: Option<&str>) {
    let edit = CredentialEdit {
        auto_renewal: Some(Some(keysmith_core::AutoRenewal {
            every_days: days,
            recipient: EmailAddress::try_from("ops@example.com".to_owned()).unwrap(),
            callback_url: callback.map(|url| url.to_owned().try_into().unwrap()),
        })),
        ..CredentialEdit::default()
    };
    vault.edit(id, &edit).unwrap();
}

/// Turns auto-renewal on for `id`, every `days` days.
fn every(vault: &mut Vault, id: CredentialId, days: u32) {
    auto_renew(vault, id, days, None);
}

fn held_token(vault: &Vault, successor: CredentialId) -> Option<String> {
    vault
        .raw_connection()
        .unwrap()
        .query_row(
            "SELECT token FROM renewal_handovers WHERE successor_id = ?1",
            [successor.0],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn a_due_credential_is_renewed_and_its_secret_waits_to_be_handed_over_once() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault.issue(&fx.new_credential("nightly", 30)).unwrap();
    every(&mut vault, old.credential.id, 10);

    fx.clock.advance(Duration::days(10) - Duration::seconds(1));
    assert!(vault.run_due_renewals().unwrap().is_empty(), "not yet due");
    fx.clock.advance(Duration::seconds(1));
    let successors = vault.run_due_renewals().unwrap();
    assert_eq!(successors.len(), 1);
    assert!(vault.run_due_renewals().unwrap().is_empty(), "renewed once");

    let new = vault.credential(successors[0]).unwrap();
    let was = &old.credential;
    assert_eq!(new.name, was.name);
    assert_eq!(
        (
            new.kind,
            new.owner_id,
            &new.scopes,
            new.rights,
            &new.applications,
            new.rate_limit
        ),
        (
            was.kind,
            was.owner_id,
            &was.scopes,
            was.rights,
            &was.applications,
            was.rate_limit
        )
    );
    assert_eq!(new.renewed_from, Some(was.id));
    assert_eq!(
        (new.expires_at - new.created_at).num_days(),
        29,
        "the old lifetime in days, to a date"
    );
    assert_eq!(vault.auto_renewal(new.id).unwrap().unwrap().every_days, 10);
    // The old token runs on to its expiry, naming its successor.
    assert_eq!(vault.credential(was.id).unwrap().expires_at, was.expires_at);
    assert!(matches!(
        vault.verify(old.token.expose(), None, None).unwrap(),
        Verification::Active(v) if v.superseded_by == Some(new.id) && v.expires_at == was.expires_at
    ));
    let log = vault.audit_log(Some(was.id)).unwrap();
    let renewed = log.last().unwrap();
    assert_eq!(
        (renewed.action.as_str(), renewed.actor.as_str()),
        ("credential.auto_renewed", "Keysmith renewal service")
    );

    let waiting = vault.pending_handovers().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].successor_id, waiting[0].predecessor_id),
        (new.id, was.id)
    );
    assert!(held_token(&vault, new.id).is_some());
    let token = vault.hand_over(new.id).unwrap();
    assert!(matches!(
        vault.verify(token.expose(), None, None).unwrap(),
        Verification::Active(v) if v.credential.id == new.id && v.superseded_by.is_none()
    ));
    assert_eq!(held_token(&vault, new.id), None, "wiped once handed over");
    assert_eq!(
        vault.hand_over(new.id).unwrap_err().code(),
        "already_handed_over"
    );
    assert!(vault.pending_handovers().unwrap().is_empty());
    assert_eq!(
        history_of(&vault, new.id).last().unwrap(),
        "credential.handed_over"
    );
}

#[test]
fn renewals_that_fell_due_while_nothing_ran_happen_oldest_due_first() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let late = vault
        .issue(&fx.new_credential("late", 60))
        .unwrap()
        .credential;
    let early = vault
        .issue(&fx.new_credential("early", 60))
        .unwrap()
        .credential;
    every(&mut vault, late.id, 20);
    every(&mut vault, early.id, 5);
    fx.clock.advance(Duration::days(25));
    let successors = vault.run_due_renewals().unwrap();
    let renewed: Vec<CredentialId> = successors
        .iter()
        .map(|id| vault.credential(*id).unwrap().renewed_from.unwrap())
        .collect();
    assert_eq!(renewed, [early.id, late.id]);
    assert!(vault.run_due_renewals().unwrap().is_empty());
}

#[test]
fn a_refused_renewal_says_why_and_is_tried_again_an_hour_later() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let cleo = team.member;
    let mut cleos = credential(
        now,
        keysmith_core::TokenKind::PersonalAccessToken,
        Some(cleo),
        "cleo's",
        &["payables:read"],
    );
    cleos.expiry = keysmith_core::Expiry::new(now + Duration::days(30), now).unwrap();
    let id = team.vault.issue(&cleos).unwrap().credential.id;
    every(&mut team.vault, id, 7);
    team.vault
        .update_user(cleo, &user("Cleo Member", Role::Member, false))
        .unwrap();
    team.fx.clock.advance(Duration::days(7));
    assert!(team.vault.run_due_renewals().unwrap().is_empty());
    let why = team.vault.auto_renewal_failure(id).unwrap().unwrap();
    assert!(why.contains("API access"), "{why}");

    team.vault
        .update_user(cleo, &user("Cleo Member", Role::Member, true))
        .unwrap();
    team.fx.clock.advance(Duration::minutes(59));
    assert!(
        team.vault.run_due_renewals().unwrap().is_empty(),
        "retried within the hour"
    );
    team.fx.clock.advance(Duration::minutes(1));
    assert_eq!(team.vault.run_due_renewals().unwrap().len(), 1);
    assert_eq!(team.vault.auto_renewal_failure(id).unwrap(), None);
}

#[test]
fn renew_now_runs_the_automatic_flow_for_whoever_manages_the_credential() {
    let mut team = Team::new();
    let holders = team
        .vault
        .issue(&team.fx.new_credential("holder's", 30))
        .unwrap()
        .credential;
    assert_eq!(
        team.vault.renew_now(holders.id).unwrap_err().code(),
        "invalid_auto_renewal",
        "auto-renewal off"
    );
    every(&mut team.vault, holders.id, 10);
    let mut member = team.unlock_as_member();
    assert_eq!(
        member.renew_now(holders.id).unwrap_err().code(),
        "forbidden"
    );
    assert!(member.pending_handovers().unwrap().is_empty());
    let successor = team.vault.renew_now(holders.id).unwrap();
    assert_eq!(
        team.vault.pending_handovers().unwrap()[0].successor_id,
        successor
    );
    assert!(
        member.pending_handovers().unwrap().is_empty(),
        "not the member's to see"
    );
    assert_eq!(member.hand_over(successor).unwrap_err().code(), "forbidden");
    // Audited as the holder's own renewal, not an automatic one, naming the credential.
    let log = team.vault.audit_log(Some(holders.id)).unwrap();
    let renewed = log.last().unwrap();
    assert_eq!(
        (renewed.actor.as_str(), renewed.action.as_str()),
        ("Ada Holder <ada@example.com>", "credential.renewed")
    );
    let details: serde_json::Value = serde_json::from_str(&renewed.details).unwrap();
    assert_eq!(
        (&details["via"], &details["name"], &details["successor"]),
        (
            &serde_json::json!("renew_now"),
            &serde_json::json!("holder's"),
            &serde_json::json!(successor.0)
        )
    );
    assert_eq!(renewed.subject.as_deref(), Some("holder's"));
}

/// Turns auto-renewal on for `id` every 10 days, with a callback.
fn every_with_callback(vault: &mut Vault, id: CredentialId) {
    auto_renew(vault, id, 10, Some("https://claims.example.com/in"));
}

/// A callback to a private address or this computer is refused unless the account holder
/// allows those (no one else may); claims go out with the reach the setting gives now.
#[test]
fn private_callbacks_are_the_account_holders_to_allow() {
    let mut team = Team::new();
    let id = team
        .vault
        .issue(&team.fx.new_credential("nightly", 30))
        .unwrap()
        .credential
        .id;
    let private = |url: &str| CredentialEdit {
        auto_renewal: Some(Some(keysmith_core::AutoRenewal {
            every_days: 10,
            recipient: EmailAddress::try_from("ops@example.com".to_owned()).unwrap(),
            callback_url: Some(url.to_owned().try_into().unwrap()),
        })),
        ..CredentialEdit::default()
    };
    for url in [
        "http://127.0.0.1:9/in",
        "https://10.1.2.3/in",
        "http://localhost/in",
        "https://[fd00::1]/in",
    ] {
        let refused = team.vault.edit(id, &private(url)).unwrap_err();
        assert_eq!(refused.code(), "invalid_auto_renewal", "{url}");
    }
    assert_eq!(team.vault.auto_renewal(id).unwrap(), None, "nothing saved");
    // Link-local and metadata addresses are not callback URLs at all.
    let never: Result<keysmith_core::CallbackUrl, _> = "https://169.254.169.254/latest/meta-data/"
        .to_owned()
        .try_into();
    assert_eq!(never.unwrap_err().code(), "invalid_auto_renewal");

    let mut member = team.unlock_as_member();
    assert_eq!(
        member.set_private_callbacks(true).unwrap_err().code(),
        "forbidden"
    );
    assert!(!member.private_callbacks().unwrap().may_change);
    assert!(team.vault.private_callbacks().unwrap().may_change);
    team.vault.set_private_callbacks(true).unwrap();
    assert!(member.private_callbacks_allowed().unwrap());
    team.vault
        .edit(id, &private("http://127.0.0.1:9/in"))
        .unwrap();
    team.vault.renew_now(id).unwrap();
    let claims = team
        .vault
        .claim_deliveries(10, Duration::seconds(60))
        .unwrap();
    assert_eq!(claims[0].reach, keysmith_core::Reach::Private);
    // Refused again: the saved callback stays, and is sent with a public reach (refused as
    // it is sent to).
    team.vault.set_private_callbacks(false).unwrap();
    team.fx.clock.advance(Duration::seconds(61));
    let claims = team
        .vault
        .claim_deliveries(10, Duration::seconds(60))
        .unwrap();
    assert_eq!(claims[0].reach, keysmith_core::Reach::Public);
}

/// The claim keys sent so far, oldest first, each checked to go to the callback.
fn sent_claims(vault: &mut Vault) -> Vec<serde_json::Value> {
    vault
        .claim_deliveries(100, Duration::seconds(60))
        .unwrap()
        .into_iter()
        .map(|dispatch| {
            assert_eq!(dispatch.url, "https://claims.example.com/in");
            assert_eq!(dispatch.webhook, None);
            let body: serde_json::Value = serde_json::from_str(&dispatch.body).unwrap();
            assert_eq!(body["type"], "credential.renewal_claim");
            vault
                .finish_delivery(
                    dispatch.delivery,
                    &keysmith_core::webhook::Attempt::Answered {
                        status: 204,
                        body: vec![],
                        retry_after: None,
                    },
                )
                .unwrap();
            body["data"].clone()
        })
        .collect()
}

#[test]
fn a_claim_key_redeems_once_and_the_old_token_ends_a_day_later() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault.issue(&fx.new_credential("nightly", 30)).unwrap();
    every_with_callback(&mut vault, old.credential.id);
    let successor = vault.renew_now(old.credential.id).unwrap();
    let claims = sent_claims(&mut vault);
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0]["credential_id"], old.credential.id.0);
    assert_eq!(claims[0]["successor_id"], successor.0);
    let key = claims[0]["claim_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("ks_clm_"));
    assert_eq!(
        vault.pending_handovers().unwrap()[0].claim_sent_at,
        Some(fx.clock_now())
    );

    assert_eq!(
        vault.redeem_claim("ks_clm_unknown").unwrap_err().code(),
        "invalid_claim"
    );
    fx.clock.advance(Duration::hours(1));
    let redeemed = vault.redeem_claim(&key).unwrap();
    assert_eq!(redeemed.credential_id, successor);
    assert!(matches!(
        vault.verify(redeemed.token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    assert_eq!(held_token(&vault, successor), None, "wiped once redeemed");
    assert_eq!(
        vault.redeem_claim(&key).unwrap_err().code(),
        "invalid_claim",
        "single use"
    );
    assert!(vault.pending_handovers().unwrap().is_empty());

    // The old token works 24 more hours, then ends.
    let ends = vault.credential(old.credential.id).unwrap().expires_at;
    assert_eq!(ends, fx.clock_now() + Duration::hours(24));
    fx.clock.advance(Duration::hours(24) - Duration::seconds(1));
    assert!(matches!(
        vault.verify(old.token.expose(), None, None).unwrap(),
        Verification::Active(v) if v.superseded_by == Some(successor) && v.expires_at == ends
    ));
    fx.clock.advance(Duration::seconds(1));
    assert!(matches!(
        vault.verify(old.token.expose(), None, None).unwrap(),
        Verification::Inactive(_)
    ));
}

#[test]
fn an_unredeemed_claim_dies_after_two_hours_and_a_new_key_follows_a_day_later() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault
        .issue(&fx.new_credential("nightly", 30))
        .unwrap()
        .credential;
    every_with_callback(&mut vault, old.id);
    vault.renew_now(old.id).unwrap();
    let first = sent_claims(&mut vault)[0]["claim_key"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.clock.advance(Duration::hours(2));
    assert_eq!(
        vault.redeem_claim(&first).unwrap_err().code(),
        "invalid_claim",
        "expired"
    );

    fx.clock.advance(Duration::hours(22) - Duration::seconds(1));
    vault.run_due_renewals().unwrap();
    assert!(sent_claims(&mut vault).is_empty(), "not before 24 hours");
    fx.clock.advance(Duration::seconds(1));
    vault.run_due_renewals().unwrap();
    let second = sent_claims(&mut vault)[0]["claim_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second, first);
    assert_eq!(
        vault.redeem_claim(&first).unwrap_err().code(),
        "invalid_claim"
    );
    vault.redeem_claim(&second).unwrap();
}

#[test]
fn handing_over_by_hand_kills_the_claim_key_and_leaves_the_old_expiry() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault
        .issue(&fx.new_credential("nightly", 30))
        .unwrap()
        .credential;
    every_with_callback(&mut vault, old.id);
    let successor = vault.renew_now(old.id).unwrap();
    let key = sent_claims(&mut vault)[0]["claim_key"]
        .as_str()
        .unwrap()
        .to_owned();
    vault.hand_over(successor).unwrap();
    assert_eq!(
        vault.redeem_claim(&key).unwrap_err().code(),
        "invalid_claim"
    );
    assert_eq!(vault.credential(old.id).unwrap().expires_at, old.expires_at);
    let secret = vault.renewal_signing_secret().unwrap();
    assert!(secret.expose().starts_with("whsec_"));
    assert_eq!(
        vault.renewal_signing_secret().unwrap(),
        secret,
        "one per vault"
    );
}

#[test]
fn a_crash_after_the_renewal_commits_loses_neither_the_successor_nor_its_callback() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault
        .issue(&fx.new_credential("nightly", 30))
        .unwrap()
        .credential;
    every_with_callback(&mut vault, old.id);
    let successor = vault.renew_now(old.id).unwrap();
    // The process dies before anything is sent: the handle goes without a word.
    drop(vault);
    let mut reopened = fx.unlock(crate::common::PASSPHRASE).unwrap();
    assert_eq!(
        reopened.pending_handovers().unwrap()[0].successor_id,
        successor
    );
    let claims = sent_claims(&mut reopened);
    assert_eq!(claims.len(), 1, "the callback is still in the outbox");
    let key = claims[0]["claim_key"].as_str().unwrap();
    assert_eq!(reopened.redeem_claim(key).unwrap().credential_id, successor);
}

#[test]
fn each_renewal_writes_its_recipient_a_message_without_a_secret() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let old = vault.issue(&fx.new_credential("nightly", 30)).unwrap();
    every_with_callback(&mut vault, old.credential.id);
    let successor = vault.renew_now(old.credential.id).unwrap();
    let key = sent_claims(&mut vault)[0]["claim_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = vault.redeem_claim(&key).unwrap().token;
    let messages = vault.mail_messages(10).unwrap();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.recipient, "ops@example.com");
    assert!(message.subject.contains("nightly"), "{}", message.subject);
    assert!(
        message.body.contains(&format!("#{}", successor.0)),
        "{}",
        message.body
    );
    // "Renew now" is the holder's renewal, and the message says who, not "automatically".
    assert!(
        message.body.contains("was renewed by Ada Holder."),
        "{}",
        message.body
    );
    assert!(
        message.body.contains("https://claims.example.com/in"),
        "{}",
        message.body
    );
    for secret in [token.expose(), key.as_str(), old.token.expose()] {
        assert!(!message.body.contains(secret) && !message.subject.contains(secret));
    }
    assert_eq!(
        message.sent_at, None,
        "no SMTP: it waits to be copied by hand"
    );
    assert!(vault.mail_due(10).unwrap().is_none());
}

#[test]
fn smtp_settings_keep_the_password_write_only_and_refuse_plain_text_to_other_hosts() {
    use keysmith_core::mail::{SmtpSecurity, SmtpSpec};
    use keysmith_core::webhook::SecretValue;
    let fx = Fixture::new();
    let mut vault = fx.create();
    let spec = |host: &str, security, password| SmtpSpec {
        host: host.into(),
        port: 587,
        security,
        user: Some("keysmith".into()),
        password,
        from: "keysmith@example.com".into(),
    };
    let plain = spec(
        "mail.example.com",
        SmtpSecurity::None,
        SecretValue::New("pw".into()),
    );
    assert_eq!(
        vault.set_smtp(Some(&plain)).unwrap_err().code(),
        "invalid_smtp"
    );
    let keep = spec(
        "mail.example.com",
        SmtpSecurity::StartTls,
        SecretValue::Keep,
    );
    assert_eq!(
        vault.set_smtp(Some(&keep)).unwrap_err().code(),
        "invalid_smtp"
    );
    assert_eq!(vault.smtp_settings().unwrap(), None, "nothing saved");

    let good = spec(
        "mail.example.com",
        SmtpSecurity::StartTls,
        SecretValue::New("smtp-pw-77".into()),
    );
    vault.set_smtp(Some(&good)).unwrap();
    let shown = vault.smtp_settings().unwrap().unwrap();
    assert!(shown.has_password);
    assert!(!serde_json::to_string(&shown)
        .unwrap()
        .contains("smtp-pw-77"));
    vault.set_smtp(Some(&keep)).unwrap();
    let (access, _) = vault.mail_due(10).unwrap().unwrap();
    assert_eq!(access.password.unwrap().expose(), "smtp-pw-77", "kept");
    let log = serde_json::to_string(&vault.audit_log(None).unwrap()).unwrap();
    assert!(!log.contains("smtp-pw-77"));
    vault.set_smtp(None).unwrap();
    assert_eq!(vault.smtp_settings().unwrap(), None);
}
