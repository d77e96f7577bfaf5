//! Whole copies of the vault's database, which re-key, backup and restore share: taking the
//! database for one connection alone, and exporting it with `sqlcipher_export` into a fresh
//! file under a key of the caller's choosing — never into an existing file, whose free pages
//! could still hold what an earlier key encrypted.

use std::fs;
use std::path::Path;

use rusqlite::Connection;
use zeroize::Zeroizing;

use super::{files, schema};
use crate::error::{Error, Result};
use crate::secret::DataKey;

/// Takes the database for `conn` alone until [`release_exclusive`] or the connection closes:
/// leaving WAL mode is allowed only to the last connection open on the file (another
/// process's, a server's handle), so it fails with [`Error::VaultInUse`] while any other is;
/// then an exclusive lock is taken and kept, so none can read or write meanwhile.
pub(crate) fn take_exclusive(conn: &Connection) -> Result<()> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))
        .map_err(|error| match Error::from(error) {
            Error::VaultBusy => Error::VaultInUse,
            other => other,
        })?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(Error::VaultInUse);
    }
    let locked = conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;");
    if let Err(error) = locked {
        // Someone opened it in between: give it back as it was.
        let _ = conn.execute_batch("ROLLBACK");
        release_exclusive(conn)?;
        return Err(match Error::from(error) {
            Error::VaultBusy => Error::VaultInUse,
            other => other,
        });
    }
    Ok(())
}

/// Gives the database back to everyone: normal locking and WAL again.
pub(crate) fn release_exclusive(conn: &Connection) -> Result<()> {
    conn.execute_batch("PRAGMA locking_mode = NORMAL;")?;
    let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    Ok(())
}

/// Writes the database of `conn`, as one consistent snapshot, into a new file at `target`
/// (private to this user; refused if it exists) encrypted with `key`, and makes it durable.
pub(crate) fn export_to(conn: &Connection, target: &Path, key: &DataKey) -> Result<()> {
    files::create_database_file(target)?;
    let written = export_into(conn, target, key);
    if written.is_err() {
        let _ = fs::remove_file(target);
    }
    written
}

fn export_into(conn: &Connection, target: &Path, key: &DataKey) -> Result<()> {
    let raw_key = Zeroizing::new(format!("x'{}'", hex::encode(key.expose())));
    let target_text = target
        .to_str()
        .ok_or_else(|| Error::Io(std::io::Error::other("the file's path is not UTF-8")))?;
    conn.execute(
        "ATTACH DATABASE ?1 AS export KEY ?2",
        (target_text, raw_key.as_str()),
    )?;
    // One read transaction: every table from the same moment, whatever writers do.
    let exported = conn.execute_batch("BEGIN").and_then(|()| {
        let version = schema::version(conn).map_err(|_| rusqlite::Error::InvalidQuery)?;
        conn.query_row("SELECT sqlcipher_export('export')", [], |_| Ok(()))?;
        conn.pragma_update(Some("export"), "user_version", version)?;
        conn.execute_batch("COMMIT")
    });
    if exported.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    let detached = conn.execute_batch("DETACH DATABASE export");
    exported?;
    detached?;
    fs::File::open(target)?.sync_all()?;
    files::sync_parent(target)?;
    Ok(())
}
