//! OAuth apps and connections: the local API as a small OAuth 2.1 authorization server for the
//! company's own apps.
//!
//! An admin registers an [`OAuthApp`] — confidential (client ID and a secret shown once) or
//! public (no secret) — with its exact redirect URIs, the scopes it may ask for and the
//! applications its tokens may be used for. An app asks for access in a user's name through
//! the authorization-code flow with PKCE (S256, required of every app) or the device flow (RFC
//! 8628); either way the request waits, under a short user code, until an operator approves or
//! denies it in Keysmith. Approval makes a grant (a "connection"): the scopes asked for, held
//! by the user, in the user's name. A grant hands out access tokens (`ks_oat_…`, 1 hour) and
//! rotating refresh tokens (`ks_ort_…`, 30 days, never beyond a year from the grant); a spent
//! refresh token or authorization code used again revokes the whole grant (RFC 9700).
//!
//! Every secret — client secrets, codes, tokens — is kept as its keyed digest, like a
//! credential's token. Requests, grants and tokens live in their own tables, apart from the
//! credential inventory.

mod app;
mod consent;
mod grant;
mod pkce;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use crate::ids::{GrantId, OAuthAppId};
pub use app::{OAuthApp, OAuthAppSpec, OAuthClient, RegisteredApp};
pub use consent::{
    AuthorizationParams, AuthorizationProgress, DeviceAuthorization, PendingAuthorization,
    PendingRequest, RequestFlow,
};
pub(crate) use grant::find_access;
pub use grant::{ConnectionFilter, OAuthConnection, OAuthVerified, TokenPair};

use crate::error::Error;

/// How long an authorization request waits for a decision.
pub const REQUEST_LIFETIME: Duration = Duration::minutes(10);
/// How long an authorization code may be exchanged.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);
/// How long an access token works.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::hours(1);
/// How long a refresh token works (each use returns a new one).
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::days(30);
/// No refresh token of a grant works beyond this long after the grant.
pub const GRANT_LIFETIME: Duration = Duration::days(365);
/// The seconds a device client waits between polls, to begin with (RFC 8628 §3.2).
pub const DEVICE_POLL_INTERVAL: i64 = 5;
/// The most requests of one app that may wait for a decision at once, however many callers
/// start them (the local API lets each caller start 20 in a request's life): a flood must not
/// bury the real ones in the window, nor grow the vault.
pub const MAX_WAITING_PER_APP: i64 = 100;

/// The error codes of RFC 6749 §4.1.2.1 and §5.2 and RFC 8628 §3.5 that the OAuth endpoints
/// answer with. [`OAuthError::as_str`] is the `error` a client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthError {
    /// A parameter is missing, repeated or malformed (PKCE included).
    InvalidRequest,
    /// The code, refresh token or device code is unknown, spent, expired, or another
    /// client's; or the redirect URI or PKCE verifier does not match.
    InvalidGrant,
    /// The app may not use this flow now (it is disabled).
    UnauthorizedClient,
    /// A grant type the token endpoint does not know.
    UnsupportedGrantType,
    /// A response type other than `code`.
    UnsupportedResponseType,
    /// A scope the app may not ask for.
    InvalidScope,
    /// The request was denied, or it expired before anyone decided.
    AccessDenied,
    /// Device flow: nobody has decided yet.
    AuthorizationPending,
    /// Device flow: polling faster than the interval; the interval grows by 5 seconds.
    SlowDown,
    /// Device flow: the device code expired.
    ExpiredToken,
    /// Too many of the app's requests wait for a decision already; try again later.
    TemporarilyUnavailable,
}

impl OAuthError {
    /// The code as the RFCs spell it, e.g. `invalid_grant`.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::AuthorizationPending => "authorization_pending",
            OAuthError::SlowDown => "slow_down",
            OAuthError::ExpiredToken => "expired_token",
            OAuthError::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// An OAuth refusal: `error` with words for the developer of the app.
pub(crate) fn refused(error: OAuthError, description: impl Into<String>) -> Error {
    Error::OAuth(error, description.into())
}

/// The scopes of a space-separated `scope` parameter, sorted and without repeats.
pub(crate) fn parse_scope(scope: &str) -> Vec<String> {
    let mut scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// Seconds since the epoch, as the tables keep times.
fn seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}
