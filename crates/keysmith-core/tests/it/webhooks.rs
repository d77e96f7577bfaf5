//! Webhooks in the core: what is stored and never shown, what is refused, the outbox written
//! with its change, the retry schedule on a manual clock, what disables a webhook, the events
//! time raises, the delivery lease and secret rolling.

use chrono::Duration;
use keysmith_core::webhook::{
    Attempt, BasicAuthSpec, DeliveryState, Dispatch, HeaderSpec, SecretValue, RETRY_SCHEDULE,
};
use keysmith_core::{EventType, Secret, Vault, WebhookSpec};

use crate::common::{pat, Fixture, PASSPHRASE};
use crate::team::Team;

pub(crate) const HIDDEN_VALUE: &str = "hidden-value-9f3a";
pub(crate) const PASSWORD: &str = "basic-password-71c2";

pub(crate) fn spec(url: &str) -> WebhookSpec {
    WebhookSpec {
        url: url.into(),
        description: "billing system".into(),
        all_events: true,
        events: vec![],
        basic_auth: Some(BasicAuthSpec {
            user: "keysmith".into(),
            password: SecretValue::New(Secret::from(PASSWORD)),
        }),
        headers: vec![
            HeaderSpec {
                name: "X-Visible".into(),
                value: SecretValue::New(Secret::from("shown")),
                hidden: false,
            },
            HeaderSpec {
                name: "X-Api-Key".into(),
                value: SecretValue::New(Secret::from(HIDDEN_VALUE)),
                hidden: true,
            },
        ],
    }
}

fn claim(vault: &mut Vault) -> Vec<Dispatch> {
    vault.claim_deliveries(100, Duration::seconds(60)).unwrap()
}

fn answered(status: u16) -> Attempt {
    Attempt::Answered {
        status,
        body: Vec::new(),
        retry_after: None,
    }
}

fn failed() -> Attempt {
    Attempt::Failed {
        error: "connection refused".into(),
    }
}

/// Rows of a table, read past every rule of the vault.
fn count(vault: &Vault, table: &str) -> i64 {
    vault
        .raw_connection()
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
}

#[test]
fn the_secret_is_shown_once_and_hidden_values_never_come_back() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let added = vault
        .add_webhook(&spec("https://hooks.example.com/in"))
        .unwrap();
    assert!(added.secret.expose().starts_with("whsec_"));
    for webhook in [added.webhook.clone(), vault.webhooks().unwrap().remove(0)] {
        assert_eq!(webhook.basic_user.as_deref(), Some("keysmith"));
        assert!(webhook.has_basic_password);
        assert_eq!(webhook.headers[0].value.as_deref(), Some("shown"));
        assert_eq!(webhook.headers[1].value, None);
        assert!(webhook.headers[1].hidden);
        let shown = serde_json::to_string(&webhook).unwrap();
        for secret in [HIDDEN_VALUE, PASSWORD, added.secret.expose()] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
    }
    let log = serde_json::to_string(&vault.audit_log(None).unwrap()).unwrap();
    assert!(log.contains("webhook.created"));
    drop(vault);
    let bytes = fx.all_bytes();
    for secret in [HIDDEN_VALUE, PASSWORD] {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{secret} in clear in the vault's files");
    }
}

#[test]
fn bad_webhooks_are_refused_typed_and_write_nothing() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let audit_rows = vault.audit_log(None).unwrap().len();
    let header = |name: &str| HeaderSpec {
        name: name.into(),
        value: SecretValue::New(Secret::from("v")),
        hidden: false,
    };
    let cases: Vec<(WebhookSpec, &str)> = vec![
        (spec("http://hooks.example.com/"), "invalid_webhook_url"),
        (spec("https://user:pw@example.com/"), "invalid_webhook_url"),
        (
            WebhookSpec {
                all_events: false,
                ..spec("https://example.com/")
            },
            "no_events",
        ),
        (
            WebhookSpec {
                headers: vec![header("webhook-signature")],
                ..spec("https://example.com/")
            },
            "invalid_header",
        ),
        (
            WebhookSpec {
                headers: vec![header("Content-Type")],
                ..spec("https://example.com/")
            },
            "invalid_header",
        ),
        (
            WebhookSpec {
                headers: vec![header("Authorization")],
                ..spec("https://example.com/")
            },
            "invalid_header",
        ),
        (
            WebhookSpec {
                headers: vec![header("X-A"), header("x-a")],
                ..spec("https://example.com/")
            },
            "invalid_header",
        ),
        (
            WebhookSpec {
                headers: vec![HeaderSpec {
                    name: "X-A".into(),
                    value: SecretValue::New(Secret::from("a\r\nX-Injected: 1")),
                    hidden: false,
                }],
                ..spec("https://example.com/")
            },
            "invalid_header",
        ),
        (
            WebhookSpec {
                headers: vec![HeaderSpec {
                    name: "X-A".into(),
                    value: SecretValue::Keep,
                    hidden: true,
                }],
                ..spec("https://example.com/")
            },
            "invalid_header",
        ),
        (
            WebhookSpec {
                basic_auth: Some(BasicAuthSpec {
                    user: "a:b".into(),
                    password: SecretValue::New(Secret::from("p")),
                }),
                ..spec("https://example.com/")
            },
            "invalid_basic_auth",
        ),
        (
            WebhookSpec {
                basic_auth: Some(BasicAuthSpec {
                    user: "a".into(),
                    password: SecretValue::Keep,
                }),
                ..spec("https://example.com/")
            },
            "invalid_basic_auth",
        ),
    ];
    for (bad, code) in cases {
        let error = vault.add_webhook(&bad).unwrap_err();
        assert_eq!(error.code(), code, "{bad:?}");
    }
    assert!(vault.webhooks().unwrap().is_empty());
    assert_eq!(vault.audit_log(None).unwrap().len(), audit_rows);
    assert_eq!(
        keysmith_core::EventType::parse("credential.exploded")
            .unwrap_err()
            .code(),
        "unknown_event"
    );
}

#[test]
fn an_edit_keeps_the_hidden_values_it_is_told_to_keep() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let id = vault
        .add_webhook(&spec("https://a.example.com/"))
        .unwrap()
        .webhook
        .id;
    let mut edit = spec("https://b.example.com/");
    edit.basic_auth.as_mut().unwrap().password = SecretValue::Keep;
    edit.headers[1].value = SecretValue::Keep;
    edit.headers[0].value = SecretValue::New(Secret::from("changed"));
    let edited = vault.update_webhook(id, &edit).unwrap();
    assert_eq!(edited.url, "https://b.example.com/");
    assert_eq!(edited.headers[0].value.as_deref(), Some("changed"));
    vault.send_webhook_test(id).unwrap();
    let sent = claim(&mut vault).remove(0);
    assert_eq!(sent.url, "https://b.example.com/");
    let (user, password) = sent.basic.unwrap();
    assert_eq!((user.as_str(), password.expose()), ("keysmith", PASSWORD));
    let values: Vec<(&str, &str)> = sent
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.expose()))
        .collect();
    assert_eq!(
        values,
        [("X-Visible", "changed"), ("X-Api-Key", HIDDEN_VALUE)]
    );
}

#[test]
fn only_the_account_holder_sees_and_manages_webhooks() {
    let mut team = Team::new();
    let id = team
        .vault
        .add_webhook(&spec("https://a.example.com/"))
        .unwrap()
        .webhook
        .id;
    let mut admin = team.fx.unlock(crate::team::ADMIN_PASSPHRASE).unwrap();
    let mut member = team.unlock_as_member();
    for vault in [&mut admin, &mut member] {
        assert_eq!(vault.webhooks().unwrap_err().code(), "forbidden");
        let add = vault.add_webhook(&spec("https://b.example.com/"));
        assert_eq!(add.unwrap_err().code(), "forbidden");
        assert_eq!(vault.delete_webhook(id).unwrap_err().code(), "forbidden");
        assert_eq!(vault.send_webhook_test(id).unwrap_err().code(), "forbidden");
        assert_eq!(
            vault.roll_webhook_secret(id).unwrap_err().code(),
            "forbidden"
        );
    }
    assert_eq!(team.vault.webhooks().unwrap().len(), 1);
}

#[test]
fn events_commit_with_their_change_and_only_for_subscribers() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    // Nobody listens: a change writes no message.
    vault.issue(&fx.new_credential("before", 30)).unwrap();
    assert_eq!(count(&vault, "webhook_messages"), 0);

    let mut only_revoked = spec("https://a.example.com/");
    only_revoked.all_events = false;
    only_revoked.events = vec![EventType::CredentialRevoked];
    vault.add_webhook(&only_revoked).unwrap();
    vault.add_webhook(&spec("https://b.example.com/")).unwrap();

    let issued = vault.issue(&fx.new_credential("nightly", 30)).unwrap();
    // A refused change (the name is taken) leaves no event behind.
    vault.issue(&fx.new_credential("nightly", 30)).unwrap_err();
    assert_eq!(count(&vault, "webhook_messages"), 1);
    vault.revoke(issued.credential.id).unwrap();
    assert_eq!(count(&vault, "webhook_messages"), 2);

    let mut sent = claim(&mut vault);
    sent.sort_by_key(|dispatch| dispatch.delivery);
    let bodies: Vec<serde_json::Value> = sent
        .iter()
        .map(|dispatch| serde_json::from_str(&dispatch.body).unwrap())
        .collect();
    assert_eq!(bodies[0]["type"], "credential.created");
    assert_eq!(bodies[0]["data"]["credential"]["name"], "nightly");
    assert_eq!(
        bodies[0]["data"]["credential"]["owner"]["name"],
        "Ada Holder"
    );
    assert_eq!(bodies[1]["type"], "credential.revoked");
    assert_eq!(bodies[1]["data"]["credential"]["status"], "revoked");
    // One message, to both subscribers, under one id.
    assert_eq!(sent[1].message_id, sent[2].message_id);
    for dispatch in &sent {
        assert!(!dispatch.body.contains(issued.token.expose()));
        assert!(!dispatch.body.contains(&issued.credential.token_hint));
    }
}

#[test]
fn a_failing_delivery_follows_the_schedule_under_one_message_id_until_it_is_spent() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let id = vault
        .add_webhook(&spec("https://a.example.com/"))
        .unwrap()
        .webhook
        .id;
    vault.send_webhook_test(id).unwrap();
    let first = claim(&mut vault).remove(0);
    vault.finish_delivery(first.delivery, &failed()).unwrap();
    for wait in &RETRY_SCHEDULE[1..] {
        fx.clock.advance(*wait - Duration::seconds(1));
        assert!(claim(&mut vault).is_empty(), "sent before {wait} passed");
        fx.clock.advance(Duration::seconds(1));
        let retry = claim(&mut vault).remove(0);
        assert_eq!(retry.message_id, first.message_id);
        vault.finish_delivery(retry.delivery, &failed()).unwrap();
    }
    let log = vault.webhook_deliveries(id, 10).unwrap();
    assert_eq!(log[0].state, DeliveryState::Failed);
    assert_eq!(log[0].attempts, 10);
    assert_eq!(log[0].last_error.as_deref(), Some("connection refused"));
    assert_eq!(vault.next_delivery_due().unwrap(), None);

    // Resent, it starts over and a 2xx delivers it.
    vault.resend_delivery(log[0].id).unwrap();
    let again = claim(&mut vault).remove(0);
    assert_eq!(again.message_id, first.message_id);
    vault
        .finish_delivery(again.delivery, &answered(204))
        .unwrap();
    let log = vault.webhook_deliveries(id, 10).unwrap();
    assert_eq!(log[0].state, DeliveryState::Delivered);
    assert_eq!(log[0].last_status, Some(204));
    assert_eq!(vault.webhook(id).unwrap().failing_since, None);
}

#[test]
fn a_claimed_delivery_is_sent_again_if_its_sender_never_reports() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let id = vault
        .add_webhook(&spec("https://a.example.com/"))
        .unwrap()
        .webhook
        .id;
    vault.send_webhook_test(id).unwrap();
    let first = claim(&mut vault).remove(0);
    assert!(claim(&mut vault).is_empty(), "held while it is being sent");
    fx.clock.advance(Duration::seconds(60));
    assert_eq!(claim(&mut vault).remove(0).message_id, first.message_id);
}

#[test]
fn gone_disables_the_webhook_and_retry_after_is_honoured_up_to_a_day() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let id = vault
        .add_webhook(&spec("https://a.example.com/"))
        .unwrap()
        .webhook
        .id;
    vault.send_webhook_test(id).unwrap();
    let sent = claim(&mut vault).remove(0);
    let busy = Attempt::Answered {
        status: 503,
        body: b"busy".to_vec(),
        retry_after: Some(Duration::minutes(10)),
    };
    vault.finish_delivery(sent.delivery, &busy).unwrap();
    let log = vault.webhook_deliveries(id, 1).unwrap();
    assert_eq!(
        log[0].next_attempt_at,
        Some(fx.clock_now() + Duration::minutes(10))
    );
    assert_eq!(log[0].last_response.as_deref(), Some("busy"));

    let forever = Attempt::Answered {
        status: 429,
        body: vec![],
        retry_after: Some(Duration::days(30)),
    };
    fx.clock.advance(Duration::minutes(10));
    let delivery = claim(&mut vault).remove(0).delivery;
    vault.finish_delivery(delivery, &forever).unwrap();
    let log = vault.webhook_deliveries(id, 1).unwrap();
    assert_eq!(
        log[0].next_attempt_at,
        Some(fx.clock_now() + Duration::hours(24))
    );

    fx.clock.advance(Duration::hours(24));
    let delivery = claim(&mut vault).remove(0).delivery;
    vault.finish_delivery(delivery, &answered(410)).unwrap();
    let webhook = vault.webhook(id).unwrap();
    assert!(!webhook.enabled);
    assert_eq!(
        webhook.disabled_reason,
        Some(keysmith_core::webhook::DisabledReason::Gone)
    );
    assert_eq!(
        vault.webhook_deliveries(id, 1).unwrap()[0].state,
        DeliveryState::Failed
    );
    // A disabled webhook is sent nothing, and cannot be tested.
    vault.issue(&fx.new_credential("after", 30)).unwrap();
    assert!(claim(&mut vault).is_empty());
    assert_eq!(
        vault.send_webhook_test(id).unwrap_err().code(),
        "webhook_disabled"
    );
    let log = serde_json::to_string(&vault.audit_log(None).unwrap()).unwrap();
    assert!(log.contains(r#"\"reason\":\"gone\""#), "{log}");
}

#[test]
fn five_days_of_failures_disable_a_webhook_and_one_success_resets_the_count() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let id = vault
        .add_webhook(&spec("https://a.example.com/"))
        .unwrap()
        .webhook
        .id;
    let fail_once = |vault: &mut Vault, attempt: Attempt| {
        vault.send_webhook_test(id).unwrap();
        let sent = claim(vault).remove(0);
        vault.finish_delivery(sent.delivery, &attempt).unwrap();
    };
    fail_once(&mut vault, answered(500));
    fx.clock.advance(Duration::days(4));
    fail_once(&mut vault, answered(204));
    fail_once(&mut vault, answered(500));
    fx.clock.advance(Duration::days(4));
    fail_once(&mut vault, answered(500));
    assert!(
        vault.webhook(id).unwrap().enabled,
        "a success in between restarts the count"
    );
    fx.clock.advance(Duration::days(1));
    fail_once(&mut vault, failed());
    let webhook = vault.webhook(id).unwrap();
    assert!(!webhook.enabled);
    assert_eq!(
        webhook.disabled_reason,
        Some(keysmith_core::webhook::DisabledReason::Failing)
    );
    // Enabling again starts afresh.
    let webhook = vault.set_webhook_enabled(id, true).unwrap();
    assert!(
        webhook.enabled && webhook.disabled_reason.is_none() && webhook.failing_since.is_none()
    );
}

#[test]
fn expiry_events_are_raised_once_each_as_time_passes() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let mut expiry = spec("https://a.example.com/");
    expiry.all_events = false;
    expiry.events = vec![EventType::CredentialExpiring, EventType::CredentialExpired];
    let id = vault.add_webhook(&expiry).unwrap().webhook.id;
    vault.scan_webhook_events().unwrap(); // the first scan marks where it stands
    let soon = vault
        .issue(&fx.new_credential("soon", 10))
        .unwrap()
        .credential;
    let revoked = vault
        .issue(&fx.new_credential("revoked", 10))
        .unwrap()
        .credential;
    vault.revoke(revoked.id).unwrap();
    let raised = |vault: &mut Vault| -> Vec<(String, serde_json::Value)> {
        vault.scan_webhook_events().unwrap();
        claim(vault)
            .into_iter()
            .map(|dispatch| {
                vault
                    .finish_delivery(dispatch.delivery, &answered(200))
                    .unwrap();
                let body: serde_json::Value = serde_json::from_str(&dispatch.body).unwrap();
                (
                    body["type"].as_str().unwrap().to_owned(),
                    body["data"].clone(),
                )
            })
            .collect()
    };
    assert!(raised(&mut vault).is_empty());
    // The expiry is at 00:00 UTC ten days on; seven days before it falls within 3 days.
    fx.clock.advance(Duration::days(3));
    let events = raised(&mut vault);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "credential.expiring");
    assert_eq!(events[0].1["days_left"], 7);
    assert_eq!(events[0].1["credential"]["id"], soon.id.0);
    assert!(raised(&mut vault).is_empty(), "once");
    fx.clock.advance(Duration::days(6));
    assert_eq!(raised(&mut vault)[0].1["days_left"], 1);
    fx.clock.advance(Duration::days(1));
    let events = raised(&mut vault);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "credential.expired");
    fx.clock.advance(Duration::days(20));
    assert!(raised(&mut vault).is_empty());
    assert_eq!(vault.webhook_deliveries(id, 10).unwrap().len(), 3);
    // Finished deliveries leave the log after 30 days.
    fx.clock.advance(Duration::days(11));
    vault.scan_webhook_events().unwrap();
    assert!(vault.webhook_deliveries(id, 10).unwrap().is_empty());
}

#[test]
fn a_scan_after_a_long_pause_sends_only_the_latest_notice() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    vault.add_webhook(&spec("https://a.example.com/")).unwrap();
    vault.scan_webhook_events().unwrap();
    vault.issue(&fx.new_credential("soon", 10)).unwrap();
    let created = claim(&mut vault).remove(0);
    vault
        .finish_delivery(created.delivery, &answered(200))
        .unwrap();
    fx.clock.advance(Duration::days(9) + Duration::hours(12));
    vault.scan_webhook_events().unwrap();
    let sent = claim(&mut vault);
    assert_eq!(sent.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&sent[0].body).unwrap();
    assert_eq!(body["data"]["days_left"], 1);
}

#[test]
fn one_holder_at_a_time_holds_the_delivery_lease() {
    let fx = Fixture::new();
    let mut app = fx.create();
    let mut serve = fx.unlock(PASSPHRASE).unwrap();
    let ttl = Duration::seconds(10);
    assert!(app.take_delivery_lease("app", ttl).unwrap());
    assert!(!serve.take_delivery_lease("serve", ttl).unwrap());
    fx.clock.advance(Duration::seconds(5));
    assert!(app.take_delivery_lease("app", ttl).unwrap(), "renewed");
    fx.clock.advance(Duration::seconds(9));
    assert!(!serve.take_delivery_lease("serve", ttl).unwrap());
    fx.clock.advance(Duration::seconds(1));
    assert!(
        serve.take_delivery_lease("serve", ttl).unwrap(),
        "lapsed: taken over"
    );
    assert!(!app.take_delivery_lease("app", ttl).unwrap());
    serve.release_delivery_lease("serve").unwrap();
    assert!(
        app.take_delivery_lease("app", ttl).unwrap(),
        "released: taken at once"
    );
}

#[test]
fn a_rolled_secret_signs_beside_the_new_one_for_a_day() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let added = vault.add_webhook(&spec("https://a.example.com/")).unwrap();
    let id = added.webhook.id;
    let rolled = vault.roll_webhook_secret(id).unwrap();
    assert_ne!(rolled.expose(), added.secret.expose());
    assert!(vault.webhook(id).unwrap().previous_secret_until.is_some());
    vault.send_webhook_test(id).unwrap();
    let keys: Vec<String> = claim(&mut vault)[0]
        .keys
        .iter()
        .map(|key| key.to_secret().expose().to_owned())
        .collect();
    assert_eq!(
        keys,
        [rolled.expose(), added.secret.expose()],
        "newest first"
    );
    fx.clock.advance(Duration::hours(24));
    vault.send_webhook_test(id).unwrap();
    assert_eq!(claim(&mut vault)[0].keys.len(), 1);
    assert!(vault.webhook(id).unwrap().previous_secret_until.is_none());
}

#[test]
fn a_logged_answer_is_cut_to_1_kib_and_never_holds_the_requests_secrets() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let added = vault.add_webhook(&spec("https://a.example.com/")).unwrap();
    vault.send_webhook_test(added.webhook.id).unwrap();
    let sent = claim(&mut vault).remove(0);
    let echo = format!(
        "you sent X-Api-Key: {HIDDEN_VALUE}, Authorization: Basic a2V5c21pdGg6YmFzaWMtcGFzc3dvcmQtNzFjMg== and {} {}",
        added.secret.expose(),
        "x".repeat(2000)
    );
    let attempt = Attempt::Answered {
        status: 400,
        body: echo.into_bytes(),
        retry_after: None,
    };
    vault.finish_delivery(sent.delivery, &attempt).unwrap();
    let logged = vault.webhook_deliveries(added.webhook.id, 1).unwrap()[0]
        .last_response
        .clone()
        .unwrap();
    assert!(logged.len() <= 1024 + 8 * 3, "{}", logged.len());
    assert!(logged.starts_with("you sent X-Api-Key: [hidden], Authorization: Basic [hidden]"));
    let secret_body = added.secret.expose().trim_start_matches("whsec_");
    for secret in [HIDDEN_VALUE, PASSWORD, secret_body] {
        assert!(!logged.contains(secret), "{secret} logged");
    }
}

#[test]
fn offboarding_raises_one_user_event_beside_its_credentials_events() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    team.vault
        .add_webhook(&spec("https://a.example.com/"))
        .unwrap();
    let mut credential = pat(now, "cleo's", 30);
    credential.owner = Some(team.member);
    team.vault.issue(&credential).unwrap();
    claim(&mut team.vault);
    team.vault
        .offboard_user(team.member, keysmith_core::Offboarding::RevokeAndDelete)
        .unwrap();
    let types: Vec<String> = claim(&mut team.vault)
        .iter()
        .map(|dispatch| {
            let body: serde_json::Value = serde_json::from_str(&dispatch.body).unwrap();
            body["type"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        types,
        [
            "credential.revoked",
            "credential.deleted",
            "user.offboarded"
        ]
    );
}
