//! The Webhooks section in the real window, against a real receiver on 127.0.0.1: add a
//! webhook with a hidden header, see its signing secret once, find the value masked when the
//! form opens again, send a test and see it delivered in the log (its signature checked with
//! the Standard Webhooks reference library) — then the app and `keysmith serve` on one vault
//! at once, every message delivered once.

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

    // A receiver that is gone: delivery (the app's, serve has stopped) disables its webhook
    // and the window says so above every section.
    let gone = Receiver::start(always(StatusCode::GONE)).await.unwrap();
    let mut outside = Vault::unlock(&vault, &Secret::from(PASSPHRASE), clock::system()).unwrap();
    let id = outside
        .add_webhook(&WebhookSpec {
            url: gone.url(),
            description: String::new(),
            all_events: true,
            events: vec![],
            basic_auth: None,
            headers: vec![],
        })
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
