//! The team vault's operations: inviting a user to work from a computer of theirs, and the
//! devices enrolled (listing, removing). Joining itself is not an operation: a device that
//! joins has no session yet (see the server's team routes).

use chrono::{DateTime, Utc};
use keysmith_core::{Device, DeviceId, Secret};
use serde::{Deserialize, Serialize};

crate::operations! {
    /// Makes a one-time invitation (valid 24 hours) for the user with this e-mail address: one
    /// line carrying the team server's address and certificate fingerprint with the secret,
    /// shown once (account holder and admins).
    Change invite_user as InviteUser {
        /// The invitee's e-mail address.
        email: String,
    } -> NewInvitationLine = |vault, op| {
        let (line, made) = vault.invite_by_email(&op.email)?;
        Ok(NewInvitationLine {
            invitation: line,
            user_email: op.email.trim().to_owned(),
            expires_at: made.expires_at,
        })
    };

    /// The devices the operator may see: everyone's for the account holder and admins, their
    /// own for a member.
    Read list_devices as ListDevices {} -> Vec<Device> = |vault, _op| vault.devices();

    /// Removes a device: its next request is refused (a user may remove their own).
    Change remove_device as RemoveDevice {
        /// Its id.
        id: DeviceId,
    } -> () = |vault, op| vault.remove_device(op.id);
}

/// An invitation made: the line to hand over, shown this once.
#[derive(Debug, Serialize, Deserialize, specta::Type)]
pub struct NewInvitationLine {
    /// The invitation (`ksinv1.…`).
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[specta(type = String)]
    pub invitation: Secret,
    /// Whom it is for.
    pub user_email: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}
