//! Users, groups and the two catalogues, against a real SQLCipher vault: permissions are the
//! union of a user's groups, refusals are typed and write nothing, offboarding revokes
//! everything a user holds.

use crate::common::{history_of, snapshot, APPLICATION, HOLDER};
use crate::team::{credential, name, perms, user, Team};
use keysmith_core::{
    Description, GroupSpec, NewCredential, Offboarding, Permission, Rights, Role, TokenKind,
    UserId, Verification,
};

#[test]
fn a_users_permissions_are_the_union_of_their_groups() {
    let mut team = Team::new();
    let vault = &mut team.vault;
    vault
        .create_group(&GroupSpec {
            name: name("Suppliers"),
            permissions: perms(&["suppliers:read", "payables:read"]),
            blocks: vec![],
            blocks_api_access: false,
            members: vec![team.member],
        })
        .unwrap();
    let cleo = vault.user(team.member).unwrap();
    assert_eq!(
        cleo.permissions,
        ["payables:read", "payables:write", "suppliers:read"]
    );
    assert_eq!(cleo.groups.len(), 2);
    assert!(!cleo.can_unlock);
    assert!(vault.user(team.admin).unwrap().can_unlock);
    let holder = vault.user(HOLDER).unwrap();
    assert_eq!(
        (holder.role, holder.permissions.len()),
        (Role::AccountHolder, 6)
    );
}

#[test]
fn people_and_catalogue_refusals_are_typed_and_write_nothing() {
    let mut team = Team::new();
    let vault = &mut team.vault;
    let before = (
        vault.users().unwrap(),
        vault.groups().unwrap(),
        snapshot(vault),
    );
    let cases = [
        (
            vault.create_user(&user("Cleo Member", Role::Member, true)),
            "already_exists",
        ),
        (
            vault.create_user(&user("Second Holder", Role::AccountHolder, true)),
            "invalid_role",
        ),
        (
            vault.update_user(team.admin, &user("Bob Admin", Role::AccountHolder, true)),
            "invalid_role",
        ),
    ];
    for (result, code) in cases {
        assert_eq!(result.unwrap_err().code(), code);
    }
    let group_cases = [
        (
            GroupSpec {
                name: name("payables"),
                permissions: vec![],
                blocks: vec![],
                blocks_api_access: false,
                members: vec![],
            },
            "already_exists",
        ),
        (
            GroupSpec {
                name: name("New"),
                permissions: perms(&["ledger:read"]),
                blocks: vec![],
                blocks_api_access: false,
                members: vec![],
            },
            "unknown_permission",
        ),
        (
            GroupSpec {
                name: name("New"),
                permissions: vec![],
                blocks: vec![],
                blocks_api_access: false,
                members: vec![UserId(99)],
            },
            "user_not_found",
        ),
    ];
    for (spec, code) in group_cases {
        assert_eq!(vault.create_group(&spec).unwrap_err().code(), code);
    }
    assert_eq!(vault.delete_user(HOLDER).unwrap_err().code(), "forbidden");
    assert_eq!(
        vault.remove_permission("ledger:read").unwrap_err().code(),
        "unknown_permission"
    );
    assert_eq!(
        vault
            .add_permission(
                &Permission::new("payables:read").unwrap(),
                &Description::default()
            )
            .unwrap_err()
            .code(),
        "already_exists"
    );
    assert_eq!(
        before,
        (
            vault.users().unwrap(),
            vault.groups().unwrap(),
            snapshot(vault)
        )
    );
}

#[test]
fn offboarding_revokes_every_credential_of_a_user_and_then_they_can_go() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let vault = &mut team.vault;
    let cleo = Some(team.member);
    let mut ids = Vec::new();
    for (kind, name_) in [
        (TokenKind::PersonalAccessToken, "one"),
        (TokenKind::ApiClient, "two"),
        (TokenKind::ClientCredentials, "three"),
    ] {
        ids.push(
            vault
                .issue(&credential(
                    now,
                    kind,
                    cleo,
                    name_,
                    if kind == TokenKind::ApiClient {
                        &[]
                    } else {
                        &["payables:read"]
                    },
                ))
                .unwrap()
                .credential
                .id,
        );
    }
    vault.revoke(ids[0]).unwrap();
    let bobs = vault
        .issue(&credential(
            now,
            TokenKind::PersonalAccessToken,
            Some(team.admin),
            "bob",
            &["payables:read"],
        ))
        .unwrap();

    assert_eq!(vault.revoke_all_of_user(team.member).unwrap(), ids[1..]);
    assert!(vault
        .list_credentials()
        .unwrap()
        .iter()
        .filter(|c| c.owner_id == cleo)
        .all(|c| c.revoked_at.is_some()));
    assert!(matches!(
        vault.verify(bobs.token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    assert_eq!(vault.delete_user(team.member).unwrap_err().code(), "in_use");
    for id in ids {
        vault.delete(id).unwrap();
    }
    vault.delete_user(team.member).unwrap();
    assert_eq!(
        vault.user(team.member).unwrap_err().code(),
        "user_not_found"
    );
}

/// Cleo holds three credentials (one already revoked) with `payables:read`; the ids.
fn cleos_credentials(team: &mut Team) -> Vec<keysmith_core::CredentialId> {
    let now = team.fx.clock_now();
    let cleo = Some(team.member);
    let ids: Vec<_> = [
        (TokenKind::PersonalAccessToken, "one"),
        (TokenKind::PersonalAccessToken, "two"),
        (TokenKind::ClientCredentials, "three"),
    ]
    .into_iter()
    .map(|(kind, name_)| {
        let new = credential(now, kind, cleo, name_, &["payables:read"]);
        team.vault.issue(&new).unwrap().credential.id
    })
    .collect();
    team.vault.revoke(ids[0]).unwrap();
    ids
}

#[test]
fn offboarding_in_one_step_revokes_deletes_and_removes_keeping_the_history() {
    let mut team = Team::new();
    let ids = cleos_credentials(&mut team);
    let vault = &mut team.vault;
    let handled = vault
        .offboard_user(team.member, Offboarding::RevokeAndDelete)
        .unwrap();
    assert_eq!(handled, 3);
    assert_eq!(
        vault.user(team.member).unwrap_err().code(),
        "user_not_found"
    );
    for id in &ids {
        assert_eq!(
            vault.credential(*id).unwrap_err().code(),
            "credential_not_found"
        );
        assert_eq!(
            history_of(vault, *id),
            [
                "credential.issued",
                "credential.revoked",
                "credential.deleted"
            ]
        );
    }
    assert_eq!(vault.verify_audit_chain().unwrap().first_broken, None);
}

#[test]
fn offboarding_hands_credentials_to_someone_who_may_hold_them_or_changes_nothing() {
    let mut team = Team::new();
    let ids = cleos_credentials(&mut team);
    let dee = team
        .vault
        .create_user(&user("Dee Nogroup", Role::Member, true))
        .unwrap();
    let before = snapshot(&team.vault);
    let vault = &mut team.vault;
    let refused = |vault: &mut keysmith_core::Vault, to| {
        vault
            .offboard_user(team.member, Offboarding::TransferTo { to })
            .unwrap_err()
            .code()
    };
    // Dee holds no payables permission; Cleo cannot receive her own credentials.
    assert_eq!(refused(vault, dee.id), "scope_not_held");
    assert_eq!(refused(vault, team.member), "invalid_owner");
    assert_eq!(snapshot(vault), before);

    vault
        .offboard_user(team.member, Offboarding::TransferTo { to: team.admin })
        .unwrap();
    assert_eq!(
        vault.user(team.member).unwrap_err().code(),
        "user_not_found"
    );
    for id in &ids {
        assert_eq!(vault.credential(*id).unwrap().owner_id, Some(team.admin));
        let last = vault.audit_log(Some(*id)).unwrap().pop().unwrap();
        assert_eq!(last.action, "credential.transferred");
    }
    // The handed-over credentials keep working under their new owner.
    let live = vault.credential(ids[1]).unwrap();
    assert_eq!(
        live.status(team.fx.clock_now()),
        keysmith_core::Status::Active
    );
}

#[test]
fn an_application_in_use_cannot_be_removed_and_renewal_keeps_the_model() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let vault = &mut team.vault;
    vault
        .add_application(&name("Ledger"), &Description::new("the ledger").unwrap())
        .unwrap();
    let new = NewCredential {
        applications: vec![name("Ledger"), name(APPLICATION)],
        rights: Rights::Read,
        rate_limit: keysmith_core::RateLimit::new(120).unwrap(),
        restrictions: Default::default(),
        disabled: false,
        ..credential(
            now,
            TokenKind::ClientCredentials,
            Some(team.member),
            "ledger sync",
            &["payables:read"],
        )
    };
    let old = vault.issue(&new).unwrap().credential;
    assert_eq!(
        vault.remove_application("Ledger").unwrap_err().code(),
        "in_use"
    );

    let renewed = vault
        .renew(
            old.id,
            &keysmith_core::Renewal {
                old_ends_at: now + chrono::Duration::hours(1),
                new_expiry: None,
                name: Some(name("ledger sync 2")),
                description: Some(Description::default()),
            },
        )
        .unwrap();
    let fresh = &renewed.credential;
    assert_eq!(
        (
            fresh.kind,
            fresh.owner_id,
            &fresh.scopes,
            fresh.rights,
            &fresh.applications,
            fresh.rate_limit
        ),
        (
            old.kind,
            old.owner_id,
            &old.scopes,
            old.rights,
            &old.applications,
            120
        )
    );
    assert_ne!(fresh.client_id, old.client_id);
    assert!(renewed.token.expose().starts_with("ks_sec_"));

    // Once Cleo no longer holds the scope, renewing is refused like issuing.
    vault
        .update_group(
            team.payables,
            &GroupSpec {
                name: name("Payables"),
                permissions: vec![],
                blocks: vec![],
                blocks_api_access: false,
                members: vec![team.member],
            },
        )
        .unwrap();
    let before = snapshot(vault);
    let again = keysmith_core::Renewal {
        old_ends_at: now + chrono::Duration::hours(1),
        new_expiry: None,
        name: Some(name("ledger sync 3")),
        description: Some(Description::default()),
    };
    assert_eq!(
        vault.renew(fresh.id, &again).unwrap_err().code(),
        "scope_not_held"
    );
    assert_eq!(before, snapshot(vault));
}

#[test]
fn the_api_documentation_is_the_account_holders_and_theirs_who_have_api_access() {
    let mut team = Team::new();
    let cleo = team.unlock_as_member();
    assert!(cleo.may_read_api_documentation().unwrap());
    cleo.require_api_documentation().unwrap();
    // A group blocks her API access: the documentation is closed to her too.
    team.vault
        .create_group(&GroupSpec {
            name: name("Contractors"),
            permissions: vec![],
            blocks: vec![],
            blocks_api_access: true,
            members: vec![team.member, HOLDER],
        })
        .unwrap();
    assert!(!cleo.may_read_api_documentation().unwrap());
    assert_eq!(
        cleo.require_api_documentation().unwrap_err().code(),
        "forbidden"
    );
    // The account holder reads it whatever their own access.
    assert!(!team.vault.user(HOLDER).unwrap().has_api_access());
    team.vault.require_api_documentation().unwrap();
}
