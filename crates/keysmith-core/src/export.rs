//! The inventory, exported without secrets: credentials (owner, kind, scopes, rights,
//! applications, usage limit, allowed addresses, dates, status, last use), people and groups, as JSON or CSV, for audits and
//! spreadsheets. What is exported is what the window lists: no token, client secret, digest,
//! pepper, webhook secret or header value is ever read here. The file is not encrypted; the
//! caller says so before writing it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{AuditAction, AuditQuery};
use crate::credential::{Credential, OwnerBlock};
use crate::error::{Error, Result};
use crate::people::{Group, User};
use crate::vault::Vault;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, specta::Type, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// One JSON document with the credentials, people and groups.
    Json,
    /// A CSV table of one of them.
    Csv(ExportTable),
}

/// Which table a CSV export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, specta::Type, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportTable {
    /// The credentials.
    Credentials,
    /// The people.
    Users,
    /// The groups.
    Groups,
}

/// One credential as exported.
#[derive(Debug, Serialize)]
struct CredentialRow {
    id: i64,
    name: String,
    description: String,
    kind: &'static str,
    owner: String,
    owner_email: String,
    token_hint: String,
    client_id: String,
    scopes: String,
    rights: &'static str,
    applications: String,
    /// Empty when unlimited.
    max_uses: Option<u32>,
    /// `daily`, `monthly`, or empty.
    refill: Option<&'static str>,
    uses_left: Option<u32>,
    /// Empty: from anywhere.
    allowed_ips: String,
    status: &'static str,
    /// Why the owner has no API access, if they have none (the status is then `blocked`,
    /// unless a stronger one applies).
    blocked_by: String,
    /// The credential that renewed it, when it was renewed.
    superseded_by: Option<i64>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    renewed_from: Option<i64>,
}

/// One person as exported.
#[derive(Debug, Serialize)]
struct UserRow {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    /// API access now: set on them and blocked by none of their groups.
    api_access: bool,
    can_unlock: bool,
    groups: String,
    permissions: String,
    created_at: DateTime<Utc>,
}

/// One group as exported.
#[derive(Debug, Serialize)]
struct GroupRow {
    id: i64,
    name: String,
    permissions: String,
    blocks: String,
    blocks_api_access: bool,
    members: String,
}

impl Vault {
    /// The inventory in `format`, without secrets; the export is audited. Account holder and
    /// admins.
    pub fn export_inventory(&mut self, format: ExportFormat) -> Result<Vec<u8>> {
        self.operator().require_admin("export the inventory")?;
        let now = self.now();
        let users = self.users()?;
        let groups = self.groups()?;
        let email_of = |id| {
            users
                .iter()
                .find(|u: &&User| Some(u.id) == id)
                .map_or(String::new(), |u| u.email.clone())
        };
        let credentials: Vec<CredentialRow> = (self.list_credentials()?.into_iter())
            .map(|c| credential_row(c, now, email_of))
            .collect();
        let group_name = |id| {
            groups
                .iter()
                .find(|g: &&Group| g.id == id)
                .map_or(String::new(), |g| g.name.clone())
        };
        let user_rows: Vec<UserRow> = users
            .iter()
            .map(|u| UserRow {
                id: u.id.0,
                name: u.name.clone(),
                email: u.email.clone(),
                role: u.role.as_str(),
                api_access: u.has_api_access(),
                can_unlock: u.can_unlock,
                groups: join(u.groups.iter().map(|&g| group_name(g))),
                permissions: join(u.permissions.iter().cloned()),
                created_at: u.created_at,
            })
            .collect();
        let user_name = |id| {
            users
                .iter()
                .find(|u: &&User| u.id == id)
                .map_or(String::new(), |u| u.name.clone())
        };
        let group_rows: Vec<GroupRow> = groups
            .iter()
            .map(|g| GroupRow {
                id: g.id.0,
                name: g.name.clone(),
                permissions: join(g.permissions.iter().cloned()),
                blocks: join(g.blocks.iter().cloned()),
                blocks_api_access: g.blocks_api_access,
                members: join(g.members.iter().map(|&m| user_name(m))),
            })
            .collect();
        let bytes = match format {
            ExportFormat::Json => serde_json::to_vec_pretty(&json!({
                "exported_at": now,
                "credentials": credentials,
                "users": user_rows,
                "groups": group_rows,
            }))
            .map_err(|e| Error::Io(std::io::Error::other(e)))?,
            ExportFormat::Csv(ExportTable::Credentials) => csv_of(&credentials)?,
            ExportFormat::Csv(ExportTable::Users) => csv_of(&user_rows)?,
            ExportFormat::Csv(ExportTable::Groups) => csv_of(&group_rows)?,
        };
        let (what, rows) = match format {
            ExportFormat::Json => ("json", credentials.len()),
            ExportFormat::Csv(ExportTable::Credentials) => ("csv credentials", credentials.len()),
            ExportFormat::Csv(ExportTable::Users) => ("csv users", user_rows.len()),
            ExportFormat::Csv(ExportTable::Groups) => ("csv groups", group_rows.len()),
        };
        self.audited(|change| {
            change.record(
                AuditAction::InventoryExported,
                None,
                json!({ "format": what, "rows": rows }),
            )
        })?;
        Ok(bytes)
    }
}

/// Writes an export to `path`, private to this user (replacing a file there, as a save
/// dialog or `--to` asked): into a new private file beside it, then renamed over it, so a
/// crash leaves no half export and a symbolic link planted at `path` is replaced, not followed.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    // tempfile's files are created 0600.
    let mut file = tempfile::NamedTempFile::new_in(crate::vault::files::folder_of(path))?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| Error::Io(error.error))?;
    Ok(())
}

fn credential_row(
    c: Credential,
    now: DateTime<Utc>,
    email_of: impl Fn(Option<crate::people::UserId>) -> String,
) -> CredentialRow {
    CredentialRow {
        id: c.id.0,
        status: c.status(now).as_str(),
        blocked_by: c
            .blocked
            .as_ref()
            .map(OwnerBlock::reason)
            .unwrap_or_default(),
        superseded_by: c.superseded_by.map(|id| id.0),
        kind: c.kind.as_str(),
        owner_email: email_of(c.owner_id),
        owner: c.owner_name.unwrap_or_else(|| "organization".into()),
        name: c.name,
        description: c.description,
        token_hint: c.token_hint,
        client_id: c.client_id.unwrap_or_default(),
        scopes: join(c.scopes),
        rights: c.rights.as_str(),
        applications: join(c.applications),
        max_uses: c.usage.map(|usage| usage.max_uses),
        refill: c
            .usage
            .and_then(|usage| usage.refill)
            .map(|refill| refill.as_str()),
        uses_left: c.usage.map(|usage| usage.left_at(now)),
        allowed_ips: join(c.allowed_ips),
        created_at: c.created_at,
        expires_at: c.expires_at,
        last_used_at: c.last_used_at,
        revoked_at: c.revoked_at,
        renewed_from: c.renewed_from.map(|id| id.0),
    }
}

/// How the audit log is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditFormat {
    /// A JSON array: each entry exactly as hashed, to check the chain with.
    Json,
    /// A CSV table for reading; cells a spreadsheet would run as formulas are defused, so
    /// check the chain from the JSON.
    Csv,
}

impl Vault {
    /// The audit log's rows `query` selects, oldest first, in `format`, each with its hash
    /// and the previous row's (see [`Vault::exported_audit`]).
    pub fn export_audit(&self, query: &AuditQuery, format: AuditFormat) -> Result<Vec<u8>> {
        let entries = self.exported_audit(query)?;
        match format {
            AuditFormat::Json => {
                serde_json::to_vec_pretty(&entries).map_err(|e| Error::Io(std::io::Error::other(e)))
            }
            AuditFormat::Csv => csv_of(&entries),
        }
    }
}

/// A list in one cell: items joined by "; ".
fn join(items: impl IntoIterator<Item = String>) -> String {
    items.into_iter().collect::<Vec<_>>().join("; ")
}

/// A CSV table of `rows`, header first, columns in field order. A cell a spreadsheet would
/// take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
/// prefixed with `'`, as OWASP advises against CSV injection: names and descriptions are
/// anyone's text.
pub(crate) fn csv_of<T: Serialize>(rows: &[T]) -> Result<Vec<u8>> {
    let mut plain = csv::Writer::from_writer(Vec::new());
    for row in rows {
        plain.serialize(row).map_err(csv_error)?;
    }
    let plain = plain
        .into_inner()
        .map_err(|e| csv_error(e.into_error().into()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(plain.as_slice());
    let mut defused = csv::Writer::from_writer(Vec::new());
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        defused
            .write_record(record.iter().map(defuse))
            .map_err(csv_error)?;
    }
    defused
        .into_inner()
        .map_err(|e| csv_error(e.into_error().into()))
}

fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn csv_error(error: csv::Error) -> Error {
    Error::Io(std::io::Error::other(error))
}
