//! Issuing, listing and revoking credentials. Each change and its audit row commit in one
//! transaction: a refused or failed change leaves nothing behind.

use serde_json::json;

use super::{store, Credential, CredentialId, Issued, NewCredential};
use crate::audit;
use crate::error::{Error, Result};
use crate::token::{self, TokenKind};
use crate::vault::Vault;

impl Vault {
    /// Issues a personal access token. The returned [`Issued::token`] is the only copy there
    /// will ever be; the vault keeps its keyed digest.
    pub fn issue(&mut self, new: &NewCredential) -> Result<Issued> {
        let kind = TokenKind::PersonalAccessToken;
        let now = self.now();
        let token = token::generate(kind);
        let digest = self.pepper.digest(token.expose());
        let hint = token::hint(token.expose());
        let tx = self.conn.transaction()?;
        let id = store::insert(&tx, kind, new, &hint, &digest, now)?;
        audit::append(
            &tx,
            now,
            &self.operator,
            "credential.issued",
            Some(id),
            &json!({
                "kind": kind.as_str(),
                "name": new.name.as_str(),
                "expires_at": new.expiry.at().to_rfc3339(),
            }),
        )?;
        let credential = store::get(&tx, id)?;
        tx.commit()?;
        tracing::info!(credential = id.0, "credential issued");
        Ok(Issued { credential, token })
    }

    /// Revokes a credential at once and for good.
    pub fn revoke(&mut self, id: CredentialId) -> Result<Credential> {
        let now = self.now();
        let tx = self.conn.transaction()?;
        let credential = store::get(&tx, id)?;
        if !store::mark_revoked(&tx, id, now)? {
            return Err(Error::AlreadyRevoked);
        }
        audit::append(
            &tx,
            now,
            &self.operator,
            "credential.revoked",
            Some(id),
            &json!({ "name": credential.name }),
        )?;
        let revoked = store::get(&tx, id)?;
        tx.commit()?;
        tracing::info!(credential = id.0, "credential revoked");
        Ok(revoked)
    }

    /// The credential with `id`.
    pub fn credential(&self, id: CredentialId) -> Result<Credential> {
        store::get(&self.conn, id)
    }

    /// Every credential, newest first, whatever its status.
    pub fn list_credentials(&self) -> Result<Vec<Credential>> {
        store::list(&self.conn)
    }
}
