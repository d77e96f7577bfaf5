//! The handlers, their request and response shapes, and the OpenAPI document generated from
//! them. Bodies are read as bytes and parsed here, so that every malformed or oversized body
//! gets the API's own `{code, message}` answer.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use keysmith_core::{InactiveReason, Secret, TokenKind, Verification, VerificationRequest};
use serde::{Deserialize, Serialize};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::limits::{Caller, Target};
use crate::ApiState;

/// A verification request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The token to check.
    #[schema(value_type = String, example = "ks_pat_…")]
    token: Secret,
    /// The application the caller is, if the token must be allowed for it.
    application: Option<String>,
    /// A scope the token must grant.
    scope: Option<String>,
    /// The address of the client that presented the token to the caller, for a credential
    /// with an allowlist.
    #[schema(value_type = Option<String>, example = "203.0.113.7")]
    client_ip: Option<std::net::IpAddr>,
    /// With an organization token (and organization tokens switched on): the login name
    /// (e-mail address) of the user to act as. The answer is that user's, with the token's
    /// scopes they hold; refused (`as_user_not_allowed`, `unknown_user`,
    /// `user_lacks_api_access`) otherwise. Audited.
    #[schema(example = "cleo@example.com")]
    as_user: Option<String>,
}

/// An RFC 7662 introspection answer: either what an active token grants, or why it is not
/// active.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Introspection {
    /// The token is active.
    Active(Box<ActiveToken>),
    /// The token is not active.
    Inactive(InactiveToken),
}

impl From<&Verification> for Introspection {
    fn from(verification: &Verification) -> Self {
        match verification {
            Verification::Active(verified) => {
                let credential = &verified.credential;
                Introspection::Active(Box::new(ActiveToken {
                    active: true,
                    credential_id: Some(credential.id.0),
                    client_id: credential.client_id.clone(),
                    grant_id: None,
                    kind: credential.kind.as_str(),
                    owner: verified.owner_name().map(str::to_owned),
                    scopes: verified.scopes.clone(),
                    rights: credential.rights.as_str(),
                    applications: credential.applications.clone(),
                    exp: verified.expires_at.timestamp(),
                    iat: verified.issued_at.timestamp(),
                    superseded_by: verified.superseded_by.map(|id| id.0),
                    remaining: verified.remaining,
                    acting_as: verified.acting_as.as_ref().map(|user| ActingAsUser {
                        user_id: user.user_id.0,
                        name: user.name.clone(),
                        email: user.email.clone(),
                    }),
                }))
            }
            Verification::ActiveOAuth(verified) => Introspection::Active(Box::new(ActiveToken {
                active: true,
                credential_id: None,
                client_id: Some(verified.client_id.clone()),
                grant_id: Some(verified.grant.0),
                kind: TokenKind::OAuthAccessToken.as_str(),
                owner: verified.user_name.clone(),
                scopes: verified.scopes.clone(),
                rights: verified.rights.as_str(),
                applications: verified.applications.clone(),
                exp: verified.expires_at.timestamp(),
                iat: verified.issued_at.timestamp(),
                superseded_by: None,
                remaining: None,
                acting_as: None,
            })),
            Verification::Inactive(reason) => Introspection::Inactive(InactiveToken {
                active: false,
                reason: *reason,
            }),
        }
    }
}

/// What an active token grants.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActiveToken {
    /// Always true.
    active: bool,
    /// The credential's id; absent for an OAuth access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    credential_id: Option<i64>,
    /// The client ID of client credentials, or of the app an OAuth access token was handed
    /// to; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    /// The grant (connection) an OAuth access token belongs to; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    grant_id: Option<i64>,
    /// The token's kind, e.g. `personal_access_token`.
    kind: &'static str,
    /// The owner's name (acting as a user: that user's); absent for an organization token.
    pub(crate) owner: Option<String>,
    /// The scopes it grants now.
    pub(crate) scopes: Vec<String>,
    /// `read` or `read_write`.
    rights: &'static str,
    /// The applications it may be used for.
    pub(crate) applications: Vec<String>,
    /// Expiry, seconds since the epoch.
    exp: i64,
    /// Issue time, seconds since the epoch.
    iat: i64,
    /// The credential that renewed this one, while this one is still good; `exp` is then the
    /// end of its grace. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    superseded_by: Option<i64>,
    /// The uses left after this one, for a credential with a usage limit (exact while one
    /// process verifies it). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    remaining: Option<u32>,
    /// The user an organization token acts as, when the request named one (`as_user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) acting_as: Option<ActingAsUser>,
}

/// The user an organization token was verified acting as.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActingAsUser {
    /// Their user id.
    user_id: i64,
    /// Their name.
    name: String,
    /// Their e-mail address, their login name.
    pub(crate) email: String,
}

/// Why a token is not active.
#[derive(Debug, Serialize, ToSchema)]
pub struct InactiveToken {
    /// Always false.
    active: bool,
    /// malformed, unknown, disabled, revoked, expired, owner_lacks_api_access,
    /// application_not_allowed, scope_not_granted, ip_not_allowed, usage_exceeded,
    /// as_user_not_allowed, unknown_user or user_lacks_api_access.
    #[schema(value_type = String)]
    reason: InactiveReason,
}

/// Verifies a token, optionally for a scope, an application, a client address and (an
/// organization token) a named user: what it grants, or why it is not active.
#[utoipa::path(
    tag = "Verification",
    post,
    path = "/v1/verify",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Active, or not active and why", body = Introspection),
        (status = 400, description = "Not a verification request", body = ErrorBody),
        (status = 401, description = "Verifier key missing or not active, where the API requires one", body = ErrorBody),
        (status = 403, description = "Sent by a web page (an Origin other than the API's own)", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "The body is not application/json", body = ErrorBody),
        (status = 421, description = "The Host does not name the address the API listens on", body = ErrorBody),
        (status = 429, description = "The credential's rate limit is spent; see Retry-After", body = ErrorBody),
        (status = 503, description = "The vault was locked elsewhere for too long; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn verify(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Introspection>, ApiError> {
    let request: VerifyRequest = json_body(&headers, body)?;
    let verification = state
        .verify_counted(move |vault| {
            vault.verify_request(
                request.token.expose(),
                &VerificationRequest {
                    scope: request.scope.as_deref(),
                    application: request.application.as_deref(),
                    client_ip: request.client_ip,
                    as_user: request.as_user.as_deref(),
                },
            )
        })
        .await?;
    Ok(Json(Introspection::from(&verification)))
}

/// A token request, as a form or JSON: the client-credentials exchange (RFC 6749 §4.4), or an
/// OAuth app's authorization-code, refresh-token or device grant (form only, as RFC 6749
/// requires of them). The client may authenticate with HTTP Basic instead of the two client
/// fields; a public OAuth app sends its `client_id` alone.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// The grant.
    #[schema(value_type = GrantType)]
    pub(crate) grant_type: String,
    /// The client ID (`ks_id_…`).
    pub(crate) client_id: Option<String>,
    /// The client secret (`ks_sec_…`, or an OAuth app's `ks_ocs_…`).
    #[schema(value_type = Option<String>)]
    pub(crate) client_secret: Option<Secret>,
    /// authorization_code: the code the redirect carried.
    #[schema(value_type = Option<String>)]
    pub(crate) code: Option<Secret>,
    /// authorization_code: the redirect URI of the authorization request.
    pub(crate) redirect_uri: Option<String>,
    /// authorization_code: the PKCE verifier.
    #[schema(value_type = Option<String>)]
    pub(crate) code_verifier: Option<Secret>,
    /// refresh_token: the refresh token (`ks_ort_…`).
    #[schema(value_type = Option<String>)]
    pub(crate) refresh_token: Option<Secret>,
    /// refresh_token: fewer scopes than the grant's, if wanted.
    pub(crate) scope: Option<String>,
    /// The device grant: the device code.
    #[schema(value_type = Option<String>)]
    pub(crate) device_code: Option<Secret>,
}

/// The grant types of the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.1.3, with PKCE.
    AuthorizationCode,
    /// RFC 6749 §6; the refresh token rotates.
    RefreshToken,
    /// RFC 8628 §3.4: `urn:ietf:params:oauth:grant-type:device_code`.
    #[schema(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
}

impl GrantType {
    /// Every grant type.
    const ALL: [GrantType; 4] = [
        GrantType::ClientCredentials,
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::DeviceCode,
    ];

    /// The grant type named `name`, if the endpoint knows it.
    fn from_name(name: &str) -> Option<GrantType> {
        GrantType::ALL
            .into_iter()
            .find(|grant| grant.as_str() == name)
    }

    /// The name a request gives it.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::DeviceCode => crate::oauth::DEVICE_GRANT,
        }
    }
}

/// A new access token.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access token (`ks_acc_…`).
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[schema(value_type = String)]
    access_token: Secret,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until it expires.
    expires_in: i64,
    /// The scopes it grants, space-separated.
    scope: String,
}

/// The token endpoint: client credentials for an access token (RFC 6749 §4.4), and the OAuth
/// apps' authorization-code, refresh-token and device grants.
#[utoipa::path(
    tag = "OAuth apps",
    post,
    path = "/v1/oauth/token",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "client_credentials: a short-lived access token", body = TokenResponse),
        (status = 201, description = "The OAuth grants (answered with 200): an access and a refresh token", body = crate::oauth::OAuthTokenResponse),
        (status = 400, description = "client_credentials: not a readable request ({code, message}); the OAuth grants: {error, error_description} as RFC 6749 §5.2 and RFC 8628 §3.5 spell it (invalid_grant, authorization_pending, slow_down, access_denied, expired_token …)", body = ErrorBody),
        (status = 401, description = "The client ID and secret are not valid", body = ErrorBody),
        (status = 403, description = "Sent by a web page (an Origin other than the API's own)", body = ErrorBody),
        (status = 415, description = "The body is neither a form nor JSON", body = ErrorBody),
        (status = 421, description = "The Host does not name the address the API listens on", body = ErrorBody),
        (status = 429, description = "The credentials' rate limit is spent, or too many failed attempts for this client ID (10 a minute); see Retry-After", body = ErrorBody),
        (status = 503, description = "The vault's write lock was held elsewhere for too long; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn token(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_bytes(body) {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let form = media_type(&headers) == Some("application/x-www-form-urlencoded");
    let parsed: Result<TokenRequest, ApiError> = match media_type(&headers) {
        Some("application/json") => parse_json(&body),
        Some("application/x-www-form-urlencoded") => serde_urlencoded::from_bytes(&body)
            .map_err(|e| ApiError::BadRequest(format!("Unreadable form: {e}"))),
        _ => Err(ApiError::UnsupportedMediaType(
            "application/x-www-form-urlencoded or application/json",
        )),
    };
    let request = match parsed {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    match GrantType::from_name(&request.grant_type) {
        Some(GrantType::ClientCredentials) => exchange(state, caller, headers, request)
            .await
            .into_response(),
        Some(grant) if form => crate::oauth::token(state, caller, headers, grant, request)
            .await
            .into_response(),
        _ if form => crate::oauth::unsupported_grant_type().into_response(),
        _ => ApiError::BadRequest(
            "grant_type must be client_credentials; the OAuth grants take a form".into(),
        )
        .into_response(),
    }
}

/// The client-credentials exchange.
async fn exchange(
    state: Arc<ApiState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    request: TokenRequest,
) -> Result<Response, ApiError> {
    let (client_id, client_secret) = match basic_credentials(&headers) {
        Some(pair) => pair,
        None => match (request.client_id, request.client_secret) {
            (Some(id), Some(secret)) => (id, secret),
            _ => return Err(keysmith_core::Error::InvalidClient.into()),
        },
    };
    // A name that is no client ID is refused before anything is counted or looked up.
    if !keysmith_core::token::is_client_id(&client_id) {
        return Err(keysmith_core::Error::InvalidClient.into());
    }
    let now = Instant::now();
    state
        .failures
        .check(caller, Target::Client(&client_id), now)
        .map_err(|retry_after| ApiError::TooManyFailures { retry_after })?;
    // Authenticating only reads, so it never waits behind another exchange's write.
    let client = state
        .reading(move |state, vault| {
            let client = match vault.authenticate_client(&client_id, client_secret.expose()) {
                Err(keysmith_core::Error::InvalidClient) => {
                    state
                        .failures
                        .record(caller, Target::Client(&client_id), now);
                    return Err(keysmith_core::Error::InvalidClient.into());
                }
                other => other?,
            };
            // The credentials' own rate limit applies to exchanges as to verifications.
            state.admit(client.credential())?;
            Ok(client)
        })
        .await?;
    let grant = state
        .writing(move |vault| Ok(vault.grant_access_token(client)?))
        .await?;
    let answer = Json(TokenResponse {
        access_token: grant.token,
        token_type: "Bearer",
        expires_in: grant.expires_in,
        scope: grant.scopes.join(" "),
    });
    Ok((crate::oauth::no_store(), answer).into_response())
}

/// The client ID and secret of an `Authorization: Basic` header, if there is one.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, Secret)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = Secret::new(String::from_utf8(decoded).ok()?);
    let (id, secret) = text.expose().split_once(':')?;
    Some((id.to_owned(), Secret::new(secret.to_owned())))
}

/// Whether the API is up.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    status: &'static str,
}

/// Whether the API answers.
#[utoipa::path(get, path = "/v1/health", tag = "Service", responses((status = 200, body = Health)))]
pub(crate) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// This document, generated from the handlers.
#[utoipa::path(
    tag = "Service",
    get,
    path = "/v1/openapi.json",
    responses((status = 200, description = "This document", content_type = "application/json"))
)]
pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}

/// Unknown routes.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A known route asked with a method it does not take.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[derive(OpenApi)]
#[openapi(
    modifiers(&TokenRefusals),
    info(
        title = "Keysmith local API",
        description = "Verify Keysmith credentials, exchange client credentials for access tokens and redeem renewal claim keys."
    ),
    tags(
        (name = "Verification", description = "Is this token good, for this scope, application and client? For services, gateways and resource servers."),
        (name = "OAuth apps", description = "The client-credentials exchange, and the authorization server of the OAuth apps registered in Keysmith."),
        (name = "Renewals", description = "Collecting a renewed token with its claim key."),
        (name = "Service", description = "Health, and this document."),
        (name = "Team", description = "A team server's devices: joining with an invitation, sessions signed with the device key, and the admin operations (served by `keysmith serve --team` over TLS only)."),
    ),
    paths(
        verify,
        crate::gateway::introspect,
        crate::gateway::forward_auth,
        token,
        crate::oauth::authorize,
        crate::oauth::wait,
        crate::oauth::device_authorization,
        crate::oauth::device_page,
        crate::oauth::revoke,
        crate::oauth::metadata,
        crate::renewals::redeem,
        crate::renewals::request_renewed_token,
        health,
        openapi,
        crate::team::join,
        crate::team::session,
        crate::team::admin
    )
)]
struct ApiDoc;

/// `POST /v1/oauth/token` refuses in two shapes: the client-credentials exchange as every
/// route does (`ErrorBody`), the OAuth grants as RFC 6749 §5.2 spells it (`OAuthErrorBody`).
/// Its 400 and 401 are documented as one or the other.
struct TokenRefusals;

impl Modify for TokenRefusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{OneOfBuilder, Schema};
        use utoipa::openapi::{Content, Ref, RefOr};
        let Some(post) = openapi
            .paths
            .paths
            .get_mut("/v1/oauth/token")
            .and_then(|item| item.post.as_mut())
        else {
            return;
        };
        let either = OneOfBuilder::new()
            .item(Ref::from_schema_name("ErrorBody"))
            .item(Ref::from_schema_name("OAuthErrorBody"))
            .build();
        for status in ["400", "401"] {
            if let Some(RefOr::T(response)) = post.responses.responses.get_mut(status) {
                response.content.insert(
                    "application/json".to_owned(),
                    Content::new(Some(RefOr::T(Schema::OneOf(either.clone())))),
                );
            }
        }
    }
}

/// The OpenAPI 3.1 document of every route, generated from the handlers.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

/// The body, or the API's answer to one that could not be read (413 when too large).
pub(crate) fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
        _ => ApiError::BadRequest("Unreadable body".into()),
    })
}

/// The body's media type (`Content-Type` without parameters), lower-case.
pub(crate) fn media_type(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media_type = value.split(';').next()?.trim();
    ["application/json", "application/x-www-form-urlencoded"]
        .into_iter()
        .find(|known| media_type.eq_ignore_ascii_case(known))
}

/// A JSON body read as `T`: 415 unless it says it is JSON, 413 when too large, 400 when it
/// does not parse.
pub(crate) fn json_body<T: for<'de> Deserialize<'de>>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    if media_type(headers) != Some("application/json") {
        return Err(ApiError::UnsupportedMediaType("application/json"));
    }
    parse_json(&body_bytes(body)?)
}

/// Parses a JSON body; the error names what is wrong but never echoes the body.
pub(crate) fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!(
            "Bad JSON at line {}, column {} ({:?})",
            e.line(),
            e.column(),
            e.classify()
        ))
    })
}
