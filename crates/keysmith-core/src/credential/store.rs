//! The SQL of the `credentials` table, and nothing else.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};

use super::{Credential, CredentialId, CredentialQuery, NewCredential};
use crate::digest::TokenDigest;
use crate::error::{Error, Result};
use crate::token::TokenKind;

/// The columns [`from_row`] reads, as a macro so statements are `concat!`ed at compile time:
/// verify runs one per request and should not build its SQL text each time.
macro_rules! columns {
    () => {
        "id, kind, name, description, token_hint, created_at, expires_at, revoked_at, last_used_at, \
         disabled_at, renewed_from"
    };
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Credential> {
    let kind = row.get_ref(1)?.as_str()?;
    Ok(Credential {
        id: CredentialId(row.get(0)?),
        kind: TokenKind::from_name(kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("unknown credential kind {kind:?}").into(),
            )
        })?,
        name: row.get(2)?,
        description: row.get(3)?,
        token_hint: row.get(4)?,
        created_at: time(row.get(5)?),
        expires_at: time(row.get(6)?),
        revoked_at: row.get::<_, Option<i64>>(7)?.map(time),
        last_used_at: row.get::<_, Option<i64>>(8)?.map(time),
        disabled_at: row.get::<_, Option<i64>>(9)?.map(time),
        renewed_from: row.get::<_, Option<i64>>(10)?.map(CredentialId),
    })
}

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// What [`insert`] stores beside the validated fields.
pub(super) struct Stored<'a> {
    pub(super) kind: TokenKind,
    pub(super) token_hint: &'a str,
    pub(super) digest: &'a TokenDigest,
    pub(super) renewed_from: Option<CredentialId>,
}

/// Inserts a new credential; a clash on the unrevoked-name index is [`Error::DuplicateName`].
pub(super) fn insert(
    conn: &Connection,
    new: &NewCredential,
    stored: &Stored<'_>,
    now: DateTime<Utc>,
) -> Result<CredentialId> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO credentials (kind, name, description, token_hint, digest, created_at,
                                      expires_at, renewed_from)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute((
            stored.kind.as_str(),
            new.name.as_str(),
            new.description.as_str(),
            stored.token_hint,
            stored.digest.as_bytes().as_slice(),
            now.timestamp(),
            new.expiry.at().timestamp(),
            stored.renewed_from.map(|id| id.0),
        ));
    match inserted {
        Ok(_) => Ok(CredentialId(conn.last_insert_rowid())),
        Err(rusqlite::Error::SqliteFailure(e, Some(message)))
            if e.code == rusqlite::ErrorCode::ConstraintViolation
                && message.contains("credentials.name") =>
        {
            Err(Error::DuplicateName(new.name.as_str().to_owned()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The credential with `id`.
pub(super) fn get(conn: &Connection, id: CredentialId) -> Result<Credential> {
    conn.prepare_cached(concat!(
        "SELECT ",
        columns!(),
        " FROM credentials WHERE id = ?1"
    ))?
    .query_row([id.0], from_row)
    .optional()?
    .ok_or(Error::CredentialNotFound(id.0))
}

/// The credential stored under `digest`, if any. The stored digest is compared with `digest`
/// in constant time, in place.
pub(super) fn find_by_digest(
    conn: &Connection,
    digest: &TokenDigest,
) -> Result<Option<Credential>> {
    let found = conn
        .prepare_cached(concat!(
            "SELECT ",
            columns!(),
            ", digest FROM credentials INDEXED BY credentials_verify WHERE digest = ?1"
        ))?
        .query_row([digest.as_bytes().as_slice()], |row| {
            let stored = row.get_ref(11)?.as_blob()?;
            digest.matches(stored).then(|| from_row(row)).transpose()
        })
        .optional()?;
    Ok(found.flatten())
}

/// The credentials `query` selects, in its order.
pub(super) fn query(
    conn: &Connection,
    query: &CredentialQuery,
    now: DateTime<Utc>,
) -> Result<Vec<Credential>> {
    let (clauses, params) = query.to_sql(now);
    let sql = format!(
        concat!("SELECT ", columns!(), " FROM credentials{}"),
        clauses
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(rusqlite::params_from_iter(params), from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks a credential revoked at `now`; false when it was already revoked.
pub(super) fn mark_revoked(
    conn: &Connection,
    id: CredentialId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE credentials SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        )?
        .execute((id.0, now.timestamp()))?;
    Ok(changed == 1)
}

/// Sets or clears `disabled_at`; false when the credential was already in that state.
pub(super) fn set_disabled(
    conn: &Connection,
    id: CredentialId,
    disabled_at: Option<DateTime<Utc>>,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE credentials SET disabled_at = ?2
             WHERE id = ?1 AND (disabled_at IS NULL) = (?2 IS NOT NULL)",
        )?
        .execute((id.0, disabled_at.map(|at| at.timestamp())))?;
    Ok(changed == 1)
}

/// Replaces the description.
pub(super) fn set_description(
    conn: &Connection,
    id: CredentialId,
    description: &str,
) -> Result<()> {
    conn.prepare_cached("UPDATE credentials SET description = ?2 WHERE id = ?1")?
        .execute((id.0, description))?;
    Ok(())
}

/// Moves the expiry to `expires_at`.
pub(super) fn set_expiry(
    conn: &Connection,
    id: CredentialId,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached("UPDATE credentials SET expires_at = ?2 WHERE id = ?1")?
        .execute((id.0, expires_at.timestamp()))?;
    Ok(())
}

/// Removes the row; the audit log keeps its history.
pub(super) fn delete(conn: &Connection, id: CredentialId) -> Result<()> {
    conn.prepare_cached("DELETE FROM credentials WHERE id = ?1")?
        .execute([id.0])?;
    Ok(())
}

/// The credential that renewed `id`, if any.
pub(super) fn successor(conn: &Connection, id: CredentialId) -> Result<Option<CredentialId>> {
    Ok(conn
        .prepare_cached("SELECT id FROM credentials WHERE renewed_from = ?1")?
        .query_row([id.0], |row| row.get(0).map(CredentialId))
        .optional()?)
}
