//! Editing a credential: its description, its auto-renewal settings, its usage limit and its
//! IP allowlist, and nothing else. Everything else about a credential is fixed at issue; to
//! change it, renew (rotate) it.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auto_renewal::{self, AutoRenewal, CallbackUrl};
use super::restrictions::{IpAllowlist, Refill, Restrictions, UsageLimit};
use super::{store, use_leases, Credential, CredentialId};
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
    /// A new usage limit, its uses full again: `Some(None)` removes the limit.
    pub usage: Option<Option<UsageLimit>>,
    /// A new allowlist, replacing the old one (empty: usable from anywhere).
    pub allowed_ips: Option<IpAllowlist>,
}

/// A usage limit as the UI or command line sends it, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageLimitFields {
    max_uses: u32,
    #[serde(default)]
    refill: Option<Refill>,
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
    /// Reads a change given as named fields (`description`, `auto_renewal`, `usage_limit`:
    /// `{max_uses, refill}` or null, `allowed_ips`: a list). Any other field
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
                "usage_limit" => edit.usage = Some(usage_limit_from(value)?),
                "allowed_ips" => {
                    let entries: Vec<String> = serde_json::from_value(value.clone())
                        .map_err(|_| Error::InvalidEdit("allowed_ips must be a list".into()))?;
                    edit.allowed_ips = Some(IpAllowlist::parse(&entries)?);
                }
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
        if self.usage.is_some() {
            fields.push("usage_limit");
        }
        if self.allowed_ips.is_some() {
            fields.push("allowed_ips");
        }
        fields
    }
}

fn usage_limit_from(value: &Value) -> Result<Option<UsageLimit>> {
    if value.is_null() {
        return Ok(None);
    }
    let fields: UsageLimitFields = serde_json::from_value(value.clone())
        .map_err(|e| Error::InvalidEdit(format!("unreadable usage limit ({e})")))?;
    UsageLimit::new(fields.max_uses, fields.refill).map(Some)
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
            let mut details = json!({ "fields": edit.changed_fields() });
            if edit.usage.is_some() || edit.allowed_ips.is_some() {
                let restrictions = Restrictions {
                    usage: edit
                        .usage
                        .unwrap_or_else(|| credential.usage.map(|usage| usage.limit())),
                    allowed_ips: match &edit.allowed_ips {
                        Some(list) => list.clone(),
                        None => IpAllowlist::parse(&credential.allowed_ips)?,
                    },
                };
                store::set_restrictions(change, id, &restrictions)?;
                if let Some(usage) = edit.usage {
                    use_leases::reset(change, id, usage, change.now())?;
                }
                details["max_uses"] = json!(restrictions.usage.map(|limit| limit.max_uses()));
                details["refill"] = json!(restrictions
                    .usage
                    .and_then(|limit| limit.refill())
                    .map(Refill::as_str));
                details["allowed_ips"] = json!(restrictions.allowed_ips.to_strings());
            }
            change.record(AuditAction::CredentialEdited, Some(id), details)?;
            store::get(change, id)
        })
    }

    /// A credential's auto-renewal settings, if auto-renewal is on.
    pub fn auto_renewal(&self, id: CredentialId) -> Result<Option<AutoRenewal>> {
        auto_renewal::load(self.conn(), id)
    }
}
