//! People and what they may do: users (exactly one account holder, admins, members) with an
//! "API access" permission, groups granting permissions from a catalogue, the applications
//! catalogue, and the [`Operator`] — the user who unlocked the vault — whose role decides
//! which actions are allowed.
//!
//! A user's permissions are those their groups grant and none of their groups blocks (a block
//! beats any grant; a group may block API access too), read when needed: change a group and
//! every credential of its members verifies with the new set at once.

pub(crate) mod access;
pub(crate) mod admin;
mod documentation;
mod rules;
pub(crate) mod store;

use serde::{Deserialize, Serialize};

pub use crate::ids::{GroupId, UserId};
pub use admin::{CatalogueEntry, Group, GroupSpec, PermissionSource, User, UserSpec};
pub use rules::Operator;

use crate::error::{Error, Result};

/// What a user may manage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The one who created the vault: manages everything and everyone.
    AccountHolder,
    /// Manages users, groups and catalogues, and every credential but the account holder's.
    Admin,
    /// Manages their own credentials only.
    Member,
}

impl Role {
    /// The stable name stored in the vault.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::AccountHolder => "account_holder",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    fn from_name(name: &str) -> Option<Role> {
        [Role::AccountHolder, Role::Admin, Role::Member]
            .into_iter()
            .find(|role| role.as_str() == name)
    }
}

/// A permission name from the catalogue: lower-case words of `a-z`, digits, `_` or `-`,
/// joined by `:` (`payables:read`), at most 64 characters. One ending in `:write` is a write
/// permission, which read-only credentials never grant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, specta::Type)]
#[serde(into = "String")]
#[specta(type = String)]
pub struct Permission(String);

impl Permission {
    /// The longest permission name.
    pub const MAX_CHARS: usize = 64;

    /// Validates a permission name.
    pub fn new(name: &str) -> Result<Self> {
        let name = name.trim();
        let word_ok = |word: &str| {
            word.starts_with(|c: char| c.is_ascii_lowercase())
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        };
        if name.len() > Self::MAX_CHARS || !name.split(':').all(word_ok) {
            return Err(Error::InvalidPermission(name.chars().take(80).collect()));
        }
        Ok(Permission(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it grants writing: its last word is `write`.
    pub fn is_write(&self) -> bool {
        is_write(&self.0)
    }
}

/// Whether the permission named `name` is a write permission (see [`Permission::is_write`]).
pub(crate) fn is_write(name: &str) -> bool {
    name.rsplit(':').next() == Some("write")
}

impl From<Permission> for String {
    fn from(permission: Permission) -> String {
        permission.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_names_are_words_joined_by_colons() {
        for good in ["payables:read", "users:write", "audit", "a1:b_c-d:e"] {
            assert_eq!(Permission::new(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "Payables:read",
            "payables:",
            ":read",
            "pay ables",
            "1st:read",
        ] {
            assert_eq!(
                Permission::new(bad).unwrap_err().code(),
                "invalid_permission",
                "{bad:?}"
            );
        }
        assert!(Permission::new(&"a".repeat(65)).is_err());
        assert!(Permission::new("payables:write").unwrap().is_write());
        assert!(!Permission::new("payables:read").unwrap().is_write());
        assert!(!Permission::new("rewrite").unwrap().is_write());
    }
}
