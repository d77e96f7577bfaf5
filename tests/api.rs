//! The local API from the app's settings, in the real window: switched on at a port, it
//! answers verifications of a token issued in the window; a port another program holds is
//! reported as in use; an address beyond loopback needs a second confirmation, and then every
//! call needs the verifier key issued in the window; switched off (or locked), it stops.
//! Every HTTP call goes to 127.0.0.1.

use std::time::Duration;

use keysmith_e2e::flows::{create_vault, issue_token, take_revealed_token};
use keysmith_e2e::{eventually, free_port, Session, UI_TIMEOUT};
use serde_json::{json, Value};

/// Opens the settings, lets `change` edit them, and saves.
async fn change_settings(app: &Session, change: impl AsyncFnOnce(&Session)) {
    app.click("[data-testid=nav-settings]").await;
    change(app).await;
    app.click("[data-testid=save-settings]").await;
}

async fn set_listen(app: &Session, address: &str, port: u16) {
    app.replace_text("[data-testid=api-address]", address).await;
    app.replace_text("[data-testid=api-port]", &port.to_string())
        .await;
}

/// POSTs `/v1/verify` for `token` to 127.0.0.1:`port`, with `key` as verifier key if given.
async fn verify(
    client: &reqwest::Client,
    port: u16,
    token: &str,
    key: Option<&str>,
) -> reqwest::Result<(u16, Value)> {
    let mut request = client
        .post(format!("http://127.0.0.1:{port}/v1/verify"))
        .json(&json!({ "token": token }));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await?;
    Ok((response.status().as_u16(), response.json().await?))
}

/// Waits until 127.0.0.1:`port` no longer answers (a stopped server finishes what is in
/// flight first).
async fn stops_answering(client: &reqwest::Client, port: u16, token: &str) {
    eventually(UI_TIMEOUT, async || {
        match verify(client, port, token, None).await {
            Err(_) => Ok(()),
            Ok((status, _)) => Err(format!("127.0.0.1:{port} still answers ({status})")),
        }
    })
    .await
}

#[tokio::test]
async fn the_local_api_from_the_settings_switch() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("api.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    app.wait_text("[data-testid=api-status]", "Local API: stopped")
        .await;
    let token = issue_token(&app, "billing sync").await;

    // A verifier key from the form: no scopes, no applications.
    app.click("[data-testid=new-token-button]").await;
    app.click("#credential-kind option[value=verifier]").await;
    app.wait_gone("[data-testid=applications]").await;
    app.type_into("#token-name", "gateway").await;
    app.click("[data-testid=acknowledge]").await;
    app.click("[data-testid=create-token]").await;
    let key = take_revealed_token(&app).await;
    assert!(key.starts_with("ks_vfy_"), "{key}");

    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let port = free_port();
    change_settings(&app, async |app| {
        app.click("[data-testid=api-enabled]").await;
        set_listen(app, "127.0.0.1", port).await;
    })
    .await;
    app.settings_saved().await;
    app.wait_text(
        "[data-testid=api-status]",
        &format!("listening on 127.0.0.1:{port}"),
    )
    .await;
    let (status, answer) = verify(&client, port, &token, None).await.unwrap();
    assert_eq!((status, &answer["active"]), (200, &json!(true)), "{answer}");

    // A port another program holds.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    change_settings(&app, async |app| {
        set_listen(app, "127.0.0.1", taken_port).await
    })
    .await;
    app.settings_saved().await;
    app.wait_text("[data-testid=api-status]", "port in use")
        .await;
    stops_answering(&client, port, &token).await;
    drop(taken);

    // Beyond loopback: a second confirmation; declining changes nothing.
    change_settings(&app, async |app| set_listen(app, "0.0.0.0", port).await).await;
    app.find("[data-testid=confirm-remote]").await;
    app.click("[data-testid=keep-local]").await;
    app.wait_gone("[data-testid=confirm-remote]").await;
    assert!(!app.present("[data-testid=settings-saved]").await);
    app.click("[data-testid=save-settings]").await;
    app.click("[data-testid=confirm-remote-button]").await;
    app.settings_saved().await;
    app.wait_text(
        "[data-testid=api-status]",
        &format!("listening on 0.0.0.0:{port} (verifier key required)"),
    )
    .await;
    app.screenshot("api-listening-beyond-loopback").await;
    let (status, answer) = verify(&client, port, &token, None).await.unwrap();
    assert_eq!(
        (status, &answer["code"]),
        (401, &json!("verifier_key_required"))
    );
    let (status, answer) = verify(&client, port, &token, Some(&key)).await.unwrap();
    assert_eq!((status, &answer["active"]), (200, &json!(true)), "{answer}");

    // Switched off, it stops answering.
    change_settings(&app, async |app| {
        app.click("[data-testid=api-enabled]").await;
        set_listen(app, "127.0.0.1", port).await;
    })
    .await;
    app.settings_saved().await;
    app.wait_text("[data-testid=api-status]", "Local API: stopped")
        .await;
    stops_answering(&client, port, &token).await;
    app.end().await;
}
