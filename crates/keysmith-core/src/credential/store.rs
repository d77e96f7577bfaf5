//! The SQL of the `credentials` table, and nothing else.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};

use super::query::{SearchPlan, CREDENTIAL_FIRST};
use super::restrictions::{Refill, Restrictions, Uses};
use super::{
    Credential, CredentialId, CredentialPage, CredentialQuery, NewCredential, OwnerBlock, Rights,
};
use crate::clock::from_seconds;
use crate::digest::TokenDigest;
use crate::error::{Error, Result};
use crate::people::UserId;
use crate::token::TokenKind;

/// The columns [`from_row`] reads from [`CREDENTIAL_FIRST`]'s joins, as a macro so statements
/// are `concat!`ed at compile time: verify runs one per request and should not build its SQL
/// text each time. The second form leaves out (as NULL) what verification has cached: the last
/// use, the owner's name and access, and the uses left.
macro_rules! columns {
    () => {
        columns!(
            "us.last_used_at",
            "u.name",
            "(SELECT uses_left FROM credential_uses WHERE credential_id = c.id), \
             (SELECT period FROM credential_uses WHERE credential_id = c.id)",
            "NOT u.api_access, \
             (SELECT group_concat(g.name, char(10)) FROM group_members m \
              JOIN groups g ON g.id = m.group_id WHERE m.user_id = c.owner_id \
              AND g.blocks_api_access)"
        )
    };
    ($last_used:literal, $owner_name:literal, $uses:literal, $owner_access:literal) => {
        concat!(
            "c.id, c.kind, c.name, c.description, c.token_hint, c.created_at, c.expires_at, \
             c.revoked_at, ",
            $last_used,
            ", c.disabled_at, c.renewed_from, c.owner_id, ",
            $owner_name,
            ", c.scopes, c.rights, c.applications, c.rate_limit, c.client_id, c.max_uses, \
             c.refill, c.allowed_ips, ",
            $uses,
            ", c.renewed_at, CASE WHEN c.renewed_at IS NOT NULL THEN \
               (SELECT s.id FROM credentials s WHERE s.renewed_from = c.id) END, ",
            $owner_access
        )
    };
}

/// The separator of the scopes and applications kept in one column: names never contain it.
const LIST_SEPARATOR: char = '\n';

fn from_row(row: &Row<'_>) -> rusqlite::Result<Credential> {
    let unreadable = |index: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, what.into())
    };
    let kind = row.get_ref(1)?.as_str()?;
    let rights = row.get_ref(14)?.as_str()?;
    let refill = row
        .get_ref(19)?
        .as_str_or_null()?
        .map(|name| {
            Refill::from_name(name)
                .ok_or_else(|| unreadable(19, format!("unknown refill {name:?}")))
        })
        .transpose()?;
    let (left, period): (Option<u32>, Option<i64>) = (row.get(21)?, row.get(22)?);
    let usage = row
        .get::<_, Option<u32>>(18)?
        .map(|max_uses| Uses::stored(max_uses, refill, left.zip(period)));
    Ok(Credential {
        id: CredentialId(row.get(0)?),
        kind: TokenKind::from_name(kind)
            .ok_or_else(|| unreadable(1, format!("unknown credential kind {kind:?}")))?,
        name: row.get(2)?,
        description: row.get(3)?,
        token_hint: row.get(4)?,
        created_at: from_seconds(row.get(5)?),
        expires_at: from_seconds(row.get(6)?),
        revoked_at: row.get::<_, Option<i64>>(7)?.map(from_seconds),
        last_used_at: row.get::<_, Option<i64>>(8)?.map(from_seconds),
        disabled_at: row.get::<_, Option<i64>>(9)?.map(from_seconds),
        renewed_from: row.get::<_, Option<i64>>(10)?.map(CredentialId),
        owner_id: row.get::<_, Option<i64>>(11)?.map(UserId),
        owner_name: row.get(12)?,
        scopes: split_list(row.get_ref(13)?.as_str()?),
        rights: Rights::from_name(rights)
            .ok_or_else(|| unreadable(14, format!("unknown rights {rights:?}")))?,
        applications: split_list(row.get_ref(15)?.as_str()?),
        rate_limit: row.get(16)?,
        client_id: row.get(17)?,
        usage,
        allowed_ips: split_list(row.get_ref(20)?.as_str()?),
        renewed_at: row.get::<_, Option<i64>>(23)?.map(from_seconds),
        superseded_by: row.get::<_, Option<i64>>(24)?.map(CredentialId),
        blocked: owner_block(row.get(25)?, row.get_ref(26)?.as_str_or_null()?),
    })
}

/// The owner's block from whether their API access is off (NULL when the row has no owner or
/// leaves it out) and the groups blocking it, joined by newlines.
fn owner_block(access_off: Option<bool>, groups: Option<&str>) -> Option<OwnerBlock> {
    let mut groups = groups.map(split_list).unwrap_or_default();
    groups.sort_by_key(|name| name.to_lowercase());
    let access_off = access_off == Some(true);
    (access_off || !groups.is_empty()).then_some(OwnerBlock { access_off, groups })
}

pub(crate) fn split_list(text: &str) -> Vec<String> {
    text.split(LIST_SEPARATOR)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(crate) fn join_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut joined = String::new();
    for item in items {
        if !joined.is_empty() {
            joined.push(LIST_SEPARATOR);
        }
        joined.push_str(item);
    }
    joined
}

/// What [`insert`] stores beside the validated fields.
pub(super) struct Stored<'a> {
    pub(super) kind: TokenKind,
    pub(super) token_hint: &'a str,
    pub(super) digest: &'a TokenDigest,
    pub(super) renewed_from: Option<CredentialId>,
    pub(super) client_id: Option<&'a str>,
}

/// Inserts a new credential; a clash on the owner's current names (neither revoked nor
/// renewed) is
/// [`Error::DuplicateName`]. Scopes and applications are stored sorted.
pub(super) fn insert(
    conn: &Connection,
    new: &NewCredential,
    stored: &Stored<'_>,
    now: DateTime<Utc>,
) -> Result<CredentialId> {
    let mut scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let mut applications: Vec<&str> = new.applications.iter().map(|a| a.as_str()).collect();
    applications.sort_unstable();
    applications.dedup();
    let inserted = conn
        .prepare_cached(
            "INSERT INTO credentials (kind, name, description, token_hint, digest, created_at,
                                      expires_at, renewed_from, owner_id, scopes, rights,
                                      applications, rate_limit, client_id, max_uses, refill,
                                      allowed_ips, disabled_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18)",
        )?
        .execute(rusqlite::params![
            stored.kind.as_str(),
            new.name.as_str(),
            new.description.as_str(),
            stored.token_hint,
            stored.digest.as_bytes().as_slice(),
            now.timestamp(),
            new.expiry.at().timestamp(),
            stored.renewed_from.map(|id| id.0),
            new.owner.map(|id| id.0),
            join_list(scopes),
            new.rights.as_str(),
            join_list(applications),
            new.rate_limit.per_minute(),
            stored.client_id,
            new.restrictions.usage.map(|limit| limit.max_uses()),
            new.restrictions
                .usage
                .and_then(|limit| limit.refill())
                .map(Refill::as_str),
            join_list(
                new.restrictions
                    .allowed_ips
                    .to_strings()
                    .iter()
                    .map(String::as_str)
            ),
            new.disabled.then_some(now.timestamp()),
        ]);
    match inserted {
        Ok(_) => Ok(CredentialId(conn.last_insert_rowid())),
        Err(error) if is_name_clash(&error) => {
            Err(Error::DuplicateName(new.name.as_str().to_owned()))
        }
        Err(error) => Err(error.into()),
    }
}

/// Whether `error` is the owner already holding a current credential of that name.
fn is_name_clash(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, Some(message))
        if e.code == rusqlite::ErrorCode::ConstraintViolation
            && message.contains("credentials_current_name"))
}

/// The credential with `id`.
pub(crate) fn get(conn: &Connection, id: CredentialId) -> Result<Credential> {
    conn.prepare_cached(&format!(
        concat!("SELECT ", columns!(), " FROM {} WHERE c.id = ?1"),
        CREDENTIAL_FIRST
    ))?
    .query_row([id.0], from_row)
    .optional()?
    .ok_or(Error::CredentialNotFound(id.0))
}

/// [`find_by_digest`]'s statement.
const BY_DIGEST: &str = concat!(
    "SELECT ",
    columns!("NULL", "NULL", "NULL, NULL", "NULL, NULL"),
    ", c.digest FROM credentials c INDEXED BY credentials_verify WHERE c.digest = ?1"
);

/// The credential stored under `digest`, if any, without its owner's name and access (the
/// caller has them cached) and its last use (verification does not need it), with the
/// credential that renewed it, if one did. The stored digest is compared with `digest` in
/// constant time, in place; a covering index answers it in one descent (a renewed credential
/// takes a second, for its successor).
pub(super) fn find_by_digest(
    conn: &Connection,
    digest: &TokenDigest,
) -> Result<Option<Credential>> {
    let found = conn
        .prepare_cached(BY_DIGEST)?
        .query_row([digest.as_bytes().as_slice()], |row| {
            let stored = row.get_ref(27)?.as_blob()?;
            digest.matches(stored).then(|| from_row(row)).transpose()
        })
        .optional()?;
    Ok(found.flatten())
}

/// The page of credentials `query` selects, with their total, read in one transaction so the
/// two agree. Each segment's order is walked by the credentials' ids alone, through only the
/// tables its order and filters name (rows skipped for the offset cost an index entry each,
/// not three lookups); then the page's rows are read whole, by id.
pub(super) fn page(
    conn: &Connection,
    query: &CredentialQuery,
    now: DateTime<Utc>,
) -> Result<CredentialPage> {
    let snapshot = conn.unchecked_transaction()?;
    let filter = query.filter(now, SearchPlan::for_query(&snapshot, query)?);
    let mut total = 0u32;
    let mut skip = query.offset;
    let mut room = query.limit;
    let mut ids = Vec::new();
    for segment in query.segments() {
        let source_and_filter = segment.source_and_filter(&filter);
        let mut counting =
            snapshot.prepare_cached(&format!("SELECT count(*){source_and_filter}"))?;
        let params = filter.params_for(&counting);
        let count: u32 = counting.query_row(params, |row| row.get(0))?;
        total += count;
        if skip >= count {
            skip -= count;
            continue;
        }
        if room == Some(0) {
            continue;
        }
        let sql = format!(
            "SELECT c.id{source_and_filter}{} LIMIT {} OFFSET {skip}",
            segment.order_by(query.descending),
            room.map_or(-1, i64::from),
        );
        let mut statement = snapshot.prepare_cached(&sql)?;
        let before = ids.len();
        let params = filter.params_for(&statement);
        for id in statement.query_map(params, |row| row.get::<_, i64>(0))? {
            ids.push(id?);
        }
        room = room.map(|room| room - (ids.len() - before) as u32);
        skip = 0;
    }
    let credentials = in_order(&snapshot, &ids)?;
    Ok(CredentialPage { total, credentials })
}

/// The credentials with `ids`, in that order.
fn in_order(conn: &Connection, ids: &[i64]) -> Result<Vec<Credential>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut statement = conn.prepare_cached(&format!(
        concat!(
            "SELECT ",
            columns!(),
            " FROM {} WHERE c.id IN (SELECT value FROM json_each(?1))"
        ),
        CREDENTIAL_FIRST
    ))?;
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut found = statement
        .query_map([format!("[{}]", list.join(","))], from_row)?
        .map(|row| row.map(|credential| (credential.id.0, credential)))
        .collect::<rusqlite::Result<HashMap<_, _>>>()?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
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

/// Replaces the restrictions (usage limit, allowlist); the uses left are the caller's to reset.
pub(super) fn set_restrictions(
    conn: &Connection,
    id: CredentialId,
    restrictions: &Restrictions,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE credentials SET max_uses = ?2, refill = ?3, allowed_ips = ?4 WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        id.0,
        restrictions.usage.map(|limit| limit.max_uses()),
        restrictions
            .usage
            .and_then(|limit| limit.refill())
            .map(Refill::as_str),
        join_list(
            restrictions
                .allowed_ips
                .to_strings()
                .iter()
                .map(String::as_str)
        ),
    ])?;
    Ok(())
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
pub(crate) fn set_expiry(
    conn: &Connection,
    id: CredentialId,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached("UPDATE credentials SET expires_at = ?2 WHERE id = ?1")?
        .execute((id.0, expires_at.timestamp()))?;
    Ok(())
}

/// Marks `id` as renewed at `at`: its successor may take its name.
pub(super) fn set_renewed(conn: &Connection, id: CredentialId, at: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached("UPDATE credentials SET renewed_at = ?2 WHERE id = ?1")?
        .execute((id.0, at.timestamp()))?;
    Ok(())
}

/// Removes the row; the audit log keeps its history.
pub(super) fn delete(conn: &Connection, id: CredentialId) -> Result<()> {
    conn.prepare_cached("DELETE FROM credentials WHERE id = ?1")?
        .execute([id.0])?;
    Ok(())
}

/// Every credential `owner` owns, revoked or not, in id order.
pub(super) fn owned_by(conn: &Connection, owner: UserId) -> Result<Vec<CredentialId>> {
    Ok(conn
        .prepare_cached("SELECT id FROM credentials WHERE owner_id = ?1 ORDER BY id")?
        .query_map([owner.0], |row| row.get(0).map(CredentialId))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Makes `owner` the owner of `credential`; [`Error::DuplicateName`] when they already hold a
/// current credential of that name.
pub(super) fn set_owner(conn: &Connection, credential: &Credential, owner: UserId) -> Result<()> {
    let changed = conn
        .prepare_cached("UPDATE credentials SET owner_id = ?2 WHERE id = ?1")?
        .execute((credential.id.0, owner.0));
    match changed {
        Ok(_) => Ok(()),
        Err(error) if is_name_clash(&error) => Err(Error::DuplicateName(credential.name.clone())),
        Err(error) => Err(error.into()),
    }
}

/// The credential that renewed `id`, if any.
pub(super) fn successor(conn: &Connection, id: CredentialId) -> Result<Option<CredentialId>> {
    Ok(conn
        .prepare_cached("SELECT id FROM credentials WHERE renewed_from = ?1")?
        .query_row([id.0], |row| row.get(0).map(CredentialId))
        .optional()?)
}

/// The unrevoked credentials of `owner`.
pub(super) fn unrevoked_of(conn: &Connection, owner: UserId) -> Result<Vec<CredentialId>> {
    Ok(conn
        .prepare_cached("SELECT id FROM credentials WHERE owner_id = ?1 AND revoked_at IS NULL")?
        .query_map([owner.0], |row| row.get(0).map(CredentialId))?
        .collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verify's lookup reads nothing but the covering index, and a renewed credential's
    /// successor is found through the index of predecessors, not by a scan.
    #[test]
    fn the_verify_lookup_reads_only_indexes() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::vault::migrate_for_tests(&mut conn);
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {BY_DIGEST}"))
            .unwrap()
            .query_map([[0u8; 32].as_slice()], |row| row.get(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan.iter()
                .any(|step| step.contains("USING COVERING INDEX credentials_verify (digest=?)")),
            "{plan:?}"
        );
        assert!(
            plan.iter().any(|step| step
                .contains("USING COVERING INDEX credentials_by_predecessor (renewed_from=?)")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")),
            "{plan:?}"
        );
    }
}
