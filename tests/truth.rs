//! The window tells the truth: each credential's status is what verification answers for its
//! token now (blocked owners and renewed credentials included), and renewal shows and lets one
//! choose both dates. Screenshots of the chips and the renew dialog, light and dark, at the
//! usual and the smallest window.

use std::path::Path;

use chrono::{Duration, Utc};
use keysmith_core::{
    clock, Description, EmailAddress, Expiry, GroupSpec, InactiveReason, KdfParams, Name,
    NewCredential, Permission, RateLimit, Renewal, Rights, Role, Secret, TokenKind, UserId,
    UserSpec, Verification,
};
use keysmith_e2e::flows::{
    row, row_action, unlock, vault_made_outside, verify_from_outside, APPLICATION,
};
use keysmith_e2e::Session;

/// A personal access token of `owner` for `payables:read`, expiring in `days`.
fn token_of(owner: UserId, name: &str, days: i64) -> NewCredential {
    let now = Utc::now();
    NewCredential {
        kind: TokenKind::PersonalAccessToken,
        owner: Some(owner),
        name: Name::new(name).unwrap(),
        description: Description::new("").unwrap(),
        expiry: Expiry::new(now + Duration::days(days), now).unwrap(),
        scopes: vec![Permission::new("payables:read").unwrap()],
        rights: Rights::Read,
        applications: vec![Name::new(APPLICATION).unwrap()],
        rate_limit: RateLimit::default(),
        restrictions: Default::default(),
        disabled: false,
    }
}

/// The tokens of a vault made outside: Cleo's `ledger-sync` (Cleo then blocked by the
/// Contractors group), the holder's `nightly-export` renewed as `nightly-export-2`, and the
/// holder's `short-lived` (three days).
struct Seeded {
    ledger_sync: String,
    nightly_export: String,
}

fn seed(path: &Path) -> Seeded {
    let mut vault = vault_made_outside(path, clock::system());
    let holder = UserId(1);
    let cleo = vault
        .create_user(&UserSpec {
            name: Name::new("Cleo Member").unwrap(),
            email: EmailAddress::try_from("cleo@example.com".to_owned()).unwrap(),
            role: Role::Member,
            api_access: true,
        })
        .unwrap();
    let group = |name: &str, grants: bool, blocks: bool| GroupSpec {
        name: Name::new(name).unwrap(),
        permissions: if grants {
            vec![Permission::new("payables:read").unwrap()]
        } else {
            vec![]
        },
        blocks: vec![],
        blocks_api_access: blocks,
        members: vec![cleo.id],
    };
    vault.create_group(&group("Payables", true, false)).unwrap();
    let ledger_sync = vault.issue(&token_of(cleo.id, "ledger-sync", 45)).unwrap();
    vault
        .create_group(&group("Contractors", false, true))
        .unwrap();
    let nightly = vault
        .issue(&token_of(holder, "nightly-export", 45))
        .unwrap();
    vault
        .renew(
            nightly.credential.id,
            &Renewal {
                old_ends_at: Utc::now() + Duration::days(10),
                new_expiry: None,
                name: Some(Name::new("nightly-export-2").unwrap()),
                description: None,
            },
        )
        .unwrap();
    vault.issue(&token_of(holder, "short-lived", 3)).unwrap();
    Seeded {
        ledger_sync: ledger_sync.token.expose().to_owned(),
        nightly_export: nightly.token.expose().to_owned(),
    }
}

/// The status chip of `name`'s row: its words and its hover text.
async fn chip(app: &Session, name: &str) -> (String, String) {
    let css = format!("{} [data-testid=status]", row(name));
    let title = app.find(&css).await.attr("title").await.unwrap();
    (app.text(&css).await, title.unwrap_or_default())
}

#[tokio::test]
async fn each_row_says_what_verification_answers_blocked_and_superseded_included() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("truth.vault");
    let seeded = seed(&vault);
    let app = Session::start(&vault, &[]).await;
    unlock(&app).await;
    app.find(&row("ledger-sync")).await;

    // The owner's group blocks API access: verification refuses, and the row says why.
    assert_eq!(
        verify_from_outside(&vault, &seeded.ledger_sync),
        Verification::Inactive(InactiveReason::OwnerLacksApiAccess)
    );
    assert_eq!(
        chip(&app, "ledger-sync").await,
        ("blocked".into(), "blocked by Contractors".into())
    );
    // Renewed: still verifies, with its successor named; the row says superseded and when it
    // ends.
    let Verification::Active(renewed) = verify_from_outside(&vault, &seeded.nightly_export) else {
        panic!("a renewed credential verifies until its end");
    };
    assert!(renewed.superseded_by.is_some());
    // It is folded under its successor, and unfolds there, marked superseded with its end.
    assert!(!app.present(&row("nightly-export")).await);
    app.click(&format!("{} [data-testid=unfold]", row("nightly-export-2")))
        .await;
    let earlier = "[data-testid=earlier-row][data-name='nightly-export'] [data-testid=status]";
    let title = app.find(earlier).await.attr("title").await.unwrap();
    assert_eq!(app.text(earlier).await, "superseded");
    assert!(
        title.unwrap_or_default().starts_with("renewed; ends"),
        "the folded row says when it ends"
    );
    app.screenshot("t-folded-renewal").await;
    // With the "superseded" filter it is a row of its own.
    app.click("[data-testid=status-superseded]").await;
    let (words, title) = chip(&app, "nightly-export").await;
    app.click("[data-testid=status-superseded]").await;
    assert_eq!(words, "superseded");
    assert!(
        title.starts_with(&format!(
            "renewed; ends {}",
            renewed.expires_at.format("%Y-%m-%d")
        )),
        "{title}"
    );
    assert_eq!(chip(&app, "nightly-export-2").await.0, "active");
    assert_eq!(chip(&app, "short-lived").await.0, "expiring soon");

    // The panel says it too, and its switch is still "enabled": the block is not the switch.
    app.click(&format!("{} [data-testid=open-detail]", row("ledger-sync")))
        .await;
    app.wait_text("[data-testid=detail-status]", "blocked")
        .await;
    app.wait_text("[data-testid=detail-status-note]", "blocked by Contractors")
        .await;
    let switch = app.find("[data-testid=detail-enabled-switch]").await;
    assert!(switch.is_selected().await.unwrap());
    app.screenshot("t-status-blocked").await;

    // The status filter follows it: "blocked" lists the one blocked credential.
    app.click("[data-testid=status-blocked]").await;
    app.wait_text("[data-testid=count]", "1 of").await;
    app.click("[data-testid=status-blocked]").await;
    app.click("[data-testid=status-superseded]").await;
    app.wait_text("[data-testid=count]", "1 of").await;
    app.find(&row("nightly-export")).await;
    app.click("[data-testid=status-superseded]").await;

    // A search stays when one leaves the section and comes back; Down goes on into the list.
    app.type_into("[data-testid=search]", "ledger").await;
    app.wait_text("[data-testid=count]", "1 of").await;
    // Dark, at the smallest window.
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=theme-dark]").await;
    app.click("[data-testid=nav-credentials]").await;
    app.wait_text("[data-testid=count]", "1 of").await;
    let kept = app
        .find("[data-testid=search]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("ledger"));
    app.find("[data-testid=search]")
        .await
        .send_keys("\u{e015}") // Down
        .await
        .unwrap();
    assert_eq!(app.focused_testid().await, "credential-grid");
    app.click("[data-testid=clear-filters]").await;
    app.client.set_window_size(760, 520).await.unwrap();
    app.find(&row("nightly-export-2")).await;
    app.screenshot("t-status-chips-dark-smallest").await;
    app.end().await;
}

#[tokio::test]
async fn renewal_shows_both_dates_and_takes_the_new_expiry_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("renew.vault");
    seed(&vault);
    let app = Session::start(&vault, &[]).await;
    unlock(&app).await;
    app.find(&row("short-lived")).await;
    row_action(&app, "short-lived", "renew").await;
    let today = Utc::now().date_naive();
    // Unless chosen, the new token gets the old lifetime from today; the old end is beside it.
    let same = (today + Duration::days(3)).to_string();
    app.wait_text("[data-testid=renew-new-expires]", &same)
        .await;
    app.wait_text("[data-testid=renew-old-ends]", "UTC").await;
    app.click("[data-testid=new-expires-90]").await;
    let chosen = (today + Duration::days(90)).to_string();
    app.wait_text("[data-testid=renew-new-expires]", &chosen)
        .await;
    app.screenshot("t-renew-dialog").await;
    // A date past the year is refused beside its field, before anything is sent.
    app.click("[data-testid=new-expires-date]").await;
    app.type_into(
        "[data-testid=new-expires-on]",
        &(today + Duration::days(400)).format("%Y%m%d").to_string(),
    )
    .await;
    app.wait_text("[data-testid=new-expires-problem]", "latest allowed")
        .await;
    app.click("[data-testid=new-expires-90]").await;
    app.click("[data-testid=confirm-renew]").await;
    let token = app
        .text("[data-testid=revealed-token]")
        .await
        .trim()
        .to_owned();
    // Escape asks whether to close uncopied; copying then answers it: one message, not both.
    app.find("[data-testid=copy-token]")
        .await
        .send_keys("\u{e00c}")
        .await
        .unwrap();
    app.find("[data-testid=confirm-close]").await;
    app.click("[data-testid=copy-token]").await;
    app.wait_text("[data-testid=copied]", "Copied the token")
        .await;
    app.wait_gone("[data-testid=confirm-close]").await;
    app.click("[data-testid=done]").await;
    app.wait_gone("[data-testid=reveal]").await;
    let Verification::Active(renewed) = verify_from_outside(&vault, &token) else {
        panic!("the new token verifies");
    };
    assert_eq!(renewed.expires_at.date_naive().to_string(), chosen);
    app.end().await;
}

const ADMIN_PASSPHRASE: &str = "bob's own long passphrase";

#[tokio::test]
async fn an_admin_sees_the_holders_actions_disabled_with_the_reason_and_the_core_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("roles.vault");
    seed(&vault);
    {
        let mut holder = keysmith_core::Vault::unlock(
            &vault,
            &Secret::from(keysmith_e2e::flows::PASSPHRASE),
            clock::system(),
        )
        .unwrap();
        let bob = holder
            .create_user(&UserSpec {
                name: Name::new("Bob Admin").unwrap(),
                email: EmailAddress::try_from("bob@example.com".to_owned()).unwrap(),
                role: Role::Admin,
                api_access: true,
            })
            .unwrap();
        holder
            .add_operator(bob.id, &Secret::from(ADMIN_PASSPHRASE), KdfParams::MINIMUM)
            .unwrap();
    }
    let app = Session::start(&vault, &[]).await;
    app.type_into("#passphrase", ADMIN_PASSPHRASE).await;
    app.click("[data-testid=unlock-vault] button[type=submit]")
        .await;
    app.wait_text("[data-testid=operator]", "Bob Admin").await;
    let reason = "Only the account holder manages the account holder's credentials";

    // The row menu offers the holder's token's actions disabled, the reason beside them; a
    // pick does nothing.
    app.click(&format!("{} [data-testid=row-menu]", row("short-lived")))
        .await;
    let revoke = app.find("[data-testid=menu-revoke]").await;
    assert_eq!(
        revoke.attr("aria-disabled").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(revoke.attr("title").await.unwrap().as_deref(), Some(reason));
    app.wait_text("[data-testid=menu-refusal]", reason).await;
    app.screenshot("t-admin-disabled-actions").await;
    revoke.click().await.unwrap();
    assert!(!app.present("[data-testid=revoke]").await);
    // The menu stays open, as a menu does over a disabled item; Escape closes it.
    revoke.send_keys("\u{e00c}").await.unwrap();
    app.wait_gone("[data-testid=menu-revoke]").await;
    // A member's credential is the admin's to manage: its actions are enabled.
    app.click(&format!("{} [data-testid=row-menu]", row("ledger-sync")))
        .await;
    let cleos = app.find("[data-testid=menu-revoke]").await;
    assert_eq!(cleos.attr("aria-disabled").await.unwrap(), None);
    cleos.send_keys("\u{e00c}").await.unwrap(); // Escape closes the menu.
    app.wait_gone("[data-testid=menu-revoke]").await;

    // The panel: buttons and switch disabled, the reason said once.
    app.click(&format!("{} [data-testid=open-detail]", row("short-lived")))
        .await;
    app.wait_text("[data-testid=detail-refusal]", reason).await;
    for button in [
        "detail-revoke",
        "detail-renew",
        "detail-edit",
        "detail-enabled-switch",
    ] {
        let found = app.find(&format!("[data-testid={button}]")).await;
        assert!(!found.is_enabled().await.unwrap(), "{button}");
    }
    // The core is the authority: the window's command refuses, whatever the page does.
    let id = app
        .find(&row("short-lived"))
        .await
        .attr("data-id")
        .await
        .unwrap()
        .expect("rows carry their id");
    let refused = app
        .script_async(&format!(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('revoke_credential', {{ id: {id}, confirmName: 'short-lived' }})
               .then(() => done('ok'), (error) => done(error?.code ?? String(error)));"
        ))
        .await;
    assert_eq!(refused, serde_json::json!("forbidden"));
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=theme-dark]").await;
    app.click("[data-testid=nav-credentials]").await;
    app.click(&format!("{} [data-testid=open-detail]", row("short-lived")))
        .await;
    app.wait_text("[data-testid=detail-refusal]", reason).await;
    app.screenshot("t-admin-disabled-actions-dark").await;
    app.end().await;
}

/// Clicks `css` holding Ctrl or Shift, as the row's own click handler takes it.
async fn click_with(app: &Session, css: &str, key: &str) {
    let element = serde_json::to_value(app.find(css).await).unwrap();
    app.client
        .execute(
            &format!(
                "arguments[0].dispatchEvent(new MouseEvent('click', {{ bubbles: true, {key}: true }}));"
            ),
            vec![element],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_health_view_finds_what_deserves_a_look_and_revokes_several_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("health.vault");
    seed(&vault);
    let app = Session::start(&vault, &[]).await;
    unlock(&app).await;
    app.find(&row("ledger-sync")).await;
    app.click("[data-testid=nav-health]").await;
    let count = |check: &str| format!("[data-testid=health-{check}] [data-testid=health-count]");
    app.wait_text(&count("owner_without_access"), "1").await;
    app.wait_text(&count("expiring"), "1").await;
    app.wait_text(&count("never_used"), "4").await;
    app.wait_text(&count("leaked"), "0").await;

    // Never used: mark two (Ctrl+click), revoke them in one confirmation naming both.
    app.click("[data-testid=health-never_used]").await;
    app.wait_text("[data-testid=count]", "4 of 4").await;
    click_with(&app, &row("short-lived"), "ctrlKey").await;
    click_with(&app, &row("nightly-export-2"), "ctrlKey").await;
    app.wait_text("[data-testid=bulk-count]", "2 marked").await;
    app.screenshot("t-health-marked").await;
    app.click("[data-testid=bulk-revoke]").await;
    let names = app.text("[data-testid=bulk-names]").await;
    assert!(
        names.contains("short-lived") && names.contains("nightly-export-2"),
        "{names}"
    );
    app.screenshot("t-health-bulk-revoke").await;
    app.click("[data-testid=confirm-bulk]").await;
    app.wait_text("[data-testid=bulk-done]", "Revoked 2 credentials")
        .await;
    app.wait_text(&count("never_used"), "2").await;
    {
        let outside = keysmith_core::Vault::unlock(
            &vault,
            &Secret::from(keysmith_e2e::flows::PASSPHRASE),
            clock::system(),
        )
        .unwrap();
        let revoked: Vec<String> = outside
            .list_credentials()
            .unwrap()
            .into_iter()
            .filter(|c| c.revoked_at.is_some())
            .map(|c| c.name)
            .collect();
        assert_eq!(revoked.len(), 2, "{revoked:?}");
        for name in ["short-lived", "nightly-export-2"] {
            assert!(revoked.iter().any(|r| r == name), "{revoked:?}");
        }
        let rows = outside
            .audit_page(&keysmith_core::audit::AuditQuery {
                action: Some("credential.revoked".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(rows.total, 2, "one audit row each");
    }

    // Dark, at the smallest window.
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=theme-dark]").await;
    app.click("[data-testid=nav-health]").await;
    app.client.set_window_size(760, 520).await.unwrap();
    app.click("[data-testid=health-owner_without_access]").await;
    app.find(&row("ledger-sync")).await;
    app.screenshot("t-health-dark-smallest").await;

    // The inventory marks a range with Shift+click, and Space marks the row under the cursor.
    app.client.set_window_size(1100, 720).await.unwrap();
    app.click("[data-testid=nav-credentials]").await;
    app.click(&format!("{} [data-testid=open-detail]", row("ledger-sync")))
        .await;
    let top = app.find("[data-testid=credential-row]").await;
    let first = top.attr("data-name").await.unwrap().unwrap();
    click_with(&app, &row(&first), "shiftKey").await;
    let marked = app
        .client
        .execute(
            "return document.querySelectorAll('[data-testid=credential-row][data-marked=true]').length",
            vec![],
        )
        .await
        .unwrap();
    assert!(marked.as_u64().unwrap() >= 2, "a range: {marked}");
    app.wait_text("[data-testid=bulk-count]", "marked").await;
    app.click("[data-testid=bulk-clear]").await;
    app.wait_gone("[data-testid=bulk-bar]").await;
    app.end().await;
}
