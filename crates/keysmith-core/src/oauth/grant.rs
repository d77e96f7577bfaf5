//! Grants ("connections") and the tokens they hand out: the token endpoint's authorization-code,
//! refresh-token and device grants, revocation (RFC 7009), each user's list of connections,
//! and what verification reads of an OAuth access token.
//!
//! A refresh token is single-use: each use returns a new pair. A spent refresh token or an
//! authorization code presented again means one of the two holders is not the app, so the
//! whole grant is revoked (RFC 9700 §4.14, §4.5).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::app::{self, OAuthApp, OAuthClient};
use super::consent::forget;
use super::{parse_scope, pkce, refused, seconds, GrantId, OAuthAppId, OAuthError};
use super::{ACCESS_TOKEN_LIFETIME, GRANT_LIFETIME, REFRESH_TOKEN_LIFETIME};
use crate::audit::AuditAction;
use crate::clock::from_seconds;
use crate::credential::store::{join_list, split_list};
use crate::credential::Rights;
use crate::digest::TokenDigest;
use crate::error::{Error, Result};
use crate::people::{store as people, User, UserId};
use crate::secret::Secret;
use crate::token::{self, TokenKind};
use crate::vault::{Change, Vault};

/// Who the audit log names when the authorization server itself revokes a grant.
const AUTHORIZATION_SERVER: &str = "Keysmith authorization server";

/// What the token endpoint hands out.
#[derive(Debug)]
pub struct TokenPair {
    /// The access token (`ks_oat_…`): its only copy.
    pub access_token: Secret,
    /// The refresh token (`ks_ort_…`): its only copy.
    pub refresh_token: Secret,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The scopes the access token carries.
    pub scopes: Vec<String>,
    /// The grant they belong to.
    pub grant: GrantId,
}

/// A user's grant to an app, as the connections lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct OAuthConnection {
    /// The grant's id.
    pub grant_id: GrantId,
    /// The app.
    pub app_id: OAuthAppId,
    /// Its name.
    pub app_name: String,
    /// Its client ID.
    pub client_id: String,
    /// The user in whose name it acts.
    pub user_id: UserId,
    /// Their name.
    pub user_name: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// When it was granted.
    pub created_at: DateTime<Utc>,
    /// Who approved it (`Name <e-mail>`).
    pub approved_by: String,
    /// When it was last used: tokens handed out, or its access token verified by the local
    /// API (recorded in batches, like a credential's last use).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Which connections to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionFilter {
    /// Only this user's.
    pub user: Option<UserId>,
    /// Only this app's.
    pub app: Option<OAuthAppId>,
}

/// What an active OAuth access token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthVerified {
    /// The grant it belongs to.
    pub grant: GrantId,
    /// The app it was handed to.
    pub app_id: OAuthAppId,
    /// The app's client ID.
    pub client_id: String,
    /// The user in whose name it acts.
    pub user_id: UserId,
    /// Their name.
    pub user_name: Option<String>,
    /// The scopes it grants now: its scopes that the user still holds and the app may still
    /// ask for. Sorted.
    pub scopes: Vec<String>,
    /// Read and write when one of those scopes is a write scope; read otherwise.
    pub rights: Rights,
    /// The applications it may be used for (the app's).
    pub applications: Vec<String>,
    /// When it was handed out.
    pub issued_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A grant row.
struct StoredGrant {
    id: GrantId,
    app_id: OAuthAppId,
    user_id: UserId,
    scopes: Vec<String>,
    created_at: DateTime<Utc>,
    revoked: bool,
}

/// What a device client's poll comes to, after its bookkeeping is written.
enum Poll {
    Tokens(TokenPair),
    Refused(OAuthError, &'static str),
}

impl Vault {
    /// The authorization-code grant: `code` with the redirect URI and PKCE verifier of its
    /// request, from the app it was issued to, within 60 seconds, once. A code used a second
    /// time revokes its grant. Every refusal is [`OAuthError::InvalidGrant`].
    pub fn exchange_authorization_code(
        &mut self,
        client: &OAuthClient,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
    ) -> Result<TokenPair> {
        let invalid = |why: &str| refused(OAuthError::InvalidGrant, why);
        let digest = self.pepper().digest(code);
        let found = self
            .conn()
            .prepare_cached(
                "SELECT id, app_id, redirect_uri, code_challenge, code_expires_at,
                        code_used_at IS NOT NULL, grant_id, code_digest
                 FROM oauth_requests WHERE code_digest = ?1",
            )?
            .query_row([digest.as_bytes().as_slice()], |row| {
                let stored: Vec<u8> = row.get(7)?;
                Ok(digest.matches(&stored).then_some((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, bool>(5)?,
                    row.get::<_, i64>(6)?,
                )))
            })
            .optional()?
            .flatten();
        let Some((request, app_id, stored_uri, challenge, expires_at, used, grant)) = found else {
            return Err(invalid("The code is not valid"));
        };
        let grant = GrantId(grant);
        if app_id != client.app.id.0 {
            return Err(invalid("The code was issued to another client"));
        }
        if used {
            self.revoke_for_reuse(grant, "an authorization code was used twice")?;
            return Err(invalid("The code was already used; its grant is revoked"));
        }
        if from_seconds(expires_at) <= self.now() {
            return Err(invalid("The code expired"));
        }
        if redirect_uri != stored_uri.as_deref() {
            return Err(invalid(
                "redirect_uri is not the one of the authorization request",
            ));
        }
        let challenge = challenge.unwrap_or_default();
        if !code_verifier.is_some_and(|verifier| pkce::verifies(verifier, &challenge)) {
            return Err(invalid("code_verifier does not match the code challenge"));
        }
        // Handing out tokens is not audited: the approval was, and this is the API's hot path.
        let pair = self.audited(|change| {
            let now = change.now();
            // A second exchange racing this one finds the code used and is refused.
            let first = change
                .prepare_cached(
                    "UPDATE oauth_requests SET code_used_at = ?2
                     WHERE id = ?1 AND code_used_at IS NULL",
                )?
                .execute((&request, seconds(now)))?;
            if first == 0 {
                return Ok(None);
            }
            issue_pair(change, now, grant, None).map(Some)
        })?;
        match pair {
            Some(pair) => Ok(pair),
            None => {
                self.revoke_for_reuse(grant, "an authorization code was used twice")?;
                Err(invalid("The code was already used; its grant is revoked"))
            }
        }
    }

    /// The refresh-token grant: a new pair for a live refresh token of this app, which is
    /// spent. `scope` may narrow the new access token to some of the grant's scopes. A spent
    /// refresh token presented again revokes its grant.
    pub fn refresh_oauth_token(
        &mut self,
        client: &OAuthClient,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<TokenPair> {
        let invalid = |why: &str| refused(OAuthError::InvalidGrant, why);
        let digest = self.pepper().digest(refresh_token);
        let Some(stored) = find_token(self.conn(), &digest, true)? else {
            return Err(invalid("The refresh token is not valid"));
        };
        let grant = stored_grant(self.conn(), stored.grant)?;
        if grant.app_id != client.app.id {
            return Err(invalid("The refresh token was issued to another client"));
        }
        if stored.spent {
            self.revoke_for_reuse(grant.id, "a spent refresh token was used again")?;
            return Err(invalid(
                "The refresh token was already used; its grant is revoked",
            ));
        }
        if stored.expires_at <= self.now() {
            return Err(invalid("The refresh token expired"));
        }
        let narrowed = match scope.map(parse_scope) {
            Some(scopes) if !scopes.is_empty() => {
                if let Some(extra) = scopes.iter().find(|scope| !grant.scopes.contains(scope)) {
                    return Err(refused(
                        OAuthError::InvalidScope,
                        format!("{extra:?} was not granted"),
                    ));
                }
                Some(scopes)
            }
            _ => None,
        };
        let pair = self.audited(|change| {
            let now = change.now();
            let first = change
                .prepare_cached(
                    "UPDATE oauth_tokens SET spent_at = ?2 WHERE digest = ?1 AND spent_at IS NULL",
                )?
                .execute((digest.as_bytes().as_slice(), seconds(now)))?;
            if first == 0 {
                return Ok(None);
            }
            issue_pair(change, now, grant.id, narrowed).map(Some)
        })?;
        match pair {
            Some(pair) => Ok(pair),
            None => {
                self.revoke_for_reuse(grant.id, "a spent refresh token was used again")?;
                Err(invalid(
                    "The refresh token was already used; its grant is revoked",
                ))
            }
        }
    }

    /// The device grant (RFC 8628 §3.4): tokens once the request is approved; until then
    /// `authorization_pending` (or `slow_down`, which adds 5 seconds to the interval, when
    /// polled sooner than it), then `access_denied` or `expired_token`.
    pub fn poll_device_authorization(
        &mut self,
        client: &OAuthClient,
        device_code: &str,
    ) -> Result<TokenPair> {
        let digest = self.pepper().digest(device_code);
        let poll = self.audited(|change| {
            let now = change.now();
            let found = change
                .prepare_cached(
                    "SELECT id, app_id, expires_at, decision, grant_id, polled_at, poll_interval,
                            device_digest
                     FROM oauth_requests WHERE device_digest = ?1",
                )?
                .query_row([digest.as_bytes().as_slice()], |row| {
                    let stored: Vec<u8> = row.get(7)?;
                    Ok(digest.matches(&stored).then_some((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, Option<i64>>(4)?,
                        row.get::<_, Option<i64>>(5)?,
                        row.get::<_, i64>(6)?,
                    )))
                })
                .optional()?
                .flatten();
            let Some((request, app_id, expires_at, decision, grant, polled_at, interval)) = found
            else {
                return Ok(Poll::Refused(
                    OAuthError::InvalidGrant,
                    "The device code is not valid",
                ));
            };
            if app_id != client.app.id.0 {
                return Ok(Poll::Refused(
                    OAuthError::InvalidGrant,
                    "The device code was issued to another client",
                ));
            }
            match (decision.as_deref(), grant) {
                (Some("approved"), Some(grant)) => {
                    forget(change, &request)?;
                    let pair = issue_pair(change, now, GrantId(grant), None)?;
                    return Ok(Poll::Tokens(pair));
                }
                (Some(_), _) => {
                    forget(change, &request)?;
                    return Ok(Poll::Refused(
                        OAuthError::AccessDenied,
                        "The request was denied",
                    ));
                }
                (None, _) => {}
            }
            if from_seconds(expires_at) <= now {
                return Ok(Poll::Refused(
                    OAuthError::ExpiredToken,
                    "The device code expired",
                ));
            }
            let too_soon = polled_at.is_some_and(|at| seconds(now) - at < interval);
            change
                .prepare_cached(
                    "UPDATE oauth_requests SET polled_at = ?2, poll_interval = poll_interval + ?3
                 WHERE id = ?1",
                )?
                .execute((&request, seconds(now), if too_soon { 5 } else { 0 }))?;
            Ok(match too_soon {
                true => Poll::Refused(OAuthError::SlowDown, "Poll less often"),
                false => Poll::Refused(
                    OAuthError::AuthorizationPending,
                    "Waiting for approval in Keysmith",
                ),
            })
        })?;
        match poll {
            Poll::Tokens(pair) => Ok(pair),
            Poll::Refused(error, why) => Err(refused(error, why)),
        }
    }

    /// Revokes a token the app holds (RFC 7009): a refresh token ends its whole grant, an
    /// access token only itself. A token that is unknown, or not this app's, changes nothing
    /// and is no error (the endpoint answers 200 either way).
    pub fn revoke_oauth_token(&mut self, client: &OAuthClient, token: &str) -> Result<()> {
        let refresh = match token::parse(token).map(|t| t.kind) {
            Some(TokenKind::OAuthRefreshToken) => true,
            Some(TokenKind::OAuthAccessToken) => false,
            _ => return Ok(()),
        };
        let digest = self.pepper().digest(token);
        let Some(stored) = find_token(self.conn(), &digest, refresh)? else {
            return Ok(());
        };
        let grant = stored_grant(self.conn(), stored.grant)?;
        if grant.app_id != client.app.id || grant.revoked {
            return Ok(());
        }
        if refresh {
            let service = format!("OAuth app {}", client.app.name);
            return self.audited_as_service(&service, |change| {
                revoke_in(change, &grant, "the app revoked its refresh token")
            });
        }
        self.bookkeeping(|conn, _| {
            conn.prepare_cached("DELETE FROM oauth_tokens WHERE digest = ?1")?
                .execute([digest.as_bytes().as_slice()])?;
            Ok(())
        })
    }

    /// Revokes a grant ("Revoke access"): every token of it stops at once. The user
    /// themselves, or whoever manages their credentials.
    pub fn revoke_oauth_grant(&mut self, id: GrantId) -> Result<()> {
        self.audited(|change| {
            let grant = stored_grant(change, id)?;
            let user = people::user(change, grant.user_id)?;
            change
                .operator()
                .require_manages(Some((user.id, user.role)))?;
            if grant.revoked {
                return Err(Error::GrantNotFound(id.0));
            }
            revoke_in(change, &grant, "revoked in Keysmith")
        })
    }

    /// The live grants `filter` selects, newest first. A member sees their own; listing
    /// another user's needs the right to manage them, an app's needs an admin.
    pub fn oauth_connections(&self, filter: ConnectionFilter) -> Result<Vec<OAuthConnection>> {
        let operator = self.operator();
        if filter.app.is_some() {
            operator.require_admin("list an app's connections")?;
        }
        let user = match filter.user {
            Some(id) => {
                let user = people::user(self.conn(), id)?;
                operator.require_manages(Some((user.id, user.role)))?;
                Some(id)
            }
            None if filter.app.is_none() && operator.require_admin("").is_err() => {
                Some(operator.user_id)
            }
            None => None,
        };
        let ids: Vec<i64> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM oauth_grants
                 WHERE revoked_at IS NULL AND (?1 IS NULL OR user_id = ?1)
                       AND (?2 IS NULL OR app_id = ?2)
                 ORDER BY created_at DESC, id DESC",
            )?
            .query_map((user.map(|u| u.0), filter.app.map(|a| a.0)), |row| {
                row.get(0)
            })?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter()
            .map(|id| connection(self.conn(), GrantId(id)))
            .collect()
    }

    /// Revokes `grant` as the authorization server, because one of its secrets was replayed.
    fn revoke_for_reuse(&mut self, grant: GrantId, reason: &str) -> Result<()> {
        self.audited_as_service(AUTHORIZATION_SERVER, |change| {
            let grant = stored_grant(change, grant)?;
            match grant.revoked {
                true => Ok(()),
                false => revoke_in(change, &grant, reason),
            }
        })
    }
}

/// Writes a new grant of `scopes` to `app` in `user`'s name, approved by the change's operator.
pub(super) fn insert(
    change: &Change<'_>,
    app: &OAuthApp,
    user: &User,
    scopes: &[String],
) -> Result<GrantId> {
    change
        .prepare_cached(
            "INSERT INTO oauth_grants (app_id, user_id, scopes, created_at, approved_by)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute((
            app.id.0,
            user.id.0,
            join_list(scopes.iter().map(String::as_str)),
            seconds(change.now()),
            change.operator().audit_name(),
        ))?;
    Ok(GrantId(change.last_insert_rowid()))
}

/// The connection of grant `id`.
pub(super) fn connection(conn: &Connection, id: GrantId) -> Result<OAuthConnection> {
    conn.prepare_cached(
        "SELECT g.id, a.id, a.name, a.client_id, u.id, u.name, g.scopes, g.created_at,
                g.approved_by, g.last_used_at
         FROM oauth_grants g JOIN oauth_apps a ON a.id = g.app_id JOIN users u ON u.id = g.user_id
         WHERE g.id = ?1",
    )?
    .query_row([id.0], |row| {
        Ok(OAuthConnection {
            grant_id: GrantId(row.get(0)?),
            app_id: OAuthAppId(row.get(1)?),
            app_name: row.get(2)?,
            client_id: row.get(3)?,
            user_id: UserId(row.get(4)?),
            user_name: row.get(5)?,
            scopes: split_list(row.get_ref(6)?.as_str()?),
            created_at: from_seconds(row.get(7)?),
            approved_by: row.get(8)?,
            last_used_at: row.get::<_, Option<i64>>(9)?.map(from_seconds),
        })
    })
    .optional()?
    .ok_or(Error::GrantNotFound(id.0))
}

fn stored_grant(conn: &Connection, id: GrantId) -> Result<StoredGrant> {
    conn.prepare_cached(
        "SELECT id, app_id, user_id, scopes, created_at, revoked_at IS NOT NULL
         FROM oauth_grants WHERE id = ?1",
    )?
    .query_row([id.0], |row| {
        Ok(StoredGrant {
            id: GrantId(row.get(0)?),
            app_id: OAuthAppId(row.get(1)?),
            user_id: UserId(row.get(2)?),
            scopes: split_list(row.get_ref(3)?.as_str()?),
            created_at: from_seconds(row.get(4)?),
            revoked: row.get(5)?,
        })
    })
    .optional()?
    .ok_or(Error::GrantNotFound(id.0))
}

/// Marks `grant` revoked (its tokens stay, so verification says why they are refused) and
/// records why.
fn revoke_in(change: &Change<'_>, grant: &StoredGrant, reason: &str) -> Result<()> {
    change
        .prepare_cached("UPDATE oauth_grants SET revoked_at = ?2 WHERE id = ?1")?
        .execute((grant.id.0, seconds(change.now())))?;
    let app = app::get(change, grant.app_id)?;
    let user = people::user(change, grant.user_id)?;
    change.record(
        AuditAction::OAuthGrantRevoked,
        None,
        json!({
            "app": app::summary(&app),
            "user": { "id": user.id.0, "name": user.name },
            "grant_id": grant.id.0,
            "reason": reason,
        }),
    )
}

/// Hands grant `grant` a new access and refresh token, after checking the grant may
/// still have them: not revoked, the app enabled, the user with API access, within a year of
/// the grant. `scopes` narrows the access token (default: the grant's).
fn issue_pair(
    change: &Change<'_>,
    now: DateTime<Utc>,
    grant: GrantId,
    scopes: Option<Vec<String>>,
) -> Result<TokenPair> {
    let invalid = |why: &str| refused(OAuthError::InvalidGrant, why);
    let (conn, pepper): (&Connection, _) = (change, change.pepper());
    let stored = stored_grant(conn, grant)?;
    let ends = stored.created_at + GRANT_LIFETIME;
    if stored.revoked {
        return Err(invalid("The grant was revoked"));
    }
    // As it is now: the client may have authenticated before the app was disabled.
    if app::get(conn, stored.app_id)?.disabled_at.is_some() {
        return Err(invalid("The app is disabled"));
    }
    if !people::user(conn, stored.user_id)?.has_api_access() {
        return Err(invalid("The user no longer has API access"));
    }
    if ends <= now {
        return Err(invalid("The grant is over a year old; ask the user again"));
    }
    conn.prepare_cached("DELETE FROM oauth_tokens WHERE expires_at <= ?1")?
        .execute([seconds(now)])?;
    let scopes = scopes.unwrap_or(stored.scopes);
    let access_token = token::generate(TokenKind::OAuthAccessToken);
    let refresh_token = token::generate(TokenKind::OAuthRefreshToken);
    let access_ends = (now + ACCESS_TOKEN_LIFETIME).min(ends);
    let mut insert = conn.prepare_cached(
        "INSERT INTO oauth_tokens (digest, grant_id, refresh, scopes, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    insert.execute((
        pepper.digest(access_token.expose()).as_bytes().as_slice(),
        grant.0,
        false,
        join_list(scopes.iter().map(String::as_str)),
        seconds(now),
        seconds(access_ends),
    ))?;
    insert.execute((
        pepper.digest(refresh_token.expose()).as_bytes().as_slice(),
        grant.0,
        true,
        "",
        seconds(now),
        seconds((now + REFRESH_TOKEN_LIFETIME).min(ends)),
    ))?;
    conn.prepare_cached("UPDATE oauth_grants SET last_used_at = ?2 WHERE id = ?1")?
        .execute((grant.0, seconds(now)))?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        expires_in: (access_ends - now).num_seconds(),
        scopes,
        grant,
    })
}

/// A token row.
struct StoredToken {
    grant: GrantId,
    expires_at: DateTime<Utc>,
    spent: bool,
}

/// The access (or, with `refresh`, refresh) token stored under `digest`, if any.
fn find_token(
    conn: &Connection,
    digest: &TokenDigest,
    refresh: bool,
) -> Result<Option<StoredToken>> {
    Ok(conn
        .prepare_cached(
            "SELECT digest, grant_id, expires_at, spent_at IS NOT NULL FROM oauth_tokens
             WHERE digest = ?1 AND refresh = ?2",
        )?
        .query_row((digest.as_bytes().as_slice(), refresh), |row| {
            let stored = row.get_ref(0)?.as_blob()?;
            Ok(digest.matches(stored).then_some(StoredToken {
                grant: GrantId(row.get(1)?),
                expires_at: from_seconds(row.get(2)?),
                spent: row.get(3)?,
            }))
        })
        .optional()?
        .flatten())
}

/// An OAuth access token as verification reads it, with its grant and app.
pub(crate) struct StoredAccess {
    /// What it grants, scopes before the user's current permissions are applied.
    pub(crate) verified: OAuthVerified,
    /// Whether its grant was revoked.
    pub(crate) revoked: bool,
    /// Whether its app is disabled.
    pub(crate) app_disabled: bool,
}

/// The OAuth access token stored under `digest`, if any: one statement over the token, its
/// grant and its app.
pub(crate) fn find_access(conn: &Connection, digest: &TokenDigest) -> Result<Option<StoredAccess>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.digest, t.scopes, t.created_at, t.expires_at, g.id, g.user_id,
                    g.revoked_at IS NOT NULL, a.id, a.client_id, a.applications,
                    a.disabled_at IS NOT NULL, a.scopes
             FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id
                  JOIN oauth_apps a ON a.id = g.app_id
             WHERE t.digest = ?1 AND t.refresh = 0",
        )?
        .query_row([digest.as_bytes().as_slice()], |row| {
            let stored = row.get_ref(0)?.as_blob()?;
            if !digest.matches(stored) {
                return Ok(None);
            }
            // What the app may ask for now bounds what its older tokens carry.
            let app_scopes = split_list(row.get_ref(11)?.as_str()?);
            let mut scopes = split_list(row.get_ref(1)?.as_str()?);
            scopes.retain(|scope| app_scopes.contains(scope));
            Ok(Some(StoredAccess {
                verified: OAuthVerified {
                    grant: GrantId(row.get(4)?),
                    app_id: OAuthAppId(row.get(7)?),
                    client_id: row.get(8)?,
                    user_id: UserId(row.get(5)?),
                    user_name: None,
                    scopes,
                    rights: Rights::Read,
                    applications: split_list(row.get_ref(9)?.as_str()?),
                    issued_at: from_seconds(row.get(2)?),
                    expires_at: from_seconds(row.get(3)?),
                },
                revoked: row.get(6)?,
                app_disabled: row.get(10)?,
            }))
        })
        .optional()?
        .flatten())
}
