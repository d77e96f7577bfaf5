//! Keysmith's local HTTP API over one vault: `POST /v1/verify` (RFC 7662 introspection),
//! `POST /v1/oauth/token` (the client-credentials exchange), `GET /v1/health` and
//! `GET /v1/openapi.json`, generated from the handlers. Every response is JSON; bodies are
//! capped at 16 KiB; a credential verified more often than its rate limit gets 429 with
//! `Retry-After`; successful verifications are recorded as "last used" in batches.
//!
//! The rules live in the core; this crate maps HTTP to core calls and back.

mod boundary;
mod connections;
mod error;
mod limits;
mod routes;
mod usage;
mod verifier;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{middleware, Router};
use keysmith_core::{ApiSettings, UsageRecorder, Vault};
use tokio::net::TcpListener;

pub use connections::ConnectionLimits;
pub use error::ApiError;
pub use routes::{openapi_json, Introspection};

use boundary::Boundary;
use limits::{FailedAttempts, RateLimits};
use usage::Usage;

/// The largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 16 * 1024;
/// How often recorded uses are written to the vault.
pub const USAGE_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Who may call the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any caller that reaches the port (loopback).
    Open,
    /// Only callers sending `Authorization: Bearer ks_vfy_…` with an active verifier key.
    VerifierKey,
}

impl Access {
    /// The access `api` settings call for: verifier keys beyond loopback, or when required.
    pub fn for_settings(api: &ApiSettings) -> Access {
        if api.requires_verifier() {
            Access::VerifierKey
        } else {
            Access::Open
        }
    }
}

/// What every request shares: the vault, who may call, the per-credential rate limiters, the
/// uses not yet written and the connection that writes them.
pub struct ApiState {
    vault: Mutex<Vault>,
    access: Access,
    limits: RateLimits,
    failures: FailedAttempts,
    usage: Usage,
    recorder: Mutex<UsageRecorder>,
}

impl ApiState {
    /// State over an unlocked vault; opens a second connection to it for recording uses.
    pub fn new(vault: Vault, access: Access) -> keysmith_core::Result<Arc<ApiState>> {
        let recorder = vault.usage_recorder()?;
        Ok(Arc::new(ApiState {
            vault: Mutex::new(vault),
            access,
            limits: RateLimits::default(),
            failures: FailedAttempts::default(),
            usage: Usage::default(),
            recorder: Mutex::new(recorder),
        }))
    }

    /// The vault, for one short, non-async step.
    fn vault(&self) -> MutexGuard<'_, Vault> {
        self.vault.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the uses recorded since the last flush, in one transaction on the recorder's
    /// own connection: verifications go on meanwhile. A batch that cannot be written (the
    /// vault's write lock held elsewhere past the busy timeout) is kept for the next flush.
    pub fn flush_usage(&self) {
        let uses = self.usage.take();
        if uses.is_empty() {
            return;
        }
        let mut recorder = self.recorder.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = recorder.record(&uses) {
            tracing::warn!(
                code = error.code().as_str(),
                uses = uses.len(),
                "could not record credential uses; they go with the next flush"
            );
            self.usage.restore(uses);
        }
    }
}

/// The API's routes over `state` as served on `local` within `limits`: every one behind the
/// boundary (Host, Origin, request timeout) and, with [`Access::VerifierKey`], the
/// verifier-key check.
pub fn router(state: Arc<ApiState>, local: SocketAddr, limits: ConnectionLimits) -> Router {
    Router::new()
        .route("/v1/verify", post(routes::verify))
        .route("/v1/oauth/token", post(routes::token))
        .route("/v1/health", get(routes::health))
        .route("/v1/openapi.json", get(routes::openapi))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            verifier::require,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            Arc::new(Boundary::listening_on(local, limits.request_timeout)),
            boundary::guard,
        ))
        .with_state(state)
}

/// Serves the API on `listener` within the default [`ConnectionLimits`] until `shutdown`
/// resolves; see [`serve_within`].
pub async fn serve(
    listener: TcpListener,
    state: Arc<ApiState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_within(listener, state, ConnectionLimits::default(), shutdown).await
}

/// Serves the API on `listener` within `limits` until `shutdown` resolves, writing recorded
/// uses every [`USAGE_FLUSH_INTERVAL`] and once more on the way out. Requests in flight get
/// the limits' grace period to finish; then it returns.
pub async fn serve_within(
    listener: TcpListener,
    state: Arc<ApiState>,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let flusher = {
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(USAGE_FLUSH_INTERVAL);
            loop {
                tick.tick().await;
                // Off the async workers: while a chunk is written, they keep answering.
                let state = Arc::clone(&state);
                if tokio::task::spawn_blocking(move || state.flush_usage())
                    .await
                    .is_err()
                {
                    tracing::warn!("the usage flush stopped unexpectedly");
                }
            }
        })
    };
    let local = listener.local_addr()?;
    let app = router(Arc::clone(&state), local, limits);
    tracing::info!(address = %local, "local API listening");
    connections::accept(listener, app, limits, shutdown).await;
    flusher.abort();
    state.flush_usage();
    tracing::info!(address = %local, "local API stopped");
    Ok(())
}
