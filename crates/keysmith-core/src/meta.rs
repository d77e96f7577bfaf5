//! The vault's `meta` table: small named values (settings, the pepper, SMTP, the backup
//! schedule) read and written by key, in the caller's connection or transaction.

use rusqlite::{Connection, OptionalExtension};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::Result;

/// The value stored under `key`, if any.
pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?)
}

/// Stores `value` under `key`, replacing what was there.
pub(crate) fn put(conn: &Connection, key: &str, value: Vec<u8>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute((key, value))?;
    Ok(())
}

/// Removes what is stored under `key`, if anything.
pub(crate) fn remove(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM meta WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

/// The JSON value stored under `key`; `None` when there is none or it no longer reads as `T`.
pub(crate) fn get_json<T: DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>> {
    Ok(get(conn, key)?.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Stores `value` as JSON under `key`.
pub(crate) fn put_json(conn: &Connection, key: &str, value: &impl Serialize) -> Result<()> {
    put(conn, key, serde_json::to_vec(value).unwrap_or_default())
}
