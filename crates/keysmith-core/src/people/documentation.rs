//! Who may read the local API's documentation: "Account holders will automatically be granted
//! access to API documentation"; anyone else only while their user has API access (set on
//! them, blocked by none of their groups).

use super::{store, Role};
use crate::error::{Error, Result};
use crate::vault::Vault;

impl Vault {
    /// Whether the operator may read the API documentation: the account holder always, anyone
    /// else while they have API access.
    pub fn may_read_api_documentation(&self) -> Result<bool> {
        let operator = self.operator();
        Ok(operator.role == Role::AccountHolder
            || store::has_api_access(self.conn(), operator.user_id)?)
    }

    /// Refuses, with [`Error::Forbidden`], an operator who may not read the API documentation.
    pub fn require_api_documentation(&self) -> Result<()> {
        match self.may_read_api_documentation()? {
            true => Ok(()),
            false => Err(Error::Forbidden(
                "the API documentation is for the account holder and people with API access".into(),
            )),
        }
    }
}
