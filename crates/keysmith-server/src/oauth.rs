//! The OAuth endpoints of the local API, over the core's OAuth apps and grants:
//! - `GET /v1/oauth/authorize` checks the request and sends the browser to
//!   `GET /v1/oauth/authorize/wait/<id>`, a page without script that refreshes itself every
//!   2 seconds until the request is decided in Keysmith, then redirects to the app;
//! - `POST /v1/oauth/device_authorization` (RFC 8628) and its page `GET /v1/oauth/device`;
//! - the authorization-code, refresh-token and device grants of `POST /v1/oauth/token`;
//! - `POST /v1/oauth/revoke` (RFC 7009);
//! - `GET /.well-known/oauth-authorization-server` (RFC 8414).
//!
//! Token-endpoint refusals have RFC 6749's shape, `{error, error_description}`, so OAuth
//! client libraries understand them. Pages carry a CSP that allows nothing (no script, no
//! style, no frame) and are never cached.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use keysmith_core::oauth::{
    AuthorizationParams, AuthorizationProgress, OAuthClient, OAuthError, TokenPair,
};
use keysmith_core::Secret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::limits::{Caller, Target};
use crate::routes::{basic_credentials, GrantType, TokenRequest};
use crate::ApiState;

/// The API's own address as clients reach it, e.g. `http://127.0.0.1:8700`: the issuer of
/// the metadata and the base of the URLs it names.
#[derive(Debug, Clone)]
pub(crate) struct Issuer(pub(crate) String);

/// What every page may load: nothing. No script, style, image, frame or form.
const PAGE_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// How often the wait page reloads itself, in seconds.
const WAIT_REFRESH_SECONDS: u32 = 2;

/// An RFC 6749 §5.2 error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// The RFC's code, e.g. `invalid_grant`, `authorization_pending`.
    error: &'static str,
    /// Words for the app's developer.
    error_description: String,
}

/// A refusal of an OAuth endpoint: the RFC's error and status, or one of the API's own
/// answers (too many failures, a busy vault, an internal error).
pub(crate) enum Refusal {
    /// `{error, error_description}` with 400, or 401 for `invalid_client`.
    OAuth(&'static str, String),
    /// The API's own answer.
    Api(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Core(error) => Refusal::from(error),
            other => Refusal::Api(other),
        }
    }
}

impl From<keysmith_core::Error> for Refusal {
    fn from(error: keysmith_core::Error) -> Self {
        match error {
            keysmith_core::Error::OAuth(code, description) => {
                Refusal::OAuth(code.as_str(), description)
            }
            keysmith_core::Error::InvalidClient => Refusal::OAuth(
                "invalid_client",
                "The client is unknown, or its secret is wrong or missing".into(),
            ),
            other => Refusal::Api(ApiError::Core(other)),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::OAuth(error, error_description) => {
                let status = match error {
                    "invalid_client" => StatusCode::UNAUTHORIZED,
                    _ => StatusCode::BAD_REQUEST,
                };
                let mut response = (
                    status,
                    no_store(),
                    Json(OAuthErrorBody {
                        error,
                        error_description,
                    }),
                )
                    .into_response();
                if status == StatusCode::UNAUTHORIZED {
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"keysmith\""),
                    );
                }
                response
            }
            Refusal::Api(error) => error.into_response(),
        }
    }
}

fn invalid_request(description: &str) -> Refusal {
    Refusal::OAuth(OAuthError::InvalidRequest.as_str(), description.to_owned())
}

/// Headers that keep an answer out of every cache: every answer that carries a secret.
pub(crate) fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ]
}

/// The authorize endpoint's query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuthorizeQuery {
    /// Must be `code`.
    #[param(required = true)]
    response_type: Option<String>,
    /// The app's client ID.
    #[param(required = true)]
    client_id: Option<String>,
    /// One of the app's redirect URIs, exactly.
    #[param(required = true)]
    redirect_uri: Option<String>,
    /// Space-separated scopes; none asks for all the app may ask for.
    scope: Option<String>,
    /// Returned to the app with the code.
    state: Option<String>,
    /// The PKCE challenge, `BASE64URL(SHA-256(verifier))`.
    #[param(required = true)]
    code_challenge: Option<String>,
    /// Must be `S256`.
    #[param(required = true)]
    code_challenge_method: Option<String>,
}

/// Starts an OAuth app's authorization request (with PKCE); the user approves it in Keysmith.
#[utoipa::path(
    tag = "OAuth apps",
    get,
    path = "/v1/oauth/authorize",
    params(AuthorizeQuery),
    responses(
        (status = 303, description = "To the wait page, where the browser waits for the decision in Keysmith"),
        (status = 302, description = "Back to the redirect URI with error=… (refused before waiting)"),
        (status = 400, description = "An unknown client or a redirect URI the app did not register: a page, no redirect"),
        (status = 429, description = "Too many sign-in requests of this app started from this address (20 in 10 minutes): a page, no redirect; see Retry-After"),
    )
)]
pub(crate) async fn authorize(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    query: Result<Query<AuthorizeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return page(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            "<p>A parameter is repeated or unreadable. Go back to the app and try again.</p>",
        );
    };
    let params = AuthorizationParams {
        response_type: query.response_type,
        client_id: query.client_id,
        redirect_uri: query.redirect_uri,
        scope: query.scope,
        state: query.state,
        code_challenge: query.code_challenge,
        code_challenge_method: query.code_challenge_method,
    };
    let redirect_uri = params.redirect_uri.clone().unwrap_or_default();
    let app_state = params.state.clone();
    let app = params.client_id.clone().unwrap_or_default();
    let now = Instant::now();
    if let Err(ApiError::RateLimited { retry_after }) = sign_in_allowed(&state, caller, &app, now) {
        let mut refused = page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in requests",
            "<p>This address has started more sign-ins for this app than can wait for a \
             decision. Try again in a few minutes.</p>",
        );
        refused
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return refused;
    }
    let started = state
        .writing(move |vault| Ok(vault.start_oauth_authorization(&params)?))
        .await;
    match started {
        Ok(pending) => {
            state.sign_ins.record(caller.0, Target::SignIns(&app), now);
            see_other(&format!("/v1/oauth/authorize/wait/{}", pending.request_id))
        }
        Err(ApiError::Core(
            keysmith_core::Error::InvalidClient | keysmith_core::Error::InvalidRedirectUri(_),
        )) => page(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            "<p>The app is not registered in Keysmith, or it asked to return to an address it \
             did not register. Nothing was sent anywhere. Tell the app's developer.</p>",
        ),
        Err(ApiError::Core(keysmith_core::Error::OAuth(error, description))) => back_to_app(
            &redirect_uri,
            &[
                ("error", error.as_str()),
                ("error_description", &description),
            ],
            app_state.as_deref(),
        ),
        Err(other) => other.into_response(),
    }
}

/// The page a browser waits on while the request is decided in Keysmith; redirects when it is.
#[utoipa::path(
    tag = "OAuth apps",
    get,
    path = "/v1/oauth/authorize/wait/{id}",
    params(("id" = String, Path, description = "The request's id, from the authorize redirect")),
    responses(
        (status = 200, description = "A page without script: approve the request in Keysmith (it reloads every 2 s)"),
        (status = 302, description = "Decided: to the redirect URI with code and state, or error=access_denied"),
        (status = 404, description = "Unknown, or already completed"),
    )
)]
pub(crate) async fn wait(State(state): State<Arc<ApiState>>, Path(id): Path<String>) -> Response {
    let progress = state
        .writing(move |vault| Ok(vault.oauth_authorization_progress(&id)?))
        .await;
    match progress {
        Ok(AuthorizationProgress::Waiting {
            app_name,
            user_code,
        }) => {
            let body = format!(
                "<p><strong>{}</strong> asks for access in your name.</p>\
                 <p>Approve this request in Keysmith — code <strong>{}</strong></p>\
                 <p>This page moves on by itself once the request is decided. It expires 10 \
                 minutes after it was made.</p>",
                escape(&app_name),
                escape(&user_code),
            );
            page_refreshing(
                StatusCode::OK,
                "Approve in Keysmith",
                &body,
                WAIT_REFRESH_SECONDS,
            )
        }
        Ok(AuthorizationProgress::Approved {
            redirect_uri,
            code,
            state: app_state,
        }) => back_to_app(
            &redirect_uri,
            &[("code", code.expose())],
            app_state.as_deref(),
        ),
        Ok(AuthorizationProgress::Denied {
            redirect_uri,
            state: app_state,
            expired,
        }) => {
            let description = match expired {
                true => "The request expired before it was approved",
                false => "The request was denied in Keysmith",
            };
            back_to_app(
                &redirect_uri,
                &[
                    ("error", "access_denied"),
                    ("error_description", description),
                ],
                app_state.as_deref(),
            )
        }
        Err(ApiError::Core(keysmith_core::Error::OAuthRequestNotFound)) => page(
            StatusCode::NOT_FOUND,
            "This request is finished",
            "<p>It was completed already, or it is unknown. Go back to the app and start \
             again.</p>",
        ),
        Err(other) => other.into_response(),
    }
}

/// Where a device flow's user is sent (RFC 8628 `verification_uri`).
#[utoipa::path(
    tag = "OAuth apps",
    get,
    path = "/v1/oauth/device",
    responses((status = 200, description = "How to approve a device's request in Keysmith"))
)]
pub(crate) async fn device_page() -> Response {
    page(
        StatusCode::OK,
        "Approve a device in Keysmith",
        "<p>Open Keysmith, go to OAuth apps → Requests and approve the request with the code \
         your device shows. Or, on the command line: <code>keysmith oauth approve CODE</code>.</p>",
    )
}

/// A device authorization request (RFC 8628 §3.1).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeviceRequest {
    /// The app's client ID.
    client_id: Option<String>,
    /// A confidential app's secret (or send HTTP Basic).
    #[schema(value_type = Option<String>)]
    client_secret: Option<Secret>,
    /// Space-separated scopes; none asks for all the app may ask for.
    scope: Option<String>,
}

/// RFC 8628 §3.2.
#[derive(Serialize, ToSchema)]
pub struct DeviceResponse {
    /// What the device polls the token endpoint with.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[schema(value_type = String)]
    device_code: Secret,
    /// What the user approves in Keysmith, e.g. `WXYZ-1234`.
    user_code: String,
    /// Where the user learns how.
    verification_uri: String,
    /// Seconds until both codes expire.
    expires_in: i64,
    /// Seconds between polls.
    interval: i64,
}

/// Starts a device authorization (RFC 8628): a device code and the code the user confirms.
#[utoipa::path(
    tag = "OAuth apps",
    post,
    path = "/v1/oauth/device_authorization",
    request_body(content = DeviceRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The codes", body = DeviceResponse),
        (status = 400, description = "invalid_request, invalid_scope, unauthorized_client", body = OAuthErrorBody),
        (status = 401, description = "invalid_client", body = OAuthErrorBody),
        (status = 415, description = "The body is not a form", body = ErrorBody),
        (status = 429, description = "Too many failed client authentications from this caller (10 a minute), or too many sign-in requests of this app started from it (20 in 10 minutes); see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn device_authorization(
    State(state): State<Arc<ApiState>>,
    Extension(issuer): Extension<Issuer>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Refusal> {
    let request: DeviceRequest = form(&headers, body)?;
    let client = authenticate(
        &state,
        caller,
        &headers,
        request.client_id,
        request.client_secret,
    )
    .await?;
    let scope = request.scope;
    let app = client.app().client_id.clone();
    let started = Instant::now();
    sign_in_allowed(&state, caller, &app, started)?;
    let device = state
        .writing(move |vault| Ok(vault.start_device_authorization(&client, scope.as_deref())?))
        .await?;
    state
        .sign_ins
        .record(caller.0, Target::SignIns(&app), started);
    Ok((
        no_store(),
        Json(DeviceResponse {
            device_code: device.device_code,
            user_code: device.user_code,
            verification_uri: format!("{}/v1/oauth/device", issuer.0),
            expires_in: device.expires_in,
            interval: device.interval,
        }),
    )
        .into_response())
}

/// A token pair (RFC 6749 §5.1).
#[derive(Serialize, ToSchema)]
pub struct OAuthTokenResponse {
    /// The access token (`ks_oat_…`).
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[schema(value_type = String)]
    access_token: Secret,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: i64,
    /// The refresh token (`ks_ort_…`), single-use.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[schema(value_type = String)]
    refresh_token: Secret,
    /// The scopes of the access token, space-separated.
    scope: String,
}

impl From<TokenPair> for OAuthTokenResponse {
    fn from(pair: TokenPair) -> Self {
        OAuthTokenResponse {
            access_token: pair.access_token,
            token_type: "Bearer",
            expires_in: pair.expires_in,
            refresh_token: pair.refresh_token,
            scope: pair.scopes.join(" "),
        }
    }
}

/// The device grant's `grant_type`.
pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The authorization-code, refresh-token and device grants of `POST /v1/oauth/token`.
pub(crate) async fn token(
    state: Arc<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    grant: GrantType,
    request: TokenRequest,
) -> Result<Response, Refusal> {
    let TokenRequest {
        grant_type: _,
        client_id,
        client_secret,
        code,
        redirect_uri,
        code_verifier,
        refresh_token,
        scope,
        device_code,
    } = request;
    let client = authenticate(&state, caller, &headers, client_id, client_secret).await?;
    let pair = match grant {
        GrantType::AuthorizationCode => {
            let code = code.ok_or_else(|| invalid_request("code is missing"))?;
            state
                .writing(move |vault| {
                    Ok(vault.exchange_authorization_code(
                        &client,
                        code.expose(),
                        redirect_uri.as_deref(),
                        code_verifier.as_ref().map(Secret::expose),
                    )?)
                })
                .await?
        }
        GrantType::RefreshToken => {
            let refresh =
                refresh_token.ok_or_else(|| invalid_request("refresh_token is missing"))?;
            state
                .writing(move |vault| {
                    Ok(vault.refresh_oauth_token(&client, refresh.expose(), scope.as_deref())?)
                })
                .await?
        }
        GrantType::DeviceCode => {
            let device = device_code.ok_or_else(|| invalid_request("device_code is missing"))?;
            state
                .writing(
                    move |vault| Ok(vault.poll_device_authorization(&client, device.expose())?),
                )
                .await?
        }
        GrantType::ClientCredentials => return Err(unsupported_grant_type()),
    };
    Ok((no_store(), Json(OAuthTokenResponse::from(pair))).into_response())
}

/// The token endpoint's answer to a grant type it does not know.
pub(crate) fn unsupported_grant_type() -> Refusal {
    Refusal::OAuth(
        OAuthError::UnsupportedGrantType.as_str(),
        "grant_type must be client_credentials, authorization_code, refresh_token or \
         urn:ietf:params:oauth:grant-type:device_code"
            .into(),
    )
}

/// A revocation request (RFC 7009 §2.1).
#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The access or refresh token. (A `token_type_hint` is accepted and not needed: the
    /// token's prefix says which it is.)
    #[schema(value_type = String)]
    token: Secret,
    /// The app's client ID (or send HTTP Basic).
    client_id: Option<String>,
    /// A confidential app's secret.
    #[schema(value_type = Option<String>)]
    client_secret: Option<Secret>,
}

/// Revokes an OAuth app's access or refresh token (RFC 7009), and with it the grant.
#[utoipa::path(
    tag = "OAuth apps",
    post,
    path = "/v1/oauth/revoke",
    request_body(content = RevokeRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke (unknown or another app's token): the same answer"),
        (status = 400, description = "invalid_request: the form is unreadable, or the token is missing", body = OAuthErrorBody),
        (status = 401, description = "invalid_client", body = OAuthErrorBody),
        (status = 415, description = "The body is not a form", body = ErrorBody),
        (status = 429, description = "Too many failed client authentications from this caller (10 a minute); see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn revoke(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, Refusal> {
    let request: RevokeRequest = form(&headers, body)?;
    let client = authenticate(
        &state,
        caller,
        &headers,
        request.client_id,
        request.client_secret,
    )
    .await?;
    let token = request.token;
    state
        .writing(move |vault| Ok(vault.revoke_oauth_token(&client, token.expose())?))
        .await?;
    Ok((no_store(), Json(serde_json::json!({}))).into_response())
}

/// RFC 8414 metadata.
#[derive(Serialize, ToSchema)]
pub struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    device_authorization_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    response_types_supported: [&'static str; 1],
    grant_types_supported: [&'static str; 4],
    code_challenge_methods_supported: [&'static str; 1],
    token_endpoint_auth_methods_supported: [&'static str; 3],
    revocation_endpoint_auth_methods_supported: [&'static str; 3],
}

/// The authorization server's metadata (RFC 8414).
#[utoipa::path(
    tag = "OAuth apps",
    get,
    path = "/.well-known/oauth-authorization-server",
    responses((status = 200, description = "RFC 8414 metadata", body = Metadata))
)]
pub(crate) async fn metadata(Extension(issuer): Extension<Issuer>) -> Json<Metadata> {
    let at = |path: &str| format!("{}{path}", issuer.0);
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    Json(Metadata {
        authorization_endpoint: at("/v1/oauth/authorize"),
        token_endpoint: at("/v1/oauth/token"),
        device_authorization_endpoint: at("/v1/oauth/device_authorization"),
        revocation_endpoint: at("/v1/oauth/revoke"),
        introspection_endpoint: at("/v1/introspect"),
        issuer: issuer.0,
        response_types_supported: ["code"],
        grant_types_supported: [
            "authorization_code",
            "refresh_token",
            DEVICE_GRANT,
            "client_credentials",
        ],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: auth_methods,
        revocation_endpoint_auth_methods_supported: auth_methods,
    })
}

/// Whether `caller` may start another sign-in request of the app `client_id`: refused
/// ([`ApiError::RateLimited`]) once it has started as many as may wait for a decision, so one
/// caller cannot use up the places of the app's real sign-ins.
fn sign_in_allowed(
    state: &ApiState,
    Caller(caller): Caller,
    client_id: &str,
    now: Instant,
) -> Result<(), ApiError> {
    state
        .sign_ins
        .check(caller, Target::SignIns(client_id), now)
        .map_err(|retry_after| ApiError::RateLimited { retry_after })
}

/// Authenticates an app's client — HTTP Basic, or the form's `client_id` (and
/// `client_secret`) — counting failures per caller and client ID like the client-credentials
/// exchange.
async fn authenticate(
    state: &Arc<ApiState>,
    Caller(caller): Caller,
    headers: &HeaderMap,
    client_id: Option<String>,
    client_secret: Option<Secret>,
) -> Result<OAuthClient, Refusal> {
    let (client_id, client_secret) = match basic_credentials(headers) {
        Some((id, secret)) => (id, Some(secret)),
        None => (
            client_id.ok_or_else(|| Refusal::from(keysmith_core::Error::InvalidClient))?,
            client_secret,
        ),
    };
    if !keysmith_core::token::is_client_id(&client_id) {
        return Err(keysmith_core::Error::InvalidClient.into());
    }
    let now = Instant::now();
    state
        .failures
        .check(caller, Target::Client(&client_id), now)
        .map_err(|retry_after| ApiError::TooManyFailures { retry_after })?;
    let client = state
        .reading(move |state, vault| {
            let secret = client_secret.as_ref().map(Secret::expose);
            match vault.authenticate_oauth_client(&client_id, secret) {
                Err(keysmith_core::Error::InvalidClient) => {
                    state
                        .failures
                        .record(caller, Target::Client(&client_id), now);
                    Err(keysmith_core::Error::InvalidClient.into())
                }
                other => Ok(other?),
            }
        })
        .await?;
    Ok(client)
}

/// A form body (RFC 6749 requires one at these endpoints).
fn form<T: for<'de> Deserialize<'de>>(
    headers: &HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<T, Refusal> {
    let body = crate::routes::body_bytes(body)?;
    if crate::routes::media_type(headers) != Some("application/x-www-form-urlencoded") {
        return Err(ApiError::UnsupportedMediaType("application/x-www-form-urlencoded").into());
    }
    serde_urlencoded::from_bytes(&body)
        .map_err(|_| invalid_request("The form is unreadable, or a parameter is repeated"))
}

/// 303 to a path of this API.
fn see_other(path: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, path.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// 302 to the app's `redirect_uri` with `pairs` and its `state`.
fn back_to_app(redirect_uri: &str, pairs: &[(&str, &str)], state: Option<&str>) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return page(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            "<p>The app's redirect address is unreadable.</p>",
        );
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, url.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::REFERRER_POLICY, "no-referrer".to_owned()),
        ],
    )
        .into_response()
}

/// A page of Keysmith's: `title` and `body` (already escaped HTML), no script, no style.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    page_with_head(status, title, body, "")
}

/// [`page`] that reloads itself every `seconds` (a meta refresh: no script needed).
fn page_refreshing(status: StatusCode, title: &str, body: &str, seconds: u32) -> Response {
    let head = format!("<meta http-equiv=\"refresh\" content=\"{seconds}\">");
    page_with_head(status, title, body, &head)
}

fn page_with_head(status: StatusCode, title: &str, body: &str, head: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">{head}\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} — Keysmith</title>\
         </head><body><h1>{title}</h1>{body}</body></html>",
        title = escape(title),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// `text` with HTML's special characters escaped, for a page's text and attributes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
