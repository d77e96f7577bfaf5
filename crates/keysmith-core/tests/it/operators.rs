//! Operators: users who unlock the vault with a passphrase of their own, and the role rules
//! that then apply to what they do.

use crate::common::{pat, snapshot, PASSPHRASE};
use crate::team::{credential, user, Team, ADMIN_PASSPHRASE, MEMBER_PASSPHRASE};
use keysmith_core::{KdfParams, Role, Secret, Settings, TokenKind};

#[test]
fn an_admin_operator_unlocks_with_their_own_passphrase_and_is_refused_on_the_holders_tokens() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let holders = team
        .vault
        .issue(&pat(now, "holder's", 30))
        .unwrap()
        .credential
        .id;
    let members = team
        .vault
        .issue(&credential(
            now,
            TokenKind::PersonalAccessToken,
            Some(team.member),
            "cleo's",
            &["payables:read"],
        ))
        .unwrap()
        .credential
        .id;
    drop(team.vault);

    let mut admin = team.fx.unlock(ADMIN_PASSPHRASE).unwrap();
    assert_eq!(admin.operator().role, Role::Admin);
    // The window is told why before anyone tries, in the core's words; the core refuses all
    // the same.
    let why = |admin: &keysmith_core::Vault, id| {
        admin
            .why_not_manage(&admin.credential(id).unwrap())
            .unwrap()
    };
    assert_eq!(
        why(&admin, holders).as_deref(),
        Some("Only the account holder manages the account holder's credentials")
    );
    assert_eq!(why(&admin, members), None);
    let before = snapshot(&admin);
    assert_eq!(admin.revoke(holders).unwrap_err().code(), "forbidden");
    let renewal = keysmith_core::Renewal {
        old_ends_at: now + chrono::Duration::hours(1),
        new_expiry: None,
        name: None,
        description: None,
    };
    assert_eq!(
        admin.renew(holders, &renewal).unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(
        admin.set_enabled(holders, false).unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(admin.delete(holders).unwrap_err().code(), "forbidden");
    assert_eq!(
        admin
            .issue(&pat(now, "for the holder", 30))
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        admin
            .add_operator(
                team.member,
                &Secret::from(MEMBER_PASSPHRASE),
                KdfParams::MINIMUM
            )
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(before, snapshot(&admin));
    // A member's token is the admin's to manage, and the audit log names the admin.
    admin.revoke(members).unwrap();
    let last = admin.audit_log(Some(members)).unwrap().pop().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("credential.revoked", "Bob Admin <bob.admin@example.com>")
    );
    drop(admin);

    // The holder takes the passphrase away: it no longer opens the vault.
    let mut holder = team.fx.unlock(PASSPHRASE).unwrap();
    holder.remove_operator(team.admin).unwrap();
    assert!(!holder.user(team.admin).unwrap().can_unlock);
    drop(holder);
    assert_eq!(
        team.fx.unlock(ADMIN_PASSPHRASE).unwrap_err().code(),
        "wrong_passphrase"
    );
}

#[test]
fn a_member_operator_manages_only_their_own_credentials() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let admins = team
        .vault
        .issue(&credential(
            now,
            TokenKind::PersonalAccessToken,
            Some(team.admin),
            "bob's",
            &["payables:read"],
        ))
        .unwrap()
        .credential
        .id;
    let mut member = team.unlock_as_member();
    let before = (snapshot(&member), member.users().unwrap());
    assert_eq!(
        member
            .why_not_manage(&member.credential(admins).unwrap())
            .unwrap()
            .as_deref(),
        Some("A member manages only their own credentials")
    );
    assert_eq!(member.revoke(admins).unwrap_err().code(), "forbidden");
    assert_eq!(
        member
            .create_user(&user("Eve Extra", Role::Member, true))
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        member
            .update_settings(Settings::default())
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(before, (snapshot(&member), member.users().unwrap()));
    let own = member
        .issue(&credential(
            now,
            TokenKind::ApiClient,
            Some(team.member),
            "mine",
            &[],
        ))
        .unwrap();
    member.set_enabled(own.credential.id, false).unwrap();
    member.revoke(own.credential.id).unwrap();
}
