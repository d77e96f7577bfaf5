//! The `keysmith` binary as a subprocess, end to end: init → issue → verify → serve → verify
//! and exchange over HTTP → revoke → refused, plus exit codes and error lines.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

mod support;

use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn init_issue_serve_verify_revoke_refused() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("cli.vault");
    init(&vault);

    let pat = issue_json(&vault, "ci", &["--scope", "payables:read"]);
    let token = pat["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ks_pat_"));
    let pair = issue_json(
        &vault,
        "ledger",
        &["--kind", "client-credentials", "--scope", "payables:read"],
    );
    let client_id = pair["client_id"].as_str().unwrap().to_owned();
    let client_secret = pair["client_secret"].as_str().unwrap().to_owned();

    // verify reads the token from stdin: exit 0 when active, 1 when not, with the reason.
    let line = format!("{token}\n");
    let active = keysmith_with_stdin(&vault, &["verify", "--scope", "payables:read"], &line);
    assert_eq!(active.status.code(), Some(0));
    assert!(
        active.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&active.stderr)
    );
    let refused = keysmith_with_stdin(&vault, &["verify", "-", "--scope", "users:write"], &line);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(stdout(&refused).trim(), "not active: scope_not_granted");
    let malformed = keysmith_with_stdin(&vault, &["verify", "--json"], "ks_pat_nope\n");
    assert_eq!(malformed.status.code(), Some(1));
    assert_eq!(ok_json_lenient(&malformed)["reason"], "malformed");
    // A token given as an argument still works, with a warning: other users can read it.
    let argument = keysmith(&vault, &["verify", &token, "--scope", "payables:read"]);
    assert_eq!(argument.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&argument.stderr).contains("visible to other users"));

    // list and show never print a secret.
    let listed = ok_json(keysmith(&vault, &["list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let shown = keysmith(&vault, &["show", &pat["id"].to_string(), "--json"]);
    for output in [&shown, &keysmith(&vault, &["list"])] {
        assert!(!stdout(output).contains(&token) && !stdout(output).contains(&client_secret));
    }

    // Over HTTP, while the CLI changes the vault from another process.
    let server = Server::start(&vault, &[]);
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let verify = |token: String| {
        let (client, url) = (client.clone(), format!("{}/v1/verify", server.base));
        async move { post(&client, url, json!({ "token": token })).await }
    };
    let (status, answer) = verify(token.clone()).await;
    assert_eq!(
        (status, answer["active"].clone()),
        (200, json!(true)),
        "{answer}"
    );
    let (status, granted) = post(
        &client,
        format!("{}/v1/oauth/token", server.base),
        json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret }),
    )
    .await;
    assert_eq!(status, 200, "{granted}");
    let access = granted["access_token"].as_str().unwrap().to_owned();
    assert_eq!(verify(access.clone()).await.1["active"], true);

    let revoked = keysmith(&vault, &["revoke", &pat["id"].to_string()]);
    assert!(revoked.status.success());
    let (_, answer) = verify(token.clone()).await;
    assert_eq!(
        (answer["active"].clone(), answer["reason"].clone()),
        (json!(false), json!("revoked"))
    );
    let (_, answer) = verify(access).await;
    assert_eq!(
        answer["active"], true,
        "the pair's access token is unaffected"
    );
    // serve logs to stderr, and never a secret.
    let (stopped, log) = server.stop_with_log();
    assert!(stopped.success());
    assert!(
        log.contains("local API listening") && log.contains("local API stopped"),
        "{log}"
    );
    for secret in [token.as_str(), client_secret.as_str(), PASSPHRASE] {
        assert!(!log.contains(secret), "a secret in the log");
    }

    // The server wrote "last used" before it stopped.
    let shown = ok_json(keysmith(
        &vault,
        &["show", &pat["id"].to_string(), "--json"],
    ));
    assert!(shown["last_used_at"].is_string(), "{shown}");
    assert_eq!(shown["status"], "revoked");
}

#[test]
fn errors_are_one_line_with_their_code_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("errors.vault");
    let missing = keysmith(&vault, &["list"]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr).into_owned();
    assert!(stderr.starts_with("error: vault_not_found: "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);

    init(&vault);
    let unknown = keysmith(&vault, &["show", "999"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).starts_with("error: credential_not_found: "));
    let too_far = keysmith(
        &vault,
        &["issue", "--name", "x", "--expires", &in_days(366)],
    );
    assert!(String::from_utf8_lossy(&too_far.stderr).starts_with("error: expiry_too_far: "));

    let wrong = Command::new(env!("CARGO_BIN_EXE_keysmith"))
        .arg("--vault")
        .arg(&vault)
        .args(["list", "--passphrase-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"not the passphrase\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).starts_with("error: wrong_passphrase: "));

    // Another vault's key header (same passphrase): one line, its own code, no SQLCipher
    // log lines beside it.
    let other = dir.path().join("other.vault");
    init(&other);
    let keys = |vault: &Path| {
        let mut name = vault.as_os_str().to_owned();
        name.push(".keys");
        std::path::PathBuf::from(name)
    };
    std::fs::copy(keys(&other), keys(&vault)).unwrap();
    let mismatch = keysmith(&vault, &["list"]);
    assert_eq!(mismatch.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&mismatch.stderr).into_owned();
    assert!(stderr.starts_with("error: header_mismatch: "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let help = keysmith(&vault, &["--help"]);
    assert!(stdout(&help).contains("Exit codes: 0 success"));
}

/// `list`, `show` and `verify` open the vault for reading: the files stay byte for byte as
/// they were, no -wal or -shm file is left beside them, and no audit row is added. A command
/// that changes something is a session, audited.
#[test]
fn reading_commands_leave_the_vault_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("read.vault");
    init(&vault);
    let issued = issue_json(&vault, "read me", &[]);
    let token = issued["token"].as_str().unwrap();
    let files = || {
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let (listed, bytes) = (files(), std::fs::read(&vault).unwrap());
    assert_eq!(listed.len(), 2, "{listed:?}");
    for _ in 0..3 {
        assert!(keysmith(&vault, &["list"]).status.success());
        assert!(keysmith(&vault, &["show", "1", "--json"]).status.success());
        assert!(keysmith_with_stdin(&vault, &["verify"], token)
            .status
            .success());
    }
    assert_eq!(files(), listed);
    assert!(
        std::fs::read(&vault).unwrap() == bytes,
        "a reading command wrote"
    );

    assert!(keysmith(&vault, &["disable", "1"]).status.success());
    assert!(std::fs::read(&vault).unwrap() != bytes);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verifier_key_from_the_command_line_opens_a_strict_server() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("strict.vault");
    init(&vault);
    // Beyond loopback only when confirmed: refused before anything listens.
    let unconfirmed = keysmith(&vault, &["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unconfirmed.stderr)
        .starts_with("error: remote_bind_unconfirmed: "));

    let key = issue_json(&vault, "gateway", &["--kind", "verifier"]);
    let key = key["token"].as_str().unwrap().to_owned();
    assert!(key.starts_with("ks_vfy_"));
    let pat = issue_json(&vault, "ci", &[]);

    let server = Server::start(&vault, &["--require-verifier"]);
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let verify = |bearer: Option<&str>| {
        let mut request = client
            .post(format!("{}/v1/verify", server.base))
            .json(&json!({ "token": pat["token"] }));
        if let Some(key) = bearer {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    assert_eq!(verify(None).await.unwrap().status(), 401);
    let answered = verify(Some(&key)).await.unwrap();
    assert_eq!(answered.status(), 200);
    assert_eq!(answered.json::<Value>().await.unwrap()["active"], true);
    assert!(server.stop().success());
}

/// Eight `keysmith` processes at once, ten rounds, each listing and then issuing on the same
/// vault file, while `keysmith serve` answers a stream of client-credentials exchanges (each a
/// write): every run succeeds. (Issuing writes an audit row for its unlock and two tables;
/// every write waits for the write lock instead of failing on it, and takes the audit sequence
/// inside its own transaction. Listing writes nothing.)
#[tokio::test(flavor = "multi_thread")]
async fn eight_processes_at_once_beside_a_loaded_server_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("busy.vault");
    init(&vault);
    let expires = in_days(30);
    let pair = issue_json(
        &vault,
        "exchanger",
        &["--kind", "client-credentials", "--rate-limit", "10000"],
    );
    let server = Server::start(&vault, &[]);
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let loading = Arc::new(AtomicBool::new(true));
    // A bounded stream of exchanges on loopback: at most 20,000, and it stops with the rounds.
    let load = tokio::spawn({
        let (loading, url) = (
            Arc::clone(&loading),
            format!("{}/v1/oauth/token", server.base),
        );
        let body = json!({
            "grant_type": "client_credentials",
            "client_id": pair["client_id"],
            "client_secret": pair["client_secret"],
        });
        async move {
            let mut granted = 0;
            for _ in 0..20_000 {
                if !loading.load(Ordering::Relaxed) {
                    break;
                }
                if post(&client, url.clone(), body.clone()).await.0 == 200 {
                    granted += 1;
                }
            }
            granted
        }
    });

    let mut failures = Vec::new();
    for round in 0..10 {
        let runs: Vec<_> = (0..8)
            .map(|process| {
                let (vault, expires) = (vault.clone(), expires.clone());
                std::thread::spawn(move || {
                    let name = format!("round {round} process {process}");
                    [
                        keysmith(&vault, &["list"]),
                        keysmith(
                            &vault,
                            &[
                                "issue",
                                "--name",
                                &name,
                                "--expires",
                                &expires,
                                "--scope",
                                "payables:read",
                            ],
                        ),
                    ]
                })
            })
            .collect();
        for run in runs {
            for output in run.join().unwrap() {
                if !output.status.success() {
                    failures.push(String::from_utf8_lossy(&output.stderr).into_owned());
                }
            }
        }
    }
    loading.store(false, Ordering::Relaxed);
    let granted = load.await.unwrap();
    assert!(granted > 0, "the server answered no exchange");
    assert!(server.stop().success());
    assert!(
        failures.is_empty(),
        "{} of 160 failed: {failures:?}",
        failures.len()
    );
    let listed = ok_json(keysmith(&vault, &["list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 81);
}

/// The readable, writable memory of process `pid` that is not a mapped file: its heaps and
/// anonymous mappings (thread stacks among them).
#[cfg(target_os = "linux")]
fn private_memory(pid: u32) -> Vec<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    let mut memory = Vec::new();
    for line in maps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let file_backed = fields.get(5).is_some_and(|path| path.starts_with('/'));
        if !fields[1].starts_with("rw") || file_backed {
            continue;
        }
        let (start, end) = fields[0].split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let mut region = vec![0; usize::try_from(end - start).unwrap()];
        // A guard page or a mapping gone meanwhile is simply not read.
        if mem.seek(SeekFrom::Start(start)).is_ok() && mem.read_exact(&mut region).is_ok() {
            memory.extend_from_slice(&region);
        }
    }
    memory
}

/// Tokens, client secrets and access tokens that went through `keysmith serve` (in request
/// bodies, in a Basic header, in its answers) are not left in its memory once the requests
/// are over: every freed heap block is zeroed. (Without it, 2 to 4 of these 10 were found.)
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn secrets_that_went_through_serve_are_not_left_in_its_memory() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("memory.vault");
    init(&vault);
    let mut secrets: Vec<String> = (0..6)
        .map(|i| {
            let issued = issue_json(&vault, &format!("pat {i}"), &[]);
            issued["token"].as_str().unwrap().to_owned()
        })
        .collect();
    let pair = issue_json(&vault, "pair", &["--kind", "client-credentials"]);
    let client_id = pair["client_id"].as_str().unwrap();
    let client_secret = pair["client_secret"].as_str().unwrap().to_owned();

    let server = Server::start(&vault, &[]);
    // A connection per request, closed after it: its buffers are freed.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .no_proxy()
        .build()
        .unwrap();
    for token in &secrets {
        let (status, _) = post(
            &client,
            format!("{}/v1/verify", server.base),
            json!({ "token": token }),
        )
        .await;
        assert_eq!(status, 200);
    }
    let url = format!("{}/v1/oauth/token", server.base);
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret.as_str()),
    ];
    let mut access_tokens = Vec::new();
    for request in [
        client.post(&url).form(&fields),
        client.post(&url).json(&json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret })),
        client
            .post(&url)
            .basic_auth(client_id, Some(&client_secret))
            .form(&[("grant_type", "client_credentials")]),
    ] {
        let granted: Value = request.send().await.unwrap().json().await.unwrap();
        access_tokens.push(granted["access_token"].as_str().unwrap().to_owned());
    }
    for token in &access_tokens {
        let (status, answer) = post(
            &client,
            format!("{}/v1/verify", server.base),
            json!({ "token": token }),
        )
        .await;
        assert_eq!((status, &answer["active"]), (200, &json!(true)));
    }
    secrets.push(client_secret);
    secrets.extend(access_tokens);
    drop(client);
    // The "last used" flush has run, and every connection is closed.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let memory = private_memory(server.child.id());
    assert!(memory.len() > 1 << 20, "read {} bytes", memory.len());
    let left: Vec<&str> = secrets
        .iter()
        .filter(|secret| memory.windows(secret.len()).any(|w| w == secret.as_bytes()))
        .map(|secret| &secret[..10])
        .collect();
    assert!(
        left.is_empty(),
        "{} of {} secrets left: {left:?}",
        left.len(),
        secrets.len()
    );
    server.stop();
}

/// `keysmith webhook add --url URL --all-events` with `extra` arguments and `stdin`; the
/// printed `{id, secret}`.
fn add_webhook(vault: &Path, url: &str, extra: &[&str], stdin: &str) -> Value {
    let mut args = vec!["webhook", "add", "--url", url, "--all-events", "--json"];
    args.extend_from_slice(extra);
    ok_json(keysmith_with_stdin(vault, &args, stdin))
}

/// Waits up to `limit` for `done`.
async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_commands_add_test_and_log_and_never_print_a_hidden_value() {
    use keysmith_delivery::receiver::{always, Receiver};
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("cli.vault");
    init(&vault);
    let receiver = Receiver::start(always(reqwest::StatusCode::NO_CONTENT))
        .await
        .unwrap();
    let added = add_webhook(
        &vault,
        &receiver.url(),
        &[
            "--basic-user",
            "keysmith",
            "--basic-password-stdin",
            "--header",
            "X-Tenant=acme",
            "--hidden-header",
            "X-Api-Key",
        ],
        "basic-secret-pw\nhidden-secret-value\n",
    );
    let id = added["id"].as_i64().unwrap().to_string();
    let secret = added["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));

    let shown = stdout(&keysmith(&vault, &["webhook", "show", &id]));
    assert!(shown.contains("X-Api-Key: •••• (hidden)"), "{shown}");
    assert!(shown.contains("X-Tenant: acme"), "{shown}");
    for listing in [
        shown,
        stdout(&keysmith(&vault, &["webhook", "list", "--json"])),
        stdout(&keysmith(&vault, &["webhook", "show", &id, "--json"])),
    ] {
        for hidden in ["basic-secret-pw", "hidden-secret-value", &secret] {
            assert!(!listing.contains(hidden), "{hidden} printed");
        }
    }

    // No app or server runs: `webhook test` delivers itself and reports the outcome.
    let tested = keysmith(&vault, &["webhook", "test", &id]);
    assert!(
        tested.status.success(),
        "{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    assert!(
        stdout(&tested).contains("webhook.test\tdelivered"),
        "{}",
        stdout(&tested)
    );
    let request = receiver.received().remove(0);
    standardwebhooks::Webhook::new(&secret)
        .unwrap()
        .verify(&request.body, &request.headers)
        .expect("signed");
    assert_eq!(request.header("x-api-key"), "hidden-secret-value");
    let log = ok_json(keysmith(&vault, &["webhook", "deliveries", &id, "--json"]));
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(
        log[0]["message_id"].as_str().unwrap(),
        request.header("webhook-id")
    );

    // Bad input: a typed error, nothing saved.
    for (args, code) in [
        (
            vec!["--url", "http://hooks.example.com/", "--all-events"],
            "invalid_webhook_url",
        ),
        (
            vec![
                "--url",
                "https://a.example/",
                "--event",
                "credential.exploded",
            ],
            "unknown_event",
        ),
        (
            vec![
                "--url",
                "https://a.example/",
                "--all-events",
                "--header",
                "Webhook-Id=1",
            ],
            "invalid_header",
        ),
    ] {
        let mut all = vec!["webhook", "add"];
        all.extend(args);
        let refused = keysmith(&vault, &all);
        assert_eq!(refused.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(code), "{stderr}");
    }
    let listed = ok_json(keysmith(&vault, &["webhook", "list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);

    assert!(keysmith(&vault, &["webhook", "disable", &id])
        .status
        .success());
    let refused = keysmith(&vault, &["webhook", "test", &id]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("webhook_disabled"));
    assert!(keysmith(&vault, &["webhook", "delete", &id])
        .status
        .success());
    assert_eq!(
        stdout(&keysmith(&vault, &["webhook", "list"])).trim(),
        "no webhooks"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kill_9_of_serve_in_the_middle_of_a_delivery_loses_nothing() {
    use keysmith_delivery::receiver::Receiver;
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("cli.vault");
    init(&vault);
    // The first request is never answered in time; later ones are.
    let receiver = Receiver::start(std::sync::Arc::new(|n| match n {
        0 => (reqwest::StatusCode::OK, Duration::from_secs(120)),
        _ => (reqwest::StatusCode::OK, Duration::ZERO),
    }))
    .await
    .unwrap();
    let id = add_webhook(&vault, &receiver.url(), &[], "")["id"].to_string();
    let mut server = Server::start(&vault, &[]);
    issue_json(&vault, "nightly", &[]);
    eventually(Duration::from_secs(10), || receiver.received().len() == 1).await;
    server.child.kill().unwrap(); // SIGKILL, while the receiver holds the request
    server.child.wait().unwrap();
    drop(server);

    let server = Server::start(&vault, &[]);
    eventually(Duration::from_secs(60), || receiver.received().len() == 2).await;
    let log = ok_json(keysmith(&vault, &["webhook", "deliveries", &id, "--json"]));
    assert_eq!(log[0]["state"], "delivered", "{log}");
    let received = receiver.received();
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id")
    );
    assert_eq!(received[1].event(), "credential.created");
    assert!(server.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_one_vault_deliver_each_message_once() {
    use keysmith_delivery::receiver::Receiver;
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("cli.vault");
    init(&vault);
    let receiver = Receiver::start(std::sync::Arc::new(|_| {
        (reqwest::StatusCode::OK, Duration::from_millis(50))
    }))
    .await
    .unwrap();
    add_webhook(&vault, &receiver.url(), &[], "");
    let one = Server::start(&vault, &[]);
    let two = Server::start(&vault, &[]);
    for n in 0..12 {
        issue_json(&vault, &format!("token {n}"), &[]);
    }
    eventually(Duration::from_secs(30), || receiver.received().len() >= 12).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(one.stop().success() && two.stop().success());
    let ids: std::collections::HashSet<String> = receiver
        .received()
        .iter()
        .map(|request| request.header("webhook-id"))
        .collect();
    assert_eq!((receiver.received().len(), ids.len()), (12, 12));
    assert!(receiver.overlaps().is_empty());
}

#[test]
fn renewals_trigger_list_and_reveal_once() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("cli.vault");
    init(&vault);
    let issued = issue_json(
        &vault,
        "nightly",
        &[
            "--auto-renew-every",
            "7",
            "--renewal-recipient",
            "ops@example.com",
        ],
    );
    let id = issued["id"].as_i64().unwrap();
    let triggered = keysmith(&vault, &["renewals", "trigger", &id.to_string()]);
    assert!(
        triggered.status.success(),
        "{}",
        String::from_utf8_lossy(&triggered.stderr)
    );
    let waiting = ok_json(keysmith(&vault, &["renewals", "list", "--json"]));
    let successor = waiting[0]["successor_id"].as_i64().unwrap().to_string();
    assert!(stdout(&triggered).contains(&format!("new credential {successor}")));
    // The old token runs on to its expiry and says who renewed it.
    let old = keysmith_with_stdin(
        &vault,
        &["verify"],
        &format!("{}\n", issued["token"].as_str().unwrap()),
    );
    assert_eq!(old.status.code(), Some(0));
    assert!(
        stdout(&old).contains(&format!("renewed: superseded by {successor}")),
        "{}",
        stdout(&old)
    );

    let revealed = keysmith(&vault, &["renewals", "reveal", &successor]);
    assert!(revealed.status.success());
    let token = stdout(&revealed).trim().to_owned();
    assert!(token.starts_with("ks_pat_"), "{token}");
    let verified = keysmith_with_stdin(&vault, &["verify"], &format!("{token}\n"));
    assert_eq!(verified.status.code(), Some(0));
    let again = keysmith(&vault, &["renewals", "reveal", &successor]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already_handed_over"));
    assert_eq!(
        stdout(&keysmith(&vault, &["renewals", "list"])).trim(),
        "nothing waits to be handed over"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewal_callback_is_signed_and_its_claim_key_redeems_once_in_either_spelling() {
    use keysmith_delivery::receiver::{always, Receiver};
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("cli.vault");
    init(&vault);
    let receiver = Receiver::start(always(reqwest::StatusCode::NO_CONTENT))
        .await
        .unwrap();
    let callback = receiver.url();
    let renewing = [
        "--auto-renew-every",
        "7",
        "--renewal-recipient",
        "ops@example.com",
        "--renewal-callback",
        callback.as_str(),
    ];
    // A callback to this computer is a private address: refused until the account holder
    // allows those, and nothing is issued.
    let mut refused_args = vec!["issue", "--name", "too early", "--scope", "payables:read"];
    let expires = in_days(30);
    refused_args.extend(["--expires", expires.as_str()]);
    refused_args.extend(renewing);
    let refused = keysmith(&vault, &refused_args);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("invalid_auto_renewal"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(
        stdout(&keysmith(&vault, &["private-callbacks"])).trim(),
        "refused"
    );
    assert_eq!(
        stdout(&keysmith(&vault, &["private-callbacks", "--allow"])).trim(),
        "allowed"
    );
    let issued_a = issue_json(&vault, "service a", &renewing);
    let a = issued_a["id"].as_i64().unwrap();
    let b = issue_json(&vault, "service b", &renewing)["id"]
        .as_i64()
        .unwrap();
    let signing_secret = keysmith_core::Vault::unlock(
        &vault,
        &keysmith_core::Secret::from(PASSPHRASE),
        keysmith_core::clock::system(),
    )
    .unwrap()
    .renewal_signing_secret()
    .unwrap();
    let server = Server::start(&vault, &[]);
    for id in [a, b] {
        assert!(keysmith(&vault, &["renewals", "trigger", &id.to_string()])
            .status
            .success());
    }
    eventually(Duration::from_secs(10), || receiver.received().len() == 2).await;
    let verifier = standardwebhooks::Webhook::new(signing_secret.expose()).unwrap();
    let mut keys = std::collections::HashMap::new();
    for request in receiver.received() {
        verifier
            .verify(&request.body, &request.headers)
            .expect("signed with the vault's renewal secret");
        assert_eq!(request.event(), "credential.renewal_claim");
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let data = &body["data"];
        keys.insert(
            data["credential_id"].as_i64().unwrap(),
            data["claim_key"].as_str().unwrap().to_owned(),
        );
    }

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let redeem = |key: &str| {
        client
            .post(format!("{}/v1/renewals/redeem", server.base))
            .json(&json!({ "claim_key": key }))
            .send()
    };
    let first = redeem(&keys[&a]).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let answer: Value = first.json().await.unwrap();
    let token_a = answer["token"].as_str().unwrap().to_owned();
    let again = redeem(&keys[&a]).await.unwrap();
    assert_eq!(again.status(), 400);
    let refused: Value = again.json().await.unwrap();
    assert_eq!(refused["code"], "invalid_claim");

    // Someone else, from another address, guesses claim keys the way an <img> tag would:
    // after ten failures they wait; the real key's holder is not held up by it.
    let guesser = reqwest::Client::builder()
        .no_proxy()
        .local_address(Some([127, 0, 0, 2].into()))
        .build()
        .unwrap();
    let guess = || {
        guesser
            .get(format!(
                "{}/apiAccessTokens/requestRenewedToken?requestToken=x",
                server.base
            ))
            .send()
    };
    for _ in 0..10 {
        assert_eq!(guess().await.unwrap().status(), 400);
    }
    assert_eq!(guess().await.unwrap().status(), 429);
    let seed_spelling = client
        .get(format!(
            "{}/apiAccessTokens/requestRenewedToken?requestToken={}",
            server.base, keys[&b]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(seed_spelling.status(), 200);
    assert_eq!(seed_spelling.headers()["cache-control"], "no-store");
    let token_b: Value = seed_spelling.json().await.unwrap();
    let token_b = token_b["token"].as_str().unwrap().to_owned();
    for token in [&token_a, &token_b] {
        let (status, verified) = post(
            &client,
            format!("{}/v1/verify", server.base),
            json!({ "token": token }),
        )
        .await;
        assert_eq!((status, &verified["active"]), (200, &json!(true)));
        assert_eq!(verified.get("superseded_by"), None);
    }
    // The old token of a is in its grace: good for a day more, naming its successor.
    let (status, old_a) = post(
        &client,
        format!("{}/v1/verify", server.base),
        json!({ "token": issued_a["token"] }),
    )
    .await;
    assert_eq!((status, &old_a["active"]), (200, &json!(true)));
    assert_eq!(old_a["superseded_by"], answer["credential_id"]);
    let grace_left = old_a["exp"].as_i64().unwrap() - chrono::Utc::now().timestamp();
    assert!((86_300..=86_400).contains(&grace_left), "{grace_left}");
    let (_, log) = server.stop_with_log();
    for secret in [&token_a, &token_b, &keys[&a], &keys[&b]] {
        assert!(!log.contains(secret.as_str()), "a secret in serve's log");
    }
}

#[test]
fn auto_renewal_is_set_at_issue_or_by_edit_and_a_period_too_long_issues_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("cli.vault");
    init(&vault);
    let too_long = keysmith(
        &vault,
        &[
            "issue",
            "--name",
            "monthly",
            "--expires",
            &in_days(30),
            "--auto-renew-every",
            "40",
            "--renewal-recipient",
            "ops@example.com",
        ],
    );
    assert_eq!(too_long.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("renewal_period_too_long"));
    assert_eq!(
        ok_json(keysmith(&vault, &["list", "--json"])),
        json!([]),
        "nothing issued"
    );

    let id = issue_json(
        &vault,
        "monthly",
        &[
            "--auto-renew-every",
            "7",
            "--renewal-recipient",
            "ops@example.com",
            "--renewal-callback",
            "https://hooks.example.com/renewed",
        ],
    )["id"]
        .as_i64()
        .unwrap();
    let settings = |vault: &Path| {
        keysmith_core::Vault::unlock_read_only(
            vault,
            &keysmith_core::Secret::from(PASSPHRASE),
            keysmith_core::clock::system(),
        )
        .unwrap()
        .auto_renewal(keysmith_core::CredentialId(id))
        .unwrap()
    };
    let stored = settings(&vault).unwrap();
    assert_eq!(stored.every_days, 7);
    assert_eq!(
        stored.callback_url.map(String::from).as_deref(),
        Some("https://hooks.example.com/renewed")
    );

    let id_text = id.to_string();
    let edited = keysmith(
        &vault,
        &[
            "edit",
            &id_text,
            "--auto-renew-every",
            "14",
            "--renewal-recipient",
            "ops@example.com",
        ],
    );
    assert!(
        edited.status.success(),
        "{}",
        String::from_utf8_lossy(&edited.stderr)
    );
    assert_eq!(settings(&vault).unwrap().every_days, 14);
    assert!(keysmith(&vault, &["edit", &id_text, "--no-auto-renew"])
        .status
        .success());
    assert_eq!(settings(&vault), None);
    let nothing = keysmith(&vault, &["edit", &id_text]);
    assert_eq!(nothing.status.code(), Some(2));
}

/// The shipped systemd user unit passes `systemd-analyze verify` (a real systemd cannot manage
/// a service in this container, so the unit's command is run as systemd would run it): with the
/// environment file its comments describe, in an otherwise empty environment, it serves the
/// vault, and SIGTERM stops it with success well within `TimeoutStopSec`.
#[test]
fn the_shipped_systemd_unit_verifies_and_its_command_serves_from_the_environment_file() {
    let unit = ShippedUnit::read("keysmith-serve.service");
    assert_eq!(
        unit.directive("EnvironmentFile"),
        "-%h/.config/keysmith/serve.env"
    );
    let stop_within: u64 = unit.directive("TimeoutStopSec").parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let command = unit.verify(dir.path(), "keysmith-serve.service", true);

    let vault = dir.path().join("served.vault");
    init(&vault);
    let mut opened = keysmith_core::Vault::unlock(
        &vault,
        &keysmith_core::Secret::from(PASSPHRASE),
        keysmith_core::clock::system(),
    )
    .unwrap();
    let mut settings = opened.settings().unwrap();
    settings.api.port = 0;
    opened.update_settings(settings).unwrap();
    drop(opened);
    let environment_file = format!(
        "KEYSMITH_VAULT={}\nKEYSMITH_PASSPHRASE={PASSPHRASE}\n",
        vault.display()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_keysmith"))
        .args(&command[1..])
        .env_clear()
        .env("HOME", dir.path())
        .envs(
            environment_file
                .lines()
                .filter_map(|line| line.split_once('=')),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = listening_on(&mut child);
    let answered = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{base}/v1/openapi.json"))
        .send()
        .unwrap();
    assert_eq!(answered.status(), 200);

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(stop_within);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running {stop_within} s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn usage_limits_and_allowlists_are_set_at_issue_and_by_edit_and_checked_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("limits.vault");
    init(&vault);
    let issued = issue_json(
        &vault,
        "partner",
        &[
            "--scope",
            "payables:read",
            "--max-uses",
            "2",
            "--refill",
            "daily",
            "--allow-ip",
            "10.0.0.0/8",
            "--allow-ip",
            "2001:db8::/32",
        ],
    );
    let id = issued["id"].to_string();
    let line = format!("{}\n", issued["token"].as_str().unwrap());
    let shown = ok_json(keysmith(&vault, &["show", &id, "--json"]));
    assert_eq!(shown["usage"]["max_uses"], 2);
    assert_eq!(shown["usage"]["left"], 2);
    assert_eq!(shown["usage"]["refill"], "daily");
    assert_eq!(shown["allowed_ips"], json!(["10.0.0.0/8", "2001:db8::/32"]));

    // verify checks the address, and the limit without spending it (the vault is read-only).
    let outside = keysmith_with_stdin(&vault, &["verify", "--client-ip", "192.0.2.1"], &line);
    assert_eq!(stdout(&outside).trim(), "not active: ip_not_allowed");
    for _ in 0..3 {
        let inside = keysmith_with_stdin(&vault, &["verify", "--client-ip", "10.9.8.7"], &line);
        assert_eq!(inside.status.code(), Some(0), "{}", stdout(&inside));
        assert!(
            stdout(&inside).contains("uses left: 2"),
            "{}",
            stdout(&inside)
        );
    }

    // Bad input: a typed error, nothing changed.
    for (args, code) in [
        (vec!["--allow-ip", "10.0.0.0/33"], "invalid_ip_range"),
        (vec!["--max-uses", "0"], "invalid_usage_limit"),
    ] {
        let refused = keysmith(&vault, &[&["edit", id.as_str()][..], &args[..]].concat());
        assert_eq!(refused.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&refused.stderr).contains(code));
    }
    let refill_alone = keysmith(&vault, &["edit", &id, "--refill", "monthly"]);
    assert_eq!(refill_alone.status.code(), Some(2));
    assert_eq!(ok_json(keysmith(&vault, &["show", &id, "--json"])), shown);

    let edited = keysmith(&vault, &["edit", &id, "--unlimited", "--any-ip"]);
    assert!(
        edited.status.success(),
        "{}",
        String::from_utf8_lossy(&edited.stderr)
    );
    let shown = ok_json(keysmith(&vault, &["show", &id, "--json"]));
    assert!(
        shown["usage"].is_null() && shown["allowed_ips"] == json!([]),
        "{shown}"
    );
    let anywhere = keysmith_with_stdin(&vault, &["verify"], &line);
    assert_eq!(anywhere.status.code(), Some(0));

    // The trusted proxies: loopback until set; an empty --set trusts none.
    let listed = keysmith(&vault, &["trusted-proxies"]);
    assert_eq!(stdout(&listed), "127.0.0.0/8\n::1/128\n");
    let set = keysmith(
        &vault,
        &["trusted-proxies", "--set", "192.0.2.10", "10.1.0.0/16"],
    );
    assert_eq!(stdout(&set), "192.0.2.10/32\n10.1.0.0/16\n");
    let none = keysmith(&vault, &["trusted-proxies", "--set"]);
    assert!(none.status.success() && stdout(&none).is_empty());
    let bad = keysmith(&vault, &["trusted-proxies", "--set", "proxy.lan"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stdout(&keysmith(&vault, &["trusted-proxies"])).is_empty());
}

#[test]
fn a_credential_issued_switched_off_verifies_once_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("off.vault");
    init(&vault);
    let issued = issue_json(
        &vault,
        "go-live",
        &["--scope", "payables:read", "--disabled"],
    );
    let id = issued["id"].to_string();
    let line = format!("{}\n", issued["token"].as_str().unwrap());
    let shown = ok_json(keysmith(&vault, &["show", &id, "--json"]));
    assert_eq!(shown["status"], "disabled");
    let off = keysmith_with_stdin(&vault, &["verify"], &line);
    assert_eq!(stdout(&off).trim(), "not active: disabled");
    assert!(keysmith(&vault, &["enable", &id]).status.success());
    assert_eq!(
        keysmith_with_stdin(&vault, &["verify"], &line)
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn api_docs_prints_the_document_or_its_collection_for_those_with_api_access() {
    use keysmith_core::{clock, EmailAddress, KdfParams, Name, Role, Secret, UserSpec, Vault};
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("docs.vault");
    init(&vault);
    let document = ok_json(keysmith(&vault, &["api-docs"]));
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(document["paths"].get("/v1/verify").is_some(), "{document}");
    let collection = ok_json(keysmith(&vault, &["api-docs", "--postman"]));
    assert_eq!(collection["variable"][0]["value"], "http://127.0.0.1:8700");
    let names: Vec<&str> = collection["item"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["name"].as_str())
        .collect();
    assert!(names.contains(&"POST /v1/verify"), "{names:?}");

    // A member without API access, with a passphrase of their own, is refused.
    const MEMBER: &str = "dan's own cli passphrase";
    {
        let mut holder = Vault::unlock(&vault, &PASSPHRASE.into(), clock::system()).unwrap();
        let dan = holder
            .create_user(&UserSpec {
                name: Name::new("Dan Member").unwrap(),
                email: EmailAddress::try_from("dan@example.com".to_owned()).unwrap(),
                role: Role::Member,
                api_access: false,
            })
            .unwrap();
        holder
            .add_operator(dan.id, &Secret::from(MEMBER), KdfParams::MINIMUM)
            .unwrap();
    }
    let refused = Command::new(env!("CARGO_BIN_EXE_keysmith"))
        .arg("--vault")
        .arg(&vault)
        .arg("api-docs")
        .env("KEYSMITH_PASSPHRASE", MEMBER)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("error: forbidden"));
}
