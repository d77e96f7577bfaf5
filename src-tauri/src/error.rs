//! The error every command returns. It crosses IPC as [`IpcError`] — `{code, message}`, the
//! same shape the HTTP API sends — with `code` typed as the union of the core's codes and the
//! shell's own, so the UI's generated types name every code it can receive.

use keysmith_core::ErrorCode;
use serde::{Serialize, Serializer};

/// A command's failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The core refused or failed.
    #[error(transparent)]
    Core(#[from] keysmith_core::Error),
    /// The vault is locked; unlock it first.
    #[error("The vault is locked")]
    Locked,
    /// The system clipboard refused.
    #[error("The clipboard is not available: {0}")]
    Clipboard(String),
    /// A command's work ended without an answer (it panicked); the detail is in the log.
    #[error("Keysmith could not finish this; the log has the details")]
    Internal,
    /// Something only a vault file on this computer does, asked of a team vault.
    #[error("This is done on the team server, not from a desktop")]
    LocalOnly,
    /// The team server cannot be reached, and this needs it (the window shows the offline
    /// copy meanwhile).
    #[error("The team server cannot be reached (offline since {since}); changes need the server")]
    Offline {
        /// When it was last reached, as the window shows it.
        since: String,
    },
    /// The team server refused, or could not be reached or trusted.
    #[error(transparent)]
    Team(#[from] keysmith_client::ClientError),
}

/// The codes only the shell reports, beside the core's [`ErrorCode`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ShellCode {
    /// See [`AppError::Locked`].
    VaultLocked,
    /// See [`AppError::Clipboard`].
    ClipboardUnavailable,
    /// See [`AppError::Internal`].
    Internal,
    /// See [`AppError::LocalOnly`].
    LocalOnly,
    /// See [`AppError::Offline`].
    Offline,
    /// The team server presented a certificate other than the pinned one.
    CertificateChanged,
    /// The team server cannot be reached.
    ServerUnreachable,
    /// The device key is sealed with a passphrase, and none was given.
    PassphraseNeeded,
    /// No such team profile on this computer.
    ProfileNotFound,
    /// The team server refused with a code this app does not know, or answered something
    /// that is not Keysmith's protocol.
    TeamServer,
}

/// Any code a command can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(untagged)]
pub enum Code {
    /// One of the core's.
    Core(ErrorCode),
    /// One of the shell's.
    Shell(ShellCode),
}

/// A failed command as the UI receives it.
#[derive(Debug, Serialize, specta::Type)]
pub struct IpcError {
    /// Stable: the UI keys off it.
    pub code: Code,
    /// For people; never holds a secret.
    pub message: String,
}

impl AppError {
    /// The stable code sent to the UI.
    pub fn code(&self) -> Code {
        match self {
            AppError::Core(error) => Code::Core(error.code()),
            AppError::Locked => Code::Shell(ShellCode::VaultLocked),
            AppError::Clipboard(_) => Code::Shell(ShellCode::ClipboardUnavailable),
            AppError::Internal => Code::Shell(ShellCode::Internal),
            AppError::LocalOnly => Code::Shell(ShellCode::LocalOnly),
            AppError::Offline { .. } => Code::Shell(ShellCode::Offline),
            AppError::Team(error) => team_code(error),
        }
    }
}

impl Serialize for AppError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        IpcError {
            code: self.code(),
            message: self.to_string(),
        }
        .serialize(serializer)
    }
}

impl specta::Type for AppError {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        IpcError::definition(types)
    }
}

/// The code of a team server's failure: the server's own code where it is one of the core's
/// (`forbidden`, `credential_not_found` …), else the client's.
fn team_code(error: &keysmith_client::ClientError) -> Code {
    use keysmith_client::ClientError;
    match error {
        ClientError::Refused { code, .. } => {
            serde_json::from_value(serde_json::Value::String(code.clone()))
                .map_or(Code::Shell(ShellCode::TeamServer), Code::Core)
        }
        ClientError::CertificateChanged { .. } => Code::Shell(ShellCode::CertificateChanged),
        ClientError::Unreachable { .. } => Code::Shell(ShellCode::ServerUnreachable),
        ClientError::PassphraseNeeded => Code::Shell(ShellCode::PassphraseNeeded),
        ClientError::WrongPassphrase => Code::Core(ErrorCode::WrongPassphrase),
        ClientError::KeychainUnavailable(_) => Code::Core(ErrorCode::KeychainUnavailable),
        ClientError::Profile(_) => Code::Shell(ShellCode::ProfileNotFound),
        ClientError::Protocol(_) => Code::Shell(ShellCode::TeamServer),
        ClientError::Core(error) => Code::Core(error.code()),
    }
}

/// Shorthand for command results.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_as_code_and_message() {
        let json =
            serde_json::to_value(AppError::Core(keysmith_core::Error::WrongPassphrase)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "wrong_passphrase", "message": "Wrong passphrase"})
        );
        assert_eq!(
            serde_json::to_value(AppError::Locked).unwrap()["code"],
            "vault_locked"
        );
    }
}
