//! Answering "is this token good — for this application, with this scope?". The checksum is
//! checked first, so a malformed token is refused without touching the database; a
//! well-formed one is looked up by its keyed digest and compared in constant time. Then its
//! status, its owner's API access, the user an organization token is to act as (if one is
//! named: their API access, and the token's scopes narrowed to theirs), the application and the
//! scope are checked, with permissions as they are now (kept in memory until they change; see
//! [`hot`](super::hot)); then the client's address against its allowlist; last,
//! when everything else passed, one of its uses is taken (see [`use_leases`](super::use_leases)).

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::restrictions::IpAllowlist;
use super::use_leases::Taken;
use super::{access, store, Credential, CredentialId, Rights, Status};
use crate::audit::AuditAction;
use crate::digest::TokenDigest;
use crate::error::Result;
use crate::oauth::{self, OAuthVerified};
use crate::people::{self, UserId};
use crate::settings;
use crate::token::{self, TokenKind};
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
    /// Its owner no longer has the "API access" permission.
    OwnerLacksApiAccess,
    /// The application asked about is not one it may be used for.
    ApplicationNotAllowed,
    /// The scope asked about is not granted: not among its scopes, no longer held by its
    /// owner, or a write scope on a read-only credential.
    ScopeNotGranted,
    /// The client's address is not on its allowlist (or is not known).
    IpNotAllowed,
    /// Its usage limit is spent (until the next refill, if it has one).
    UsageExceeded,
    /// It named a user to act as, and may not: it is not an organization token, or
    /// organization tokens are switched off in the settings.
    AsUserNotAllowed,
    /// The user it named to act as is not one of the vault's.
    UnknownUser,
    /// The user it named to act as does not have API access (unset, or blocked by a group).
    UserLacksApiAccess,
}

impl InactiveReason {
    /// The stable name, as serialized, e.g. `scope_not_granted`.
    pub fn as_str(self) -> &'static str {
        match self {
            InactiveReason::Malformed => "malformed",
            InactiveReason::Unknown => "unknown",
            InactiveReason::Disabled => "disabled",
            InactiveReason::Revoked => "revoked",
            InactiveReason::Expired => "expired",
            InactiveReason::OwnerLacksApiAccess => "owner_lacks_api_access",
            InactiveReason::ApplicationNotAllowed => "application_not_allowed",
            InactiveReason::ScopeNotGranted => "scope_not_granted",
            InactiveReason::IpNotAllowed => "ip_not_allowed",
            InactiveReason::UsageExceeded => "usage_exceeded",
            InactiveReason::AsUserNotAllowed => "as_user_not_allowed",
            InactiveReason::UnknownUser => "unknown_user",
            InactiveReason::UserLacksApiAccess => "user_lacks_api_access",
        }
    }
}

/// What an active token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The credential (owner, rights, applications, expiry …).
    pub credential: Credential,
    /// The scopes it grants now: its scopes (an API client: its owner's permissions) that the
    /// owner still holds, without write scopes when it is read-only. Sorted.
    pub scopes: Vec<String>,
    /// When the verified token was issued: the credential's creation, or an access token's.
    pub issued_at: DateTime<Utc>,
    /// When the verified token stops working: the credential's expiry, or an access token's
    /// own (earlier) one. A renewed credential's expiry is the end of its grace.
    pub expires_at: DateTime<Utc>,
    /// The credential that renewed this one, while this one is still good (its grace after a
    /// renewal, or until its own expiry while the successor waits to be handed over).
    pub superseded_by: Option<CredentialId>,
    /// The uses left after this one, when it has a usage limit (exact while one process
    /// verifies; uses other processes have leased count as left).
    pub remaining: Option<u32>,
    /// The user an organization token acts as, when the verification named one: `scopes` are
    /// then those of the token that user holds. The caller records it in the audit log
    /// ([`Vault::record_acting_as`]) before it answers.
    pub acting_as: Option<ActingAs>,
}

impl Verified {
    /// Whose name the answer gives as the owner: the user an organization token acts as, else
    /// the credential's owner (`None`: the organization).
    pub fn owner_name(&self) -> Option<&str> {
        match &self.acting_as {
            Some(user) => Some(&user.name),
            None => self.credential.owner_name.as_deref(),
        }
    }
}

/// The user an organization token was verified acting as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActingAs {
    /// Their user id.
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// Their e-mail address, their login name.
    pub email: String,
}

/// What a verification asks beside the token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerificationRequest<'a> {
    /// A scope the token must grant.
    pub scope: Option<&'a str>,
    /// The application it must be allowed for.
    pub application: Option<&'a str>,
    /// The address of the client that presented it, when known: a credential with an
    /// allowlist verifies only from a known address on the list.
    pub client_ip: Option<IpAddr>,
    /// The login name (e-mail address) of a user an organization token is to act as: the
    /// answer is then that user's, with the token's scopes they hold. Only organization
    /// tokens, and only while the organization-token setting is on.
    pub as_user: Option<&'a str>,
}

/// The answer to a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The token is good; here is what it grants.
    Active(Box<Verified>),
    /// The token is an OAuth access token, and good; here is what it grants, in whose name.
    ActiveOAuth(Box<OAuthVerified>),
    /// The token is refused, and why.
    Inactive(InactiveReason),
}

impl Vault {
    /// Verifies a token, optionally for an `application` and a `scope` it must grant, from no
    /// known address: [`Vault::verify_request`] with those two.
    pub fn verify(
        &self,
        token: &str,
        scope: Option<&str>,
        application: Option<&str>,
    ) -> Result<Verification> {
        self.verify_request(
            token,
            &VerificationRequest {
                scope,
                application,
                ..VerificationRequest::default()
            },
        )
    }

    /// Verifies a token for what `request` asks. A refusal is
    /// `Ok(Verification::Inactive(reason))`; `Err` is kept for storage failures. An active
    /// answer for a credential with a usage limit has taken one of its uses (and may have
    /// written a lease of them to the vault).
    pub fn verify_request(
        &self,
        token: &str,
        request: &VerificationRequest<'_>,
    ) -> Result<Verification> {
        self.verify_forwarded(token, request, |_| Ok(request.client_ip))
    }

    /// [`Vault::verify_request`] for a request a proxy may have forwarded: `client` works out
    /// the client's address (in place of `request.client_ip`), given the trusted proxies as
    /// of this same verification, read only if it asks for them.
    pub fn verify_forwarded(
        &self,
        token: &str,
        request: &VerificationRequest<'_>,
        client: impl FnOnce(&mut dyn FnMut() -> Result<Arc<IpAllowlist>>) -> Result<Option<IpAddr>>,
    ) -> Result<Verification> {
        use InactiveReason::*;
        let VerificationRequest {
            scope,
            application,
            as_user,
            ..
        } = *request;
        let refuse = |reason| Ok(Verification::Inactive(reason));
        let Some(well_formed) = token::parse(token) else {
            return refuse(Malformed);
        };
        if as_user.is_some() && well_formed.kind != TokenKind::OrganizationToken {
            return refuse(AsUserNotAllowed);
        }
        let digest = self.pepper().digest(token);
        let now = self.now();
        if well_formed.kind == TokenKind::OAuthAccessToken {
            return self.verify_oauth(&digest, now, scope, application);
        }
        let mut cache = self.verify_cache()?;
        let (hot, access_token) = if well_formed.kind == TokenKind::AccessToken {
            // An access token stands for its client credentials until its own expiry.
            let Some(access_token) = access::find(self.conn(), &digest)? else {
                return refuse(Unknown);
            };
            if access_token.expires_at <= now {
                return refuse(Expired);
            }
            let credential = store::get(self.conn(), access_token.credential)?;
            let hot = cache.hot(self.conn(), credential)?;
            (Arc::new(hot), Some(access_token))
        } else {
            match cache.credential(self.conn(), &digest)? {
                Some(hot) => (hot, None),
                None => return refuse(Unknown),
            }
        };
        let client_ip =
            client(&mut || cache.trusted_proxies(|| settings::load_trusted_proxies(self.conn())))?;
        // The user named to act as: not named, named but unknown, or found with their access.
        let named = match as_user {
            Some(email) => match people::access::user_by_email(self.conn(), email)? {
                Some((id, email)) => Some(Some((id, email, cache.owner(self.conn(), Some(id))?))),
                None => Some(None),
            },
            None => None,
        };
        drop(cache);
        let credential = &hot.credential;
        match credential.status_given(now, !hot.owner_has_api_access) {
            Status::Active | Status::ExpiringSoon | Status::Superseded => {}
            Status::Blocked => return refuse(OwnerLacksApiAccess),
            Status::Disabled => return refuse(Disabled),
            Status::Revoked => return refuse(Revoked),
            Status::Expired => return refuse(Expired),
        }
        let mut scopes = hot.scopes.clone();
        let acting_as = match named {
            None => None,
            Some(_) if !settings::Settings::load(self.conn())?.organization_tokens => {
                return refuse(AsUserNotAllowed);
            }
            Some(None) => return refuse(UnknownUser),
            Some(Some((_, _, user))) if !user.api_access => return refuse(UserLacksApiAccess),
            Some(Some((user_id, email, user))) => {
                scopes.retain(|granted| user.permissions.binary_search(granted).is_ok());
                Some(ActingAs {
                    user_id,
                    name: user.name.clone().unwrap_or_default(),
                    email,
                })
            }
        };
        if application.is_some_and(|wanted| !credential.applications.iter().any(|a| a == wanted)) {
            return refuse(ApplicationNotAllowed);
        }
        if scope.is_some_and(|wanted| !scopes.iter().any(|s| s == wanted)) {
            return refuse(ScopeNotGranted);
        }
        if !hot.allowed_ips.allows(client_ip) {
            return refuse(IpNotAllowed);
        }
        let remaining = match credential.usage {
            None => None,
            Some(usage) => match self.take_use(credential.id, usage.limit())? {
                Taken::Remaining(left) => Some(left),
                Taken::Exhausted => return refuse(UsageExceeded),
            },
        };
        let (issued_at, expires_at) = match access_token {
            Some(token) => (
                token.created_at,
                token.expires_at.min(credential.expires_at),
            ),
            None => (credential.created_at, credential.expires_at),
        };
        Ok(Verification::Active(Box::new(Verified {
            credential: credential.clone(),
            scopes,
            issued_at,
            expires_at,
            superseded_by: credential.superseded_by,
            remaining,
            acting_as,
        })))
    }
}

/// Who the audit log says recorded a verification acting as a user.
const VERIFIER: &str = "Keysmith local API (verification)";

impl Vault {
    /// Records in the audit log that `verified`, an organization token, was verified acting as
    /// a named user; a verification that named one is answered only once this is written.
    /// Nothing is written for any other verification.
    pub fn record_acting_as(&mut self, verified: &Verified) -> Result<()> {
        let Some(user) = &verified.acting_as else {
            return Ok(());
        };
        let credential = &verified.credential;
        self.audited_as_service(VERIFIER, |change| {
            change.record(
                AuditAction::CredentialActedAsUser,
                Some(credential.id),
                json!({
                    "name": credential.name,
                    "user": user.user_id.0,
                    "email": user.email,
                    "scopes": verified.scopes,
                }),
            )
        })
    }

    /// [`Vault::verify`] for an OAuth access token: its grant live, its app enabled, the user
    /// with API access; its scopes those of the token the user still holds.
    fn verify_oauth(
        &self,
        digest: &TokenDigest,
        now: DateTime<Utc>,
        scope: Option<&str>,
        application: Option<&str>,
    ) -> Result<Verification> {
        use InactiveReason::*;
        let refuse = |reason| Ok(Verification::Inactive(reason));
        let Some(found) = oauth::find_access(self.conn(), digest)? else {
            return refuse(Unknown);
        };
        let mut verified = found.verified;
        if found.revoked {
            return refuse(Revoked);
        }
        if verified.expires_at <= now {
            return refuse(Expired);
        }
        if found.app_disabled {
            return refuse(Disabled);
        }
        let user = self
            .verify_cache()?
            .owner(self.conn(), Some(verified.user_id))?;
        if !user.api_access {
            return refuse(OwnerLacksApiAccess);
        }
        if application.is_some_and(|wanted| !verified.applications.iter().any(|a| a == wanted)) {
            return refuse(ApplicationNotAllowed);
        }
        verified
            .scopes
            .retain(|granted| user.permissions.binary_search(granted).is_ok());
        if scope.is_some_and(|wanted| !verified.scopes.iter().any(|s| s == wanted)) {
            return refuse(ScopeNotGranted);
        }
        if verified.scopes.iter().any(|scope| people::is_write(scope)) {
            verified.rights = Rights::ReadWrite;
        }
        verified.user_name.clone_from(&user.name);
        Ok(Verification::ActiveOAuth(Box::new(verified)))
    }
}
