//! What the seed products do that Keysmith now does too, in the real window: a credential
//! issued switched off, handed over, then switched on; a group that blocks a permission and
//! then API access, with People saying where each permission comes from and the new-credential
//! form offering only what is left.

use keysmith_core::{InactiveReason, Verification};
use keysmith_e2e::flows::{
    add_user, create_vault, pick_application, row, take_revealed_token, verify_from_outside,
};
use keysmith_e2e::Session;

#[tokio::test]
async fn a_credential_issued_switched_off_verifies_once_switched_on() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("off.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;

    app.click("[data-testid=new-token-button]").await;
    app.type_into("#token-name", "go-live").await;
    app.click("[data-testid=preset-30]").await;
    pick_application(&app).await;
    app.click("[data-testid=switched-off]").await;
    app.click("[data-testid=acknowledge]").await;
    app.click("[data-testid=create-token]").await;
    let notice = app.text("[data-testid=revealed-switched-off]").await;
    assert!(notice.contains("switched off"), "{notice}");
    app.screenshot("issued-switched-off").await;
    let token = take_revealed_token(&app).await;

    let status = format!("{} [data-testid=status]", row("go-live"));
    assert_eq!(app.text(&status).await, "disabled");
    assert_eq!(
        verify_from_outside(&vault, &token),
        Verification::Inactive(InactiveReason::Disabled)
    );
    // Switching it on is one click.
    app.click(&format!("{} [data-testid=enabled-switch]", row("go-live")))
        .await;
    app.wait_text(&status, "active").await;
    assert!(matches!(
        verify_from_outside(&vault, &token),
        Verification::Active(_)
    ));
    app.end().await;
}

/// Saves a group named `name` with these checkboxes of the group form ticked.
async fn save_group(app: &Session, name: &str, checkboxes: &[&str]) {
    app.click("[data-testid=add-group]").await;
    app.type_into("#group-name", name).await;
    for checkbox in checkboxes {
        app.click(&format!("[data-testid='{checkbox}']")).await;
    }
    app.click("[data-testid=save-group]").await;
    app.wait_gone("[data-testid=group-form]").await;
}

#[tokio::test]
async fn a_group_blocks_a_permission_and_then_api_access() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("blocks.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    app.click("[data-testid=nav-people]").await;
    add_user(&app, "Cleo Member", "cleo@example.com", "member").await;
    let cleo = "[data-testid=user-row][data-email='cleo@example.com']";
    save_group(
        &app,
        "Payables",
        &[
            "group-permission-payables:read",
            "group-permission-payables:write",
            "group-member-cleo@example.com",
        ],
    )
    .await;
    save_group(
        &app,
        "Contractors",
        &[
            "group-block-payables:write",
            "group-member-cleo@example.com",
        ],
    )
    .await;
    let write = format!("{cleo} [data-permission='payables:write']");
    app.wait_text(&write, "granted by Payables, blocked by Contractors")
        .await;
    let classes = app.find(&write).await.attr("class").await.unwrap();
    assert!(classes.unwrap_or_default().contains("blocked"));
    app.wait_text(
        &format!("{cleo} [data-permission='payables:read']"),
        "granted by Payables",
    )
    .await;
    app.screenshot("blocked-permission").await;

    // The form offers Cleo what is left: read, not write.
    app.click("[data-testid=nav-credentials]").await;
    app.click("[data-testid=new-token-button]").await;
    app.click("#credential-owner option[value='2']").await;
    app.find("[data-testid='scope-payables:read']").await;
    assert!(!app.present("[data-testid='scope-payables:write']").await);
    app.click("[data-testid=cancel-new]").await;

    // Contractors now block API access too: Cleo is no longer offered as an owner.
    app.click("[data-testid=nav-people]").await;
    app.click("[data-testid=group-row][data-name=Contractors] [data-testid=edit-group]")
        .await;
    app.click("[data-testid=group-blocks-api-access]").await;
    app.click("[data-testid=save-group]").await;
    app.wait_text(
        &format!("{cleo} [data-testid=user-api-access]"),
        "blocked by Contractors",
    )
    .await;
    app.wait_text(
        "[data-testid=group-row][data-name=Contractors] [data-testid=group-blocks]",
        "API access, payables:write",
    )
    .await;
    app.screenshot("blocked-api-access").await;
    app.click("[data-testid=nav-credentials]").await;
    app.click("[data-testid=new-token-button]").await;
    app.find("#credential-owner").await;
    assert!(!app.present("#credential-owner option[value='2']").await);
    app.end().await;
}
