//! The SQL of users, groups and the two catalogues, and nothing else.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};

use super::{CatalogueEntry, Group, GroupId, GroupSpec, Role, User, UserId, UserSpec};
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
        created_at: from_seconds(row.get(5)?),
        groups: Vec::new(),
        permissions: Vec::new(),
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
    user.permissions = permissions_of(conn, user.id)?;
    Ok(user)
}

/// A user's permissions: the union of their groups' permissions, sorted.
pub(crate) fn permissions_of(conn: &Connection, id: UserId) -> Result<Vec<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT p.permission FROM group_members m
             JOIN group_permissions p ON p.group_id = m.group_id
             WHERE m.user_id = ?1 ORDER BY 1",
        )?
        .query_map([id.0], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// The one account holder.
pub(crate) fn account_holder(conn: &Connection) -> Result<UserId> {
    Ok(conn
        .prepare_cached("SELECT id FROM users WHERE role = 'account_holder'")?
        .query_row([], |row| row.get(0).map(UserId))?)
}

/// Maps a UNIQUE clash to [`Error::AlreadyExists`].
fn unique(result: rusqlite::Result<usize>, what: &'static str, name: &str) -> Result<usize> {
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

fn group_from_row(conn: &Connection, id: GroupId, name: String) -> Result<Group> {
    let permissions = conn
        .prepare_cached(
            "SELECT permission FROM group_permissions WHERE group_id = ?1 ORDER BY permission",
        )?
        .query_map([id.0], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let members = conn
        .prepare_cached("SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY user_id")?
        .query_map([id.0], |row| row.get(0).map(UserId))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Group {
        id,
        name,
        permissions,
        members,
    })
}

/// The group with `id`.
pub(crate) fn group(conn: &Connection, id: GroupId) -> Result<Group> {
    let name: String = conn
        .prepare_cached("SELECT name FROM groups WHERE id = ?1")?
        .query_row([id.0], |row| row.get(0))
        .optional()?
        .ok_or(Error::GroupNotFound(id.0))?;
    group_from_row(conn, id, name)
}

/// Every group, by name.
pub(crate) fn groups(conn: &Connection) -> Result<Vec<Group>> {
    let rows = conn
        .prepare_cached("SELECT id, name FROM groups ORDER BY name COLLATE NOCASE, id")?
        .query_map([], |row| Ok((GroupId(row.get(0)?), row.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, name)| group_from_row(conn, id, name))
        .collect()
}

/// Writes a group: a new one when `id` is `None`, else replaces that group's name,
/// permissions and members. The caller has checked that every permission and member exists.
pub(crate) fn save_group(
    conn: &Connection,
    id: Option<GroupId>,
    spec: &GroupSpec,
) -> Result<GroupId> {
    let name = spec.name.as_str();
    let id = match id {
        None => {
            unique(
                conn.execute("INSERT INTO groups (name) VALUES (?1)", [name]),
                "group",
                name,
            )?;
            GroupId(conn.last_insert_rowid())
        }
        Some(id) => {
            unique(
                conn.execute("UPDATE groups SET name = ?2 WHERE id = ?1", (id.0, name)),
                "group",
                name,
            )?;
            conn.execute("DELETE FROM group_permissions WHERE group_id = ?1", [id.0])?;
            conn.execute("DELETE FROM group_members WHERE group_id = ?1", [id.0])?;
            id
        }
    };
    for permission in &spec.permissions {
        conn.execute(
            "INSERT OR IGNORE INTO group_permissions (group_id, permission) VALUES (?1, ?2)",
            (id.0, permission.as_str()),
        )?;
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
