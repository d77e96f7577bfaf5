//! Forward auth, RFC 7662 introspection, usage limits and allowlists over HTTP: what a
//! gateway sees, and usage limits spent by several processes and the server at once.

use std::process::Command;

use keysmith_core::{InactiveReason, IpAllowlist, Issued, Restrictions, UsageLimit, Verification};
use reqwest::header::HeaderMap;

use super::*;

/// Issues `new` through a connection of its own, as the app or the command line would while
/// the server runs.
pub(crate) fn issue(api: &Running, new: impl FnOnce(&Running) -> NewCredential) -> Issued {
    api.open_vault().issue(&new(api)).unwrap()
}

/// A personal access token of the account holder on `payables:read`, with `restrictions`
/// and the largest rate limit.
pub(crate) fn restricted(api: &Running, name: &str, restrictions: Restrictions) -> NewCredential {
    NewCredential {
        kind: TokenKind::PersonalAccessToken,
        owner: Some(UserId(1)),
        name: Name::new(name).unwrap(),
        description: Description::default(),
        expiry: Expiry::new(
            clock_now(&api.clock) + chrono::Duration::days(30),
            clock_now(&api.clock),
        )
        .unwrap(),
        scopes: vec![Permission::new("payables:read").unwrap()],
        rights: Rights::ReadWrite,
        applications: vec![Name::new(APPLICATION).unwrap()],
        rate_limit: RateLimit::new(10_000).unwrap(),
        restrictions,
        disabled: false,
    }
}

impl Running {
    /// `GET /v1/auth{query}` with `headers`: the status, the headers and the body.
    pub(crate) async fn auth(
        &self,
        query: &str,
        headers: &[(&str, &str)],
    ) -> (u16, HeaderMap, String) {
        let mut request = self.client.get(format!("{}/v1/auth{query}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.unwrap())
    }

    /// `POST /v1/introspect` with `form`, authenticated by `auth` (a request builder step).
    async fn introspect(
        &self,
        form: &[(&str, &str)],
        auth: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> (u16, Value) {
        let request = self
            .client
            .post(format!("{}/v1/introspect", self.base))
            .form(form);
        let response = auth(request).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map_or("", |value| value.to_str().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn forward_auth_answers_as_the_proxies_expect() {
    let (api, pat, pair) = start(Access::Open).await;
    let token = pat.token.expose();
    let bearer = format!("Bearer {token}");

    let (status, headers, body) = api.auth("", &[("authorization", &bearer)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        header(&headers, "x-keysmith-credential"),
        pat.credential.id.0.to_string()
    );
    assert_eq!(header(&headers, "x-keysmith-owner"), "Ada Holder");
    assert_eq!(header(&headers, "x-keysmith-scopes"), "payables:read");
    assert_eq!(header(&headers, "x-keysmith-kind"), "personal_access_token");
    assert!(headers.get("x-keysmith-remaining").is_none());
    assert!(body.is_empty());
    // The same from X-Api-Key, with the scope and application in the query or in headers.
    let (status, ..) = api
        .auth(
            "?scope=payables:read&application=Internal%20tools",
            &[("x-api-key", token)],
        )
        .await;
    assert_eq!(status, 200);
    let (status, ..) = api
        .auth(
            "",
            &[
                ("x-api-key", token),
                ("x-keysmith-scope", "payables:read"),
                ("x-keysmith-application", APPLICATION),
            ],
        )
        .await;
    assert_eq!(status, 200);

    // A scope it lacks (read-only: no write scope) is 403 insufficient_scope.
    let (status, headers, _) = api
        .auth("?scope=payables:write", &[("authorization", &bearer)])
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        header(&headers, "www-authenticate"),
        r#"Bearer error="insufficient_scope", scope="payables:write""#
    );
    assert_eq!(header(&headers, "x-keysmith-reason"), "scope_not_granted");
    let (status, headers, _) = api
        .auth("?application=Billing", &[("authorization", &bearer)])
        .await;
    assert_eq!(
        (status, header(&headers, "x-keysmith-reason")),
        (403, "application_not_allowed")
    );

    // No token, a made-up one, a mistyped one: 401 with the RFC 6750 challenge.
    let (status, headers, _) = api.auth("", &[]).await;
    assert_eq!(status, 401);
    assert_eq!(
        header(&headers, "www-authenticate"),
        r#"Bearer realm="keysmith""#
    );
    let mut mistyped = token.to_owned();
    mistyped.pop();
    for wrong in [pair.token.expose().replace("ks_sec_", "ks_pat_"), mistyped] {
        let (status, headers, body) = api
            .auth("", &[("authorization", &format!("Bearer {wrong}"))])
            .await;
        assert_eq!(status, 401);
        assert_eq!(
            header(&headers, "www-authenticate"),
            r#"Bearer error="invalid_token""#
        );
        assert!(!body.contains(&wrong));
    }

    // Revoked elsewhere: refused on the very next request.
    api.open_vault().revoke(pat.credential.id).unwrap();
    let (status, headers, _) = api.auth("", &[("authorization", &bearer)]).await;
    assert_eq!(
        (status, header(&headers, "x-keysmith-reason")),
        (401, "revoked")
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_is_rfc_7662_for_an_authenticated_caller() {
    let (api, pat, pair) = start(Access::Open).await;
    let key = api.verifier_key.expose().to_owned();

    // The caller must authenticate, even on loopback.
    let (status, refusal) = api
        .introspect(&[("token", pat.token.expose())], |request| request)
        .await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (401, Some("verifier_key_required"))
    );
    let (status, refusal) = api
        .introspect(&[("token", pat.token.expose())], |request| {
            request.bearer_auth(pat.token.expose())
        })
        .await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (401, Some("verifier_key_invalid"))
    );

    let (status, active) = api
        .introspect(
            &[
                ("token", pair.token.expose()),
                ("token_type_hint", "access_token"),
            ],
            |request| request.bearer_auth(&key),
        )
        .await;
    assert_eq!(status, 200, "{active}");
    assert_eq!(active["active"], true);
    assert_eq!(active["scope"], "payables:read");
    assert_eq!(
        active["client_id"],
        pair.credential.client_id.clone().unwrap()
    );
    assert_eq!(active["username"], "Ada Holder");
    assert_eq!(active["token_type"], "Bearer");
    assert_eq!(active["sub"], "user:1");
    assert_eq!(active["aud"], json!([APPLICATION]));
    assert_eq!(active["exp"], pair.credential.expires_at.timestamp());
    assert_eq!(active["iat"], pair.credential.created_at.timestamp());
    assert_eq!(active["kind"], "client_credentials");

    // HTTP Basic with the verifier key as the password, as RFC 7662 clients send it; a token
    // that is not active is exactly {"active": false}.
    api.open_vault()
        .set_enabled(pat.credential.id, false)
        .unwrap();
    let (status, inactive) = api
        .introspect(&[("token", pat.token.expose())], |request| {
            request.basic_auth("gateway", Some(&key))
        })
        .await;
    assert_eq!(status, 200);
    assert_eq!(inactive, json!({ "active": false }));
    let (status, unknown) = api
        .introspect(&[("token", "nonsense")], |request| {
            request.bearer_auth(&key)
        })
        .await;
    assert_eq!((status, unknown), (200, json!({ "active": false })));

    // A form it must be, with a token in it.
    let (status, refusal) = api
        .introspect(&[("token_type_hint", "access_token")], |request| {
            request.bearer_auth(&key)
        })
        .await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (400, Some("bad_request"))
    );
    let json_body = api
        .post(
            "/v1/introspect",
            &json!({ "token": pat.token.expose() }),
            Some(&key),
        )
        .await;
    assert_eq!(json_body.status(), 415);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_usage_limit_is_429_in_forward_auth_and_usage_exceeded_in_verify() {
    let (api, ..) = start(Access::Open).await;
    let limited = issue(&api, |api| {
        restricted(
            api,
            "two uses",
            Restrictions {
                usage: Some(UsageLimit::new(2, None).unwrap()),
                ..Restrictions::default()
            },
        )
    });
    let token = limited.token.expose();
    let answer = api.verify(json!({ "token": token })).await;
    assert_eq!(
        (answer["active"].as_bool(), answer["remaining"].as_u64()),
        (Some(true), Some(1))
    );
    let (status, headers, _) = api.auth("", &[("x-api-key", token)]).await;
    assert_eq!(
        (status, header(&headers, "x-keysmith-remaining")),
        (200, "0")
    );
    let (status, headers, _) = api.auth("", &[("x-api-key", token)]).await;
    assert_eq!(
        (status, header(&headers, "x-keysmith-reason")),
        (429, "usage_exceeded")
    );
    let answer = api.verify(json!({ "token": token })).await;
    assert_eq!(
        answer,
        json!({ "active": false, "reason": "usage_exceeded" })
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_address_comes_from_a_trusted_proxy_or_the_verifying_service() {
    let (api, ..) = start(Access::Open).await;
    let office = issue(&api, |api| {
        restricted(
            api,
            "office only",
            Restrictions {
                allowed_ips: IpAllowlist::parse(&["10.1.0.0/16", "2001:db8::/32"]).unwrap(),
                ..Restrictions::default()
            },
        )
    });
    let token = office.token.expose();
    let from = |forwarded: &'static str| [("x-api-key", token), ("x-forwarded-for", forwarded)];
    // The test client is on loopback: a trusted proxy by default.
    assert_eq!(api.auth("", &from("10.1.255.255")).await.0, 200);
    assert_eq!(api.auth("", &from("2001:db8::5, 127.0.0.1")).await.0, 200);
    let (status, headers, _) = api.auth("", &from("10.2.0.0")).await;
    assert_eq!(
        (status, header(&headers, "x-keysmith-reason")),
        (403, "ip_not_allowed")
    );
    let real_ip = [("x-api-key", token), ("x-real-ip", "10.1.0.1")];
    assert_eq!(api.auth("", &real_ip).await.0, 200);
    // Without a forwarded address the client is the peer, 127.0.0.1: not on the list.
    assert_eq!(api.auth("", &[("x-api-key", token)]).await.0, 403);

    // /v1/verify takes the address from the service that verifies; without one, the
    // client is unknown and not on the list.
    let from = |client_ip: Option<&str>| match client_ip {
        Some(ip) => json!({ "token": token, "client_ip": ip }),
        None => json!({ "token": token }),
    };
    assert_eq!(api.verify(from(Some("10.1.2.3"))).await["active"], true);
    assert_eq!(api.verify(from(Some("2001:db8::1"))).await["active"], true);
    for refused in [from(Some("192.0.2.1")), from(None)] {
        assert_eq!(api.verify(refused).await["reason"], "ip_not_allowed");
    }
    let (status, refusal) = api.post_json("/v1/verify", from(Some("10.1.2"))).await;
    assert_eq!(
        (status, refusal["code"].as_str()),
        (400, Some("bad_request"))
    );

    // Once loopback is no longer trusted (set while the API runs), a client's own
    // X-Forwarded-For is ignored: the peer counts.
    api.open_vault()
        .set_trusted_proxies(&["192.0.2.250".to_owned()])
        .unwrap();
    for spoofed in [("x-forwarded-for", "10.1.0.1"), ("x-real-ip", "10.1.0.1")] {
        let (status, headers, _) = api.auth("", &[("x-api-key", token), spoofed]).await;
        assert_eq!(
            (status, header(&headers, "x-keysmith-reason")),
            (403, "ip_not_allowed"),
            "{spoofed:?}"
        );
    }
    api.stop().await;
}

/// The environment variables a child verifier reads: the vault, the token to verify, and a
/// folder where it says it is ready (a file of its own) and waits for the start (`go`).
const CHILD_VAULT: &str = "KEYSMITH_TEST_CHILD_VAULT";
const CHILD_TOKEN: &str = "KEYSMITH_TEST_CHILD_TOKEN";
const CHILD_GATE: &str = "KEYSMITH_TEST_CHILD_GATE";

/// Run by [`n_processes_and_the_server_spend_exactly_the_limit`] in child processes, not on
/// its own: verifies until the usage limit is spent, and prints how often it succeeded.
#[test]
#[ignore = "a child process of another test"]
fn child_verifier() {
    let (Ok(path), Ok(token)) = (std::env::var(CHILD_VAULT), std::env::var(CHILD_TOKEN)) else {
        return;
    };
    let vault = Vault::unlock(
        std::path::Path::new(&path),
        &Secret::from(PASSPHRASE),
        keysmith_core::clock::system(),
    )
    .unwrap();
    let gate = std::path::PathBuf::from(std::env::var(CHILD_GATE).unwrap());
    std::fs::write(gate.join(std::process::id().to_string()), "").unwrap();
    while !gate.join("go").exists() {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let mut successes = 0;
    loop {
        match vault.verify(&token, None, None) {
            Ok(Verification::Active(_)) => successes += 1,
            Ok(Verification::Inactive(InactiveReason::UsageExceeded)) => break,
            // Another process holding the write lock for a moment: try again.
            Err(keysmith_core::Error::VaultBusy) => continue,
            other => panic!("{other:?}"),
        }
    }
    println!("successes={successes}");
}

#[tokio::test(flavor = "multi_thread")]
async fn n_processes_and_the_server_spend_exactly_the_limit() {
    const PROCESSES: usize = 3;
    let (api, ..) = start(Access::Open).await;
    let limited = issue(&api, |api| {
        restricted(
            api,
            "hundred uses",
            Restrictions {
                usage: Some(UsageLimit::new(100, None).unwrap()),
                ..Restrictions::default()
            },
        )
    });
    let gate = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "gateway::child_verifier",
                    "--ignored",
                    "--nocapture",
                ])
                .env(CHILD_VAULT, &api.path)
                .env(CHILD_TOKEN, limited.token.expose())
                .env(CHILD_GATE, gate.path())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Everyone starts at once, each process with its vault open.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(gate.path()).unwrap().count() < PROCESSES {
        assert!(
            std::time::Instant::now() < deadline,
            "the children did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    std::fs::write(gate.path().join("go"), "").unwrap();
    let mut served = 0;
    loop {
        let answer = api.verify(json!({ "token": limited.token.expose() })).await;
        if answer["active"] == true {
            served += 1;
        } else {
            assert_eq!(answer["reason"], "usage_exceeded");
            break;
        }
    }
    let mut by_children = Vec::new();
    for child in children {
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert!(output.status.success());
        let text = String::from_utf8(output.stdout).unwrap();
        let count: u32 = text
            .lines()
            .find_map(|line| line.strip_prefix("successes="))
            .unwrap_or_else(|| panic!("{text}"))
            .parse()
            .unwrap();
        by_children.push(count);
    }
    eprintln!("uses spent: server {served}, children {by_children:?}");
    let total = served + by_children.iter().sum::<u32>();
    assert_eq!(total, 100, "server {served}, children {by_children:?}");
    // Everything is spent, as the vault says.
    let shown = api.open_vault().credential(limited.credential.id).unwrap();
    assert_eq!(shown.usage.unwrap().left, 0);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_verifier_keys_the_proxy_sends_one_beside_the_clients_token() {
    let (api, pat, _) = start(Access::VerifierKey).await;
    let key = api.verifier_key.expose().to_owned();
    let bearer = format!("Bearer {}", pat.token.expose());
    // The client's Authorization is its token, never taken for the proxy's verifier key.
    let (status, _, body) = api.auth("", &[("authorization", &bearer)]).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("verifier_key_required"), "{body}");
    let (status, headers, _) = api
        .auth(
            "",
            &[("authorization", &bearer), ("x-keysmith-verifier", &key)],
        )
        .await;
    assert_eq!(
        (status, header(&headers, "x-keysmith-owner")),
        (200, "Ada Holder")
    );
    let wrong = [
        ("authorization", bearer.as_str()),
        ("x-keysmith-verifier", pat.token.expose()),
    ];
    assert_eq!(api.auth("", &wrong).await.0, 401);
    // Introspection takes the key as the Basic password here too.
    let (status, answer) = api
        .introspect(&[("token", pat.token.expose())], |request| {
            request.basic_auth("gateway", Some(&key))
        })
        .await;
    assert_eq!((status, answer["active"].as_bool()), (200, Some(true)));
    api.stop().await;
}
