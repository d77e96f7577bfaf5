//! The real server on an ephemeral 127.0.0.1 port over a real vault, driven with reqwest:
//! every route, each refusal, the exchange and its expiry, rate limiting, concurrency and the
//! batched "last used".

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use keysmith_core::{
    AccountHolder, CredentialId, Description, EmailAddress, Expiry, Issued, KdfParams, ManualClock,
    Name, NewCredential, Permission, RateLimit, Rights, Secret, TokenKind, UserId, Vault,
};
use keysmith_server::{serve_within, Access, ApiState, ConnectionLimits};
use proptest::strategy::Strategy;
use serde_json::{json, Value};
use tokio::sync::oneshot;

#[path = "api/acting_as.rs"]
mod acting_as;
#[path = "api/apache.rs"]
mod apache;
#[path = "api/conformance.rs"]
mod conformance;
#[path = "api/gateway.rs"]
mod gateway;
#[path = "api/nginx.rs"]
mod nginx;

const PASSPHRASE: &str = "server test passphrase";
const APPLICATION: &str = "Internal tools";

struct Running {
    base: String,
    client: reqwest::Client,
    clock: ManualClock,
    path: std::path::PathBuf,
    /// An active verifier key of the vault.
    verifier_key: Secret,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

/// A vault with a personal access token ("pat", read-only on payables:read and
/// payables:write), client credentials ("pair", payables:read) and a verifier key, served on
/// a free loopback port with `access`.
async fn start(access: Access) -> (Running, Issued, Issued) {
    start_within(access, ConnectionLimits::default()).await
}

/// [`start`], served within `limits`.
async fn start_within(access: Access, limits: ConnectionLimits) -> (Running, Issued, Issued) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.vault");
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap());
    let mut vault = Vault::create(
        &path,
        &Secret::from(PASSPHRASE),
        &AccountHolder {
            name: Name::new("Ada Holder").unwrap(),
            email: EmailAddress::try_from("ada@example.com".to_owned()).unwrap(),
        },
        KdfParams::MINIMUM,
        Arc::new(clock.clone()),
    )
    .unwrap();
    let new = |kind, name: &str, scopes: &[&str], rights| NewCredential {
        kind,
        owner: Some(UserId(1)),
        name: Name::new(name).unwrap(),
        description: Description::default(),
        expiry: Expiry::new(
            clock_now(&clock) + chrono::Duration::days(30),
            clock_now(&clock),
        )
        .unwrap(),
        scopes: scopes.iter().map(|s| Permission::new(s).unwrap()).collect(),
        rights,
        applications: vec![Name::new(APPLICATION).unwrap()],
        rate_limit: RateLimit::default(),
        restrictions: Default::default(),
        disabled: false,
    };
    let pat = vault
        .issue(&new(
            TokenKind::PersonalAccessToken,
            "pat",
            &["payables:read", "payables:write"],
            Rights::Read,
        ))
        .unwrap();
    let pair = vault
        .issue(&new(
            TokenKind::ClientCredentials,
            "pair",
            &["payables:read"],
            Rights::ReadWrite,
        ))
        .unwrap();
    let verifier_key = vault
        .issue(&NewCredential {
            applications: Vec::new(),
            ..new(TokenKind::Verifier, "gateway", &[], Rights::Read)
        })
        .unwrap()
        .token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let state = ApiState::new(vault, access).unwrap();
    let served = tokio::spawn(serve_within(listener, state, limits, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .unwrap();
    let running = Running {
        base,
        client,
        clock,
        path,
        verifier_key,
        stop: Some(stop),
        served,
        _dir: dir,
    };
    (running, pat, pair)
}

fn clock_now(clock: &ManualClock) -> chrono::DateTime<Utc> {
    use keysmith_core::Clock;
    clock.now()
}

impl Running {
    /// POSTs `body` as JSON to `path`, with `bearer` in `Authorization` if given.
    async fn post(&self, path: &str, body: &Value, bearer: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    /// The served vault, opened on a connection of its own (as another process would).
    fn open_vault(&self) -> Vault {
        Vault::unlock(
            &self.path,
            &Secret::from(PASSPHRASE),
            Arc::new(self.clock.clone()),
        )
        .unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.post(path, &body, None).await;
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn verify(&self, body: Value) -> Value {
        let (status, json) = self.post_json("/v1/verify", body).await;
        assert_eq!(status, 200, "{json}");
        json
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.served.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_answers_in_the_introspection_shape_with_every_reason() {
    let (api, pat, _) = start(Access::Open).await;
    let token = pat.token.expose();
    let active = api.verify(json!({ "token": token })).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["credential_id"], pat.credential.id.0);
    assert_eq!(active["kind"], "personal_access_token");
    assert_eq!(active["owner"], "Ada Holder");
    assert_eq!(
        active["scopes"],
        json!(["payables:read"]),
        "read-only: no write scope"
    );
    assert_eq!(active["rights"], "read");
    assert_eq!(active["applications"], json!([APPLICATION]));
    assert_eq!(active["exp"], pat.credential.expires_at.timestamp());
    assert_eq!(active["iat"], pat.credential.created_at.timestamp());

    let reason = |body: Value| {
        let api = &api;
        async move {
            api.verify(body).await["reason"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let mut typo = token.to_owned();
    typo.replace_range(12..13, if &typo[12..13] == "A" { "B" } else { "A" });
    assert_eq!(reason(json!({ "token": typo })).await, "malformed");
    let unknown = keysmith_core::token::generate(TokenKind::PersonalAccessToken);
    assert_eq!(
        reason(json!({ "token": unknown.expose() })).await,
        "unknown"
    );
    assert_eq!(
        reason(json!({ "token": token, "scope": "payables:write" })).await,
        "scope_not_granted"
    );
    assert_eq!(
        reason(json!({ "token": token, "application": "Ledger" })).await,
        "application_not_allowed"
    );
    let scoped = api
        .verify(json!({ "token": token, "scope": "payables:read", "application": APPLICATION }))
        .await;
    assert_eq!(scoped["active"], true);

    // Disabled, revoked and expired, changed through a second handle on the same vault file.
    let mut admin = api.open_vault();
    admin.set_enabled(pat.credential.id, false).unwrap();
    assert_eq!(reason(json!({ "token": token })).await, "disabled");
    admin.set_enabled(pat.credential.id, true).unwrap();
    api.clock.advance(chrono::Duration::days(31));
    assert_eq!(reason(json!({ "token": token })).await, "expired");
    admin.revoke(pat.credential.id).unwrap();
    assert_eq!(reason(json!({ "token": token })).await, "revoked");
    drop(admin);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_typed_json_errors() {
    let (api, _, _) = start(Access::Open).await;
    let post_raw = |path: &str, body: Vec<u8>| {
        api.client
            .post(format!("{}{path}", api.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for (body, code) in [
        (b"{not json".to_vec(), "bad_request"),
        (br#"{"tokn": "x"}"#.to_vec(), "bad_request"),
        (vec![b' '; 16 * 1024 + 1], "body_too_large"),
    ] {
        let response = post_raw("/v1/verify", body).await.unwrap();
        let status = response.status().as_u16();
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["code"], code, "{json}");
        assert_eq!(status, if code == "body_too_large" { 413 } else { 400 });
    }
    let response = api.get("/v2/nothing").await;
    assert_eq!(response.status().as_u16(), 404);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["code"], "not_found");

    // A known route asked with another method answers in JSON too.
    let response = api.get("/v1/verify").await;
    assert_eq!(response.status().as_u16(), 405);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["code"], "method_not_allowed");

    let health: Value = api.get("/v1/health").await.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_buy_an_access_token_that_expires() {
    let (api, pat, pair) = start(Access::Open).await;
    let client_id = pair.credential.client_id.clone().unwrap();
    let secret = pair.token.expose();
    let url = format!("{}/v1/oauth/token", api.base);

    // As a form, as JSON, and with HTTP Basic.
    let form = api
        .client
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 200);
    let granted: Value = form.json().await.unwrap();
    assert_eq!(granted["token_type"], "Bearer");
    assert_eq!(granted["expires_in"], 900);
    assert_eq!(granted["scope"], "payables:read");
    let access = granted["access_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("ks_acc_"));

    let (status, by_json) = api
        .post_json(
            "/v1/oauth/token",
            json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret }),
        )
        .await;
    assert_eq!(status, 200, "{by_json}");
    let basic = api
        .client
        .post(&url)
        .basic_auth(&client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 200);

    // Refusals.
    for (body, status, code) in [
        (
            json!({ "grant_type": "password", "client_id": client_id, "client_secret": secret }),
            400,
            "bad_request",
        ),
        (
            json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": pat.token.expose() }),
            401,
            "invalid_client",
        ),
        (
            json!({ "grant_type": "client_credentials", "client_id": "ks_id_nobody", "client_secret": secret }),
            401,
            "invalid_client",
        ),
        (
            json!({ "grant_type": "client_credentials" }),
            401,
            "invalid_client",
        ),
    ] {
        let (got, json) = api.post_json("/v1/oauth/token", body).await;
        assert_eq!(
            (got, json["code"].as_str().unwrap()),
            (status, code),
            "{json}"
        );
    }

    // The access token verifies like the pair until it expires.
    let active = api
        .verify(json!({ "token": access, "scope": "payables:read" }))
        .await;
    assert_eq!(active["active"], true);
    assert_eq!(active["credential_id"], pair.credential.id.0);
    assert_eq!(active["kind"], "client_credentials");
    api.clock.advance(chrono::Duration::minutes(15));
    let expired = api.verify(json!({ "token": access })).await;
    assert_eq!(
        (expired["active"].clone(), expired["reason"].clone()),
        (json!(false), json!("expired"))
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_31st_verification_in_a_minute_is_refused_until_retry_after() {
    let (api, pat, pair) = start(Access::Open).await;
    for call in 1..=30 {
        let answer = api.verify(json!({ "token": pat.token.expose() })).await;
        assert_eq!(answer["active"], true, "call {call}");
    }
    let response = api
        .post("/v1/verify", &json!({ "token": pat.token.expose() }), None)
        .await;
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["code"], "rate_limited");
    // Another credential has its own budget.
    assert_eq!(
        api.verify(json!({ "token": pair.token.expose() })).await["active"],
        true
    );
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    assert_eq!(
        api.verify(json!({ "token": pat.token.expose() })).await["active"],
        true
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_verifiers_get_correct_answers_and_uses_are_recorded() {
    let (api, pat, pair) = start(Access::Open).await;
    let api = Arc::new(api);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let api = Arc::clone(&api);
        // Half verify a known token (within its 30/minute budget), half a made-up one.
        let (token, active) = match i % 2 {
            0 if i < 56 => (pair.token.expose().to_owned(), true),
            _ => (
                keysmith_core::token::generate(TokenKind::ApiClient)
                    .expose()
                    .to_owned(),
                false,
            ),
        };
        tasks.push(tokio::spawn(async move {
            let answer = api.verify(json!({ "token": token })).await;
            assert_eq!(answer["active"], active, "{answer}");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Recorded within a flush interval, without a write per request.
    let used = |id: CredentialId| api.open_vault().credential(id).unwrap().last_used_at;
    let mut waited = 0;
    while used(pair.credential.id).is_none() && waited < 30 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        waited += 1;
    }
    assert!(
        used(pair.credential.id).is_some(),
        "last_used_at never written"
    );
    assert_eq!(used(pat.credential.id), None);
    Arc::into_inner(api).unwrap().stop().await;
}

/// On one answering thread, as `keysmith serve` runs: while another connection holds the
/// vault's write lock (the app or a `keysmith issue` in the middle of a change), an exchange
/// waits for it on a blocking thread, and health and verification keep answering meanwhile;
/// the exchange that waited past the busy timeout answers 503 `vault_busy` with Retry-After
/// (never the storage detail), and the "last used" of a verification made meanwhile is
/// written once the lock is free.
#[tokio::test(flavor = "current_thread")]
async fn a_write_lock_held_elsewhere_stalls_only_the_exchange() {
    let (api, pat, pair) = start(Access::Open).await;
    let (locked, is_locked) = oneshot::channel::<()>();
    let (answered, on_answered) = std::sync::mpsc::channel::<()>();
    let (exchanged, on_exchanged) = std::sync::mpsc::channel::<()>();
    let mut other = api.open_vault();
    let holder = std::thread::spawn(move || {
        other
            .holding_write_lock(|| {
                locked.send(()).unwrap();
                // Did health and verification answer before the lock was let go?
                let answered_while_locked =
                    on_answered.recv_timeout(Duration::from_secs(4)).is_ok();
                on_exchanged.recv_timeout(Duration::from_secs(15)).unwrap();
                // Long enough for the flush under way to fail too (it waits 5 s at most).
                std::thread::sleep(Duration::from_millis(2500));
                answered_while_locked
            })
            .unwrap()
    });
    is_locked.await.unwrap();

    let client_id = pair.credential.client_id.clone().unwrap();
    let exchange = {
        let request = api
            .client
            .post(format!("{}/v1/oauth/token", api.base))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_secret", pair.token.expose()),
            ]);
        tokio::spawn(async move { request.send().await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.get("/v1/health").await.status().as_u16(), 200);
    assert_eq!(
        api.verify(json!({ "token": pat.token.expose() })).await["active"],
        true
    );
    answered.send(()).unwrap();

    let waited = exchange.await.unwrap();
    assert_eq!(waited.status().as_u16(), 503);
    assert_eq!(waited.headers()["retry-after"], "1");
    let body: Value = waited.json().await.unwrap();
    assert_eq!(body["code"], "vault_busy", "{body}");
    let message = body["message"].as_str().unwrap().to_lowercase();
    assert!(
        !message.contains("sqlite") && !message.contains("database"),
        "{body}"
    );
    exchanged.send(()).unwrap();
    let holder = tokio::task::spawn_blocking(move || holder.join().unwrap());
    assert!(
        holder.await.unwrap(),
        "health and verification waited for the write lock"
    );

    // With the lock free, exchanges succeed again, and the use made meanwhile is recorded.
    let (status, granted) = api
        .post_json(
            "/v1/oauth/token",
            json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": pair.token.expose() }),
        )
        .await;
    assert_eq!(status, 200, "{granted}");
    let used = || {
        api.open_vault()
            .credential(pat.credential.id)
            .unwrap()
            .last_used_at
    };
    for _ in 0..30 {
        if used().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(used().is_some(), "the use made under the lock was lost");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_lists_every_route() {
    let (api, _, _) = start(Access::Open).await;
    let doc: Value = api.get("/v1/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/v1/verify",
        "/v1/introspect",
        "/v1/auth",
        "/v1/oauth/token",
        "/v1/oauth/authorize",
        "/v1/oauth/authorize/wait/{id}",
        "/v1/oauth/device_authorization",
        "/v1/oauth/device",
        "/v1/oauth/revoke",
        "/.well-known/oauth-authorization-server",
        "/v1/renewals/redeem",
        "/apiAccessTokens/requestRenewedToken",
        "/v1/health",
        "/v1/openapi.json",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    for schema in [
        "VerifyRequest",
        "IntrospectionRequest",
        "IntrospectionResponse",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert_eq!(
        doc["components"]["schemas"]["GrantType"]["enum"],
        json!([
            "client_credentials",
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code"
        ]),
        "{}",
        doc["components"]["schemas"]
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_verifier_keys_every_call_needs_an_active_one() {
    let (api, pat, pair) = start(Access::VerifierKey).await;
    let body = json!({ "token": pat.token.expose() });
    let missing = api.post("/v1/verify", &body, None).await;
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    let refusal: Value = missing.json().await.unwrap();
    assert_eq!(refusal["code"], "verifier_key_required");
    assert_eq!(api.get("/v1/health").await.status(), 401);
    // Another kind of token is no verifier key, however active.
    let wrong = api
        .post("/v1/verify", &body, Some(pat.token.expose()))
        .await;
    assert_eq!(wrong.status(), 401);
    let refusal: Value = wrong.json().await.unwrap();
    assert_eq!(refusal["code"], "verifier_key_invalid");
    assert!(!refusal.to_string().contains(pat.token.expose()));

    let key = api.verifier_key.expose();
    let answered = api.post("/v1/verify", &body, Some(key)).await;
    assert_eq!(answered.status(), 200);
    let answer: Value = answered.json().await.unwrap();
    assert_eq!(answer["active"], true);
    // The exchange takes the client's ID and secret from the body then.
    let exchanged = api
        .client
        .post(format!("{}/v1/oauth/token", api.base))
        .bearer_auth(key)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", pair.credential.client_id.as_deref().unwrap()),
            ("client_secret", pair.token.expose()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(exchanged.status(), 200);

    // Disabled in the vault (by another connection), the key stops working at once.
    let mut vault = api.open_vault();
    let id = vault
        .list_credentials()
        .unwrap()
        .into_iter()
        .find(|c| c.kind == TokenKind::Verifier)
        .unwrap()
        .id;
    vault.set_enabled(id, false).unwrap();
    let disabled = api.post("/v1/verify", &body, Some(key)).await;
    assert_eq!(disabled.status(), 401);
    api.stop().await;
}

#[test]
fn beyond_loopback_the_settings_call_for_verifier_keys() {
    let loopback = keysmith_core::ApiSettings::default();
    assert_eq!(Access::for_settings(&loopback), Access::Open);
    let everywhere = keysmith_core::ApiSettings {
        address: "0.0.0.0".parse().unwrap(),
        allow_remote: true,
        ..loopback
    };
    assert_eq!(Access::for_settings(&everywhere), Access::VerifierKey);
    let strict = keysmith_core::ApiSettings {
        require_verifier: true,
        ..loopback
    };
    assert_eq!(Access::for_settings(&strict), Access::VerifierKey);
}

/// One raw HTTP/1.1 exchange on `address` (the request as written, so headers a client
/// library would fix up can be wrong on purpose): the status code and the headers and body.
async fn raw(address: &str, request: String) -> (u16, String) {
    let address = address.to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .expect("the server answers and closes");
        answer
    })
    .await
    .unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    (status, answer.to_ascii_lowercase())
}

/// A POST /v1/verify of `token` with `headers` (each `Name: value`).
fn verify_request(token: &str, headers: &[String]) -> String {
    let body = json!({ "token": token }).to_string();
    let mut request = "POST /v1/verify HTTP/1.1\r\nConnection: close\r\n".to_owned();
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    request
}

/// What a web page can make the admin's browser send is refused: a rebound Host (421), a
/// missing one (400), a cross-origin Origin (403), a `text/plain` body (415). No answer
/// carries CORS headers, so no page could read one anyway.
#[tokio::test(flavor = "multi_thread")]
async fn web_pages_are_refused_at_the_boundary() {
    let (api, pat, _) = start(Access::Open).await;
    let address = api.base.trim_start_matches("http://").to_owned();
    let port = address.rsplit(':').next().unwrap().to_owned();
    let token = pat.token.expose();
    let json = "Content-Type: application/json".to_owned();
    for (headers, status, code) in [
        (vec![format!("Host: {address}"), json.clone()], 200, None),
        (
            vec![format!("Host: localhost:{port}"), json.clone()],
            200,
            None,
        ),
        (
            vec![format!("Host: rebound.example.com:{port}"), json.clone()],
            421,
            Some("host_not_allowed"),
        ),
        (vec![json.clone()], 400, Some("bad_request")),
        (
            vec![
                format!("Host: {address}"),
                json.clone(),
                "Origin: https://attacker.example".to_owned(),
            ],
            403,
            Some("origin_not_allowed"),
        ),
        (
            vec![
                format!("Host: {address}"),
                json.clone(),
                "Origin: null".to_owned(),
            ],
            403,
            Some("origin_not_allowed"),
        ),
        (
            vec![
                format!("Host: {address}"),
                "Content-Type: text/plain".to_owned(),
            ],
            415,
            Some("unsupported_media_type"),
        ),
        (
            vec![format!("Host: {address}")],
            415,
            Some("unsupported_media_type"),
        ),
    ] {
        let (got, answer) = raw(&address, verify_request(token, &headers)).await;
        assert_eq!(got, status, "{headers:?}: {answer}");
        if let Some(code) = code {
            assert!(answer.contains(&format!("\"code\":\"{code}\"")), "{answer}");
        }
        assert!(!answer.contains("access-control-allow"), "{answer}");
    }
    // The exchange takes a form or JSON, nothing else.
    let refused = api
        .client
        .post(format!("{}/v1/oauth/token", api.base))
        .header("Content-Type", "text/plain")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 415);
    api.stop().await;
}

/// Wrong secrets are limited per caller and client ID, 10 a minute: the 11th attempt from
/// that caller is refused with 429 even with the right secret, while the client's real owner,
/// elsewhere, goes on; a name that is no client ID (150 KB of it, say) is refused at once.
/// Then the exchange obeys the credentials' own rate limit (30 a minute here).
#[tokio::test(flavor = "multi_thread")]
async fn the_exchange_is_rate_limited_and_guessing_a_secret_is_not_possible() {
    let (api, _, pair) = start(Access::Open).await;
    let client_id = pair.credential.client_id.clone().unwrap();
    let guesser = reqwest::Client::builder()
        .no_proxy()
        .local_address(Some([127, 0, 0, 2].into()))
        .build()
        .unwrap();
    let exchange = |client: &reqwest::Client, id: &str, secret: &str| {
        let request = client
            .post(format!("{}/v1/oauth/token", api.base))
            .json(&json!({
                "grant_type": "client_credentials",
                "client_id": id,
                "client_secret": secret,
            }))
            .send();
        async move {
            let response = request.await.unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().contains_key("retry-after");
            let answer: Value = response.json().await.unwrap();
            (
                status,
                answer["code"].as_str().unwrap_or("").to_owned(),
                retry_after,
            )
        }
    };
    let secret = pair.token.expose().to_owned();
    let wrong = keysmith_core::Secret::from("ks_sec_wrong")
        .expose()
        .to_owned();

    // Guessing from 127.0.0.2: ten wrong secrets are 401 each, then that caller waits.
    for _ in 0..10 {
        let (status, code, _) = exchange(&guesser, &client_id, &wrong).await;
        assert_eq!((status, code.as_str()), (401, "invalid_client"));
    }
    let (status, code, retry_after) = exchange(&guesser, &client_id, &secret).await;
    assert_eq!(
        (status, code.as_str(), retry_after),
        (429, "too_many_failures", true)
    );
    // A made-up name in HTTP Basic is no client ID: refused, looked up nowhere, counted
    // nowhere.
    let made_up = guesser
        .post(format!("{}/v1/oauth/token", api.base))
        .basic_auth("x".repeat(150_000), Some(&wrong))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(made_up.status(), 401);
    let answer: Value = made_up.json().await.unwrap();
    assert_eq!(answer["code"], "invalid_client");

    // An answer carrying a secret is kept out of every cache.
    let issued = api
        .client
        .post(format!("{}/v1/oauth/token", api.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 200);
    assert_eq!(issued.headers()["cache-control"], "no-store");
    // The owner, from 127.0.0.1, is not locked out; the credentials' rate limit applies.
    for _ in 0..29 {
        assert_eq!(exchange(&api.client, &client_id, &secret).await.0, 200);
    }
    let (status, code, _) = exchange(&api.client, &client_id, &secret).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    api.stop().await;
}

/// Sign-in requests are limited per caller: twenty device authorizations of a public app from
/// 127.0.0.2 use up that address's share (the 21st is 429, and so is an authorize, answered
/// with a page rather than a redirect), while the app's real users, from 127.0.0.1, still
/// start theirs.
#[tokio::test(flavor = "multi_thread")]
async fn one_caller_cannot_use_up_an_apps_sign_ins() {
    let (api, _, _) = start(Access::Open).await;
    let app = api
        .open_vault()
        .register_oauth_app(&keysmith_core::oauth::OAuthAppSpec {
            name: "Ledger".into(),
            description: "Reads the payables ledger".into(),
            redirect_uris: vec!["http://127.0.0.1:8765/cb".into()],
            public: true,
            scopes: vec!["payables:read".into()],
            applications: vec![APPLICATION.into()],
        })
        .unwrap()
        .app;
    let client_from = |address: [u8; 4]| {
        reqwest::Client::builder()
            .no_proxy()
            .local_address(Some(address.into()))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    };
    let (flooder, user) = (client_from([127, 0, 0, 2]), client_from([127, 0, 0, 1]));
    let device = |client: &reqwest::Client| {
        client
            .post(format!("{}/v1/oauth/device_authorization", api.base))
            .form(&[("client_id", app.client_id.as_str())])
            .send()
    };
    let authorize = format!(
        "{}/v1/oauth/authorize?response_type=code&client_id={}\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcb\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        api.base, app.client_id
    );
    for _ in 0..20 {
        assert_eq!(device(&flooder).await.unwrap().status(), 200);
    }
    let refused = device(&flooder).await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let page = flooder.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), 429);
    assert!(!page.headers().contains_key("location"));

    assert_eq!(device(&user).await.unwrap().status(), 200);
    let started = user.get(&authorize).send().await.unwrap();
    assert_eq!(started.status(), 303);
    api.stop().await;
}

/// What a client on a raw socket gets: everything the server sent until it closed the
/// connection, or `None` if it was still open after 10 s.
fn until_closed(mut stream: std::net::TcpStream) -> Option<String> {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Some(String::from_utf8_lossy(&received).into_owned()),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(String::from_utf8_lossy(&received).into_owned())
            }
            Err(_) => return None,
        }
    }
}

/// Opens a raw connection and sends `bytes` on it.
fn send(address: &str, bytes: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(bytes.as_bytes()).unwrap();
    stream
}

/// Slow and idle clients against a server with small limits (1 s for a head and for a body,
/// 1 s of grace): a head that never ends and an idle keep-alive connection are closed, a body
/// that never arrives gets 408, and a request in flight does not hold the server up once it
/// is asked to stop. Each waits for the server to act, with a ceiling of 10 s.
#[tokio::test(flavor = "multi_thread")]
async fn slow_and_idle_clients_are_cut_off_and_stopping_is_bounded() {
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(1),
        ..ConnectionLimits::default()
    };
    let (api, pat, _) = start_within(Access::Open, limits).await;
    let address = api.base.trim_start_matches("http://").to_owned();
    let host = format!("Host: {address}");
    let token = pat.token.expose().to_owned();
    let (slow_head, idle, slow_body) = tokio::task::spawn_blocking({
        let (address, host) = (address.clone(), host.clone());
        move || {
            // A head that never ends.
            let slow_head = until_closed(send(&address, "GET /v1/health HTTP/1.1\r\nHo"));
            // One request, then nothing: the keep-alive connection is closed.
            let idle = until_closed(send(
                &address,
                &format!("GET /v1/health HTTP/1.1\r\n{host}\r\n\r\n"),
            ));
            // A body announced and never sent in full.
            let body = format!("{{\"token\":\"{token}");
            let slow_body = until_closed(send(
                &address,
                &format!(
                    "POST /v1/verify HTTP/1.1\r\n{host}\r\nContent-Type: application/json\r\n\
                     Content-Length: 500\r\n\r\n{body}"
                ),
            ));
            (slow_head, idle, slow_body)
        }
    })
    .await
    .unwrap();
    let slow_head = slow_head.expect("a head that never ends is cut off");
    assert!(!slow_head.starts_with("HTTP/1.1 200"), "{slow_head}");
    let idle = idle.expect("an idle connection is closed");
    assert!(idle.starts_with("HTTP/1.1 200"), "{idle}");
    let slow_body = slow_body.expect("a body that never arrives is cut off");
    assert!(slow_body.starts_with("HTTP/1.1 408"), "{slow_body}");
    assert!(slow_body.contains("request_timeout"), "{slow_body}");

    // A request still in flight (its body never comes) does not keep the server running.
    let in_flight = send(
        &address,
        &format!("POST /v1/verify HTTP/1.1\r\n{host}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{"),
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopped = tokio::time::timeout(Duration::from_secs(10), api.stop()).await;
    assert!(stopped.is_ok(), "the server did not stop");
    drop(in_flight);
}

/// A connection from `source` (an address of the loopback range) to `address`, with `bytes`
/// sent on it.
async fn connect_from(
    source: [u8; 4],
    address: std::net::SocketAddr,
    bytes: &str,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind((std::net::Ipv4Addr::from(source), 0).into())
        .unwrap();
    let mut stream = socket.connect(address).await.unwrap();
    stream.write_all(bytes.as_bytes()).await.unwrap();
    stream
}

/// The first answer on a kept-alive `stream`: its head and its body (a ceiling of 10 s).
async fn first_answer(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = async {
        let mut buffer = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&received).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|line| {
                        line.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|n| n.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    return text;
                }
            }
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "closed before the answer was whole");
            received.extend_from_slice(&buffer[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an answer")
}

/// Everything the server sends on `stream` until it closes it (a ceiling of 10 s).
async fn answer_on(mut stream: tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received));
    match read.await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the server did not close the connection: {other:?}"),
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// Connections that say nothing hold their places (the head timeout is a minute, far beyond
/// the test: no wait on the clock decides anything). Places are taken in the order
/// connections arrive, so a connection answered after others were opened was counted after
/// them.
#[tokio::test(flavor = "multi_thread")]
async fn surplus_connections_are_turned_away_and_one_peer_cannot_take_every_place() {
    let limits = ConnectionLimits {
        max_connections: 6,
        max_connections_per_peer: 2,
        header_timeout: Duration::from_secs(60),
        request_timeout: Duration::from_secs(60),
        shutdown_grace: Duration::from_secs(1),
    };
    let (api, _, _) = start_within(Access::Open, limits).await;
    let address: std::net::SocketAddr = api.base.trim_start_matches("http://").parse().unwrap();
    let health = format!("GET /v1/health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let kept_alive = format!("GET /v1/health HTTP/1.1\r\nHost: {address}\r\n\r\n");
    let busy =
        |answer: &str| answer.starts_with("HTTP/1.1 503") && answer.contains("\"code\":\"busy\"");
    let (one, two, three) = ([127, 0, 0, 1], [127, 0, 0, 2], [127, 0, 0, 3]);

    // No trusted proxies: 127.0.0.1 is a peer like any other, with two places.
    api.open_vault().set_trusted_proxies(&[]).unwrap();
    let mut holders = vec![
        connect_from(one, address, "").await,
        connect_from(one, address, "").await,
    ];
    let third = answer_on(connect_from(one, address, &health).await).await;
    assert!(busy(&third), "{third}");
    // Another peer is served while 127.0.0.1 holds its share (and keeps the connection).
    let mut other = connect_from(two, address, &kept_alive).await;
    let answered = first_answer(&mut other).await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    holders.push(other);

    // A trusted proxy brings everyone's requests: it may hold all but one share's places.
    api.open_vault()
        .set_trusted_proxies(&["127.0.0.1".to_owned()])
        .unwrap();
    holders.push(connect_from(one, address, "").await);
    holders.push(connect_from(one, address, "").await);
    let fifth = answer_on(connect_from(one, address, &health).await).await;
    assert!(busy(&fifth), "{fifth}");
    // The places left are another peer's; once every place is held, anyone is turned away.
    holders.push(connect_from(two, address, "").await);
    let surplus = answer_on(connect_from(three, address, &health).await).await;
    assert!(busy(&surplus), "{surplus}");

    // The holders leave; their places come back (asked again until they do, 10 s at most).
    drop(holders);
    let mut answered = String::new();
    for _ in 0..200 {
        answered = answer_on(connect_from(three, address, &health).await).await;
        if !busy(&answered) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    api.stop().await;
}

/// One generated request: every part a client controls, valid and not.
#[derive(Debug, Clone)]
struct Fuzzed {
    method: &'static str,
    path: String,
    host: Option<String>,
    origin: Option<String>,
    content_type: Option<String>,
    authorization: Option<String>,
    body: Vec<u8>,
}

/// A request's parts: its line, where it claims to come from, its content headers, its body.
type FuzzedParts = (
    (&'static str, String),
    (Option<String>, Option<String>),
    (Option<String>, Option<String>),
    Vec<u8>,
);

impl From<FuzzedParts> for Fuzzed {
    fn from(
        ((method, path), (host, origin), (content_type, authorization), body): FuzzedParts,
    ) -> Self {
        Fuzzed {
            method,
            path,
            host,
            origin,
            content_type,
            authorization,
            body,
        }
    }
}

/// The tokens and names a generated request may carry: real ones, so that requests get
/// through to every answer, not just the refusals.
struct Known {
    port: u16,
    token: String,
    client_id: String,
    client_secret: String,
}

fn fuzzed_requests(known: Known) -> impl Strategy<Value = Fuzzed> {
    use proptest::prelude::*;
    let Known {
        port,
        token,
        client_id,
        client_secret,
    } = known;
    // Weighted towards what reaches a handler: POST to the two routes that take a body.
    let method = prop_oneof![
        4 => Just("POST"),
        2 => prop::sample::select(vec!["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    ];
    let path = prop_oneof![
        3 => prop::sample::select(vec!["/v1/verify", "/v1/oauth/token"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec![
            "/v1/oauth/revoke",
            "/v1/oauth/device_authorization",
            "/.well-known/oauth-authorization-server",
            "/v1/health",
            "/v1/openapi.json",
            "/",
            "/v1/verify/",
            "/v1/verify?scope=x",
        ])
        .prop_map(str::to_owned),
        1 => "/[a-zA-Z0-9/._%~-]{0,24}",
    ];
    let host = prop_oneof![
        6 => Just(Some(format!("127.0.0.1:{port}"))),
        1 => Just(Some(format!("localhost:{port}"))),
        1 => Just(None),
        1 => "[a-z0-9.:-]{0,20}".prop_map(Some),
    ];
    let origin = prop_oneof![
        6 => Just(None),
        1 => Just(Some(format!("http://127.0.0.1:{port}"))),
        1 => Just(Some("https://evil.example".to_owned())),
    ];
    let content_type = prop_oneof![
        3 => Just(Some("application/json".to_owned())),
        3 => Just(Some("application/x-www-form-urlencoded".to_owned())),
        1 => Just(Some("Application/JSON; charset=utf-8".to_owned())),
        1 => Just(Some("text/plain".to_owned())),
        1 => Just(None),
        1 => "[ -~]{0,30}".prop_map(Some),
    ];
    let basic = |id: &str, secret: &str| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    };
    let authorization = prop_oneof![
        6 => Just(None),
        1 => Just(Some(basic(&client_id, &client_secret))),
        1 => "Basic [A-Za-z0-9+/=]{0,40}".prop_map(Some),
        1 => "Bearer [ -~]{0,40}".prop_map(Some),
    ];
    let authorization_for_handlers = authorization.clone();
    let text = || "[ -~\\u{80}-\\u{10ffff}]{0,24}";
    let known_values = prop::sample::select(vec![
        token,
        client_id,
        client_secret,
        "client_credentials".to_owned(),
        "authorization_code".to_owned(),
        "refresh_token".to_owned(),
        "payables:read".to_owned(),
        APPLICATION.to_owned(),
    ]);
    let value = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(Into::into),
        any::<i64>().prop_map(Into::into),
        text().prop_map(Into::into),
        known_values.clone().prop_map(Into::into),
    ];
    let field = prop::sample::select(vec![
        "token",
        "scope",
        "application",
        "grant_type",
        "client_id",
        "client_secret",
        "extra",
    ]);
    let fields = prop::collection::btree_map(field, value, 0..5);
    let body = prop_oneof![
        3 => fields.clone().prop_map(|fields| serde_json::to_vec(&fields).unwrap()),
        3 => fields.prop_map(|fields| {
            let pairs: Vec<(String, String)> = fields
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.as_str().map_or(value.to_string(), str::to_owned)))
                .collect();
            serde_urlencoded::to_string(pairs).unwrap().into_bytes()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => Just(b"{\"token\":".to_vec()),
        1 => Just(vec![b'['; 2000]),
    ];
    let parts = (
        (method, path),
        (host, origin),
        (content_type, authorization),
        body,
    );
    let anything = parts.prop_map(Fuzzed::from);
    // Half of them a well-formed envelope (a POST to a route that takes a body, with a good
    // Host and the route's content type) around a body of the route's shape, with real values
    // or not, so that they get through to every answer and not just the refusals.
    let string = prop_oneof![3 => known_values, 1 => text()];
    let verify = (
        string.clone(),
        proptest::option::of(string.clone()),
        proptest::option::of(string.clone()),
    )
        .prop_map(|(token, scope, application)| {
            let body = json!({ "token": token, "scope": scope, "application": application });
            (
                "/v1/verify",
                "application/json",
                serde_json::to_vec(&body).unwrap(),
            )
        });
    let grant_type = prop_oneof![3 => Just("client_credentials".to_owned()), 1 => text()];
    let exchange = (
        grant_type,
        proptest::option::of(string.clone()),
        proptest::option::of(string),
        any::<bool>(),
    )
        .prop_map(|(grant_type, client_id, client_secret, as_form)| {
            let mut fields = vec![("grant_type", grant_type)];
            fields.extend(client_id.map(|id| ("client_id", id)));
            fields.extend(client_secret.map(|secret| ("client_secret", secret)));
            if as_form {
                let form = serde_urlencoded::to_string(&fields).unwrap();
                (
                    "/v1/oauth/token",
                    "application/x-www-form-urlencoded",
                    form.into_bytes(),
                )
            } else {
                let body: serde_json::Map<_, _> = fields
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.into()))
                    .collect();
                (
                    "/v1/oauth/token",
                    "application/json",
                    serde_json::to_vec(&body).unwrap(),
                )
            }
        });
    let enveloped = (prop_oneof![verify, exchange], authorization_for_handlers).prop_map(
        move |((path, content_type, body), authorization)| {
            let host = Some(format!("127.0.0.1:{port}"));
            let content_type = Some(content_type.to_owned());
            Fuzzed::from((
                ("POST", path.to_owned()),
                (host, None),
                (content_type, authorization),
                body,
            ))
        },
    );
    prop_oneof![anything, enveloped]
}

/// Sends `request` as written on a fresh connection; the status and the body.
fn send_fuzzed(address: &str, request: &Fuzzed) -> (u16, Vec<u8>, Option<String>) {
    use std::io::{Read, Write};
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
    for (name, value) in [
        ("Host", &request.host),
        ("Origin", &request.origin),
        ("Content-Type", &request.content_type),
        ("Authorization", &request.authorization),
    ] {
        if let Some(value) = value {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        request.body.len()
    ));
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (and close) before it has read a body it refuses.
    let _ = stream.write_all(&request.body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer to {request:?}: {answer:?}"));
    let head = String::from_utf8_lossy(&answer[..split]).to_lowercase();
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|line| line.strip_prefix("content-type: "))
        .map(str::to_owned);
    (status, answer[split + 4..].to_vec(), content_type)
}

/// Generated requests — any method, path, Host, Origin, content type, authorization and body,
/// valid or not — never get a 5xx, and always get a JSON body: `{code, message}` for a
/// refusal (the OAuth endpoints' own refusals `{error, error_description}`, as RFC 6749
/// spells them), the route's own shape otherwise. Every answer occurs among them (active and not,
/// a token granted, 401, 429 …). Bounded: 2,000 requests, each on its own connection, to
/// 127.0.0.1, in about a second.
#[tokio::test(flavor = "multi_thread")]
async fn generated_requests_never_get_a_server_error_and_always_get_json() {
    use proptest::test_runner::{Config, TestRunner};
    let (api, pat, pair) = start(Access::Open).await;
    let address = api.base.trim_start_matches("http://").to_owned();
    let port: u16 = address.rsplit_once(':').unwrap().1.parse().unwrap();
    let strategy = fuzzed_requests(Known {
        port,
        token: pat.token.expose().to_owned(),
        client_id: pair.credential.client_id.clone().unwrap(),
        client_secret: pair.token.expose().to_owned(),
    });
    // The failure, as text: the runner's error is large, and only its message matters.
    let fuzzed = tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(Config {
            cases: 2000,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&strategy, |request| {
                let (status, body, content_type) = send_fuzzed(&address, &request);
                proptest::prop_assert!(status < 500, "{status} for {request:?}");
                proptest::prop_assert_eq!(content_type.as_deref(), Some("application/json"));
                let json: Value = serde_json::from_slice(&body).map_err(|e| {
                    proptest::test_runner::TestCaseError::fail(format!("{e}: {request:?}"))
                })?;
                // The OAuth endpoints answer their refusals in RFC 6749's shape.
                let oauth_shape = request.path.starts_with("/v1/oauth/")
                    && json["error"].is_string()
                    && json["error_description"].is_string();
                if status >= 400 {
                    proptest::prop_assert!(
                        oauth_shape || (json["code"].is_string() && json["message"].is_string()),
                        "{json}"
                    );
                }
                Ok(())
            })
            .map_err(|failure| failure.to_string())
    })
    .await
    .unwrap();
    if let Err(failure) = fuzzed {
        panic!("{failure}");
    }
    api.stop().await;
}
