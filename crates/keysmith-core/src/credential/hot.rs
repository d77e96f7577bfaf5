//! What verification keeps in memory between calls: the credentials it found lately (with
//! their owner's name and parsed allowlist), their owners' access and the trusted proxies. All
//! of it is valid for one *verify revision*, a number the schema's triggers move with every
//! change to what verification reads — credentials, users, permissions, groups' members and
//! permissions, the trusted proxies — made through any connection, in any process. Uses, "last used" and the audit log do not
//! move it, so a busy server's own writes leave the cache warm. Each verification reads the
//! number (one row) and starts afresh when it moved.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rusqlite::Connection;
use subtle::ConstantTimeEq;

use super::restrictions::IpAllowlist;
use super::{store, Credential, Rights};
use crate::digest::TokenDigest;
use crate::error::Result;
use crate::people::access::{self, OwnerAccess};
use crate::people::{self, UserId};
use crate::token::TokenKind;

/// The most credentials kept; past it the cache starts afresh (a scan of made-up tokens never
/// enters it: only tokens the vault knows do).
const MAX_CREDENTIALS: usize = 16_384;

/// A credential as verification needs it, read once.
#[derive(Debug)]
pub(crate) struct HotCredential {
    /// The credential, its owner's current name filled in.
    pub(crate) credential: Credential,
    /// Whether its owner has API access.
    pub(crate) owner_has_api_access: bool,
    /// The scopes it grants: its own (an API client: its owner's permissions) that the owner
    /// holds, without write scopes when it is read-only. Sorted.
    pub(crate) scopes: Vec<String>,
    /// Its allowlist, parsed.
    pub(crate) allowed_ips: IpAllowlist,
}

/// A digest as a map key, compared in constant time like the stored one.
#[derive(Debug, Clone, Copy)]
struct DigestKey([u8; 32]);

impl PartialEq for DigestKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for DigestKey {}

impl Hash for DigestKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// Credentials, owners and the trusted proxies as of one verify revision.
#[derive(Debug, Default)]
pub(crate) struct VerifyCache {
    revision: Option<i64>,
    owners: HashMap<Option<UserId>, Arc<OwnerAccess>>,
    credentials: HashMap<DigestKey, Arc<HotCredential>>,
    trusted_proxies: Option<Arc<IpAllowlist>>,
}

impl VerifyCache {
    /// Reads the verify revision through `conn` and forgets everything when it moved.
    pub(crate) fn refresh(&mut self, conn: &Connection) -> Result<()> {
        let revision: i64 = conn
            .prepare_cached("SELECT n FROM verify_revision")?
            .query_row([], |row| row.get(0))?;
        if self.revision != Some(revision) {
            self.owners.clear();
            self.credentials.clear();
            self.trusted_proxies = None;
            self.revision = Some(revision);
        }
        Ok(())
    }

    /// The trusted proxies, read once per revision by `load`.
    pub(crate) fn trusted_proxies(
        &mut self,
        load: impl FnOnce() -> Result<IpAllowlist>,
    ) -> Result<Arc<IpAllowlist>> {
        if let Some(proxies) = &self.trusted_proxies {
            return Ok(Arc::clone(proxies));
        }
        let proxies = Arc::new(load()?);
        self.trusted_proxies = Some(Arc::clone(&proxies));
        Ok(proxies)
    }

    /// The access of `owner` (`None`: the organization), read once per revision.
    pub(crate) fn owner(
        &mut self,
        conn: &Connection,
        owner: Option<UserId>,
    ) -> Result<Arc<OwnerAccess>> {
        if let Some(access) = self.owners.get(&owner) {
            return Ok(Arc::clone(access));
        }
        let access = Arc::new(access::load(conn, owner)?);
        self.owners.insert(owner, Arc::clone(&access));
        Ok(access)
    }

    /// The credential stored under `digest`, if any, read once per revision.
    pub(crate) fn credential(
        &mut self,
        conn: &Connection,
        digest: &TokenDigest,
    ) -> Result<Option<Arc<HotCredential>>> {
        let key = DigestKey(*digest.as_bytes());
        if let Some(hot) = self.credentials.get(&key) {
            return Ok(Some(Arc::clone(hot)));
        }
        let Some(credential) = store::find_by_digest(conn, digest)? else {
            return Ok(None);
        };
        let hot = Arc::new(self.hot(conn, credential)?);
        if self.credentials.len() >= MAX_CREDENTIALS {
            self.credentials.clear();
        }
        self.credentials.insert(key, Arc::clone(&hot));
        Ok(Some(hot))
    }

    /// `credential` with what verification works out from its owner.
    pub(crate) fn hot(
        &mut self,
        conn: &Connection,
        mut credential: Credential,
    ) -> Result<HotCredential> {
        let owner = self.owner(conn, credential.owner_id)?;
        credential.owner_name.clone_from(&owner.name);
        Ok(HotCredential {
            scopes: granted_scopes(&credential, &owner.permissions),
            owner_has_api_access: owner.api_access,
            allowed_ips: IpAllowlist::parse(&credential.allowed_ips)?,
            credential,
        })
    }
}

/// The scopes `credential` grants given that its owner holds `held` (sorted): an API client
/// all of them, any other kind its own scopes among them; read-only credentials no write scope.
fn granted_scopes(credential: &Credential, held: &[String]) -> Vec<String> {
    let mut scopes: Vec<String> = if credential.kind == TokenKind::ApiClient {
        held.to_vec()
    } else {
        credential
            .scopes
            .iter()
            .filter(|scope| held.binary_search(scope).is_ok())
            .cloned()
            .collect()
    };
    if credential.rights == Rights::Read {
        scopes.retain(|scope| !people::is_write(scope));
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Another connection's change to what verification reads, and this connection's own,
    /// empty the cache; uses and "last used" leave it be.
    #[test]
    fn what_verification_reads_moves_the_revision_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        crate::vault::migrate_for_tests(&mut conn);
        let other = Connection::open(&path).unwrap();
        let holder = store_holder(&conn);
        let mut cache = VerifyCache::default();
        let permissions = |cache: &mut VerifyCache| {
            cache.refresh(&conn).unwrap();
            cache.owner(&conn, Some(holder)).unwrap().permissions.len()
        };
        assert_eq!(permissions(&mut cache), 6);
        other
            .execute(
                "DELETE FROM group_permissions WHERE permission = 'users:write'",
                [],
            )
            .unwrap();
        assert_eq!(permissions(&mut cache), 5);
        let revision = |conn: &Connection| -> i64 {
            conn.query_row("SELECT n FROM verify_revision", [], |row| row.get(0))
                .unwrap()
        };
        other
            .execute(
                "INSERT INTO credentials (id, kind, name, description, token_hint, digest,
                                          created_at, expires_at)
                 VALUES (1, 'personal_access_token', 'n', '', 'ks_pat_x', x'00', 0, 1)",
                [],
            )
            .unwrap();
        let before = revision(&other);
        other
            .execute_batch(
                "INSERT INTO credential_usage (credential_id, last_used_at) VALUES (1, 5);
                 INSERT INTO credential_uses (credential_id, uses_left, period) VALUES (1, 5, 0);",
            )
            .unwrap();
        assert_eq!(revision(&other), before);
        other
            .execute("UPDATE users SET api_access = 0", [])
            .unwrap();
        assert_ne!(revision(&other), before);
        cache.refresh(&conn).unwrap();
        assert!(!cache.owner(&conn, Some(holder)).unwrap().api_access);
        assert!(cache.owner(&conn, None).unwrap().api_access);
    }

    fn store_holder(conn: &Connection) -> UserId {
        crate::people::store::account_holder(conn).unwrap()
    }
}
