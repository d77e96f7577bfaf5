//! Organization tokens acting as a named user over HTTP: `as_user` in `/v1/verify` and
//! `X-Keysmith-As-User` in forward auth answer as that user, audited; a user whose API access
//! a group blocks is refused.

use keysmith_core::{GroupSpec, Settings, UserSpec};

use super::gateway::{header, issue};
use super::*;

const CLEO: &str = "cleo@example.com";

fn contractors(members: Vec<UserId>) -> GroupSpec {
    GroupSpec {
        name: Name::new("Contractors").unwrap(),
        permissions: vec![],
        blocks: vec![],
        blocks_api_access: true,
        members,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_token_acts_as_a_named_user_and_is_refused_for_a_blocked_one() {
    let (api, pat, _) = start(Access::Open).await;
    let mut vault = api.open_vault();
    vault
        .update_settings(Settings {
            organization_tokens: true,
            ..vault.settings().unwrap()
        })
        .unwrap();
    let cleo = vault
        .create_user(&UserSpec {
            name: Name::new("Cleo Member").unwrap(),
            email: EmailAddress::try_from(CLEO.to_owned()).unwrap(),
            role: keysmith_core::Role::Member,
            api_access: true,
        })
        .unwrap()
        .id;
    vault
        .create_group(&GroupSpec {
            name: Name::new("Payables").unwrap(),
            permissions: vec![Permission::new("payables:read").unwrap()],
            blocks: vec![],
            blocks_api_access: false,
            members: vec![cleo],
        })
        .unwrap();
    let blocking = vault.create_group(&contractors(vec![])).unwrap().id;
    let org = issue(&api, |api| NewCredential {
        kind: TokenKind::OrganizationToken,
        owner: None,
        scopes: ["payables:read", "users:read"]
            .iter()
            .map(|s| Permission::new(s).unwrap())
            .collect(),
        ..gateway::restricted(api, "legacy sync", Default::default())
    });
    let token = org.token.expose();

    let answer = api.verify(json!({ "token": token, "as_user": CLEO })).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["owner"], "Cleo Member");
    assert_eq!(answer["acting_as"]["email"], CLEO);
    assert_eq!(answer["acting_as"]["user_id"], cleo.0);
    assert_eq!(answer["scopes"], json!(["payables:read"]));
    let plain = api.verify(json!({ "token": token })).await;
    assert_eq!(plain["scopes"], json!(["payables:read", "users:read"]));
    assert!(plain.get("acting_as").is_none(), "{plain}");

    let bearer = format!("Bearer {token}");
    let as_cleo = [
        ("authorization", bearer.as_str()),
        ("x-keysmith-as-user", CLEO),
    ];
    let (status, headers, body) = api.auth("", &as_cleo).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "x-keysmith-owner"), "Cleo Member");
    assert_eq!(header(&headers, "x-keysmith-acting-as"), CLEO);
    assert_eq!(header(&headers, "x-keysmith-scopes"), "payables:read");
    let (status, headers, _) = api.auth("?scope=users:read", &as_cleo).await;
    assert_eq!(status, 403);
    assert_eq!(header(&headers, "x-keysmith-reason"), "scope_not_granted");

    // Audited: one row for each answer that acted as Cleo, none for the plain one.
    let acted = |vault: &Vault| {
        vault
            .audit_log(Some(org.credential.id))
            .unwrap()
            .into_iter()
            .filter(|row| row.action == "credential.acted_as_user")
            .count()
    };
    assert_eq!(acted(&vault), 2);

    // A group blocks Cleo's API access: refused at once, and not audited.
    vault
        .update_group(blocking, &contractors(vec![cleo]))
        .unwrap();
    let refused = api.verify(json!({ "token": token, "as_user": CLEO })).await;
    assert_eq!(
        refused,
        json!({ "active": false, "reason": "user_lacks_api_access" })
    );
    let (status, headers, _) = api.auth("", &as_cleo).await;
    assert_eq!(status, 403);
    assert_eq!(
        header(&headers, "x-keysmith-reason"),
        "user_lacks_api_access"
    );
    assert_eq!(acted(&vault), 2);

    // Only organization tokens may name a user.
    let other = api
        .verify(json!({ "token": pat.token.expose(), "as_user": CLEO }))
        .await;
    assert_eq!(other["reason"], "as_user_not_allowed");
    api.stop().await;
}
