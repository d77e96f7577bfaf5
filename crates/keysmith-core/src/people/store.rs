//! The SQL of users, groups and the two catalogues, and nothing else.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};

use super::{
    CatalogueEntry, Group, GroupId, GroupSpec, PermissionSource, Role, User, UserId, UserSpec,
};
use crate::clock::from_seconds;
use crate::error::{Error, Result};

/// One of the two catalogues an admin keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Catalogue {
    /// Permissions groups grant and credentials are scoped to.
    Permissions,
    /// Applications credentials may be used for.
    Applications,
}

impl Catalogue {
    fn table(self) -> &'static str {
        match self {
            Catalogue::Permissions => "permissions",
            Catalogue::Applications => "applications",
        }
    }

    /// The singular noun, for messages.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Catalogue::Permissions => "permission",
            Catalogue::Applications => "application",
        }
    }
}

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get(3)?;
    Ok(User {
        id: UserId(row.get(0)?),
        name: row.get(1)?,
        email: row.get(2)?,
        role: Role::from_name(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                format!("unknown role {role:?}").into(),
            )
        })?,
        api_access: row.get(4)?,
        api_access_blocked_by: Vec::new(),
        created_at: from_seconds(row.get(5)?),
        groups: Vec::new(),
        permissions: Vec::new(),
        permission_sources: Vec::new(),
        can_unlock: false,
    })
}

const USER_COLUMNS: &str = "id, name, email, role, api_access, created_at";

/// The user with `id`, with their groups and permissions.
pub(crate) fn user(conn: &Connection, id: UserId) -> Result<User> {
    let user = conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id.0], user_from_row)
        .optional()?
        .ok_or(Error::UserNotFound(id.0))?;
    with_memberships(conn, user)
}

/// Every user, by name.
pub(crate) fn users(conn: &Connection) -> Result<Vec<User>> {
    let users = conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY name COLLATE NOCASE, id"
        ))?
        .query_map([], user_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    users
        .into_iter()
        .map(|user| with_memberships(conn, user))
        .collect()
}

fn with_memberships(conn: &Connection, mut user: User) -> Result<User> {
    user.groups = conn
        .prepare_cached("SELECT group_id FROM group_members WHERE user_id = ?1 ORDER BY group_id")?
        .query_map([user.id.0], |row| row.get(0).map(GroupId))?
        .collect::<rusqlite::Result<_>>()?;
    user.api_access_blocked_by = conn
        .prepare_cached(
            "SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id
             WHERE m.user_id = ?1 AND g.blocks_api_access ORDER BY g.name COLLATE NOCASE",
        )?
        .query_map([user.id.0], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    user.permission_sources = permission_sources(conn, user.id)?;
    user.permissions = user
        .permission_sources
        .iter()
        .filter(|source| !source.granted_by.is_empty() && source.blocked_by.is_empty())
        .map(|source| source.permission.clone())
        .collect();
    Ok(user)
}

/// Every permission a user's groups grant or block, with the groups that do, sorted by
/// permission.
fn permission_sources(conn: &Connection, id: UserId) -> Result<Vec<PermissionSource>> {
    let mut sources: Vec<PermissionSource> = Vec::new();
    let rows = conn
        .prepare_cached(
            "SELECT p.permission, 0, g.name FROM group_members m
             JOIN group_permissions p ON p.group_id = m.group_id
             JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?1
             UNION ALL
             SELECT b.permission, 1, g.name FROM group_members m
             JOIN group_blocks b ON b.group_id = m.group_id
             JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?1
             ORDER BY 1, 3 COLLATE NOCASE",
        )?
        .query_map([id.0], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, bool>(1)?,
                row.get(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (permission, blocks, group) in rows {
        if sources
            .last()
            .is_none_or(|last| last.permission != permission)
        {
            sources.push(PermissionSource {
                permission,
                granted_by: Vec::new(),
                blocked_by: Vec::new(),
            });
        }
        let source = sources.last_mut().expect("pushed above");
        match blocks {
            false => source.granted_by.push(group),
            true => source.blocked_by.push(group),
        }
    }
    Ok(sources)
}

/// A user's effective permissions: those their groups grant and none of their groups blocks,
/// sorted bytewise.
pub(crate) fn permissions_of(conn: &Connection, id: UserId) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT p.permission FROM group_members m
             JOIN group_permissions p ON p.group_id = m.group_id WHERE m.user_id = ?1
             EXCEPT
             SELECT b.permission FROM group_members m
             JOIN group_blocks b ON b.group_id = m.group_id WHERE m.user_id = ?1
             ORDER BY 1",
        )?
        .query_map([id.0], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Whether a user has API access now: set on them, and blocked by none of their groups.
pub(crate) fn has_api_access(conn: &Connection, id: UserId) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT u.api_access AND NOT EXISTS (
                 SELECT 1 FROM group_members m JOIN groups g ON g.id = m.group_id
                 WHERE m.user_id = u.id AND g.blocks_api_access)
             FROM users u WHERE u.id = ?1",
        )?
        .query_row([id.0], |row| row.get(0))
        .optional()?
        .unwrap_or(false))
}

/// The one account holder.
pub(crate) fn account_holder(conn: &Connection) -> Result<UserId> {
    Ok(conn
        .prepare_cached("SELECT id FROM users WHERE role = 'account_holder'")?
        .query_row([], |row| row.get(0).map(UserId))?)
}

/// Maps a UNIQUE clash to [`Error::AlreadyExists`].
pub(crate) fn unique(
    result: rusqlite::Result<usize>,
    what: &'static str,
    name: &str,
) -> Result<usize> {
    match result {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            Err(Error::AlreadyExists {
                what,
                name: name.to_owned(),
            })
        }
        other => Ok(other?),
    }
}

/// Inserts a user.
pub(crate) fn insert_user(
    conn: &Connection,
    spec: &UserSpec,
    now: DateTime<Utc>,
) -> Result<UserId> {
    unique(
        conn.prepare_cached(
            "INSERT INTO users (name, email, role, api_access, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute((
            spec.name.as_str(),
            spec.email.as_str(),
            spec.role.as_str(),
            spec.api_access,
            now.timestamp(),
        )),
        "user",
        spec.email.as_str(),
    )?;
    Ok(UserId(conn.last_insert_rowid()))
}

/// Replaces a user's name, e-mail, role and API access.
pub(crate) fn update_user(conn: &Connection, id: UserId, spec: &UserSpec) -> Result<()> {
    unique(
        conn.prepare_cached(
            "UPDATE users SET name = ?2, email = ?3, role = ?4, api_access = ?5 WHERE id = ?1",
        )?
        .execute((
            id.0,
            spec.name.as_str(),
            spec.email.as_str(),
            spec.role.as_str(),
            spec.api_access,
        )),
        "user",
        spec.email.as_str(),
    )?;
    Ok(())
}

/// Moves the account holder's creation time (the vault's creation, by the vault's clock).
pub(crate) fn set_created_at(conn: &Connection, id: UserId, at: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "UPDATE users SET created_at = ?2 WHERE id = ?1",
        (id.0, at.timestamp()),
    )?;
    Ok(())
}

/// How many credentials (of any status) a user owns.
pub(crate) fn credentials_owned(conn: &Connection, id: UserId) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM credentials WHERE owner_id = ?1")?
        .query_row([id.0], |row| row.get(0))?)
}

/// Removes a user and their group memberships.
pub(crate) fn delete_user(conn: &Connection, id: UserId) -> Result<()> {
    conn.prepare_cached("DELETE FROM users WHERE id = ?1")?
        .execute([id.0])?;
    Ok(())
}

fn group_from_row(
    conn: &Connection,
    id: GroupId,
    name: String,
    blocks_api_access: bool,
) -> Result<Group> {
    let permissions_in = |table: &str| -> Result<Vec<String>> {
        Ok(conn
            .prepare_cached(&format!(
                "SELECT permission FROM {table} WHERE group_id = ?1 ORDER BY permission"
            ))?
            .query_map([id.0], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    };
    let permissions = permissions_in("group_permissions")?;
    let blocks = permissions_in("group_blocks")?;
    let members = conn
        .prepare_cached("SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY user_id")?
        .query_map([id.0], |row| row.get(0).map(UserId))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Group {
        id,
        name,
        permissions,
        blocks,
        blocks_api_access,
        members,
    })
}

/// The group with `id`.
pub(crate) fn group(conn: &Connection, id: GroupId) -> Result<Group> {
    let (name, blocks_api_access) = conn
        .prepare_cached("SELECT name, blocks_api_access FROM groups WHERE id = ?1")?
        .query_row([id.0], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or(Error::GroupNotFound(id.0))?;
    group_from_row(conn, id, name, blocks_api_access)
}

/// Every group, by name.
pub(crate) fn groups(conn: &Connection) -> Result<Vec<Group>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, name, blocks_api_access FROM groups ORDER BY name COLLATE NOCASE, id",
        )?
        .query_map([], |row| {
            Ok((GroupId(row.get(0)?), row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, name, blocks_api_access)| group_from_row(conn, id, name, blocks_api_access))
        .collect()
}

/// Writes a group: a new one when `id` is `None`, else replaces that group's name, grants,
/// blocks and members. The caller has checked that every permission and member exists.
pub(crate) fn save_group(
    conn: &Connection,
    id: Option<GroupId>,
    spec: &GroupSpec,
) -> Result<GroupId> {
    let (name, blocks_api_access) = (spec.name.as_str(), spec.blocks_api_access);
    let id = match id {
        None => {
            unique(
                conn.execute(
                    "INSERT INTO groups (name, blocks_api_access) VALUES (?1, ?2)",
                    (name, blocks_api_access),
                ),
                "group",
                name,
            )?;
            GroupId(conn.last_insert_rowid())
        }
        Some(id) => {
            unique(
                conn.execute(
                    "UPDATE groups SET name = ?2, blocks_api_access = ?3 WHERE id = ?1",
                    (id.0, name, blocks_api_access),
                ),
                "group",
                name,
            )?;
            for table in ["group_permissions", "group_blocks", "group_members"] {
                conn.execute(&format!("DELETE FROM {table} WHERE group_id = ?1"), [id.0])?;
            }
            id
        }
    };
    for (table, permissions) in [
        ("group_permissions", &spec.permissions),
        ("group_blocks", &spec.blocks),
    ] {
        for permission in permissions {
            conn.execute(
                &format!("INSERT OR IGNORE INTO {table} (group_id, permission) VALUES (?1, ?2)"),
                (id.0, permission.as_str()),
            )?;
        }
    }
    for member in &spec.members {
        conn.execute(
            "INSERT OR IGNORE INTO group_members (user_id, group_id) VALUES (?1, ?2)",
            (member.0, id.0),
        )?;
    }
    Ok(id)
}

/// Removes a group; its members lose what it granted.
pub(crate) fn delete_group(conn: &Connection, id: GroupId) -> Result<()> {
    conn.execute("DELETE FROM groups WHERE id = ?1", [id.0])?;
    Ok(())
}

/// A catalogue's entries, by name.
pub(crate) fn catalogue(conn: &Connection, catalogue: Catalogue) -> Result<Vec<CatalogueEntry>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT name, description FROM {} ORDER BY name COLLATE NOCASE",
            catalogue.table()
        ))?
        .query_map([], |row| {
            Ok(CatalogueEntry {
                name: row.get(0)?,
                description: row.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// Whether a catalogue holds `name`.
pub(crate) fn contains(conn: &Connection, catalogue: Catalogue, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT 1 FROM {} WHERE name = ?1",
            catalogue.table()
        ))?
        .query_row([name], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Adds an entry to a catalogue.
pub(crate) fn add_entry(
    conn: &Connection,
    catalogue: Catalogue,
    name: &str,
    description: &str,
) -> Result<()> {
    unique(
        conn.execute(
            &format!(
                "INSERT INTO {} (name, description) VALUES (?1, ?2)",
                catalogue.table()
            ),
            (name, description),
        ),
        catalogue.noun(),
        name,
    )?;
    Ok(())
}

/// Removes an entry from a catalogue; false when it was not there.
pub(crate) fn remove_entry(conn: &Connection, catalogue: Catalogue, name: &str) -> Result<bool> {
    let removed = conn.execute(
        &format!("DELETE FROM {} WHERE name = ?1", catalogue.table()),
        [name],
    )?;
    Ok(removed == 1)
}

/// How many unrevoked, unexpired credentials may be used for the application `name`.
pub(crate) fn live_credentials_for_application(
    conn: &Connection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM credentials
         WHERE revoked_at IS NULL AND expires_at > ?2
           AND instr(char(10) || applications || char(10), char(10) || ?1 || char(10)) > 0",
        (name, now.timestamp()),
        |row| row.get(0),
    )?)
}
