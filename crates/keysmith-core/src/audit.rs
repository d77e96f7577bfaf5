//! The audit log: an append-only table (triggers refuse UPDATE and DELETE) in which each row
//! carries SHA-256(previous row's hash ‖ this row). `verify_chain` finds the first row
//! whose hash no longer matches. Details never hold a secret.
//!
//! Rows are written only through [`Vault::audited`](crate::Vault), inside the transaction of
//! the change they record; this module knows tables and hashes, not vaults.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::ids::CredentialId;

/// What an audit row records. The names ([`AuditAction::as_str`]) are stable: they are
/// stored in the hash-chained log and read by people and tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A vault was created.
    VaultCreated,
    /// A vault was unlocked.
    VaultUnlocked,
    /// The vault's settings changed.
    SettingsChanged,
    /// A credential was issued.
    CredentialIssued,
    /// A credential was enabled again.
    CredentialEnabled,
    /// A credential was disabled.
    CredentialDisabled,
    /// A credential's description or auto-renewal settings changed.
    CredentialEdited,
    /// A credential was renewed (its successor has a `credential.issued` row of its own).
    CredentialRenewed,
    /// A credential was renewed by auto-renewal (its successor has a `credential.issued` row
    /// of its own).
    CredentialAutoRenewed,
    /// An auto-renewed credential's secret was handed over (revealed once) and wiped.
    CredentialHandedOver,
    /// A credential was revoked.
    CredentialRevoked,
    /// A credential's row was deleted.
    CredentialDeleted,
    /// A credential was handed to another owner (offboarding).
    CredentialTransferred,
    /// An organization token was verified acting as a named user.
    CredentialActedAsUser,
    /// A user was added.
    UserCreated,
    /// A user's name, e-mail, role or API access changed.
    UserUpdated,
    /// A user was removed.
    UserDeleted,
    /// A group was added.
    GroupCreated,
    /// A group's name, permissions or members changed.
    GroupUpdated,
    /// A group was removed.
    GroupDeleted,
    /// A permission was added to the catalogue.
    PermissionAdded,
    /// A permission was removed from the catalogue.
    PermissionRemoved,
    /// An application was added to the catalogue.
    ApplicationAdded,
    /// An application was removed from the catalogue.
    ApplicationRemoved,
    /// A user was given a passphrase of their own.
    OperatorAdded,
    /// A user's own passphrase was taken away.
    OperatorRemoved,
    /// A departing user was removed with all their credentials (one row for the whole
    /// offboarding, beside the rows of each credential).
    UserOffboarded,
    /// A webhook was added.
    WebhookCreated,
    /// A webhook's URL, events, authentication or headers changed.
    WebhookUpdated,
    /// A webhook was enabled again.
    WebhookEnabled,
    /// A webhook was disabled: by someone, or by delivery (410 Gone, five days failing).
    WebhookDisabled,
    /// A webhook was removed.
    WebhookDeleted,
    /// A webhook's signing secret was replaced (the old one signs beside it for 24 hours).
    WebhookSecretRolled,
    /// An OAuth app was registered.
    OAuthAppRegistered,
    /// An OAuth app's name, description, redirect URIs, scopes or applications changed.
    OAuthAppUpdated,
    /// An OAuth app was enabled again.
    OAuthAppEnabled,
    /// An OAuth app was disabled.
    OAuthAppDisabled,
    /// An OAuth app was deleted, with its grants.
    OAuthAppDeleted,
    /// An app's request was approved: a grant in a user's name.
    OAuthGrantApproved,
    /// An app's request was denied.
    OAuthGrantDenied,
    /// A grant was revoked: by someone in Keysmith, by the app, or because one of its secrets was used twice.
    OAuthGrantRevoked,
    /// An operator changed their own passphrase.
    PassphraseChanged,
    /// The vault was given a new data key.
    VaultRekeyed,
    /// An encrypted backup of the vault was written.
    BackupWritten,
    /// The vault was replaced by a backup (the row is in the restored log).
    VaultRestored,
    /// The inventory was exported, without secrets, to an unencrypted file.
    InventoryExported,
    /// Someone was invited to work on the team vault from a computer of theirs.
    DeviceInvited,
    /// A device joined the team vault with an invitation.
    DeviceJoined,
    /// A device was removed from the team vault.
    DeviceRemoved,
}

impl AuditAction {
    /// Every action, in the order above.
    pub const ALL: [AuditAction; 49] = [
        AuditAction::VaultCreated,
        AuditAction::VaultUnlocked,
        AuditAction::SettingsChanged,
        AuditAction::CredentialIssued,
        AuditAction::CredentialEnabled,
        AuditAction::CredentialDisabled,
        AuditAction::CredentialEdited,
        AuditAction::CredentialRenewed,
        AuditAction::CredentialAutoRenewed,
        AuditAction::CredentialHandedOver,
        AuditAction::CredentialRevoked,
        AuditAction::CredentialDeleted,
        AuditAction::CredentialTransferred,
        AuditAction::CredentialActedAsUser,
        AuditAction::UserCreated,
        AuditAction::UserUpdated,
        AuditAction::UserDeleted,
        AuditAction::GroupCreated,
        AuditAction::GroupUpdated,
        AuditAction::GroupDeleted,
        AuditAction::PermissionAdded,
        AuditAction::PermissionRemoved,
        AuditAction::ApplicationAdded,
        AuditAction::ApplicationRemoved,
        AuditAction::OperatorAdded,
        AuditAction::OperatorRemoved,
        AuditAction::UserOffboarded,
        AuditAction::WebhookCreated,
        AuditAction::WebhookUpdated,
        AuditAction::WebhookEnabled,
        AuditAction::WebhookDisabled,
        AuditAction::WebhookDeleted,
        AuditAction::WebhookSecretRolled,
        AuditAction::OAuthAppRegistered,
        AuditAction::OAuthAppUpdated,
        AuditAction::OAuthAppEnabled,
        AuditAction::OAuthAppDisabled,
        AuditAction::OAuthAppDeleted,
        AuditAction::OAuthGrantApproved,
        AuditAction::OAuthGrantDenied,
        AuditAction::OAuthGrantRevoked,
        AuditAction::PassphraseChanged,
        AuditAction::VaultRekeyed,
        AuditAction::BackupWritten,
        AuditAction::VaultRestored,
        AuditAction::InventoryExported,
        AuditAction::DeviceInvited,
        AuditAction::DeviceJoined,
        AuditAction::DeviceRemoved,
    ];

    /// The stable name stored in the log, e.g. `credential.issued`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::VaultCreated => "vault.created",
            AuditAction::VaultUnlocked => "vault.unlocked",
            AuditAction::SettingsChanged => "settings.changed",
            AuditAction::CredentialIssued => "credential.issued",
            AuditAction::CredentialEnabled => "credential.enabled",
            AuditAction::CredentialDisabled => "credential.disabled",
            AuditAction::CredentialEdited => "credential.edited",
            AuditAction::CredentialRenewed => "credential.renewed",
            AuditAction::CredentialAutoRenewed => "credential.auto_renewed",
            AuditAction::CredentialHandedOver => "credential.handed_over",
            AuditAction::CredentialRevoked => "credential.revoked",
            AuditAction::CredentialDeleted => "credential.deleted",
            AuditAction::CredentialTransferred => "credential.transferred",
            AuditAction::CredentialActedAsUser => "credential.acted_as_user",
            AuditAction::UserCreated => "user.created",
            AuditAction::UserUpdated => "user.updated",
            AuditAction::UserDeleted => "user.deleted",
            AuditAction::GroupCreated => "group.created",
            AuditAction::GroupUpdated => "group.updated",
            AuditAction::GroupDeleted => "group.deleted",
            AuditAction::PermissionAdded => "permission.added",
            AuditAction::PermissionRemoved => "permission.removed",
            AuditAction::ApplicationAdded => "application.added",
            AuditAction::ApplicationRemoved => "application.removed",
            AuditAction::OperatorAdded => "operator.added",
            AuditAction::OperatorRemoved => "operator.removed",
            AuditAction::UserOffboarded => "user.offboarded",
            AuditAction::WebhookCreated => "webhook.created",
            AuditAction::WebhookUpdated => "webhook.updated",
            AuditAction::WebhookEnabled => "webhook.enabled",
            AuditAction::WebhookDisabled => "webhook.disabled",
            AuditAction::WebhookDeleted => "webhook.deleted",
            AuditAction::WebhookSecretRolled => "webhook.secret_rolled",
            AuditAction::OAuthAppRegistered => "oauth_app.registered",
            AuditAction::OAuthAppUpdated => "oauth_app.updated",
            AuditAction::OAuthAppEnabled => "oauth_app.enabled",
            AuditAction::OAuthAppDisabled => "oauth_app.disabled",
            AuditAction::OAuthAppDeleted => "oauth_app.deleted",
            AuditAction::OAuthGrantApproved => "oauth_grant.approved",
            AuditAction::OAuthGrantDenied => "oauth_grant.denied",
            AuditAction::OAuthGrantRevoked => "oauth_grant.revoked",
            AuditAction::PassphraseChanged => "operator.passphrase_changed",
            AuditAction::VaultRekeyed => "vault.rekeyed",
            AuditAction::BackupWritten => "vault.backed_up",
            AuditAction::VaultRestored => "vault.restored",
            AuditAction::DeviceInvited => "device.invited",
            AuditAction::DeviceJoined => "device.joined",
            AuditAction::DeviceRemoved => "device.removed",
            AuditAction::InventoryExported => "inventory.exported",
        }
    }
}

/// `details` of a row about `credential` with the credential's name as it is now (before the
/// change the row records takes effect, as rows are written first), unless they name it
/// already: every row about a credential names it, even once it is deleted or renamed.
pub(crate) fn naming_credential(
    conn: &Connection,
    credential: Option<CredentialId>,
    mut details: serde_json::Value,
) -> Result<serde_json::Value> {
    let Some(id) = credential else {
        return Ok(details);
    };
    if let serde_json::Value::Object(fields) = &mut details {
        if !fields.contains_key("name") {
            let name: Option<String> = conn
                .prepare_cached("SELECT name FROM credentials WHERE id = ?1")?
                .query_row([id.0], |row| row.get(0))
                .optional()?;
            if let Some(name) = name {
                fields.insert("name".into(), name.into());
            }
        }
    }
    Ok(details)
}

/// One audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: String,
    /// What happened, e.g. `credential.issued`.
    pub action: String,
    /// The credential concerned, if any.
    pub credential_id: Option<CredentialId>,
    /// Non-secret details as JSON text.
    pub details: String,
    /// What the row is about, by name as it was: the credential, user, group, webhook or app
    /// its details name — for a credential whose own row does not (rows written before rows
    /// named them), the name its earliest row gave it. Not part of the hash.
    pub subject: Option<String>,
}

/// Appends a row to the log inside the caller's transaction, naming `actor`.
pub(crate) fn append(
    conn: &Connection,
    at: DateTime<Utc>,
    actor: &str,
    action: AuditAction,
    credential_id: Option<CredentialId>,
    details: &serde_json::Value,
) -> Result<()> {
    let last: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let (last_seq, previous) = last.unwrap_or((0, vec![0; 32]));
    let entry = AuditEntry {
        seq: last_seq + 1,
        at,
        actor: actor.to_owned(),
        action: action.as_str().to_owned(),
        credential_id,
        details: details.to_string(),
        subject: None,
    };
    let hash = chain_hash(&previous, &entry);
    conn.prepare_cached(
        "INSERT INTO audit (seq, at, actor, action, credential_id, details, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute((
        entry.seq,
        entry.at.timestamp(),
        &entry.actor,
        &entry.action,
        entry.credential_id.map(|id| id.0),
        &entry.details,
        hash.as_slice(),
    ))?;
    Ok(())
}

/// SHA-256 over the previous hash and the row's fields, each length-prefixed so that no two
/// different rows encode alike.
fn chain_hash(previous: &[u8], entry: &AuditEntry) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    let credential = entry
        .credential_id
        .map_or(String::new(), |id| id.0.to_string());
    for field in [
        entry.seq.to_string().as_str(),
        entry.at.timestamp().to_string().as_str(),
        &entry.actor,
        &entry.action,
        &credential,
        &entry.details,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hasher.finalize().into()
}

/// What a row is about, as SQL over the row `a`: the first name its details give, or for a
/// credential the name its earliest naming row gave.
macro_rules! subject {
    () => {
        "coalesce(json_extract(a.details, '$.name'), json_extract(a.details, '$.user_name'), \
         json_extract(a.details, '$.email'), json_extract(a.details, '$.url'), \
         json_extract(a.details, '$.app.name'), \
         (SELECT json_extract(n.details, '$.name') FROM audit n \
          WHERE n.credential_id = a.credential_id AND json_extract(n.details, '$.name') IS NOT NULL \
          ORDER BY n.seq LIMIT 1))"
    };
}

/// The columns [`entry_from_row`] reads, in order, from the row `a`.
const ENTRY_COLUMNS: &str = concat!(
    "a.seq, a.at, a.actor, a.action, a.credential_id, a.details, ",
    subject!()
);

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row.get(0)?,
        at: DateTime::from_timestamp(row.get(1)?, 0).unwrap_or_default(),
        actor: row.get(2)?,
        action: row.get(3)?,
        credential_id: row.get::<_, Option<i64>>(4)?.map(CredentialId),
        details: row.get(5)?,
        subject: row.get(6)?,
    })
}

/// Which part of the log to list, newest first, and which page of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type, Serialize)]
#[serde(default)]
pub struct AuditQuery {
    /// Only rows by this actor, exactly as stored.
    pub actor: Option<String>,
    /// Only rows of this action, e.g. `credential.issued`.
    pub action: Option<String>,
    /// Only rows about this credential (deleted ones included).
    pub credential: Option<CredentialId>,
    /// Only rows whose actor, action, subject or details hold this text (case-insensitive).
    pub search: Option<String>,
    /// Only rows at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only rows before this instant.
    pub until: Option<DateTime<Utc>>,
    /// At most this many rows.
    pub limit: Option<u32>,
    /// Rows to skip, for paging.
    pub offset: u32,
}

impl AuditQuery {
    /// Its filters as a SQL `WHERE` over the row `a` (empty for none), with their parameters.
    fn filter(&self) -> (String, Vec<Value>) {
        let mut clauses = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        let mut keep = |condition: &str, value: Option<Value>| {
            if let Some(value) = value {
                params.push(value);
                clauses.push(condition.replace('?', &format!("?{}", params.len())));
            }
        };
        keep("a.actor = ?", self.actor.clone().map(Value::Text));
        keep("a.action = ?", self.action.clone().map(Value::Text));
        keep(
            "a.credential_id = ?",
            self.credential.map(|id| Value::Integer(id.0)),
        );
        keep(
            "a.at >= ?",
            self.since.map(|at| Value::Integer(at.timestamp())),
        );
        keep(
            "a.at < ?",
            self.until.map(|at| Value::Integer(at.timestamp())),
        );
        let search = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        keep(
            concat!(
                "(a.actor LIKE ? ESCAPE '\\' OR a.action LIKE ? ESCAPE '\\' \
                 OR a.details LIKE ? ESCAPE '\\' OR ",
                subject!(),
                " LIKE ? ESCAPE '\\')"
            ),
            search.map(|text| Value::Text(format!("%{}%", like_escape(text)))),
        );
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        (filter, params)
    }
}

/// `text` with LIKE's wildcards, and the escape character itself, escaped by a backslash.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// One page of the log, newest first, and how many rows the query selects in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct AuditPage {
    /// Rows the filters select, on every page.
    pub total: u32,
    /// This page's rows, newest first.
    pub entries: Vec<AuditEntry>,
}

/// What recomputing the hash chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct ChainVerdict {
    /// Rows checked: all of them when the chain is intact, up to the broken one otherwise.
    pub checked: u32,
    /// The first row whose hash does not match, as stored now.
    pub first_broken: Option<AuditEntry>,
}

/// A page of the rows `query` selects, newest first, read in one transaction with its total.
pub(crate) fn page(conn: &Connection, query: &AuditQuery) -> Result<AuditPage> {
    let snapshot = conn.unchecked_transaction()?;
    let (filter, mut params) = query.filter();
    let total: u32 = snapshot
        .prepare_cached(&format!("SELECT count(*) FROM audit a{filter}"))?
        .query_row(params_from_iter(params.iter()), |row| row.get(0))?;
    params.push(Value::Integer(query.limit.map_or(-1, i64::from)));
    params.push(Value::Integer(i64::from(query.offset)));
    let mut statement = snapshot.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit a{filter} ORDER BY a.seq DESC LIMIT ?{} OFFSET ?{}",
        params.len() - 1,
        params.len()
    ))?;
    let rows = statement.query_map(params_from_iter(params.iter()), entry_from_row)?;
    let entries = rows.collect::<rusqlite::Result<_>>()?;
    Ok(AuditPage { total, entries })
}

/// An entry as exported: its row, what it is about, and the hashes that chain it (hex), so
/// that the chain can be checked outside Keysmith (see the README).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedEntry {
    /// Position in the log, from 1.
    pub seq: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// `at` in seconds since 1970, as the hash covers it.
    pub at_unix: i64,
    /// Who did it.
    pub actor: String,
    /// What happened.
    pub action: String,
    /// The credential concerned, if any.
    pub credential_id: Option<i64>,
    /// What it is about, by name (not hashed).
    pub subject: Option<String>,
    /// Its details, as JSON text.
    pub details: String,
    /// The previous row's hash (64 zeros before the first row).
    pub previous_hash: String,
    /// This row's hash, as stored.
    pub hash: String,
}

/// Every row `query` selects (its paging ignored), oldest first, with their hashes.
pub(crate) fn exported(conn: &Connection, query: &AuditQuery) -> Result<Vec<ExportedEntry>> {
    let (filter, params) = query.filter();
    let mut statement = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS}, a.hash, \
         coalesce((SELECT p.hash FROM audit p WHERE p.seq < a.seq ORDER BY p.seq DESC LIMIT 1), \
                  zeroblob(32)) \
         FROM audit a{filter} ORDER BY a.seq"
    ))?;
    let rows = statement.query_map(params_from_iter(params.iter()), |row| {
        let entry = entry_from_row(row)?;
        let hash: Vec<u8> = row.get(7)?;
        let previous: Vec<u8> = row.get(8)?;
        Ok(ExportedEntry {
            seq: entry.seq,
            at: entry.at,
            at_unix: entry.at.timestamp(),
            actor: entry.actor,
            action: entry.action,
            credential_id: entry.credential_id.map(|id| id.0),
            subject: entry.subject,
            details: entry.details,
            previous_hash: hex(&previous),
            hash: hex(&hash),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `bytes` in lowercase hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Everyone who appears in the log as an actor, by name.
pub(crate) fn actors(conn: &Connection) -> Result<Vec<String>> {
    let mut statement =
        conn.prepare_cached("SELECT DISTINCT actor FROM audit ORDER BY actor COLLATE NOCASE")?;
    let rows = statement.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The whole log, oldest first; `credential` narrows it to one credential.
pub(crate) fn log(conn: &Connection, credential: Option<CredentialId>) -> Result<Vec<AuditEntry>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit a WHERE ?1 IS NULL OR a.credential_id = ?1 ORDER BY a.seq"
    ))?;
    let rows = statement.query_map([credential.map(|id| id.0)], entry_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Recomputes the hash chain from the first row: how many rows it checked, and the first
/// that does not match, if any.
pub(crate) fn verify_chain(conn: &Connection) -> Result<ChainVerdict> {
    let mut statement = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS}, a.hash FROM audit a ORDER BY a.seq"
    ))?;
    let mut rows = statement.query([])?;
    let mut previous = [0u8; 32];
    let mut checked = 0;
    while let Some(row) = rows.next()? {
        let entry = entry_from_row(row)?;
        let stored: Vec<u8> = row.get(7)?;
        let expected = chain_hash(&previous, &entry);
        checked += 1;
        if stored != expected {
            return Ok(ChainVerdict {
                checked,
                first_broken: Some(entry),
            });
        }
        previous = expected;
    }
    Ok(ChainVerdict {
        checked,
        first_broken: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with_rows(count: i64) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::vault::migrate_for_tests(&mut conn);
        for i in 0..count {
            let at = DateTime::from_timestamp(1_800_000_000 + i, 0).unwrap();
            append(
                &conn,
                at,
                "Ada <ada@example.com>",
                AuditAction::SettingsChanged,
                None,
                &serde_json::json!({ "i": i }),
            )
            .unwrap();
        }
        conn
    }

    fn first_broken_row(conn: &Connection) -> Option<i64> {
        verify_chain(conn)
            .unwrap()
            .first_broken
            .map(|entry| entry.seq)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let verdict = verify_chain(&log_with_rows(5)).unwrap();
        assert_eq!((verdict.checked, verdict.first_broken), (5, None));
    }

    #[test]
    fn pages_run_newest_first_and_filter_by_actor_action_and_credential() {
        let conn = log_with_rows(5);
        let credential = Some(CredentialId(7));
        let at = DateTime::from_timestamp(1_800_000_100, 0).unwrap();
        let details = serde_json::json!({ "name": "sync" });
        append(
            &conn,
            at,
            "Bo <bo@example.com>",
            AuditAction::CredentialIssued,
            credential,
            &details,
        )
        .unwrap();
        append(
            &conn,
            at,
            "Bo <bo@example.com>",
            AuditAction::CredentialRevoked,
            credential,
            &details,
        )
        .unwrap();
        let seqs = |query: AuditQuery| {
            let page = page(&conn, &query).unwrap();
            (
                page.total,
                page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            )
        };
        let paged = |offset| AuditQuery {
            limit: Some(3),
            offset,
            ..AuditQuery::default()
        };
        assert_eq!(seqs(paged(0)), (7, vec![7, 6, 5]));
        assert_eq!(seqs(paged(6)), (7, vec![1]));
        let by_bo = AuditQuery {
            actor: Some("Bo <bo@example.com>".into()),
            ..AuditQuery::default()
        };
        assert_eq!(seqs(by_bo), (2, vec![7, 6]));
        let revoked = AuditQuery {
            action: Some("credential.revoked".into()),
            ..AuditQuery::default()
        };
        assert_eq!(seqs(revoked), (1, vec![7]));
        let of_7 = AuditQuery {
            credential,
            ..AuditQuery::default()
        };
        assert_eq!(seqs(of_7), (2, vec![7, 6]));
        assert_eq!(
            actors(&conn).unwrap(),
            ["Ada <ada@example.com>", "Bo <bo@example.com>"]
        );
    }

    #[test]
    fn every_row_has_its_subject_searchable_and_within_a_date_range() {
        let conn = log_with_rows(2);
        let at = |seconds: i64| DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap();
        let seven = Some(CredentialId(7));
        let row = |seconds, action, details: serde_json::Value| {
            append(
                &conn,
                at(seconds),
                "Bo <bo@example.com>",
                action,
                seven,
                &details,
            )
            .unwrap();
        };
        row(
            100,
            AuditAction::CredentialIssued,
            serde_json::json!({ "name": "ledger-sync" }),
        );
        // A row written before rows named their credential.
        row(200, AuditAction::CredentialDisabled, serde_json::json!({}));
        append(
            &conn,
            at(300),
            "Ada <ada@example.com>",
            AuditAction::UserCreated,
            None,
            &serde_json::json!({ "email": "cleo@example.com" }),
        )
        .unwrap();
        let subjects = |query: AuditQuery| -> Vec<(i64, Option<String>)> {
            page(&conn, &query)
                .unwrap()
                .entries
                .into_iter()
                .map(|e| (e.seq, e.subject))
                .collect()
        };
        let named = |text: &str| Some(text.to_owned());
        assert_eq!(
            subjects(AuditQuery {
                search: Some("LEDGER".into()),
                ..AuditQuery::default()
            }),
            [(4, named("ledger-sync")), (3, named("ledger-sync"))],
            "the disabled row is found by the name its credential had"
        );
        assert_eq!(
            subjects(AuditQuery {
                search: Some("cleo@".into()),
                ..AuditQuery::default()
            }),
            [(5, named("cleo@example.com"))]
        );
        assert_eq!(
            subjects(AuditQuery {
                since: Some(at(150)),
                until: Some(at(300)),
                ..AuditQuery::default()
            }),
            [(4, named("ledger-sync"))]
        );
        // A LIKE wildcard in a search is taken literally.
        assert!(subjects(AuditQuery {
            search: Some("%".into()),
            ..AuditQuery::default()
        })
        .is_empty());
        // The export carries the chain: each row's previous hash is the row before's hash.
        let exported = exported(&conn, &AuditQuery::default()).unwrap();
        assert_eq!(exported[0].previous_hash, "00".repeat(32));
        for pair in exported.windows(2) {
            assert_eq!(pair[1].previous_hash, pair[0].hash);
        }
    }

    #[test]
    fn the_log_refuses_updates_and_deletes() {
        let conn = log_with_rows(2);
        assert!(conn.execute("UPDATE audit SET actor = 'x'", []).is_err());
        assert!(conn.execute("DELETE FROM audit", []).is_err());
    }

    #[test]
    fn a_rewritten_row_is_found() {
        let conn = log_with_rows(5);
        // Someone with the key drops the guard and edits row 3 in place.
        conn.execute_batch(
            "DROP TRIGGER audit_no_update;
             UPDATE audit SET details = '{\"i\":99}' WHERE seq = 3;",
        )
        .unwrap();
        assert_eq!(first_broken_row(&conn), Some(3));
    }

    #[test]
    fn a_deleted_row_breaks_the_chain_after_it() {
        let conn = log_with_rows(4);
        conn.execute_batch("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2;")
            .unwrap();
        assert_eq!(first_broken_row(&conn), Some(3));
    }
}
