//! Who may do what. The [`Operator`] is the user who unlocked the vault; each rule here is
//! checked before anything is written, and a refusal is [`Error::Forbidden`].

use serde::{Deserialize, Serialize};

use super::{Role, UserId};
use crate::error::{Error, Result};

/// The user acting on an unlocked vault, as of the unlock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct Operator {
    /// Their user id.
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
    /// Their role.
    pub role: Role,
    /// The device they act from, on a team vault (its name); none on a vault unlocked here.
    pub device: Option<String>,
}

impl Operator {
    /// How the operator is named in audit rows: `Name <e-mail>`.
    pub(crate) fn audit_name(&self) -> String {
        match &self.device {
            None => format!("{} <{}>", self.name, self.email),
            Some(device) => format!("{} <{}> on {device}", self.name, self.email),
        }
    }

    /// Users, groups, catalogues and settings are managed by the account holder and admins.
    pub(crate) fn require_admin(&self, action: &str) -> Result<()> {
        match self.role {
            Role::AccountHolder | Role::Admin => Ok(()),
            Role::Member => Err(Error::Forbidden(format!(
                "only the account holder and admins may {action}"
            ))),
        }
    }

    /// Key slots (who may unlock the vault) are the account holder's alone.
    pub(crate) fn require_account_holder(&self, action: &str) -> Result<()> {
        if self.role == Role::AccountHolder {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "only the account holder may {action}"
            )))
        }
    }

    /// Whether the operator may manage (issue, edit, disable, renew, revoke, delete) the
    /// credentials of a user with `owner` id and role; `None` is the organization. The account
    /// holder manages all; an admin all but the account holder's; a member only their own.
    pub(crate) fn require_manages(&self, owner: Option<(UserId, Role)>) -> Result<()> {
        let allowed = match (self.role, owner) {
            (Role::AccountHolder, _) => true,
            (Role::Admin, None) => true,
            (Role::Admin, Some((_, role))) => role != Role::AccountHolder,
            (Role::Member, Some((id, _))) => id == self.user_id,
            (Role::Member, None) => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::Forbidden(match self.role {
                Role::Member => "a member manages only their own credentials".into(),
                _ => "only the account holder manages the account holder's credentials".into(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(id: i64, role: Role) -> Operator {
        Operator {
            user_id: UserId(id),
            name: "Op".into(),
            email: "op@example.com".into(),
            role,
            device: None,
        }
    }

    #[test]
    fn who_manages_whose_credentials() {
        let holder = Some((UserId(1), Role::AccountHolder));
        let admin = Some((UserId(2), Role::Admin));
        let member = Some((UserId(3), Role::Member));
        let cases = [
            (operator(1, Role::AccountHolder), [true, true, true, true]),
            (operator(2, Role::Admin), [false, true, true, true]),
            (operator(3, Role::Member), [false, false, true, false]),
            (operator(4, Role::Member), [false, false, false, false]),
        ];
        for (op, expected) in cases {
            let got = [holder, admin, member, None].map(|owner| op.require_manages(owner).is_ok());
            assert_eq!(got, expected, "{:?} #{}", op.role, op.user_id.0);
        }
        let refused = operator(2, Role::Admin)
            .require_manages(holder)
            .unwrap_err();
        assert_eq!(refused.code(), "forbidden");
        assert!(operator(3, Role::Member).require_admin("x").is_err());
        assert!(operator(2, Role::Admin)
            .require_account_holder("x")
            .is_err());
    }
}
