//! The API's errors: an HTTP status and the `{code, message}` body every client sees. Messages
//! never contain a token.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, snake_case.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// The body is not the JSON (or form) the route takes.
    BadRequest(String),
    /// The body is over the limit.
    TooLarge,
    /// No such route.
    NotFound,
    /// The route does not take this method.
    MethodNotAllowed,
    /// The request's body did not arrive in time.
    RequestTimeout,
    /// A credential was verified more often than its rate limit allows.
    RateLimited {
        /// Seconds until the next call is allowed.
        retry_after: u64,
    },
    /// The API needs a verifier key and the call has none.
    VerifierKeyRequired,
    /// The call's verifier key is not an active verifier key.
    VerifierKeyInvalid,
    /// The `Host` header does not name the address the API listens on.
    HostNotAllowed,
    /// The request comes from a web page (it carries an `Origin` other than the API's own).
    OriginNotAllowed,
    /// The body is not of a type the route takes.
    UnsupportedMediaType(&'static str),
    /// Too many failed client authentications for this client ID, or failed redemptions.
    TooManyFailures {
        /// Seconds until attempts are allowed again.
        retry_after: u64,
    },
    /// The work on a request stopped unexpectedly (a panic); nothing was changed.
    Interrupted,
    /// An admin request without `Authorization: Keysmith <session>`.
    SessionRequired,
    /// An admin request without a `Keysmith-Proof` header that can be read.
    ProofRequired,
    /// A session the server does not know (expired, or before a restart): open a new one.
    SessionExpired,
    /// A signed challenge the server did not give (or gave too long ago, or already took).
    ChallengeUnknown,
    /// A request whose counter its session already used: a replay.
    Replayed,
    /// A team request over plain HTTP from another computer.
    TlsRequired,
    /// A retry of a change whose first try is still being carried out.
    InProgress,
    /// The core refused or failed.
    Core(keysmith_core::Error),
}

impl From<keysmith_core::Error> for ApiError {
    fn from(error: keysmith_core::Error) -> Self {
        ApiError::Core(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let bearer = || Some((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        let internal = || {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Keysmith could not answer; the server's log has the details".to_owned(),
                None,
            )
        };
        let (status, code, message, extra_header) = match self {
            ApiError::BadRequest(message) => {
                (StatusCode::BAD_REQUEST, "bad_request", message, None)
            }
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("Request bodies are limited to {} bytes", crate::BODY_LIMIT),
                None,
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "No such route; see /v1/openapi.json".to_owned(),
                None,
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This route does not take that method; see /v1/openapi.json".to_owned(),
                None,
            ),
            ApiError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "The request did not arrive in time".to_owned(),
                None,
            ),
            ApiError::VerifierKeyRequired => (
                StatusCode::UNAUTHORIZED,
                "verifier_key_required",
                "This API needs a verifier key: send Authorization: Bearer ks_vfy_…".to_owned(),
                bearer(),
            ),
            ApiError::VerifierKeyInvalid => (
                StatusCode::UNAUTHORIZED,
                "verifier_key_invalid",
                "The verifier key is not an active verifier key".to_owned(),
                bearer(),
            ),
            ApiError::RateLimited { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Too many verifications; retry in {retry_after} s"),
                Some((header::RETRY_AFTER, HeaderValue::from(retry_after))),
            ),
            ApiError::HostNotAllowed => (
                StatusCode::MISDIRECTED_REQUEST,
                "host_not_allowed",
                "This API answers only to the address it listens on".to_owned(),
                None,
            ),
            ApiError::OriginNotAllowed => (
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "This API does not answer web pages".to_owned(),
                None,
            ),
            ApiError::UnsupportedMediaType(wanted) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("Send the body as {wanted}"),
                None,
            ),
            ApiError::TooManyFailures { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_failures",
                format!("Too many failed attempts; retry in {retry_after} s"),
                Some((header::RETRY_AFTER, HeaderValue::from(retry_after))),
            ),
            ApiError::Core(error @ keysmith_core::Error::VaultBusy) => {
                // Another process held the vault's write lock past the busy timeout: a
                // moment later, the same request will likely succeed.
                tracing::warn!("the vault's write lock was held elsewhere for too long");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    error.code().as_str(),
                    error.to_string(),
                    Some((header::RETRY_AFTER, HeaderValue::from_static("1"))),
                )
            }
            ApiError::SessionRequired => (
                StatusCode::UNAUTHORIZED,
                "session_required",
                "Admin operations need a device session: Authorization: Keysmith <session>".into(),
                None,
            ),
            ApiError::ProofRequired => (
                StatusCode::UNAUTHORIZED,
                "proof_required",
                "Admin operations need the device's signature in Keysmith-Proof".into(),
                None,
            ),
            ApiError::SessionExpired => (
                StatusCode::UNAUTHORIZED,
                "session_expired",
                "This session has ended; open a new one with the device key".into(),
                None,
            ),
            ApiError::ChallengeUnknown => (
                StatusCode::UNAUTHORIZED,
                "challenge_unknown",
                "This challenge was not given, has expired or was already answered".into(),
                None,
            ),
            ApiError::Replayed => (
                StatusCode::UNAUTHORIZED,
                "request_replayed",
                "This request was already made once; it is not carried out again".into(),
                None,
            ),
            ApiError::TlsRequired => (
                StatusCode::FORBIDDEN,
                "tls_required",
                "The team server answers other computers over TLS only".into(),
                None,
            ),
            ApiError::InProgress => (
                StatusCode::CONFLICT,
                "request_in_progress",
                "This change is still being carried out; ask again in a moment".into(),
                Some((header::RETRY_AFTER, HeaderValue::from_static("1"))),
            ),
            ApiError::Interrupted => {
                tracing::error!("the work on a request stopped unexpectedly");
                internal()
            }
            ApiError::Core(
                error @ (keysmith_core::Error::Storage(_) | keysmith_core::Error::Io(_)),
            ) => {
                // The detail is for the log; the client learns only that it failed.
                tracing::error!(%error, "the vault failed to answer");
                internal()
            }
            ApiError::Core(error) => {
                let status = match &error {
                    keysmith_core::Error::InvalidClient
                    | keysmith_core::Error::DeviceNotFound(_)
                    | keysmith_core::Error::BadSignature => StatusCode::UNAUTHORIZED,
                    keysmith_core::Error::Forbidden(_) => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_REQUEST,
                };
                (status, error.code().as_str(), error.to_string(), None)
            }
        };
        let mut response = (status, Json(ErrorBody { code, message })).into_response();
        if let Some((name, value)) = extra_header {
            response.headers_mut().insert(name, value);
        }
        response
    }
}
