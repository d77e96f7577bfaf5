//! The Webhooks section in the real window, against a real receiver on 127.0.0.1: add a
//! webhook with a hidden header, see its signing secret once, find the value masked when the
//! form opens again, send a test and see it delivered in the log (its signature checked with
//! the Standard Webhooks reference library) — then the app and `keysmith serve` on one vault
//! at once, every message delivered once; and a renewal's callback redeemed on the app's
//! local API, the old token's grace shown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use keysmith_core::{clock, Secret, Vault, WebhookSpec};
use keysmith_delivery::receiver::{always, Receiver, StatusCode};
use keysmith_e2e::flows::{create_vault, issue_token, PASSPHRASE};
use keysmith_e2e::{cli_binary, eventually, Session, UI_TIMEOUT};

const HIDDEN: &str = "hidden-value-from-the-window";

#[tokio::test]
async fn a_webhook_added_in_the_window_is_tested_and_shares_the_vault_with_serve() {
    let receiver = Receiver::start(Arc::new(|_| {
        (StatusCode::NO_CONTENT, Duration::from_millis(40))
    }))
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("webhooks.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;

    app.click("[data-testid=nav-webhooks]").await;
    app.find("[data-testid=webhooks-empty]").await;
    app.screenshot("webhooks-empty").await;

    // Add: a URL that is refused first, then the receiver's, with a visible and a hidden header.
    app.click("[data-testid=add-webhook]").await;
    app.type_into("[data-testid=webhook-url]", "http://hooks.example.com/in")
        .await;
    app.click("[data-testid=add-header]").await;
    app.click("[data-testid=add-header]").await;
    let names = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=header-name]"))
        .await
        .unwrap();
    let values = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=header-value]"))
        .await
        .unwrap();
    names[0].send_keys("X-Tenant").await.unwrap();
    values[0].send_keys("acme").await.unwrap();
    names[1].send_keys("X-Api-Key").await.unwrap();
    values[1].send_keys(HIDDEN).await.unwrap();
    let hidden = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=header-hidden]"))
        .await
        .unwrap();
    hidden[1].click().await.unwrap();
    app.click("[data-testid=save-webhook]").await;
    let problem = app.text("[data-testid=webhook-url-problem]").await;
    assert!(problem.contains("https"), "{problem}");
    app.screenshot("webhooks-form-problem").await;
    app.replace_text("[data-testid=webhook-url]", &receiver.url())
        .await;
    app.click("[data-testid=save-webhook]").await;

    // The signing secret, once.
    let secret = app
        .text("[data-testid=revealed-token]")
        .await
        .trim()
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    app.screenshot("webhooks-secret").await;
    app.click("[data-testid=copy-token]").await;
    app.click("[data-testid=done]").await;
    app.wait_gone("[data-testid=reveal]").await;
    let detail = app.text("[data-testid=webhook-detail]").await;
    assert!(detail.contains("X-Api-Key: •••• (hidden)"), "{detail}");
    assert!(!detail.contains(HIDDEN) && !detail.contains(&secret));

    // Editing shows the hidden value masked, never the value.
    app.click("[data-testid=edit-webhook]").await;
    app.find("[data-testid=header-value-kept]").await;
    let form = app.text("[data-testid=webhook-form]").await;
    assert!(!form.contains(HIDDEN), "{form}");
    let page = app.client.source().await.unwrap();
    assert!(!page.contains(HIDDEN), "the hidden value is in the page");
    app.screenshot("webhooks-edit-masked").await;
    app.click("[data-testid=save-webhook]").await; // saved with the value kept
    app.find("[data-testid=webhook-detail]").await;

    // Send a test; the log shows it delivered.
    app.click("[data-testid=send-test]").await;
    app.find("[data-testid=delivery-row][data-state=delivered]")
        .await;
    // The detail says how the test went without opening the log.
    app.wait_text("[data-testid=test-queued]", "Test delivered: HTTP 2")
        .await;
    app.screenshot("webhooks-delivered").await;
    let tests: Vec<_> = receiver
        .received()
        .into_iter()
        .filter(|request| request.event() == "webhook.test")
        .collect();
    assert_eq!(tests.len(), 1);
    standardwebhooks::Webhook::new(&secret)
        .unwrap()
        .verify(&tests[0].body, &tests[0].headers)
        .expect("the reference library accepts the signature");
    assert_eq!(
        tests[0].header("x-api-key"),
        HIDDEN,
        "the kept value is sent"
    );
    assert_eq!(tests[0].header("x-tenant"), "acme");

    // `keysmith serve` on the same vault beside the app: each message arrives once.
    let mut serve = Command::new(cli_binary())
        .args(["--vault"])
        .arg(&vault)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on"), "{line}");
    app.click("[data-testid=nav-credentials]").await;
    for name in ["one", "two", "three"] {
        issue_token(&app, name).await;
    }
    let created = |receiver: &Receiver| {
        receiver
            .received()
            .into_iter()
            .filter(|request| request.event() == "credential.created")
            .count()
    };
    eventually(UI_TIMEOUT, async || match created(&receiver) {
        3 => Ok(()),
        n => Err(format!("{n} of 3 created events")),
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(serve.wait().unwrap().success());
    assert_eq!(created(&receiver), 3, "each message once");
    assert!(receiver.overlaps().is_empty(), "never two at once");

    // A receiver that fails: its dot in the list turns red and says since when.
    let failing = Receiver::start(always(StatusCode::INTERNAL_SERVER_ERROR))
        .await
        .unwrap();
    let mut outside = Vault::unlock(&vault, &Secret::from(PASSPHRASE), clock::system()).unwrap();
    let failing_id = outside
        .add_webhook(&every_event_to(failing.url()))
        .unwrap()
        .webhook
        .id;
    outside.send_webhook_test(failing_id).unwrap();
    drop(outside);
    app.click("[data-testid=nav-webhooks]").await;
    let dot = app.find("[data-testid=webhook-row] .dot.warn").await;
    let said = dot.attr("title").await.unwrap().unwrap_or_default();
    assert!(said.starts_with("Deliveries failing since"), "{said}");
    app.screenshot("webhooks-failing-dot").await;
    let mut outside = Vault::unlock(&vault, &Secret::from(PASSPHRASE), clock::system()).unwrap();
    outside.delete_webhook(failing_id).unwrap();
    drop(outside);

    // A receiver that is gone: delivery (the app's, serve has stopped) disables its webhook
    // and the window says so above every section.
    let gone = Receiver::start(always(StatusCode::GONE)).await.unwrap();
    let mut outside = Vault::unlock(&vault, &Secret::from(PASSPHRASE), clock::system()).unwrap();
    let id = outside
        .add_webhook(&every_event_to(gone.url()))
        .unwrap()
        .webhook
        .id;
    outside.send_webhook_test(id).unwrap();
    let banner = app
        .wait_text("[data-testid=webhook-banner]", "410 Gone")
        .await;
    assert!(banner.contains(&gone.url()), "{banner}");
    app.screenshot("webhooks-banner").await;

    // The section at the smallest window size, in dark.
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=theme-dark]").await;
    app.client.set_window_size(760, 520).await.unwrap();
    app.click("[data-testid=webhook-banner] button").await;
    app.find("[data-testid=webhook-detail]").await;
    app.screenshot("webhooks-smallest-dark").await;
    app.end().await;
}

/// Auto-renewal with a callback, in the window: "Renew now", the claim shown as sent in
/// Renewals, the receiver's claim key redeemed on the app's local API, and the old row's
/// expiry moved to the end of its 24-hour grace.
#[tokio::test]
async fn a_renewal_callback_is_redeemed_and_the_old_token_gets_its_grace() {
    let receiver = Receiver::start(always(StatusCode::NO_CONTENT))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("callback.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    let port = keysmith_e2e::flows::enable_local_api(&app).await;
    // The receiver is on this computer: a private address, which the account holder allows.
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=private-callbacks-allowed]").await;
    app.find("[data-testid=private-callbacks-saved]").await;
    app.screenshot("settings-private-callbacks").await;
    // The fieldset at the smallest window, dark, then light again at the usual size.
    app.click("[data-testid=theme-dark]").await;
    app.client.set_window_size(760, 520).await.unwrap();
    let fieldset = app.find("[data-testid=private-callbacks]").await;
    app.client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&fieldset).unwrap()],
        )
        .await
        .unwrap();
    app.screenshot("settings-private-callbacks-smallest-dark")
        .await;
    app.click("[data-testid=theme-light]").await;
    app.client.set_window_size(1100, 720).await.unwrap();
    app.click("[data-testid=nav-credentials]").await;

    let old = issue_token(&app, "nightly").await;
    keysmith_e2e::flows::row_action(&app, "nightly", "edit").await;
    app.click("[data-testid=auto-renew]").await;
    app.replace_text("#renew-recipient", "ops@example.com")
        .await;
    app.type_into("#renew-callback", &receiver.url()).await;
    app.click("[data-testid=save-description]").await;
    app.wait_gone("[data-testid=edit]").await;
    app.click(&format!(
        "{} [data-testid=open-detail]",
        keysmith_e2e::flows::row("nightly")
    ))
    .await;
    app.click("[data-testid=detail-renew-now]").await;
    app.click("[data-testid=nav-renewals]").await;
    app.wait_text("[data-testid=handover-row]", "claim key sent")
        .await;
    app.screenshot("renewals-claim-sent").await;

    eventually(UI_TIMEOUT, async || match receiver.received().len() {
        1 => Ok(()),
        n => Err(format!("{n} callbacks")),
    })
    .await;
    let claim = receiver.received().remove(0);
    assert_eq!(claim.event(), "credential.renewal_claim");
    let body: serde_json::Value = serde_json::from_slice(&claim.body).unwrap();
    let key = body["data"]["claim_key"].as_str().unwrap().to_owned();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let redeemed: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/v1/renewals/redeem"))
        .json(&serde_json::json!({ "claim_key": key }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new = redeemed["token"].as_str().unwrap().to_owned();
    assert!(matches!(
        keysmith_e2e::flows::verify_from_outside(&vault, &new),
        keysmith_core::Verification::Active(_)
    ));

    // The hand-over is done: Renewals empties (it reads again within 10 s) and the old row
    // now ends tomorrow, 24 hours on.
    app.click("[data-testid=nav-credentials]").await;
    app.click("[data-testid=nav-renewals]").await;
    app.find("[data-testid=renewals-empty]").await;
    app.click("[data-testid=nav-credentials]").await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::hours(24))
        .date_naive()
        .to_string();
    match keysmith_e2e::flows::verify_from_outside(&vault, &old) {
        keysmith_core::Verification::Active(v) => {
            assert_eq!(v.expires_at.date_naive().to_string(), tomorrow);
        }
        other => panic!("the old token ended at once: {other:?}"),
    }
    app.screenshot("renewals-grace").await;
    app.end().await;
}

/// A webhook of every event to `url`, nothing else set.
fn every_event_to(url: String) -> WebhookSpec {
    WebhookSpec {
        url,
        description: String::new(),
        all_events: true,
        events: vec![],
        basic_auth: None,
        headers: vec![],
    }
}
