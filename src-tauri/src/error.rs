//! The error every command returns. It crosses IPC as `{code, message}`, the same shape the
//! core's errors have, so the UI handles one form.

use serde::{ser::SerializeStruct, Serialize, Serializer};

/// A command's failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The core refused or failed.
    #[error(transparent)]
    Core(#[from] keysmith_core::Error),
    /// The vault is locked; unlock it first.
    #[error("The vault is locked")]
    Locked,
    /// The typed confirmation does not match the credential's name.
    #[error("Type the credential's name exactly to confirm")]
    ConfirmationMismatch,
    /// A date the UI sent is not `YYYY-MM-DD`.
    #[error("Dates are written YYYY-MM-DD")]
    InvalidDate,
    /// The system clipboard refused.
    #[error("The clipboard is not available: {0}")]
    Clipboard(String),
}

impl AppError {
    /// The stable code sent to the UI.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Core(error) => error.code().as_str(),
            AppError::Locked => "vault_locked",
            AppError::ConfirmationMismatch => "confirmation_mismatch",
            AppError::InvalidDate => "invalid_date",
            AppError::Clipboard(_) => "clipboard_unavailable",
        }
    }
}

impl Serialize for AppError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut error = serializer.serialize_struct("AppError", 2)?;
        error.serialize_field("code", self.code())?;
        error.serialize_field("message", &self.to_string())?;
        error.end()
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
