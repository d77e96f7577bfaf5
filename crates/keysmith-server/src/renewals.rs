//! Redeeming a renewal's claim key, in two spellings: Keysmith's own
//! `POST /v1/renewals/redeem {claim_key}`, and the seed product's
//! `GET /apiAccessTokens/requestRenewedToken?requestToken=KEY`, so a client written for it
//! works. Either returns the renewed token once. A key that is unknown, used or expired gets
//! the same `invalid_claim` answer, and failed attempts are rate limited per caller (10 a
//! minute: a claim key is 128 random bits, so this only keeps a guesser quiet; a limit for all
//! callers together would let anyone lock the real key's redemption).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keysmith_core::{Redeemed, Secret};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::limits::{Caller, Target};
use crate::oauth::no_store;
use crate::routes::{body_bytes, media_type, parse_json};
use crate::ApiState;

/// A redemption.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The claim key the callback carried (`ks_clm_…`).
    #[schema(value_type = String, example = "ks_clm_…")]
    claim_key: Secret,
}

/// The renewed token.
#[derive(Serialize, ToSchema)]
pub struct RedeemResponse {
    /// The token, this once.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[schema(value_type = String)]
    token: Secret,
    /// The renewed credential's id.
    credential_id: i64,
    /// When it expires (RFC 3339).
    expires_at: String,
}

/// The seed product's query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct RequestRenewedToken {
    /// The claim key.
    #[param(value_type = String, required = true)]
    request_token: Secret,
}

/// The seed product's answer.
#[derive(Serialize, ToSchema)]
pub struct RenewedToken {
    /// The token, this once.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[schema(value_type = String)]
    token: Secret,
}

/// Redeems a renewal claim key for the renewed token, once.
#[utoipa::path(
    tag = "Renewals",
    post,
    path = "/v1/renewals/redeem",
    request_body(content = RedeemRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The renewed token, this once; the old token ends in 24 hours", body = RedeemResponse),
        (status = 400, description = "invalid_claim: unknown, used or expired (the same answer for each)", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 429, description = "Too many failed redemptions (10 a minute); see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn redeem(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_bytes(body)?;
    if media_type(&headers) != Some("application/json") {
        return Err(ApiError::UnsupportedMediaType("application/json"));
    }
    let request: RedeemRequest = parse_json(&body)?;
    let redeemed = redeem_key(&state, caller, request.claim_key).await?;
    let answer = Json(RedeemResponse {
        token: redeemed.token,
        credential_id: redeemed.credential_id.0,
        expires_at: redeemed.expires_at.to_rfc3339(),
    });
    Ok((no_store(), answer).into_response())
}

/// The seed product's path to a renewed token: the claim key redeemed as a query parameter.
#[utoipa::path(
    tag = "Renewals",
    get,
    path = "/apiAccessTokens/requestRenewedToken",
    params(RequestRenewedToken),
    responses(
        (status = 200, description = "The renewed token, this once (the seed product's shape)", body = RenewedToken),
        (status = 400, description = "invalid_claim: unknown, used or expired (the same answer for each)", body = ErrorBody),
        (status = 429, description = "Too many failed redemptions (10 a minute); see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn request_renewed_token(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    query: Result<Query<RequestRenewedToken>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|_| ApiError::BadRequest("Give the claim key as ?requestToken=".into()))?;
    let redeemed = redeem_key(&state, caller, query.request_token).await?;
    let answer = Json(RenewedToken {
        token: redeemed.token,
    });
    Ok((no_store(), answer).into_response())
}

/// Redeems `key` on a blocking thread (it writes), counting a refusal against the caller's
/// failure limit.
async fn redeem_key(
    state: &Arc<ApiState>,
    Caller(caller): Caller,
    key: Secret,
) -> Result<Redeemed, ApiError> {
    let now = Instant::now();
    state
        .failures
        .check(caller, Target::RenewalClaims, now)
        .map_err(|retry_after| ApiError::TooManyFailures { retry_after })?;
    let counted = Arc::clone(state);
    state
        .writing(move |vault| match vault.redeem_claim(key.expose()) {
            Err(keysmith_core::Error::InvalidClaim) => {
                counted.failures.record(caller, Target::RenewalClaims, now);
                Err(keysmith_core::Error::InvalidClaim.into())
            }
            other => Ok(other?),
        })
        .await
}
