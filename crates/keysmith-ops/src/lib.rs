//! Keysmith's admin operations, each defined once.
//!
//! An operation is a request type that knows its name, whether it changes the vault, its
//! answer type and how to carry itself out over an unlocked [`Vault`]: [`Operation`]. Every
//! door calls the same definition — the window's IPC commands (a few lines each around
//! [`Operation::run`]), the command line, and, by name, the team server's `/v1/admin/…`
//! routes through [`dispatch`]. Whatever a door used to compute on its own (a row's derived
//! fields, the typed-name confirmation, a renewal's end) lives here, so every door answers
//! the same.
//!
//! This crate is not the domain: every rule (who may do what, what a valid credential is) is
//! the core's, and an operation only maps its request onto the core and the core's answer
//! onto the types the window shows. It is not a transport either: it knows nothing of IPC,
//! HTTP or the terminal. What only makes sense beside the vault's file (its passphrase, a
//! re-key, a restore, the keychain, a file dialog) is not an operation and stays with the
//! door that owns the file.

mod audit;
mod credentials;
mod oauth;
mod people;
mod renewals;
mod rows;
mod settings;
mod team;
mod webhooks;

use keysmith_core::Vault;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use audit::{AuditActors, AuditPageOf, ExportAudit, VerifyAuditChain};
pub use credentials::{
    BulkCredentials, CountCredentials, CredentialPredecessors, DeleteCredential, EditCredential,
    HealthCounts, IssueCredential, ListCredentials, RenewCredential, RenewalPlanOf,
    RevokeCredential, SetCredentialEnabled, ShowCredential, VaultRevision,
};
pub use oauth::{
    ApproveOAuthRequest, DeleteOAuthApp, DenyOAuthRequest, ListOAuthApps, OAuthConnections,
    PendingOAuthRequests, RegisterOAuthApp, RegisteredOAuthApp, RevokeOAuthGrant,
    SetOAuthAppEnabled, UpdateOAuthApp,
};
pub use people::{
    AddCatalogueEntry, CatalogueKind, DeleteGroup, OffboardUser, PeopleOverview,
    RemoveCatalogueEntry, RemoveOperator, RevokeAllOfUser, SaveGroup, SaveUser, ShowPeople,
};
pub use renewals::{
    HandOver, HandedOver, MailMessages, PendingHandovers, RenewNow, RenewalSigningSecret, SetSmtp,
    SmtpSettingsOf,
};
pub use rows::{
    CredentialChanges, CredentialChangesShape, CredentialCounts, CredentialDetail,
    CredentialListing, CredentialRow, Revealed, UsageLimitShape,
};
pub use settings::{
    BackupScheduleOf, BackupScheduleView, ExportInventory, GetSettings, PrivateCallbacksOf,
    SetBackupSchedule, SetPrivateCallbacks, SetTrustedProxies, TrustedProxies, UpdateSettings,
};
pub use team::{InviteUser, ListDevices, NewInvitationLine, RemoveDevice};
pub use webhooks::{
    AddWebhook, DeleteWebhook, ListWebhooks, ResendDelivery, RollWebhookSecret, RolledSecret,
    SendWebhookTest, SetWebhookEnabled, UpdateWebhook, WebhookDeliveries,
};

/// What an operation does to the vault, which decides how each door runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A read the window repeats by itself to stay current: not the user's activity (it would
    /// keep the vault from locking itself), and served from an offline copy when it can be.
    Watch,
    /// A read the user asked for.
    Read,
    /// A change: audited, and refused on a vault opened for reading only.
    Change,
}

/// One admin operation: the request is the type itself. Both travel as JSON: a door that
/// carries operations elsewhere (the team server's client) sends the request and reads the
/// answer.
pub trait Operation: Serialize + DeserializeOwned + Send + 'static {
    /// Its name on every door: the IPC command's, `/v1/admin/<NAME>`'s.
    const NAME: &'static str;
    /// What it does to the vault.
    const EFFECT: Effect;
    /// What it answers.
    type Answer: Serialize + DeserializeOwned + Send + 'static;

    /// Carries it out as the vault's operator: every rule is the core's.
    fn run(self, vault: &mut Vault) -> keysmith_core::Result<Self::Answer>;
}

/// Declares operations: for each, its request type (the fields the door sends), and its
/// [`Operation`] impl whose `run` is the closure given.
macro_rules! operations {
    ($(
        $(#[doc = $doc:literal])*
        $effect:ident $name:ident as $Op:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)?
        } -> $Answer:ty = |$vault:ident, $op:pat_param| $body:expr;
    )*) => {$(
        $(#[doc = $doc])*
        #[derive(Debug, serde::Serialize, serde::Deserialize, specta::Type)]
        pub struct $Op {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl $crate::Operation for $Op {
            const NAME: &'static str = stringify!($name);
            const EFFECT: $crate::Effect = $crate::Effect::$effect;
            type Answer = $Answer;

            fn run(self, $vault: &mut keysmith_core::Vault) -> keysmith_core::Result<$Answer> {
                let $op = self;
                $body
            }
        }
    )*};
}
pub(crate) use operations;

/// Why a call by name got no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No operation has this name.
    #[error("No operation is called {0:?}")]
    UnknownOperation(String),
    /// The request is not the operation's request type.
    #[error("This request does not fit the operation: {0}")]
    BadRequest(String),
    /// The core refused or failed.
    #[error(transparent)]
    Core(#[from] keysmith_core::Error),
}

/// Carries out `O` from its JSON request, answering JSON: what a door that receives
/// operations by name does.
fn call<O: Operation>(request: Value, vault: &mut Vault) -> Result<Value, CallError> {
    let op = O::deserialize(request).map_err(|error| CallError::BadRequest(error.to_string()))?;
    let answer = op.run(vault)?;
    // The answer types serialize to JSON without fail (no maps with non-string keys).
    Ok(serde_json::to_value(answer).unwrap_or(Value::Null))
}

/// Declares the list of every operation: [`NAMES`], [`effect_of`] and [`dispatch`].
macro_rules! registry {
    ($($op:ty,)*) => {
        /// Every operation's name, in the order of the list.
        pub const NAMES: &[&str] = &[$(<$op as Operation>::NAME,)*];

        /// What the operation called `name` does to the vault; `None` when none is.
        pub fn effect_of(name: &str) -> Option<Effect> {
            $(if name == <$op as Operation>::NAME {
                return Some(<$op as Operation>::EFFECT);
            })*
            None
        }

        /// Carries out the operation called `name` from its JSON request as `vault`'s
        /// operator, answering JSON.
        pub fn dispatch(name: &str, request: Value, vault: &mut Vault) -> Result<Value, CallError> {
            $(if name == <$op as Operation>::NAME {
                return call::<$op>(request, vault);
            })*
            Err(CallError::UnknownOperation(name.to_owned()))
        }
    };
}

registry![
    ListCredentials,
    CountCredentials,
    ShowCredential,
    CredentialPredecessors,
    HealthCounts,
    BulkCredentials,
    IssueCredential,
    RevokeCredential,
    SetCredentialEnabled,
    EditCredential,
    RenewalPlanOf,
    RenewCredential,
    DeleteCredential,
    VaultRevision,
    GetSettings,
    UpdateSettings,
    TrustedProxies,
    SetTrustedProxies,
    PrivateCallbacksOf,
    SetPrivateCallbacks,
    BackupScheduleOf,
    SetBackupSchedule,
    ExportInventory,
    ShowPeople,
    SaveUser,
    SaveGroup,
    DeleteGroup,
    AddCatalogueEntry,
    RemoveCatalogueEntry,
    RemoveOperator,
    RevokeAllOfUser,
    OffboardUser,
    AuditPageOf,
    AuditActors,
    VerifyAuditChain,
    ExportAudit,
    ListWebhooks,
    AddWebhook,
    UpdateWebhook,
    SetWebhookEnabled,
    DeleteWebhook,
    RollWebhookSecret,
    SendWebhookTest,
    ResendDelivery,
    WebhookDeliveries,
    PendingHandovers,
    HandOver,
    RenewNow,
    RenewalSigningSecret,
    SmtpSettingsOf,
    SetSmtp,
    MailMessages,
    ListOAuthApps,
    RegisterOAuthApp,
    UpdateOAuthApp,
    SetOAuthAppEnabled,
    DeleteOAuthApp,
    PendingOAuthRequests,
    ApproveOAuthRequest,
    DenyOAuthRequest,
    OAuthConnections,
    RevokeOAuthGrant,
    InviteUser,
    ListDevices,
    RemoveDevice,
];
