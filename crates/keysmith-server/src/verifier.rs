//! The verifier-key check: when the API listens beyond loopback (or the setting asks for it),
//! every call must carry an active verifier key (`ks_vfy_…`); introspection always needs one,
//! and so does naming a client's address in `/v1/verify`. A caller presents it as
//! `X-Keysmith-Verifier`, `Authorization: Bearer`, or the password of HTTP Basic (as RFC 7662
//! clients send client credentials). Forward auth's `Authorization` carries the client's own
//! token, so there only `X-Keysmith-Verifier` counts.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keysmith_core::{Secret, TokenKind, Verification, VerificationRequest};

use crate::error::ApiError;
use crate::ApiState;

/// The header a verifier key may always be sent in.
const VERIFIER_HEADER: HeaderName = HeaderName::from_static("x-keysmith-verifier");

/// Marks a request whose caller presented an active verifier key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VerifiedCaller;

/// Where a route lets the verifier key be presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presented {
    /// `X-Keysmith-Verifier`, `Authorization: Bearer` or Basic.
    Anywhere,
    /// Only `X-Keysmith-Verifier` (forward auth).
    OwnHeaderOnly,
}

/// Lets the request through when it carries an active verifier key (layered only where the
/// API requires one), marked [`VerifiedCaller`].
pub(crate) async fn require(
    State(state): State<Arc<ApiState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = if request.uri().path() == "/v1/auth" {
        Presented::OwnHeaderOnly
    } else {
        Presented::Anywhere
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    match check(&state, request.headers(), peer, presented).await {
        Ok(()) => {
            request.extensions_mut().insert(VerifiedCaller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// Whether `headers` present an active verifier key where `presented` allows, for a caller
/// at `peer` (a verifier key may have an allowlist of its own).
pub(crate) async fn check(
    state: &Arc<ApiState>,
    headers: &HeaderMap,
    peer: impl Into<Option<IpAddr>>,
    presented: Presented,
) -> Result<(), ApiError> {
    let key = presented_key(headers, presented).ok_or(ApiError::VerifierKeyRequired)?;
    let client_ip = peer.into();
    state
        .reading(move |state, vault| {
            let verification = vault.verify_request(
                key.expose(),
                &VerificationRequest {
                    client_ip,
                    ..VerificationRequest::default()
                },
            )?;
            match &verification {
                Verification::Active(verified)
                    if verified.credential.kind == TokenKind::Verifier =>
                {
                    state
                        .usage
                        .record(verified.credential.id, chrono::Utc::now());
                    Ok(())
                }
                _ => Err(ApiError::VerifierKeyInvalid),
            }
        })
        .await
}

/// The verifier key `headers` carry where `presented` allows.
fn presented_key(headers: &HeaderMap, presented: Presented) -> Option<Secret> {
    if let Some(value) = headers.get(VERIFIER_HEADER) {
        return Some(Secret::new(value.to_str().ok()?.trim().to_owned()));
    }
    match presented {
        Presented::OwnHeaderOnly => None,
        Presented::Anywhere => bearer(headers)
            .or_else(|| crate::routes::basic_credentials(headers).map(|(_, secret)| secret)),
    }
}

/// The token of an `Authorization: Bearer` header, if there is one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<Secret> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    Some(Secret::new(token.to_owned()))
}
