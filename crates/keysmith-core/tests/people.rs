//! People, permissions, operators and every credential kind, against a real SQLCipher vault:
//! who may do what, what each kind verifies with, and that every refusal writes nothing.

mod common;

use common::{pat, snapshot, Fixture, APPLICATION, HOLDER, PASSPHRASE};
use keysmith_core::{
    Description, EmailAddress, GroupSpec, InactiveReason, KdfParams, Name, NewCredential,
    Permission, Rights, Role, Secret, Settings, TokenKind, UserId, UserSpec, Vault, Verification,
    Verified,
};

fn name(text: &str) -> Name {
    Name::new(text).unwrap()
}

fn perms(names: &[&str]) -> Vec<Permission> {
    names.iter().map(|n| Permission::new(n).unwrap()).collect()
}

fn user(name_: &str, role: Role, api_access: bool) -> UserSpec {
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
struct Team {
    fx: Fixture,
    vault: Vault,
    admin: UserId,
    member: UserId,
    payables: keysmith_core::GroupId,
}

const ADMIN_PASSPHRASE: &str = "bob's own long passphrase";
const MEMBER_PASSPHRASE: &str = "cleo's long passphrase";

impl Team {
    fn new() -> Team {
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
    fn unlock_as_member(&mut self) -> Vault {
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
fn credential(
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

fn active(verification: Verification) -> Box<Verified> {
    match verification {
        Verification::Active(verified) => verified,
        other => panic!("expected active, got {other:?}"),
    }
}

fn inactive(verification: Verification) -> InactiveReason {
    match verification {
        Verification::Inactive(reason) => reason,
        other => panic!("expected inactive, got {other:?}"),
    }
}

#[test]
fn a_users_permissions_are_the_union_of_their_groups() {
    let mut team = Team::new();
    let vault = &mut team.vault;
    vault
        .create_group(&GroupSpec {
            name: name("Suppliers"),
            permissions: perms(&["suppliers:read", "payables:read"]),
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
                members: vec![],
            },
            "already_exists",
        ),
        (
            GroupSpec {
                name: name("New"),
                permissions: perms(&["ledger:read"]),
                members: vec![],
            },
            "unknown_permission",
        ),
        (
            GroupSpec {
                name: name("New"),
                permissions: vec![],
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
        ..credential(now, TokenKind::PersonalAccessToken, cleo, "x", &[])
    };
    let unknown_app = NewCredential {
        applications: vec![name("Ledger")],
        ..credential(now, TokenKind::PersonalAccessToken, cleo, "x", &[])
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
            &[],
        ))
        .unwrap();
    vault
        .issue(&credential(
            now,
            TokenKind::PersonalAccessToken,
            Some(HOLDER),
            "deploy",
            &[],
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
            &[],
        ))
        .unwrap()
        .credential
        .id;
    drop(team.vault);

    let mut admin = team.fx.unlock(ADMIN_PASSPHRASE).unwrap();
    assert_eq!(admin.operator().role, Role::Admin);
    let before = snapshot(&admin);
    assert_eq!(admin.revoke(holders).unwrap_err().code(), "forbidden");
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
            &[],
        ))
        .unwrap()
        .credential
        .id;
    let mut member = team.unlock_as_member();
    let before = (snapshot(&member), member.users().unwrap());
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
                .issue(&credential(now, kind, cleo, name_, &[]))
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
            &[],
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
                name: name("ledger sync 2"),
                description: Description::default(),
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
                members: vec![team.member],
            },
        )
        .unwrap();
    let before = snapshot(vault);
    let again = keysmith_core::Renewal {
        old_ends_at: now + chrono::Duration::hours(1),
        name: name("ledger sync 3"),
        description: Description::default(),
    };
    assert_eq!(
        vault.renew(fresh.id, &again).unwrap_err().code(),
        "scope_not_held"
    );
    assert_eq!(before, snapshot(vault));
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
        /// Set group `group % 2`'s permissions and members (bit masks).
        SetGroup {
            group: u8,
            permissions: u8,
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
            (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(group, permissions, members)| {
                Op::SetGroup {
                    group,
                    permissions,
                    members,
                }
            }),
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
                    Op::SetGroup { group, permissions, members } => {
                        let members = users.iter().enumerate()
                            .filter(|(i, _)| members & (1 << i) != 0).map(|(_, u)| *u).collect();
                        vault.update_group(groups[usize::from(group % 2)], &GroupSpec {
                            name: name(["G1", "G2"][usize::from(group % 2)]),
                            permissions: perms(&pick(permissions)),
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
                            name: name(&format!("r{step}")),
                            description: Description::default(),
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
                // The invariant, checked against the users' permissions as listed (a code
                // path apart from verification's).
                let people = vault.users().unwrap();
                for (_, token) in &tokens {
                    if let Verification::Active(verified) = vault.verify(token.expose(), None, None).unwrap() {
                        let owner = people.iter()
                            .find(|u| Some(u.id) == verified.credential.owner_id).unwrap();
                        prop_assert!(owner.api_access);
                        for scope in &verified.scopes {
                            prop_assert!(owner.permissions.contains(scope),
                                "{scope} granted but {} holds {:?}", owner.name, owner.permissions);
                        }
                    }
                }
            }
        }
    }
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
