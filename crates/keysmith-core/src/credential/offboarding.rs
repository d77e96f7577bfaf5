//! Offboarding: a departing user is removed in one change, and every credential they own goes
//! with a decision — revoked and deleted (their history stays in the audit log), or handed to
//! another user who may hold them.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::lifecycle::{authorize, require_api_access, require_scopes_held, revoke_in};
use super::store;
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::people::{self, UserId};
use crate::vault::Vault;

/// What becomes of a departing user's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type, Serialize)]
#[serde(tag = "plan", rename_all = "snake_case")]
pub enum Offboarding {
    /// Revoke every live one and delete them all.
    RevokeAndDelete,
    /// Hand them all to `to`, who must have API access and hold their scopes.
    TransferTo {
        /// The new owner.
        to: UserId,
    },
}

impl Vault {
    /// Removes `user` and, in the same change, revokes and deletes or hands over every
    /// credential they own (see [`Offboarding`]); how many credentials that was. All of it
    /// commits with its audit rows, or nothing changes.
    pub fn offboard_user(&mut self, user: UserId, plan: Offboarding) -> Result<usize> {
        self.operator().require_admin("remove users")?;
        let path = self.path().to_owned();
        let handled = self.audited(|change| {
            let owned = store::owned_by(change, user)?;
            let receiver = match plan {
                Offboarding::RevokeAndDelete => None,
                Offboarding::TransferTo { to } if to == user => {
                    return Err(Error::InvalidOwner(
                        "hand the credentials to someone other than the departing user".into(),
                    ))
                }
                Offboarding::TransferTo { to } => {
                    let receiver = people::store::user(change, to)?;
                    change
                        .operator()
                        .require_manages(Some((receiver.id, receiver.role)))?;
                    Some(receiver)
                }
            };
            for id in &owned {
                let credential = store::get(change, *id)?;
                authorize(change, change.operator(), &credential)?;
                match &receiver {
                    None => {
                        revoke_in(change, &credential, true)?;
                        change.record(
                            AuditAction::CredentialDeleted,
                            Some(*id),
                            json!({ "name": credential.name, "offboarding": true }),
                        )?;
                        store::delete(change, *id)?;
                    }
                    Some(receiver) => {
                        if credential.revoked_at.is_none() {
                            require_api_access(receiver)?;
                            require_scopes_held(
                                receiver,
                                credential.scopes.iter().map(String::as_str),
                            )?;
                        }
                        store::set_owner(change, &credential, receiver.id)?;
                        change.record(
                            AuditAction::CredentialTransferred,
                            Some(*id),
                            json!({ "name": credential.name, "to": receiver.email }),
                        )?;
                    }
                }
            }
            let departing = people::store::user(change, user)?;
            people::admin::remove_user_in(change, &path, user)?;
            change.record(
                AuditAction::UserOffboarded,
                None,
                json!({
                    "user": { "id": user.0, "name": departing.name, "email": departing.email },
                    "credentials": owned.len(),
                    "plan": match &receiver {
                        None => "revoke_and_delete",
                        Some(_) => "transfer",
                    },
                    "to": receiver.as_ref().map(|receiver| json!({
                        "id": receiver.id.0,
                        "name": receiver.name,
                    })),
                }),
            )?;
            Ok(owned.len())
        })?;
        tracing::info!(user = user.0, credentials = handled, "user offboarded");
        Ok(handled)
    }
}
