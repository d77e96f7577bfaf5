//! What can go wrong between a device and its team server, each with a stable code as the
//! rest of Keysmith's errors have.

use keysmith_core::team::invitation::Fingerprint;

/// A failure to reach, trust or be answered by the team server, or to keep the device's key.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a refusal: its code and message, as it sent them.
    #[error("{message}")]
    Refused {
        /// The server's stable code (`forbidden`, `credential_not_found`, …).
        code: String,
        /// The server's words.
        message: String,
    },
    /// The server presented a certificate other than the one the invitation pinned. Nothing was
    /// sent to it.
    #[error(
        "The team server presented a different certificate ({presented}) from the one this \
         device trusts ({pinned}); nothing was sent. If the server's certificate was replaced \
         on purpose, join again with a new invitation"
    )]
    CertificateChanged {
        /// The fingerprint the profile pins.
        pinned: Fingerprint,
        /// The fingerprint the server presented.
        presented: Fingerprint,
    },
    /// The server could not be reached (or the connection dropped before an answer).
    #[error("The team server at {server} cannot be reached: {reason}")]
    Unreachable {
        /// Its address.
        server: String,
        /// What happened.
        reason: String,
    },
    /// No profile of this name, or one that cannot be read.
    #[error("{0}")]
    Profile(String),
    /// The device key's passphrase is needed (the key is sealed in a file) and none was given.
    #[error("This device's key is sealed with a passphrase: give it ($KEYSMITH_PASSPHRASE or --passphrase-stdin)")]
    PassphraseNeeded,
    /// The passphrase does not open the sealed device key.
    #[error("Wrong passphrase for this device's key")]
    WrongPassphrase,
    /// The keychain refused, and no passphrase was given to seal the key in a file instead.
    #[error("The OS keychain cannot keep the device key ({0}); give a passphrase to seal it in a file instead")]
    KeychainUnavailable(String),
    /// The server answered something that is not Keysmith's protocol.
    #[error("The team server's answer could not be read: {0}")]
    Protocol(String),
    /// A core refusal on this side (a malformed invitation, a device name).
    #[error(transparent)]
    Core(#[from] keysmith_core::Error),
}

impl ClientError {
    /// The stable code of this failure.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Refused { code, .. } => code,
            ClientError::CertificateChanged { .. } => "certificate_changed",
            ClientError::Unreachable { .. } => "server_unreachable",
            ClientError::Profile(_) => "profile_not_found",
            ClientError::PassphraseNeeded => "passphrase_needed",
            ClientError::WrongPassphrase => "wrong_passphrase",
            ClientError::KeychainUnavailable(_) => "keychain_unavailable",
            ClientError::Protocol(_) => "protocol_error",
            ClientError::Core(error) => error.code().as_str(),
        }
    }
}
