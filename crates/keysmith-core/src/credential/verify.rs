//! Answering "is this token good?". The checksum is checked first, so a malformed token is
//! refused without touching the database; a well-formed one is looked up by its keyed digest
//! and compared in constant time.

use serde::Serialize;

use super::{store, Credential, Status};
use crate::error::Result;
use crate::token;
use crate::vault::Vault;

/// Why a token does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InactiveReason {
    /// Wrong prefix, length, alphabet or checksum.
    Malformed,
    /// Well-formed, but this vault never issued it (or it was deleted).
    Unknown,
    /// Disabled (reversibly).
    Disabled,
    /// Revoked.
    Revoked,
    /// Past its expiry.
    Expired,
}

/// The answer to a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The token is good; here is what it grants.
    Active(Credential),
    /// The token is refused, and why.
    Inactive(InactiveReason),
}

impl Vault {
    /// Verifies a token. A refusal is `Ok(Verification::Inactive(reason))`; `Err` is kept
    /// for storage failures.
    pub fn verify(&self, token: &str) -> Result<Verification> {
        if token::parse(token).is_none() {
            return Ok(Verification::Inactive(InactiveReason::Malformed));
        }
        let digest = self.pepper.digest(token);
        let Some(credential) = store::find_by_digest(&self.conn, &digest)? else {
            return Ok(Verification::Inactive(InactiveReason::Unknown));
        };
        Ok(match credential.status(self.now()) {
            Status::Active => Verification::Active(credential),
            Status::Disabled => Verification::Inactive(InactiveReason::Disabled),
            Status::Revoked => Verification::Inactive(InactiveReason::Revoked),
            Status::Expired => Verification::Inactive(InactiveReason::Expired),
        })
    }
}
