//! Which credential a token is, without verifying it: for the leaked-token scanner, which
//! must neither count the sighting as a use nor refuse an expired or revoked token's name.

use super::{access, store, Credential};
use crate::error::Result;
use crate::token::{self, TokenKind};
use crate::vault::Vault;

impl Vault {
    /// The credential `token` belongs to — its own, or for a client-credentials access token
    /// the credential it was exchanged for — or `None` when it is malformed, of an OAuth kind
    /// or unknown to this vault. Looked up by keyed digest; nothing is recorded. The credential
    /// is read whole, with its owner's name and access.
    pub fn identify_token(&self, token: &str) -> Result<Option<Credential>> {
        let Some(well_formed) = token::parse(token) else {
            return Ok(None);
        };
        let digest = self.pepper().digest(token);
        match well_formed.kind {
            TokenKind::AccessToken => match access::find(self.conn(), &digest)? {
                Some(access) => Ok(Some(store::get(self.conn(), access.credential)?)),
                None => Ok(None),
            },
            // Read whole: the digest's lookup leaves out the owner's name and access.
            kind if kind.is_issued() => match store::find_by_digest(self.conn(), &digest)? {
                Some(found) => Ok(Some(store::get(self.conn(), found.id)?)),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }
}
