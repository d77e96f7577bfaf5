//! What the seed products do that Keysmith now does too, in the real window: a credential
//! issued switched off, handed over, then switched on; a group that blocks a permission and
//! then API access, with People saying where each permission comes from and the new-credential
//! form offering only what is left; the API section, for those with API access only, drawn
//! under the app's CSP without one violation, its examples copied and its collection exported.

use keysmith_core::{
    clock, EmailAddress, InactiveReason, KdfParams, Name, Role, Secret, UserSpec, Verification,
};
use keysmith_e2e::flows::{
    add_user, answer_file_dialog, create_vault, pick_scope_and_application, row,
    take_revealed_token, vault_made_outside, verify_from_outside, Dialog,
};
use keysmith_e2e::{clipboard_text, eventually, Session, UI_TIMEOUT};

#[tokio::test]
async fn a_credential_issued_switched_off_verifies_once_switched_on() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("off.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;

    app.click("[data-testid=new-token-button]").await;
    app.type_into("#token-name", "go-live").await;
    app.click("[data-testid=preset-30]").await;
    pick_scope_and_application(&app).await;
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
    app.screenshot("group-form-blocks").await;
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

const WITH_ACCESS: &str = "cleo's own long passphrase";
const WITHOUT_ACCESS: &str = "dan's own long passphrase";

/// A vault made outside the app with two members who may unlock it: Cleo with API access, Dan
/// without.
fn vault_with_two_members(path: &std::path::Path) {
    let mut vault = vault_made_outside(path, clock::system());
    for (name, email, api_access, passphrase) in [
        ("Cleo Member", "cleo@example.com", true, WITH_ACCESS),
        ("Dan Member", "dan@example.com", false, WITHOUT_ACCESS),
    ] {
        let user = vault
            .create_user(&UserSpec {
                name: Name::new(name).unwrap(),
                email: EmailAddress::try_from(email.to_owned()).unwrap(),
                role: Role::Member,
                api_access,
            })
            .unwrap();
        vault
            .add_operator(user.id, &Secret::from(passphrase), KdfParams::MINIMUM)
            .unwrap();
    }
}

/// Unlocks with `passphrase` and waits for the inventory.
async fn unlock_as(app: &Session, passphrase: &str) {
    app.type_into("#passphrase", passphrase).await;
    app.click("[data-testid=unlock-vault] button[type=submit]")
        .await;
    app.find("[data-testid=nav-credentials]").await;
    app.find("[data-testid=operator]").await;
}

/// Calls the app's command `command` with `args` (JSON) from the page, as the window would;
/// its error's code, or `ok`.
async fn invoke(app: &Session, command: &str, args: &str) -> String {
    let answer = app
        .script_async(&format!(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('{command}', {args})
               .then(() => done('ok'), (error) => done(error?.code ?? String(error)));"
        ))
        .await;
    answer.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_api_section_is_for_those_with_api_access_and_lives_with_the_csp() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("apidocs.vault");
    vault_with_two_members(&vault);

    // Dan has no API access: no API section, and its commands refuse him.
    let app = Session::start(&vault, &[]).await;
    unlock_as(&app, WITHOUT_ACCESS).await;
    app.wait_text("[data-testid=operator]", "Dan Member").await;
    assert!(!app.present("[data-testid=nav-api]").await);
    for (command, args) in [
        ("api_documentation", "{}"),
        ("export_api_collection", "{}"),
        ("copy_example", "{text: 'curl'}"),
    ] {
        assert_eq!(invoke(&app, command, args).await, "forbidden", "{command}");
    }
    app.end().await;

    // Cleo has: the section is there, drawn under the CSP without a violation.
    let app = Session::start(&vault, &[]).await;
    unlock_as(&app, WITH_ACCESS).await;
    app.click("[data-testid=nav-api]").await;
    app.find("[data-testid=api-reference][data-rendered=true]")
        .await;
    app.enter_frame("[data-testid=api-reference]").await;
    app.wait_text("#reference", "/v1/introspect").await;
    // The frame is a realm of its own, without the window's IPC.
    let reach = app
        .script(
            "try { return typeof parent.__TAURI_INTERNALS__; } catch (e) { return e.name; }",
            vec![],
        )
        .await;
    assert_eq!(
        reach, "SecurityError",
        "the frame reached the window: {reach}"
    );
    // Open two routes, so their bodies, schemas, examples and media-type pickers are drawn.
    for path in ["/v1/verify", "/v1/oauth/token"] {
        app.script(
            "[...document.querySelectorAll('.opblock-summary-path')]
               .find((e) => e.textContent.trim() === arguments[0])
               .closest('.opblock-summary').querySelector('button').click();
             return null;",
            vec![path.into()],
        )
        .await;
    }
    app.wait_text("#reference", "as_user").await;
    app.find(".swagger-ui .opblock.is-open select").await;
    // The frame reports violations as they happen; a planted one shows it does.
    let seen = app.script("return violations;", vec![]).await;
    assert_eq!(seen, serde_json::json!([]), "violations in the frame");
    app.leave_frame().await;
    app.screenshot("api-section").await;
    assert!(!app.present("[data-testid=reference-violations]").await);
    app.enter_frame("[data-testid=api-reference]").await;
    app.script(
        "document.body.setAttribute('style', 'outline: 0'); return null;",
        vec![],
    )
    .await;
    app.leave_frame().await;
    app.wait_text("[data-testid=reference-violations]", "style-src")
        .await;

    // An example is copied as it is shown.
    let shown = app.text("[data-testid=example] pre").await;
    assert!(shown.contains("/v1/verify"), "{shown}");
    app.click("[data-testid=copy-example]").await;
    eventually(UI_TIMEOUT, async || match clipboard_text().await {
        Some(text) if text.trim() == shown.trim() => Ok(()),
        other => Err(format!("the clipboard holds {other:?}")),
    })
    .await;

    // The collection goes where the save dialog says, private to this user.
    let exported = dir.path().join("keysmith.postman_collection.json");
    app.click("[data-testid=export-collection]").await;
    answer_file_dialog("Export the API collection", Dialog::Save, &exported).await;
    app.wait_text("[data-testid=exported]", "Saved to").await;
    let collection: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&exported).unwrap()).unwrap();
    let names: Vec<&str> = collection["item"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["name"].as_str())
        .collect();
    assert!(names.contains(&"POST /v1/verify"), "{names:?}");
    assert!(names.contains(&"GET /v1/auth"), "{names:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&exported).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
    app.end().await;
}
