//! Webhook figures (scripts/bench-webhooks), measured in one run on this machine:
//! - the cost a webhook adds to issuing: the median time of one issue in a vault with no
//!   webhook and in one with 3 webhooks subscribed to every event, in alternating rounds
//!   (target: under 1.2×);
//! - deliveries per second from the outbox to a receiver on 127.0.0.1 that answers 200 at
//!   once, with the default configuration (8 attempts in flight).

use std::time::{Duration, Instant};

use chrono::Utc;
use keysmith_core::{
    clock, AccountHolder, Description, EmailAddress, Expiry, KdfParams, Name, NewCredential,
    Permission, RateLimit, Rights, Secret, TokenKind, UserId, Vault, WebhookSpec,
};
use keysmith_delivery::receiver::{always, Receiver, StatusCode};
use keysmith_delivery::{Delivery, DeliveryConfig};

const ROUNDS: usize = 20;
const PER_ROUND: usize = 100;
const MESSAGES: usize = 2_000;

fn vault(dir: &std::path::Path, name: &str) -> Vault {
    Vault::create(
        &dir.join(name),
        &Secret::from("webhook bench passphrase"),
        &AccountHolder {
            name: Name::new("Ada Holder").unwrap(),
            email: EmailAddress::try_from("ada@example.com".to_owned()).unwrap(),
        },
        KdfParams::MINIMUM,
        clock::system(),
    )
    .unwrap()
}

fn webhook(url: String) -> WebhookSpec {
    WebhookSpec {
        url,
        description: String::new(),
        all_events: true,
        events: vec![],
        basic_auth: None,
        headers: vec![],
    }
}

fn credential(name: String) -> NewCredential {
    let now = Utc::now();
    NewCredential {
        kind: TokenKind::PersonalAccessToken,
        owner: Some(UserId(1)),
        name: Name::new(&name).unwrap(),
        description: Description::new("").unwrap(),
        expiry: Expiry::new(now + chrono::Duration::days(90), now).unwrap(),
        scopes: vec![Permission::new("payables:read").unwrap()],
        rights: Rights::Read,
        applications: vec![Name::new("Internal tools").unwrap()],
        rate_limit: RateLimit::default(),
        restrictions: Default::default(),
        disabled: false,
    }
}

/// The time of each of `PER_ROUND` issues into `vault`.
fn issue_round(vault: &mut Vault, round: usize, times: &mut Vec<Duration>) {
    for n in 0..PER_ROUND {
        let new = credential(format!("bench {round}-{n}"));
        let start = Instant::now();
        vault.issue(&new).unwrap();
        times.push(start.elapsed());
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(always(StatusCode::OK)).await.unwrap();

    let mut bare = vault(dir.path(), "bare.vault");
    let mut hooked = vault(dir.path(), "hooked.vault");
    for _ in 0..3 {
        hooked.add_webhook(&webhook(receiver.url())).unwrap();
    }
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        issue_round(&mut bare, round, &mut without);
        issue_round(&mut hooked, round, &mut with);
    }
    let (without, with) = (median(&mut without), median(&mut with));
    println!(
        "issue median: {:.1} µs without webhooks, {:.1} µs with 3 subscribed: {:.2}x (target < 1.2x)",
        without.as_secs_f64() * 1e6,
        with.as_secs_f64() * 1e6,
        with.as_secs_f64() / without.as_secs_f64()
    );

    let mut outbox = vault(dir.path(), "outbox.vault");
    let id = outbox
        .add_webhook(&webhook(receiver.url()))
        .unwrap()
        .webhook
        .id;
    for _ in 0..MESSAGES {
        outbox.send_webhook_test(id).unwrap();
    }
    let before = receiver.received().len();
    let start = Instant::now();
    let delivery =
        Delivery::start(outbox.open_again().unwrap(), DeliveryConfig::default()).unwrap();
    while receiver.received().len() - before < MESSAGES {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "not delivered in 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = start.elapsed();
    delivery.stop().await;
    println!(
        "delivery: {MESSAGES} messages to 127.0.0.1 in {:.2} s: {:.0} deliveries/s",
        elapsed.as_secs_f64(),
        MESSAGES as f64 / elapsed.as_secs_f64()
    );
}
