//! The renewal operations: renewed credentials whose secrets wait to be handed over, handing
//! one over (revealed once, then wiped from the vault), "Renew now", the signing secret
//! callbacks are signed with, and renewal mail. Who may do each is the core's rule.

use keysmith_core::mail::{MailMessage, SmtpSettings, SmtpSpec};
use keysmith_core::{CredentialId, Handover, Secret};
use serde::{Deserialize, Serialize};

/// How many messages the Messages list shows.
pub const MESSAGES_SHOWN: usize = 100;

crate::operations! {
    /// The renewed credentials whose secrets wait to be handed over, oldest first.
    Watch pending_handovers as PendingHandovers {} -> Vec<Handover> =
        |vault, _op| vault.pending_handovers();

    /// Hands a renewed credential's secret over: this once; the vault keeps it no longer.
    Change hand_over as HandOver {
        /// The renewed credential's id.
        id: CredentialId,
    } -> HandedOver = |vault, op| Ok(HandedOver { token: vault.hand_over(op.id)? });

    /// Runs a credential's auto-renewal now; the successor's id (its secret waits to be
    /// handed over).
    Change renew_now as RenewNow {
        /// Its id.
        id: CredentialId,
    } -> CredentialId = |vault, op| vault.renew_now(op.id);

    /// The secret renewal callbacks are signed with (account holder and admins); made, and so
    /// written, the first time it is asked for.
    Change renewal_signing_secret as RenewalSigningSecret {} -> HandedOver =
        |vault, _op| Ok(HandedOver { token: vault.renewal_signing_secret()? });

    /// The SMTP settings for renewal mail, if set up (the password never comes back).
    Read smtp_settings as SmtpSettingsOf {} -> Option<SmtpSettings> =
        |vault, _op| vault.smtp_settings();

    /// Sets up renewal mail, or (`None`) stops sending it.
    Change set_smtp as SetSmtp {
        /// The server and its sign-in; none: no mail.
        spec: Option<SmtpSpec>,
    } -> () = |vault, op| vault.set_smtp(op.spec.as_ref());

    /// The renewal messages, newest first: sent, or waiting to be copied by hand.
    Read mail_messages as MailMessages {} -> Vec<MailMessage> =
        |vault, _op| vault.mail_messages(MESSAGES_SHOWN);
}

/// A secret shown to the user: a renewed credential's token, handed over this once, or the
/// renewal signing secret.
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct HandedOver {
    /// The secret.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[specta(type = String)]
    pub token: Secret,
}
