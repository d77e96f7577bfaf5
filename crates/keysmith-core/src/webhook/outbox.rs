//! The outbox's deliveries: which are due, what an attempt's answer does to them (the retry
//! schedule, 410 Gone, `Retry-After`, five days of failures), the delivery log, and the events
//! time itself raises (a credential expiring or expired).

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::event::{self, EventType};
use super::signing::{self, SigningKey};
use super::{store, DisabledReason};
use crate::audit::{self, AuditAction};
use crate::clock::from_seconds;
use crate::credential::{self, store as credentials, CredentialId};
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, WebhookId};
use crate::outbound_url::Reach;
use crate::secret::Secret;
use crate::settings;

/// How long after a failed attempt the next one is made: the Standard Webhooks example
/// schedule. The first attempt is immediate; after the last, the delivery has failed.
pub const RETRY_SCHEDULE: [Duration; 10] = [
    Duration::zero(),
    Duration::seconds(5),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(5),
    Duration::hours(10),
    Duration::hours(14),
    Duration::hours(20),
    Duration::hours(24),
];

/// A webhook failing this long without one success is disabled.
pub const FAILING_LIMIT: Duration = Duration::days(5);

/// The longest wait a receiver's `Retry-After` can ask for.
const MAX_RETRY_AFTER: Duration = Duration::hours(24);

/// How much of a receiver's answer is kept.
pub const RESPONSE_LIMIT: usize = 1024;

/// Finished deliveries are kept in the log this long.
const LOG_KEPT: Duration = Duration::days(30);

/// The actor audit rows name when delivery itself disables a webhook.
const DELIVERY_ACTOR: &str = "Keysmith webhook delivery";

/// One message on its way to one webhook, with everything needed to send it.
pub struct Dispatch {
    /// The delivery.
    pub delivery: DeliveryId,
    /// The webhook it goes to; `None` for a renewal's callback.
    pub webhook: Option<WebhookId>,
    /// The message's id (`webhook-id`): the same on every attempt.
    pub message_id: String,
    /// Where it goes.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// HTTP Basic credentials.
    pub basic: Option<(String, Secret)>,
    /// Custom headers (hidden values among them).
    pub headers: Vec<(String, Secret)>,
    /// The keys that sign it, newest first.
    pub keys: Vec<SigningKey>,
    /// Where it may go: private addresses for webhooks (the account holder's), public ones
    /// only for renewal callbacks unless the account holder allows private ones.
    pub reach: Reach,
}

/// What one attempt to deliver came to.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// The receiver answered with `status`; `body` is the start of its answer (at most
    /// [`RESPONSE_LIMIT`] bytes); `retry_after` is what its `Retry-After` asked for.
    Answered {
        /// The HTTP status code.
        status: u16,
        /// The first bytes of the answer.
        body: Vec<u8>,
        /// The wait the receiver asked for.
        retry_after: Option<Duration>,
    },
    /// No answer: the connection failed or the request timed out.
    Failed {
        /// What went wrong, in words (never a secret: no URL credentials exist).
        error: String,
    },
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Every attempt failed, or the receiver answered 410 Gone.
    Failed,
}

/// A row of a webhook's delivery log.
#[derive(Debug, Clone, Serialize, specta::Type, Deserialize)]
pub struct DeliveryRecord {
    /// The delivery.
    pub id: DeliveryId,
    /// The message's id (`webhook-id`).
    pub message_id: String,
    /// The event it reports.
    pub event: String,
    /// When the event happened.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The last answer's status code.
    pub last_status: Option<u16>,
    /// Why the last attempt got no answer.
    pub last_error: Option<String>,
    /// The start of the last answer (at most 1 KiB), with any secret of the request blanked.
    pub last_response: Option<String>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A due delivery as read: to a webhook, or straight to a callback URL.
struct DueRow {
    delivery: i64,
    webhook: Option<i64>,
    callback_url: Option<String>,
    message_id: String,
    body: String,
}

/// Takes up to `limit` deliveries due at `now` to enabled webhooks and holds them (their next
/// attempt moved to `now + hold`) so that no other pass takes them while they are sent; a
/// process that dies while sending leaves them to be sent again once `hold` is over.
pub(crate) fn claim_due(
    conn: &Connection,
    now: DateTime<Utc>,
    limit: usize,
    hold: Duration,
) -> Result<Vec<Dispatch>> {
    event::fan_out(conn)?;
    let due: Vec<DueRow> = conn
        .prepare_cached(
            "SELECT d.id, d.webhook_id, d.callback_url, m.uid, m.payload
             FROM webhook_deliveries d
             LEFT JOIN webhooks w ON w.id = d.webhook_id
             JOIN webhook_messages m ON m.id = d.message_id
             WHERE d.state = 'pending' AND d.next_attempt_at <= ?1
               AND (w.enabled = 1 OR d.webhook_id IS NULL)
             ORDER BY d.next_attempt_at, d.id LIMIT ?2",
        )?
        .query_map((now.timestamp(), limit as i64), |row| {
            Ok(DueRow {
                delivery: row.get(0)?,
                webhook: row.get(1)?,
                callback_url: row.get(2)?,
                message_id: row.get(3)?,
                body: row.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut hold_one =
        conn.prepare_cached("UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id = ?1")?;
    let mut dispatches = Vec::with_capacity(due.len());
    for DueRow {
        delivery,
        webhook,
        callback_url,
        message_id,
        body,
    } in due
    {
        hold_one.execute((delivery, (now + hold).timestamp()))?;
        let webhook = webhook.map(WebhookId);
        let reach = match webhook {
            Some(_) => Reach::Private,
            None => settings::callback_reach(conn)?,
        };
        let target = match (webhook, callback_url) {
            (Some(webhook), _) => store::target(conn, webhook, now)?,
            (None, url) => store::Target {
                url: url.unwrap_or_default(),
                basic: None,
                headers: Vec::new(),
                keys: vec![signing::renewal_key(conn)?],
            },
        };
        dispatches.push(Dispatch {
            delivery: DeliveryId(delivery),
            webhook,
            message_id,
            url: target.url,
            body,
            basic: target.basic,
            headers: target.headers,
            keys: target.keys,
            reach,
        });
    }
    Ok(dispatches)
}

/// When the next pending delivery to an enabled webhook is due, if any is; a message not yet
/// fanned out is due when it was written.
pub(crate) fn next_due(conn: &Connection) -> Result<Option<DateTime<Utc>>> {
    let next: Option<i64> = conn
        .prepare_cached(
            "SELECT min(at) FROM (
                 SELECT min(d.next_attempt_at) AS at FROM webhook_deliveries d
                 LEFT JOIN webhooks w ON w.id = d.webhook_id
                 WHERE d.state = 'pending' AND (w.enabled = 1 OR d.webhook_id IS NULL)
                 UNION ALL
                 SELECT min(created_at) FROM webhook_messages WHERE targets IS NOT NULL)",
        )?
        .query_row([], |row| row.get(0))?;
    Ok(next.map(from_seconds))
}

/// Records what the attempt at `now` came to: 2xx delivers; 410 Gone fails the delivery and
/// disables the webhook; anything else is retried on [`RETRY_SCHEDULE`] (later if the
/// receiver's `Retry-After` asks, up to a day) until the schedule is spent, and disables the
/// webhook once it has failed for [`FAILING_LIMIT`]. A delivery that is no longer there (its
/// webhook deleted meanwhile) is left alone.
pub(crate) fn finish(
    conn: &Connection,
    now: DateTime<Utc>,
    delivery: DeliveryId,
    attempt: &Attempt,
) -> Result<()> {
    let row: Option<(Option<i64>, u32)> = conn
        .prepare_cached("SELECT webhook_id, step FROM webhook_deliveries WHERE id = ?1")?
        .query_row([delivery.0], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((webhook, step)) = row else {
        return Ok(());
    };
    let webhook = webhook.map(WebhookId);
    let (status, error, response, retry_after) = match attempt {
        Attempt::Answered {
            status,
            body,
            retry_after,
        } => {
            let text = String::from_utf8_lossy(&body[..body.len().min(RESPONSE_LIMIT)]);
            let text = match webhook {
                Some(webhook) => store::redact(conn, webhook, &text)?,
                // A callback carries no secret but its claim key, single-use and short-lived.
                None => text.into_owned(),
            };
            (Some(*status), None, Some(text), *retry_after)
        }
        Attempt::Failed { error } => (None, Some(error.as_str()), None, None),
    };
    let delivered = status.is_some_and(|status| (200..300).contains(&status));
    let gone = status == Some(410);
    let next_step = step + 1;
    let (state, next) = if delivered {
        (DeliveryState::Delivered, None)
    } else if gone || next_step as usize >= RETRY_SCHEDULE.len() {
        (DeliveryState::Failed, None)
    } else {
        let wait = RETRY_SCHEDULE[next_step as usize]
            .max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER));
        (DeliveryState::Pending, Some(now + wait))
    };
    conn.prepare_cached(
        "UPDATE webhook_deliveries SET state = ?2, attempts = attempts + 1, step = ?3,
             next_attempt_at = ?4, last_attempt_at = ?5, last_status = ?6, last_error = ?7,
             last_response = ?8
         WHERE id = ?1",
    )?
    .execute((
        delivery.0,
        state_name(state),
        next_step,
        next.map(|at| at.timestamp()),
        now.timestamp(),
        status,
        error,
        response,
    ))?;
    let Some(webhook) = webhook else {
        return Ok(()); // a callback: no webhook to keep healthy
    };
    if delivered {
        store::set_failing_since(conn, webhook, None)?;
    } else if gone {
        disable(conn, now, webhook, DisabledReason::Gone)?;
    } else {
        let since = store::failing_since(conn, webhook)?.unwrap_or(now);
        store::set_failing_since(conn, webhook, Some(since))?;
        if now - since >= FAILING_LIMIT {
            disable(conn, now, webhook, DisabledReason::Failing)?;
        }
    }
    Ok(())
}

/// Disables `webhook` for `reason`, as delivery decided, and audits it.
fn disable(
    conn: &Connection,
    now: DateTime<Utc>,
    webhook: WebhookId,
    reason: DisabledReason,
) -> Result<()> {
    if store::set_enabled(conn, webhook, false, Some(reason))? {
        tracing::warn!(
            webhook = webhook.0,
            reason = reason.as_str(),
            "webhook disabled"
        );
        audit::append(
            conn,
            now,
            DELIVERY_ACTOR,
            AuditAction::WebhookDisabled,
            None,
            &json!({ "webhook": webhook.0, "reason": reason.as_str() }),
        )?;
    }
    Ok(())
}

/// Delivery `id`, as its log row.
pub(crate) fn record(conn: &Connection, id: DeliveryId) -> Result<DeliveryRecord> {
    conn.prepare_cached(&format!("{RECORD_SELECT} WHERE d.id = ?1"))?
        .query_row([id.0], record_from_row)
        .optional()?
        .ok_or(Error::DeliveryNotFound(id.0))
}

/// A log row's columns, as [`record_from_row`] reads them.
const RECORD_SELECT: &str = "SELECT d.id, m.uid, m.event, m.created_at, d.state,
        d.attempts, d.last_attempt_at, d.last_status, d.last_error, d.last_response,
        d.next_attempt_at
    FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id";

/// The newest `limit` deliveries to `webhook`, newest first.
pub(crate) fn log(
    conn: &Connection,
    webhook: WebhookId,
    limit: usize,
) -> Result<Vec<DeliveryRecord>> {
    let rows = conn
        .prepare_cached(&format!(
            "{RECORD_SELECT} WHERE d.webhook_id = ?1 ORDER BY d.id DESC LIMIT ?2"
        ))?
        .query_map((webhook.0, limit as i64), record_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<DeliveryRecord> {
    let state: String = row.get(4)?;
    Ok(DeliveryRecord {
        id: DeliveryId(row.get(0)?),
        message_id: row.get(1)?,
        event: row.get(2)?,
        created_at: from_seconds(row.get(3)?),
        state: match state.as_str() {
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        },
        attempts: row.get(5)?,
        last_attempt_at: row.get::<_, Option<i64>>(6)?.map(from_seconds),
        last_status: row.get(7)?,
        last_error: row.get(8)?,
        last_response: row.get(9)?,
        next_attempt_at: row.get::<_, Option<i64>>(10)?.map(from_seconds),
    })
}

fn state_name(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => "pending",
        DeliveryState::Delivered => "delivered",
        DeliveryState::Failed => "failed",
    }
}

/// Writes a message of `event` with `data` and a delivery of it, due now, straight to `url`
/// (a renewal's callback, signed with the vault's renewal signing key).
pub(crate) fn enqueue_callback(
    conn: &Connection,
    now: DateTime<Utc>,
    url: &str,
    event: &str,
    data: serde_json::Value,
) -> Result<()> {
    let message = event::write_message(conn, now, event, data, None)?;
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (callback_url, message_id, next_attempt_at)
         VALUES (?1, ?2, ?3)",
    )?
    .execute((url, message, now.timestamp()))?;
    Ok(())
}

/// Sends `delivery`'s message again from the start of the schedule, due now.
pub(crate) fn resend(conn: &Connection, now: DateTime<Utc>, delivery: DeliveryId) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE webhook_deliveries SET state = 'pending', step = 0, next_attempt_at = ?2
             WHERE id = ?1",
        )?
        .execute((delivery.0, now.timestamp()))?;
    match changed {
        0 => Err(Error::DeliveryNotFound(delivery.0)),
        _ => Ok(()),
    }
}

/// Raises the events (and the desktop's reminders) of credentials whose expiry, or the day 7
/// days or 1 day before it, fell between the last scan and `now`: each once, for credentials
/// not revoked. The first scan of
/// a vault only marks where it stands (what expired before webhooks existed is not news).
/// Also drops finished deliveries older than the log keeps.
pub(crate) fn scan(conn: &Connection, now: DateTime<Utc>) -> Result<()> {
    let scanned_to: Option<i64> = conn
        .prepare_cached("SELECT scanned_to FROM expiry_scan WHERE id = 1")?
        .query_row([], |row| row.get(0))
        .optional()?;
    if let Some(from) = scanned_to.map(from_seconds).filter(|from| *from < now) {
        // A notice whose successor is due too (a scan after a long pause) gives way to it.
        for (event, before, superseded) in [
            (
                EventType::CredentialExpiring,
                Duration::days(7),
                Some(Duration::days(1)),
            ),
            (
                EventType::CredentialExpiring,
                Duration::days(1),
                Some(Duration::zero()),
            ),
            (EventType::CredentialExpired, Duration::zero(), None),
        ] {
            let window = (from + before, now + before);
            let superseded = superseded.map(|ahead| now + ahead);
            raise_expiry(conn, now, event, window, before, superseded)?;
        }
    }
    if scanned_to.is_none_or(|to| to < now.timestamp()) {
        conn.prepare_cached(
            "INSERT INTO expiry_scan (id, scanned_to) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET scanned_to = excluded.scanned_to",
        )?
        .execute([now.timestamp()])?;
    }
    credential::trim_reminders(conn, now)?;
    conn.prepare_cached(
        "DELETE FROM webhook_deliveries WHERE state != 'pending' AND last_attempt_at < ?1",
    )?
    .execute([(now - LOG_KEPT).timestamp()])?;
    conn.prepare_cached(
        "DELETE FROM webhook_messages WHERE created_at < ?1 AND targets IS NULL AND NOT EXISTS
             (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = webhook_messages.id)",
    )?
    .execute([(now - LOG_KEPT).timestamp()])?;
    Ok(())
}

/// Raises `event` and its reminder, `before` ahead of expiry, for every unrevoked credential expiring within
/// `window` (exclusive, inclusive) and, if a later notice supersedes this one, after
/// `superseded`.
fn raise_expiry(
    conn: &Connection,
    now: DateTime<Utc>,
    event: EventType,
    window: (DateTime<Utc>, DateTime<Utc>),
    before: Duration,
    superseded: Option<DateTime<Utc>>,
) -> Result<()> {
    let subscribers = event::subscribers(conn, event)?;
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM credentials WHERE revoked_at IS NULL
             AND expires_at > max(?1, ?3) AND expires_at <= ?2 ORDER BY expires_at, id",
        )?
        .query_map(
            (
                window.0.timestamp(),
                window.1.timestamp(),
                superseded.map_or(i64::MIN, |at| at.timestamp()),
            ),
            |row| row.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        credential::raise_reminder(conn, now, CredentialId(id), before.num_days())?;
        if subscribers.is_empty() {
            continue;
        }
        let credential = credentials::get(conn, CredentialId(id))?;
        let mut data = event::credential_data(&credential, now);
        if event == EventType::CredentialExpiring {
            data.insert("days_left".into(), json!(before.num_days()));
        }
        event::enqueue(conn, now, event, data.into(), &subscribers)?;
    }
    Ok(())
}
