//! The vault's schema, as numbered, append-only migrations tracked in `PRAGMA user_version`.
//! Never edit a migration that has shipped; add the next one.

use rusqlite::Connection;

use crate::error::Result;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: settings and pepper, credentials, the hash-chained audit log.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE credentials (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        kind         TEXT    NOT NULL,
        name         TEXT    NOT NULL,
        description  TEXT    NOT NULL,
        token_hint   TEXT    NOT NULL,
        digest       BLOB    NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        revoked_at   INTEGER,
        last_used_at INTEGER
    );
    CREATE UNIQUE INDEX credentials_unrevoked_name ON credentials (name)
        WHERE revoked_at IS NULL;
    -- Verify's hot path: one descent of this index answers it, without a second lookup in the
    -- table (the UNIQUE constraint above keeps guarding digest uniqueness).
    CREATE INDEX credentials_verify ON credentials (digest, id, kind, name, description,
        token_hint, created_at, expires_at, revoked_at, last_used_at);

    CREATE TABLE audit (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        at            INTEGER NOT NULL,
        actor         TEXT    NOT NULL,
        action        TEXT    NOT NULL,
        credential_id INTEGER,
        details       TEXT    NOT NULL,
        hash          BLOB    NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
    // 2: reversible disabling, and the link from a renewed credential to its predecessor.
    r#"
    ALTER TABLE credentials ADD COLUMN disabled_at INTEGER;
    ALTER TABLE credentials ADD COLUMN renewed_from INTEGER
        REFERENCES credentials (id) ON DELETE SET NULL;
    DROP INDEX credentials_verify;
    CREATE INDEX credentials_verify ON credentials (digest, id, kind, name, description,
        token_hint, created_at, expires_at, revoked_at, last_used_at, disabled_at,
        renewed_from);
    "#,
    // 3: the inventory's sort orders, so a page walks an index instead of sorting every row.
    r#"
    CREATE INDEX credentials_by_created ON credentials (created_at, id);
    CREATE INDEX credentials_by_expiry ON credentials (expires_at, id);
    CREATE INDEX credentials_by_name ON credentials (name COLLATE NOCASE, id);
    "#,
    // 4: auto-renewal settings, apart from the credential row that verification reads.
    r#"
    CREATE TABLE auto_renewals (
        credential_id      INTEGER PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
        days_before_expiry INTEGER NOT NULL,
        recipient          TEXT    NOT NULL,
        callback_url       TEXT
    );
    "#,
];

/// The schema version this build writes.
pub(crate) const CURRENT: u32 = MIGRATIONS.len() as u32;

/// The schema version of an open database.
pub(crate) fn version(conn: &Connection) -> Result<u32> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Applies every migration the database has not seen, each in its own transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let from = version(conn)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_database_upgrades_with_its_rows_intact() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO credentials (kind, name, description, token_hint, digest, created_at,
                                      expires_at)
             VALUES ('personal_access_token', 'old', '', 'ks_pat_abcd…', x'01', 1, 2)",
            [],
        )
        .unwrap();

        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT);
        let (name, disabled, renewed): (String, Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT name, disabled_at, renewed_from FROM credentials INDEXED BY
                 credentials_verify WHERE digest = x'01'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!((name.as_str(), disabled, renewed), ("old", None, None));
        // Running it again is a no-op.
        migrate(&mut conn).unwrap();
    }
}
