//! The client-credentials exchange: a client ID and its secret buy a short-lived access token
//! (`ks_acc_…`, 15 minutes, never beyond the credentials' own expiry). Access tokens live in
//! their own table, not in the inventory; each verifies like the client credentials it came
//! from — same owner, scopes, rights and applications, every check — until it expires, and dies
//! with them when they are deleted.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::{CredentialId, Verification};
use crate::clock::from_seconds;
use crate::digest::TokenDigest;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::{self, TokenKind};
use crate::vault::Vault;

/// What a successful exchange hands out.
#[derive(Debug)]
pub struct AccessGrant {
    /// The access token: this is its only copy; the vault keeps its keyed digest.
    pub token: Secret,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The scopes it grants now.
    pub scopes: Vec<String>,
    /// The client credentials it was exchanged for.
    pub credential: CredentialId,
}

impl Vault {
    /// How long an access token lives.
    pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(15);

    /// Exchanges client credentials for an access token: [`Vault::authenticate_client`], then
    /// [`Vault::grant_access_token`]. Any failure to authenticate is
    /// [`Error::InvalidClient`], and nothing is written.
    pub fn exchange_client_credentials(
        &mut self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<AccessGrant> {
        let client = self.authenticate_client(client_id, client_secret)?;
        self.grant_access_token(client)
    }

    /// Checks client credentials without writing anything. Any failure — an unknown client
    /// ID, a wrong secret, a secret of another client, credentials that are not active — is
    /// [`Error::InvalidClient`].
    pub fn authenticate_client(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<AuthenticatedClient> {
        if token::parse(client_secret).map(|t| t.kind) != Some(TokenKind::ClientCredentials) {
            return Err(Error::InvalidClient);
        }
        let Verification::Active(verified) = self.verify(client_secret, None, None)? else {
            return Err(Error::InvalidClient);
        };
        if verified.credential.client_id.as_deref() != Some(client_id) {
            return Err(Error::InvalidClient);
        }
        Ok(AuthenticatedClient(verified))
    }

    /// Hands an authenticated client a new access token (15 minutes, never beyond its
    /// credentials' expiry).
    pub fn grant_access_token(&mut self, client: AuthenticatedClient) -> Result<AccessGrant> {
        let verified = client.0;
        let token = token::generate(TokenKind::AccessToken);
        // Not recorded in the audit log: access tokens are short-lived stand-ins for the
        // client credentials, handed out on the API's hot path, and would drown the log.
        let (now, expires_at) = self.audited(|change| {
            let now = change.now();
            let expires_at =
                (now + Self::ACCESS_TOKEN_LIFETIME).min(verified.credential.expires_at);
            // Expired access tokens are of no use to anyone: each exchange sweeps them.
            change
                .prepare_cached("DELETE FROM access_tokens WHERE expires_at <= ?1")?
                .execute([now.timestamp()])?;
            change
                .prepare_cached(
                    "INSERT INTO access_tokens (digest, credential_id, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute((
                    change.pepper().digest(token.expose()).as_bytes().as_slice(),
                    verified.credential.id.0,
                    now.timestamp(),
                    expires_at.timestamp(),
                ))?;
            Ok((now, expires_at))
        })?;
        Ok(AccessGrant {
            token,
            expires_in: (expires_at - now).num_seconds(),
            scopes: verified.scopes,
            credential: verified.credential.id,
        })
    }
}

/// Client credentials that [`Vault::authenticate_client`] accepted, ready to be granted an
/// access token.
#[derive(Debug)]
pub struct AuthenticatedClient(Box<super::Verified>);

impl AuthenticatedClient {
    /// The client credentials.
    pub fn credential(&self) -> &super::Credential {
        &self.0.credential
    }
}

/// An access token as the vault keeps it.
pub(super) struct StoredAccessToken {
    /// The client credentials it stands for.
    pub(super) credential: CredentialId,
    /// When it was handed out.
    pub(super) created_at: DateTime<Utc>,
    /// When it stops working.
    pub(super) expires_at: DateTime<Utc>,
}

/// The access token stored under `digest`, if the vault issued it. The stored digest is
/// compared with `digest` in constant time.
pub(super) fn find(conn: &Connection, digest: &TokenDigest) -> Result<Option<StoredAccessToken>> {
    let found = conn
        .prepare_cached(
            "SELECT credential_id, created_at, expires_at, digest FROM access_tokens
             WHERE digest = ?1",
        )?
        .query_row([digest.as_bytes().as_slice()], |row| {
            let stored = row.get_ref(3)?.as_blob()?;
            if !digest.matches(stored) {
                return Ok(None);
            }
            Ok(Some(StoredAccessToken {
                credential: CredentialId(row.get(0)?),
                created_at: from_seconds(row.get(1)?),
                expires_at: from_seconds(row.get(2)?),
            }))
        })
        .optional()?;
    Ok(found.flatten())
}
