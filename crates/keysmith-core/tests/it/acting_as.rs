//! Organization tokens acting as a named user, against a real SQLCipher vault: the answer is
//! the user's, with the token's scopes they hold; refused for any other kind, with the setting
//! off, for a user the vault does not know or one without API access; each one audited.

use crate::team::{active, credential, inactive, name, perms, Team};
use keysmith_core::{
    GroupSpec, InactiveReason, Secret, Settings, TokenKind, Vault, Verification,
    VerificationRequest,
};

fn set_organization_tokens(vault: &mut Vault, on: bool) {
    vault
        .update_settings(Settings {
            organization_tokens: on,
            ..vault.settings().unwrap()
        })
        .unwrap();
}

fn verify_as(vault: &Vault, token: &Secret, user: &str, scope: Option<&str>) -> Verification {
    vault
        .verify_request(
            token.expose(),
            &VerificationRequest {
                scope,
                as_user: Some(user),
                ..VerificationRequest::default()
            },
        )
        .unwrap()
}

/// A team whose organization token grants payables:read, payables:write and users:read.
fn team_with_org_token() -> (Team, Secret) {
    let mut team = Team::new();
    set_organization_tokens(&mut team.vault, true);
    let now = team.fx.clock_now();
    let issued = team
        .vault
        .issue(&credential(
            now,
            TokenKind::OrganizationToken,
            None,
            "legacy sync",
            &["payables:read", "payables:write", "users:read"],
        ))
        .unwrap();
    (team, issued.token)
}

#[test]
fn an_organization_token_acts_as_a_named_user_with_the_scopes_both_hold() {
    let (mut team, org) = team_with_org_token();
    let as_cleo = active(verify_as(
        &team.vault,
        &org,
        "Cleo.Member@Example.com",
        None,
    ));
    let acting = as_cleo.acting_as.clone().unwrap();
    assert_eq!(
        (acting.user_id, acting.name.as_str(), acting.email.as_str()),
        (team.member, "Cleo Member", "cleo.member@example.com")
    );
    // Cleo holds the payables permissions, not users:read.
    assert_eq!(as_cleo.scopes, ["payables:read", "payables:write"]);
    assert_eq!(as_cleo.credential.owner_id, None);
    assert_eq!(
        inactive(verify_as(
            &team.vault,
            &org,
            "cleo.member@example.com",
            Some("users:read")
        )),
        InactiveReason::ScopeNotGranted
    );
    // Without a user, the token is the organization's, with all of its scopes.
    let plain = active(
        team.vault
            .verify(org.expose(), Some("users:read"), None)
            .unwrap(),
    );
    assert_eq!(plain.acting_as, None);

    // Recorded: one row for the acting verification, none for the plain one.
    let rows = |vault: &Vault| {
        vault
            .audit_log(Some(as_cleo.credential.id))
            .unwrap()
            .into_iter()
            .filter(|row| row.action == "credential.acted_as_user")
            .collect::<Vec<_>>()
    };
    team.vault.record_acting_as(&as_cleo).unwrap();
    team.vault.record_acting_as(&plain).unwrap();
    let recorded = rows(&team.vault);
    assert_eq!(recorded.len(), 1);
    assert!(recorded[0].details.contains("cleo.member@example.com"));
    assert!(recorded[0].actor.contains("local API"));
    assert!(!recorded[0].details.contains(org.expose()));
}

#[test]
fn acting_as_is_refused_for_other_kinds_unknown_users_blocked_users_and_with_the_setting_off() {
    let (mut team, org) = team_with_org_token();
    let now = team.fx.clock_now();
    let cleo = "cleo.member@example.com";
    let pat = team
        .vault
        .issue(&credential(
            now,
            TokenKind::PersonalAccessToken,
            Some(team.admin),
            "bob's",
            &["payables:read"],
        ))
        .unwrap()
        .token;
    assert_eq!(
        inactive(verify_as(&team.vault, &pat, cleo, None)),
        InactiveReason::AsUserNotAllowed
    );
    assert_eq!(
        inactive(verify_as(&team.vault, &org, "nobody@example.com", None)),
        InactiveReason::UnknownUser
    );

    // A group that blocks payables:write narrows what the token may do as Cleo; one that
    // blocks her API access refuses it.
    let contractors = team
        .vault
        .create_group(&GroupSpec {
            name: name("Contractors"),
            permissions: vec![],
            blocks: perms(&["payables:write"]),
            blocks_api_access: false,
            members: vec![team.member],
        })
        .unwrap();
    assert_eq!(
        active(verify_as(&team.vault, &org, cleo, None)).scopes,
        ["payables:read"]
    );
    team.vault
        .update_group(
            contractors.id,
            &GroupSpec {
                name: name("Contractors"),
                permissions: vec![],
                blocks: vec![],
                blocks_api_access: true,
                members: vec![team.member],
            },
        )
        .unwrap();
    assert_eq!(
        inactive(verify_as(&team.vault, &org, cleo, None)),
        InactiveReason::UserLacksApiAccess
    );
    active(verify_as(&team.vault, &org, "bob.admin@example.com", None));

    // With organization tokens switched off, the token still verifies as the organization's
    // (the deprecation keeps it working) but acts as no one.
    set_organization_tokens(&mut team.vault, false);
    assert_eq!(
        inactive(verify_as(&team.vault, &org, "bob.admin@example.com", None)),
        InactiveReason::AsUserNotAllowed
    );
    active(team.vault.verify(org.expose(), None, None).unwrap());
}
