//! Renewal mail: the vault's SMTP settings (the password write-only, as webhooks' hidden
//! values are) and the mail outbox. A renewal writes its message in its own transaction;
//! delivery (`keysmith-delivery`) sends what is due when SMTP is set up, retrying every five
//! minutes; without SMTP the messages wait in the app's Messages list, to be copied by hand.
//! A message never holds a secret: no token, no claim key.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::AuditAction;
use crate::clock::from_seconds;
use crate::error::{Error, Result};
use crate::meta::{get, put, remove};
use crate::secret::Secret;
use crate::text::EmailAddress;
use crate::vault::Vault;
use crate::webhook::SecretValue;

/// The meta entries holding the settings and, apart, the password.
const SETTINGS_KEY: &str = "smtp";
const PASSWORD_KEY: &str = "smtp_password";

/// How long after a failed send a message is tried again, and how often at most.
const RETRY_AFTER: Duration = Duration::minutes(5);
const MAX_ATTEMPTS: u32 = 20;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Plain, then STARTTLS, required (usually port 587).
    StartTls,
    /// No encryption: only to a server on this computer.
    None,
}

/// The SMTP settings as given.
#[derive(Debug, Clone, Deserialize, specta::Type, Serialize)]
pub struct SmtpSpec {
    /// The server's host name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub security: SmtpSecurity,
    /// The user name to log in with, if the server wants one.
    pub user: Option<String>,
    /// The password: new, or the one stored (never shown again).
    pub password: SecretValue,
    /// The sender address.
    pub from: String,
}

/// The SMTP settings as they may be shown: the password never is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct SmtpSettings {
    /// The server's host name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub security: SmtpSecurity,
    /// The user name, if any.
    pub user: Option<String>,
    /// The sender address.
    pub from: String,
    /// Whether a password is stored.
    pub has_password: bool,
}

/// Everything needed to send: the settings and the password.
pub struct SmtpAccess {
    /// The settings.
    pub settings: SmtpSettings,
    /// The password, if one is stored.
    pub password: Option<Secret>,
}

/// A message in the outbox.
#[derive(Debug, Clone, Serialize, specta::Type, Deserialize)]
pub struct MailMessage {
    /// Row id.
    pub id: i64,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// To whom.
    pub recipient: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// When it was sent, if it was.
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
}

impl MailMessage {
    /// The message as one text to paste into a mail program: its recipient, subject and body.
    pub fn as_text(&self) -> String {
        format!(
            "To: {}\nSubject: {}\n\n{}",
            self.recipient, self.subject, self.body
        )
    }
}

impl SmtpSpec {
    /// Checks the spec; `stored` is the password `Keep` refers to.
    fn validate(&self, stored: Option<Secret>) -> Result<(SmtpSettings, Option<Secret>)> {
        let host = self.host.trim();
        let invalid = |why: &str| Error::InvalidSmtp(why.to_owned());
        if host.is_empty() || host.len() > 253 || host.chars().any(|c| c.is_whitespace()) {
            return Err(invalid("Enter the SMTP server's host name"));
        }
        if self.port == 0 {
            return Err(invalid("Enter the SMTP server's port"));
        }
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if self.security == SmtpSecurity::None && !loopback {
            return Err(invalid(
                "Use TLS or STARTTLS; an unencrypted connection is only for a server on this computer",
            ));
        }
        let from = EmailAddress::try_from(self.from.trim().to_owned())?;
        let user = self
            .user
            .as_deref()
            .map(str::trim)
            .filter(|user| !user.is_empty());
        let password = match (&user, &self.password) {
            (None, _) => None,
            (Some(_), SecretValue::New(password)) => Some(password.clone()),
            (Some(_), SecretValue::Keep) => Some(
                stored.ok_or_else(|| invalid("There is no stored password to keep; enter one"))?,
            ),
        };
        Ok((
            SmtpSettings {
                host: host.to_owned(),
                port: self.port,
                security: self.security,
                user: user.map(str::to_owned),
                from: from.as_str().to_owned(),
                has_password: password.is_some(),
            },
            password,
        ))
    }
}

/// The columns [`message_from_row`] reads, as a macro so statements are `concat!`ed.
macro_rules! message_columns {
    () => {
        "id, created_at, recipient, subject, body, sent_at, last_error"
    };
}

fn message_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<MailMessage> {
    Ok(MailMessage {
        id: row.get(0)?,
        created_at: from_seconds(row.get(1)?),
        recipient: row.get(2)?,
        subject: row.get(3)?,
        body: row.get(4)?,
        sent_at: row.get::<_, Option<i64>>(5)?.map(from_seconds),
        last_error: row.get(6)?,
    })
}

impl Vault {
    /// The SMTP settings, if renewal mail is set up (account holder and admins).
    pub fn smtp_settings(&self) -> Result<Option<SmtpSettings>> {
        self.operator().require_admin("see the mail settings")?;
        load_settings(self.conn())
    }

    /// Sets up renewal mail with `spec`, or (`None`) stops sending mail: messages then wait in
    /// the Messages list. Account holder and admins; audited without the password.
    pub fn set_smtp(&mut self, spec: Option<&SmtpSpec>) -> Result<()> {
        self.operator().require_admin("change the mail settings")?;
        self.audited(|change| match spec {
            Some(spec) => {
                let (settings, password) = spec.validate(load_password(change)?)?;
                put(
                    change,
                    SETTINGS_KEY,
                    serde_json::to_vec(&settings).unwrap_or_default(),
                )?;
                match password {
                    Some(password) => {
                        put(change, PASSWORD_KEY, password.expose().as_bytes().to_vec())?
                    }
                    None => remove(change, PASSWORD_KEY)?,
                }
                change.record(
                    AuditAction::SettingsChanged,
                    None,
                    json!({ "smtp": { "host": settings.host, "port": settings.port } }),
                )
            }
            None => {
                remove(change, SETTINGS_KEY)?;
                remove(change, PASSWORD_KEY)?;
                change.record(AuditAction::SettingsChanged, None, json!({ "smtp": null }))
            }
        })
    }

    /// The outbox's messages, newest first (account holder and admins).
    pub fn mail_messages(&self, limit: usize) -> Result<Vec<MailMessage>> {
        self.operator().require_admin("see the renewal messages")?;
        let rows = self
            .conn()
            .prepare_cached(concat!(
                "SELECT ",
                message_columns!(),
                " FROM mail_outbox ORDER BY id DESC LIMIT ?1"
            ))?
            .query_map([limit as i64], message_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// What delivery should send now: the SMTP access and up to `limit` due messages; `None`
    /// when mail is not set up. For the delivery lease holder.
    pub fn mail_due(&self, limit: usize) -> Result<Option<(SmtpAccess, Vec<MailMessage>)>> {
        let Some(settings) = load_settings(self.conn())? else {
            return Ok(None);
        };
        let due = self
            .conn()
            .prepare_cached(concat!(
                "SELECT ",
                message_columns!(),
                " FROM mail_outbox
                     WHERE sent_at IS NULL AND attempts < ?1 AND next_attempt_at <= ?2
                     ORDER BY id LIMIT ?3"
            ))?
            .query_map(
                (MAX_ATTEMPTS, self.now().timestamp(), limit as i64),
                message_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let password = load_password(self.conn())?;
        Ok(Some((SmtpAccess { settings, password }, due)))
    }

    /// Records what sending message `id` came to: sent, or why not (tried again in five
    /// minutes, at most 20 times).
    pub fn mail_attempted(
        &mut self,
        id: i64,
        outcome: std::result::Result<(), String>,
    ) -> Result<()> {
        self.bookkeeping(|conn, now| {
            match outcome {
                Ok(()) => conn
                    .prepare_cached(
                        "UPDATE mail_outbox SET sent_at = ?2, attempts = attempts + 1,
                             last_error = NULL WHERE id = ?1",
                    )?
                    .execute((id, now.timestamp()))?,
                Err(error) => conn
                    .prepare_cached(
                        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?2,
                             next_attempt_at = ?3 WHERE id = ?1",
                    )?
                    .execute((id, error, (now + RETRY_AFTER).timestamp()))?,
            };
            Ok(())
        })
    }
}

/// Writes a message to `recipient` in the caller's transaction, due now.
pub(crate) fn enqueue(
    conn: &Connection,
    now: DateTime<Utc>,
    recipient: &EmailAddress,
    subject: &str,
    body: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO mail_outbox (created_at, recipient, subject, body, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?1)",
    )?
    .execute((now.timestamp(), recipient.as_str(), subject, body))?;
    Ok(())
}

fn load_settings(conn: &Connection) -> Result<Option<SmtpSettings>> {
    let stored: Option<Vec<u8>> = get(conn, SETTINGS_KEY)?;
    Ok(stored.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

fn load_password(conn: &Connection) -> Result<Option<Secret>> {
    let stored = get(conn, PASSWORD_KEY)?;
    Ok(stored
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(Secret::new))
}
