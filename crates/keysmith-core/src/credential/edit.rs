//! Editing a credential: its description and its auto-renewal settings, and nothing else.
//! Everything else about a credential is fixed at issue; to change it, renew (rotate) it.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auto_renewal::{self, AutoRenewal, CallbackUrl};
use super::{store, Credential, CredentialId};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::text::{Description, EmailAddress};
use crate::vault::Vault;

/// A validated change: each `Some` field is replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialEdit {
    /// The new description.
    pub description: Option<Description>,
    /// New auto-renewal settings: `Some(None)` turns auto-renewal off.
    pub auto_renewal: Option<Option<AutoRenewal>>,
}

/// Auto-renewal as the UI or command line sends it, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoRenewalFields {
    every_days: u32,
    recipient: String,
    #[serde(default)]
    callback_url: Option<String>,
}

impl CredentialEdit {
    /// Reads a change given as named fields (`description`, `auto_renewal`). Any other field
    /// is [`Error::ImmutableField`]; nothing is applied unless every field is valid.
    pub fn from_fields(fields: &Map<String, Value>) -> Result<Self> {
        let mut edit = CredentialEdit::default();
        for (field, value) in fields {
            match field.as_str() {
                "description" => {
                    let text = value
                        .as_str()
                        .ok_or_else(|| Error::InvalidEdit("the description must be text".into()))?;
                    edit.description = Some(Description::new(text)?);
                }
                "auto_renewal" => edit.auto_renewal = Some(auto_renewal_from(value)?),
                other => return Err(Error::ImmutableField(other.to_owned())),
            }
        }
        Ok(edit)
    }

    fn changed_fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if self.description.is_some() {
            fields.push("description");
        }
        if self.auto_renewal.is_some() {
            fields.push("auto_renewal");
        }
        fields
    }
}

fn auto_renewal_from(value: &Value) -> Result<Option<AutoRenewal>> {
    if value.is_null() {
        return Ok(None);
    }
    let fields: AutoRenewalFields = serde_json::from_value(value.clone())
        .map_err(|e| Error::InvalidEdit(format!("unreadable auto-renewal settings ({e})")))?;
    let settings = AutoRenewal {
        every_days: fields.every_days,
        recipient: EmailAddress::try_from(fields.recipient)?,
        callback_url: fields
            .callback_url
            .filter(|url| !url.trim().is_empty())
            .map(CallbackUrl::try_from)
            .transpose()?,
    };
    // Against the credential's lifetime the period is checked when the edit is applied.
    settings.check_range()?;
    Ok(Some(settings))
}

impl Vault {
    /// Applies `edit` to a credential that is not revoked.
    pub fn edit(&mut self, id: CredentialId, edit: &CredentialEdit) -> Result<Credential> {
        self.audited(|change| {
            let credential = store::get(change, id)?;
            super::lifecycle::authorize(change, change.operator(), &credential)?;
            if credential.revoked_at.is_some() {
                return Err(Error::AlreadyRevoked);
            }
            if let Some(description) = &edit.description {
                store::set_description(change, id, description.as_str())?;
            }
            if let Some(settings) = &edit.auto_renewal {
                if let Some(settings) = settings {
                    settings.validate(credential.expires_at - credential.created_at)?;
                }
                auto_renewal::save(change, id, settings.as_ref())?;
            }
            change.record(
                AuditAction::CredentialEdited,
                Some(id),
                json!({ "fields": edit.changed_fields() }),
            )?;
            store::get(change, id)
        })
    }

    /// A credential's auto-renewal settings, if auto-renewal is on.
    pub fn auto_renewal(&self, id: CredentialId) -> Result<Option<AutoRenewal>> {
        auto_renewal::load(self.conn(), id)
    }
}
