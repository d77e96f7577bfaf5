//! OAuth apps in the real window, with a browser-like client on 127.0.0.1 (reqwest, following
//! no redirect by itself): register an app (a refused redirect URI first, its problem beside
//! the field), see its client secret once; the client starts a sign-in with PKCE and waits on
//! the app's local API; the request shows in the OAuth section with the code of the waiting
//! page and is approved there; the client exchanges its code; the connection shows on the
//! user's page and is revoked there; the token is refused. (The same flows with a real OAuth
//! client library, authlib, are in crates/keysmith-cli/tests/oauth.rs.)

use keysmith_e2e::flows::create_vault;
use keysmith_e2e::Session;
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// RFC 7636 appendix B's verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::test]
async fn an_app_registered_in_the_window_is_approved_there_and_its_access_revoked_there() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("oauth.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    let port = keysmith_e2e::flows::enable_local_api(&app).await;
    let base = format!("http://127.0.0.1:{port}");

    app.click("[data-testid=nav-oauth]").await;
    app.find("[data-testid=oauth-requests-empty]").await;
    app.find("[data-testid=oauth-apps-empty]").await;
    app.screenshot("oauth-empty").await;

    // Register: plain http to another host is refused beside the field, then fixed.
    app.click("[data-testid=register-oauth-app]").await;
    app.type_into("[data-testid=oauth-app-name]", "Ledger dashboard")
        .await;
    app.type_into(
        "[data-testid=oauth-app-description]",
        "Shows the payables ledger",
    )
    .await;
    app.type_into(
        "[data-testid=oauth-app-redirects]",
        "http://app.example.com/cb",
    )
    .await;
    app.click("[data-testid='oauth-scope-payables:read']").await;
    app.click("[data-testid=save-oauth-app]").await;
    let problem = app.text("[data-testid=oauth-app-redirects-problem]").await;
    assert!(problem.contains("https"), "{problem}");
    app.screenshot("oauth-app-form-problem").await;
    app.replace_text("[data-testid=oauth-app-redirects]", REDIRECT)
        .await;
    app.click("[data-testid=save-oauth-app]").await;
    let client_id = app
        .text("[data-testid=revealed-client-id]")
        .await
        .trim()
        .to_owned();
    let secret = app
        .text("[data-testid=revealed-token]")
        .await
        .trim()
        .to_owned();
    assert!(client_id.starts_with("ks_id_") && secret.starts_with("ks_ocs_"));
    app.screenshot("oauth-app-secret").await;
    app.click("[data-testid=copy-token]").await;
    app.click("[data-testid=done]").await;
    app.wait_gone("[data-testid=reveal]").await;
    assert_eq!(
        app.text("[data-testid=oauth-app-client-id]").await.trim(),
        client_id
    );

    // The browser-like client starts a sign-in and lands on the waiting page.
    let browser = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = format!(
        "{base}/v1/oauth/authorize?response_type=code&client_id={client_id}\
         &redirect_uri={REDIRECT}&scope=payables%3Aread&state=st4te\
         &code_challenge={CHALLENGE}&code_challenge_method=S256"
    );
    let to_wait = browser.get(authorize).send().await.unwrap();
    assert_eq!(to_wait.status(), 303);
    let wait_url = format!("{base}{}", to_wait.headers()["location"].to_str().unwrap());
    let page = browser
        .get(&wait_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let code_start = page.find("code <strong>").unwrap() + "code <strong>".len();
    let user_code = page[code_start..code_start + 9].to_owned();

    // The request shows in the window (read every 2 s), with the same code, and is approved.
    app.wait_text("[data-testid=oauth-badge]", "1").await;
    let request = app
        .wait_text("[data-testid=oauth-request]", &user_code)
        .await;
    assert!(request.contains("Ledger dashboard") && request.contains("payables:read"));
    app.screenshot("oauth-request").await;
    // The smallest window stacks the request's parts.
    app.client.set_window_size(760, 520).await.unwrap();
    app.screenshot("oauth-request-smallest").await;
    app.client.set_window_size(1100, 720).await.unwrap();
    app.click("[data-testid=approve-oauth-request]").await;
    app.wait_text("[data-testid=oauth-decided]", "may act as Ada Holder")
        .await;
    app.find("[data-testid=oauth-requests-empty]").await;

    // The waiting page sends the browser back with a code; the app exchanges it.
    let back = browser.get(&wait_url).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT) && location.contains("state=st4te"));
    let code = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .unwrap()
        .to_owned();
    let tokens: Value = browser
        .post(format!("{base}/v1/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let verify = async |token: &str| -> Value {
        browser
            .post(format!("{base}/v1/verify"))
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let verified = verify(&access).await;
    assert_eq!(verified["active"], true, "{verified}");
    assert_eq!(verified["client_id"], client_id.as_str());

    // The connection, on the app's detail and on Ada's page; revoked there.
    app.wait_text("[data-testid=connection-row]", "Ada Holder")
        .await;
    app.click("[data-testid=nav-people]").await;
    app.click("[data-testid=user-row] [data-testid=user-apps]")
        .await;
    let row = app
        .wait_text(
            "[data-testid=user-connections] [data-testid=connection-row]",
            "Ledger dashboard",
        )
        .await;
    assert!(row.contains("payables:read"), "{row}");
    app.screenshot("oauth-user-connections").await;
    app.click("[data-testid=revoke-connection]").await;
    app.click("[data-testid=confirm-revoke-connection]").await;
    app.wait_text("[data-testid=connection-outcome]", "stopped working")
        .await;
    app.find("[data-testid=connections-empty]").await;
    let refused = verify(&access).await;
    assert_eq!(
        (&refused["active"], &refused["reason"]),
        (&Value::Bool(false), &Value::from("revoked"))
    );
    app.end().await;
}
