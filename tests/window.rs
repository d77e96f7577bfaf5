//! The first slice in the real window: create a vault, issue a token (box ticked), read it once,
//! copy it and watch the X clipboard hold it and then lose it, lock, unlock (wrong passphrase
//! first), check the token verifies against the vault file, revoke it, check it no longer
//! does. Also: the window answering while keys are derived, a vault found locked, auto-lock,
//! filters. A screenshot of every screen lands in the run's artifacts.

use std::path::Path;
use std::time::Duration;

use fantoccini::Locator;
use keysmith_core::{
    clock, EmailAddress, InactiveReason, KdfParams, Name, Role, Secret, UserSpec, Vault,
    Verification,
};
use keysmith_e2e::flows::{
    close_detail, create_vault, fill_holder, issue_token, listed_names, pick_scope_and_application,
    row, row_action, row_text, take_revealed_token, unlock, verify_from_outside, APPLICATION,
    PASSPHRASE,
};
use keysmith_e2e::{clipboard_text, eventually, Session, UI_TIMEOUT};

const CLEAR_SECONDS: &str = "3";

fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

async fn wait_for_clipboard(want: impl Fn(Option<&str>) -> bool, what: &str) {
    eventually(UI_TIMEOUT, async || {
        match want(clipboard_text().await.as_deref()) {
            true => Ok(()),
            false => Err(format!("the clipboard never {what}")),
        }
    })
    .await
}

#[tokio::test]
async fn issue_reveal_copy_lock_unlock_verify_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("e2e.vault");
    let app = Session::start(&vault, &[]).await;

    // First start: create the vault. Create with nothing filled in: each field says what it
    // lacks beside it, and the screen says a lost passphrase loses the vault.
    app.find("[data-testid=create-vault]").await;
    app.click("[data-testid=create-vault] button[type=submit]")
        .await;
    app.wait_text("[data-testid=problem-holder-name]", "required")
        .await;
    app.wait_text("[data-testid=problem-holder-email]", "e-mail")
        .await;
    app.wait_text("[data-testid=problem-passphrase]", "at least 12")
        .await;
    assert!(!app.present("[data-testid=problem-confirmation]").await);
    app.wait_text("[data-testid=lost-passphrase]", "the vault is lost")
        .await;
    assert_eq!(app.focused_id().await, "holder-name");
    app.screenshot("01a-create-vault-problems").await;
    fill_holder(&app).await;
    app.wait_gone("[data-testid=problem-holder-email]").await;
    app.type_into("#new-passphrase", "short").await;
    assert!(app
        .text("[data-testid=strength]")
        .await
        .contains("Too short"));
    // WebKitWebDriver types at the caret's position, so start over rather than append.
    app.find("#new-passphrase").await.clear().await.unwrap();
    app.type_into("#new-passphrase", PASSPHRASE).await;
    app.type_into("#confirm-passphrase", PASSPHRASE).await;
    // The passphrase can be shown while typed, and hidden again.
    app.click("[data-testid=show-passphrase]").await;
    let shown = app
        .find("#new-passphrase")
        .await
        .attr("type")
        .await
        .unwrap();
    assert_eq!(shown.as_deref(), Some("text"));
    app.click("[data-testid=show-passphrase]").await;
    app.screenshot("01-create-vault").await;
    app.click("[data-testid=create-vault] button[type=submit]")
        .await;

    // Empty inventory invites a new token.
    app.find("[data-testid=empty-state]").await;
    assert!(Vault::exists(&vault));
    app.screenshot("02-empty-inventory").await;

    // Shorten the clipboard clear delay for the test, through the settings dialog.
    app.click("[data-testid=nav-settings]").await;
    let seconds = app.find("#clear-seconds").await;
    seconds.clear().await.unwrap();
    seconds.send_keys(CLEAR_SECONDS).await.unwrap();
    app.screenshot("03-settings").await;
    app.click("[data-testid=save-settings]").await;
    app.settings_saved().await;

    // New token (its problems beside each field: the_new_credential_form_says_…).
    app.click("[data-testid=new-token-button]").await;
    app.type_into("#token-name", "nightly export").await;
    app.type_into("#token-description", "CI job that exports invoices")
        .await;
    app.click("[data-testid=preset-90]").await;
    pick_scope_and_application(&app).await;
    app.click("[data-testid=acknowledge]").await;
    app.screenshot("04-new-token-form").await;
    app.click("[data-testid=create-token]").await;

    // Reveal once.
    let token = app
        .text("[data-testid=revealed-token]")
        .await
        .trim()
        .to_owned();
    assert!(token.starts_with("ks_pat_"), "revealed {token:?}");
    assert!(keysmith_core::token::parse(&token).is_some());
    app.screenshot("05-reveal").await;

    // Copy: on the X clipboard at once, gone after the delay.
    app.click("[data-testid=copy-token]").await;
    wait_for_clipboard(|c| c == Some(token.as_str()), "received the token").await;
    wait_for_clipboard(|c| c != Some(token.as_str()), "was cleared").await;

    // Copied, nothing is lost by closing: Escape closes at once, and the token leaves the UI.
    app.wait_text("[data-testid=copied]", "Copied the token")
        .await;
    app.screenshot("06-reveal-copied").await;
    app.find("[data-testid=copy-token]")
        .await
        .send_keys("\u{e00c}")
        .await
        .unwrap();
    app.wait_gone("[data-testid=reveal]").await;
    let source = app.client.source().await.unwrap();
    assert!(!source.contains(&token), "the token is still in the page");
    assert!(
        !files_contain(dir.path(), token.as_bytes()),
        "the token is on disk"
    );

    // The inventory row.
    let row_text = row_text(&app, "nightly export").await;
    assert!(row_text.contains("active"), "{row_text}");
    assert!(row_text.contains("Personal"), "{row_text}");
    assert!(row_text.contains("today"), "{row_text}");
    // The 90-day preset is 90 calendar days away, not "89".
    assert!(row_text.contains("(90 days)"), "{row_text}");
    app.screenshot("07-inventory").await;

    // Lock, then a wrong passphrase, then the right one. The unlock screen names the vault,
    // shows the passphrase on request, and warns while Caps Lock is on.
    app.click("[data-testid=lock-button]").await;
    app.find("[data-testid=unlock-vault]").await;
    assert_eq!(app.text("[data-testid=unlock-path]").await, "e2e.vault");
    let vault_bytes = std::fs::read(&vault).unwrap();
    app.type_into("#passphrase", "not the passphrase").await;
    let field_type = async || {
        let field = app.find("#passphrase").await;
        field.attr("type").await.unwrap().unwrap_or_default()
    };
    assert_eq!(field_type().await, "password");
    app.click("[data-testid=toggle-passphrase]").await;
    assert_eq!(field_type().await, "text");
    app.click("[data-testid=toggle-passphrase]").await;
    assert_eq!(field_type().await, "password");
    assert!(!app.present("[data-testid=caps-lock]").await);
    // WebDriver has no Caps Lock key: the key event a keyboard with it on sends.
    app.client
        .execute(
            "document.querySelector('#passphrase').dispatchEvent(new KeyboardEvent('keydown', \
             { key: 'A', modifierCapsLock: true, bubbles: true }))",
            vec![],
        )
        .await
        .unwrap();
    app.wait_text("[data-testid=caps-lock]", "Caps Lock is on")
        .await;
    app.screenshot("07b-unlock-caps-lock").await;
    app.click("[data-testid=unlock-vault] button[type=submit]")
        .await;
    app.wait_text("[data-testid=unlock-error]", "Wrong passphrase")
        .await;
    assert_eq!(
        std::fs::read(&vault).unwrap(),
        vault_bytes,
        "a wrong passphrase changed the file"
    );
    app.screenshot("08-wrong-passphrase").await;
    app.find("#passphrase").await.clear().await.unwrap();
    unlock(&app).await;
    app.find("[data-testid=credential-row]").await;

    // The token the window showed verifies against the vault file.
    assert!(matches!(
        verify_from_outside(&vault, &token),
        Verification::Active(ref v) if v.credential.name == "nightly export"
    ));

    // Revoke from the row menu; the button waits for the exact name.
    app.click("[data-testid=row-menu]").await;
    app.click("[data-testid=menu-revoke]").await;
    let confirm = app.find("[data-testid=confirm-by-name]").await;
    app.type_into("#confirm-name", "nightly").await;
    assert!(
        !confirm.is_enabled().await.unwrap(),
        "enabled with a partial name"
    );
    app.find("#confirm-name").await.clear().await.unwrap();
    app.type_into("#confirm-name", "nightly export").await;
    assert!(confirm.is_enabled().await.unwrap());
    app.screenshot("09-revoke-confirm").await;
    confirm.click().await.unwrap();
    app.wait_gone("[data-testid=revoke]").await;
    app.wait_text(
        "[data-testid=credential-row] [data-testid=status]",
        "revoked",
    )
    .await;
    // A revoked row can only be deleted.
    app.click("[data-testid=row-menu]").await;
    assert!(app.present("[data-testid=menu-delete]").await);
    for action in ["edit", "renew", "revoke"] {
        let item = format!("[data-testid=menu-{action}]");
        assert!(!app.present(&item).await, "a revoked row offers {action}");
    }
    assert!(!app.present("[data-testid=enabled-switch]").await);
    // Its expiry no longer counts down.
    assert!(!app.present("[data-testid=days-left]").await);
    app.click("[data-testid=row-menu]").await;
    app.screenshot("10-revoked").await;

    assert_eq!(
        verify_from_outside(&vault, &token),
        Verification::Inactive(InactiveReason::Revoked)
    );
    assert!(!app.log().contains(&token), "the token is in the app's log");
    app.end().await;
}

#[tokio::test]
async fn remember_on_this_device_opens_the_vault_without_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("remembered.vault");

    let app = Session::start(&vault, &[]).await;
    fill_holder(&app).await;
    app.type_into("#new-passphrase", PASSPHRASE).await;
    app.type_into("#confirm-passphrase", PASSPHRASE).await;
    app.click("[data-testid=remember]").await;
    app.click("[data-testid=create-vault] button[type=submit]")
        .await;
    app.find("[data-testid=empty-state]").await;
    assert!(
        !app.present("[data-testid=notice]").await,
        "the keychain was not available: {}",
        app.text("[data-testid=notice]").await
    );
    app.end().await;

    // Next start: straight to the inventory.
    let app = Session::start(&vault, &[]).await;
    app.find("[data-testid=empty-state]").await;
    assert!(!app.present("[data-testid=unlock-vault]").await);
    app.screenshot("11-remembered-start").await;
    app.end().await;
}

#[tokio::test]
async fn disable_enable_edit_renew_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("lifecycle.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;

    // A half-filled new-credential form is not thrown away by a stray Escape: it asks.
    let escape = "\u{e00c}";
    app.click("[data-testid=new-token-button]").await;
    app.type_into("#token-name", "half").await;
    app.find("#token-name")
        .await
        .send_keys(escape)
        .await
        .unwrap();
    app.find("[data-testid=confirm-discard]").await;
    app.screenshot("11b-confirm-discard").await;
    app.click("[data-testid=keep-editing]").await;
    app.wait_gone("[data-testid=confirm-discard]").await;
    let kept = app.find("#token-name").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("half"));
    app.find("#token-name")
        .await
        .send_keys(escape)
        .await
        .unwrap();
    app.click("[data-testid=discard-new]").await;
    app.wait_gone("[data-testid=new-token]").await;
    // An untouched one closes at once.
    app.click("[data-testid=new-token-button]").await;
    app.find("#token-name")
        .await
        .send_keys(escape)
        .await
        .unwrap();
    app.wait_gone("[data-testid=new-token]").await;

    let old = issue_token(&app, "reports").await;
    let status = format!("{} [data-testid=status]", row("reports"));
    let switch = format!("{} [data-testid=enabled-switch]", row("reports"));

    // The slider disables (after a confirmation; Cancel changes nothing) and enables;
    // verification follows it.
    app.click(&switch).await;
    app.click("[data-testid=confirm-disable-no]").await;
    app.wait_gone("[data-testid=confirm-disable]").await;
    assert_eq!(app.text(&status).await, "active");
    let ticked = app.find(&switch).await.prop("checked").await.unwrap();
    assert_eq!(ticked.as_deref(), Some("true"));
    app.click(&switch).await;
    app.screenshot("15a-confirm-disable").await;
    app.click("[data-testid=confirm-disable-yes]").await;
    app.wait_text(&status, "disabled").await;
    app.screenshot("15-disabled").await;
    assert_eq!(
        verify_from_outside(&vault, &old),
        Verification::Inactive(InactiveReason::Disabled)
    );
    app.click(&switch).await;
    app.wait_text(&status, "active").await;
    assert!(matches!(
        verify_from_outside(&vault, &old),
        Verification::Active(_)
    ));

    // Edit: only the description.
    row_action(&app, "reports", "edit").await;
    let description = app.find("#edit-description").await;
    description.clear().await.unwrap();
    description.send_keys("weekly KPI export").await.unwrap();
    // Auto-renewal: a bad address is refused with the core's message, then fixed. The form
    // says where renewed tokens go.
    app.click("[data-testid=auto-renew]").await;
    app.wait_text(
        "[data-testid=auto-renewal-pending]",
        "mails the address below",
    )
    .await;
    // The recipient is marked required and starts as the owner's address.
    let recipient = app.find("#renew-recipient").await;
    assert_eq!(
        recipient.prop("value").await.unwrap().as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(
        recipient.attr("required").await.unwrap().as_deref(),
        Some("true")
    );
    // A bad address is said beside the field, and Save waits for a good one.
    app.replace_text("#renew-recipient", "nobody").await;
    app.wait_text(
        "[data-testid=renew-recipient-problem]",
        "Enter an e-mail address",
    )
    .await;
    assert!(!app
        .find("[data-testid=save-description]")
        .await
        .is_enabled()
        .await
        .unwrap());
    app.replace_text("#renew-recipient", "ops@example.com")
        .await;
    app.screenshot("14b-edit").await;
    app.click("[data-testid=save-description]").await;
    app.wait_gone("[data-testid=edit]").await;
    app.wait_text(&row("reports"), "weekly KPI export").await;

    // Renew: the form starts from the old name and description; the old token keeps working
    // for an hour, the new one is revealed once.
    row_action(&app, "reports", "renew").await;
    // The rotation presets, and a date, which must fall before the token's own expiry.
    for preset in ["now", "1m", "15m", "6h", "24h", "expiry"] {
        app.find(&format!("[data-testid=old-ends-{preset}]")).await;
    }
    app.click("[data-testid=old-ends-date]").await;
    let too_late = (chrono::Utc::now().date_naive() + chrono::Duration::days(400)).to_string();
    app.type_into("[data-testid=old-ends-on]", &too_late).await;
    app.wait_text("[data-testid=old-ends-problem]", "current expiry")
        .await;
    app.screenshot("16a-renew-on-a-date").await;
    app.click("[data-testid=old-ends-1h]").await;
    let name = app.find("#renew-name").await;
    assert_eq!(
        name.prop("value").await.unwrap().as_deref(),
        Some("reports")
    );
    let description = app.find("#renew-description").await;
    let carried = description.prop("value").await.unwrap();
    assert_eq!(carried.as_deref(), Some("weekly KPI export"));
    name.clear().await.unwrap();
    app.type_into("#renew-name", "reports 2").await;
    app.screenshot("16-renew").await;
    app.click("[data-testid=confirm-renew]").await;
    let new = take_revealed_token(&app).await;
    assert_ne!(new, old);
    app.wait_text(&row("reports 2"), "weekly KPI export").await;
    match verify_from_outside(&vault, &new) {
        Verification::Active(v) => {
            assert!(v.credential.renewed_from.is_some());
            // An expiry is a date: 00:00 UTC.
            assert_eq!(v.expires_at.time(), chrono::NaiveTime::MIN);
        }
        other => panic!("the renewed token does not verify: {other:?}"),
    }
    match verify_from_outside(&vault, &old) {
        Verification::Active(v) => {
            let left = v.credential.expires_at - chrono::Utc::now();
            assert!(
                left <= chrono::Duration::hours(1),
                "old token ends in {left}"
            );
        }
        other => panic!("the old token stopped before its end date: {other:?}"),
    }

    // The detail view links the two and shows each one's history.
    app.click(&format!("{} [data-testid=open-detail]", row("reports 2")))
        .await;
    app.wait_text("[data-testid=history]", "Issued by Ada Holder")
        .await;
    // Its auto-renewal settings came with it.
    app.wait_text("[data-testid=detail-auto-renewal]", "tells ops@example.com")
        .await;
    app.click("[data-testid=renewed-from]").await;
    app.wait_text("[data-testid=history]", "Renewed by Ada Holder")
        .await;
    app.wait_text("[data-testid=detail-auto-renewal]", "tells ops@example.com")
        .await;
    let history = app.text("[data-testid=history]").await;
    assert!(
        history.contains("Disabled by") && history.contains("Edited by"),
        "{history}"
    );
    assert!(app.present("[data-testid=successor]").await);
    app.screenshot("17-detail").await;
    close_detail(&app).await;

    // The old one is folded under its successor; unfolded, it is deleted from its own row:
    // its token is unknown afterwards, the new one unaffected.
    assert!(!app.present(&row("reports")).await);
    app.click(&format!("{} [data-testid=unfold]", row("reports 2")))
        .await;
    let earlier = "[data-testid=earlier-row][data-name='reports']";
    app.click(&format!("{earlier} [data-testid=row-menu]"))
        .await;
    app.click("[data-testid=menu-delete]").await;
    app.type_into("#confirm-name", "reports").await;
    app.click("[data-testid=confirm-by-name]").await;
    app.wait_gone(earlier).await;
    app.screenshot("17b-after-delete").await;
    assert_eq!(
        verify_from_outside(&vault, &old),
        Verification::Inactive(InactiveReason::Unknown)
    );
    assert!(matches!(
        verify_from_outside(&vault, &new),
        Verification::Active(_)
    ));

    // Renewed again, keeping its name, the old one stopping now: the name is the
    // successor's, the old one folded under it, expired.
    row_action(&app, "reports 2", "renew").await;
    app.click("[data-testid=old-ends-now]").await;
    app.click("[data-testid=confirm-renew]").await;
    let newest = take_revealed_token(&app).await;
    wait_listed(&app, &["reports 2"]).await;
    app.click(&format!("{} [data-testid=unfold]", row("reports 2")))
        .await;
    let earlier = "[data-testid=earlier-row][data-name='reports 2']";
    app.wait_text(&format!("{earlier} [data-testid=status]"), "expired")
        .await;
    // Only the live one has an enabled switch: an expired credential has nothing to switch.
    assert!(
        app.present(&format!(
            "{} [data-testid=enabled-switch]",
            row("reports 2")
        ))
        .await
    );
    assert!(
        !app.present(&format!("{earlier} [data-testid=enabled-switch]"))
            .await
    );
    assert!(matches!(
        verify_from_outside(&vault, &newest),
        Verification::Active(_)
    ));
    assert_eq!(
        verify_from_outside(&vault, &new),
        Verification::Inactive(InactiveReason::Expired)
    );
    let log = app.log();
    assert!(
        !log.contains(&old) && !log.contains(&new) && !log.contains(&newest),
        "a token is in the app's log"
    );
    app.end().await;
}

#[tokio::test]
async fn without_a_keychain_service_a_notice_shows_and_the_passphrase_works() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("no-keychain.vault");
    let no_keychain = [(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/keysmith-no-bus",
    )];

    let app = Session::start(&vault, &no_keychain).await;
    create_vault(&app, true).await;
    let notice = app.text("[data-testid=notice]").await;
    assert!(
        notice.starts_with("The OS keychain is not available"),
        "{notice}"
    );
    assert_eq!(notice.lines().count(), 1, "not one line: {notice:?}");
    app.screenshot("12-no-keychain-after-create").await;
    app.end().await;

    let app = Session::start(&vault, &no_keychain).await;
    app.find("[data-testid=unlock-vault]").await;
    let notice = app.text("[data-testid=notice]").await;
    assert!(
        notice.starts_with("The OS keychain is not available"),
        "{notice}"
    );
    app.screenshot("13-no-keychain-unlock").await;
    unlock(&app).await;
    app.find("[data-testid=empty-state]").await;
    app.end().await;
}

#[tokio::test]
async fn an_idle_vault_locks_itself() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("idle.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    app.click("[data-testid=nav-settings]").await;
    let minutes = app.find("#auto-lock").await;
    minutes.clear().await.unwrap();
    minutes.send_keys("1").await.unwrap();
    app.click("[data-testid=save-settings]").await;
    app.settings_saved().await;

    // One idle minute (plus the watcher's 5-second tick) later, the unlock screen is back.
    eventually(Duration::from_secs(90), async || {
        match app.present("[data-testid=unlock-vault]").await {
            true => Ok(()),
            false => Err("the vault did not lock itself".to_owned()),
        }
    })
    .await;
    assert_eq!(
        app.text("[data-testid=notice]").await,
        "Locked after idle time."
    );
    assert!(app.log().contains("vault locked reason=IdleTime"));
    app.screenshot("14-auto-locked").await;
    app.end().await;
}

/// Waits until the table lists exactly `expected`, in order.
async fn wait_listed(app: &Session, expected: &[&str]) {
    eventually(UI_TIMEOUT, async || {
        let names = listed_names(app).await;
        match names == expected {
            true => Ok(()),
            false => Err(format!("the table lists {names:?}, not {expected:?}")),
        }
    })
    .await
}

#[tokio::test]
async fn filter_search_and_sort_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("inventory.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    let alpha = issue_token(&app, "alpha").await;
    issue_token(&app, "beta").await;
    row_action(&app, "beta", "revoke").await;
    app.type_into("#confirm-name", "beta").await;
    app.click("[data-testid=confirm-by-name]").await;
    app.wait_gone("[data-testid=revoke]").await;
    wait_listed(&app, &["beta", "alpha"]).await; // newest first

    // Status filter: one status, another, several at once, none matching; then clear.
    app.click("[data-testid=status-revoked]").await;
    wait_listed(&app, &["beta"]).await;
    app.wait_text("[data-testid=count]", "1 of 2 credentials")
        .await;
    app.click("[data-testid=status-revoked]").await;
    app.click("[data-testid=status-active]").await;
    wait_listed(&app, &["alpha"]).await;
    app.click("[data-testid=status-revoked]").await;
    wait_listed(&app, &["beta", "alpha"]).await;
    app.click("[data-testid=status-revoked]").await;
    app.click("[data-testid=status-active]").await;
    app.click("[data-testid=status-expired]").await;
    app.find("[data-testid=no-match]").await;
    app.click("[data-testid=clear-filters]").await;
    wait_listed(&app, &["beta", "alpha"]).await;
    app.wait_text("[data-testid=count]", "2 credentials").await;

    // Search by name, and by a pasted token.
    app.type_into("[data-testid=search]", "alp").await;
    wait_listed(&app, &["alpha"]).await;
    app.screenshot("18-search").await;
    app.find("[data-testid=search]")
        .await
        .clear()
        .await
        .unwrap();
    app.type_into("[data-testid=search]", &alpha).await;
    wait_listed(&app, &["alpha"]).await;
    app.find("[data-testid=search]")
        .await
        .clear()
        .await
        .unwrap();
    // Clearing may not fire an input event in every WebDriver; one more keystroke and back.
    app.type_into("[data-testid=search]", "a\u{e003}").await;
    wait_listed(&app, &["beta", "alpha"]).await;

    // Sort by name, then reversed.
    app.click("[data-testid=sort-name]").await;
    wait_listed(&app, &["alpha", "beta"]).await;
    app.click("[data-testid=sort-name]").await;
    wait_listed(&app, &["beta", "alpha"]).await;
    let header = app.find("[role=columnheader][aria-sort=descending]").await;
    // WebDriver reads the rendered text, which CSS upper-cases.
    let label = header.text().await.unwrap().to_lowercase();
    assert!(label.contains("name ▼"), "{label}");
    app.end().await;
}

/// Auto-renewal's "Renew now": the successor is issued at once and its token waits in
/// Renewals, handed over once (it verifies), and then is gone from the list.
#[tokio::test]
async fn renew_now_hands_the_new_token_over_once_in_renewals() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("renewals.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    issue_token(&app, "nightly").await;
    row_action(&app, "nightly", "edit").await;
    app.click("[data-testid=auto-renew]").await;
    app.replace_text("#renew-recipient", "ops@example.com")
        .await;
    app.click("[data-testid=save-description]").await;
    app.wait_gone("[data-testid=edit]").await;

    app.click(&format!("{} [data-testid=open-detail]", row("nightly")))
        .await;
    app.wait_text("[data-testid=detail-auto-renewal]", "every 7 days")
        .await;
    app.click("[data-testid=detail-renew-now]").await;
    app.find("[data-testid=renewed-now]").await;
    app.wait_text("[data-testid=renewals-badge]", "1").await;
    app.click("[data-testid=nav-renewals]").await;
    app.find("[data-testid=handover-row]").await;
    app.screenshot("22-renewals").await;
    app.click("[data-testid=hand-over]").await;
    let token = take_revealed_token(&app).await;
    match verify_from_outside(&vault, &token) {
        Verification::Active(v) => assert!(v.credential.renewed_from.is_some()),
        other => panic!("the handed-over token does not verify: {other:?}"),
    }
    app.find("[data-testid=renewals-empty]").await;
    assert!(!app.present("[data-testid=renewals-badge]").await);
    // No SMTP: the renewal's message waits in Messages, to be copied by hand; no secret in it.
    app.wait_text("[data-testid=message-row]", "not sent").await;
    app.click("[data-testid=message-subject]").await;
    let body = app.text("[data-testid=message-body]").await;
    // "Renew now" was the holder's: the message says so, not "automatically".
    assert!(body.contains("was renewed by Ada Holder"), "{body}");
    assert!(!body.contains(&token), "the token in a message");
    // One click copies it whole, to send by hand.
    app.click("[data-testid=copy-message]").await;
    eventually(UI_TIMEOUT, async || match clipboard_text().await {
        Some(text)
            if text.starts_with("To: ops@example.com\nSubject: ") && text.contains(&body) =>
        {
            Ok(())
        }
        other => Err(format!("the clipboard holds {other:?}")),
    })
    .await;
    app.screenshot("22a-renewals-empty").await;

    // Mail settings: plain text to another host is refused beside the form; STARTTLS saves,
    // and the password is not shown again.
    app.click("[data-testid=nav-settings]").await;
    app.type_into("[data-testid=smtp-host]", "mail.example.com")
        .await;
    app.find("[data-testid=smtp-security]")
        .await
        .select_by_value("none")
        .await
        .unwrap();
    app.type_into("[data-testid=smtp-from]", "keysmith@example.com")
        .await;
    app.type_into("[data-testid=smtp-user]", "keysmith").await;
    app.type_into("[data-testid=smtp-password]", "smtp-password-55")
        .await;
    app.click("[data-testid=save-smtp]").await;
    app.wait_text("[data-testid=smtp-problem]", "STARTTLS")
        .await;
    app.find("[data-testid=smtp-security]")
        .await
        .select_by_value("start_tls")
        .await
        .unwrap();
    app.click("[data-testid=save-smtp]").await;
    app.find("[data-testid=smtp-saved]").await;
    app.find("[data-testid=smtp-password-kept]").await;
    let page = app.client.source().await.unwrap();
    assert!(
        !page.contains("smtp-password-55"),
        "the SMTP password is in the page"
    );
    app.screenshot("22b-mail-settings").await;
    app.end().await;
}

/// A lifetime policy of 30 days: the expiry presets stop at 30, and a date beyond it is
/// refused beside the expiry field.
#[tokio::test]
async fn the_lifetime_policy_shapes_the_expiry_picker() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("policy.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    app.click("[data-testid=nav-settings]").await;
    app.find("[data-testid=max-lifetime]")
        .await
        .select_by_value("30")
        .await
        .unwrap();
    app.click("[data-testid=save-settings]").await;
    app.settings_saved().await;
    // Settings also shows the secret renewal callbacks are signed with.
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=show-renewal-signing]").await;
    app.wait_text("[data-testid=renewal-signing-secret]", "whsec_")
        .await;

    app.click("[data-testid=nav-credentials]").await;
    app.click("[data-testid=new-token-button]").await;
    app.find("[data-testid=preset-30]").await;
    assert!(
        !app.present("[data-testid=preset-90]").await,
        "a preset beyond the policy"
    );
    let beyond = (chrono::Utc::now().date_naive() + chrono::Duration::days(45)).to_string();
    app.replace_text("[data-testid=expires-on]", &beyond).await;
    app.type_into("#token-name", "quarterly").await;
    app.click("[data-testid=create-token]").await;
    app.wait_text("#expires-on-hint", "policy allows at most 30 days")
        .await;
    app.screenshot("21a-lifetime-policy").await;
    app.end().await;
}

/// The New credential form says each problem beside its field, at the smallest window where
/// the form scrolls: Create on an empty form brings the topmost problem (the name) into view
/// with the cursor in it; the name has a counter and a long one is said to be too long, not
/// cut; the core's duplicate-name refusal stands beside the name until the name changes.
#[tokio::test]
async fn the_new_credential_form_says_each_problem_beside_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("form.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    issue_token(&app, "nightly export").await;
    app.client.set_window_size(760, 520).await.unwrap();

    // Nothing filled in; Create, scrolled to at the bottom of the form.
    app.click("[data-testid=new-token-button]").await;
    let create = app.find("[data-testid=create-token]").await;
    let reference = serde_json::to_value(&create).unwrap();
    app.client
        .execute("arguments[0].scrollIntoView();", vec![reference])
        .await
        .unwrap();
    assert!(
        !app.in_view("#token-name").await,
        "the form does not scroll"
    );
    assert!(create.is_enabled().await.unwrap(), "Create is greyed out");
    create.click().await.unwrap();
    app.wait_text("[data-testid=problem-name]", "A name is required")
        .await;
    // The catalogue's only application is ticked already.
    assert!(!app.present("[data-testid=problem-applications]").await);
    let only = app
        .find(&format!("[data-testid='application-{APPLICATION}']"))
        .await;
    assert!(only.is_selected().await.unwrap());
    app.find("[data-testid=problem-acknowledged]").await;
    assert!(app.in_view("#token-name").await, "the name is out of view");
    assert_eq!(app.focused_id().await, "token-name");
    app.screenshot("21-form-problems").await;

    // Too long a name is counted and said to be too long, not cut.
    let long = "n".repeat(120);
    app.type_into("#token-name", &long).await;
    app.wait_text("[data-testid=name-counter]", "120/100").await;
    app.wait_text("[data-testid=problem-name]", "At most 100 characters")
        .await;
    let typed = app.find("#token-name").await.prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some(long.as_str()));

    // Each message goes when its field is put right; the others stay.
    app.replace_text("#token-name", "nightly export").await;
    app.wait_gone("[data-testid=problem-name]").await;
    app.wait_text("[data-testid=name-counter]", "14/100").await;
    pick_scope_and_application(&app).await;
    app.wait_gone("[data-testid=problem-applications]").await;
    assert!(app.present("[data-testid=problem-acknowledged]").await);
    app.click("[data-testid=acknowledge]").await;
    app.wait_gone("[data-testid=problem-acknowledged]").await;

    // The core refuses the name (its owner has one so named): said beside the name, until the
    // name changes.
    app.click("[data-testid=create-token]").await;
    app.wait_text("[data-testid=problem-name]", "already exists")
        .await;
    assert!(app.in_view("#token-name").await, "the name is out of view");
    assert_eq!(app.focused_id().await, "token-name");
    app.screenshot("22-form-duplicate-name").await;
    app.type_into("#token-name", " 2").await;
    app.wait_gone("[data-testid=problem-name]").await;
    app.click("[data-testid=create-token]").await;
    let token = take_revealed_token(&app).await;
    assert!(token.starts_with("ks_pat_"), "revealed {token:?}");
    app.find(&row("nightly export 2")).await;
    app.end().await;
}

/// A damaged vault (one flipped byte in a page the window does not read at first) opens; the
/// integrity check, which runs beside the first reads, shows its verdict as a banner, and
/// nothing is written: the file stays byte for byte as it was.
#[tokio::test]
async fn a_damaged_vault_says_so_and_is_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("damaged.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    issue_token(&app, "still listed").await;
    app.click("[data-testid=lock-button]").await;
    app.find("[data-testid=unlock-vault]").await;

    // The page of an index only the audit log's actor filter reads.
    let page: usize = {
        let outside = Vault::unlock(&vault, &Secret::from(PASSPHRASE), clock::system()).unwrap();
        let raw = outside.raw_connection().unwrap();
        raw.query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = 'audit_by_actor'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .unwrap()
        .try_into()
        .unwrap()
    };
    let mut bytes = std::fs::read(&vault).unwrap();
    bytes[(page - 1) * 4096 + 2000] ^= 0x55;
    std::fs::write(&vault, &bytes).unwrap();

    unlock(&app).await;
    app.find(&row("still listed")).await;
    app.wait_text("[data-testid=damaged]", "The vault's database is damaged")
        .await;
    app.screenshot("23-damaged-vault").await;
    app.click("[data-testid=lock-button]").await;
    app.find("[data-testid=unlock-vault]").await;
    app.end().await;
    assert!(
        std::fs::read(&vault).unwrap() == bytes,
        "the damaged vault was written to"
    );
}

/// While the app derives keys (argon2) for a wrong passphrase, the window goes on answering:
/// keystrokes typed then register while the button still says "Unlocking…". Every WebDriver
/// command goes through the app's main thread, so had the derivation run there, the typing
/// would only land after it. Three extra key slots make the derivation last about two seconds
/// (a wrong passphrase is tried against every slot).
#[tokio::test]
async fn the_window_answers_while_a_key_is_derived() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("responsive.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    app.click("[data-testid=lock-button]").await;
    app.find("[data-testid=unlock-vault]").await;
    {
        let mut outside = Vault::unlock(&vault, &Secret::from(PASSPHRASE), clock::system())
            .expect("the test opens the app's vault");
        for name in ["Dana", "Eli", "Fay"] {
            let user = outside
                .create_user(&UserSpec {
                    name: Name::new(name).unwrap(),
                    email: EmailAddress::try_from(format!("{name}@example.com")).unwrap(),
                    role: Role::Member,
                    api_access: true,
                })
                .unwrap();
            outside
                .add_operator(
                    user.id,
                    &Secret::from(format!("{name}'s own passphrase").as_str()),
                    KdfParams::DEFAULT,
                )
                .unwrap();
        }
    }

    app.type_into("#passphrase", "not the passphrase").await;
    app.click("[data-testid=unlock-vault] button[type=submit]")
        .await;
    app.find("[data-testid=unlock-vault] button[aria-busy=true]")
        .await;
    app.type_into("#passphrase", " typed meanwhile").await;
    let typed = app
        .find("#passphrase")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    let button = app
        .text("[data-testid=unlock-vault] button[type=submit]")
        .await;
    assert_eq!(typed, "not the passphrase typed meanwhile");
    assert_eq!(
        button, "Unlocking…",
        "the keystrokes landed only after the derivation ended"
    );
    app.wait_text("[data-testid=unlock-error]", "Wrong passphrase")
        .await;
    app.screenshot("19-wrong-passphrase-after-deriving").await;
    app.end().await;
}

/// A vault locked behind the window's back (here: the lock command called from the page, as
/// a screen lock would) sends the window to the unlock screen with a one-line notice at the
/// next command, instead of an error box.
#[tokio::test]
async fn a_vault_found_locked_returns_to_the_unlock_screen() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("found-locked.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    issue_token(&app, "locked elsewhere").await;
    app.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('lock_vault').then(() => done('locked'));",
            vec![],
        )
        .await
        .unwrap();
    // The next command the window sends finds the vault locked: the row's detail, or the
    // inventory's own revision read (every second), whichever comes first.
    let detail = format!("{} [data-testid=open-detail]", row("locked elsewhere"));
    if let Ok(button) = app.client.find(Locator::Css(&detail)).await {
        let _ = button.click().await;
    }
    app.find("[data-testid=unlock-vault]").await;
    assert_eq!(
        app.text("[data-testid=notice]").await,
        "The vault was locked; unlock it to go on."
    );
    assert!(!app.present("[role=alert]").await, "an error box showed");
    app.screenshot("20-found-locked").await;
    unlock(&app).await;
    app.find(&row("locked elsewhere")).await;
    app.end().await;
}
