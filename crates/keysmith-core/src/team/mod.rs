//! The team vault's people side: invitations and devices. A team server holds the vault; each
//! admin works from their own computer, a *device* with an Ed25519 key of its own that the
//! server knows by its public half. A device joins with a one-time *invitation* an admin made
//! for a user; from then on its requests act as that user, named with the device in every
//! audit row. Removing a device is deleting its row: the data key never left the server, so no
//! re-key is needed, and its next request finds no device.
//!
//! This module keeps the records and the rules (who may invite, remove, see); proving that a
//! request comes from a device (its signature) is the server's, and the invitation's wire form
//! (server address and certificate fingerprint beside the secret) is [`invitation`]'s.

pub mod invitation;
pub mod proof;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::AuditAction;
use crate::clock::from_seconds;
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::people::{self, Role};
use crate::secret::Secret;
use crate::text::Name;
use crate::vault::{operators, Vault};

pub use crate::ids::DeviceId;

/// Where the team server of this vault answers, as `keysmith serve --team` last said: what
/// invitations carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamServer {
    /// Its base URL, `https://host:port`.
    pub url: String,
    /// Its certificate's fingerprint.
    pub fingerprint: invitation::Fingerprint,
}

const TEAM_SERVER_KEY: &str = "team_server";

/// How long an invitation may wait to be used.
pub const INVITATION_LIFETIME: Duration = Duration::hours(24);

/// An invitation just made: its secret, shown once, for whom, and until when.
#[derive(Debug)]
pub struct NewInvitation {
    /// `ks_inv_…`: whoever has it may join as [`NewInvitation::user`] once, until it expires.
    pub secret: Secret,
    /// The user it is for.
    pub user: UserId,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A computer a user works on the team vault from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Device {
    /// Row id.
    pub id: DeviceId,
    /// The user it acts as.
    pub user_id: UserId,
    /// That user's name.
    pub user_name: String,
    /// That user's e-mail address.
    pub user_email: String,
    /// The name it joined with ("Ada's laptop").
    pub name: String,
    /// When it joined.
    pub joined_at: DateTime<Utc>,
    /// When it was last seen, if it has made a request since joining.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The address it was last seen from.
    pub last_address: Option<String>,
}

const DEVICE_COLUMNS: &str = "d.id, d.user_id, u.name, u.email, d.name, d.joined_at, \
                              d.last_seen_at, d.last_address";

fn device_from_row(row: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: DeviceId(row.get(0)?),
        user_id: UserId(row.get(1)?),
        user_name: row.get(2)?,
        user_email: row.get(3)?,
        name: row.get(4)?,
        joined_at: from_seconds(row.get(5)?),
        last_seen_at: row.get::<_, Option<i64>>(6)?.map(from_seconds),
        last_address: row.get(7)?,
    })
}

fn device(conn: &Connection, id: DeviceId) -> Result<Device> {
    conn.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = ?1"
    ))?
    .query_row([id.0], device_from_row)
    .optional()?
    .ok_or(Error::DeviceNotFound(id.0))
}

impl Vault {
    /// Records where the team server answers (bookkeeping, as the server starts).
    pub fn set_team_server(&mut self, server: &TeamServer) -> Result<()> {
        self.bookkeeping(|conn, _| crate::meta::put_json(conn, TEAM_SERVER_KEY, server))
    }

    /// Where the team server answers; [`Error::NotTeamVault`] before it ever served.
    pub fn team_server(&self) -> Result<TeamServer> {
        crate::meta::get_json(self.conn(), TEAM_SERVER_KEY)?.ok_or(Error::NotTeamVault)
    }

    /// [`Vault::invite`] the user with e-mail address `email`, as the one line the invitee
    /// pastes: the team server's address and certificate fingerprint with the secret.
    pub fn invite_by_email(&mut self, email: &str) -> Result<(Secret, NewInvitation)> {
        let server = self.team_server()?;
        let user = people::store::users(self.conn())?
            .into_iter()
            .find(|user| user.email.eq_ignore_ascii_case(email.trim()))
            .ok_or_else(|| Error::UnknownUser(email.trim().chars().take(100).collect()))?;
        let made = self.invite(user.id)?;
        let line = invitation::Invitation {
            server: server.url,
            fingerprint: server.fingerprint,
            secret: made.secret.clone(),
        }
        .encode();
        Ok((line, made))
    }

    /// Makes a one-time invitation for `user` to join from a computer of theirs, valid for
    /// [`INVITATION_LIFETIME`]; its secret is in the answer only, the vault keeps its keyed
    /// digest. Account holder and admins; an admin may not invite for the account holder.
    pub fn invite(&mut self, user: UserId) -> Result<NewInvitation> {
        self.operator()
            .require_admin("invite people to the team vault")?;
        let invitee = people::store::user(self.conn(), user)?;
        self.operator()
            .require_manages(Some((invitee.id, invitee.role)))
            .map_err(|_| {
                Error::Forbidden("only the account holder invites for their own computers".into())
            })?;
        let secret = crate::token::random_secret(invitation::SECRET_PREFIX);
        let digest = self.pepper().digest(secret.expose());
        let invitation = self.audited(|change| {
            let expires_at = change.now() + INVITATION_LIFETIME;
            change.execute(
                "INSERT INTO invitations (digest, user_id, created_by, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                (
                    digest.as_bytes().as_slice(),
                    invitee.id.0,
                    change.operator().audit_name(),
                    change.now().timestamp(),
                    expires_at.timestamp(),
                ),
            )?;
            change.record(
                AuditAction::DeviceInvited,
                None,
                json!({ "user": invitee.email, "expires_at": expires_at.to_rfc3339() }),
            )?;
            Ok(expires_at)
        })?;
        Ok(NewInvitation {
            secret,
            user: invitee.id,
            expires_at: invitation,
        })
    }

    /// Uses the invitation `secret` to enroll a device called `name` with `public_key`, seen
    /// from `address`: the device acts as the invitation's user from now on. An unknown (or
    /// forged), used or expired invitation is refused and nothing changes; each invitation
    /// enrolls one device, even when two try at once. Audited as the new device.
    pub fn join(
        &mut self,
        secret: &Secret,
        name: &Name,
        public_key: &[u8; 32],
        address: &str,
    ) -> Result<Device> {
        let digest = self.pepper().digest(secret.expose());
        let now = self.now();
        let found: Option<(i64, i64, i64, Option<i64>)> = self
            .conn()
            .prepare_cached(
                "SELECT id, user_id, expires_at, used_at FROM invitations WHERE digest = ?1",
            )?
            .query_row([digest.as_bytes().as_slice()], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .optional()?;
        let Some((invitation, user, expires_at, used_at)) = found else {
            return Err(Error::InvitationNotFound);
        };
        if used_at.is_some() {
            return Err(Error::InvitationUsed);
        }
        if from_seconds(expires_at) <= now {
            return Err(Error::InvitationExpired);
        }
        let mut joiner = operators::operator_for(self.conn(), UserId(user))?;
        joiner.device = Some(name.as_str().to_owned());
        let id = self.acting_as(joiner, |vault| {
            vault.audited(|change| {
                let taken = change.execute(
                    "UPDATE invitations SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
                    (invitation, change.now().timestamp()),
                )?;
                if taken == 0 {
                    return Err(Error::InvitationUsed);
                }
                let inserted = change.execute(
                    "INSERT INTO devices (user_id, name, public_key, joined_at, last_seen_at,
                                          last_address)
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                    (
                        user,
                        name.as_str(),
                        public_key.as_slice(),
                        change.now().timestamp(),
                        address,
                    ),
                );
                people::store::unique(inserted, "device key", "this device")?;
                let id = DeviceId(change.last_insert_rowid());
                change.record(
                    AuditAction::DeviceJoined,
                    None,
                    json!({ "device": name.as_str(), "address": address }),
                )?;
                Ok(id)
            })
        })?;
        device(self.conn(), id)
    }

    /// The devices the operator may see: every one for the account holder and admins, their
    /// own for a member. By user, then by name.
    pub fn devices(&self) -> Result<Vec<Device>> {
        let operator = self.operator();
        let everyone = operator.role != Role::Member;
        let mut statement = self.conn().prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id
             WHERE ?1 OR d.user_id = ?2 ORDER BY u.name, d.name, d.id"
        ))?;
        let devices = statement
            .query_map((everyone, operator.user_id.0), device_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(devices)
    }

    /// Removes a device: its next request is refused. A user may remove their own; the account
    /// holder any; an admin any but the account holder's.
    pub fn remove_device(&mut self, id: DeviceId) -> Result<()> {
        let removed = device(self.conn(), id)?;
        let owner = people::store::user(self.conn(), removed.user_id)?;
        if owner.id != self.operator().user_id {
            self.operator()
                .require_admin("remove other people's devices")?;
            self.operator()
                .require_manages(Some((owner.id, owner.role)))
                .map_err(|_| {
                    Error::Forbidden(
                        "only the account holder removes the account holder's devices".into(),
                    )
                })?;
        }
        self.audited(|change| {
            change.execute("DELETE FROM devices WHERE id = ?1", [id.0])?;
            change.record(
                AuditAction::DeviceRemoved,
                None,
                json!({ "device": removed.name, "user": removed.user_email }),
            )
        })
    }

    /// The device whose public key is `public_key`; [`Error::DeviceNotFound`] when none is
    /// (never enrolled, or removed).
    pub fn device_by_key(&self, public_key: &[u8; 32]) -> Result<Device> {
        let id: Option<i64> = self
            .conn()
            .prepare_cached("SELECT id FROM devices WHERE public_key = ?1")?
            .query_row([public_key.as_slice()], |row| row.get(0))
            .optional()?;
        let id = id.ok_or(Error::DeviceNotFound(0))?;
        device(self.conn(), DeviceId(id))
    }

    /// The public key of device `id`; [`Error::DeviceNotFound`] when it was removed.
    pub fn device_key(&self, id: DeviceId) -> Result<[u8; 32]> {
        let key: Option<Vec<u8>> = self
            .conn()
            .prepare_cached("SELECT public_key FROM devices WHERE id = ?1")?
            .query_row([id.0], |row| row.get(0))
            .optional()?;
        key.and_then(|key| key.try_into().ok())
            .ok_or(Error::DeviceNotFound(id.0))
    }

    /// Records that device `id` made a request from `address` now (not audited: bookkeeping).
    pub fn device_seen(&mut self, id: DeviceId, address: &str) -> Result<()> {
        self.bookkeeping(|conn, now| {
            conn.execute(
                "UPDATE devices SET last_seen_at = ?2, last_address = ?3 WHERE id = ?1",
                (id.0, now.timestamp(), address),
            )?;
            Ok(())
        })
    }

    /// Runs `work` as device `id`'s user, the device named in every audit row it writes, with
    /// that user's role for every rule; [`Error::DeviceNotFound`] when the device was removed.
    /// What a team server does for each request a device makes.
    pub fn as_device<T>(
        &mut self,
        id: DeviceId,
        work: impl FnOnce(&mut Vault) -> Result<T>,
    ) -> Result<T> {
        let device = device(self.conn(), id)?;
        let mut operator = operators::operator_for(self.conn(), device.user_id)?;
        operator.device = Some(device.name);
        self.acting_as(operator, work)
    }
}
