//! The webhook tables: webhooks with their events, headers and signing keys. Reads hand
//! write-only values (hidden header values, the Basic password, signing keys) only to
//! delivery ([`target`]) and to an edit that keeps them ([`stored`]); the view the window
//! and the command line get ([`get`]) never holds them.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::event::{EventType, ALL_EVENTS};
use super::signing::SigningKey;
use super::spec::{Stored, ValidSpec};
use super::{DisabledReason, HeaderView, Webhook};
use crate::clock::from_seconds;
use crate::error::{Error, Result};
use crate::ids::WebhookId;
use crate::secret::Secret;

/// How long a rolled secret keeps signing beside its successor.
pub const ROLL_OVERLAP: Duration = Duration::hours(24);

/// Where and how one webhook's deliveries are sent.
pub(crate) struct Target {
    pub url: String,
    pub basic: Option<(String, Secret)>,
    pub headers: Vec<(String, Secret)>,
    pub keys: Vec<SigningKey>,
}

/// Adds a webhook with its first signing key.
pub(crate) fn insert(
    conn: &Connection,
    now: DateTime<Utc>,
    spec: &ValidSpec,
    key: &SigningKey,
) -> Result<WebhookId> {
    conn.prepare_cached("INSERT INTO webhooks (url, created_at) VALUES ('', ?1)")?
        .execute([now.timestamp()])?;
    let id = WebhookId(conn.last_insert_rowid());
    write(conn, id, spec)?;
    add_key(conn, id, now, key)?;
    Ok(id)
}

/// Writes `spec` over webhook `id`'s URL, description, events, Basic credentials and headers.
pub(crate) fn write(conn: &Connection, id: WebhookId, spec: &ValidSpec) -> Result<()> {
    let (user, password) = match &spec.basic {
        Some((user, password)) => (Some(user.as_str()), Some(password.expose())),
        None => (None, None),
    };
    conn.prepare_cached(
        "UPDATE webhooks SET url = ?2, description = ?3, basic_user = ?4, basic_password = ?5
         WHERE id = ?1",
    )?
    .execute((id.0, &spec.url, &spec.description, user, password))?;
    conn.prepare_cached("DELETE FROM webhook_events WHERE webhook_id = ?1")?
        .execute([id.0])?;
    let mut event =
        conn.prepare_cached("INSERT INTO webhook_events (event, webhook_id) VALUES (?1, ?2)")?;
    for name in &spec.events {
        event.execute((name, id.0))?;
    }
    conn.prepare_cached("DELETE FROM webhook_headers WHERE webhook_id = ?1")?
        .execute([id.0])?;
    let mut header = conn.prepare_cached(
        "INSERT INTO webhook_headers (webhook_id, position, name, value, hidden)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (position, (name, value, hidden)) in spec.headers.iter().enumerate() {
        header.execute((id.0, position as i64, name, value.expose(), hidden))?;
    }
    Ok(())
}

/// Adds a signing key; the key that signed until now keeps signing for [`ROLL_OVERLAP`].
pub(crate) fn add_key(
    conn: &Connection,
    id: WebhookId,
    now: DateTime<Utc>,
    key: &SigningKey,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM webhook_secrets WHERE webhook_id = ?1 AND retires_at <= ?2")?
        .execute((id.0, now.timestamp()))?;
    conn.prepare_cached(
        "UPDATE webhook_secrets SET retires_at = ?2 WHERE webhook_id = ?1 AND retires_at IS NULL",
    )?
    .execute((id.0, (now + ROLL_OVERLAP).timestamp()))?;
    conn.prepare_cached(
        "INSERT INTO webhook_secrets (webhook_id, secret, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute((id.0, key.bytes(), now.timestamp()))?;
    Ok(())
}

/// The webhook with `id`, as it may be shown.
pub(crate) fn get(conn: &Connection, id: WebhookId, now: DateTime<Utc>) -> Result<Webhook> {
    let row = conn
        .prepare_cached(
            "SELECT url, description, enabled, disabled_reason, basic_user,
                    basic_password IS NOT NULL, created_at, failing_since
             FROM webhooks WHERE id = ?1",
        )?
        .query_row([id.0], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, bool>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, bool>(5)?,
                row.get::<_, i64>(6)?,
                row.get::<_, Option<i64>>(7)?,
            ))
        })
        .optional()?
        .ok_or(Error::WebhookNotFound(id.0))?;
    let (url, description, enabled, reason, basic_user, has_password, created, failing) = row;
    let names: Vec<String> = conn
        .prepare_cached("SELECT event FROM webhook_events WHERE webhook_id = ?1")?
        .query_map([id.0], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let all_events = names.iter().any(|name| name == ALL_EVENTS);
    let events = EventType::ALL
        .into_iter()
        .filter(|event| names.iter().any(|name| name == event.as_str()))
        .collect();
    let headers = conn
        .prepare_cached(
            "SELECT name, value, hidden FROM webhook_headers WHERE webhook_id = ?1
             ORDER BY position",
        )?
        .query_map([id.0], |row| {
            let hidden: bool = row.get(2)?;
            Ok(HeaderView {
                name: row.get(0)?,
                value: if hidden { None } else { Some(row.get(1)?) },
                hidden,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let previous_secret_until: Option<i64> = conn
        .prepare_cached(
            "SELECT max(retires_at) FROM webhook_secrets WHERE webhook_id = ?1 AND retires_at > ?2",
        )?
        .query_row((id.0, now.timestamp()), |row| row.get(0))?;
    Ok(Webhook {
        id,
        url,
        description,
        enabled,
        disabled_reason: reason.as_deref().and_then(DisabledReason::parse),
        all_events,
        events,
        basic_user,
        has_basic_password: has_password,
        headers,
        created_at: from_seconds(created),
        failing_since: failing.map(from_seconds),
        previous_secret_until: previous_secret_until.map(from_seconds),
    })
}

/// Every webhook's id, oldest first.
pub(crate) fn ids(conn: &Connection) -> Result<Vec<WebhookId>> {
    let ids = conn
        .prepare_cached("SELECT id FROM webhooks ORDER BY id")?
        .query_map([], |row| row.get(0).map(WebhookId))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// The write-only values an edit of `id` may keep.
pub(crate) fn stored(conn: &Connection, id: WebhookId) -> Result<Stored> {
    let basic_password: Option<String> = conn
        .prepare_cached("SELECT basic_password FROM webhooks WHERE id = ?1")?
        .query_row([id.0], |row| row.get(0))
        .optional()?
        .ok_or(Error::WebhookNotFound(id.0))?;
    let headers = conn
        .prepare_cached("SELECT name, value FROM webhook_headers WHERE webhook_id = ?1")?
        .query_map([id.0], |row| Ok((row.get(0)?, Secret::new(row.get(1)?))))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Stored {
        basic_password: basic_password.map(Secret::new),
        headers,
    })
}

/// Everything delivery needs of `id` at `now`: URL, credentials, headers, signing keys.
pub(crate) fn target(conn: &Connection, id: WebhookId, now: DateTime<Utc>) -> Result<Target> {
    let (url, user, password): (String, Option<String>, Option<String>) = conn
        .prepare_cached("SELECT url, basic_user, basic_password FROM webhooks WHERE id = ?1")?
        .query_row([id.0], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?
        .ok_or(Error::WebhookNotFound(id.0))?;
    let stored = stored(conn, id)?;
    let keys = conn
        .prepare_cached(
            "SELECT secret FROM webhook_secrets
             WHERE webhook_id = ?1 AND (retires_at IS NULL OR retires_at > ?2)
             ORDER BY id DESC",
        )?
        .query_map((id.0, now.timestamp()), |row| {
            row.get(0).map(SigningKey::from_stored)
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Target {
        url,
        basic: user.zip(password.map(Secret::new)),
        headers: stored.headers,
        keys,
    })
}

/// `text` (a receiver's answer) with every secret the requests to `id` carry blanked out: the
/// Basic password and its encoded header, header values, signing secrets. A receiver that
/// echoes its request must not put them in the delivery log.
pub(crate) fn redact(conn: &Connection, id: WebhookId, text: &str) -> Result<String> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    let target = target(conn, id, DateTime::<Utc>::MIN_UTC)?;
    let mut secrets: Vec<String> = Vec::new();
    if let Some((user, password)) = &target.basic {
        secrets.push(password.expose().to_owned());
        secrets.push(STANDARD.encode(format!("{user}:{}", password.expose())));
    }
    secrets.extend(
        target
            .headers
            .iter()
            .map(|(_, value)| value.expose().to_owned()),
    );
    for key in &target.keys {
        let secret = key.to_secret();
        secrets.push(secret.expose().trim_start_matches("whsec_").to_owned());
    }
    let mut redacted = text.to_owned();
    for secret in secrets.iter().filter(|secret| secret.len() >= 4) {
        redacted = redacted.replace(secret.as_str(), "[hidden]");
    }
    Ok(redacted)
}

/// Enables or disables `id` (with why); whether that changed anything.
pub(crate) fn set_enabled(
    conn: &Connection,
    id: WebhookId,
    enabled: bool,
    reason: Option<DisabledReason>,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE webhooks SET enabled = ?2, disabled_reason = ?3,
                 failing_since = CASE WHEN ?2 THEN NULL ELSE failing_since END
             WHERE id = ?1 AND enabled != ?2",
        )?
        .execute((id.0, enabled, reason.map(DisabledReason::as_str)))?;
    Ok(changed == 1)
}

/// Since when `id` has failed without a success in between, if it is failing.
pub(crate) fn failing_since(conn: &Connection, id: WebhookId) -> Result<Option<DateTime<Utc>>> {
    let since: Option<i64> = conn
        .prepare_cached("SELECT failing_since FROM webhooks WHERE id = ?1")?
        .query_row([id.0], |row| row.get(0))?;
    Ok(since.map(from_seconds))
}

/// Marks `id` failing since `since`, or (`None`) not failing.
pub(crate) fn set_failing_since(
    conn: &Connection,
    id: WebhookId,
    since: Option<DateTime<Utc>>,
) -> Result<()> {
    conn.prepare_cached("UPDATE webhooks SET failing_since = ?2 WHERE id = ?1")?
        .execute((id.0, since.map(|at| at.timestamp())))?;
    Ok(())
}

/// Removes `id` with its events, headers, keys and deliveries.
pub(crate) fn delete(conn: &Connection, id: WebhookId) -> Result<()> {
    match conn
        .prepare_cached("DELETE FROM webhooks WHERE id = ?1")?
        .execute([id.0])?
    {
        0 => Err(Error::WebhookNotFound(id.0)),
        _ => Ok(()),
    }
}
