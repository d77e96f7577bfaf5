//! The window at scale's shell, in the real window: the sections and their screenshots in
//! light and dark, the keyboard (shortcuts, the row menu, Escape), the window title, the
//! expiring-soon badge, the audit log's chain check against a row edited outside the app, and
//! the smallest window size.

use std::process::Command;

use keysmith_core::{clock, Secret, Vault};
use keysmith_e2e::flows::{
    answer_file_dialog, create_vault, issue_token, issue_token_for_days, row, Dialog, PASSPHRASE,
};
use keysmith_e2e::{eventually, wait_title, Session, UI_TIMEOUT};
use serde_json::json;

/// Sends keys to the focused element, as a person typing would.
async fn press(app: &Session, keys: &str) {
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys(keys)
        .await
        .unwrap();
}

const CTRL: &str = "\u{e009}";
const ESCAPE: &str = "\u{e00c}";
const ARROW_DOWN: &str = "\u{e015}";

#[tokio::test]
async fn sections_keyboard_title_and_themes() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("sections.vault");
    let app = Session::start(&vault, &[]).await;
    wait_title("sections.vault (locked) — Keysmith").await;
    create_vault(&app, false).await;
    wait_title("sections.vault — Keysmith").await;

    // A credential expiring within 7 days stands out: a badge on the section, a marked row.
    issue_token(&app, "weekly").await; // 30 days
    issue_token_for_days(&app, "soon", 7).await;
    let soon = row("soon");
    app.wait_text("[data-testid=expiring-badge]", "1").await;
    let class = app.find(&soon).await.attr("class").await.unwrap().unwrap();
    assert!(class.contains("soon"), "{class}");
    let weekly_class = app
        .find(&row("weekly"))
        .await
        .attr("class")
        .await
        .unwrap()
        .unwrap();
    assert!(!weekly_class.contains("soon"), "{weekly_class}");
    app.wait_text("[data-testid=count]", "2 credentials").await;

    // Keyboard: arrows move the cursor, Enter opens the panel, Escape closes it.
    app.client
        .execute(
            "document.querySelector('[data-testid=credential-grid]').focus()",
            vec![],
        )
        .await
        .unwrap();
    press(&app, &format!("{ARROW_DOWN}\u{e007}")).await;
    app.wait_text("[data-testid=detail] h2", "weekly").await;
    app.screenshot("s-credentials-light").await;
    press(&app, ESCAPE).await;
    app.wait_gone("[data-testid=detail]").await;

    // The row menu: arrows move between items, Escape closes it and gives focus back.
    app.click(&format!("{} [data-testid=row-menu]", row("weekly")))
        .await;
    eventually(UI_TIMEOUT, async || {
        match app.focused_testid().await.as_str() {
            "menu-edit" => Ok(()),
            other => Err(format!("focus is on {other:?}")),
        }
    })
    .await;
    press(&app, ARROW_DOWN).await;
    assert_eq!(app.focused_testid().await, "menu-renew");
    press(&app, ESCAPE).await;
    app.wait_gone("[data-testid=row-menu-popover]:popover-open")
        .await;
    assert_eq!(app.focused_testid().await, "row-menu");
    // The rows share one menu; scrolling the list moves them from under it, so it closes.
    app.click(&format!("{} [data-testid=row-menu]", row("weekly")))
        .await;
    app.find("[data-testid=row-menu-popover]:popover-open")
        .await;
    app.client
        .execute(
            "document.querySelector('[data-testid=credential-grid]')\
               .dispatchEvent(new Event('scroll'));",
            vec![],
        )
        .await
        .unwrap();
    app.wait_gone("[data-testid=row-menu-popover]:popover-open")
        .await;

    // Shortcuts: / searches, Ctrl+N opens the form and Escape closes it, ? lists them all.
    app.click("[data-testid=nav-credentials]").await;
    press(&app, "/").await;
    assert_eq!(app.focused_testid().await, "search");
    press(&app, &format!("{CTRL}n{CTRL}")).await;
    app.find("[data-testid=new-token]").await;
    press(&app, ESCAPE).await;
    app.wait_gone("[data-testid=new-token]").await;

    // The expiry is typed as an ISO date, the dashes coming by themselves; the chosen preset
    // shows pressed; the form says when the credential stops.
    press(&app, &format!("{CTRL}n{CTRL}")).await;
    app.replace_text("[data-testid=expires-on]", "20270101")
        .await;
    let typed = app
        .client
        .execute(
            "return document.querySelector('[data-testid=expires-on]').value",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(typed, json!("2027-01-01"));
    app.wait_text(
        "[data-testid=expiry-hint]",
        "Stops working at 00:00 UTC on 2027-01-01",
    )
    .await;
    app.click("[data-testid=preset-90]").await;
    let pressed = app
        .find("[data-testid=preset-90]")
        .await
        .attr("aria-pressed")
        .await
        .unwrap();
    assert_eq!(pressed.as_deref(), Some("true"));
    app.screenshot("s-new-credential-expiry").await;
    app.click("[data-testid=cancel-new]").await;
    if app.present("[data-testid=confirm-discard]").await {
        app.click("[data-testid=discard-new]").await;
    }
    app.wait_gone("[data-testid=new-token]").await;
    app.click("[data-testid=nav-credentials]").await;
    press(&app, "?").await;
    app.wait_text("[data-testid=help]", "Lock the vault").await;
    app.screenshot("s-shortcuts").await;
    press(&app, ESCAPE).await;
    app.wait_gone("[data-testid=help]").await;

    // Every section, by its shortcut, in light and then in dark.
    for theme in ["light", "dark"] {
        if theme == "dark" {
            app.click("[data-testid=nav-settings]").await;
            app.click("[data-testid=theme-dark]").await;
        }
        for (key, section) in [
            ("1", "credentials"),
            ("2", "health"),
            ("3", "renewals"),
            ("4", "oauth"),
            ("5", "people"),
            ("6", "audit"),
            ("7", "webhooks"),
            ("8", "api"),
            ("9", "settings"),
        ] {
            press(&app, &format!("{CTRL}{key}{CTRL}")).await;
            let current = app
                .find(&format!("[data-testid=nav-{section}][aria-current=page]"))
                .await;
            drop(current);
            let shown = app
                .client
                .execute("return document.documentElement.dataset.theme", vec![])
                .await
                .unwrap();
            assert_eq!(shown, json!(theme));
            app.screenshot(&format!("s-{section}-{theme}")).await;
        }
    }
    // The choice outlives a restart of the window's page (it is this desktop's).
    app.client.refresh().await.unwrap();
    app.find("[data-testid=nav-credentials]").await;
    let shown = app
        .client
        .execute("return document.documentElement.dataset.theme", vec![])
        .await
        .unwrap();
    assert_eq!(shown, json!("dark"));
    // Back to following the system: the choice is stored for this desktop, and the other
    // tests' screenshots are taken in light.
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=theme-system]").await;

    // Ctrl+L locks, and the title says so.
    press(&app, &format!("{CTRL}l{CTRL}")).await;
    app.find("[data-testid=unlock-vault]").await;
    wait_title("sections.vault (locked) — Keysmith").await;
    app.end().await;
}

#[tokio::test]
async fn the_audit_log_pages_filters_and_names_an_entry_edited_outside() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("audit.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    issue_token(&app, "one").await;
    issue_token(&app, "two").await;

    app.click("[data-testid=nav-audit]").await;
    app.wait_text("[data-testid=audit-grid]", "Issued “two”")
        .await;
    app.click("[data-testid=verify-chain]").await;
    app.wait_text("[data-testid=chain-verdict]", "Chain intact (3 entries)")
        .await;
    // By action, then one credential's whole history from its entry.
    app.click("[data-testid=audit-action] option[value='credential.issued']")
        .await;
    app.wait_text("[data-testid=audit-count]", "2 of 3 entries")
        .await;
    app.click("[data-testid=audit-row][data-seq='2'] button")
        .await;
    app.wait_text("[data-testid=audit-credential]", "“one”")
        .await;
    app.wait_text("[data-testid=audit-count]", "1 of 3 entries")
        .await;
    app.screenshot("s-audit-filtered").await;

    // Someone holding the key edits entry 2 from a connection of their own.
    {
        let outside = Vault::unlock(&vault, &Secret::from(PASSPHRASE), clock::system()).unwrap();
        let raw = outside.raw_connection().unwrap();
        raw.execute_batch(
            "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'Mallory <m@example.com>' WHERE seq = 2;",
        )
        .unwrap();
    }
    app.click("[data-testid=verify-chain]").await;
    app.wait_text(
        "[data-testid=chain-verdict]",
        "Broken at entry 2 (marked below): Issued “one” by Mallory",
    )
    .await;
    // The broken entry is marked in the whole log, filters cleared.
    app.find("[data-testid=audit-row][data-seq='2'][data-broken=true]")
        .await;
    assert!(!app.present("[data-testid=audit-credential]").await);
    app.screenshot("s-audit-broken").await;

    // A search by name, and a date range (the whole log now counts the outside unlock too);
    // the filtered entries export as JSON with hashes.
    app.type_into("[data-testid=audit-search]", "two").await;
    app.wait_text("[data-testid=audit-count]", "1 of 4 entries")
        .await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(1))
        .format("%Y%m%d")
        .to_string();
    app.type_into("[data-testid=audit-since]", &tomorrow).await;
    app.wait_text("[data-testid=audit-count]", "0 of 4 entries")
        .await;
    // Backspaces, as a person deletes it (each an input event).
    app.type_into("[data-testid=audit-since]", &"\u{e003}".repeat(10))
        .await;
    app.wait_text("[data-testid=audit-count]", "1 of 4 entries")
        .await;
    let export = dir.path().join("audit-two.json");
    app.click("[data-testid=export-audit-json]").await;
    answer_file_dialog("Export the audit log", Dialog::Save, &export).await;
    app.wait_text("[data-testid=audit-exported]", "audit-two.json")
        .await;
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            &entries[0]["subject"],
            entries[0]["hash"].as_str().unwrap().len()
        ),
        (&json!("two"), 64)
    );
    app.end().await;
}

#[tokio::test]
async fn the_smallest_window_scrolls_no_column_off_screen() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("small.vault");
    let app = Session::start(&vault, &[]).await;
    create_vault(&app, false).await;
    issue_token(
        &app,
        "a credential with a rather long name for a small window",
    )
    .await;
    app.client.set_window_size(760, 520).await.unwrap();
    for (theme, with_panel) in [
        ("light", false),
        ("light", true),
        ("dark", false),
        ("dark", true),
    ] {
        if theme == "dark" && !with_panel {
            // Another section and back: the panel closes on the way.
            app.click("[data-testid=nav-settings]").await;
            app.click("[data-testid=theme-dark]").await;
            app.click("[data-testid=nav-credentials]").await;
        }
        // The section drawn again reads its rows afresh: measure once they are in.
        app.find(&row(
            "a credential with a rather long name for a small window",
        ))
        .await;
        if with_panel {
            app.click(&format!(
                "{} [data-testid=open-detail]",
                row("a credential with a rather long name for a small window")
            ))
            .await;
            app.find("[data-testid=detail]").await;
        }
        let overflow = app
            .client
            .execute(
                "const page = document.scrollingElement; \
                 const grid = document.querySelector('[data-testid=credential-grid]'); \
                 const menu = document.querySelector('[data-testid=row-menu]').getBoundingClientRect(); \
                 return [page.scrollWidth - page.clientWidth, grid.scrollWidth - grid.clientWidth, \
                         Math.round(menu.right - window.innerWidth)];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(overflow, json!([0, 0, overflow[2]]), "sideways scroll");
        assert!(
            overflow[2].as_i64().unwrap() <= 0,
            "the row menu is cut off: {overflow}"
        );
        app.screenshot(&format!(
            "s-smallest-window-{theme}{}",
            if with_panel { "-panel" } else { "" }
        ))
        .await;
    }
    // The API section fits too: examples in one column, the reference framed, nothing sideways.
    app.click("[data-testid=nav-api]").await;
    app.find("[data-testid=api-reference][data-rendered=true]")
        .await;
    let sideways = app
        .client
        .execute(
            "const page = document.scrollingElement; \
             const section = document.querySelector('[data-testid=api-page]'); \
             return [page.scrollWidth - page.clientWidth, section.scrollWidth - section.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(sideways, json!([0, 0]), "the API section scrolls sideways");
    app.screenshot("s-smallest-window-api-dark").await;
    // Back to following the system, for the other tests' screenshots.
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=theme-system]").await;
    app.end().await;
}
