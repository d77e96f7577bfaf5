//! The HTTP ceiling of this machine for `scripts/bench-api`: bare axum handlers on one thread
//! (as `keysmith serve` answers), with no vault, no middleware and no rate limits. `POST
//! /v1/verify` takes the same JSON body as Keysmith's (the token and the client's address),
//! parses it and answers a fixed introspection body; `/v1/auth` reads the token and
//! `X-Forwarded-For` headers and answers 200 with the headers forward auth gives. Keysmith's
//! throughput is reported as a ratio to these, measured in the same run, so that the
//! machine's own speed and load cancel out.

use axum::http::{HeaderMap, StatusCode};
use axum::routing::{any, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The body Keysmith's verify takes; parsed, then dropped.
#[derive(Deserialize)]
struct VerifyRequest {
    #[serde(rename = "token")]
    _token: String,
    #[serde(rename = "client_ip")]
    _client_ip: Option<std::net::IpAddr>,
}

async fn verify(Json(_request): Json<VerifyRequest>) -> Json<Value> {
    Json(json!({
        "active": true, "credential_id": 1, "kind": "personal_access_token", "owner": "Ada",
        "scopes": ["payables:read"], "rights": "read", "applications": ["Internal tools"],
        "exp": 1_900_000_000, "iat": 1_800_000_000, "remaining": 999_999_999,
    }))
}

async fn auth(headers: HeaderMap) -> (StatusCode, [(&'static str, String); 4]) {
    let present = |name: &str| headers.get(name).is_some();
    let status = if present("x-api-key") && present("x-forwarded-for") {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    (
        status,
        [
            ("x-keysmith-credential", "1".to_owned()),
            ("x-keysmith-owner", "Ada".to_owned()),
            ("x-keysmith-scopes", "payables:read".to_owned()),
            ("x-keysmith-kind", "personal_access_token".to_owned()),
        ],
    )
}

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on http://{}", listener.local_addr()?);
        let app = Router::new()
            .route("/v1/verify", post(verify))
            .route("/v1/auth", any(auth));
        axum::serve(listener, app).await
    })
}
