//! OAuth apps: registering, editing, disabling and deleting them (the account holder and
//! admins), and authenticating an app's client at the token endpoint.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{seconds, OAuthAppId};
use crate::audit::AuditAction;
use crate::clock::from_seconds;
use crate::credential::store::{join_list, split_list};
use crate::error::{Error, Result};
use crate::outbound_url;
use crate::people::store::{self as people, Catalogue};
use crate::secret::Secret;
use crate::text::{Description, Name};
use crate::token::{self, TokenKind};
use crate::vault::Vault;

/// The most redirect URIs an app may register.
const MAX_REDIRECT_URIS: usize = 10;

/// What an admin fills in to register or edit an app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct OAuthAppSpec {
    /// Its name, unique among apps.
    pub name: String,
    /// What it is, for the people who approve its requests.
    pub description: String,
    /// Where it may send the browser back to, matched exactly: https, or http to this
    /// computer. One to ten.
    pub redirect_uris: Vec<String>,
    /// A public app (a browser or desktop app that cannot keep a secret): no client secret,
    /// PKCE alone. Fixed at registration.
    pub public: bool,
    /// The scopes it may ask for, from the permission catalogue.
    pub scopes: Vec<String>,
    /// The applications its tokens may be used for, from the application catalogue.
    pub applications: Vec<String>,
}

/// A registered app, as shown: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct OAuthApp {
    /// Row id.
    pub id: OAuthAppId,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its client ID (`ks_id_…`), fixed at registration.
    pub client_id: String,
    /// Public (no secret) or confidential.
    pub public: bool,
    /// Its redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The scopes it may ask for.
    pub scopes: Vec<String>,
    /// The applications its tokens may be used for.
    pub applications: Vec<String>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it was disabled, while it is.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A newly registered app, with its client secret (confidential apps): the only copy.
#[derive(Debug)]
pub struct RegisteredApp {
    /// The app.
    pub app: OAuthApp,
    /// The client secret (`ks_ocs_…`), shown once; `None` for a public app.
    pub client_secret: Option<Secret>,
}

/// An app whose client authenticated at the token endpoint: a public app by its client ID, a
/// confidential one by its ID and secret.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub(super) app: OAuthApp,
}

impl OAuthClient {
    /// The app.
    pub fn app(&self) -> &OAuthApp {
        &self.app
    }
}

/// A spec whose every field was checked.
struct CheckedSpec {
    name: Name,
    description: Description,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
    applications: Vec<String>,
}

impl Vault {
    /// Registers an app (account holder and admins). The client secret of a confidential app
    /// is returned once; the vault keeps its keyed digest.
    pub fn register_oauth_app(&mut self, spec: &OAuthAppSpec) -> Result<RegisteredApp> {
        self.operator().require_admin("register OAuth apps")?;
        let client_secret = (!spec.public).then(|| token::generate(TokenKind::OAuthClientSecret));
        let app = self.audited(|change| {
            let checked = check(change, spec)?;
            let digest = client_secret
                .as_ref()
                .map(|secret| change.pepper().digest(secret.expose()));
            let inserted = change
                .prepare_cached(
                    "INSERT INTO oauth_apps (name, description, client_id, secret_digest,
                         redirect_uris, scopes, applications, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute((
                    checked.name.as_str(),
                    checked.description.as_str(),
                    token::generate_client_id(),
                    digest.as_ref().map(|d| d.as_bytes().as_slice()),
                    join_list(checked.redirect_uris.iter().map(String::as_str)),
                    join_list(checked.scopes.iter().map(String::as_str)),
                    join_list(checked.applications.iter().map(String::as_str)),
                    seconds(change.now()),
                ));
            unique_name(inserted, &checked.name)?;
            let app = get(change, OAuthAppId(change.last_insert_rowid()))?;
            change.record(AuditAction::OAuthAppRegistered, None, details(&app))?;
            Ok(app)
        })?;
        Ok(RegisteredApp { app, client_secret })
    }

    /// Changes an app's name, description, redirect URIs, scopes and applications (not its
    /// client ID, nor whether it is public). Its next requests may ask only for the new
    /// scopes; tokens it holds already verify with only the scopes it may still ask for (the
    /// grant keeps the record of what was approved).
    pub fn update_oauth_app(&mut self, id: OAuthAppId, spec: &OAuthAppSpec) -> Result<OAuthApp> {
        self.operator().require_admin("edit OAuth apps")?;
        self.audited(|change| {
            let before = get(change, id)?;
            if spec.public != before.public {
                return Err(Error::InvalidOAuthApp(
                    "whether an app is public is fixed at registration; register a new app".into(),
                ));
            }
            let checked = check(change, spec)?;
            let updated = change
                .prepare_cached(
                    "UPDATE oauth_apps SET name = ?2, description = ?3, redirect_uris = ?4,
                         scopes = ?5, applications = ?6
                     WHERE id = ?1",
                )?
                .execute((
                    id.0,
                    checked.name.as_str(),
                    checked.description.as_str(),
                    join_list(checked.redirect_uris.iter().map(String::as_str)),
                    join_list(checked.scopes.iter().map(String::as_str)),
                    join_list(checked.applications.iter().map(String::as_str)),
                ));
            unique_name(updated, &checked.name)?;
            let app = get(change, id)?;
            change.record(AuditAction::OAuthAppUpdated, None, details(&app))?;
            Ok(app)
        })
    }

    /// Enables or disables an app. A disabled app's tokens do not verify, its requests cannot
    /// be approved and its grants hand out nothing, until it is enabled again.
    pub fn set_oauth_app_enabled(&mut self, id: OAuthAppId, enabled: bool) -> Result<OAuthApp> {
        self.operator()
            .require_admin("disable or enable OAuth apps")?;
        self.audited(|change| {
            let now = seconds(change.now());
            change
                .prepare_cached(
                    "UPDATE oauth_apps SET disabled_at = CASE WHEN ?2 THEN NULL
                         ELSE ifnull(disabled_at, ?3) END
                     WHERE id = ?1",
                )?
                .execute((id.0, enabled, now))?;
            let app = get(change, id)?;
            let action = match enabled {
                true => AuditAction::OAuthAppEnabled,
                false => AuditAction::OAuthAppDisabled,
            };
            change.record(action, None, details(&app))?;
            Ok(app)
        })
    }

    /// Deletes an app, and with it every grant, token and request it had.
    pub fn delete_oauth_app(&mut self, id: OAuthAppId) -> Result<()> {
        self.operator().require_admin("delete OAuth apps")?;
        self.audited(|change| {
            let app = get(change, id)?;
            change.record(AuditAction::OAuthAppDeleted, None, details(&app))?;
            change
                .prepare_cached("DELETE FROM oauth_apps WHERE id = ?1")?
                .execute([id.0])?;
            Ok(())
        })
    }

    /// Every registered app, by name.
    pub fn oauth_apps(&self) -> Result<Vec<OAuthApp>> {
        Ok(self
            .conn()
            .prepare_cached(concat!(
                "SELECT ",
                app_columns!(),
                " FROM oauth_apps ORDER BY name"
            ))?
            .query_map([], from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The app with `id`.
    pub fn oauth_app(&self, id: OAuthAppId) -> Result<OAuthApp> {
        get(self.conn(), id)
    }

    /// Authenticates an app's client: a confidential app by its client ID and secret, a
    /// public one by its client ID alone (a secret given for it is refused). Any failure —
    /// unknown ID, wrong or missing secret — is [`Error::InvalidClient`]; nothing is written.
    pub fn authenticate_oauth_client(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
    ) -> Result<OAuthClient> {
        let found: Option<(OAuthApp, Option<Vec<u8>>)> = self
            .conn()
            .prepare_cached(concat!(
                "SELECT ",
                app_columns!(),
                ", secret_digest FROM oauth_apps WHERE client_id = ?1"
            ))?
            .query_row([client_id], |row| Ok((from_row(row)?, row.get(10)?)))
            .optional()?;
        let Some((app, stored)) = found else {
            return Err(Error::InvalidClient);
        };
        let authenticated = match (stored, client_secret) {
            (None, None) => true,
            (Some(stored), Some(secret)) => {
                token::parse(secret).map(|t| t.kind) == Some(TokenKind::OAuthClientSecret)
                    && self.pepper().digest(secret).matches(&stored)
            }
            _ => false,
        };
        match authenticated {
            true => Ok(OAuthClient { app }),
            false => Err(Error::InvalidClient),
        }
    }
}

/// The app's columns, in [`from_row`]'s order.
macro_rules! app_columns {
    () => {
        "id, name, description, client_id, secret_digest IS NULL, redirect_uris, scopes, \
         applications, created_at, disabled_at"
    };
}
use app_columns;

fn from_row(row: &Row<'_>) -> rusqlite::Result<OAuthApp> {
    Ok(OAuthApp {
        id: OAuthAppId(row.get(0)?),
        name: row.get(1)?,
        description: row.get(2)?,
        client_id: row.get(3)?,
        public: row.get(4)?,
        redirect_uris: split_list(row.get_ref(5)?.as_str()?),
        scopes: split_list(row.get_ref(6)?.as_str()?),
        applications: split_list(row.get_ref(7)?.as_str()?),
        created_at: from_seconds(row.get(8)?),
        disabled_at: row.get::<_, Option<i64>>(9)?.map(from_seconds),
    })
}

/// The app with `id`.
pub(super) fn get(conn: &Connection, id: OAuthAppId) -> Result<OAuthApp> {
    conn.prepare_cached(concat!(
        "SELECT ",
        app_columns!(),
        " FROM oauth_apps WHERE id = ?1"
    ))?
    .query_row([id.0], from_row)
    .optional()?
    .ok_or(Error::OAuthAppNotFound(id.0))
}

/// What audit rows and webhook payloads say of an app.
pub(super) fn summary(app: &OAuthApp) -> serde_json::Value {
    json!({ "id": app.id.0, "name": app.name, "client_id": app.client_id })
}

fn details(app: &OAuthApp) -> serde_json::Value {
    json!({
        "app": summary(app),
        "public": app.public,
        "redirect_uris": app.redirect_uris,
        "scopes": app.scopes,
        "applications": app.applications,
    })
}

/// Checks every field of `spec` against the catalogues: [`Error::InvalidOAuthApp`],
/// [`Error::InvalidRedirectUri`], [`Error::UnknownPermission`] or
/// [`Error::UnknownApplication`].
fn check(conn: &Connection, spec: &OAuthAppSpec) -> Result<CheckedSpec> {
    let name = Name::new(&spec.name)?;
    let description = Description::new(&spec.description)?;
    if spec.redirect_uris.is_empty() || spec.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(Error::InvalidRedirectUri(format!(
            "Give one to {MAX_REDIRECT_URIS} redirect URIs"
        )));
    }
    let mut redirect_uris = Vec::with_capacity(spec.redirect_uris.len());
    for uri in &spec.redirect_uris {
        let checked = outbound_url::check(uri)
            .map_err(|why| Error::InvalidRedirectUri(format!("{uri}: {why}")))?;
        if !redirect_uris.contains(&checked) {
            redirect_uris.push(checked);
        }
    }
    if spec.scopes.is_empty() {
        return Err(Error::InvalidOAuthApp(
            "Choose the scopes the app may ask for".into(),
        ));
    }
    let scopes = sorted(&spec.scopes);
    for scope in &scopes {
        if !people::contains(conn, Catalogue::Permissions, scope)? {
            return Err(Error::UnknownPermission(scope.clone()));
        }
    }
    let applications = sorted(&spec.applications);
    for application in &applications {
        if !people::contains(conn, Catalogue::Applications, application)? {
            return Err(Error::UnknownApplication(application.clone()));
        }
    }
    Ok(CheckedSpec {
        name,
        description,
        redirect_uris,
        scopes,
        applications,
    })
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut items: Vec<String> = items.iter().map(|item| item.trim().to_owned()).collect();
    items.sort();
    items.dedup();
    items
}

/// An insert or update of an app, with a name another app has as [`Error::DuplicateName`].
fn unique_name(result: rusqlite::Result<usize>, name: &Name) -> Result<()> {
    match result {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(Error::DuplicateName(name.as_str().to_owned()))
        }
        Err(error) => Err(error.into()),
    }
}
