//! The team the people, kinds and operators scenarios share: a vault with an admin and a
//! member in one group, and small constructors.

use crate::common::{pat, Fixture};
use keysmith_core::{
    EmailAddress, GroupSpec, InactiveReason, KdfParams, Name, NewCredential, Permission, Role,
    Secret, TokenKind, UserId, UserSpec, Vault, Verification, Verified,
};

pub(crate) fn name(text: &str) -> Name {
    Name::new(text).unwrap()
}

pub(crate) fn perms(names: &[&str]) -> Vec<Permission> {
    names.iter().map(|n| Permission::new(n).unwrap()).collect()
}

pub(crate) fn user(name_: &str, role: Role, api_access: bool) -> UserSpec {
    let email = format!("{}@example.com", name_.to_lowercase().replace(' ', "."));
    UserSpec {
        name: name(name_),
        email: EmailAddress::try_from(email).unwrap(),
        role,
        api_access,
    }
}

/// A vault with an admin (Bob) and a member (Cleo) in a "Payables" group granting
/// `payables:read` and `payables:write`; Bob may unlock with his own passphrase.
pub(crate) struct Team {
    pub(crate) fx: Fixture,
    pub(crate) vault: Vault,
    pub(crate) admin: UserId,
    pub(crate) member: UserId,
    pub(crate) payables: keysmith_core::GroupId,
}

pub(crate) const ADMIN_PASSPHRASE: &str = "bob's own long passphrase";
pub(crate) const MEMBER_PASSPHRASE: &str = "cleo's long passphrase";

impl Team {
    pub(crate) fn new() -> Team {
        let fx = Fixture::new();
        let mut vault = fx.create();
        let admin = vault
            .create_user(&user("Bob Admin", Role::Admin, true))
            .unwrap();
        let member = vault
            .create_user(&user("Cleo Member", Role::Member, true))
            .unwrap();
        let payables = vault
            .create_group(&GroupSpec {
                name: name("Payables"),
                permissions: perms(&["payables:read", "payables:write"]),
                blocks: vec![],
                blocks_api_access: false,
                members: vec![admin.id, member.id],
            })
            .unwrap();
        vault
            .add_operator(
                admin.id,
                &Secret::from(ADMIN_PASSPHRASE),
                KdfParams::MINIMUM,
            )
            .unwrap();
        Team {
            fx,
            vault,
            admin: admin.id,
            member: member.id,
            payables: payables.id,
        }
    }

    /// Gives Cleo a passphrase of her own and opens the vault as her (a second connection).
    pub(crate) fn unlock_as_member(&mut self) -> Vault {
        self.vault
            .add_operator(
                self.member,
                &Secret::from(MEMBER_PASSPHRASE),
                KdfParams::MINIMUM,
            )
            .unwrap();
        self.fx.unlock(MEMBER_PASSPHRASE).unwrap()
    }
}

/// A credential of `kind` for `owner` with `scopes`, otherwise as [`pat`].
pub(crate) fn credential(
    now: chrono::DateTime<chrono::Utc>,
    kind: TokenKind,
    owner: Option<UserId>,
    name_: &str,
    scopes: &[&str],
) -> NewCredential {
    NewCredential {
        kind,
        owner,
        scopes: perms(scopes),
        ..pat(now, name_, 30)
    }
}

pub(crate) fn active(verification: Verification) -> Box<Verified> {
    match verification {
        Verification::Active(verified) => verified,
        other => panic!("expected active, got {other:?}"),
    }
}

pub(crate) fn inactive(verification: Verification) -> InactiveReason {
    match verification {
        Verification::Inactive(reason) => reason,
        other => panic!("expected inactive, got {other:?}"),
    }
}

impl Team {
    /// Adds a "Contractors" group that blocks API access to `members`.
    pub(crate) fn block_api_access(&mut self, members: Vec<UserId>) -> keysmith_core::GroupId {
        self.vault
            .create_group(&GroupSpec {
                name: name("Contractors"),
                permissions: vec![],
                blocks: vec![],
                blocks_api_access: true,
                members,
            })
            .unwrap()
            .id
    }

    /// Issues a personal access token named `name` for `owner` with `payables:read`, expiring
    /// `days` from the fixture's now: its id and token.
    pub(crate) fn issue_pat(
        &mut self,
        owner: UserId,
        name_: &str,
        days: i64,
    ) -> (keysmith_core::CredentialId, Secret) {
        let now = self.fx.clock_now();
        let new = NewCredential {
            expiry: keysmith_core::Expiry::new(now + chrono::Duration::days(days), now).unwrap(),
            ..credential(
                now,
                TokenKind::PersonalAccessToken,
                Some(owner),
                name_,
                &["payables:read"],
            )
        };
        let issued = self.vault.issue(&new).unwrap();
        (issued.credential.id, issued.token)
    }
}
