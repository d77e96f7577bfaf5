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
    /// Whether the owner has API access now (set on them, blocked by none of their groups).
    pub(crate) api_access: bool,
    /// Their effective permissions (granted, not blocked), sorted bytewise.
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
    let name = conn
        .prepare_cached("SELECT name FROM users WHERE id = ?1")?
        .query_row([id.0], |row| row.get(0))
        .optional()?;
    Ok(OwnerAccess {
        name,
        api_access: store::has_api_access(conn, id)?,
        permissions: store::permissions_of(conn, id)?,
    })
}

/// The id and stored e-mail address of the user whose e-mail address (their login name) is
/// `email`, in any case.
pub(crate) fn user_by_email(conn: &Connection, email: &str) -> Result<Option<(UserId, String)>> {
    Ok(conn
        .prepare_cached("SELECT id, email FROM users WHERE email = ?1")?
        .query_row([email.trim()], |row| Ok((UserId(row.get(0)?), row.get(1)?)))
        .optional()?)
}
