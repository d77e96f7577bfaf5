//! Webhooks: the company's own systems hear about credential events. The account holder
//! registers a webhook (URL, events, optional HTTP Basic credentials, custom headers whose
//! values may be write-only) and gets its signing secret once; every audited change that is
//! an event writes a message to the outbox in the change's own transaction (`event`);
//! delivery (the `keysmith-delivery` crate, in the app or `keysmith serve`) takes due
//! messages under a lease so one process at a time sends, signs them as Standard Webhooks
//! (`signing`) and reports each attempt back (`outbox`), which retries on the spec's
//! schedule and disables a webhook that is gone or has failed for five days.

mod event;
mod lease;
mod outbox;
mod signing;
mod spec;
mod store;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use crate::ids::{DeliveryId, WebhookId};
pub(crate) use event::on_audit;
pub use event::EventType;
pub(crate) use outbox::enqueue_callback;
pub use outbox::{
    Attempt, DeliveryRecord, DeliveryState, Dispatch, FAILING_LIMIT, RESPONSE_LIMIT, RETRY_SCHEDULE,
};
pub use signing::{signature_header, SigningKey};
pub use spec::{BasicAuthSpec, HeaderSpec, SecretValue, WebhookSpec};
pub use store::ROLL_OVERLAP;

use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::vault::Vault;

/// The lease that lets one process at a time deliver a vault's webhooks.
const DELIVERY_LEASE: &str = "webhook-delivery";

/// A webhook as it may be shown: hidden header values and the Basic password are never in it.
#[derive(Debug, Clone, Serialize, specta::Type, Deserialize)]
pub struct Webhook {
    /// Row id.
    pub id: WebhookId,
    /// Where deliveries go.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// Why it is disabled, while it is.
    pub disabled_reason: Option<DisabledReason>,
    /// Subscribed to every event.
    pub all_events: bool,
    /// The events it wants, when not all.
    pub events: Vec<EventType>,
    /// The HTTP Basic user name, if Basic auth is set.
    pub basic_user: Option<String>,
    /// Whether a Basic password is stored (it is never shown).
    pub has_basic_password: bool,
    /// Custom headers; a hidden one's value is `None`.
    pub headers: Vec<HeaderView>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// Since when its deliveries have failed without a success, if they have.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when a rolled secret still signs beside the current one.
    pub previous_secret_until: Option<DateTime<Utc>>,
}

/// A custom header as it may be shown.
#[derive(Debug, Clone, Serialize, specta::Type, Deserialize)]
pub struct HeaderView {
    /// The header's name.
    pub name: String,
    /// Its value; `None` when hidden.
    pub value: Option<String>,
    /// Whether the value is write-only.
    pub hidden: bool,
}

/// Why a webhook is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// Someone disabled it.
    Manual,
    /// Its receiver answered 410 Gone.
    Gone,
    /// Its deliveries failed for five days.
    Failing,
}

impl DisabledReason {
    /// The stable name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            DisabledReason::Manual => "manual",
            DisabledReason::Gone => "gone",
            DisabledReason::Failing => "failing",
        }
    }

    fn parse(name: &str) -> Option<DisabledReason> {
        [
            DisabledReason::Manual,
            DisabledReason::Gone,
            DisabledReason::Failing,
        ]
        .into_iter()
        .find(|reason| reason.as_str() == name)
    }
}

/// A webhook just added, with its signing secret: the only time the secret is shown.
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct NewWebhook {
    /// The webhook.
    pub webhook: Webhook,
    /// Its signing secret, `whsec_…`.
    #[serde(serialize_with = "crate::secret::serialize_exposed")]
    #[specta(type = String)]
    pub secret: Secret,
}

impl Vault {
    /// Adds a webhook (account holder only) and returns it with its signing secret, which is
    /// not shown again. Every field is checked first; a refused spec saves nothing.
    pub fn add_webhook(&mut self, spec: &WebhookSpec) -> Result<NewWebhook> {
        self.operator().require_account_holder("manage webhooks")?;
        let key = SigningKey::generate();
        let webhook = self.audited(|change| {
            let valid = spec.validate(&spec::Stored::default())?;
            let id = store::insert(change, change.now(), &valid, &key)?;
            change.record(
                AuditAction::WebhookCreated,
                None,
                json!({ "webhook": id.0, "url": valid.url }),
            )?;
            store::get(change, id, change.now())
        })?;
        Ok(NewWebhook {
            webhook,
            secret: key.to_secret(),
        })
    }

    /// Replaces webhook `id`'s URL, description, events, Basic credentials and headers with
    /// `spec`; `Keep` keeps a stored write-only value. Its signing secret stays.
    pub fn update_webhook(&mut self, id: WebhookId, spec: &WebhookSpec) -> Result<Webhook> {
        self.operator().require_account_holder("manage webhooks")?;
        self.audited(|change| {
            let valid = spec.validate(&store::stored(change, id)?)?;
            store::write(change, id, &valid)?;
            change.record(
                AuditAction::WebhookUpdated,
                None,
                json!({ "webhook": id.0, "url": valid.url }),
            )?;
            store::get(change, id, change.now())
        })
    }

    /// Enables or disables webhook `id`. Enabling clears why it was disabled and its failing
    /// streak; deliveries waiting for it go on.
    pub fn set_webhook_enabled(&mut self, id: WebhookId, enabled: bool) -> Result<Webhook> {
        self.operator().require_account_holder("manage webhooks")?;
        self.audited(|change| {
            store::get(change, id, change.now())?;
            let reason = (!enabled).then_some(DisabledReason::Manual);
            if store::set_enabled(change, id, enabled, reason)? {
                let action = match enabled {
                    true => AuditAction::WebhookEnabled,
                    false => AuditAction::WebhookDisabled,
                };
                change.record(action, None, json!({ "webhook": id.0 }))?;
            }
            store::get(change, id, change.now())
        })
    }

    /// Removes webhook `id` with its delivery log; messages still waiting for it are dropped.
    pub fn delete_webhook(&mut self, id: WebhookId) -> Result<()> {
        self.operator().require_account_holder("manage webhooks")?;
        self.audited(|change| {
            let webhook = store::get(change, id, change.now())?;
            store::delete(change, id)?;
            change.record(
                AuditAction::WebhookDeleted,
                None,
                json!({ "webhook": id.0, "url": webhook.url }),
            )
        })
    }

    /// Gives webhook `id` a new signing secret, returned once; the old one keeps signing
    /// beside it for [`ROLL_OVERLAP`], so receivers can switch without missing a message.
    pub fn roll_webhook_secret(&mut self, id: WebhookId) -> Result<Secret> {
        self.operator().require_account_holder("manage webhooks")?;
        let key = SigningKey::generate();
        self.audited(|change| {
            store::get(change, id, change.now())?;
            store::add_key(change, id, change.now(), &key)?;
            change.record(
                AuditAction::WebhookSecretRolled,
                None,
                json!({ "webhook": id.0 }),
            )
        })?;
        Ok(key.to_secret())
    }

    /// Every webhook, oldest first (account holder only).
    pub fn webhooks(&self) -> Result<Vec<Webhook>> {
        self.operator().require_account_holder("see webhooks")?;
        let now = self.now();
        store::ids(self.conn())?
            .into_iter()
            .map(|id| store::get(self.conn(), id, now))
            .collect()
    }

    /// Webhook `id` (account holder only).
    pub fn webhook(&self, id: WebhookId) -> Result<Webhook> {
        self.operator().require_account_holder("see webhooks")?;
        store::get(self.conn(), id, self.now())
    }

    /// The newest `limit` deliveries to webhook `id`, newest first (account holder only).
    pub fn webhook_deliveries(&self, id: WebhookId, limit: usize) -> Result<Vec<DeliveryRecord>> {
        self.webhook(id)?;
        outbox::log(self.conn(), id, limit)
    }

    /// Queues a `webhook.test` message to webhook `id` alone, due now; its delivery.
    pub fn send_webhook_test(&mut self, id: WebhookId) -> Result<DeliveryId> {
        if !self.webhook(id)?.enabled {
            return Err(Error::WebhookDisabled);
        }
        self.bookkeeping(|conn, now| {
            let data = json!({ "webhook": { "id": id.0 } });
            let message = event::enqueue(conn, now, EventType::WebhookTest, data, &[id.0])?;
            event::fan_out(conn)?;
            let delivery = conn
                .prepare_cached("SELECT id FROM webhook_deliveries WHERE message_id = ?1")?
                .query_row([message], |row| row.get(0))?;
            Ok(DeliveryId(delivery))
        })
    }

    /// Delivery `id` as its log row (account holder only).
    pub fn webhook_delivery(&self, id: DeliveryId) -> Result<DeliveryRecord> {
        self.operator().require_account_holder("see webhooks")?;
        outbox::record(self.conn(), id)
    }

    /// Sends delivery `id`'s message again, from the start of the retry schedule.
    pub fn resend_delivery(&mut self, id: DeliveryId) -> Result<()> {
        self.operator().require_account_holder("manage webhooks")?;
        self.bookkeeping(|conn, now| outbox::resend(conn, now, id))
    }

    /// The secret renewal callbacks are signed with (`whsec_…`), for receivers to check
    /// them: one per vault, made the first time it is needed. Account holder and admins.
    pub fn renewal_signing_secret(&mut self) -> Result<Secret> {
        self.operator()
            .require_admin("see the renewal signing secret")?;
        self.bookkeeping(|conn, _| Ok(signing::renewal_key(conn)?.to_secret()))
    }

    /// Takes or renews the delivery lease for `holder` for `ttl`: true while `holder` may
    /// deliver; false while another process's lease has not lapsed.
    pub fn take_delivery_lease(&mut self, holder: &str, ttl: Duration) -> Result<bool> {
        self.bookkeeping(|conn, now| lease::take(conn, DELIVERY_LEASE, holder, now, ttl))
    }

    /// Gives up the delivery lease, if `holder` has it.
    pub fn release_delivery_lease(&mut self, holder: &str) -> Result<()> {
        self.bookkeeping(|conn, _| lease::release(conn, DELIVERY_LEASE, holder))
    }

    /// Raises the events time brings (credentials expiring and expired) and trims the
    /// delivery log. For the lease holder.
    pub fn scan_webhook_events(&mut self) -> Result<()> {
        self.bookkeeping(outbox::scan)
    }

    /// Takes up to `limit` due deliveries for sending and holds them for `hold` (see
    /// [`Dispatch`]). For the lease holder.
    pub fn claim_deliveries(&mut self, limit: usize, hold: Duration) -> Result<Vec<Dispatch>> {
        self.bookkeeping(|conn, now| outbox::claim_due(conn, now, limit, hold))
    }

    /// Records what an attempt to send `delivery` came to. For the lease holder.
    pub fn finish_delivery(&mut self, delivery: DeliveryId, attempt: &Attempt) -> Result<()> {
        self.bookkeeping(|conn, now| outbox::finish(conn, now, delivery, attempt))
    }

    /// When the next delivery is due, if any is waiting.
    pub fn next_delivery_due(&self) -> Result<Option<DateTime<Utc>>> {
        outbox::next_due(self.conn())
    }
}
