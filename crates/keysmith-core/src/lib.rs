//! Keysmith's domain, with no Tauri in it: the encrypted vault file and its keys, the token
//! format, people and their permissions, credentials and their lifecycle, verification,
//! settings, the audit log and webhooks.
//!
//! The desktop shell (`src-tauri/`) and, later, the command line and the local HTTP API are
//! thin layers over this crate. It is not a UI and knows nothing of windows or IPC; every rule
//! a credential obeys is enforced here, so a value the shell receives from it is already valid.

pub mod audit;
pub mod clock;
pub mod credential;
mod digest;
pub mod error;
pub mod export;
mod ids;
pub mod limits;
pub mod mail;
mod meta;
pub mod oauth;
mod outbound_url;
pub mod people;
pub mod scan;
pub mod secret;
pub mod settings;
pub mod team;
pub mod text;
pub mod token;
pub mod vault;
pub mod webhook;

pub use clock::{Clock, ManualClock, SystemClock};
pub use credential::{
    AccessGrant, ActingAs, AuthenticatedClient, AutoRenewal, BulkAction, BulkOutcome, CallbackUrl,
    Credential, CredentialEdit, CredentialFields, CredentialId, CredentialPage, CredentialQuery,
    Expiry, ExpiryReminder, Handover, HealthCheck, HealthCount, InactiveReason, IpAllowlist,
    IssueRequest, Issued, NewCredential, Offboarding, OwnerBlock, RateLimit, Redeemed, Refill,
    Renewal, RenewalPlan, Restrictions, Rights, SortKey, Status, UsageLimit, UsageRecorder, Uses,
    Verification, VerificationRequest, Verified, EXPIRING_SOON_DAYS, MAX_ALLOWED_IPS, MAX_LEASE,
};
pub use error::{Error, ErrorCode, Result};
pub use limits::{Limits, LIMITS};
pub use outbound_url::Reach;
pub use people::{
    CatalogueEntry, Group, GroupId, GroupSpec, Operator, Permission, PermissionSource, Role, User,
    UserId, UserSpec,
};
pub use secret::{DataKey, Secret};
pub use settings::{ApiSettings, PrivateCallbacks, Settings, DEFAULT_TRUSTED_PROXIES};
pub use team::{Device, DeviceId, NewInvitation, TeamServer};
pub use text::{Description, EmailAddress, Name};
pub use token::TokenKind;
pub use vault::{
    AccountHolder, BackupEvery, BackupManifest, BackupSchedule, InventoryCounts, KdfParams,
    Keychain, OpenedBackup, ScheduledRun, SealedSlot, SlotSealer, Vault, VaultId,
};
pub use webhook::{
    DeliveryId, DeliveryRecord, EventType, NewWebhook, Webhook, WebhookId, WebhookSpec,
};
