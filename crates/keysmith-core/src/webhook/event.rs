//! The events webhooks hear about, and how one becomes a message in the outbox: every audited
//! change whose action maps to an event (see [`EventType::for_audit`]) writes a message and a
//! delivery per subscribed webhook in the change's own transaction, so an event is sent if and
//! only if its change committed. Payloads carry metadata only, never a secret.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::audit::AuditAction;
use crate::credential::{store, Credential};
use crate::error::{Error, Result};
use crate::ids::CredentialId;
use crate::token;

/// An event a webhook can subscribe to. The names ([`EventType::as_str`]) are the `type` of
/// every payload and are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
pub enum EventType {
    /// A credential was issued (a renewal's successor too).
    #[serde(rename = "credential.created")]
    CredentialCreated,
    /// A credential was renewed by hand; `data.successor` is the new one's id.
    #[serde(rename = "credential.renewed")]
    CredentialRenewed,
    /// A credential was renewed by auto-renewal; `data.successor` is the new one's id.
    #[serde(rename = "credential.auto_renewed")]
    CredentialAutoRenewed,
    /// A credential was disabled.
    #[serde(rename = "credential.disabled")]
    CredentialDisabled,
    /// A credential was enabled again.
    #[serde(rename = "credential.enabled")]
    CredentialEnabled,
    /// A credential's description or auto-renewal settings changed.
    #[serde(rename = "credential.edited")]
    CredentialEdited,
    /// A credential was revoked.
    #[serde(rename = "credential.revoked")]
    CredentialRevoked,
    /// A credential's row was deleted.
    #[serde(rename = "credential.deleted")]
    CredentialDeleted,
    /// A credential expires in 7 days, or in 1 day (`data.days_left`); once each.
    #[serde(rename = "credential.expiring")]
    CredentialExpiring,
    /// A credential reached its expiry.
    #[serde(rename = "credential.expired")]
    CredentialExpired,
    /// A user was removed with all their credentials.
    #[serde(rename = "user.offboarded")]
    UserOffboarded,
    /// Sent on request, to try a webhook out.
    #[serde(rename = "webhook.test")]
    WebhookTest,
    /// An OAuth app was registered; `data.app` names it.
    #[serde(rename = "oauth_app.registered")]
    OAuthAppRegistered,
    /// An app's request was approved; `data.app`, `data.user`, `data.scopes`, `data.grant_id`.
    #[serde(rename = "oauth_grant.approved")]
    OAuthGrantApproved,
    /// An app's request was denied; `data.app`, `data.scopes`.
    #[serde(rename = "oauth_grant.denied")]
    OAuthGrantDenied,
    /// A grant was revoked; `data.app`, `data.user`, `data.grant_id`, `data.reason`.
    #[serde(rename = "oauth_grant.revoked")]
    OAuthGrantRevoked,
}

impl EventType {
    /// Every event, in the order above.
    pub const ALL: [EventType; 16] = [
        EventType::CredentialCreated,
        EventType::CredentialRenewed,
        EventType::CredentialAutoRenewed,
        EventType::CredentialDisabled,
        EventType::CredentialEnabled,
        EventType::CredentialEdited,
        EventType::CredentialRevoked,
        EventType::CredentialDeleted,
        EventType::CredentialExpiring,
        EventType::CredentialExpired,
        EventType::UserOffboarded,
        EventType::WebhookTest,
        EventType::OAuthAppRegistered,
        EventType::OAuthGrantApproved,
        EventType::OAuthGrantDenied,
        EventType::OAuthGrantRevoked,
    ];

    /// The event's name, e.g. `credential.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CredentialCreated => "credential.created",
            EventType::CredentialRenewed => "credential.renewed",
            EventType::CredentialAutoRenewed => "credential.auto_renewed",
            EventType::CredentialDisabled => "credential.disabled",
            EventType::CredentialEnabled => "credential.enabled",
            EventType::CredentialEdited => "credential.edited",
            EventType::CredentialRevoked => "credential.revoked",
            EventType::CredentialDeleted => "credential.deleted",
            EventType::CredentialExpiring => "credential.expiring",
            EventType::CredentialExpired => "credential.expired",
            EventType::UserOffboarded => "user.offboarded",
            EventType::WebhookTest => "webhook.test",
            EventType::OAuthAppRegistered => "oauth_app.registered",
            EventType::OAuthGrantApproved => "oauth_grant.approved",
            EventType::OAuthGrantDenied => "oauth_grant.denied",
            EventType::OAuthGrantRevoked => "oauth_grant.revoked",
        }
    }

    /// The event named `name`, or [`Error::UnknownEvent`].
    pub fn parse(name: &str) -> Result<EventType> {
        EventType::ALL
            .into_iter()
            .find(|event| event.as_str() == name)
            .ok_or_else(|| Error::UnknownEvent(name.to_owned()))
    }

    /// The event an audited action is, if webhooks hear of it.
    fn for_audit(action: AuditAction) -> Option<EventType> {
        Some(match action {
            AuditAction::CredentialIssued => EventType::CredentialCreated,
            AuditAction::CredentialRenewed => EventType::CredentialRenewed,
            AuditAction::CredentialAutoRenewed => EventType::CredentialAutoRenewed,
            AuditAction::CredentialDisabled => EventType::CredentialDisabled,
            AuditAction::CredentialEnabled => EventType::CredentialEnabled,
            AuditAction::CredentialEdited => EventType::CredentialEdited,
            AuditAction::CredentialRevoked => EventType::CredentialRevoked,
            AuditAction::CredentialDeleted => EventType::CredentialDeleted,
            AuditAction::UserOffboarded => EventType::UserOffboarded,
            AuditAction::OAuthAppRegistered => EventType::OAuthAppRegistered,
            AuditAction::OAuthGrantApproved => EventType::OAuthGrantApproved,
            AuditAction::OAuthGrantDenied => EventType::OAuthGrantDenied,
            AuditAction::OAuthGrantRevoked => EventType::OAuthGrantRevoked,
            _ => return None,
        })
    }
}

/// The subscription row that stands for "every event".
pub(crate) const ALL_EVENTS: &str = "*";

/// Puts the event an audited change is (if any) in the outbox, in the change's transaction.
/// Cheap when nobody listens: one indexed look-up of the subscribed webhooks.
pub(crate) fn on_audit(
    conn: &Connection,
    now: DateTime<Utc>,
    action: AuditAction,
    credential: Option<CredentialId>,
    details: &Value,
) -> Result<()> {
    let Some(event) = EventType::for_audit(action) else {
        return Ok(());
    };
    let subscribers = subscribers(conn, event)?;
    if subscribers.is_empty() {
        return Ok(());
    }
    let mut data = match credential {
        Some(id) => credential_data(&store::get(conn, id)?, now),
        None => Map::new(),
    };
    if let Value::Object(details) = details {
        for (key, value) in details {
            // The audit row repeats the credential's name; the payload has it already.
            if key != "name" || credential.is_none() {
                data.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    enqueue(conn, now, event, Value::Object(data), &subscribers)?;
    Ok(())
}

/// The enabled webhooks that want `event`.
pub(crate) fn subscribers(conn: &Connection, event: EventType) -> Result<Vec<i64>> {
    let mut statement = conn.prepare_cached(
        "SELECT e.webhook_id FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id
         WHERE e.event IN (?1, '*') AND w.enabled = 1",
    )?;
    let ids = statement
        .query_map([event.as_str()], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// Writes one message of `event` with `data` for `webhooks`: one row, whose deliveries
/// delivery makes when it next looks ([`fan_out`]). Its row id.
pub(crate) fn enqueue(
    conn: &Connection,
    now: DateTime<Utc>,
    event: EventType,
    data: Value,
    webhooks: &[i64],
) -> Result<i64> {
    let targets = webhooks
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    write_message(conn, now, event.as_str(), data, Some(&targets))
}

/// Writes a message `{type, timestamp, data}` of `event` with a fresh id, for `targets` (the
/// webhooks to fan out to; `None` when its one delivery is written beside it). Its row id.
pub(crate) fn write_message(
    conn: &Connection,
    now: DateTime<Utc>,
    event: &str,
    data: Value,
    targets: Option<&str>,
) -> Result<i64> {
    let payload = json!({
        "type": event,
        "timestamp": now.to_rfc3339(),
        "data": data,
    });
    conn.prepare_cached(
        "INSERT INTO webhook_messages (uid, event, created_at, payload, targets)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute((
        token::random_id("msg_"),
        event,
        now.timestamp(),
        payload.to_string(),
        targets,
    ))?;
    Ok(conn.last_insert_rowid())
}

/// Gives every message not yet fanned out a delivery, due when the message was written, to
/// each of its webhooks that still exists.
pub(crate) fn fan_out(conn: &Connection) -> Result<()> {
    let waiting: Vec<(i64, String, i64)> = conn
        .prepare_cached(
            "SELECT id, targets, created_at FROM webhook_messages WHERE targets IS NOT NULL
             ORDER BY id",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut deliver = conn.prepare_cached(
        "INSERT INTO webhook_deliveries (webhook_id, message_id, next_attempt_at)
         SELECT id, ?2, ?3 FROM webhooks WHERE id = ?1",
    )?;
    let mut done =
        conn.prepare_cached("UPDATE webhook_messages SET targets = NULL WHERE id = ?1")?;
    for (message, targets, created_at) in waiting {
        for webhook in targets.split(',').filter_map(|id| id.parse::<i64>().ok()) {
            deliver.execute((webhook, message, created_at))?;
        }
        done.execute([message])?;
    }
    Ok(())
}

/// What a payload says of a credential: its metadata as of `now`, never its token (nor the
/// token's hint).
pub(crate) fn credential_data(credential: &Credential, now: DateTime<Utc>) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert(
        "credential".into(),
        json!({
            "id": credential.id.0,
            "name": credential.name,
            "kind": credential.kind.as_str(),
            "owner": credential.owner_id.map(|owner| json!({
                "id": owner.0,
                "name": credential.owner_name,
            })),
            "scopes": credential.scopes,
            "rights": credential.rights.as_str(),
            "applications": credential.applications,
            "client_id": credential.client_id,
            "created_at": credential.created_at.to_rfc3339(),
            "expires_at": credential.expires_at.to_rfc3339(),
            "status": credential.status(now).as_str(),
            "renewed_from": credential.renewed_from.map(|id| id.0),
        }),
    );
    data
}
