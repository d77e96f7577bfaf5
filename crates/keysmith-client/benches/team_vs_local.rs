//! The team vault's cost, measured in one run (not a timed test): an inventory page of a vault
//! of 100,000 credentials, a search keystroke and an issue, each through a real team server on
//! loopback TLS (this process's, as `keysmith serve --team` runs it) and on the same vault
//! opened here, with one round trip measured apart (the cheapest operation, the revision).
//! Target (DESIGN, quality bars): over the team server within 2x local plus one round trip.
//! Then the server's verification throughput (two clients, keep-alive, over its TLS) alone and
//! beside five admin sessions polling as open windows do: within 5 % of alone.
//! Run with `scripts/bench-team`; `KEYSMITH_BENCH_CREDENTIALS` sets the vault's size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use keysmith_core::{
    clock, AccountHolder, CredentialQuery, Description, EmailAddress, Expiry, KdfParams, Name,
    NewCredential, Permission, RateLimit, Rights, Secret, SortKey, TokenKind, UserId, Vault,
};
use keysmith_ops::{self as ops, Operation};

const PAGE: u32 = 50;
const ROUNDS: usize = 40;

fn token(name: &str, description: &str, days: i64) -> NewCredential {
    let now = Utc::now();
    NewCredential {
        kind: TokenKind::PersonalAccessToken,
        owner: Some(UserId(1)),
        name: Name::new(name).unwrap(),
        description: Description::new(description).unwrap(),
        expiry: Expiry::new(now + chrono::Duration::days(days), now).unwrap(),
        scopes: vec![Permission::new("payables:read").unwrap()],
        rights: Rights::ReadWrite,
        applications: vec![Name::new("Internal tools").unwrap()],
        rate_limit: RateLimit::default(),
        restrictions: Default::default(),
        disabled: false,
    }
}

/// The median of `ROUNDS` runs of `work`.
fn median(mut work: impl FnMut()) -> Duration {
    work();
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[ROUNDS / 2]
}

fn page(search: Option<&str>) -> ops::ListCredentials {
    ops::ListCredentials {
        query: Some(CredentialQuery {
            search: search.map(str::to_owned),
            sort: SortKey::Name,
            descending: false,
            limit: Some(PAGE),
            ..CredentialQuery::default()
        }),
    }
}

fn main() {
    let credentials: usize = std::env::var("KEYSMITH_BENCH_CREDENTIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.vault");
    let mut vault = Vault::create(
        &path,
        &Secret::from("benchmark passphrase"),
        &AccountHolder {
            name: Name::new("Bench Holder").unwrap(),
            email: EmailAddress::try_from("bench@example.com".to_owned()).unwrap(),
        },
        KdfParams::MINIMUM,
        clock::system(),
    )
    .unwrap();
    eprintln!("filling the vault with {credentials} credentials…");
    for i in 0..credentials {
        let description = if i % 10 == 0 {
            "billing export"
        } else {
            "sync"
        };
        vault
            .issue(&token(
                &format!("integration {i:06}"),
                description,
                1 + (i % 360) as i64,
            ))
            .unwrap();
    }

    // The team server, in this process, on loopback TLS.
    let tls = keysmith_server::tls::beside_vault(&path, &[]).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    vault
        .set_team_server(&keysmith_core::TeamServer {
            url,
            fingerprint: tls.fingerprint,
        })
        .unwrap();
    let state = keysmith_server::ApiState::team(
        vault.open_again().unwrap(),
        keysmith_server::Access::Open,
        tls.fingerprint,
        None,
    )
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(keysmith_server::serve_tls_within(
        listener,
        Arc::clone(&state),
        keysmith_server::ConnectionLimits::default(),
        Some(tls),
        async move {
            let _ = stopped.await;
        },
    ));

    // A device of the account holder's.
    let (line, _) = vault.invite_by_email("bench@example.com").unwrap();
    let profiles = dir.path().join("profiles");
    let passphrase = Secret::from("bench device passphrase");
    keysmith_client::join(&line, &profiles, "bench", "bench", Some(&passphrase)).unwrap();
    let remote = keysmith_client::Remote::open(&profiles, "bench", Some(&passphrase)).unwrap();

    let round_trip = median(|| {
        remote.call(&ops::VaultRevision {}).unwrap();
    });
    let mut rows = Vec::new();
    for (name, op_local, op_remote) in [
        (
            "first inventory page (50 of all, by name)",
            page(None),
            page(None),
        ),
        (
            "search keystroke ('billing', by name)",
            page(Some("billing")),
            page(Some("billing")),
        ),
    ] {
        let local = median(|| {
            let _ = ops::ListCredentials {
                query: op_local.query.clone(),
            }
            .run(&mut vault)
            .unwrap();
        });
        let over = median(|| {
            remote.call(&op_remote).unwrap();
        });
        rows.push((name, local, over));
    }
    let mut n = 0;
    let mut issue = |on_remote: bool| {
        n += 1;
        let request: keysmith_core::IssueRequest = serde_json::from_value(serde_json::json!({
            "kind": "personal_access_token", "owner_id": 1, "name": format!("bench issue {n}"),
            "description": "", "scopes": ["payables:read"], "rights": "read",
            "applications": ["Internal tools"], "rate_limit": null,
            "expires_on": (Utc::now() + chrono::Duration::days(30)).date_naive().to_string(),
        }))
        .unwrap();
        let op = ops::IssueCredential { request };
        if on_remote {
            remote.call(&op).unwrap();
        } else {
            op.run(&mut vault).unwrap();
        }
    };
    let local_issue = median(|| issue(false));
    let remote_issue = median(|| issue(true));
    rows.push(("issue one credential", local_issue, remote_issue));

    println!("\nteam server over loopback TLS vs the same vault here ({credentials} credentials)");
    println!("one round trip (the revision): {:.2} ms", ms(round_trip));
    for (name, local, over) in rows {
        let budget = 2.0 * ms(local) + ms(round_trip);
        println!(
            "{name}: here {:.2} ms, over the server {:.2} ms; {:.2}x of (2x here + one round trip) (target <= 1.00)",
            ms(local),
            ms(over),
            ms(over) / budget
        );
    }

    // Verification beside five polling windows.
    let tokens: Vec<String> = (0..200)
        .map(|i| {
            let new = NewCredential {
                rate_limit: RateLimit::new(10_000).unwrap(),
                ..token(&format!("load {i}"), "", 30)
            };
            vault.issue(&new).unwrap().token.expose().to_owned()
        })
        .collect();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let base = remote.profile().server.clone();
    let alone = verifications_per_second(&base, &tokens);
    let stop_polling = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pollers: Vec<_> = (0..5)
        .map(|_| {
            let window =
                keysmith_client::Remote::open(&profiles, "bench", Some(&passphrase)).unwrap();
            let stop = Arc::clone(&stop_polling);
            std::thread::spawn(move || {
                let mut tick = 0u32;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    window.call(&ops::VaultRevision {}).unwrap();
                    if tick % 2 == 0 {
                        window.call(&ops::PendingOAuthRequests {}).unwrap();
                    }
                    tick += 1;
                    std::thread::sleep(Duration::from_secs(1));
                }
            })
        })
        .collect();
    let beside = verifications_per_second(&base, &tokens);
    stop_polling.store(true, std::sync::atomic::Ordering::SeqCst);
    for poller in pollers {
        poller.join().unwrap();
    }
    println!(
        "verifications over the team server's TLS: {alone:.0}/s alone, {beside:.0}/s beside five polling windows: {:.2}x (target >= 0.95)",
        beside / alone
    );

    let _ = stop.send(());
    runtime.block_on(server).unwrap().unwrap();
}

/// Verifications answered per second over `base` by two clients (keep-alive) in 5 s, each
/// verification of one of `tokens` in turn.
fn verifications_per_second(base: &str, tokens: &[String]) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    let counts: Vec<_> = (0..2)
        .map(|client| {
            let url = format!("{base}/v1/verify");
            let tokens = tokens.to_vec();
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .danger_accept_invalid_certs(true)
                    .build()
                    .unwrap();
                let mut answered = 0u64;
                let mut k = client;
                while Instant::now() < deadline {
                    let body = format!(r#"{{"token":"{}"}}"#, tokens[k % tokens.len()]);
                    let response = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .unwrap();
                    assert!(response.status().is_success(), "{}", response.status());
                    answered += 1;
                    k += 2;
                }
                answered
            })
        })
        .collect();
    let total: u64 = counts.into_iter().map(|count| count.join().unwrap()).sum();
    total as f64 / 5.0
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
