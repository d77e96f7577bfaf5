//! What the gateways a company already runs call: forward auth (`/v1/auth`, for nginx's
//! `auth_request`, Caddy's `forward_auth`, Traefik's `forwardAuth`) and token introspection as
//! RFC 7662 spells it (`POST /v1/introspect`, for any OAuth 2.0 resource server), and the
//! client's address as a trusted proxy reports it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use keysmith_core::{
    InactiveReason, IpAllowlist, Secret, TokenKind, Verification, VerificationRequest,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::routes::{body_bytes, media_type, ActiveToken, Introspection};
use crate::verifier::{self, VerifiedCaller};
use crate::ApiState;

/// The header a proxy names the required scope in (or the `scope` query parameter).
const SCOPE_HEADER: HeaderName = HeaderName::from_static("x-keysmith-scope");
/// The header a proxy names the calling application in (or the `application` parameter).
const APPLICATION_HEADER: HeaderName = HeaderName::from_static("x-keysmith-application");
/// The header naming the user an organization token is to act as (their e-mail address).
const AS_USER_HEADER: HeaderName = HeaderName::from_static("x-keysmith-as-user");
/// The header a client may send its token in instead of `Authorization: Bearer`.
const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");
/// Why forward auth refused, on every refusal: for the proxy's log.
const REASON_HEADER: HeaderName = HeaderName::from_static("x-keysmith-reason");

/// What forward auth asks beside the token, from the query string.
#[derive(Debug, Default, Deserialize)]
struct ForwardAuthQuery {
    scope: Option<String>,
    application: Option<String>,
}

/// Forward auth: answers a gateway (nginx `auth_request`, Caddy `forward_auth`, Traefik
/// `forwardAuth`) whether the request's token may pass, with its owner and scopes as headers.
/// Any method a gateway forwards (TRACE and CONNECT are not: 405).
#[utoipa::path(
    tag = "Verification",
    method(get, head, post, put, patch, delete, options),
    path = "/v1/auth",
    params(
        ("scope" = Option<String>, Query, description = "A scope the token must grant (or the X-Keysmith-Scope header)"),
        ("application" = Option<String>, Query, description = "The application it must be allowed for (or the X-Keysmith-Application header)"),
        ("X-Keysmith-As-User" = Option<String>, Header, description = "With an organization token (and organization tokens switched on): the e-mail address of the user to act as; audited"),
    ),
    responses(
        (status = 200, description = "Active. X-Keysmith-Credential (id), X-Keysmith-Owner, X-Keysmith-Scopes (space-separated), X-Keysmith-Kind and, with a usage limit, X-Keysmith-Remaining, for the proxy to pass upstream; acting as a user (X-Keysmith-As-User), X-Keysmith-Acting-As (their e-mail address) with Owner and Scopes theirs; no body"),
        (status = 401, description = "No token (Authorization: Bearer … or X-Api-Key), or not active: WWW-Authenticate: Bearer error=\"invalid_token\"; X-Keysmith-Reason says why", body = ErrorBody),
        (status = 403, description = "Active, but not for this scope (error=\"insufficient_scope\"), application, client address or user to act as; X-Keysmith-Reason says which", body = ErrorBody),
        (status = 429, description = "Its rate limit is spent (see Retry-After), or its usage limit (X-Keysmith-Reason: usage_exceeded)", body = ErrorBody),
    )
)]
pub(crate) async fn forward_auth(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(token) = presented_token(&headers) else {
        return refusal(
            StatusCode::UNAUTHORIZED,
            "token_required",
            "Send the token as Authorization: Bearer … or X-Api-Key",
            r#"Bearer realm="keysmith""#,
        );
    };
    let query: ForwardAuthQuery = match uri.query() {
        None => ForwardAuthQuery::default(),
        Some(query) => match serde_urlencoded::from_str(query) {
            Ok(query) => query,
            Err(_) => {
                return ApiError::BadRequest("Unreadable query string".into()).into_response()
            }
        },
    };
    let named = |name: &HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let scope = query.scope.or_else(|| named(&SCOPE_HEADER));
    let application = query.application.or_else(|| named(&APPLICATION_HEADER));
    let as_user = named(&AS_USER_HEADER);
    let forwarded = Forwarded::from_headers(&headers);
    let asked_scope = scope.clone();
    let verification = state
        .verify_counted(move |vault| {
            let request = VerificationRequest {
                scope: scope.as_deref(),
                application: application.as_deref(),
                client_ip: None,
                as_user: as_user.as_deref(),
            };
            // The address, with the proxies trusted as of this verification's own read.
            vault.verify_forwarded(token.expose(), &request, |trusted| {
                forwarded.client(peer.ip(), trusted)
            })
        })
        .await;
    match verification {
        Ok(verification) => {
            Granted::from_verification(verification, asked_scope.as_deref()).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// Forward auth's answer to a verification.
enum Granted {
    /// Active: the headers for the proxy to pass upstream.
    Active(Vec<(HeaderName, HeaderValue)>),
    /// Not active.
    Refused {
        reason: InactiveReason,
        /// The scope asked for, named in an `insufficient_scope` challenge.
        scope: Option<String>,
    },
}

impl Granted {
    fn from_verification(verification: Verification, scope: Option<&str>) -> Granted {
        let header = |name: &'static str, value: String| {
            // Names are UTF-8 without control characters: valid header bytes.
            HeaderValue::from_bytes(value.as_bytes())
                .ok()
                .map(|value| (HeaderName::from_static(name), value))
        };
        let (id, owner, scopes, kind, remaining, acting_as) = match verification {
            Verification::Active(verified) => (
                verified.credential.id.0.to_string(),
                verified.owner_name().map(str::to_owned),
                verified.scopes,
                verified.credential.kind,
                verified.remaining,
                verified.acting_as.map(|user| user.email),
            ),
            Verification::ActiveOAuth(verified) => (
                format!("grant:{}", verified.grant.0),
                verified.user_name,
                verified.scopes,
                TokenKind::OAuthAccessToken,
                None,
                None,
            ),
            Verification::Inactive(reason) => {
                return Granted::Refused {
                    reason,
                    scope: scope.map(str::to_owned),
                }
            }
        };
        Granted::Active(
            [
                header("x-keysmith-credential", id),
                header(
                    "x-keysmith-owner",
                    owner.unwrap_or_else(|| "organization".to_owned()),
                ),
                header("x-keysmith-scopes", scopes.join(" ")),
                header("x-keysmith-kind", kind.as_str().to_owned()),
                remaining.and_then(|left| header("x-keysmith-remaining", left.to_string())),
                acting_as.and_then(|email| header("x-keysmith-acting-as", email)),
            ]
            .into_iter()
            .flatten()
            .collect(),
        )
    }
}

impl IntoResponse for Granted {
    fn into_response(self) -> Response {
        match self {
            Granted::Active(headers) => {
                let mut response = StatusCode::OK.into_response();
                response.headers_mut().extend(headers);
                response
            }
            Granted::Refused { reason, scope } => {
                use InactiveReason::*;
                let (status, challenge) = match reason {
                    ScopeNotGranted => (
                        StatusCode::FORBIDDEN,
                        match scope {
                            Some(scope) if is_token68ish(&scope) => {
                                format!(r#"Bearer error="insufficient_scope", scope="{scope}""#)
                            }
                            _ => r#"Bearer error="insufficient_scope""#.to_owned(),
                        },
                    ),
                    ApplicationNotAllowed
                    | IpNotAllowed
                    | AsUserNotAllowed
                    | UnknownUser
                    | UserLacksApiAccess => (
                        StatusCode::FORBIDDEN,
                        r#"Bearer error="insufficient_scope""#.to_owned(),
                    ),
                    UsageExceeded => (StatusCode::TOO_MANY_REQUESTS, String::new()),
                    Malformed | Unknown | Disabled | Revoked | Expired | OwnerLacksApiAccess => (
                        StatusCode::UNAUTHORIZED,
                        r#"Bearer error="invalid_token""#.to_owned(),
                    ),
                };
                refusal(
                    status,
                    reason.as_str(),
                    &format!("The token is not accepted here ({})", reason.as_str()),
                    &challenge,
                )
            }
        }
    }
}

/// A scope safe to quote in a challenge: the permission names' own characters.
fn is_token68ish(scope: &str) -> bool {
    scope
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b":._-".contains(&b))
}

/// A refusal with `code` as its JSON code and `X-Keysmith-Reason`, and `challenge` (if any)
/// as `WWW-Authenticate`.
fn refusal(status: StatusCode, code: &'static str, message: &str, challenge: &str) -> Response {
    let mut response = (
        status,
        Json(ErrorBody {
            code,
            message: message.to_owned(),
        }),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(REASON_HEADER, HeaderValue::from_static(code));
    if let Ok(challenge) = HeaderValue::from_str(challenge) {
        if !challenge.is_empty() {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
    }
    response
}

/// The client's token: `Authorization: Bearer …`, else `X-Api-Key`.
fn presented_token(headers: &HeaderMap) -> Option<Secret> {
    verifier::bearer(headers).or_else(|| {
        let value = headers.get(API_KEY_HEADER)?.to_str().ok()?.trim();
        (!value.is_empty()).then(|| Secret::new(value.to_owned()))
    })
}

/// The addresses a request says it was forwarded for: `X-Forwarded-For` (every value, in
/// order) and `X-Real-IP`, as sent.
#[derive(Debug, Default)]
pub(crate) struct Forwarded {
    /// Each hop of `X-Forwarded-For`, left to right; `None` when a value is not text.
    hops: Option<Vec<String>>,
    /// `X-Real-IP`, if sent.
    real_ip: Option<String>,
}

impl Forwarded {
    /// What `headers` say.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Forwarded {
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|value| value.to_str().ok())
            .collect::<Option<Vec<_>>>()
            .map(|values| {
                values
                    .into_iter()
                    .flat_map(|value| value.split(','))
                    .map(str::trim)
                    .filter(|hop| !hop.is_empty())
                    .map(str::to_owned)
                    .collect()
            });
        let real_ip = headers
            .get("x-real-ip")
            .map(|value| value.to_str().unwrap_or("").trim().to_owned());
        Forwarded { hops, real_ip }
    }

    /// Whether the request names any forwarded address at all.
    fn is_empty(&self) -> bool {
        self.hops.as_ref().is_some_and(Vec::is_empty) && self.real_ip.is_none()
    }

    /// The address of the client the request is for: the direct `peer`, unless that is one
    /// of the `trusted` proxies (read only when the request names a forwarded address); then
    /// the nearest `X-Forwarded-For` hop that is not a trusted proxy (read from the right,
    /// where each proxy appends the address it saw, so what a client wrote itself on the left
    /// is never reached past an untrusted hop), else `X-Real-IP`, else the peer. `None` when a
    /// forwarded address cannot be read: a credential with an allowlist is then refused.
    pub(crate) fn client(
        &self,
        peer: IpAddr,
        trusted: impl FnOnce() -> keysmith_core::Result<Arc<IpAllowlist>>,
    ) -> keysmith_core::Result<Option<IpAddr>> {
        if self.is_empty() {
            return Ok(Some(peer));
        }
        let trusted = trusted()?;
        if !trusted.contains(peer) {
            return Ok(Some(peer));
        }
        let Some(hops) = &self.hops else {
            return Ok(None);
        };
        if !hops.is_empty() {
            let mut nearest = peer;
            for hop in hops.iter().rev() {
                let Ok(address) = hop.parse::<IpAddr>() else {
                    return Ok(None);
                };
                if !trusted.contains(address) {
                    return Ok(Some(address));
                }
                nearest = address;
            }
            return Ok(Some(nearest));
        }
        Ok(self
            .real_ip
            .as_deref()
            .map_or(Some(peer), |real| real.parse().ok()))
    }
}

/// An RFC 7662 introspection request. A `token_type_hint` is accepted and not needed: every
/// Keysmith token names its kind.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IntrospectionRequest {
    /// The token to introspect.
    #[schema(value_type = String)]
    token: Secret,
    /// The address of the client that presented the token (Keysmith's own parameter), for a
    /// credential with an allowlist.
    client_ip: Option<String>,
}

/// An RFC 7662 answer: exactly `{"active": false}` for a token that is not active (no reason,
/// as the RFC's privacy considerations advise), or the RFC's fields and Keysmith's own.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum IntrospectionResponse {
    /// The token is active.
    Active(Box<ActiveIntrospection>),
    /// The token is not active.
    Inactive(InactiveIntrospection),
}

/// What an active token grants, as RFC 7662 names it and as `/v1/verify` does.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActiveIntrospection {
    /// `/v1/verify`'s answer: `active`, `client_id`, `exp`, `iat` and Keysmith's own fields.
    #[serde(flatten)]
    token: ActiveToken,
    /// The scopes it grants now, space-separated.
    scope: String,
    /// The owner's name (the user an OAuth token acts for); absent for an organization token.
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// Always `Bearer`.
    token_type: &'static str,
    /// The owner: `user:ID`, or `organization`.
    sub: String,
    /// The applications it may be used for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aud: Vec<String>,
}

/// A token that is not active.
#[derive(Debug, Serialize, ToSchema)]
pub struct InactiveIntrospection {
    /// Always false.
    active: bool,
}

impl IntrospectionResponse {
    fn from_verification(verification: &Verification) -> IntrospectionResponse {
        let sub = match verification {
            Verification::Active(verified) => verified
                .credential
                .owner_id
                .map_or("organization".to_owned(), |id| format!("user:{}", id.0)),
            Verification::ActiveOAuth(verified) => format!("user:{}", verified.user_id.0),
            Verification::Inactive(_) => {
                return IntrospectionResponse::Inactive(InactiveIntrospection { active: false })
            }
        };
        let Introspection::Active(token) = Introspection::from(verification) else {
            return IntrospectionResponse::Inactive(InactiveIntrospection { active: false });
        };
        IntrospectionResponse::Active(Box::new(ActiveIntrospection {
            scope: token.scopes.join(" "),
            username: token.owner.clone(),
            token_type: "Bearer",
            sub,
            aud: token.applications.clone(),
            token: *token,
        }))
    }
}

/// Token introspection as RFC 7662 spells it, for OAuth 2.0 resource servers; the caller
/// authenticates with a verifier key.
#[utoipa::path(
    tag = "Verification",
    post,
    path = "/v1/introspect",
    request_body(content = IntrospectionRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Active (the RFC's fields and Keysmith's own), or exactly {\"active\": false}", body = IntrospectionResponse),
        (status = 400, description = "No token, or an unreadable form", body = ErrorBody),
        (status = 401, description = "The caller did not authenticate with an active verifier key (Authorization: Bearer ks_vfy_…, or HTTP Basic with it as the password)", body = ErrorBody),
        (status = 415, description = "The body is not a form", body = ErrorBody),
        (status = 429, description = "The token's rate limit is spent; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn introspect(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Option<Extension<VerifiedCaller>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IntrospectionResponse>, ApiError> {
    if caller.is_none() {
        verifier::check(&state, &headers, peer.ip(), verifier::Presented::Anywhere).await?;
    }
    if media_type(&headers) != Some("application/x-www-form-urlencoded") {
        return Err(ApiError::UnsupportedMediaType(
            "application/x-www-form-urlencoded",
        ));
    }
    let request: IntrospectionRequest = serde_urlencoded::from_bytes(&body_bytes(body)?)
        .map_err(|_| ApiError::BadRequest("The form needs a token".into()))?;
    let client_ip = request
        .client_ip
        .as_deref()
        .map(|text| {
            text.trim()
                .parse::<IpAddr>()
                .map_err(|_| ApiError::BadRequest("client_ip is not an IP address".into()))
        })
        .transpose()?;
    let verification = state
        .verify_counted(move |vault| {
            vault.verify_request(
                request.token.expose(),
                &VerificationRequest {
                    client_ip,
                    ..VerificationRequest::default()
                },
            )
        })
        .await?;
    Ok(Json(IntrospectionResponse::from_verification(
        &verification,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(peer: &str, headers: &[(&str, &str)], trusted: &[&str]) -> Option<IpAddr> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        Forwarded::from_headers(&map)
            .client(peer.parse().unwrap(), || {
                IpAllowlist::parse(trusted).map(Arc::new)
            })
            .unwrap()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_trusted_peer() {
        let loopback = ["127.0.0.0/8", "::1"];
        // An untrusted peer's own claims are ignored.
        let spoofed = [("x-forwarded-for", "10.1.2.3"), ("x-real-ip", "10.1.2.3")];
        assert_eq!(resolve("192.0.2.9", &spoofed, &loopback), ip("192.0.2.9"));
        // A trusted proxy's: the nearest untrusted hop, never what the client wrote to its left.
        let chain = [("x-forwarded-for", "10.1.2.3, 198.51.100.4")];
        assert_eq!(resolve("127.0.0.1", &chain, &loopback), ip("198.51.100.4"));
        let split = [
            ("x-forwarded-for", "10.1.2.3"),
            ("x-forwarded-for", "198.51.100.4, 127.0.0.1"),
        ];
        assert_eq!(resolve("::1", &split, &loopback), ip("198.51.100.4"));
        assert_eq!(
            resolve(
                "127.0.0.1",
                &[("x-forwarded-for", "::1, 127.0.0.1")],
                &loopback
            ),
            ip("::1")
        );
        assert_eq!(
            resolve("127.0.0.1", &[("x-real-ip", "2001:db8::7")], &loopback),
            ip("2001:db8::7")
        );
        assert_eq!(resolve("127.0.0.1", &[], &loopback), ip("127.0.0.1"));
        // An unreadable hop leaves the client unknown.
        assert_eq!(
            resolve("127.0.0.1", &[("x-forwarded-for", "nonsense")], &loopback),
            None
        );
        // With no proxy trusted, the peer is the client.
        assert_eq!(resolve("127.0.0.1", &chain, &[]), ip("127.0.0.1"));
    }
}
