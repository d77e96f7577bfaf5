//! Operators: the users who can unlock the vault. Each has a key slot in the header wrapping
//! the same data key under their own passphrase (as LUKS does): `holder` for the account
//! holder, `user-<id>` for anyone the account holder adds. Removing a slot rewrites the
//! header only; the database is not re-encrypted.
//!
//! The slot that opened the vault decides who the [`Operator`] is, and so what they may do and
//! how the audit log names them.

use std::path::Path;

use rusqlite::Connection;
use serde_json::json;

use super::header::{Header, SealedSlot};
use super::{KdfParams, Vault, MIN_PASSPHRASE_CHARS};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::people::{self, Operator, Role, UserId};
use crate::secret::{DataKey, Secret};

/// A key slot's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotId(pub(crate) String);

impl SlotId {
    /// The account holder's slot, made with the vault.
    pub(crate) const HOLDER: &'static str = "holder";

    /// The slot of a user other than the account holder.
    fn for_user(id: UserId) -> SlotId {
        SlotId(format!("user-{}", id.0))
    }

    /// The slot `operator` unlocks with.
    pub(crate) fn of(operator: &Operator) -> SlotId {
        if operator.role == Role::AccountHolder {
            SlotId(Self::HOLDER.into())
        } else {
            Self::for_user(operator.user_id)
        }
    }

    /// The user a slot id names; `None` for the holder slot (look the holder up) or junk.
    fn user(slot: &str) -> Option<UserId> {
        slot.strip_prefix("user-")?.parse().ok().map(UserId)
    }
}

/// The operator a user is.
pub(crate) fn operator_for(conn: &Connection, id: UserId) -> Result<Operator> {
    let user = people::store::user(conn, id)?;
    Ok(Operator {
        user_id: user.id,
        name: user.name,
        email: user.email,
        role: user.role,
        device: None,
    })
}

/// The operator whose slot is `slot`.
pub(crate) fn operator_for_slot(conn: &Connection, slot: &str) -> Result<Operator> {
    let id = if slot == SlotId::HOLDER {
        people::store::account_holder(conn)?
    } else {
        SlotId::user(slot)
            .ok_or_else(|| Error::VaultCorrupt(format!("unknown key slot {slot:?}")))?
    };
    operator_for(conn, id).map_err(|e| match e {
        Error::UserNotFound(_) => Error::VaultCorrupt(format!("key slot {slot:?} has no user")),
        other => other,
    })
}

/// What sealing a key slot for a vault takes — its id and data key — without the vault
/// itself: the slow argon2id derivation runs on the sealer while the vault stays free for
/// other work. The data key it holds is wiped when it is dropped.
#[derive(Debug)]
pub struct SlotSealer {
    vault_id: super::VaultId,
    key: DataKey,
}

impl SlotSealer {
    /// Seals a key slot that gives `user` the vault under `passphrase` (slow: it derives a
    /// key). Add it with [`Vault::add_sealed_operator`].
    pub fn seal(&self, user: UserId, passphrase: &Secret, kdf: KdfParams) -> Result<SealedSlot> {
        let got = passphrase.char_count();
        if got < MIN_PASSPHRASE_CHARS {
            return Err(Error::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
                got,
            });
        }
        SealedSlot::seal(
            &self.vault_id,
            &SlotId::for_user(user).0,
            &self.key,
            passphrase,
            kdf,
        )
    }
}

impl Vault {
    /// Gives `user` a passphrase of their own to unlock this vault with: a new key slot
    /// wrapping the same data key. The account holder's alone; the passphrase is replaced if
    /// they already have one. Derives a key while holding the vault; to keep the vault free
    /// meanwhile, seal with [`Vault::slot_sealer`] and add with [`Vault::add_sealed_operator`].
    pub fn add_operator(
        &mut self,
        user: UserId,
        passphrase: &Secret,
        kdf: KdfParams,
    ) -> Result<()> {
        let sealed = self.slot_sealer()?.seal(user, passphrase, kdf)?;
        self.add_sealed_operator(user, sealed)
    }

    /// What seals key slots for this vault; the account holder's alone.
    pub fn slot_sealer(&self) -> Result<SlotSealer> {
        self.operator
            .require_account_holder("give others a passphrase")?;
        Ok(SlotSealer {
            vault_id: self.id.clone(),
            key: self.key.clone(),
        })
    }

    /// Adds a key slot sealed for `user` to the header, replacing theirs if they had one.
    /// The account holder's alone.
    pub fn add_sealed_operator(&mut self, user: UserId, sealed: SealedSlot) -> Result<()> {
        self.operator
            .require_account_holder("give others a passphrase")?;
        if !sealed.is_for(&SlotId::for_user(user).0) {
            return Err(Error::InvalidRole(
                "the passphrase was sealed for another user".into(),
            ));
        }
        let path = self.path.clone();
        self.audited(|change| {
            let target = people::store::user(change, user)?;
            if target.role == Role::AccountHolder {
                return Err(Error::InvalidRole(
                    "the account holder already unlocks with the vault's passphrase".into(),
                ));
            }
            change.record(
                AuditAction::OperatorAdded,
                None,
                json!({ "user": user.0, "email": target.email }),
            )?;
            // The header is written last, inside the change: if it cannot be, nothing is.
            let mut header = Header::read(&path)?;
            header.add_slot(sealed)?;
            header.write(&path)
        })
    }

    /// Takes away `user`'s own passphrase: their key slot is removed from the header. The
    /// account holder's alone.
    pub fn remove_operator(&mut self, user: UserId) -> Result<()> {
        self.operator
            .require_account_holder("take away a passphrase")?;
        let path = self.path.clone();
        self.audited(|change| {
            let target = people::store::user(change, user)?;
            if !slot_users(change, &path)?.contains(&user) {
                return Err(Error::InvalidRole(format!(
                    "{} has no passphrase of their own",
                    target.name
                )));
            }
            change.record(
                AuditAction::OperatorRemoved,
                None,
                json!({ "user": user.0, "email": target.email }),
            )?;
            remove_slot(&path, user)
        })
    }
}

/// The users with a key slot of their own in the header of the vault at `path` (the account
/// holder always has one).
pub(crate) fn slot_users(conn: &Connection, path: &Path) -> Result<Vec<UserId>> {
    let header = Header::read(path)?;
    let holder = people::store::account_holder(conn)?;
    Ok(header
        .slot_ids()
        .filter_map(|slot| {
            if slot == SlotId::HOLDER {
                Some(holder)
            } else {
                SlotId::user(slot)
            }
        })
        .collect())
}

/// Removes `user`'s key slot from the header of the vault at `path`, if they have one.
pub(crate) fn remove_slot(path: &Path, user: UserId) -> Result<()> {
    let mut header = Header::read(path)?;
    if header.remove_slot(&SlotId::for_user(user).0) {
        header.write(path)?;
    }
    Ok(())
}
