//! What verification needs of a credential's owner — whether they have API access and which
//! permissions they hold now — cached between verifications. The cache is valid for one state
//! of the database file: SQLite's data version (`SQLITE_FCNTL_DATA_VERSION`) moves with every
//! change, made through this connection or committed by any other, in any process, so a change
//! to a user or a group applies to the very next verification.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, FileControl, OptionalExtension, MAIN_DB};

use super::{store, UserId};
use crate::error::Result;

/// An owner's access. The organization (no owner) always has access and holds the whole
/// permission catalogue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OwnerAccess {
    /// Their name; `None` for the organization.
    pub(crate) name: Option<String>,
    /// Whether the owner has the "API access" permission.
    pub(crate) api_access: bool,
    /// Their permissions, sorted bytewise.
    pub(crate) permissions: Vec<String>,
}

/// Owners' access as of one database state.
#[derive(Debug, Default)]
pub(crate) struct AccessCache {
    data_version: Option<u32>,
    owners: HashMap<Option<UserId>, Arc<OwnerAccess>>,
}

impl AccessCache {
    /// The access of `owner` (`None`: the organization), from the cache while the database
    /// is unchanged. Call it after a statement of `conn` has read the database: the data
    /// version is what that read saw.
    pub(crate) fn get(
        &mut self,
        conn: &Connection,
        owner: Option<UserId>,
    ) -> Result<Arc<OwnerAccess>> {
        let mut version = 0;
        conn.file_control(Some(MAIN_DB), FileControl::DataVersion(&mut version))?;
        if self.data_version != Some(version) {
            self.owners.clear();
            self.data_version = Some(version);
        }
        if let Some(access) = self.owners.get(&owner) {
            return Ok(Arc::clone(access));
        }
        let access = Arc::new(load(conn, owner)?);
        self.owners.insert(owner, Arc::clone(&access));
        Ok(access)
    }
}

fn load(conn: &Connection, owner: Option<UserId>) -> Result<OwnerAccess> {
    let Some(id) = owner else {
        return Ok(OwnerAccess {
            name: None,
            api_access: true,
            permissions: conn
                .prepare_cached("SELECT name FROM permissions ORDER BY name")?
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?,
        });
    };
    let (name, api_access) = conn
        .prepare_cached("SELECT name, api_access FROM users WHERE id = ?1")?
        .query_row([id.0], |row| Ok((Some(row.get(0)?), row.get(1)?)))
        .optional()?
        .unwrap_or((None, false));
    Ok(OwnerAccess {
        name,
        api_access,
        permissions: store::permissions_of(conn, id)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second connection's commit and this connection's own write both empty the cache.
    #[test]
    fn any_change_to_the_database_drops_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        crate::vault::migrate_for_tests(&mut conn);
        let other = Connection::open(&path).unwrap();
        let holder = store::account_holder(&conn).unwrap();
        let mut cache = AccessCache::default();
        // As in verification, a read of this connection comes first.
        let access = |cache: &mut AccessCache, owner| {
            conn.query_row("SELECT count(*) FROM users", [], |row| row.get::<_, i64>(0))
                .unwrap();
            cache.get(&conn, owner).unwrap()
        };
        assert_eq!(access(&mut cache, Some(holder)).permissions.len(), 6);

        other
            .execute(
                "DELETE FROM group_permissions WHERE permission = 'users:write'",
                [],
            )
            .unwrap();
        assert_eq!(access(&mut cache, Some(holder)).permissions.len(), 5);

        conn.execute("UPDATE users SET api_access = 0", []).unwrap();
        assert!(!access(&mut cache, Some(holder)).api_access);
        assert!(access(&mut cache, None).api_access);
    }
}
