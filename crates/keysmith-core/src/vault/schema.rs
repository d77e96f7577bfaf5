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
    // 5: people and permissions. Users (exactly one account holder), groups granting
    // permissions from a catalogue, the applications catalogue; every credential gets an owner
    // (none for organization tokens), rights, a rate limit, its scopes and applications (fixed
    // at issue, so kept in the row, newline-separated) and, for client credentials, a client
    // ID. Names are unique per owner. A new vault starts with a small catalogue and an
    // "Administrators" group holding all of it, the account holder its one member; existing
    // credentials become the account holder's.
    r#"
    CREATE TABLE users (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        name       TEXT    NOT NULL,
        email      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
        role       TEXT    NOT NULL CHECK (role IN ('account_holder', 'admin', 'member')),
        api_access INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX users_one_account_holder ON users (role) WHERE role = 'account_holder';

    CREATE TABLE permissions (
        name        TEXT PRIMARY KEY,
        description TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE applications (
        name        TEXT PRIMARY KEY,
        description TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE groups (
        id   INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE
    );
    CREATE TABLE group_permissions (
        group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
        permission TEXT    NOT NULL REFERENCES permissions (name) ON DELETE CASCADE,
        PRIMARY KEY (group_id, permission)
    ) WITHOUT ROWID;
    CREATE TABLE group_members (
        user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, group_id)
    ) WITHOUT ROWID;

    INSERT INTO users (name, email, role, api_access, created_at)
        VALUES ('Account holder', 'holder@keysmith.invalid', 'account_holder', 1,
                CAST(strftime('%s', 'now') AS INTEGER));
    INSERT INTO permissions (name, description) VALUES
        ('payables:read', 'Read payables'),
        ('payables:write', 'Create and change payables'),
        ('suppliers:read', 'Read suppliers'),
        ('suppliers:write', 'Create and change suppliers'),
        ('users:read', 'Read users'),
        ('users:write', 'Create and change users');
    INSERT INTO applications (name, description) VALUES ('Internal tools', 'Services run by the company');
    INSERT INTO groups (name) VALUES ('Administrators');
    INSERT INTO group_permissions (group_id, permission)
        SELECT groups.id, permissions.name FROM groups, permissions;
    INSERT INTO group_members (user_id, group_id) SELECT users.id, groups.id FROM users, groups;

    ALTER TABLE credentials ADD COLUMN owner_id INTEGER REFERENCES users (id);
    ALTER TABLE credentials ADD COLUMN rights TEXT NOT NULL DEFAULT 'read_write';
    ALTER TABLE credentials ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 30;
    ALTER TABLE credentials ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
    ALTER TABLE credentials ADD COLUMN applications TEXT NOT NULL DEFAULT '';
    ALTER TABLE credentials ADD COLUMN client_id TEXT;
    UPDATE credentials SET owner_id = (SELECT id FROM users);
    CREATE UNIQUE INDEX credentials_client_id ON credentials (client_id)
        WHERE client_id IS NOT NULL;
    CREATE INDEX credentials_by_owner ON credentials (owner_id, id);
    DROP INDEX credentials_unrevoked_name;
    CREATE UNIQUE INDEX credentials_unrevoked_name ON credentials (ifnull(owner_id, 0), name)
        WHERE revoked_at IS NULL;
    -- Verify's hot path reads the whole row: the covering index grows with it, so one descent
    -- still answers it.
    DROP INDEX credentials_verify;
    CREATE INDEX credentials_verify ON credentials (digest, kind, name, description, token_hint,
        created_at, expires_at, revoked_at, last_used_at, disabled_at, renewed_from, owner_id,
        scopes, rights, applications, rate_limit, client_id);
    "#,
    // 6: short-lived access tokens from the client-credentials exchange, apart from the
    // inventory: each points at the client credentials it was exchanged for and dies with them.
    // "Last used" moves to a narrow table of its own: a server records thousands of uses a
    // second, and writing them into the credential rows (and their covering index) would churn
    // the pages every verification reads.
    r#"
    CREATE TABLE access_tokens (
        digest        BLOB    PRIMARY KEY,
        credential_id INTEGER NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX access_tokens_by_credential ON access_tokens (credential_id);
    CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);

    CREATE TABLE credential_usage (
        credential_id INTEGER PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
        last_used_at  INTEGER NOT NULL
    );
    INSERT INTO credential_usage (credential_id, last_used_at)
        SELECT id, last_used_at FROM credentials WHERE last_used_at IS NOT NULL;
    DROP INDEX credentials_verify;
    ALTER TABLE credentials DROP COLUMN last_used_at;
    CREATE INDEX credentials_verify ON credentials (digest, kind, name, description, token_hint,
        created_at, expires_at, revoked_at, disabled_at, renewed_from, owner_id, scopes, rights,
        applications, rate_limit, client_id);
    "#,
    // 7: a renewed credential steps aside, so its successor may keep its name: names are
    // unique among an owner's credentials that are neither revoked nor renewed.
    r#"
    ALTER TABLE credentials ADD COLUMN renewed_at INTEGER;
    UPDATE credentials SET renewed_at = (
        SELECT successor.created_at FROM credentials successor
        WHERE successor.renewed_from = credentials.id
    )
    WHERE id IN (SELECT renewed_from FROM credentials WHERE renewed_from IS NOT NULL);
    DROP INDEX credentials_unrevoked_name;
    CREATE UNIQUE INDEX credentials_current_name ON credentials (ifnull(owner_id, 0), name)
        WHERE revoked_at IS NULL AND renewed_at IS NULL;
    "#,
    // 8: every inventory order walks an index (see credential::query). Status depends on the
    // clock, so it is served by expiry split at revocation: live credentials by expiry (active,
    // disabled and expired are ranges of it; the disabled mark rides along so neither filter
    // reads the table), revoked ones by expiry. The owner order walks users by name, the
    // last-use order the usage table by time. The audit log's page filters walk an index each.
    r#"
    CREATE INDEX credentials_by_kind ON credentials (kind, id);
    CREATE INDEX credentials_live_by_expiry ON credentials (expires_at, id, disabled_at)
        WHERE revoked_at IS NULL;
    CREATE INDEX credentials_revoked_by_expiry ON credentials (expires_at, id)
        WHERE revoked_at IS NOT NULL;
    CREATE INDEX users_by_name ON users (name COLLATE NOCASE, id);
    CREATE INDEX credential_usage_by_time ON credential_usage (last_used_at, credential_id);
    CREATE INDEX audit_by_actor ON audit (actor, seq);
    CREATE INDEX audit_by_action ON audit (action, seq);
    CREATE INDEX audit_by_credential ON audit (credential_id, seq);
    "#,
    // 9: a search that few credentials match reads indexes instead of every row: a trigram
    // index of the texts searched (any three characters of a name, description or client ID
    // find it), kept by triggers, and the token hints (a pasted token is found by its prefix,
    // case-insensitively as LIKE compares).
    r#"
    CREATE VIRTUAL TABLE credential_search USING fts5 (name, description, client_id,
        tokenize = 'trigram');
    INSERT INTO credential_search (rowid, name, description, client_id)
        SELECT id, name, description, client_id FROM credentials;
    CREATE TRIGGER credential_search_insert AFTER INSERT ON credentials BEGIN
        INSERT INTO credential_search (rowid, name, description, client_id)
            VALUES (new.id, new.name, new.description, new.client_id);
    END;
    CREATE TRIGGER credential_search_update AFTER UPDATE OF name, description, client_id
        ON credentials BEGIN
        UPDATE credential_search
            SET name = new.name, description = new.description, client_id = new.client_id
            WHERE rowid = new.id;
    END;
    CREATE TRIGGER credential_search_delete AFTER DELETE ON credentials BEGIN
        DELETE FROM credential_search WHERE rowid = old.id;
    END;
    CREATE INDEX credentials_by_hint ON credentials (token_hint COLLATE NOCASE);
    "#,
    // 10: webhooks. Each webhook's events ('*' for all), custom headers (hidden values are
    // write-only above this table) and signing secrets (a rolled one signs beside its
    // successor until `retires_at`); the outbox: a message per event, written in the
    // transaction of the change it reports with the webhooks it is for (`targets`, until
    // delivery gives it a delivery row per webhook: issuing stays cheap) — or, for a renewal's
    // callback, one delivery straight to its URL (`callback_url`, no webhook); the lease
    // that lets one process at a time deliver; how far expiry has been scanned for events.
    r#"
    CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        enabled INTEGER NOT NULL DEFAULT 1,
        disabled_reason TEXT,
        basic_user TEXT,
        basic_password TEXT,
        created_at INTEGER NOT NULL,
        failing_since INTEGER
    );
    CREATE TABLE webhook_events (
        event TEXT NOT NULL,
        webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        PRIMARY KEY (event, webhook_id)
    ) WITHOUT ROWID;
    CREATE INDEX webhook_events_by_webhook ON webhook_events (webhook_id);
    CREATE TABLE webhook_headers (
        webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        hidden INTEGER NOT NULL,
        PRIMARY KEY (webhook_id, position)
    ) WITHOUT ROWID;
    CREATE TABLE webhook_secrets (
        id INTEGER PRIMARY KEY,
        webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        secret BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        retires_at INTEGER
    );
    CREATE INDEX webhook_secrets_by_webhook ON webhook_secrets (webhook_id);
    CREATE TABLE webhook_messages (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL,
        event TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        payload TEXT NOT NULL,
        targets TEXT
    );
    CREATE INDEX webhook_messages_to_fan_out ON webhook_messages (id) WHERE targets IS NOT NULL;
    CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY,
        webhook_id INTEGER REFERENCES webhooks (id) ON DELETE CASCADE,
        callback_url TEXT,
        message_id INTEGER NOT NULL REFERENCES webhook_messages (id),
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        step INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        last_response TEXT
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
        WHERE state = 'pending';
    CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
    CREATE INDEX webhook_deliveries_by_message ON webhook_deliveries (message_id);
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE expiry_scan (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        scanned_to INTEGER NOT NULL
    );
    "#,
    // 11: auto-renewal runs every x days from issue instead of x days before expiry: each
    // stored setting becomes the period that renews at the same moment (its lifetime less
    // the days before expiry, at least a day).
    r#"
    CREATE TABLE auto_renewals_by_period (
        credential_id INTEGER PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
        every_days    INTEGER NOT NULL,
        recipient     TEXT    NOT NULL,
        callback_url  TEXT
    );
    INSERT INTO auto_renewals_by_period (credential_id, every_days, recipient, callback_url)
        SELECT a.credential_id,
               max(1, (c.expires_at - c.created_at) / 86400 - a.days_before_expiry),
               a.recipient, a.callback_url
        FROM auto_renewals a JOIN credentials c ON c.id = a.credential_id;
    DROP TABLE auto_renewals;
    ALTER TABLE auto_renewals_by_period RENAME TO auto_renewals;
    "#,
    // 12: the renewal service. A successor's secret waits here, inside the vault, until it is
    // handed over or its claim key redeemed (then it is wiped); a claim key is kept as its
    // keyed digest, like a token; a renewal that failed (its owner lost API access, say) says
    // why and is tried again an hour later; renewal mail waits in its outbox.
    r#"
    CREATE TABLE renewal_handovers (
        successor_id   INTEGER PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
        predecessor_id INTEGER NOT NULL,
        token          TEXT,
        renewed_at     INTEGER NOT NULL,
        handed_over_at INTEGER,
        callback_url   TEXT,
        claim_sent_at  INTEGER
    );
    CREATE TABLE renewal_claims (
        digest       BLOB PRIMARY KEY,
        successor_id INTEGER NOT NULL
                     REFERENCES renewal_handovers (successor_id) ON DELETE CASCADE,
        expires_at   INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX renewal_claims_by_successor ON renewal_claims (successor_id);
    CREATE TABLE mail_outbox (
        id              INTEGER PRIMARY KEY,
        created_at      INTEGER NOT NULL,
        recipient       TEXT    NOT NULL,
        subject         TEXT    NOT NULL,
        body            TEXT    NOT NULL,
        sent_at         INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        next_attempt_at INTEGER NOT NULL
    );
    ALTER TABLE auto_renewals ADD COLUMN last_failure TEXT;
    ALTER TABLE auto_renewals ADD COLUMN last_failed_at INTEGER;
    "#,
    // 13: verify names a renewed token's successor while the old one is still good (its grace).
    // The renewed mark joins the covering index, so the hot path learns from the same descent
    // whether there is a successor to look up; the lookup walks an index of predecessors.
    r#"
    CREATE INDEX credentials_by_predecessor ON credentials (renewed_from)
        WHERE renewed_from IS NOT NULL;
    DROP INDEX credentials_verify;
    CREATE INDEX credentials_verify ON credentials (digest, kind, name, description, token_hint,
        created_at, expires_at, revoked_at, disabled_at, renewed_from, owner_id, scopes, rights,
        applications, rate_limit, client_id, renewed_at);
    "#,
    // 14: OAuth apps and connections. Client secrets, codes and tokens are kept as keyed
    // digests. A request waits under its user code for a decision; approval makes a grant; a
    // grant's tokens stay after it is revoked (verification says why they are refused) until
    // they expire; a spent refresh token stays until then too, to catch its reuse.
    r#"
    CREATE TABLE oauth_apps (
        id            INTEGER PRIMARY KEY,
        name          TEXT    NOT NULL UNIQUE,
        description   TEXT    NOT NULL,
        client_id     TEXT    NOT NULL UNIQUE,
        secret_digest BLOB,
        redirect_uris TEXT    NOT NULL,
        scopes        TEXT    NOT NULL,
        applications  TEXT    NOT NULL,
        created_at    INTEGER NOT NULL,
        disabled_at   INTEGER
    );
    CREATE TABLE oauth_grants (
        id           INTEGER PRIMARY KEY,
        app_id       INTEGER NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
        user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scopes       TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        approved_by  TEXT    NOT NULL,
        revoked_at   INTEGER,
        last_used_at INTEGER
    );
    CREATE INDEX oauth_grants_by_user ON oauth_grants (user_id, created_at);
    CREATE INDEX oauth_grants_by_app ON oauth_grants (app_id, created_at);
    CREATE TABLE oauth_requests (
        id              TEXT    PRIMARY KEY,
        app_id          INTEGER NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
        user_code       TEXT    NOT NULL UNIQUE,
        flow            TEXT    NOT NULL,
        scopes          TEXT    NOT NULL,
        redirect_uri    TEXT,
        state           TEXT,
        code_challenge  TEXT,
        device_digest   BLOB    UNIQUE,
        created_at      INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        polled_at       INTEGER,
        poll_interval   INTEGER NOT NULL,
        decision        TEXT,
        grant_id        INTEGER REFERENCES oauth_grants (id) ON DELETE CASCADE,
        code_digest     BLOB    UNIQUE,
        code_expires_at INTEGER,
        code_used_at    INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX oauth_requests_by_expiry ON oauth_requests (expires_at);
    CREATE TABLE oauth_tokens (
        digest     BLOB    PRIMARY KEY,
        grant_id   INTEGER NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
        refresh    INTEGER NOT NULL,
        scopes     TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        spent_at   INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX oauth_tokens_by_grant ON oauth_tokens (grant_id);
    CREATE INDEX oauth_tokens_by_expiry ON oauth_tokens (expires_at);
    "#,
    // 15: expiry reminders for the desktop, raised by the expiry scan beside its webhook
    // events (7 and 1 days ahead, 0 once expired), and which operator has been shown which.
    r#"
    CREATE TABLE expiry_reminders (
        credential_id INTEGER NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
        days_left     INTEGER NOT NULL,
        raised_at     INTEGER NOT NULL,
        PRIMARY KEY (credential_id, days_left)
    ) WITHOUT ROWID;
    CREATE INDEX expiry_reminders_by_age ON expiry_reminders (raised_at);
    CREATE TABLE expiry_reminders_seen (
        user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        credential_id INTEGER NOT NULL,
        days_left     INTEGER NOT NULL,
        PRIMARY KEY (user_id, credential_id, days_left),
        FOREIGN KEY (credential_id, days_left)
            REFERENCES expiry_reminders (credential_id, days_left) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX expiry_reminders_seen_by_reminder
        ON expiry_reminders_seen (credential_id, days_left);
    "#,
    // 16: usage limits and IP allowlists. The limit and the allowlist join the covering index
    // (verify reads them in the same descent); the uses left are kept apart, written by the
    // leases of whoever verifies, so those writes never touch the index. And the revision of
    // what verification reads, which lets it keep credentials and owners in memory.
    r#"
    ALTER TABLE credentials ADD COLUMN max_uses INTEGER;
    ALTER TABLE credentials ADD COLUMN refill TEXT;
    ALTER TABLE credentials ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';
    DROP INDEX credentials_verify;
    CREATE INDEX credentials_verify ON credentials (digest, kind, name, description, token_hint,
        created_at, expires_at, revoked_at, disabled_at, renewed_from, owner_id, scopes, rights,
        applications, rate_limit, client_id, renewed_at, max_uses, refill, allowed_ips);
    CREATE TABLE credential_uses (
        credential_id INTEGER PRIMARY KEY REFERENCES credentials (id) ON DELETE CASCADE,
        uses_left     INTEGER NOT NULL,
        period        INTEGER NOT NULL
    );
    -- What verification reads (credentials, their owners, the permissions they hold, the
    -- trusted proxies) moves this number; nothing else does (uses, "last used", the audit
    -- log): verification keeps what it read in memory for as long as it stays put.
    CREATE TABLE verify_revision (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        n  INTEGER NOT NULL
    );
    INSERT INTO verify_revision (id, n) VALUES (1, 0);
    CREATE TRIGGER credentials_insert_revises AFTER INSERT ON credentials
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER credentials_update_revises AFTER UPDATE ON credentials
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER credentials_delete_revises AFTER DELETE ON credentials
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER users_insert_revises AFTER INSERT ON users
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER users_update_revises AFTER UPDATE ON users
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER users_delete_revises AFTER DELETE ON users
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER permissions_insert_revises AFTER INSERT ON permissions
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER permissions_update_revises AFTER UPDATE ON permissions
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER permissions_delete_revises AFTER DELETE ON permissions
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER group_permissions_insert_revises AFTER INSERT ON group_permissions
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER group_permissions_update_revises AFTER UPDATE ON group_permissions
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER group_permissions_delete_revises AFTER DELETE ON group_permissions
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER group_members_insert_revises AFTER INSERT ON group_members
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER group_members_update_revises AFTER UPDATE ON group_members
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER group_members_delete_revises AFTER DELETE ON group_members
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER trusted_proxies_insert_revises AFTER INSERT ON meta
        WHEN new.key = 'trusted_proxies'
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER trusted_proxies_update_revises AFTER UPDATE ON meta
        WHEN new.key = 'trusted_proxies' OR old.key = 'trusted_proxies'
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER trusted_proxies_delete_revises AFTER DELETE ON meta
        WHEN old.key = 'trusted_proxies'
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    "#,
    // 17: groups block permissions (and API access) as well as grant them; a block beats any
    // grant. Both move the verify revision like the grants do.
    r#"
    ALTER TABLE groups ADD COLUMN blocks_api_access INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE group_blocks (
        group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
        permission TEXT    NOT NULL REFERENCES permissions (name) ON DELETE CASCADE,
        PRIMARY KEY (group_id, permission)
    ) WITHOUT ROWID;
    CREATE TRIGGER group_blocks_insert_revises AFTER INSERT ON group_blocks
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER group_blocks_update_revises AFTER UPDATE ON group_blocks
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER group_blocks_delete_revises AFTER DELETE ON group_blocks
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    CREATE TRIGGER groups_blocks_api_access_revises AFTER UPDATE OF blocks_api_access ON groups
        BEGIN UPDATE verify_revision SET n = n + 1; END;
    "#,
    // 18: the team vault. Invitations, kept as the keyed digest of their secret, each for one
    // user, used once within its day; devices, each an Ed25519 public key a user works from,
    // removed by deleting the row (their user's rows in the audit log keep their name).
    r#"
    CREATE TABLE invitations (
        id         INTEGER PRIMARY KEY,
        digest     BLOB    NOT NULL UNIQUE,
        user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_by TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER
    );
    CREATE TABLE devices (
        id           INTEGER PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name         TEXT    NOT NULL,
        public_key   BLOB    NOT NULL UNIQUE,
        joined_at    INTEGER NOT NULL,
        last_seen_at INTEGER,
        last_address TEXT
    );
    CREATE INDEX devices_by_user ON devices (user_id);
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

    /// Credentials renewed before version 7 step aside as they are upgraded: the successor
    /// may take the renewed one's name, and current names stay unique.
    #[test]
    fn renewed_credentials_step_aside_in_version_7() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..6] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 6).unwrap();
        let insert = "INSERT INTO credentials (kind, name, description, token_hint, digest,
                          created_at, expires_at, renewed_from, owner_id, scopes, rights,
                          applications, rate_limit)
                      VALUES ('personal_access_token', ?1, '', 'ks_pat_abcd…', ?2, ?3, 99, ?4, 1,
                              '', 'read', '', 30)";
        conn.execute(insert, ("sync", [1u8], 10, None::<i64>))
            .unwrap();
        conn.execute(insert, ("sync 2", [2u8], 20, Some(1)))
            .unwrap();

        migrate(&mut conn).unwrap();
        let renewed_at = |id: i64| -> Option<i64> {
            conn.query_row(
                "SELECT renewed_at FROM credentials WHERE id = ?1",
                [id],
                |row| row.get(0),
            )
            .unwrap()
        };
        assert_eq!((renewed_at(1), renewed_at(2)), (Some(20), None));
        conn.execute(insert, ("sync", [3u8], 30, Some(2))).unwrap();
        let clash = conn.execute(insert, ("sync 2", [4u8], 40, None::<i64>));
        assert!(clash.is_err(), "two current credentials named \"sync 2\"");
    }

    /// Version 11 turns "days before expiry" into the period that renews at the same moment.
    #[test]
    fn auto_renewal_settings_become_periods_in_version_11() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..10] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 10).unwrap();
        let day = 86_400;
        conn.execute(
            "INSERT INTO credentials (kind, name, description, token_hint, digest, created_at,
                 expires_at, owner_id, scopes, rights, applications, rate_limit)
             VALUES ('personal_access_token', ?1, '', 'ks_pat_abcd…', ?2, 0, ?3, 1, '', 'read',
                     '', 30)",
            ("monthly", [1u8], 30 * day),
        )
        .unwrap();
        conn.execute(
            "INSERT INTO auto_renewals (credential_id, days_before_expiry, recipient)
             VALUES (1, 7, 'ops@example.com')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (every, recipient): (i64, String) = conn
            .query_row(
                "SELECT every_days, recipient FROM auto_renewals WHERE credential_id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!((every, recipient.as_str()), (23, "ops@example.com"));
    }

    #[test]
    fn a_version_1_database_upgrades_with_its_rows_intact() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO credentials (kind, name, description, token_hint, digest, created_at,
                                      expires_at, last_used_at)
             VALUES ('personal_access_token', 'old', '', 'ks_pat_abcd…', x'01', 1, 2, 7)",
            [],
        )
        .unwrap();

        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT);
        let (name, disabled, renewed): (String, Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT name, disabled_at, renewed_from FROM credentials WHERE digest = x'01'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!((name.as_str(), disabled, renewed), ("old", None, None));
        // Its last use moved to the usage table.
        let last_used: i64 = conn
            .query_row(
                "SELECT us.last_used_at FROM credential_usage us
                 JOIN credentials c ON c.id = us.credential_id WHERE c.digest = x'01'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(last_used, 7);
        // It now belongs to the account holder, who holds the seeded catalogue.
        let (role, permissions): (String, i64) = conn
            .query_row(
                "SELECT u.role, (SELECT count(*) FROM group_members m
                                 JOIN group_permissions p USING (group_id)
                                 WHERE m.user_id = u.id)
                 FROM credentials c JOIN users u ON u.id = c.owner_id",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!((role.as_str(), permissions), ("account_holder", 6));
        // Running it again is a no-op.
        migrate(&mut conn).unwrap();
    }
}
