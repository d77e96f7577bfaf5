//! Groups that block a permission or API access, against a real SQLCipher vault: a block beats
//! any grant, in what the People page lists, in what issuing allows and in what verification
//! answers — also when another process changes the groups while this one keeps its cache warm.

use crate::common::snapshot;
use crate::team::{active, credential, inactive, name, perms, Team, ADMIN_PASSPHRASE};
use keysmith_core::{
    GroupSpec, InactiveReason, NewCredential, PermissionSource, Secret, TokenKind, UserId, Vault,
};

fn contractors(blocks: &[&str], blocks_api_access: bool, members: Vec<UserId>) -> GroupSpec {
    GroupSpec {
        name: name("Contractors"),
        permissions: vec![],
        blocks: perms(blocks),
        blocks_api_access,
        members,
    }
}

/// A personal access token of Cleo's (the team's member) named `name` with `scopes`.
fn cleos(team: &Team, name: &str, scopes: &[&str]) -> NewCredential {
    credential(
        team.fx.clock_now(),
        TokenKind::PersonalAccessToken,
        Some(team.member),
        name,
        scopes,
    )
}

fn verify(vault: &Vault, token: &Secret, scope: &str) -> keysmith_core::Verification {
    vault.verify(token.expose(), Some(scope), None).unwrap()
}

#[test]
fn a_block_beats_any_grant_and_shows_where_each_permission_comes_from() {
    let mut team = Team::new();
    let cleo = team.member;
    let issued = team
        .vault
        .issue(&cleos(
            &team,
            "Ledger sync",
            &["payables:read", "payables:write"],
        ))
        .unwrap();
    let token = issued.token;
    // Warm this process's cache; another process (Bob's) adds the block.
    assert_eq!(
        active(verify(&team.vault, &token, "payables:write")).scopes,
        ["payables:read", "payables:write"]
    );
    let mut bob = team.fx.unlock(ADMIN_PASSPHRASE).unwrap();
    let group = bob
        .create_group(&contractors(&["payables:write"], false, vec![cleo]))
        .unwrap();
    assert_eq!(
        (group.blocks.as_slice(), group.blocks_api_access),
        (["payables:write".to_owned()].as_slice(), false)
    );

    assert_eq!(
        inactive(verify(&team.vault, &token, "payables:write")),
        InactiveReason::ScopeNotGranted
    );
    assert_eq!(
        active(verify(&team.vault, &token, "payables:read")).scopes,
        ["payables:read"]
    );
    let listed = team.vault.user(cleo).unwrap();
    assert_eq!(listed.permissions, ["payables:read"]);
    assert_eq!(
        listed.permission_sources,
        [
            PermissionSource {
                permission: "payables:read".into(),
                granted_by: vec!["Payables".into()],
                blocked_by: vec![],
            },
            PermissionSource {
                permission: "payables:write".into(),
                granted_by: vec!["Payables".into()],
                blocked_by: vec!["Contractors".into()],
            },
        ]
    );
    // Bob is in Payables too, not in Contractors: the block is Cleo's alone.
    assert!(team
        .vault
        .user(team.admin)
        .unwrap()
        .permissions
        .contains(&"payables:write".to_owned()));

    let before = snapshot(&team.vault);
    let refused = team
        .vault
        .issue(&cleos(&team, "Blocked scope", &["payables:write"]))
        .unwrap_err();
    assert_eq!(refused.code(), "scope_not_held");
    assert_eq!(snapshot(&team.vault), before);

    // Out of the blocking group, the grant holds again.
    bob.update_group(group.id, &contractors(&["payables:write"], false, vec![]))
        .unwrap();
    assert_eq!(
        active(verify(&team.vault, &token, "payables:write")).scopes,
        ["payables:read", "payables:write"]
    );
}

#[test]
fn a_group_that_blocks_api_access_stops_its_members_credentials_and_new_ones() {
    let mut team = Team::new();
    let cleo = team.member;
    let issued = team
        .vault
        .issue(&cleos(&team, "Ledger sync", &["payables:read"]))
        .unwrap();
    assert!(active(verify(&team.vault, &issued.token, "payables:read"))
        .scopes
        .contains(&"payables:read".to_owned()));
    let group = team
        .vault
        .create_group(&contractors(&[], true, vec![cleo]))
        .unwrap();

    let listed = team.vault.user(cleo).unwrap();
    assert!(listed.api_access, "her own setting stays as it was");
    assert_eq!(listed.api_access_blocked_by, ["Contractors"]);
    assert!(!listed.has_api_access());
    assert_eq!(
        inactive(verify(&team.vault, &issued.token, "payables:read")),
        InactiveReason::OwnerLacksApiAccess
    );
    let before = snapshot(&team.vault);
    let refused = team.vault.issue(&cleos(&team, "Another", &[])).unwrap_err();
    assert_eq!(refused.code(), "owner_lacks_api_access");
    assert_eq!(snapshot(&team.vault), before);

    // Lifting the block (the group stays, blocking nothing) lets the credential verify again.
    team.vault
        .update_group(group.id, &contractors(&[], false, vec![cleo]))
        .unwrap();
    assert!(team.vault.user(cleo).unwrap().has_api_access());
    active(verify(&team.vault, &issued.token, "payables:read"));
}

#[test]
fn a_group_cannot_grant_and_block_the_same_permission() {
    let mut team = Team::new();
    let before = (team.vault.groups().unwrap(), snapshot(&team.vault));
    let spec = GroupSpec {
        permissions: perms(&["payables:read"]),
        ..contractors(&["payables:read"], false, vec![team.member])
    };
    let refused = team.vault.create_group(&spec).unwrap_err();
    assert_eq!(refused.code(), "granted_and_blocked");
    assert!(refused.to_string().contains("payables:read"));
    let unknown = team
        .vault
        .create_group(&contractors(&["ledger:write"], false, vec![]))
        .unwrap_err();
    assert_eq!(unknown.code(), "unknown_permission");
    assert_eq!(
        (team.vault.groups().unwrap(), snapshot(&team.vault)),
        before
    );
}
