//! Usage limits and allowed addresses in the real window: set in the new-credential form (a
//! bad address said beside its field), shown in the row and the detail panel, spent through
//! the app's own local API by forward auth, changed in the edit dialog; and the trusted
//! proxies in Settings deciding whose X-Forwarded-For counts.

use keysmith_e2e::flows::{
    enable_local_api, pick_scope_and_application, row, row_text, take_revealed_token,
};
use keysmith_e2e::{eventually, Session, UI_TIMEOUT};

/// Forward auth on the app's API at `port` with `token`, the client at `forwarded`: the status.
async fn forward_auth(port: u16, token: &str, forwarded: &str) -> u16 {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{port}/v1/auth"))
        .header("x-api-key", token)
        .header("x-forwarded-for", forwarded)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn limits_are_set_in_the_form_spent_by_forward_auth_and_changed_in_the_edit_dialog() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("gateway.vault");
    let app = Session::start(&vault, &[]).await;
    keysmith_e2e::flows::create_vault(&app, false).await;
    let port = enable_local_api(&app).await;
    app.click("[data-testid=nav-credentials]").await;

    app.click("[data-testid=new-token-button]").await;
    app.type_into("#token-name", "partner feed").await;
    app.click("[data-testid=preset-30]").await;
    pick_scope_and_application(&app).await;
    app.type_into("[data-testid=max-uses]", "2").await;
    app.click("[data-testid=refill] option[value=daily]").await;
    app.type_into("[data-testid=allowed-ips]", "10.0.0.0/8, 2001:db8::/33x")
        .await;
    app.click("[data-testid=acknowledge]").await;
    app.click("[data-testid=create-token]").await;
    // The bad entry is said beside its field, and nothing is issued.
    let problem = app.text("[data-testid=problem-allowed-ips]").await;
    assert!(problem.contains("2001:db8::/33x"), "{problem}");
    app.screenshot("limits-form-problem").await;
    app.replace_text("[data-testid=allowed-ips]", "10.0.0.0/8 2001:db8::/32")
        .await;
    app.wait_gone("[data-testid=problem-allowed-ips]").await;
    app.click("[data-testid=create-token]").await;
    let token = take_revealed_token(&app).await;

    let cells = row_text(&app, "partner feed").await;
    assert!(cells.contains("2/2") && cells.contains("IP"), "{cells}");
    app.click(&format!(
        "{} [data-testid=open-detail]",
        row("partner feed")
    ))
    .await;
    assert_eq!(
        app.text("[data-testid=detail-uses]").await,
        "2 of 2 uses left, refilled daily"
    );
    assert_eq!(
        app.text("[data-testid=detail-allowed-ips]").await,
        "10.0.0.0/8, 2001:db8::/32"
    );
    app.screenshot("limits-detail").await;

    // Through the app's API, from behind this computer's proxy (loopback is trusted): an
    // address outside the list is refused without spending; two uses, then 429.
    assert_eq!(forward_auth(port, &token, "192.0.2.1").await, 403);
    assert_eq!(forward_auth(port, &token, "10.1.2.3").await, 200);
    assert_eq!(forward_auth(port, &token, "2001:db8::9").await, 200);
    assert_eq!(forward_auth(port, &token, "10.1.2.3").await, 429);
    // The inventory catches up (the API writes its uses within a second).
    eventually(UI_TIMEOUT, async || {
        app.click("[data-testid=nav-credentials]").await;
        let cells = row_text(&app, "partner feed").await;
        if cells.contains("0/2") {
            Ok(())
        } else {
            Err(cells)
        }
    })
    .await;
    app.screenshot("limits-spent-row").await;

    // A new limit in the edit dialog starts full.
    keysmith_e2e::flows::row_action(&app, "partner feed", "edit").await;
    app.replace_text("#edit-max-uses", "5").await;
    app.find("[data-testid=uses-restart]").await;
    app.screenshot("limits-edit").await;
    app.click("[data-testid=save-description]").await;
    app.wait_gone("[data-testid=edit]").await;
    app.click(&format!(
        "{} [data-testid=open-detail]",
        row("partner feed")
    ))
    .await;
    app.wait_text("[data-testid=detail-uses]", "5 of 5 uses left")
        .await;
    assert_eq!(forward_auth(port, &token, "10.1.2.3").await, 200);

    // No proxy trusted but 192.0.2.250: the test's own X-Forwarded-For no longer counts, and
    // its real address (127.0.0.1) is not on the list.
    app.click("[data-testid=nav-settings]").await;
    eventually(UI_TIMEOUT, async || {
        let field = app.find("[data-testid=trusted-proxies-text]").await;
        match field.prop("value").await.unwrap().unwrap_or_default() {
            value if value == "127.0.0.0/8\n::1/128" => Ok(()),
            value => Err(value),
        }
    })
    .await;
    app.replace_text("[data-testid=trusted-proxies-text]", "proxy.lan")
        .await;
    app.find("[data-testid=trusted-proxies-problem]").await;
    app.replace_text("[data-testid=trusted-proxies-text]", "192.0.2.250")
        .await;
    app.click("[data-testid=save-trusted-proxies]").await;
    app.find("[data-testid=trusted-proxies-saved]").await;
    app.screenshot("trusted-proxies").await;
    eventually(UI_TIMEOUT, async || {
        match forward_auth(port, &token, "10.1.2.3").await {
            403 => Ok(()),
            other => Err(other.to_string()),
        }
    })
    .await;
    app.end().await;
}
