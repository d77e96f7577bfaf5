//! What the seed products do that Keysmith now does too, in the real window: a credential
//! issued switched off, handed over, then switched on.

use keysmith_core::{InactiveReason, Verification};
use keysmith_e2e::flows::{
    create_vault, pick_application, row, take_revealed_token, verify_from_outside,
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
