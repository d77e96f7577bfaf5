//! Authorization requests and their decision. An app asks — by sending the browser to the
//! authorize endpoint (code flow) or by calling the device endpoint (device flow) — and the
//! request waits under a short user code until an operator approves or denies it in Keysmith.
//! The browser learns the decision from the wait page ([`Vault::oauth_authorization_progress`]),
//! a device client by polling the token endpoint.

use chrono::{DateTime, Utc};
use rand::{rngs::OsRng, Rng};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::app::{self, OAuthApp, OAuthClient};
use super::grant::{self, OAuthConnection};
use super::{parse_scope, pkce, refused, seconds, OAuthAppId, OAuthError};
use super::{DEVICE_POLL_INTERVAL, MAX_WAITING_PER_APP, REQUEST_LIFETIME};
use crate::audit::AuditAction;
use crate::clock::from_seconds;
use crate::credential::store::{join_list, split_list};
use crate::credential::{require_api_access, require_scopes_held};
use crate::error::{Error, Result};
use crate::people::{store as people, UserId};
use crate::secret::Secret;
use crate::token;
use crate::vault::Vault;

/// The longest `state` an app may send; it comes back in the redirect.
const MAX_STATE: usize = 1024;
/// Letters of user codes: consonants only, so no word is spelled and none is mistaken for a
/// digit (RFC 8628 §6.1).
const USER_CODE_LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Requests stay this long after they expire, so a late poll hears `expired_token`.
const KEPT_AFTER_EXPIRY: chrono::Duration = chrono::Duration::hours(1);

/// The authorize endpoint's query parameters, as received.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationParams {
    /// Must be `code`.
    pub response_type: Option<String>,
    /// The app's client ID.
    pub client_id: Option<String>,
    /// One of the app's redirect URIs, exactly.
    pub redirect_uri: Option<String>,
    /// Space-separated scopes; none asks for every scope the app may ask for.
    pub scope: Option<String>,
    /// The app's opaque value, returned with the code.
    pub state: Option<String>,
    /// The PKCE challenge (required).
    pub code_challenge: Option<String>,
    /// Must be `S256`.
    pub code_challenge_method: Option<String>,
}

/// A code-flow request waiting for a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    /// The wait page's id: 128 random bits, so no one else can watch or collect the request.
    pub request_id: String,
    /// The code the operator matches in Keysmith, e.g. `WXYZ-1234`.
    pub user_code: String,
}

/// Where a code-flow request stands, as the wait page shows it.
#[derive(Debug)]
pub enum AuthorizationProgress {
    /// Nobody has decided yet.
    Waiting {
        /// The app's name.
        app_name: String,
        /// The user code to look for in Keysmith.
        user_code: String,
    },
    /// Approved: send the browser to `redirect_uri` with `code` (handed out once, now) and
    /// `state`.
    Approved {
        /// The app's redirect URI.
        redirect_uri: String,
        /// The authorization code, valid 60 seconds.
        code: Secret,
        /// The app's state, if it sent one.
        state: Option<String>,
    },
    /// Denied, or expired before anyone decided: send the browser back with
    /// `error=access_denied`.
    Denied {
        /// The app's redirect URI.
        redirect_uri: String,
        /// The app's state, if it sent one.
        state: Option<String>,
        /// Whether it expired rather than being denied.
        expired: bool,
    },
}

/// What the device endpoint answers (RFC 8628 §3.2).
#[derive(Debug)]
pub struct DeviceAuthorization {
    /// The device code the client polls with: its only copy.
    pub device_code: Secret,
    /// The code the operator enters or picks in Keysmith.
    pub user_code: String,
    /// Seconds until both expire.
    pub expires_in: i64,
    /// Seconds the client waits between polls.
    pub interval: i64,
}

/// How a request reached Keysmith.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestFlow {
    /// A browser, sent by the app to the authorize endpoint.
    AuthorizationCode,
    /// A device or command-line client (RFC 8628).
    Device,
}

impl RequestFlow {
    fn as_str(self) -> &'static str {
        match self {
            RequestFlow::AuthorizationCode => "code",
            RequestFlow::Device => "device",
        }
    }

    fn from_stored(text: &str) -> RequestFlow {
        match text {
            "device" => RequestFlow::Device,
            _ => RequestFlow::AuthorizationCode,
        }
    }
}

/// A request waiting for a decision, as Keysmith lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct PendingRequest {
    /// The code to approve or deny it by.
    pub user_code: String,
    /// How it came.
    pub flow: RequestFlow,
    /// The app asking.
    pub app_id: OAuthAppId,
    /// Its name.
    pub app_name: String,
    /// Its description.
    pub app_description: String,
    /// Its client ID.
    pub client_id: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// When it expires undecided.
    pub expires_at: DateTime<Utc>,
}

/// A request row, as the decision and the progress read it.
struct StoredRequest {
    id: String,
    app: OAuthApp,
    flow: RequestFlow,
    user_code: String,
    scopes: Vec<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    expires_at: DateTime<Utc>,
    decision: Option<String>,
    code_collected: bool,
}

impl Vault {
    /// Starts a code-flow request from the authorize endpoint's parameters. An unknown client
    /// is [`Error::InvalidClient`] and a redirect URI that is not one of the app's exactly is
    /// [`Error::InvalidRedirectUri`]: those must not send the browser anywhere. Every other
    /// refusal is [`Error::OAuth`], to be sent back to the redirect URI. Nothing is written
    /// unless the request is accepted.
    pub fn start_oauth_authorization(
        &mut self,
        params: &AuthorizationParams,
    ) -> Result<PendingAuthorization> {
        let client_id = params.client_id.as_deref().unwrap_or_default();
        let app = app_by_client_id(self.conn(), client_id)?.ok_or(Error::InvalidClient)?;
        let redirect_uri = params.redirect_uri.as_deref().unwrap_or_default();
        if !app.redirect_uris.iter().any(|uri| uri == redirect_uri) {
            return Err(Error::InvalidRedirectUri(
                "The redirect URI is not one the app registered".into(),
            ));
        }
        if app.disabled_at.is_some() {
            return Err(refused(
                OAuthError::UnauthorizedClient,
                "The app is disabled",
            ));
        }
        if params.response_type.as_deref() != Some("code") {
            return Err(refused(
                OAuthError::UnsupportedResponseType,
                "response_type must be code",
            ));
        }
        let challenge = params.code_challenge.as_deref().unwrap_or_default();
        if params.code_challenge_method.as_deref() != Some("S256") || !pkce::is_challenge(challenge)
        {
            return Err(refused(
                OAuthError::InvalidRequest,
                "PKCE is required: code_challenge (43 base64url characters) with \
                 code_challenge_method=S256",
            ));
        }
        if params
            .state
            .as_ref()
            .is_some_and(|state| state.len() > MAX_STATE)
        {
            return Err(refused(
                OAuthError::InvalidRequest,
                "state is longer than 1,024 characters",
            ));
        }
        let scopes = requested_scopes(&app, params.scope.as_deref())?;
        let request_id = token::random_id("");
        let user_code = self.bookkeeping(|conn, now| {
            insert_request(
                conn,
                now,
                &NewRequest {
                    id: &request_id,
                    app: &app,
                    flow: RequestFlow::AuthorizationCode,
                    scopes: &scopes,
                    redirect_uri: Some(redirect_uri),
                    state: params.state.as_deref(),
                    code_challenge: Some(challenge),
                    device_digest: None,
                },
            )
        })?;
        Ok(PendingAuthorization {
            request_id,
            user_code,
        })
    }

    /// Where the code-flow request `request_id` stands. Once approved, the first call hands
    /// out the authorization code; after that, and for an unknown id,
    /// [`Error::OAuthRequestNotFound`]. A denied or expired request answers once, then is gone.
    pub fn oauth_authorization_progress(
        &mut self,
        request_id: &str,
    ) -> Result<AuthorizationProgress> {
        // Still waiting is only read: the page asks every 2 seconds, and a write each time
        // would take the vault's write lock for nothing.
        let request = code_flow_request(self.conn(), request_id)?;
        if request.decision.is_none() && request.expires_at > self.now() {
            return Ok(waiting(request));
        }
        self.audited(|change| {
            let (conn, now): (&Connection, _) = (change, change.now());
            // Read again inside the change: it may have been decided meanwhile.
            let request = code_flow_request(conn, request_id)?;
            let redirect_uri = request.redirect_uri.clone().unwrap_or_default();
            match request.decision.as_deref() {
                Some("approved") if request.code_collected => Err(Error::OAuthRequestNotFound),
                Some("approved") => {
                    let code = token::random_secret("ks_code_");
                    conn.prepare_cached(
                        "UPDATE oauth_requests SET code_digest = ?2, code_expires_at = ?3
                         WHERE id = ?1",
                    )?
                    .execute((
                        &request.id,
                        change.pepper().digest(code.expose()).as_bytes().as_slice(),
                        seconds(now + super::CODE_LIFETIME),
                    ))?;
                    Ok(AuthorizationProgress::Approved {
                        redirect_uri,
                        code,
                        state: request.state,
                    })
                }
                decision if decision.is_some() || request.expires_at <= now => {
                    forget(conn, &request.id)?;
                    Ok(AuthorizationProgress::Denied {
                        redirect_uri,
                        state: request.state,
                        expired: decision.is_none(),
                    })
                }
                _ => Ok(waiting(request)),
            }
        })
    }

    /// Starts a device-flow request for an authenticated client (RFC 8628 §3.1).
    pub fn start_device_authorization(
        &mut self,
        client: &OAuthClient,
        scope: Option<&str>,
    ) -> Result<DeviceAuthorization> {
        if client.app.disabled_at.is_some() {
            return Err(refused(
                OAuthError::UnauthorizedClient,
                "The app is disabled",
            ));
        }
        let scopes = requested_scopes(&client.app, scope)?;
        let device_code = token::random_secret("ks_dev_");
        let digest = self.pepper().digest(device_code.expose());
        let user_code = self.bookkeeping(|conn, now| {
            insert_request(
                conn,
                now,
                &NewRequest {
                    id: &token::random_id(""),
                    app: &client.app,
                    flow: RequestFlow::Device,
                    scopes: &scopes,
                    redirect_uri: None,
                    state: None,
                    code_challenge: None,
                    device_digest: Some(digest.as_bytes()),
                },
            )
        })?;
        Ok(DeviceAuthorization {
            device_code,
            user_code,
            expires_in: REQUEST_LIFETIME.num_seconds(),
            interval: DEVICE_POLL_INTERVAL,
        })
    }

    /// The requests waiting for a decision, oldest first.
    pub fn pending_oauth_requests(&self) -> Result<Vec<PendingRequest>> {
        let now = seconds(self.now());
        let rows: Vec<(String, String, i64, String, i64, i64)> = self
            .conn()
            .prepare_cached(
                "SELECT user_code, flow, app_id, scopes, created_at, expires_at
                 FROM oauth_requests WHERE decision IS NULL AND expires_at > ?1
                 ORDER BY created_at, user_code",
            )?
            .query_map([now], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(
                |(user_code, flow, app_id, scopes, created_at, expires_at)| {
                    let app = app::get(self.conn(), OAuthAppId(app_id))?;
                    Ok(PendingRequest {
                        user_code,
                        flow: RequestFlow::from_stored(&flow),
                        app_id: app.id,
                        app_name: app.name,
                        app_description: app.description,
                        client_id: app.client_id,
                        scopes: split_list(&scopes),
                        created_at: from_seconds(created_at),
                        expires_at: from_seconds(expires_at),
                    })
                },
            )
            .collect()
    }

    /// Approves the request with `user_code` in the name of `user` (by default the operator;
    /// an admin may name another user they manage): a grant of the scopes asked for. Refused
    /// with nothing written when the request is unknown, decided or expired
    /// ([`Error::OAuthRequestNotFound`]), the app is disabled, the operator may not act for
    /// the user, or the user lacks API access or a scope.
    pub fn approve_oauth_request(
        &mut self,
        user_code: &str,
        user: Option<UserId>,
    ) -> Result<OAuthConnection> {
        let user_code = normalize_user_code(user_code);
        self.audited(|change| {
            let now = change.now();
            let request = undecided(change, &user_code, now)?;
            if request.app.disabled_at.is_some() {
                return Err(Error::OAuthAppDisabled);
            }
            let user = people::user(change, user.unwrap_or(change.operator().user_id))?;
            change
                .operator()
                .require_manages(Some((user.id, user.role)))?;
            require_api_access(&user)?;
            require_scopes_held(&user, request.scopes.iter().map(String::as_str))?;
            let grant_id = grant::insert(change, &request.app, &user, &request.scopes)?;
            change
                .prepare_cached(
                    "UPDATE oauth_requests SET decision = 'approved', grant_id = ?2
                     WHERE id = ?1",
                )?
                .execute((&request.id, grant_id.0))?;
            change.record(
                AuditAction::OAuthGrantApproved,
                None,
                json!({
                    "app": app::summary(&request.app),
                    "user": { "id": user.id.0, "name": user.name },
                    "scopes": request.scopes,
                    "grant_id": grant_id.0,
                    "user_code": request.user_code,
                    "flow": request.flow.as_str(),
                }),
            )?;
            grant::connection(change, grant_id)
        })
    }

    /// Denies the request with `user_code`: the app hears `access_denied`.
    pub fn deny_oauth_request(&mut self, user_code: &str) -> Result<()> {
        let user_code = normalize_user_code(user_code);
        self.audited(|change| {
            let request = undecided(change, &user_code, change.now())?;
            change
                .prepare_cached("UPDATE oauth_requests SET decision = 'denied' WHERE id = ?1")?
                .execute([&request.id])?;
            change.record(
                AuditAction::OAuthGrantDenied,
                None,
                json!({
                    "app": app::summary(&request.app),
                    "scopes": request.scopes,
                    "user_code": request.user_code,
                    "flow": request.flow.as_str(),
                }),
            )
        })
    }
}

/// The app with `client_id`, if any.
pub(super) fn app_by_client_id(conn: &Connection, client_id: &str) -> Result<Option<OAuthApp>> {
    let id: Option<i64> = conn
        .prepare_cached("SELECT id FROM oauth_apps WHERE client_id = ?1")?
        .query_row([client_id], |row| row.get(0))
        .optional()?;
    id.map(|id| app::get(conn, OAuthAppId(id))).transpose()
}

/// The scopes of a `scope` parameter, each one the app may ask for; none given asks for all
/// of them.
fn requested_scopes(app: &OAuthApp, scope: Option<&str>) -> Result<Vec<String>> {
    let scopes = match scope.map(parse_scope) {
        Some(scopes) if !scopes.is_empty() => scopes,
        _ => return Ok(app.scopes.clone()),
    };
    match scopes.iter().find(|scope| !app.scopes.contains(scope)) {
        Some(scope) => Err(refused(
            OAuthError::InvalidScope,
            format!("The app may not ask for {scope:?}"),
        )),
        None => Ok(scopes),
    }
}

/// What a new request row holds.
struct NewRequest<'a> {
    id: &'a str,
    app: &'a OAuthApp,
    flow: RequestFlow,
    scopes: &'a [String],
    redirect_uri: Option<&'a str>,
    state: Option<&'a str>,
    code_challenge: Option<&'a str>,
    device_digest: Option<&'a [u8; 32]>,
}

/// Writes `request` under a fresh user code, after sweeping requests long expired; the code.
/// Refused with `temporarily_unavailable` while [`MAX_WAITING_PER_APP`] of the app's requests
/// wait for a decision.
fn insert_request(
    conn: &Connection,
    now: DateTime<Utc>,
    request: &NewRequest<'_>,
) -> Result<String> {
    conn.prepare_cached("DELETE FROM oauth_requests WHERE expires_at <= ?1")?
        .execute([seconds(now - KEPT_AFTER_EXPIRY)])?;
    let waiting: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM oauth_requests
             WHERE app_id = ?1 AND decision IS NULL AND expires_at > ?2",
        )?
        .query_row((request.app.id.0, seconds(now)), |row| row.get(0))?;
    if waiting >= MAX_WAITING_PER_APP {
        return Err(refused(
            OAuthError::TemporarilyUnavailable,
            "Too many of this app's requests wait for a decision; try again in a few minutes",
        ));
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO oauth_requests (id, app_id, user_code, flow, scopes, redirect_uri, state,
             code_challenge, device_digest, created_at, expires_at, poll_interval)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    // 20^4 * 10^4 codes: a clash with a live request is rare; draw again when it happens.
    loop {
        let user_code = new_user_code();
        let inserted = insert.execute(rusqlite::params![
            request.id,
            request.app.id.0,
            user_code,
            request.flow.as_str(),
            join_list(request.scopes.iter().map(String::as_str)),
            request.redirect_uri,
            request.state,
            request.code_challenge,
            request.device_digest.map(|digest| digest.as_slice()),
            seconds(now),
            seconds(now + REQUEST_LIFETIME),
            DEVICE_POLL_INTERVAL,
        ]);
        match inserted {
            Ok(_) => return Ok(user_code),
            Err(rusqlite::Error::SqliteFailure(e, Some(message)))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
                    && message.contains("user_code") => {}
            Err(error) => return Err(error.into()),
        }
    }
}

/// Four consonants, a dash, four digits: `WXYZ-1234`.
fn new_user_code() -> String {
    let mut code = String::with_capacity(9);
    for _ in 0..4 {
        code.push(char::from(
            USER_CODE_LETTERS[OsRng.gen_range(0..USER_CODE_LETTERS.len())],
        ));
    }
    code.push('-');
    for _ in 0..4 {
        code.push(char::from(b'0' + OsRng.gen_range(0..10u8)));
    }
    code
}

/// A user code as typed — any case, with or without the dash or spaces — as stored.
fn normalize_user_code(typed: &str) -> String {
    let mut code: String = typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.len() == 8 {
        code.insert(4, '-');
    }
    code
}

/// The request whose `column` is `value`, if any.
fn stored_request(conn: &Connection, column: &str, value: &str) -> Result<Option<StoredRequest>> {
    debug_assert!(matches!(column, "id" | "user_code"));
    let row = conn
        .prepare_cached(&format!(
            "SELECT id, app_id, flow, user_code, scopes, redirect_uri, state, expires_at,
                    decision, code_digest IS NOT NULL
             FROM oauth_requests WHERE {column} = ?1"
        ))?
        .query_row([value], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<String>>(6)?,
                row.get::<_, i64>(7)?,
                row.get::<_, Option<String>>(8)?,
                row.get::<_, bool>(9)?,
            ))
        })
        .optional()?;
    let Some((
        id,
        app_id,
        flow,
        user_code,
        scopes,
        redirect_uri,
        state,
        expires_at,
        decision,
        code,
    )) = row
    else {
        return Ok(None);
    };
    Ok(Some(StoredRequest {
        id,
        app: app::get(conn, OAuthAppId(app_id))?,
        flow: RequestFlow::from_stored(&flow),
        user_code,
        scopes: split_list(&scopes),
        redirect_uri,
        state,
        expires_at: from_seconds(expires_at),
        decision,
        code_collected: code,
    }))
}

/// The code-flow request with wait-page id `id`, or [`Error::OAuthRequestNotFound`].
fn code_flow_request(conn: &Connection, id: &str) -> Result<StoredRequest> {
    stored_request(conn, "id", id)?
        .filter(|request| request.flow == RequestFlow::AuthorizationCode)
        .ok_or(Error::OAuthRequestNotFound)
}

/// What the wait page shows of an undecided request.
fn waiting(request: StoredRequest) -> AuthorizationProgress {
    AuthorizationProgress::Waiting {
        app_name: request.app.name,
        user_code: request.user_code,
    }
}

/// The undecided, unexpired request with `user_code`, or [`Error::OAuthRequestNotFound`].
fn undecided(conn: &Connection, user_code: &str, now: DateTime<Utc>) -> Result<StoredRequest> {
    stored_request(conn, "user_code", user_code)?
        .filter(|request| request.decision.is_none() && request.expires_at > now)
        .ok_or(Error::OAuthRequestNotFound)
}

/// Removes a request that has had its answer.
pub(super) fn forget(conn: &Connection, id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM oauth_requests WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
