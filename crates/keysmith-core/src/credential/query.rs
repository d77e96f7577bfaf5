//! Finding credentials: filters by kind, owner, status and coming expiry, a search over name,
//! description, token prefix and client ID, a sort on any column, and paging. Status is derived from
//! timestamps, so each status filter is the SQL form of [`Credential::status`].

use chrono::{DateTime, Duration, Utc};
use rusqlite::types::Value;
use serde::Deserialize;

use super::Status;
use crate::people::UserId;
use crate::token::TokenKind;

/// What to list, in which order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(default)]
pub struct CredentialQuery {
    /// Only this kind.
    pub kind: Option<TokenKind>,
    /// Only credentials of this user.
    pub owner: Option<UserId>,
    /// Only this status (as of now).
    pub status: Option<Status>,
    /// Only credentials still valid now that expire within this many days.
    pub expires_within_days: Option<u32>,
    /// Case-insensitive text in the name or description, or the start of the token.
    pub search: Option<String>,
    /// The column to sort by.
    pub sort: SortKey,
    /// Largest first.
    pub descending: bool,
    /// At most this many rows.
    pub limit: Option<u32>,
    /// Rows to skip, for paging.
    pub offset: u32,
}

impl Default for CredentialQuery {
    /// Everything, newest first.
    fn default() -> Self {
        CredentialQuery {
            kind: None,
            owner: None,
            status: None,
            expires_within_days: None,
            search: None,
            sort: SortKey::Created,
            descending: true,
            limit: None,
            offset: 0,
        }
    }
}

/// A column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Name.
    Name,
    /// Kind.
    Kind,
    /// Owner's name (organization tokens first).
    Owner,
    /// Issue time (age).
    #[default]
    Created,
    /// Expiry.
    Expires,
    /// Status: active, disabled, expired, revoked.
    Status,
    /// Last successful verification.
    LastUsed,
}

/// The SQL that ranks statuses in the order of [`SortKey::Status`], with `?1` as now.
const STATUS_RANK: &str = "CASE WHEN c.revoked_at IS NOT NULL THEN 3 \
     WHEN c.expires_at <= ?1 THEN 2 WHEN c.disabled_at IS NOT NULL THEN 1 ELSE 0 END";

impl CredentialQuery {
    /// The WHERE and ORDER BY clauses and their parameters; `?1` is always now.
    pub(super) fn to_sql(&self, now: DateTime<Utc>) -> (String, Vec<Value>) {
        let mut clauses = Vec::new();
        let mut params = vec![Value::Integer(now.timestamp())];
        if let Some(kind) = self.kind {
            params.push(Value::Text(kind.as_str().into()));
            clauses.push(format!("c.kind = ?{}", params.len()));
        }
        if let Some(owner) = self.owner {
            params.push(Value::Integer(owner.0));
            clauses.push(format!("c.owner_id = ?{}", params.len()));
        }
        if let Some(status) = self.status {
            let rank = match status {
                Status::Active => 0,
                Status::Disabled => 1,
                Status::Expired => 2,
                Status::Revoked => 3,
            };
            clauses.push(format!("({STATUS_RANK}) = {rank}"));
        }
        if let Some(days) = self.expires_within_days {
            let until = now + Duration::days(i64::from(days));
            params.push(Value::Integer(until.timestamp()));
            clauses.push(format!(
                "c.expires_at > ?1 AND c.expires_at <= ?{}",
                params.len()
            ));
        }
        if let Some(search) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            params.push(Value::Text(format!("%{}%", like_escape(search))));
            let contains = params.len();
            // The stored hint is the token's first characters: a pasted token matches by them.
            let hint: String = search.chars().take(HINT_PREFIX_CHARS).collect();
            params.push(Value::Text(format!("{}%", like_escape(&hint))));
            let prefix = params.len();
            clauses.push(format!(
                "(c.name LIKE ?{contains} ESCAPE '\\' OR c.description LIKE ?{contains} ESCAPE '\\' \
                 OR c.token_hint LIKE ?{prefix} ESCAPE '\\' OR c.client_id LIKE ?{contains} ESCAPE '\\')"
            ));
        }
        let column = match self.sort {
            SortKey::Name => "c.name COLLATE NOCASE",
            SortKey::Kind => "c.kind",
            SortKey::Owner => "u.name COLLATE NOCASE",
            SortKey::Created => "c.created_at",
            SortKey::Expires => "c.expires_at",
            SortKey::Status => STATUS_RANK,
            SortKey::LastUsed => "us.last_used_at",
        };
        let direction = if self.descending { "DESC" } else { "ASC" };
        let mut sql = String::new();
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        sql.push_str(&format!(" ORDER BY {column} {direction}, c.id {direction}"));
        params.push(Value::Integer(self.limit.map_or(-1, i64::from)));
        params.push(Value::Integer(i64::from(self.offset)));
        sql.push_str(&format!(
            " LIMIT ?{} OFFSET ?{}",
            params.len() - 1,
            params.len()
        ));
        (sql, params)
    }
}

/// How many leading characters of a search are compared with the stored token hint
/// (`ks_pat_` and four body characters).
const HINT_PREFIX_CHARS: usize = 11;

/// `text` with LIKE's wildcards, and the escape character itself, escaped by a backslash.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
