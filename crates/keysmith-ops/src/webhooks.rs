//! The webhook operations (the account holder's; anyone else gets `forbidden` from the core):
//! webhooks with their write-only values, the signing secret shown once, the delivery log,
//! "send test" and "resend". Delivery itself runs beside the vault, not in these.

use keysmith_core::webhook::DeliveryRecord;
use keysmith_core::{DeliveryId, NewWebhook, Secret, Webhook, WebhookId, WebhookSpec};
use serde::{Deserialize, Serialize};

/// How many rows of a delivery log are shown.
const LOG_ROWS: usize = 200;

crate::operations! {
    /// Every webhook, oldest first.
    Watch list_webhooks as ListWebhooks {} -> Vec<Webhook> = |vault, _op| vault.webhooks();

    /// Adds a webhook; its signing secret comes back this once.
    Change add_webhook as AddWebhook {
        /// Its settings.
        spec: WebhookSpec,
    } -> NewWebhook = |vault, op| vault.add_webhook(&op.spec);

    /// Replaces a webhook's settings; `keep` values stay as stored.
    Change update_webhook as UpdateWebhook {
        /// Its id.
        id: WebhookId,
        /// Its settings.
        spec: WebhookSpec,
    } -> Webhook = |vault, op| vault.update_webhook(op.id, &op.spec);

    /// Enables or disables a webhook.
    Change set_webhook_enabled as SetWebhookEnabled {
        /// Its id.
        id: WebhookId,
        /// Whether it is sent to.
        enabled: bool,
    } -> Webhook = |vault, op| vault.set_webhook_enabled(op.id, op.enabled);

    /// Removes a webhook and its delivery log.
    Change delete_webhook as DeleteWebhook {
        /// Its id.
        id: WebhookId,
    } -> () = |vault, op| vault.delete_webhook(op.id);

    /// Gives a webhook a new signing secret, shown once; the old one signs beside it for 24 h.
    Change roll_webhook_secret as RollWebhookSecret {
        /// Its id.
        id: WebhookId,
    } -> RolledSecret = |vault, op| Ok(RolledSecret {
        secret: vault.roll_webhook_secret(op.id)?,
    });

    /// Queues a `webhook.test` message; delivery sends it within a second.
    Change send_webhook_test as SendWebhookTest {
        /// Its id.
        id: WebhookId,
    } -> DeliveryId = |vault, op| vault.send_webhook_test(op.id);

    /// Sends a delivery's message again from the start of the retry schedule.
    Change resend_delivery as ResendDelivery {
        /// The delivery's id.
        id: DeliveryId,
    } -> () = |vault, op| vault.resend_delivery(op.id);

    /// A webhook's newest deliveries, newest first.
    Watch webhook_deliveries as WebhookDeliveries {
        /// Its id.
        id: WebhookId,
    } -> Vec<DeliveryRecord> = |vault, op| vault.webhook_deliveries(op.id, LOG_ROWS);
}

/// A webhook's new signing secret, shown once.
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct RolledSecret {
    /// `whsec_…`.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[specta(type = String)]
    pub secret: Secret,
}
