//! Expiry reminders as desktop notifications: each credential 7 days and 1 day before it
//! expires and once it has expired, once each for the operator (the core decides which:
//! [`keysmith_core::Vault::take_expiry_reminders`]). While the vault is unlocked the app asks
//! for them now and then, and counts what expires soon for the tray. Clicking a reminder opens
//! the credential in the window.

use std::time::Duration;

use keysmith_core::{CredentialId, ExpiryReminder};
use tauri::{AppHandle, Manager};
use tauri_specta::Event;

use crate::error::AppError;
use crate::instance::show_main_window;
use crate::models::OpenCredential;
use crate::state::AppState;
use crate::tray;

/// How often the app asks for reminders while the vault is unlocked.
const TICK: Duration = Duration::from_secs(10);

/// Shows the reminders as they come, and keeps the tray's count current.
pub fn watch(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            let state = app.state::<AppState>().inner().clone();
            // Not activity: reminders must not keep the vault from locking itself.
            let due = state
                .with_vault_unattended(|vault| {
                    let reminders = vault.take_expiry_reminders()?;
                    Ok((
                        reminders,
                        keysmith_ops::Operation::run(keysmith_ops::CountCredentials {}, vault)?
                            .expiring_soon,
                    ))
                })
                .await;
            match due {
                Ok((reminders, expiring_soon)) => {
                    tray::show_expiring_soon(&app, expiring_soon);
                    for reminder in reminders {
                        notify(&app, &reminder).await;
                    }
                }
                // A team vault's reminders are the server's (its renewal mail); the desktop
                // that holds no vault file shows none.
                Err(AppError::Locked | AppError::LocalOnly) => {}
                Err(error) => tracing::warn!(%error, "could not read the expiry reminders"),
            }
        }
    });
}

/// The notification's title: which credential, and how soon.
fn summary(reminder: &ExpiryReminder) -> String {
    let name = &reminder.name;
    match reminder.days_left {
        0 => format!("{name} has expired"),
        1 => format!("{name} expires in 1 day"),
        days => format!("{name} expires in {days} days"),
    }
}

/// The notification's text: when, and what to do (no secret, ever: names and dates only).
fn body(reminder: &ExpiryReminder) -> String {
    let at = reminder.expires_at.format("%a %-d %b %Y, %H:%M UTC");
    match reminder.days_left {
        0 => format!("Expired {at}. Issue a new one or renew it in Keysmith."),
        _ => format!("Expires {at}. Renew it in Keysmith before then."),
    }
}

fn notification(reminder: &ExpiryReminder) -> notify_rust::Notification {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("Keysmith")
        .summary(&summary(reminder))
        .body(&body(reminder))
        .icon(ICON);
    notification
}

/// The icon's name in the desktop's icon theme (the packages install it).
const ICON: &str = "keysmith-app";

/// Shows `reminder`; clicking it opens the credential. A notification server that is missing
/// or refuses is logged (notify-rust reports it; tauri-plugin-notification would drop it).
#[cfg(target_os = "linux")]
async fn notify(app: &AppHandle, reminder: &ExpiryReminder) {
    let mut notification = notification(reminder);
    notification.action("default", "Open");
    match notification.show_async().await {
        Ok(shown) => {
            let app = app.clone();
            let id = reminder.credential_id;
            tauri::async_runtime::spawn(async move {
                shown
                    .wait_for_action_async(|response| {
                        if let notify_rust::NotificationResponse::Default = response {
                            open(&app, id);
                        }
                    })
                    .await;
            });
        }
        Err(error) => tracing::warn!(%error, "could not show an expiry reminder"),
    }
}

/// Shows `reminder` (clicking it is not wired on this system yet).
#[cfg(not(target_os = "linux"))]
async fn notify(_app: &AppHandle, reminder: &ExpiryReminder) {
    let notification = notification(reminder);
    let shown = tauri::async_runtime::spawn_blocking(move || notification.show().map(drop)).await;
    if let Ok(Err(error)) = shown {
        tracing::warn!(%error, "could not show an expiry reminder");
    }
}

/// Brings the window up on the credential.
fn open(app: &AppHandle, id: CredentialId) {
    show_main_window(app);
    if let Err(error) = (OpenCredential { id }).emit(app) {
        tracing::warn!(%error, "could not open the credential in the window");
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use keysmith_core::TokenKind;

    use super::*;

    fn reminder(days_left: u32) -> ExpiryReminder {
        ExpiryReminder {
            credential_id: CredentialId(4),
            name: "deploy-bot".into(),
            kind: TokenKind::PersonalAccessToken,
            days_left,
            expires_at: chrono::Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_reminder_says_which_credential_and_when() {
        assert_eq!(summary(&reminder(7)), "deploy-bot expires in 7 days");
        assert_eq!(summary(&reminder(1)), "deploy-bot expires in 1 day");
        assert_eq!(summary(&reminder(0)), "deploy-bot has expired");
        assert_eq!(
            body(&reminder(7)),
            "Expires Mon 7 Dec 2026, 00:00 UTC. Renew it in Keysmith before then."
        );
        assert!(body(&reminder(0)).starts_with("Expired Mon 7 Dec 2026"));
    }
}
