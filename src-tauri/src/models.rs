//! What the shell's own commands and events send to the UI (the admin operations' answers are
//! `keysmith_ops`'). Nothing here holds a secret.

use keysmith_core::CredentialId;
use serde::{Deserialize, Serialize};

/// Where the vault stands, for the first screen.
#[derive(Debug, Serialize, specta::Type)]
pub struct VaultStatus {
    /// The vault file's path.
    pub path: String,
    /// Whether a vault exists there.
    pub exists: bool,
    /// Whether it is unlocked now.
    pub unlocked: bool,
    /// Where the window works: the vault file, or a team vault.
    pub place: crate::team::Place,
    /// The team vault's link, while one is open.
    pub team: Option<crate::team::TeamStatus>,
}

/// The outcome of a keychain attempt: unlocked, or why not in one line.
#[derive(Debug, Serialize, specta::Type)]
pub struct KeychainOutcome {
    /// Whether the vault is now unlocked.
    pub unlocked: bool,
    /// A one-line notice when the keychain could not be used (none when it simply does not
    /// remember this vault).
    pub notice: Option<String>,
}

/// Sent when the admin clicks an expiry reminder: the window shows that credential.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct OpenCredential {
    /// The credential to show.
    pub id: CredentialId,
}

/// Sent when the app locks the vault by itself, so the window shows the unlock screen and says
/// why.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct VaultLocked {
    /// What locked it.
    pub reason: LockReason,
}

/// Why the app locked the vault by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// Nobody used it for the auto-lock time.
    IdleTime,
    /// The screen locked.
    ScreenLocked,
    /// The computer went to sleep.
    Sleeping,
    /// The admin chose Lock in the tray's menu.
    Tray,
}
