//! The HTTP ceiling of this machine for `scripts/bench-api`: a bare axum handler on one
//! thread (as `keysmith serve` answers) that takes the same `POST /v1/verify` JSON body,
//! parses it, and answers a fixed introspection body, with no vault, no middleware and no
//! rate limits. Keysmith's throughput is reported as a ratio to this one, measured in the
//! same run, so that the machine's own speed and load cancel out.

use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The body Keysmith's verify takes; the token is parsed, then dropped.
#[derive(Deserialize)]
struct VerifyRequest {
    #[serde(rename = "token")]
    _token: String,
}

async fn verify(Json(_request): Json<VerifyRequest>) -> Json<Value> {
    Json(json!({
        "active": true, "credential_id": 1, "kind": "personal_access_token", "owner": "Ada",
        "scopes": ["payables:read"], "rights": "read", "applications": ["Internal tools"],
        "exp": 1_900_000_000, "iat": 1_800_000_000,
    }))
}

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, Router::new().route("/v1/verify", post(verify))).await
    })
}
