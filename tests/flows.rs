//! Steps the real-window scenarios share: creating the vault, issuing through the form,
//! closing the reveal dialog, finding rows, and verifying a token against the vault file from
//! outside the app, as a company service would.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use keysmith_core::{
    clock, AccountHolder, Clock, EmailAddress, KdfParams, Name, Secret, Vault, Verification,
};

use crate::{eventually, Session, UI_TIMEOUT};

/// The account holder's passphrase in every scenario.
pub const PASSPHRASE: &str = "window test passphrase 42";
/// The application every new vault's catalogue starts with.
pub const APPLICATION: &str = "Internal tools";

/// Opens the vault file from this process, as a company service would, and verifies `token`.
pub fn verify_from_outside(vault: &Path, token: &str) -> Verification {
    let vault = Vault::unlock(vault, &Secret::from(PASSPHRASE), clock::system())
        .expect("the test opens the app's vault with the passphrase");
    vault.verify(token, None, None).expect("verify runs")
}

/// Creates a vault at `path` from this process, with the account holder the first-start
/// screen would have (the fastest key derivation), on `clock`.
pub fn vault_made_outside(path: &Path, clock: Arc<dyn Clock>) -> Vault {
    Vault::create(
        path,
        &Secret::from(PASSPHRASE),
        &AccountHolder {
            name: Name::new("Ada Holder").unwrap(),
            email: EmailAddress::try_from("ada@example.com".to_owned()).unwrap(),
        },
        KdfParams::MINIMUM,
        clock,
    )
    .expect("a new vault")
}

/// Types the passphrase on the unlock screen and submits it.
pub async fn unlock(app: &Session) {
    app.type_into("#passphrase", PASSPHRASE).await;
    app.click("[data-testid=unlock-vault] button[type=submit]")
        .await;
}

/// Fills in the account holder's name and e-mail on the first-start screen.
pub async fn fill_holder(app: &Session) {
    app.type_into("#holder-name", "Ada Holder").await;
    app.type_into("#holder-email", "ada@example.com").await;
}

/// Creates a vault through the first-start screen; `remember` ticks "Remember on this device".
pub async fn create_vault(app: &Session, remember: bool) {
    fill_holder(app).await;
    app.type_into("#new-passphrase", PASSPHRASE).await;
    app.type_into("#confirm-passphrase", PASSPHRASE).await;
    if remember {
        app.click("[data-testid=remember]").await;
    }
    app.click("[data-testid=create-vault] button[type=submit]")
        .await;
    app.find("[data-testid=empty-state]").await;
}

/// Issues a token through the form (30-day preset) and returns the revealed token after
/// closing the reveal dialog.
pub async fn issue_token(app: &Session, name: &str) -> String {
    issue_token_for_days(app, name, 30).await
}

/// [`issue_token`] with the expiry preset of `days`.
pub async fn issue_token_for_days(app: &Session, name: &str, days: u32) -> String {
    create_token(app, name, days).await;
    take_revealed_token(app).await
}

/// Fills the New credential form (a personal access token named `name`, the expiry preset of
/// `days`) and creates it; the reveal dialog is open after it.
pub async fn create_token(app: &Session, name: &str, days: u32) {
    app.click("[data-testid=new-token-button]").await;
    app.type_into("#token-name", name).await;
    app.click(&format!("[data-testid=preset-{days}]")).await;
    pick_scope_and_application(app).await;
    app.click("[data-testid=acknowledge]").await;
    app.click("[data-testid=create-token]").await;
}

/// The token the reveal dialog shows, read once; then the dialog is closed.
pub async fn take_revealed_token(app: &Session) -> String {
    let token = app
        .text("[data-testid=revealed-token]")
        .await
        .trim()
        .to_owned();
    close_reveal(app).await;
    token
}

/// Closes the reveal dialog through its "Done → Close" confirmation.
pub async fn close_reveal(app: &Session) {
    app.click("[data-testid=done]").await;
    app.click("[data-testid=confirm-close-yes]").await;
    app.wait_gone("[data-testid=reveal]").await;
}

/// Closes the detail panel with Escape from the list, as the keyboard would.
pub async fn close_detail(app: &Session) {
    app.find("[data-testid=credential-grid]")
        .await
        .send_keys("\u{e00c}")
        .await
        .unwrap();
    app.wait_gone("[data-testid=detail]").await;
}

/// The text of every cell of `name`'s row, one line each (innerText of the row itself stops at
/// its first cell in WebKit; a column hidden at this width still reads as its text).
pub async fn row_text(app: &Session, name: &str) -> String {
    app.find(&row(name)).await;
    let cells = app
        .client
        .execute(
            "return [...document.querySelector(arguments[0]).querySelectorAll('[role=gridcell]')]
                 .map((cell) => cell.innerText.trim()).join('\\n');",
            vec![serde_json::json!(row(name))],
        )
        .await
        .unwrap();
    cells.as_str().unwrap_or_default().to_owned()
}

/// The row of the credential named `name`, as CSS.
pub fn row(name: &str) -> String {
    format!("[data-testid=credential-row][data-name='{name}']")
}

/// Opens `name`'s row menu and picks `action`.
pub async fn row_action(app: &Session, name: &str, action: &str) {
    app.click(&format!("{} [data-testid=row-menu]", row(name)))
        .await;
    app.click(&format!("[data-testid=menu-{action}]")).await;
}

/// Makes sure the seeded application is ticked in the new-credential form (the form ticks the
/// catalogue's only application itself).
pub async fn pick_application(app: &Session) {
    let checkbox = format!("[data-testid='application-{APPLICATION}']");
    if !app.find(&checkbox).await.is_selected().await.unwrap() {
        app.click(&checkbox).await;
    }
}

/// Ticks `payables:read` (a credential must grant a scope) and makes sure the seeded
/// application is ticked in the new-credential form (the form ticks the catalogue's only
/// application itself).
pub async fn pick_scope_and_application(app: &Session) {
    for checkbox in [
        "[data-testid='scope-payables:read']".to_owned(),
        format!("[data-testid='application-{APPLICATION}']"),
    ] {
        if !app.find(&checkbox).await.is_selected().await.unwrap() {
            app.click(&checkbox).await;
        }
    }
}

/// The names in the table, top to bottom. A table re-rendered while it is being read (a
/// refresh landing) is read again.
pub async fn listed_names(app: &Session) -> Vec<String> {
    for _ in 0..20 {
        if let Some(names) = read_names(app).await {
            return names;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the table kept changing while it was read");
}

/// The names in the table, or `None` when a row went away while they were read.
async fn read_names(app: &Session) -> Option<Vec<String>> {
    let rows = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=credential-row]"))
        .await
        .unwrap();
    let mut names = Vec::new();
    for row in rows {
        match row.attr("data-name").await {
            Ok(name) => names.push(name.unwrap_or_default()),
            Err(fantoccini::error::CmdError::Standard(error))
                if error.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                return None
            }
            Err(error) => panic!("cannot read a row's name: {error}"),
        }
    }
    Some(names)
}

/// Switches the app's local API on, on a free loopback port, and waits until it listens there;
/// the port.
pub async fn enable_local_api(app: &Session) -> u16 {
    let port = crate::free_port();
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=api-enabled]").await;
    app.replace_text("[data-testid=api-port]", &port.to_string())
        .await;
    app.click("[data-testid=save-settings]").await;
    app.settings_saved().await;
    app.wait_text("[data-testid=api-status]", &format!("127.0.0.1:{port}"))
        .await;
    port
}

/// Adds a user in People (the section open) with `role` (`admin` or `member`).
pub async fn add_user(app: &Session, name: &str, email: &str, role: &str) {
    app.click("[data-testid=add-user]").await;
    app.type_into("#user-name", name).await;
    app.type_into("#user-email", email).await;
    app.click(&format!("#user-role option[value={role}]")).await;
    // Where the role is chosen, it says it is not a group.
    app.wait_text("[data-testid=role-hint]", "grants no API permissions")
        .await;
    app.click("[data-testid=save-user]").await;
    app.find(&format!("[data-testid=user-row][data-email='{email}']"))
        .await;
}

/// Which GTK file dialog is answered.
#[derive(Clone, Copy, PartialEq)]
pub enum Dialog {
    /// A save dialog: its name field has the focus; Ctrl+A selects the suggested name.
    Save,
    /// An open dialog: Ctrl+L opens its location field.
    Open,
}

/// Waits for the file dialog titled `title`, and types `path` into it with Return, as a person
/// would.
pub async fn answer_file_dialog(title: &str, kind: Dialog, path: &Path) {
    let window = eventually(UI_TIMEOUT, async || {
        let found = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", title])
            .output()
            .expect("xdotool (apt: xdotool)");
        let ids = String::from_utf8_lossy(&found.stdout).trim().to_owned();
        match ids.lines().next() {
            Some(id) if !id.is_empty() => Ok(id.to_owned()),
            _ => Err(format!("no dialog titled {title:?}")),
        }
    })
    .await;
    // The dialog takes its focus once it is drawn.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let xdotool = |args: &[&str]| {
        let status = Command::new("xdotool").args(args).status().unwrap();
        assert!(status.success(), "xdotool {args:?}");
    };
    xdotool(&["windowfocus", "--sync", &window]);
    let key = if kind == Dialog::Save {
        "ctrl+a"
    } else {
        "ctrl+l"
    };
    xdotool(&["key", "--clearmodifiers", key]);
    xdotool(&["type", "--delay", "20", &path.display().to_string()]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    xdotool(&["key", "Return"]);
}
