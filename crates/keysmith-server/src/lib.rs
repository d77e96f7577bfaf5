//! Keysmith's local HTTP API over one vault: `POST /v1/verify` (Keysmith's answer, with
//! reasons), `POST /v1/introspect` (RFC 7662 as the RFC spells it), `/v1/auth` (forward auth
//! for nginx, Caddy and Traefik), `POST /v1/oauth/token` (the client-credentials exchange and
//! the OAuth grants), renewal claim redemption
//! (`POST /v1/renewals/redeem` and the seed product's `GET
//! /apiAccessTokens/requestRenewedToken`), `GET /v1/health` and
//! `GET /v1/openapi.json`, generated from the handlers. Every response is JSON (but forward
//! auth's 200, which is headers only); bodies are
//! capped at 16 KiB; a credential verified more often than its rate limit gets 429 with
//! `Retry-After`; successful verifications are recorded as "last used" in batches.
//!
//! The rules live in the core; this crate maps HTTP to core calls and back.

mod boundary;
mod connections;
pub mod docs;
mod error;
mod gateway;
mod limits;
mod oauth;
mod renewals;
mod routes;
pub mod team;
pub mod tls;
mod usage;
mod verifier;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, on, post, MethodFilter};
use axum::{middleware, Router};
use keysmith_core::oauth::GrantId;
use keysmith_core::{ApiSettings, Credential, CredentialId, UsageRecorder, Vault, Verification};
use tokio::net::TcpListener;

pub use connections::ConnectionLimits;
pub use error::ApiError;
pub use routes::{openapi_json, Introspection};

use boundary::Boundary;
use limits::{CallerLimit, RateLimits};
use usage::Usage;

/// The methods forward auth answers: what a gateway forwards. TRACE and CONNECT get 405.
const FORWARDED_METHODS: MethodFilter = MethodFilter::GET
    .or(MethodFilter::HEAD)
    .or(MethodFilter::POST)
    .or(MethodFilter::PUT)
    .or(MethodFilter::PATCH)
    .or(MethodFilter::DELETE)
    .or(MethodFilter::OPTIONS);

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

/// What every request shares: the vault (two handles, below), who may call, the
/// per-credential rate limiters, the uses not yet written and the connection that writes them.
///
/// Verifications must keep answering while a write waits for the vault's lock (held, say, by
/// the app or a `keysmith issue` in the middle of a change), and the threads that accept and
/// answer must never wait on the database. So the vault has two handles, each on a connection
/// of its own (the vault is in WAL mode: readers never wait for a writer):
/// - `instant` only reads, and never waits for a lock: verifications and client
///   authentication run on it right where the request is answered (a verification is an
///   in-memory lookup of a few microseconds; moving it to another thread costs more than it
///   does, measured in `scripts/bench-api`). In the rare moment SQLite still says busy (a
///   crashed process's log being recovered), the same work is redone on `patient`.
/// - `patient` waits up to the busy timeout, always on a blocking thread: the exchange's write,
///   and the reads `instant` could not do at once.
pub struct ApiState {
    instant: Mutex<Vault>,
    patient: Mutex<Vault>,
    access: Access,
    limits: RateLimits,
    failures: CallerLimit,
    sign_ins: CallerLimit,
    usage: Usage<CredentialId>,
    grant_usage: Usage<GrantId>,
    recorder: Mutex<UsageRecorder>,
    /// A team server's side: devices, sessions and the admin operations; `None` for the API
    /// alone.
    team: Option<team::Team>,
}

impl ApiState {
    /// State over an unlocked vault; opens two more connections to it, for answering at once
    /// and for recording uses.
    pub fn new(vault: Vault, access: Access) -> keysmith_core::Result<Arc<ApiState>> {
        Ok(Arc::new(ApiState::over(vault, access, None)?))
    }

    /// State of a team server over an unlocked vault: the API, and the admin operations of
    /// enrolled devices on a handle of their own, sessions bound to the certificate with
    /// `fingerprint`.
    /// `url` is the address devices reach it at, when it is not the one it listens on.
    pub fn team(
        vault: Vault,
        access: Access,
        fingerprint: keysmith_core::team::invitation::Fingerprint,
        url: Option<String>,
    ) -> keysmith_core::Result<Arc<ApiState>> {
        let team = team::Team::new(vault.open_again()?, fingerprint, url);
        Ok(Arc::new(ApiState::over(vault, access, Some(team))?))
    }

    fn over(
        vault: Vault,
        access: Access,
        team: Option<team::Team>,
    ) -> keysmith_core::Result<ApiState> {
        let recorder = vault.usage_recorder()?;
        let instant = vault.open_again()?;
        instant.set_lock_wait(Duration::ZERO)?;
        Ok(ApiState {
            instant: Mutex::new(instant),
            patient: Mutex::new(vault),
            access,
            limits: RateLimits::default(),
            failures: CallerLimit::failures(),
            sign_ins: CallerLimit::sign_ins(),
            usage: Usage::default(),
            grant_usage: Usage::default(),
            recorder: Mutex::new(recorder),
            team,
        })
    }

    /// Counts an active `verification` (made on `vault`): against its credential's rate
    /// limit (429 once spent, giving back the usage-limit use it took), and as a use to
    /// record as "last used".
    fn count_use(&self, vault: &Vault, verification: &Verification) -> Result<(), ApiError> {
        match verification {
            Verification::Active(verified) => {
                if let Err(error) = self.admit(&verified.credential) {
                    if verified.remaining.is_some() {
                        vault.refund_use(verified.credential.id);
                    }
                    return Err(error);
                }
                self.usage
                    .record(verified.credential.id, chrono::Utc::now());
            }
            Verification::ActiveOAuth(verified) => {
                self.grant_usage.record(verified.grant, chrono::Utc::now());
            }
            Verification::Inactive(_) => {}
        }
        Ok(())
    }

    /// Verifies with `verify` (which only reads, on the `reading` handles) and counts the use
    /// as `count_use` does; an answer acting as a named user is written to the audit log
    /// before it is returned, so no such answer leaves without its row.
    async fn verify_counted(
        self: &Arc<Self>,
        verify: impl Fn(&Vault) -> keysmith_core::Result<Verification> + Send + 'static,
    ) -> Result<Verification, ApiError> {
        let verification = self
            .reading(move |state, vault| {
                let verification = verify(vault)?;
                state.count_use(vault, &verification)?;
                Ok(verification)
            })
            .await?;
        if let Verification::Active(verified) = &verification {
            if verified.acting_as.is_some() {
                let verified = verified.clone();
                self.writing(move |vault| Ok(vault.record_acting_as(&verified)?))
                    .await?;
            }
        }
        Ok(verification)
    }

    /// Counts one use of `credential` against its rate limit (verifications and exchanges
    /// alike): 429 with the seconds to wait once it is spent.
    fn admit(&self, credential: &Credential) -> Result<(), ApiError> {
        self.limits
            .check(credential.id, credential.rate_limit)
            .map_err(|retry_after| ApiError::RateLimited { retry_after })
    }

    /// Runs `work`, which only reads, on the `instant` handle right here; if the vault was
    /// busy, runs it again on the `patient` handle on a blocking thread. `work` must not
    /// change anything before its first read of the vault.
    async fn reading<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl Fn(&ApiState, &Vault) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let at_once = work(self, &lock(&self.instant));
        match at_once {
            Err(ApiError::Core(keysmith_core::Error::VaultBusy)) => {
                let state = Arc::clone(self);
                off_thread(move || work(&state, &lock(&state.patient))).await
            }
            answered => answered,
        }
    }

    /// Runs `work`, which writes, on the `patient` handle on a blocking thread: it may wait
    /// up to the busy timeout for the vault's write lock, and nothing else waits for it but
    /// other writes.
    async fn writing<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut Vault) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = Arc::clone(self);
        off_thread(move || work(&mut lock(&state.patient))).await
    }

    /// Writes the uses recorded since the last flush, in one transaction on the recorder's
    /// own connection: verifications go on meanwhile. A batch that cannot be written (the
    /// vault's write lock held elsewhere past the busy timeout) is kept for the next flush.
    /// Then gives back the usage-limit uses of leases no verification spent from since the
    /// last flush, for other processes.
    pub fn flush_usage(&self) {
        if let Err(error) = lock(&self.patient).give_back_idle_uses() {
            tracing::warn!(
                code = error.code().as_str(),
                "could not give back leased uses; they go back with the next flush"
            );
        }
        let uses = self.usage.take();
        if !uses.is_empty() {
            if let Err(error) = lock(&self.recorder).record(&uses) {
                tracing::warn!(
                    code = error.code().as_str(),
                    uses = uses.len(),
                    "could not record credential uses; they go with the next flush"
                );
                self.usage.restore(uses);
            }
        }
        let grant_uses = self.grant_usage.take();
        if !grant_uses.is_empty() {
            if let Err(error) = lock(&self.recorder).record_grants(&grant_uses) {
                tracing::warn!(
                    code = error.code().as_str(),
                    uses = grant_uses.len(),
                    "could not record OAuth connection uses; they go with the next flush"
                );
                self.grant_usage.restore(grant_uses);
            }
        }
    }
}

/// The value behind `mutex`; a panic elsewhere while it was held leaves nothing half-done
/// (every change to the vault is one transaction), so a poisoned lock is taken as it is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs blocking `work` on tokio's blocking threads; a panic in it is an internal error.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or(Err(ApiError::Interrupted))
}

/// The API's routes over `state` as served on `local` within `limits`: every one behind the
/// boundary (Host, Origin, request timeout) and, with [`Access::VerifierKey`], the
/// verifier-key check.
fn router(state: Arc<ApiState>, local: SocketAddr, limits: ConnectionLimits) -> Router {
    let routes = Router::new()
        .route("/v1/verify", post(routes::verify))
        .route("/v1/introspect", post(gateway::introspect))
        .route("/v1/auth", on(FORWARDED_METHODS, gateway::forward_auth))
        .route("/v1/oauth/token", post(routes::token))
        .route("/v1/oauth/authorize", get(oauth::authorize))
        .route("/v1/oauth/authorize/wait/{id}", get(oauth::wait))
        .route(
            "/v1/oauth/device_authorization",
            post(oauth::device_authorization),
        )
        .route("/v1/oauth/device", get(oauth::device_page))
        .route("/v1/oauth/revoke", post(oauth::revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route("/v1/renewals/redeem", post(renewals::redeem))
        .route(
            "/apiAccessTokens/requestRenewedToken",
            get(renewals::request_renewed_token),
        )
        .route("/v1/health", get(routes::health))
        .route("/v1/openapi.json", get(routes::openapi))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed);
    // Only where it has work to do: each layer costs every request a boxed future.
    let routes = match state.access {
        Access::Open => routes,
        Access::VerifierKey => routes.layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            verifier::require,
        )),
    };
    // A team server's device routes authenticate by device key, not by verifier key, and
    // answer other computers over TLS only. Every server has them (as its document does): one
    // that is not a team server answers them 404.
    let team = Router::new()
        .route("/v1/team/join", post(team::join))
        .route("/v1/team/session", post(team::session))
        .route("/v1/admin/{operation}", post(team::admin))
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(middleware::from_fn(
            connections::require_tls_beyond_loopback,
        ));
    let routes = routes.merge(team);
    routes
        .layer(axum::Extension(oauth::Issuer(format!("http://{local}"))))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            Arc::new(match state.team.as_ref().and_then(team::Team::url) {
                Some(url) => Boundary::listening_on(local, limits.request_timeout).also_at(url),
                None => Boundary::listening_on(local, limits.request_timeout),
            }),
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
    serve_tls_within(listener, state, limits, None, shutdown).await
}

/// [`serve_within`], over TLS with `tls` when given (a team server).
pub async fn serve_tls_within(
    listener: TcpListener,
    state: Arc<ApiState>,
    limits: ConnectionLimits,
    tls: Option<tls::Tls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let flusher = {
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(USAGE_FLUSH_INTERVAL);
            loop {
                tick.tick().await;
                // Off the answering threads: while a batch is written, they keep answering.
                let state = Arc::clone(&state);
                let flushed = off_thread(move || {
                    state.flush_usage();
                    Ok(())
                });
                if flushed.await.is_err() {
                    tracing::warn!("the usage flush stopped unexpectedly");
                }
            }
        })
    };
    let local = listener.local_addr()?;
    let app = router(Arc::clone(&state), local, limits);
    tracing::info!(address = %local, "local API listening");
    let is_trusted_proxy = {
        let state = Arc::clone(&state);
        // A busy vault (its trusted proxies not readable at once) counts as not trusted.
        move |peer| {
            lock(&state.instant)
                .trusted_proxies()
                .is_ok_and(|trusted| trusted.contains(peer))
        }
    };
    let tls = tls.map(|tls| tokio_rustls::TlsAcceptor::from(tls.config));
    connections::accept(listener, app, limits, tls, is_trusted_proxy, shutdown).await;
    flusher.abort();
    state.flush_usage();
    tracing::info!(address = %local, "local API stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread::ThreadId;

    use keysmith_core::{AccountHolder, EmailAddress, KdfParams, Name, Secret};

    use super::*;

    /// A read the instant handle finds busy is redone once, on the patient handle, off the
    /// thread that answers.
    #[tokio::test(flavor = "current_thread")]
    async fn a_busy_read_is_redone_off_the_answering_thread() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::create(
            &dir.path().join("busy.vault"),
            &Secret::from("busy read passphrase"),
            &AccountHolder {
                name: Name::new("Ada Holder").unwrap(),
                email: EmailAddress::try_from("ada@example.com".to_owned()).unwrap(),
            },
            KdfParams::MINIMUM,
            keysmith_core::clock::system(),
        )
        .unwrap();
        let state = ApiState::new(vault, Access::Open).unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(Vec::<ThreadId>::new()));
        let answer = {
            let (calls, threads) = (Arc::clone(&calls), Arc::clone(&threads));
            state
                .reading(move |_, _| {
                    lock(&threads).push(std::thread::current().id());
                    match calls.fetch_add(1, Ordering::SeqCst) {
                        0 => Err(keysmith_core::Error::VaultBusy.into()),
                        _ => Ok("answered"),
                    }
                })
                .await
        };
        assert!(matches!(answer, Ok("answered")));
        let threads = lock(&threads).clone();
        assert_eq!(threads.len(), 2);
        assert_eq!(threads[0], std::thread::current().id());
        assert_ne!(threads[1], std::thread::current().id());
    }
}
