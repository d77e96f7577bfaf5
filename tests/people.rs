//! The whole credential model in the real window: the account holder adds an admin and a
//! member and a group, gives the admin a passphrase, issues one credential of each kind (the
//! organization token after switching the flag on), each verifying from outside with its own
//! scopes; filters by owner; offboards the member; then the admin unlocks with their own
//! passphrase and is refused on the account holder's token.

use keysmith_core::{InactiveReason, Verification};
use keysmith_e2e::flows::{
    add_user, close_detail, close_reveal, create_vault, issue_token, listed_names,
    pick_application, row, verify_from_outside,
};
use keysmith_e2e::{clipboard_text, eventually, Session, UI_TIMEOUT};

const ADMIN_PASSPHRASE: &str = "bob's very own passphrase";
/// Cleo's user id: the account holder is 1, then users in the order added (Bob 2, Cleo 3).
const CLEO: u32 = 3;

/// Issues through the form: `kind`, `owner` (a user id, or none for the organization),
/// `scopes` ticked, the seeded application; returns the revealed text of `secret_testids`.
async fn issue(
    app: &Session,
    kind: &str,
    owner: Option<u32>,
    name: &str,
    scopes: &[&str],
    secret_testids: &[&str],
) -> Vec<String> {
    app.click("[data-testid=new-token-button]").await;
    app.click(&format!("#credential-kind option[value={kind}]"))
        .await;
    if let Some(owner) = owner {
        app.click(&format!("#credential-owner option[value='{owner}']"))
            .await;
    }
    app.type_into("#token-name", name).await;
    // Least privilege is the default: read only (write scopes cannot be ticked), unless asked
    // otherwise.
    let read = app.find("[data-testid=rights-read]").await;
    assert_eq!(read.prop("checked").await.unwrap().as_deref(), Some("true"));
    if let Some(write) = scopes.iter().find(|s| s.ends_with(":write")) {
        let checkbox = app.find(&format!("[data-testid='scope-{write}']")).await;
        assert!(
            !checkbox.is_enabled().await.unwrap(),
            "{write} under read only"
        );
    }
    if kind == "api_client" || scopes.iter().any(|s| s.ends_with(":write")) {
        app.click("[data-testid=rights-read-write]").await;
    }
    for scope in scopes {
        app.click(&format!("[data-testid='scope-{scope}']")).await;
    }
    pick_application(app).await;
    app.click("[data-testid=acknowledge]").await;
    app.click("[data-testid=create-token]").await;
    let mut revealed = Vec::new();
    for testid in secret_testids {
        let text = app.text(&format!("[data-testid={testid}]")).await;
        revealed.push(text.trim().to_owned());
    }
    app.screenshot(&format!("p-reveal-{kind}")).await;
    if let [client_id, secret] = revealed.as_slice() {
        // Client credentials copy as environment variables; copied, Done closes at once.
        app.click("[data-testid=copy-env]").await;
        let want = format!("KEYSMITH_CLIENT_ID={client_id}\nKEYSMITH_CLIENT_SECRET={secret}\n");
        eventually(UI_TIMEOUT, async || match clipboard_text().await {
            Some(text) if text == want => Ok(()),
            other => Err(format!("the clipboard holds {other:?}")),
        })
        .await;
        app.click("[data-testid=done]").await;
        app.wait_gone("[data-testid=reveal]").await;
    } else {
        close_reveal(app).await;
    }
    revealed
}

fn scopes_of(verification: Verification) -> Vec<String> {
    match verification {
        Verification::Active(verified) => verified.scopes,
        other => panic!("expected active, got {other:?}"),
    }
}

async fn rows_listed(app: &Session, expected: usize) {
    eventually(UI_TIMEOUT, async || {
        let names = listed_names(app).await;
        match names.len() == expected {
            true => Ok(()),
            false => Err(format!("{} rows listed, not {expected}", names.len())),
        }
    })
    .await
}

#[tokio::test]
async fn people_every_kind_and_an_admin_operator() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("people.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;

    // People: an admin, a member, and a group granting both payables permissions.
    app.click("[data-testid=nav-people]").await;
    add_user(&app, "Bob Admin", "bob@example.com", "admin").await;
    add_user(&app, "Cleo Member", "cleo@example.com", "member").await;
    app.wait_text("[data-testid=groups-hint]", "do not make anyone an admin")
        .await;
    app.click("[data-testid=add-group]").await;
    app.type_into("#group-name", "Payables").await;
    for checkbox in [
        "group-permission-payables:read",
        "group-permission-payables:write",
        "group-member-bob@example.com",
        "group-member-cleo@example.com",
    ] {
        app.click(&format!("[data-testid='{checkbox}']")).await;
    }
    app.click("[data-testid=save-group]").await;
    app.wait_text(
        "[data-testid=user-row][data-email='cleo@example.com'] [data-permission='payables:write']",
        "granted by Payables",
    )
    .await;

    // Bob gets a passphrase of his own.
    app.click("[data-testid=user-row][data-email='bob@example.com'] [data-testid=give-passphrase]")
        .await;
    app.type_into("#operator-passphrase", ADMIN_PASSPHRASE)
        .await;
    app.type_into("#operator-passphrase-again", ADMIN_PASSPHRASE)
        .await;
    app.click("[data-testid=save-passphrase]").await;
    app.wait_text("[data-testid=people-outcome]", "can now unlock")
        .await;
    app.screenshot("p-01-people").await;
    app.click("[data-testid=nav-credentials]").await;
    app.wait_gone("[data-testid=people]").await;

    // One credential of each user kind for Cleo.
    let pat = issue(
        &app,
        "personal_access_token",
        Some(CLEO),
        "cleo pat",
        &["payables:read"],
        &["revealed-token"],
    )
    .await;
    let client = issue(
        &app,
        "api_client",
        Some(CLEO),
        "cleo client",
        &[],
        &["revealed-token"],
    )
    .await;
    let pair = issue(
        &app,
        "client_credentials",
        Some(CLEO),
        "cleo pair",
        &["payables:write"],
        &["revealed-client-id", "revealed-token"],
    )
    .await;
    assert!(pat[0].starts_with("ks_pat_") && client[0].starts_with("ks_cli_"));
    assert!(pair[0].starts_with("ks_id_") && pair[1].starts_with("ks_sec_"));
    assert_eq!(
        scopes_of(verify_from_outside(&vault, &pat[0])),
        ["payables:read"]
    );
    assert_eq!(
        scopes_of(verify_from_outside(&vault, &client[0])),
        ["payables:read", "payables:write"]
    );
    assert_eq!(
        scopes_of(verify_from_outside(&vault, &pair[1])),
        ["payables:write"]
    );
    // The client ID stays visible in the row and the detail view, whose switch disables and
    // enables the pair.
    app.wait_text(&row("cleo pair"), &pair[0]).await;
    app.click(&format!("{} [data-testid=open-detail]", row("cleo pair")))
        .await;
    app.wait_text("[data-testid=detail-client-id]", &pair[0])
        .await;
    app.wait_text("[data-testid=detail-scopes]", "payables:write")
        .await;
    app.click("[data-testid=detail-enabled-switch]").await;
    app.click("[data-testid=confirm-disable-yes]").await;
    app.wait_text("[data-testid=detail-status]", "disabled")
        .await;
    assert_eq!(
        verify_from_outside(&vault, &pair[1]),
        Verification::Inactive(InactiveReason::Disabled)
    );
    app.screenshot("p-detail-client-credentials").await;
    app.click("[data-testid=detail-enabled-switch]").await;
    app.wait_text("[data-testid=detail-status]", "active").await;
    close_detail(&app).await;
    assert!(matches!(
        verify_from_outside(&vault, &pair[1]),
        Verification::Active(_)
    ));

    // Organization tokens: offered only once the (deprecated) switch is on.
    app.click("[data-testid=new-token-button]").await;
    assert!(
        !app.present("#credential-kind option[value=organization_token]")
            .await
    );
    app.click("[data-testid=cancel-new]").await;
    app.wait_gone("[data-testid=new-token]").await;
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=organization-tokens]").await;
    app.click("[data-testid=save-settings]").await;
    app.settings_saved().await;
    let org = issue(
        &app,
        "organization_token",
        None,
        "legacy sync",
        &["users:read"],
        &["revealed-token"],
    )
    .await;
    assert!(org[0].starts_with("ks_org_"));
    assert_eq!(
        scopes_of(verify_from_outside(&vault, &org[0])),
        ["users:read"]
    );
    app.wait_text(&row("legacy sync"), "deprecated").await;

    // The account holder's own token, then the owner filter.
    let holders = issue_token(&app, "holder token").await;
    rows_listed(&app, 5).await;
    app.click(&format!(
        "[data-testid=owner-filter] option[value='{CLEO}']"
    ))
    .await;
    rows_listed(&app, 3).await;
    app.screenshot("p-02-filtered-by-owner").await;
    app.click("[data-testid=owner-filter] option[value='']")
        .await;
    rows_listed(&app, 5).await;

    // Offboarding Cleo: her credentials listed, revoked and deleted, and she is removed, in
    // one confirmed step; the audit log keeps their history.
    app.click("[data-testid=nav-people]").await;
    app.click("[data-testid=user-row][data-email='cleo@example.com'] [data-testid=offboard]")
        .await;
    app.wait_text("[data-testid=offboard-credentials]", "cleo pair")
        .await;
    let remove = app.find("[data-testid=offboard-confirm]").await;
    assert!(
        !remove.is_enabled().await.unwrap(),
        "enabled before the name is typed"
    );
    app.type_into("[data-testid=offboard-name]", "Cleo Member")
        .await;
    app.screenshot("p-03-offboard").await;
    app.click("[data-testid=offboard-confirm]").await;
    app.wait_text(
        "[data-testid=people-outcome]",
        "Removed Cleo Member; revoked and deleted 3 credentials",
    )
    .await;
    assert!(
        !app.present("[data-testid=user-row][data-email='cleo@example.com']")
            .await
    );
    for token in [&pat[0], &client[0], &pair[1]] {
        assert_eq!(
            verify_from_outside(&vault, token),
            Verification::Inactive(InactiveReason::Unknown)
        );
    }
    app.click("[data-testid=nav-audit]").await;
    app.click("[data-testid=audit-action] option[value='credential.deleted']")
        .await;
    app.wait_text("[data-testid=audit-count]", "3 of").await;
    app.click("[data-testid=nav-credentials]").await;

    // Bob unlocks with his own passphrase: the account holder's token's actions are his to
    // see, not to take — disabled, with the reason (the core's refusal of them is tested in
    // truth.rs).
    app.click("[data-testid=lock-button]").await;
    app.type_into("#passphrase", ADMIN_PASSPHRASE).await;
    app.click("[data-testid=unlock-vault] button[type=submit]")
        .await;
    app.wait_text("[data-testid=operator]", "Bob Admin").await;
    app.click(&format!("{} [data-testid=row-menu]", row("holder token")))
        .await;
    let revoke = app.find("[data-testid=menu-revoke]").await;
    assert_eq!(
        revoke.attr("aria-disabled").await.unwrap().as_deref(),
        Some("true")
    );
    app.wait_text(
        "[data-testid=menu-refusal]",
        "Only the account holder manages the account holder's credentials",
    )
    .await;
    revoke.click().await.unwrap();
    assert!(
        !app.present("#confirm-name").await,
        "no confirmation to type into"
    );
    app.screenshot("p-03-admin-refused").await;
    assert!(matches!(
        verify_from_outside(&vault, &holders),
        Verification::Active(_)
    ));
    app.end().await;
}
