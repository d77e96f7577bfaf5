//! The verifier-key check: when the API listens beyond loopback (or the setting asks for it),
//! every call must carry `Authorization: Bearer ks_vfy_…` with an active verifier key.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keysmith_core::{Secret, TokenKind, Verification};

use crate::error::ApiError;
use crate::ApiState;

/// Lets the request through when it carries an active verifier key (layered only where the
/// API requires one).
pub(crate) async fn require(
    State(state): State<Arc<ApiState>>,
    request: Request,
    next: Next,
) -> Response {
    match check(&state, request.headers()).await {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn check(state: &Arc<ApiState>, headers: &HeaderMap) -> Result<(), ApiError> {
    let key = bearer(headers).ok_or(ApiError::VerifierKeyRequired)?;
    state
        .reading(
            move |state, vault| match vault.verify(key.expose(), None, None)? {
                Verification::Active(verified)
                    if verified.credential.kind == TokenKind::Verifier =>
                {
                    state
                        .usage
                        .record(verified.credential.id, chrono::Utc::now());
                    Ok(())
                }
                _ => Err(ApiError::VerifierKeyInvalid),
            },
        )
        .await
}

/// The token of an `Authorization: Bearer` header, if there is one.
fn bearer(headers: &HeaderMap) -> Option<Secret> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    Some(Secret::new(token.to_owned()))
}
