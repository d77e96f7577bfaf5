//! The team server's doors for devices: joining with an invitation, opening a session by
//! signing a fresh challenge, and the admin operations (`POST /v1/admin/<operation>`), each
//! request signed by the device key with a counter taken once. The operations are
//! `keysmith_ops`' list, carried out as the device's user (the core enforces their role, and
//! names the device in every audit row). Sessions live in memory, 15 minutes at most: a
//! restart ends them all, and a device opens a new one with its key, without its person.
//!
//! Failed joins and sign-ins are counted per address and per device; past the limit, that
//! address (or that device) waits, others do not.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keysmith_core::team::invitation::Fingerprint;
use keysmith_core::team::proof::{self, Counters};
use keysmith_core::{Device, DeviceId, Name, Secret, Vault};
use keysmith_ops::CallError;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::error::{ApiError, ErrorBody};
use crate::limits::{Caller, Target};
use crate::routes::{body_bytes, json_body, media_type, parse_json};
use crate::{lock, off_thread, ApiState};

/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long a challenge waits to be signed.
const CHALLENGE_LIFETIME: Duration = Duration::from_secs(60);
/// How many sessions (and challenges) one device may hold at once; the oldest goes first.
const PER_DEVICE: usize = 4;
/// How often a device's "last seen" is written, at most.
const SEEN_EVERY: Duration = Duration::from_secs(30);
/// The authorization scheme of a session: `Authorization: Keysmith <session>`.
pub const SCHEME: &str = "Keysmith";
/// The header carrying a request's proof: `<counter>.<base64 signature>`.
pub const PROOF_HEADER: &str = "keysmith-proof";
/// The header naming one change however often it is tried (a retry after a dropped
/// connection): the server carries it out once and answers every try with that outcome.
pub const RETRY_KEY_HEADER: &str = "idempotency-key";
/// How long an outcome is kept for retries.
const OUTCOME_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// How many outcomes are kept at most (the oldest go first).
const OUTCOMES_KEPT: usize = 1024;

/// What the team server keeps beside the API: its own vault handle for the operations, the
/// certificate fingerprint sessions are bound to, and the challenges and sessions in flight.
pub struct Team {
    vault: Mutex<Vault>,
    fingerprint: Fingerprint,
    url: Option<String>,
    challenges: Mutex<HashMap<DeviceId, Vec<Challenge>>>,
    sessions: Mutex<HashMap<String, Session>>,
    seen: Mutex<HashMap<DeviceId, Instant>>,
    outcomes: Mutex<HashMap<(DeviceId, String), Outcome>>,
}

/// A change's outcome, kept for its retries: still being carried out, or its answer (which
/// may hold a secret shown once: it is wiped when dropped).
enum Outcome {
    Pending(Instant),
    Answered(Instant, u16, Zeroizing<Vec<u8>>),
}

impl Outcome {
    fn since(&self) -> Instant {
        match self {
            Outcome::Pending(at) | Outcome::Answered(at, _, _) => *at,
        }
    }
}

/// A challenge given to a device, and when.
type Challenge = (Zeroizing<[u8; 32]>, Instant);

/// A session: whose, until when, and the counters its requests used.
struct Session {
    device: DeviceId,
    opened: Instant,
    counters: Counters,
}

impl Team {
    /// The team side over `vault` (a handle of its own), bound to the certificate with
    /// `fingerprint`, reached at `url` when that is not where it listens.
    pub fn new(vault: Vault, fingerprint: Fingerprint, url: Option<String>) -> Team {
        Team {
            vault: Mutex::new(vault),
            fingerprint,
            url,
            challenges: Mutex::default(),
            sessions: Mutex::default(),
            seen: Mutex::default(),
            outcomes: Mutex::default(),
        }
    }

    /// The address devices reach it at, when given.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// Ends every session of `device` (removed: it must not finish what it started).
    fn end_sessions_of(&self, device: DeviceId) {
        lock(&self.sessions).retain(|_, session| session.device != device);
    }
}

fn team_of(state: &ApiState) -> Result<&Team, ApiError> {
    state.team.as_ref().ok_or(ApiError::NotFound)
}

fn random_32() -> Zeroizing<[u8; 32]> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    bytes
}

fn base64_bytes(text: &str, what: &str) -> Result<Vec<u8>, ApiError> {
    STANDARD
        .decode(text.trim())
        .map_err(|_| ApiError::BadRequest(format!("{what} must be base64")))
}

/// Refuses `caller` while its failures (or the device's, from anywhere) are past the limit.
fn check_failures(
    state: &ApiState,
    caller: IpAddr,
    device: Option<DeviceId>,
) -> Result<(), ApiError> {
    let now = Instant::now();
    let target = device.map_or(Target::TeamSignIn, |id| Target::Device(id.0));
    state
        .failures
        .check(caller, target, now)
        .and_then(|()| match device {
            Some(id) => state.failures.check(ANYWHERE, Target::Device(id.0), now),
            None => Ok(()),
        })
        .map_err(|retry_after| ApiError::TooManyFailures { retry_after })
}

/// Every address at once: a device's failures from anywhere count here too.
const ANYWHERE: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

fn record_failure(state: &ApiState, caller: IpAddr, device: Option<DeviceId>) {
    let now = Instant::now();
    match device {
        None => state.failures.record(caller, Target::TeamSignIn, now),
        Some(id) => {
            state.failures.record(caller, Target::Device(id.0), now);
            state.failures.record(ANYWHERE, Target::Device(id.0), now);
        }
    }
}

/// A join: the invitation's secret, the device's name and its public key (base64).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct JoinRequest {
    /// `ks_inv_…`: the secret of the invitation's line (not the whole line).
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[schema(value_type = String)]
    pub invitation: Secret,
    /// What to call the device.
    pub device_name: String,
    /// The device's Ed25519 public key, base64.
    pub public_key: String,
}

/// `POST /v1/team/join`: enrolls a device with a one-time invitation.
#[utoipa::path(
    tag = "Team",
    post,
    path = "/v1/team/join",
    request_body(content = JoinRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The device, enrolled: it acts as the invitation's user from now on", body = serde_json::Value),
        (status = 400, description = "invitation_not_found, invitation_used, invitation_expired, a bad name or key, bad JSON", body = ErrorBody),
        (status = 403, description = "tls_required: another computer over plain HTTP", body = ErrorBody),
        (status = 404, description = "Not a team server", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 429, description = "Too many failed joins from this address (10 a minute); see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn join(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Device>, ApiError> {
    team_of(&state)?;
    check_failures(&state, caller, None)?;
    let request: JoinRequest = json_body(&headers, body)?;
    let name = Name::new(&request.device_name)?;
    let public_key: [u8; 32] = base64_bytes(&request.public_key, "public_key")?
        .try_into()
        .map_err(|_| ApiError::BadRequest("public_key must be 32 bytes".into()))?;
    let worker = Arc::clone(&state);
    let joined = off_thread(move || {
        let team = team_of(&worker)?;
        Ok(lock(&team.vault).join(&request.invitation, &name, &public_key, &caller.to_string())?)
    })
    .await;
    if let Err(ApiError::Core(
        keysmith_core::Error::InvitationNotFound
        | keysmith_core::Error::InvitationUsed
        | keysmith_core::Error::InvitationExpired,
    )) = &joined
    {
        record_failure(&state, caller, None);
    }
    Ok(Json(joined?))
}

/// A device asking for a challenge, or answering one.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SessionRequest {
    /// The device's id, as joining answered it.
    #[schema(value_type = i64)]
    pub device_id: DeviceId,
    /// The challenge signed (base64); absent when asking for one.
    #[serde(default)]
    pub challenge: Option<String>,
    /// The signature (base64); absent when asking for a challenge.
    #[serde(default)]
    pub signature: Option<String>,
}

/// A challenge to sign, or a session opened.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionAnswer {
    /// The challenge (base64), when one was asked for.
    #[serde(default)]
    pub challenge: Option<String>,
    /// The session, when a challenge was signed.
    #[serde(default)]
    pub session: Option<String>,
    /// The session's lifetime in seconds.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// `POST /v1/team/session`: without a signature, gives the device a fresh challenge; with the
/// challenge signed by the device key, opens a session.
#[utoipa::path(
    tag = "Team",
    post,
    path = "/v1/team/session",
    request_body(content = SessionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "A challenge (60 s, answered once), or the session (15 minutes)", body = SessionAnswer),
        (status = 400, description = "Bad JSON or base64", body = ErrorBody),
        (status = 401, description = "challenge_unknown, bad_signature, device_not_found", body = ErrorBody),
        (status = 403, description = "tls_required: another computer over plain HTTP", body = ErrorBody),
        (status = 404, description = "Not a team server", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 429, description = "Too many failures for this device or from this address; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn session(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SessionAnswer>, ApiError> {
    let team = team_of(&state)?;
    let request: SessionRequest = json_body(&headers, body)?;
    let device = request.device_id;
    check_failures(&state, caller, Some(device))?;
    let (Some(challenge), Some(signature)) = (request.challenge, request.signature) else {
        let challenge = random_32();
        let encoded = STANDARD.encode(challenge.as_ref());
        let mut challenges = lock(&team.challenges);
        let now = Instant::now();
        challenges.retain(|_, held| {
            held.retain(|(_, made)| now.duration_since(*made) < CHALLENGE_LIFETIME);
            !held.is_empty()
        });
        let held = challenges.entry(device).or_default();
        if held.len() >= PER_DEVICE {
            held.remove(0);
        }
        held.push((challenge, now));
        return Ok(Json(SessionAnswer {
            challenge: Some(encoded),
            session: None,
            expires_in: None,
        }));
    };
    let challenge = base64_bytes(&challenge, "challenge")?;
    let signature = base64_bytes(&signature, "signature")?;
    let pending = {
        let mut challenges = lock(&team.challenges);
        let held = challenges.entry(device).or_default();
        let found = held.iter().position(|(made, at)| {
            made.as_slice() == challenge.as_slice() && at.elapsed() < CHALLENGE_LIFETIME
        });
        // Taken whatever the signature: a challenge is answered once.
        found.map(|index| held.remove(index))
    };
    let worker = Arc::clone(&state);
    let checked = off_thread(move || {
        let team = team_of(&worker)?;
        if pending.is_none() {
            return Err(ApiError::ChallengeUnknown);
        }
        let key = lock(&team.vault).device_key(device)?;
        Ok(proof::check_challenge(
            &key,
            &challenge,
            &team.fingerprint,
            &signature,
        )?)
    })
    .await;
    if let Err(error) = checked {
        record_failure(&state, caller, Some(device));
        return Err(error);
    }
    let session = STANDARD.encode(random_32().as_ref());
    {
        let mut sessions = lock(&team.sessions);
        sessions.retain(|_, open| open.opened.elapsed() < SESSION_LIFETIME);
        let mut mine: Vec<(String, Instant)> = sessions
            .iter()
            .filter(|(_, open)| open.device == device)
            .map(|(id, open)| (id.clone(), open.opened))
            .collect();
        mine.sort_by_key(|(_, opened)| *opened);
        while mine.len() >= PER_DEVICE {
            let (oldest, _) = mine.remove(0);
            sessions.remove(&oldest);
        }
        sessions.insert(
            session.clone(),
            Session {
                device,
                opened: Instant::now(),
                counters: Counters::default(),
            },
        );
    }
    Ok(Json(SessionAnswer {
        challenge: None,
        session: Some(session),
        expires_in: Some(SESSION_LIFETIME.as_secs()),
    }))
}

/// `POST /v1/admin/{operation}`: one operation of `keysmith_ops`' list, as the device whose
/// session and signature the request carries.
#[utoipa::path(
    tag = "Team",
    post,
    path = "/v1/admin/{operation}",
    params(
        ("operation" = String, Path, description = "The operation's name, as the window's command is named: list_credentials, issue_credential, revoke_credential, people_overview, …"),
        ("Authorization" = String, Header, description = "Keysmith <session>"),
        ("Keysmith-Proof" = String, Header, description = "<counter>.<base64 Ed25519 signature> over the session, the counter (each taken once), the path, the idempotency key and the body's SHA-256"),
        ("Idempotency-Key" = Option<String>, Header, description = "The same for every try of one change: the server carries it out once and answers every try with that outcome"),
    ),
    request_body(content = serde_json::Value, content_type = "application/json", description = "The operation's request"),
    responses(
        (status = 200, description = "The operation's answer (no-store: it may carry a secret shown once)", body = serde_json::Value),
        (status = 400, description = "A request the operation does not take, or the core's refusal", body = ErrorBody),
        (status = 401, description = "session_required, proof_required, session_expired, bad_signature, request_replayed, device_not_found", body = ErrorBody),
        (status = 403, description = "forbidden (the device's user may not), or tls_required", body = ErrorBody),
        (status = 404, description = "No such operation, or not a team server", body = ErrorBody),
        (status = 409, description = "request_in_progress: the first try of this change is still running", body = ErrorBody),
        (status = 413, description = "Bodies are limited to 16 KiB", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 429, description = "Too many failures for this device or from this address; see Retry-After", body = ErrorBody),
        (status = 503, description = "vault_busy: see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn admin(
    State(state): State<Arc<ApiState>>,
    Caller(caller): Caller,
    Path(operation): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let team = team_of(&state)?;
    if media_type(&headers) != Some("application/json") {
        return Err(ApiError::UnsupportedMediaType("application/json"));
    }
    let body = body_bytes(body)?;
    let session = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix(SCHEME))
        .map(|session| session.trim().to_owned())
        .ok_or(ApiError::SessionRequired)?;
    let (counter, signature) = headers
        .get(PROOF_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once('.'))
        .and_then(|(counter, signature)| {
            Some((
                counter.parse::<u64>().ok()?,
                STANDARD.decode(signature).ok()?,
            ))
        })
        .ok_or(ApiError::ProofRequired)?;
    let device = {
        let sessions = lock(&team.sessions);
        match sessions.get(&session) {
            Some(open) if open.opened.elapsed() < SESSION_LIFETIME => open.device,
            _ => return Err(ApiError::SessionExpired),
        }
    };
    check_failures(&state, caller, Some(device))?;
    let path = format!("/v1/admin/{operation}");
    let retry_key = headers
        .get(RETRY_KEY_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|key| !key.is_empty() && key.len() <= 100)
        .map(str::to_owned);
    let pending = retry_key.clone().map(|key| (device, key));
    let worker = Arc::clone(&state);
    let step = off_thread(move || {
        let team = team_of(&worker)?;
        let mut vault = lock(&team.vault);
        let key = match vault.device_key(device) {
            Ok(key) => key,
            Err(error) => {
                drop(vault);
                team.end_sessions_of(device);
                return Err(error.into());
            }
        };
        let signed = proof::SignedRequest {
            session: &session,
            counter,
            path: &path,
            retry_key: retry_key.as_deref(),
            body: &body,
        };
        if let Err(error) = proof::check_request(&key, &signed, &signature) {
            record_failure(&worker, caller, Some(device));
            return Err(error.into());
        }
        let fresh = lock(&team.sessions)
            .get_mut(&session)
            .is_some_and(|open| open.counters.take(counter));
        if !fresh {
            return Err(ApiError::Replayed);
        }
        see(team, &mut vault, device, caller);
        // A change named by a retry key is carried out once; its tries share the outcome.
        let retried = match (retry_key, keysmith_ops::effect_of(&operation)) {
            (Some(key), Some(keysmith_ops::Effect::Change)) => Some((device, key)),
            _ => None,
        };
        if let Some(retried) = &retried {
            if let Some((status, bytes)) = team.earlier_outcome(retried)? {
                return Ok(Step::Earlier(status, bytes));
            }
        }
        let answered = if body.is_empty() {
            Ok(Value::Object(Default::default()))
        } else {
            parse_json(&body)
        }
        .and_then(|request| {
            vault
                .as_device(device, |vault| {
                    Ok(keysmith_ops::dispatch(&operation, request, vault))
                })
                .map_err(ApiError::Core)
        })
        .and_then(|dispatched| {
            dispatched.map_err(|error| match error {
                CallError::UnknownOperation(_) => ApiError::NotFound,
                CallError::BadRequest(message) => ApiError::BadRequest(message),
                CallError::Core(error) => ApiError::Core(error),
            })
        });
        Ok(Step::Fresh(answered, retried))
    })
    .await;
    let step = match step {
        Ok(step) => step,
        Err(error) => {
            // A try that stopped unexpectedly leaves nothing under way: the next try runs.
            if let (ApiError::Interrupted, Some(pending)) = (&error, pending) {
                team.forget_pending(&pending);
            }
            return Err(error);
        }
    };
    let mut response = match step {
        Step::Earlier(status, bytes) => stored_response(status, &bytes),
        Step::Fresh(answered, None) => answered.map(Json).into_response(),
        Step::Fresh(answered, Some(retried)) => {
            let (parts, body) = answered.map(Json).into_response().into_parts();
            let bytes = Zeroizing::new(
                axum::body::to_bytes(body, usize::MAX)
                    .await
                    .map(|bytes| bytes.to_vec())
                    .unwrap_or_default(),
            );
            let response = stored_response(parts.status.as_u16(), &bytes);
            team.keep_outcome(retried, parts.status.as_u16(), bytes);
            response
        }
    };
    // An answer may carry a secret shown once: no cache keeps it.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// An answer as kept for a change's retries: its status and body.
type KeptAnswer = (u16, Zeroizing<Vec<u8>>);

/// What the blocking part of an admin request found: an earlier try's outcome, or this try's
/// (with the retry key to keep it under).
enum Step {
    Earlier(u16, Zeroizing<Vec<u8>>),
    Fresh(Result<Value, ApiError>, Option<(DeviceId, String)>),
}

/// A JSON answer with `status` and `body`.
fn stored_response(status: u16, body: &[u8]) -> Response {
    let status = axum::http::StatusCode::from_u16(status)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_vec(),
    )
        .into_response()
}

impl Team {
    /// The outcome of an earlier try of the change `retried`; none when this is its first try
    /// (it is marked as under way), [`ApiError::InProgress`] while the first is still running.
    fn earlier_outcome(
        &self,
        retried: &(DeviceId, String),
    ) -> Result<Option<KeptAnswer>, ApiError> {
        let mut outcomes = lock(&self.outcomes);
        outcomes.retain(|_, outcome| outcome.since().elapsed() < OUTCOME_LIFETIME);
        match outcomes.get(retried) {
            Some(Outcome::Answered(_, status, bytes)) => Ok(Some((*status, bytes.clone()))),
            Some(Outcome::Pending(_)) => Err(ApiError::InProgress),
            None => {
                if outcomes.len() >= OUTCOMES_KEPT {
                    let oldest = outcomes
                        .iter()
                        .min_by_key(|(_, outcome)| outcome.since())
                        .map(|(key, _)| key.clone());
                    if let Some(oldest) = oldest {
                        outcomes.remove(&oldest);
                    }
                }
                outcomes.insert(retried.clone(), Outcome::Pending(Instant::now()));
                Ok(None)
            }
        }
    }

    /// Forgets that the change `retried` is under way (its try stopped without an answer).
    fn forget_pending(&self, retried: &(DeviceId, String)) {
        let mut outcomes = lock(&self.outcomes);
        if matches!(outcomes.get(retried), Some(Outcome::Pending(_))) {
            outcomes.remove(retried);
        }
    }

    /// Keeps the outcome of the change `retried` for its later tries.
    fn keep_outcome(&self, retried: (DeviceId, String), status: u16, bytes: Zeroizing<Vec<u8>>) {
        lock(&self.outcomes).insert(retried, Outcome::Answered(Instant::now(), status, bytes));
    }
}

/// Writes that `device` was seen from `caller`, at most every [`SEEN_EVERY`].
fn see(team: &Team, vault: &mut Vault, device: DeviceId, caller: IpAddr) {
    let due = {
        let mut seen = lock(&team.seen);
        let due = seen
            .get(&device)
            .is_none_or(|last| last.elapsed() >= SEEN_EVERY);
        if due {
            seen.insert(device, Instant::now());
        }
        due
    };
    if due {
        if let Err(error) = vault.device_seen(device, &caller.to_string()) {
            tracing::warn!(
                code = error.code().as_str(),
                "could not record a device as seen"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::Request;
    use keysmith_core::team::proof::{DeviceKey, SignedRequest};
    use keysmith_core::{AccountHolder, EmailAddress, KdfParams, UserId};
    use tower::ServiceExt;

    use super::*;
    use crate::{Access, ConnectionLimits};

    /// A session past its 15 minutes is refused as `session_expired`, however well its requests
    /// are signed; a fresh one of the same device is served.
    #[tokio::test]
    async fn a_session_past_its_lifetime_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = Vault::create(
            &dir.path().join("team.vault"),
            &Secret::from("team session passphrase"),
            &AccountHolder {
                name: Name::new("Ada Holder").unwrap(),
                email: EmailAddress::try_from("ada@example.com".to_owned()).unwrap(),
            },
            KdfParams::MINIMUM,
            keysmith_core::clock::system(),
        )
        .unwrap();
        let key = DeviceKey::generate();
        let invitation = vault.invite(UserId(1)).unwrap();
        let device = vault
            .join(
                &invitation.secret,
                &Name::new("laptop").unwrap(),
                &key.public_key(),
                "127.0.0.1",
            )
            .unwrap();
        let state = ApiState::team(vault, Access::Open, Fingerprint([1; 32]), None).unwrap();
        let team = state.team.as_ref().unwrap();
        let long_ago = Instant::now()
            .checked_sub(SESSION_LIFETIME + Duration::from_secs(1))
            .expect("the machine has been up a quarter of an hour");
        for (id, opened) in [("old", long_ago), ("new", Instant::now())] {
            lock(&team.sessions).insert(
                id.to_owned(),
                Session {
                    device: device.id,
                    opened,
                    counters: Counters::default(),
                },
            );
        }
        let local: SocketAddr = "127.0.0.1:8700".parse().unwrap();
        let app = crate::router(Arc::clone(&state), local, ConnectionLimits::default());
        let path = "/v1/admin/vault_revision";
        let ask = |session: &'static str| {
            let signature = key.sign_request(&SignedRequest {
                session,
                counter: 1,
                path,
                retry_key: None,
                body: b"{}",
            });
            let mut request = Request::post(path)
                .header(header::HOST, "127.0.0.1:8700")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Keysmith {session}"))
                .header(PROOF_HEADER, format!("1.{}", STANDARD.encode(signature)))
                .body(Body::from("{}"))
                .unwrap();
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>("127.0.0.1:5000".parse().unwrap()));
            request
        };
        let old = app.clone().oneshot(ask("old")).await.unwrap();
        assert_eq!(old.status(), 401);
        let body = axum::body::to_bytes(old.into_body(), 4096).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("session_expired"));
        let new = app.oneshot(ask("new")).await.unwrap();
        assert_eq!(new.status(), 200);
    }
}
