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
    /// A credential was verified more often than its rate limit allows.
    RateLimited {
        /// Seconds until the next call is allowed.
        retry_after: u64,
    },
    /// The API needs a verifier key and the call has none.
    VerifierKeyRequired,
    /// The call's verifier key is not an active verifier key.
    VerifierKeyInvalid,
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
        let (status, code, message) = match self {
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("Request bodies are limited to {} bytes", crate::BODY_LIMIT),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "No such route; see /v1/openapi.json".to_owned(),
            ),
            ApiError::VerifierKeyRequired | ApiError::VerifierKeyInvalid => {
                let (code, message) = if matches!(self, ApiError::VerifierKeyRequired) {
                    (
                        "verifier_key_required",
                        "This API needs a verifier key: send Authorization: Bearer ks_vfy_…",
                    )
                } else {
                    (
                        "verifier_key_invalid",
                        "The verifier key is not an active verifier key",
                    )
                };
                let mut response = (
                    StatusCode::UNAUTHORIZED,
                    Json(ErrorBody {
                        code,
                        message: message.to_owned(),
                    }),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return response;
            }
            ApiError::RateLimited { retry_after } => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(ErrorBody {
                        code: "rate_limited",
                        message: format!("Too many verifications; retry in {retry_after} s"),
                    }),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                return response;
            }
            ApiError::Core(error) => {
                let status = match &error {
                    keysmith_core::Error::InvalidClient => StatusCode::UNAUTHORIZED,
                    keysmith_core::Error::Storage(_) | keysmith_core::Error::Io(_) => {
                        tracing::error!(code = error.code(), "vault failure");
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                    _ => StatusCode::BAD_REQUEST,
                };
                (status, error.code(), error.to_string())
            }
        };
        (status, Json(ErrorBody { code, message })).into_response()
    }
}
