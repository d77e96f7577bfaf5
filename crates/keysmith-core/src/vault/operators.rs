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

use super::header::Header;
use super::{KdfParams, Vault, MIN_PASSPHRASE_CHARS};
use crate::audit;
use crate::error::{Error, Result};
use crate::people::{self, Operator, Role, UserId};
use crate::secret::Secret;

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

impl Vault {
    /// Gives `user` a passphrase of their own to unlock this vault with: a new key slot
    /// wrapping the same data key. The account holder's alone; the passphrase is replaced if
    /// they already have one.
    pub fn add_operator(
        &mut self,
        user: UserId,
        passphrase: &Secret,
        kdf: KdfParams,
    ) -> Result<()> {
        self.operator
            .require_account_holder("give others a passphrase")?;
        let got = passphrase.char_count();
        if got < MIN_PASSPHRASE_CHARS {
            return Err(Error::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
                got,
            });
        }
        let now = self.now();
        let tx = self.conn.transaction()?;
        let target = people::store::user(&tx, user)?;
        if target.role == Role::AccountHolder {
            return Err(Error::InvalidRole(
                "the account holder already unlocks with the vault's passphrase".into(),
            ));
        }
        audit::append(
            &tx,
            now,
            &self.operator,
            "operator.added",
            None,
            &json!({ "user": user.0, "email": target.email }),
        )?;
        let mut header = Header::read(&self.path)?;
        header.add_slot(&self.key, &SlotId::for_user(user).0, passphrase, kdf)?;
        header.write(&self.path)?;
        tx.commit()?;
        Ok(())
    }

    /// Takes away `user`'s own passphrase: their key slot is removed from the header. The
    /// account holder's alone.
    pub fn remove_operator(&mut self, user: UserId) -> Result<()> {
        self.operator
            .require_account_holder("take away a passphrase")?;
        let now = self.now();
        let tx = self.conn.transaction()?;
        let target = people::store::user(&tx, user)?;
        if !slot_users(&tx, &self.path)?.contains(&user) {
            return Err(Error::InvalidRole(format!(
                "{} has no passphrase of their own",
                target.name
            )));
        }
        audit::append(
            &tx,
            now,
            &self.operator,
            "operator.removed",
            None,
            &json!({ "user": user.0, "email": target.email }),
        )?;
        remove_slot(&self.path, user)?;
        tx.commit()?;
        Ok(())
    }

    /// The operator `id` is, read afresh (after their role or name changed).
    pub(crate) fn operator_for(&self, id: UserId) -> Result<Operator> {
        operator_for(&self.conn, id)
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
