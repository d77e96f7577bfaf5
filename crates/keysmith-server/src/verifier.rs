//! The verifier-key check: when the API listens beyond loopback (or the setting asks for it),
//! every call must carry `Authorization: Bearer ks_vfy_…` with an active verifier key.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keysmith_core::{Secret, TokenKind, Verification};

use crate::error::ApiError;
use crate::{Access, ApiState};

/// Lets the request through when the API is open or it carries an active verifier key.
pub(crate) async fn require(
    State(state): State<Arc<ApiState>>,
    request: Request,
    next: Next,
) -> Response {
    if state.access == Access::VerifierKey {
        if let Err(error) = check(&state, request.headers()) {
            return error.into_response();
        }
    }
    next.run(request).await
}

fn check(state: &ApiState, headers: &HeaderMap) -> Result<(), ApiError> {
    let key = bearer(headers).ok_or(ApiError::VerifierKeyRequired)?;
    let verification = state.vault().verify(key.expose(), None, None)?;
    match verification {
        Verification::Active(verified) if verified.credential.kind == TokenKind::Verifier => {
            state
                .usage
                .record(verified.credential.id, chrono::Utc::now());
            Ok(())
        }
        _ => Err(ApiError::VerifierKeyInvalid),
    }
}

/// The token of an `Authorization: Bearer` header, if there is one.
fn bearer(headers: &HeaderMap) -> Option<Secret> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    Some(Secret::new(token.to_owned()))
}
