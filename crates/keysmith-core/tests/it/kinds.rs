//! Every credential kind against a real SQLCipher vault: who may issue it, which scopes it
//! carries and verifies with, and that every refusal writes nothing.

use crate::common::{snapshot, Fixture, APPLICATION, HOLDER};
use crate::team::{active, credential, inactive, name, perms, user, Team};
use keysmith_core::{
    Description, EmailAddress, GroupSpec, InactiveReason, NewCredential, Permission, Rights, Role,
    Secret, Settings, TokenKind, UserId, UserSpec, Vault, Verification,
};

#[test]
fn each_kind_is_issued_by_its_rules_and_verifies_with_its_scopes() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let vault = &mut team.vault;
    let cleo = Some(team.member);

    let pat_ = vault
        .issue(&credential(
            now,
            TokenKind::PersonalAccessToken,
            cleo,
            "cleo pat",
            &["payables:read"],
        ))
        .unwrap();
    assert!(pat_.token.expose().starts_with("ks_pat_"));
    assert_eq!(pat_.credential.owner_name.as_deref(), Some("Cleo Member"));
    assert_eq!(pat_.credential.client_id, None);

    let client = vault
        .issue(&credential(
            now,
            TokenKind::ApiClient,
            cleo,
            "cleo client",
            &[],
        ))
        .unwrap();
    assert!(client.token.expose().starts_with("ks_cli_"));

    let pair = vault
        .issue(&credential(
            now,
            TokenKind::ClientCredentials,
            cleo,
            "cleo pair",
            &["payables:write"],
        ))
        .unwrap();
    assert!(pair.token.expose().starts_with("ks_sec_"));
    let client_id = pair.credential.client_id.clone().expect("a client ID");
    assert!(client_id.starts_with("ks_id_"));
    assert!(!pair.token.expose().contains(&client_id));

    // What each verifies with: the PAT its scope; the API client exactly Cleo's permissions.
    let verify =
        |vault: &Vault, token: &str| active(vault.verify(token, None, None).unwrap()).scopes;
    assert_eq!(verify(vault, pat_.token.expose()), ["payables:read"]);
    assert_eq!(
        verify(vault, client.token.expose()),
        ["payables:read", "payables:write"]
    );
    assert_eq!(verify(vault, pair.token.expose()), ["payables:write"]);

    // Cleo joins a group: the API client carries the new permission at once, the PAT does not.
    vault
        .create_group(&GroupSpec {
            name: name("Suppliers"),
            permissions: perms(&["suppliers:read"]),
            blocks: vec![],
            blocks_api_access: false,
            members: vec![team.member],
        })
        .unwrap();
    assert_eq!(
        verify(vault, client.token.expose()),
        ["payables:read", "payables:write", "suppliers:read"]
    );
    assert_eq!(verify(vault, pat_.token.expose()), ["payables:read"]);
    // And leaves Payables: every credential drops what it granted.
    vault
        .update_group(
            team.payables,
            &GroupSpec {
                name: name("Payables"),
                permissions: perms(&["payables:read", "payables:write"]),
                blocks: vec![],
                blocks_api_access: false,
                members: vec![team.admin],
            },
        )
        .unwrap();
    assert_eq!(verify(vault, client.token.expose()), ["suppliers:read"]);
    assert!(verify(vault, pat_.token.expose()).is_empty());
    assert_eq!(
        inactive(
            vault
                .verify(pair.token.expose(), Some("payables:write"), None)
                .unwrap()
        ),
        InactiveReason::ScopeNotGranted
    );
}

#[test]
fn issue_refusals_are_typed_and_write_nothing() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let vault = &mut team.vault;
    let nobody = vault
        .create_user(&user("Dan Noaccess", Role::Member, false))
        .unwrap()
        .id;
    let cleo = Some(team.member);
    let before = snapshot(vault);
    let no_app = NewCredential {
        applications: vec![],
        ..credential(
            now,
            TokenKind::PersonalAccessToken,
            cleo,
            "x",
            &["payables:read"],
        )
    };
    let unknown_app = NewCredential {
        applications: vec![name("Ledger")],
        ..credential(
            now,
            TokenKind::PersonalAccessToken,
            cleo,
            "x",
            &["payables:read"],
        )
    };
    let cases = [
        (
            credential(
                now,
                TokenKind::PersonalAccessToken,
                cleo,
                "x",
                &["suppliers:read"],
            ),
            "scope_not_held",
        ),
        (
            credential(now, TokenKind::ApiClient, cleo, "x", &["payables:read"]),
            "scopes_inherited",
        ),
        (
            credential(now, TokenKind::PersonalAccessToken, Some(nobody), "x", &[]),
            "owner_lacks_api_access",
        ),
        (
            credential(now, TokenKind::PersonalAccessToken, None, "x", &[]),
            "invalid_owner",
        ),
        (
            credential(
                now,
                TokenKind::PersonalAccessToken,
                Some(UserId(99)),
                "x",
                &[],
            ),
            "user_not_found",
        ),
        (
            credential(now, TokenKind::OrganizationToken, None, "x", &[]),
            "feature_disabled",
        ),
        (no_app, "no_application"),
        (unknown_app, "unknown_application"),
        // A credential that would grant nothing.
        (
            credential(now, TokenKind::PersonalAccessToken, Some(HOLDER), "x", &[]),
            "no_scope",
        ),
        (
            credential(now, TokenKind::ClientCredentials, Some(HOLDER), "x", &[]),
            "no_scope",
        ),
    ];
    for (new, code) in cases {
        assert_eq!(
            vault.issue(&new).unwrap_err().code(),
            code,
            "{:?}",
            new.kind
        );
    }
    assert_eq!(before, snapshot(vault));

    // Names are unique among one owner's unrevoked credentials, not across owners.
    vault
        .issue(&credential(
            now,
            TokenKind::PersonalAccessToken,
            cleo,
            "deploy",
            &["payables:read"],
        ))
        .unwrap();
    vault
        .issue(&credential(
            now,
            TokenKind::PersonalAccessToken,
            Some(HOLDER),
            "deploy",
            &["payables:read"],
        ))
        .unwrap();
    assert_eq!(
        vault
            .issue(&credential(now, TokenKind::ApiClient, cleo, "deploy", &[]))
            .unwrap_err()
            .code(),
        "duplicate_name"
    );
}

#[test]
fn organization_tokens_need_the_flag_and_an_admin() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let org = credential(
        now,
        TokenKind::OrganizationToken,
        None,
        "legacy sync",
        &["users:read"],
    );
    assert_eq!(
        team.vault.issue(&org).unwrap_err().code(),
        "feature_disabled"
    );
    team.vault
        .update_settings(Settings {
            organization_tokens: true,
            ..team.vault.settings().unwrap()
        })
        .unwrap();
    let issued = team.vault.issue(&org).unwrap();
    assert!(issued.token.expose().starts_with("ks_org_"));
    assert_eq!(issued.credential.owner_id, None);
    let verified = active(
        team.vault
            .verify(issued.token.expose(), Some("users:read"), None)
            .unwrap(),
    );
    assert_eq!(verified.scopes, ["users:read"]);
    let unknown = credential(
        now,
        TokenKind::OrganizationToken,
        None,
        "other",
        &["ledger:read"],
    );
    assert_eq!(
        team.vault.issue(&unknown).unwrap_err().code(),
        "unknown_permission"
    );
    // Removing a permission from the catalogue takes it from organization tokens too.
    team.vault.remove_permission("users:read").unwrap();
    assert!(active(
        team.vault
            .verify(issued.token.expose(), None, None)
            .unwrap()
    )
    .scopes
    .is_empty());
}

#[test]
fn verify_checks_application_scope_rights_and_api_access() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let vault = &mut team.vault;
    let read_only = NewCredential {
        rights: Rights::Read,
        ..credential(
            now,
            TokenKind::PersonalAccessToken,
            Some(team.member),
            "reader",
            &["payables:read", "payables:write"],
        )
    };
    let token = vault.issue(&read_only).unwrap().token;
    let token = token.expose();
    let verified = active(
        vault
            .verify(token, Some("payables:read"), Some(APPLICATION))
            .unwrap(),
    );
    assert_eq!(
        verified.scopes,
        ["payables:read"],
        "read-only never grants a write scope"
    );
    assert_eq!(verified.credential.rights, Rights::Read);
    assert_eq!(verified.credential.applications, [APPLICATION]);
    let reason = |vault: &Vault, scope, application| {
        inactive(vault.verify(token, scope, application).unwrap())
    };
    assert_eq!(
        reason(vault, Some("payables:write"), None),
        InactiveReason::ScopeNotGranted
    );
    assert_eq!(
        reason(vault, Some("users:read"), None),
        InactiveReason::ScopeNotGranted
    );
    assert_eq!(
        reason(vault, None, Some("Ledger")),
        InactiveReason::ApplicationNotAllowed
    );

    vault
        .update_user(team.member, &user("Cleo Member", Role::Member, false))
        .unwrap();
    assert_eq!(
        reason(vault, None, None),
        InactiveReason::OwnerLacksApiAccess
    );
}

#[test]
fn verifier_keys_are_for_admins_carry_nothing_and_verify_as_verifiers() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    let holder = team.vault.operator().user_id;
    let bare = NewCredential {
        applications: Vec::new(),
        ..credential(now, TokenKind::Verifier, Some(holder), "gateway", &[])
    };
    let before = snapshot(&team.vault);
    let scoped = NewCredential {
        scopes: perms(&["users:read"]),
        ..bare.clone()
    };
    assert_eq!(
        team.vault.issue(&scoped).unwrap_err().code(),
        "invalid_kind"
    );
    let for_app = NewCredential {
        applications: vec![name(APPLICATION)],
        ..bare.clone()
    };
    assert_eq!(
        team.vault.issue(&for_app).unwrap_err().code(),
        "invalid_kind"
    );
    assert_eq!(before, snapshot(&team.vault));

    let issued = team.vault.issue(&bare).unwrap();
    assert!(issued.token.expose().starts_with("ks_vfy_"));
    let verified = active(
        team.vault
            .verify(issued.token.expose(), None, None)
            .unwrap(),
    );
    assert_eq!(verified.credential.kind, TokenKind::Verifier);
    assert!(verified.scopes.is_empty());
    assert_eq!(
        inactive(
            team.vault
                .verify(issued.token.expose(), None, Some(APPLICATION))
                .unwrap()
        ),
        InactiveReason::ApplicationNotAllowed
    );

    let mut member = team.unlock_as_member();
    let before = snapshot(&member);
    let own = NewCredential {
        owner: Some(team.member),
        ..bare
    };
    assert_eq!(member.issue(&own).unwrap_err().code(), "forbidden");
    assert_eq!(before, snapshot(&member));
}

mod property {
    //! No sequence of operations yields a credential that verifies with a scope its owner
    //! does not hold at that moment.

    use super::*;
    use proptest::prelude::*;

    const SCOPES: [&str; 4] = [
        "payables:read",
        "payables:write",
        "suppliers:read",
        "users:read",
    ];

    #[derive(Debug, Clone)]
    enum Op {
        /// Issue a credential of kind `kind % 3` for user `user % 2` with these scopes.
        Issue { kind: u8, user: u8, scopes: u8 },
        /// Set group `group % 2`'s grants, blocks (those of the mask it does not grant),
        /// API access block and members (bit masks).
        SetGroup {
            group: u8,
            permissions: u8,
            blocks: u8,
            blocks_api_access: bool,
            members: u8,
        },
        /// Toggle API access of user `user % 2`.
        ToggleAccess { user: u8 },
        /// Renew credential `index` (modulo how many there are).
        Renew { index: u8 },
        /// Remove a permission from the catalogue and add it back (groups lose it).
        Recatalogue { scope: u8 },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(kind, user, scopes)| Op::Issue {
                kind,
                user,
                scopes
            }),
            (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()).prop_map(
                |(group, permissions, blocks, members)| Op::SetGroup {
                    group,
                    permissions,
                    // Most sets block nothing, so grants still get through now and then.
                    blocks: if blocks & 0x40 == 0 {
                        0
                    } else {
                        blocks & 0x0f & !permissions
                    },
                    blocks_api_access: blocks & 0x30 == 0x30,
                    members,
                }
            ),
            any::<u8>().prop_map(|user| Op::ToggleAccess { user }),
            any::<u8>().prop_map(|index| Op::Renew { index }),
            any::<u8>().prop_map(|scope| Op::Recatalogue { scope }),
        ]
    }

    fn pick(mask: u8) -> Vec<&'static str> {
        SCOPES
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| *s)
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn verified_scopes_never_exceed_the_owners_permissions(ops in proptest::collection::vec(op(), 1..24)) {
            let fx = Fixture::new();
            let mut vault = fx.create();
            let now = fx.clock_now();
            let users: Vec<UserId> = ["Ann One", "Ben Two"]
                .iter()
                .map(|n| vault.create_user(&user(n, Role::Member, true)).unwrap().id)
                .collect();
            let groups: Vec<_> = ["G1", "G2"]
                .iter()
                .map(|n| vault.create_group(&GroupSpec {
                    name: name(n),
                    permissions: perms(&SCOPES[..2]),
                    blocks: vec![],
                    blocks_api_access: false,
                    members: users.clone(),
                }).unwrap().id)
                .collect();
            let mut tokens: Vec<(keysmith_core::CredentialId, Secret)> = Vec::new();
            for (step, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Issue { kind, user: u, scopes } => {
                        let kind = [TokenKind::PersonalAccessToken, TokenKind::ApiClient,
                                    TokenKind::ClientCredentials][usize::from(kind % 3)];
                        let scopes = if kind == TokenKind::ApiClient { vec![] } else { pick(scopes) };
                        let new = credential(now, kind, Some(users[usize::from(u % 2)]),
                                             &format!("c{step}"), &scopes);
                        // Refusals (scope_not_held, owner_lacks_api_access) are fine here.
                        if let Ok(issued) = vault.issue(&new) {
                            tokens.push((issued.credential.id, issued.token));
                        }
                    }
                    Op::SetGroup { group, permissions, blocks, blocks_api_access, members } => {
                        let members = users.iter().enumerate()
                            .filter(|(i, _)| members & (1 << i) != 0).map(|(_, u)| *u).collect();
                        vault.update_group(groups[usize::from(group % 2)], &GroupSpec {
                            name: name(["G1", "G2"][usize::from(group % 2)]),
                            permissions: perms(&pick(permissions)),
                            blocks: perms(&pick(blocks)),
                            blocks_api_access,
                            members,
                        }).unwrap();
                    }
                    Op::ToggleAccess { user: u } => {
                        let id = users[usize::from(u % 2)];
                        let current = vault.user(id).unwrap();
                        let spec = UserSpec {
                            name: name(&current.name),
                            email: EmailAddress::try_from(current.email).unwrap(),
                            role: current.role,
                            api_access: !current.api_access,
                        };
                        vault.update_user(id, &spec).unwrap();
                    }
                    Op::Renew { index } => {
                        if tokens.is_empty() { continue; }
                        let (id, _) = &tokens[usize::from(index) % tokens.len()];
                        let renewal = keysmith_core::Renewal {
                            old_ends_at: now + chrono::Duration::days(1),
                            new_expiry: None,
                            name: Some(name(&format!("r{step}"))),
                            description: Some(Description::default()),
                        };
                        if let Ok(issued) = vault.renew(*id, &renewal) {
                            tokens.push((issued.credential.id, issued.token));
                        }
                    }
                    Op::Recatalogue { scope } => {
                        let scope = SCOPES[usize::from(scope) % SCOPES.len()];
                        vault.remove_permission(scope).unwrap();
                        vault.add_permission(&Permission::new(scope).unwrap(),
                                             &Description::default()).unwrap();
                    }
                }
                // The invariant, checked against the users' effective permissions as listed
                // (worked out from each permission's grants and blocks: a code path apart from
                // verification's).
                let people = vault.users().unwrap();
                for (_, token) in &tokens {
                    if let Verification::Active(verified) = vault.verify(token.expose(), None, None).unwrap() {
                        let owner = people.iter()
                            .find(|u| Some(u.id) == verified.credential.owner_id).unwrap();
                        prop_assert!(owner.has_api_access());
                        for scope in &verified.scopes {
                            let source = owner.permission_sources.iter()
                                .find(|s| &s.permission == scope);
                            prop_assert!(source.is_some_and(|s| s.blocked_by.is_empty()),
                                "{scope} granted but blocked for {}", owner.name);
                            prop_assert!(owner.permissions.contains(scope),
                                "{scope} granted but {} holds {:?}", owner.name, owner.permissions);
                        }
                    }
                }
            }
        }
    }
}
