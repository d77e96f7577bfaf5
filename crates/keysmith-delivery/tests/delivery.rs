//! Delivery against a real receiver: an axum server on 127.0.0.1 inside each test, a real
//! SQLCipher vault, signatures checked with the Standard Webhooks reference library. The
//! vault's clock is a manual one started at the real time, so a test moves the retry
//! schedule forward without waiting; signatures carry the real time, as receivers check.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use chrono::Utc;
use keysmith_core::webhook::{BasicAuthSpec, DeliveryState, HeaderSpec, SecretValue};
use keysmith_core::{
    AccountHolder, CredentialEdit, Description, EmailAddress, EventType, Expiry, GroupSpec,
    KdfParams, ManualClock, Name, NewCredential, Offboarding, Permission, RateLimit, Renewal,
    Rights, Role, Secret, TokenKind, UserSpec, Vault, WebhookId, WebhookSpec,
};
use keysmith_delivery::receiver::{always, Receiver};
use keysmith_delivery::{Delivery, DeliveryConfig};
use tokio::net::TcpListener;

const PASSPHRASE: &str = "delivery test passphrase";
const HIDDEN: &str = "hidden-api-key-5e1d";
const PASSWORD: &str = "basic-password-2b9c";

/// A vault on a manual clock started now, and its clock.
fn vault_in(dir: &Path) -> (Vault, ManualClock) {
    let clock = ManualClock::new(Utc::now());
    let vault = Vault::create(
        &dir.join("hooks.vault"),
        &Secret::from(PASSPHRASE),
        &AccountHolder {
            name: Name::new("Ada Holder").unwrap(),
            email: EmailAddress::try_from("ada@example.com".to_owned()).unwrap(),
        },
        KdfParams::MINIMUM,
        Arc::new(clock.clone()),
    )
    .unwrap();
    (vault, clock)
}

fn spec(url: String) -> WebhookSpec {
    WebhookSpec {
        url,
        description: String::new(),
        all_events: true,
        events: vec![],
        basic_auth: Some(BasicAuthSpec {
            user: "keysmith".into(),
            password: SecretValue::New(Secret::from(PASSWORD)),
        }),
        headers: vec![
            HeaderSpec {
                name: "X-Tenant".into(),
                value: SecretValue::New(Secret::from("acme")),
                hidden: false,
            },
            HeaderSpec {
                name: "X-Api-Key".into(),
                value: SecretValue::New(Secret::from(HIDDEN)),
                hidden: true,
            },
        ],
    }
}

fn credential(vault: &Vault, name: &str, owner: keysmith_core::UserId) -> NewCredential {
    let now = vault.now();
    NewCredential {
        kind: TokenKind::PersonalAccessToken,
        owner: Some(owner),
        name: Name::new(name).unwrap(),
        description: Description::new("").unwrap(),
        expiry: Expiry::new(now + chrono::Duration::days(30), now).unwrap(),
        scopes: vec![Permission::new("payables:read").unwrap()],
        rights: Rights::Read,
        applications: vec![Name::new("Internal tools").unwrap()],
        rate_limit: RateLimit::default(),
        restrictions: Default::default(),
        disabled: false,
    }
}

/// Turns auto-renewal on for `id`: every 10 days, telling ops@example.com, no callback.
fn every_ten_days(vault: &mut Vault, id: keysmith_core::CredentialId) {
    let edit = CredentialEdit {
        description: None,
        auto_renewal: Some(Some(keysmith_core::AutoRenewal {
            every_days: 10,
            recipient: EmailAddress::try_from("ops@example.com".to_owned()).unwrap(),
            callback_url: None,
        })),
        ..keysmith_core::CredentialEdit::default()
    };
    vault.edit(id, &edit).unwrap();
}

/// Fast pacing for tests; the timeout stays the real one unless a test says otherwise.
fn quick() -> DeliveryConfig {
    DeliveryConfig {
        renew_every: Duration::from_millis(200),
        poll_every: Duration::from_millis(100),
        ..DeliveryConfig::default()
    }
}

/// Waits (up to `limit`) until `done` holds.
async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn deliveries(vault: &Vault, id: WebhookId) -> Vec<keysmith_core::DeliveryRecord> {
    vault.webhook_deliveries(id, 1000).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_signed_with_its_credentials_and_without_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, clock) = vault_in(dir.path());
    let receiver = Receiver::start(always(StatusCode::NO_CONTENT))
        .await
        .unwrap();
    let added = vault.add_webhook(&spec(receiver.url())).unwrap();
    let delivery = Delivery::start(vault.open_again().unwrap(), quick()).unwrap();

    let holder = keysmith_core::UserId(1);
    let mut tokens: Vec<Secret> = Vec::new();
    let first = vault.issue(&credential(&vault, "nightly", holder)).unwrap();
    tokens.push(first.token.clone());
    let id = first.credential.id;
    vault.set_enabled(id, false).unwrap();
    vault.set_enabled(id, true).unwrap();
    let edit = CredentialEdit {
        description: Some(Description::new("edited").unwrap()),
        auto_renewal: None,
        ..keysmith_core::CredentialEdit::default()
    };
    vault.edit(id, &edit).unwrap();
    let renewed = vault
        .renew(
            id,
            &Renewal {
                old_ends_at: vault.now() + chrono::Duration::hours(1),
                new_expiry: None,
                name: None,
                description: None,
            },
        )
        .unwrap();
    tokens.push(renewed.token.clone());
    vault.revoke(id).unwrap();
    vault.delete(id).unwrap();
    let leaving = vault
        .create_user(&UserSpec {
            name: Name::new("Leo Leaving").unwrap(),
            email: EmailAddress::try_from("leo@example.com".to_owned()).unwrap(),
            role: Role::Member,
            api_access: true,
        })
        .unwrap();
    vault
        .create_group(&GroupSpec {
            name: Name::new("Payables").unwrap(),
            permissions: vec![Permission::new("payables:read").unwrap()],
            blocks: vec![],
            blocks_api_access: false,
            members: vec![leaving.id],
        })
        .unwrap();
    tokens.push(
        vault
            .issue(&credential(&vault, "leo's", leaving.id))
            .unwrap()
            .token,
    );
    vault
        .offboard_user(leaving.id, Offboarding::RevokeAndDelete)
        .unwrap();
    vault.send_webhook_test(added.webhook.id).unwrap();
    // OAuth: an app registered, one request approved (then its grant revoked), one denied.
    let app = vault
        .register_oauth_app(&keysmith_core::oauth::OAuthAppSpec {
            name: "Ledger".into(),
            description: String::new(),
            redirect_uris: vec!["https://app.example.com/callback".into()],
            public: false,
            scopes: vec!["payables:read".into()],
            applications: Vec::new(),
        })
        .unwrap();
    let client_secret = app.client_secret.unwrap();
    let client = vault
        .authenticate_oauth_client(&app.app.client_id, Some(client_secret.expose()))
        .unwrap();
    tokens.push(client_secret);
    let approved = vault.start_device_authorization(&client, None).unwrap();
    let connection = vault
        .approve_oauth_request(&approved.user_code, None)
        .unwrap();
    let denied = vault.start_device_authorization(&client, None).unwrap();
    vault.deny_oauth_request(&denied.user_code).unwrap();
    vault.revoke_oauth_grant(connection.grant_id).unwrap();
    tokens.extend([approved.device_code, denied.device_code]);
    let automatic = vault
        .issue(&credential(&vault, "automatic", holder))
        .unwrap()
        .credential
        .id;
    every_ten_days(&mut vault, automatic);
    vault.renew_now(automatic).unwrap();
    // Time brings the rest: the successor expires in 30 days.
    for days in [23, 6, 1] {
        clock.advance(chrono::Duration::days(days));
        tokio::time::sleep(Duration::from_millis(600)).await;
    }

    let expected: Vec<&str> = EventType::ALL.iter().map(|event| event.as_str()).collect();
    eventually(Duration::from_secs(20), || {
        let got: HashSet<String> = receiver
            .received()
            .iter()
            .map(|r| {
                serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        expected.iter().all(|event| got.contains(*event))
    })
    .await;
    delivery.stop().await;

    let verifier = standardwebhooks::Webhook::new(added.secret.expose()).unwrap();
    for request in receiver.received() {
        verifier
            .verify(&request.body, &request.headers)
            .expect("the reference library accepts the signature");
        assert_eq!(
            request.header("authorization"),
            "Basic a2V5c21pdGg6YmFzaWMtcGFzc3dvcmQtMmI5Yw=="
        );
        assert_eq!(request.header("x-tenant"), "acme");
        assert_eq!(request.header("x-api-key"), HIDDEN);
        assert_eq!(request.header("content-type"), "application/json");
        for token in &tokens {
            let found = request
                .body
                .windows(token.expose().len())
                .any(|window| window == token.expose().as_bytes());
            assert!(!found, "a token in a payload");
        }
        for secret in [HIDDEN, PASSWORD, added.secret.expose()] {
            let body = String::from_utf8_lossy(&request.body);
            assert!(!body.contains(secret), "a secret in a payload");
        }
    }
    let log = deliveries(&vault, added.webhook.id);
    assert!(
        log.iter().all(|d| d.state == DeliveryState::Delivered),
        "{log:?}"
    );
    assert_eq!(log.len(), receiver.received().len(), "each message once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_at_first_gets_the_message_once_up_under_the_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, clock) = vault_in(dir.path());
    // A port nothing listens on yet.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = reserved.local_addr().unwrap();
    drop(reserved);
    let id = vault
        .add_webhook(&spec(format!("http://{address}/hooks")))
        .unwrap()
        .webhook
        .id;
    let delivery = Delivery::start(vault.open_again().unwrap(), quick()).unwrap();
    vault.send_webhook_test(id).unwrap();
    eventually(Duration::from_secs(10), || {
        deliveries(&vault, id)[0].attempts == 1
    })
    .await;
    assert_eq!(
        deliveries(&vault, id)[0].last_error.as_deref(),
        Some("could not connect")
    );

    // Up, but failing once: 500, then 204.
    let listener = TcpListener::bind(address).await.unwrap();
    let receiver = Receiver::on(
        listener,
        Arc::new(|n| match n {
            0 => (StatusCode::INTERNAL_SERVER_ERROR, Duration::ZERO),
            _ => (StatusCode::NO_CONTENT, Duration::ZERO),
        }),
    )
    .unwrap();
    clock.advance(chrono::Duration::seconds(5));
    eventually(Duration::from_secs(10), || receiver.received().len() == 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "not before the schedule says");
    clock.advance(chrono::Duration::minutes(5));
    eventually(Duration::from_secs(10), || {
        deliveries(&vault, id)[0].state == DeliveryState::Delivered
    })
    .await;
    delivery.stop().await;

    let log = deliveries(&vault, id);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].attempts, 3);
    let ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|request| request.header("webhook-id"))
        .collect();
    assert_eq!(ids, [log[0].message_id.clone(), log[0].message_id.clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_and_a_slow_receiver_times_out_and_is_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, clock) = vault_in(dir.path());
    let gone = Receiver::start(always(StatusCode::GONE)).await.unwrap();
    let slow = Receiver::start(Arc::new(|n| match n {
        0 => (StatusCode::NO_CONTENT, Duration::from_secs(20)),
        _ => (StatusCode::NO_CONTENT, Duration::ZERO),
    }))
    .await
    .unwrap();
    let gone_id = vault.add_webhook(&spec(gone.url())).unwrap().webhook.id;
    let slow_id = vault.add_webhook(&spec(slow.url())).unwrap().webhook.id;
    // The real 15 s timeout.
    let delivery = Delivery::start(vault.open_again().unwrap(), quick()).unwrap();
    vault.send_webhook_test(gone_id).unwrap();
    vault.send_webhook_test(slow_id).unwrap();
    eventually(Duration::from_secs(10), || {
        !vault.webhook(gone_id).unwrap().enabled
    })
    .await;
    eventually(Duration::from_secs(25), || {
        deliveries(&vault, slow_id)[0].attempts == 1
    })
    .await;
    let first = deliveries(&vault, slow_id).remove(0);
    assert_eq!(first.last_error.as_deref(), Some("timed out"));
    assert_eq!(first.state, DeliveryState::Pending);
    clock.advance(chrono::Duration::seconds(5));
    eventually(Duration::from_secs(10), || {
        deliveries(&vault, slow_id)[0].state == DeliveryState::Delivered
    })
    .await;
    delivery.stop().await;
    assert_eq!(
        gone.received().len(),
        1,
        "nothing more to a webhook that is gone"
    );
    assert_eq!(
        vault.webhook(gone_id).unwrap().disabled_reason,
        Some(keysmith_core::webhook::DisabledReason::Gone)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_deliverers_on_one_vault_send_each_message_once_and_never_in_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _clock) = vault_in(dir.path());
    let receiver = Receiver::start(Arc::new(|_| (StatusCode::OK, Duration::from_millis(30))))
        .await
        .unwrap();
    let id = vault.add_webhook(&spec(receiver.url())).unwrap().webhook.id;
    let second = Vault::unlock(
        vault.path(),
        &Secret::from(PASSPHRASE),
        Arc::new(ManualClock::new(vault.now())),
    )
    .unwrap();
    let one = Delivery::start(vault.open_again().unwrap(), quick()).unwrap();
    let two = Delivery::start(second, quick()).unwrap();
    for n in 0..40 {
        vault.send_webhook_test(id).unwrap();
        if n % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
    eventually(Duration::from_secs(30), || receiver.received().len() >= 40).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    one.stop().await;
    two.stop().await;
    let ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|request| request.header("webhook-id"))
        .collect();
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), 40, "every message once");
    assert_eq!(distinct.len(), 40);
    assert!(receiver.overlaps().is_empty());
}

/// A receiver written by hand: it answers every request with a redirect to `elsewhere` and
/// a 10 MB body, and counts its connections.
async fn redirecting(elsewhere: String) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let location = elsewhere.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = stream.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 10000000\r\n\r\n"
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'r'; 64 * 1024];
                for _ in 0..(10_000_000 / chunk.len()) {
                    if stream.write_all(&chunk).await.is_err() {
                        return; // the sender stopped reading: what we want
                    }
                }
            });
        }
    });
    (url, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_and_only_a_kib_of_the_answer_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _clock) = vault_in(dir.path());
    let elsewhere = Receiver::start(always(StatusCode::OK)).await.unwrap();
    let (url, served) = redirecting(elsewhere.url()).await;
    let id = vault.add_webhook(&spec(url)).unwrap().webhook.id;
    let delivery = Delivery::start(vault.open_again().unwrap(), quick()).unwrap();
    vault.send_webhook_test(id).unwrap();
    eventually(Duration::from_secs(10), || {
        deliveries(&vault, id)[0].attempts == 1
    })
    .await;
    delivery.stop().await;
    let attempt = deliveries(&vault, id).remove(0);
    assert_eq!(attempt.last_status, Some(302));
    assert_eq!(
        attempt.state,
        DeliveryState::Pending,
        "a redirect is a failure, retried"
    );
    assert_eq!(attempt.last_response.unwrap().len(), 1024);
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(elsewhere.received().is_empty(), "the redirect was followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_service_renews_what_is_due_and_holds_the_secret_for_hand_over() {
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, clock) = vault_in(dir.path());
    let id = vault
        .issue(&credential(&vault, "nightly", keysmith_core::UserId(1)))
        .unwrap()
        .credential
        .id;
    every_ten_days(&mut vault, id);
    let service = Delivery::start(vault.open_again().unwrap(), quick()).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(vault.pending_handovers().unwrap().is_empty(), "not due yet");
    clock.advance(chrono::Duration::days(10));
    eventually(Duration::from_secs(10), || {
        vault.pending_handovers().unwrap().len() == 1
    })
    .await;
    service.stop().await;
    let handover = vault.pending_handovers().unwrap().remove(0);
    assert_eq!(handover.predecessor_id, id);
    let token = vault.hand_over(handover.successor_id).unwrap();
    assert!(matches!(
        vault.verify(token.expose(), None, None).unwrap(),
        keysmith_core::Verification::Active(_)
    ));
}

/// A real SMTP server on 127.0.0.1 (aiosmtpd, from `$KEYSMITH_PYTHON`, which scripts/setup
/// makes), printing each message it receives; it is killed on drop.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
}

impl SmtpServer {
    fn start() -> SmtpServer {
        let python = std::env::var("KEYSMITH_PYTHON")
            .expect("KEYSMITH_PYTHON must name a Python with aiosmtpd; run scripts/test");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .env("PYTHONUNBUFFERED", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "aiosmtpd did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { child, port }
    }

    /// Everything it printed, once stopped.
    fn stop(mut self) -> String {
        use std::io::Read;
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut out = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_string(&mut out).unwrap();
        }
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_mail_reaches_a_real_smtp_server_and_holds_no_secret() {
    use keysmith_core::mail::{SmtpSecurity, SmtpSpec};
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _clock) = vault_in(dir.path());
    vault
        .set_smtp(Some(&SmtpSpec {
            host: "127.0.0.1".into(),
            port: smtp.port,
            security: SmtpSecurity::None,
            user: None,
            password: SecretValue::Keep,
            from: "keysmith@example.com".into(),
        }))
        .unwrap();
    let issued = vault
        .issue(&credential(&vault, "nightly", keysmith_core::UserId(1)))
        .unwrap();
    every_ten_days(&mut vault, issued.credential.id);
    let successor = vault.renew_now(issued.credential.id).unwrap();
    let service = Delivery::start(vault.open_again().unwrap(), quick()).unwrap();
    eventually(Duration::from_secs(15), || {
        vault.mail_messages(1).unwrap()[0].sent_at.is_some()
    })
    .await;
    service.stop().await;
    let new_token = vault.hand_over(successor).unwrap();
    let received = smtp.stop();
    assert!(received.contains("Keysmith renewed"), "{received}");
    assert!(received.contains("ops@example.com"), "{received}");
    assert!(
        received.contains(&format!("#{}", successor.0)),
        "{received}"
    );
    for secret in [issued.token.expose(), new_token.expose()] {
        assert!(!received.contains(secret), "a token in the mail");
    }
}
