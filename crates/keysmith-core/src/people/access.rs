//! What verification needs of a credential's owner: whether they have API access and which
//! permissions they hold now. Verification keeps it in memory for as long as nothing it reads
//! changes (see the credential module's `hot` cache).

use rusqlite::{Connection, OptionalExtension};

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

/// The access of `owner` (`None`: the organization) as the vault holds it now.
pub(crate) fn load(conn: &Connection, owner: Option<UserId>) -> Result<OwnerAccess> {
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
