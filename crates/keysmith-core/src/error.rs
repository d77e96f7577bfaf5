//! The core's one error type. Every variant has a stable snake_case [`Error::code`] that the
//! IPC layer (and later the HTTP layer) sends beside the message; the UI keys off the code.
//! Messages say what to do and never contain a secret.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Shorthand for results of core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a core operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The chosen passphrase is shorter than the minimum.
    #[error("The passphrase must have at least {min} characters; it has {got}")]
    WeakPassphrase {
        /// The fewest characters allowed.
        min: usize,
        /// How many it has.
        got: usize,
    },
    /// The passphrase does not open any key slot of this vault.
    #[error("Wrong passphrase")]
    WrongPassphrase,
    /// The data key (e.g. from the keychain) does not decrypt the vault file.
    #[error("The stored key does not open this vault; unlock with the passphrase")]
    WrongKey,
    /// Creating a vault where one already exists.
    #[error("A vault already exists at {0}")]
    VaultExists(PathBuf),
    /// Creating a vault at the path of a folder.
    #[error("{0} is a folder; give the vault a file name inside it, e.g. {0}/keysmith.vault")]
    VaultPathIsFolder(PathBuf),
    /// The database is there but its key header (`<vault>.keys`) is not.
    #[error("The vault's key header {0} is missing; restore it from a backup")]
    HeaderMissing(PathBuf),
    /// Opening a vault that does not exist.
    #[error("No vault at {0}")]
    VaultNotFound(PathBuf),
    /// The database file is damaged (empty, unreadable pages, a broken structure); nothing
    /// was written to it.
    #[error(
        "The vault's database is damaged ({0}); nothing was changed. Restore it from a backup"
    )]
    VaultDamaged(String),
    /// The passphrase opened the key header, but its key does not open the database: the
    /// header belongs to another vault, or the database's first page is damaged.
    #[error(
        "The key header does not open this database: it belongs to another vault, or the \
         database's first page is damaged. Nothing was changed"
    )]
    HeaderMismatch,
    /// The vault's key header is unreadable or inconsistent.
    #[error("The vault's key header is damaged: {0}")]
    VaultCorrupt(String),
    /// A key slot asks for argon2 costs outside the bounds Keysmith accepts (an edited or
    /// damaged key header).
    #[error(
        "The vault's key header asks for key-derivation costs out of bounds (memory {m_kib} KiB, \
         {t} passes, {p} lanes); restore the .keys file from a backup"
    )]
    KdfOutOfBounds {
        /// Memory in KiB.
        m_kib: u32,
        /// Passes.
        t: u32,
        /// Lanes.
        p: u32,
    },
    /// The vault was written by a newer Keysmith.
    #[error("This vault has format version {found}; this Keysmith reads up to {supported}")]
    UnsupportedVersion {
        /// The vault's format version.
        found: u32,
        /// The newest this build reads.
        supported: u32,
    },
    /// No Secret Service / keychain is reachable on this OS session.
    #[error("The OS keychain is not available ({0}); use the passphrase")]
    KeychainUnavailable(String),
    /// A credential name is empty, too long or has control characters.
    #[error("Name must be 1 to {max} characters without control characters")]
    InvalidName {
        /// The most characters allowed.
        max: usize,
    },
    /// A description is too long.
    #[error("Description must be at most {max} characters; it has {got}")]
    InvalidDescription {
        /// The most characters allowed.
        max: usize,
        /// How many it has.
        got: usize,
    },
    /// An expiry further away than the policy allows.
    #[error("Expiry must be within {max} days; you chose {days}")]
    ExpiryTooFar {
        /// The most days ahead allowed.
        max: i64,
        /// How many days ahead was chosen.
        days: i64,
    },
    /// A date that is not written `YYYY-MM-DD`.
    #[error("{0:?} is not a date; dates are written YYYY-MM-DD")]
    InvalidDate(String),
    /// An expiry further away than the vault's lifetime policy allows.
    #[error(
        "The vault's policy allows credentials of at most {max} days; this one would last {days}"
    )]
    ExpiryBeyondPolicy {
        /// The policy's maximum lifetime, in days.
        max: u32,
        /// How many days the credential would last.
        days: i64,
    },
    /// A lifetime policy that is not one of the choices offered.
    #[error("The maximum lifetime must be 7, 30, 60, 90, 180 or 365 days")]
    InvalidLifetimePolicy,
    /// An expiry that is not in the future.
    #[error("Expiry must be in the future")]
    ExpiryInPast,
    /// Another credential of the same owner that is not revoked already has this name.
    #[error("A credential named \"{0}\" already exists for this owner; choose another name or revoke it first")]
    DuplicateName(String),
    /// No credential has this id.
    #[error("No credential with id {0}")]
    CredentialNotFound(i64),
    /// Changing a credential that is revoked (only delete is left).
    #[error("This credential is already revoked")]
    AlreadyRevoked,
    /// A field that cannot be edited (only the description and auto-renewal can).
    #[error("{0} cannot be edited; renew the credential to change it")]
    ImmutableField(String),
    /// An edit whose values have the wrong shape (not text, unreadable settings).
    #[error("Cannot apply this edit: {0}")]
    InvalidEdit(String),
    /// Auto-renewal settings that do not hold.
    #[error("Auto-renewal: {0}")]
    InvalidAutoRenewal(String),
    /// An auto-renewal period not shorter than the credential's lifetime: the renewal would
    /// come after the expiry.
    #[error("Renewing every {every} days comes too late for a credential that lives {lifetime} days; choose fewer days")]
    RenewalPeriodTooLong {
        /// The period asked for, in days.
        every: u32,
        /// The credential's lifetime, in whole days.
        lifetime: i64,
    },
    /// A renewed credential's secret that was already handed over (it is kept only until then).
    #[error("This renewed token was already handed over; it is not kept after that")]
    AlreadyHandedOver,
    /// SMTP settings that cannot be used.
    #[error("{0}")]
    InvalidSmtp(String),
    /// A claim key that is unknown, used or past its two hours; deliberately says no more.
    #[error("The claim key is not valid: unknown, already used or expired")]
    InvalidClaim,
    /// A renewal's end date for the old credential outside now … its current expiry.
    #[error("The old credential's end date must lie between now and its current expiry")]
    InvalidEndDate,
    /// A setting outside its allowed range.
    #[error("{name} must be between {min} and {max}")]
    InvalidSetting {
        /// The setting, as people name it.
        name: &'static str,
        /// The smallest allowed value.
        min: u32,
        /// The largest allowed value.
        max: u32,
    },
    /// The operator's role does not allow this action.
    #[error("Not allowed: {0}")]
    Forbidden(String),
    /// An e-mail address that is not one.
    #[error("{0:?} is not an e-mail address")]
    InvalidEmail(String),
    /// A permission name outside the `area:action` shape.
    #[error(
        "{0:?} is not a permission name; use lower-case words joined by ':', e.g. payables:read"
    )]
    InvalidPermission(String),
    /// A role that cannot be given this way (there is exactly one account holder).
    #[error("{0}")]
    InvalidRole(String),
    /// A group that both grants and blocks the same permission.
    #[error("A group cannot both grant and block {0:?}; a block beats a grant, so pick one")]
    GrantedAndBlocked(String),
    /// A rate limit outside 1 to 10,000 requests per minute.
    #[error("The rate limit must be between {min} and {max} requests per minute")]
    InvalidRateLimit {
        /// The smallest allowed limit.
        min: u32,
        /// The largest allowed limit.
        max: u32,
    },
    /// A usage limit outside 1 to its maximum, or a refill without a number of uses.
    #[error("The usage limit must be a number of uses from 1 to {max}")]
    InvalidUsageLimit {
        /// The largest allowed number.
        max: u32,
    },
    /// An allowlist entry that is neither an IP address nor a CIDR range, or too many.
    #[error("Allowed addresses: {0}")]
    InvalidIpRange(String),
    /// A credential's owner that does not fit its kind.
    #[error("{0}")]
    InvalidOwner(String),
    /// No user has this id.
    #[error("No user with id {0}")]
    UserNotFound(i64),
    /// No group has this id.
    #[error("No group with id {0}")]
    GroupNotFound(i64),
    /// A permission that is not in the catalogue.
    #[error("The permission {0:?} is not in the catalogue")]
    UnknownPermission(String),
    /// An application that is not in the catalogue.
    #[error("The application {0:?} is not in the catalogue")]
    UnknownApplication(String),
    /// A credential with no application to be used for.
    #[error("Choose at least one application the credential may be used for")]
    NoApplication,
    /// A credential that grants nothing: personal access tokens, client credentials and
    /// organization tokens need at least one scope.
    #[error("Choose at least one scope: a credential that grants none cannot be used")]
    NoScope,
    /// A user, group or catalogue entry whose name (or e-mail) is taken.
    #[error("A {what} named {name:?} already exists")]
    AlreadyExists {
        /// What kind of thing it is.
        what: &'static str,
        /// The name that is taken.
        name: String,
    },
    /// Removing something that is still in use.
    #[error("{0}")]
    InUse(String),
    /// A scope the credential's owner does not hold.
    #[error("The owner does not hold the permission {0:?}")]
    ScopeNotHeld(String),
    /// Scopes chosen for an API client, which carries its owner's permissions instead.
    #[error("An API client carries exactly its owner's permissions; choose no scopes")]
    ScopesInherited,
    /// Issuing for a user without the "API access" permission.
    #[error("{0} does not have API access; grant it before issuing credentials")]
    OwnerLacksApiAccess(String),
    /// A feature that is switched off in this vault's settings.
    #[error("{0} are switched off in settings")]
    FeatureDisabled(&'static str),
    /// A kind that cannot be issued this way (access tokens come from the exchange).
    #[error("{0}")]
    InvalidKind(String),
    /// Listening beyond loopback was not confirmed.
    #[error("Listening on {0} exposes the API beyond this computer; confirm it to go on")]
    RemoteBindUnconfirmed(std::net::IpAddr),
    /// Client credentials that do not authenticate: unknown client ID, wrong secret, or a
    /// credential that is not active. Deliberately says no more than that.
    #[error("The client ID and secret are not valid")]
    InvalidClient,
    /// A webhook URL that is not https (or http to this computer), or not a URL at all.
    #[error("{0}")]
    InvalidWebhookUrl(String),
    /// A custom header that cannot be sent: a name that is not an HTTP token, a value with
    /// line breaks, a name given twice, or one Keysmith sets itself.
    #[error("{0}")]
    InvalidHeader(String),
    /// HTTP Basic credentials that cannot be sent (a user name with a colon, control
    /// characters, no stored password to keep).
    #[error("{0}")]
    InvalidBasicAuth(String),
    /// A webhook subscribed to no event.
    #[error("Choose at least one event, or all events")]
    NoEvents,
    /// An event name Keysmith does not send.
    #[error("{0:?} is not a webhook event")]
    UnknownEvent(String),
    /// No webhook has this id.
    #[error("No webhook with id {0}")]
    WebhookNotFound(i64),
    /// No delivery has this id.
    #[error("No webhook delivery with id {0}")]
    DeliveryNotFound(i64),
    /// No renewal message (among those listed) has this id.
    #[error("No renewal message with id {0}")]
    MessageNotFound(i64),
    /// No invitation has this secret: it was never made (or is forged), or its user was removed.
    #[error("This invitation is not known to the team server; ask for a new one")]
    InvitationNotFound,
    /// The invitation already enrolled a device.
    #[error("This invitation was already used; ask for a new one")]
    InvitationUsed,
    /// The invitation's day is over.
    #[error("This invitation has expired (they last 24 hours); ask for a new one")]
    InvitationExpired,
    /// Text that is not an invitation Keysmith made (damaged in copying, or something else).
    #[error("This is not a Keysmith invitation; paste the whole line you were given")]
    InvalidInvitation,
    /// A certificate fingerprint that is not 32 bytes of hex.
    #[error("Not a SHA-256 certificate fingerprint: {0:?}")]
    InvalidFingerprint(String),
    /// An invitation asked of a vault no team server has served yet.
    #[error("This vault has no team server yet: start `keysmith serve --team` first")]
    NotTeamVault,
    /// No user has this e-mail address.
    #[error("No user has the e-mail address {0:?}")]
    UnknownUser(String),
    /// A device's signature that does not check out.
    #[error("The request's signature does not match the device's key")]
    BadSignature,
    /// No device has this id or key: never enrolled, or removed.
    #[error("This device is not enrolled in the team vault (it may have been removed)")]
    DeviceNotFound(i64),
    /// A revoke or delete confirmed with a name other than the credential's.
    #[error("Type the credential's name exactly to confirm")]
    ConfirmationMismatch,
    /// Sending to a webhook that is disabled.
    #[error("This webhook is disabled; enable it first")]
    WebhookDisabled,
    /// No OAuth app has this id.
    #[error("No OAuth app with id {0}")]
    OAuthAppNotFound(i64),
    /// An OAuth app that cannot be registered as given (no scopes, a change of type).
    #[error("{0}")]
    InvalidOAuthApp(String),
    /// A redirect URI that is not https (or http to this computer), or not one the app registered.
    #[error("{0}")]
    InvalidRedirectUri(String),
    /// Approving a request of a disabled app.
    #[error("This OAuth app is disabled; enable it first")]
    OAuthAppDisabled,
    /// No undecided request has this user code (or wait-page id): unknown, expired, decided or collected.
    #[error("No request waits under this code: it is unknown, expired or already decided")]
    OAuthRequestNotFound,
    /// No live grant has this id.
    #[error("No connection with id {0}")]
    GrantNotFound(i64),
    /// An OAuth endpoint's refusal, with the RFC's error code for the app and words for its developer.
    #[error("{1}")]
    OAuth(crate::oauth::OAuthError, String),
    /// Another connection (a second Keysmith process, the app) held the vault's lock for
    /// longer than this handle waits; nothing was changed, and trying again may succeed.
    #[error("The vault is busy: another Keysmith is changing it; try again in a moment")]
    VaultBusy,
    /// A re-key while some key slots are still version 1: their operators must unlock once
    /// with their passphrase first (or lose it), since only then can their slot be sealed for.
    #[error("These operators must unlock once with their passphrase before the vault can be re-keyed: {}", .0.join(", "))]
    LegacyKeySlots(Vec<String>),
    /// A re-key or restore while another connection has the vault open (the app, `serve`, a
    /// second command): it needs the vault to itself. Nothing was changed.
    #[error(
        "Another Keysmith has this vault open; close it (the app, keysmith serve) and try again"
    )]
    VaultInUse,
    /// A file that is not a Keysmith backup, or one damaged past reading.
    #[error("Not a Keysmith backup: {0}")]
    NotABackup(String),
    /// The backup passphrase (or an operator's passphrase) does not open this backup.
    #[error("This passphrase does not open the backup")]
    WrongBackupPassphrase,
    /// A scheduled-backup folder that is not an absolute path to an existing folder.
    #[error("Backups need an existing folder, given as a full path: {0:?}")]
    InvalidBackupFolder(String),
    /// A scan could not read a path or its git history.
    #[error("Cannot scan {0}")]
    ScanFailed(String),
    /// A change to a vault opened for reading only.
    #[error("The vault is open for reading only; nothing was changed")]
    VaultReadOnly,
    /// The database refused or failed an operation.
    #[error("Vault storage error: {0}")]
    Storage(rusqlite::Error),
    /// A file operation failed.
    #[error("File error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The stable, snake_case code of this error, sent beside the message across IPC and HTTP.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::WeakPassphrase { .. } => ErrorCode::WeakPassphrase,
            Error::WrongPassphrase => ErrorCode::WrongPassphrase,
            Error::WrongKey => ErrorCode::WrongKey,
            Error::VaultExists(_) => ErrorCode::VaultExists,
            Error::VaultNotFound(_) => ErrorCode::VaultNotFound,
            Error::VaultPathIsFolder(_) => ErrorCode::VaultPathIsFolder,
            Error::HeaderMissing(_) => ErrorCode::HeaderMissing,
            Error::VaultCorrupt(_) => ErrorCode::VaultCorrupt,
            Error::VaultDamaged(_) => ErrorCode::VaultDamaged,
            Error::HeaderMismatch => ErrorCode::HeaderMismatch,
            Error::UnsupportedVersion { .. } => ErrorCode::VaultVersionUnsupported,
            Error::KdfOutOfBounds { .. } => ErrorCode::KdfOutOfBounds,
            Error::KeychainUnavailable(_) => ErrorCode::KeychainUnavailable,
            Error::InvalidName { .. } => ErrorCode::InvalidName,
            Error::InvalidDescription { .. } => ErrorCode::InvalidDescription,
            Error::ExpiryTooFar { .. } => ErrorCode::ExpiryTooFar,
            Error::ExpiryInPast => ErrorCode::ExpiryInPast,
            Error::ExpiryBeyondPolicy { .. } => ErrorCode::ExpiryBeyondPolicy,
            Error::InvalidLifetimePolicy => ErrorCode::InvalidLifetimePolicy,
            Error::InvalidDate(_) => ErrorCode::InvalidDate,
            Error::DuplicateName(_) => ErrorCode::DuplicateName,
            Error::CredentialNotFound(_) => ErrorCode::CredentialNotFound,
            Error::AlreadyRevoked => ErrorCode::AlreadyRevoked,
            Error::InvalidEndDate => ErrorCode::InvalidEndDate,
            Error::AlreadyHandedOver => ErrorCode::AlreadyHandedOver,
            Error::InvalidClaim => ErrorCode::InvalidClaim,
            Error::InvalidSmtp(_) => ErrorCode::InvalidSmtp,
            Error::RenewalPeriodTooLong { .. } => ErrorCode::RenewalPeriodTooLong,
            Error::ImmutableField(_) => ErrorCode::ImmutableField,
            Error::InvalidEdit(_) => ErrorCode::InvalidEdit,
            Error::InvalidAutoRenewal(_) => ErrorCode::InvalidAutoRenewal,
            Error::InvalidSetting { .. } => ErrorCode::InvalidSetting,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::InvalidEmail(_) => ErrorCode::InvalidEmail,
            Error::InvalidPermission(_) => ErrorCode::InvalidPermission,
            Error::InvalidRole(_) => ErrorCode::InvalidRole,
            Error::GrantedAndBlocked(_) => ErrorCode::GrantedAndBlocked,
            Error::InvalidRateLimit { .. } => ErrorCode::InvalidRateLimit,
            Error::InvalidUsageLimit { .. } => ErrorCode::InvalidUsageLimit,
            Error::InvalidIpRange(_) => ErrorCode::InvalidIpRange,
            Error::InvalidOwner(_) => ErrorCode::InvalidOwner,
            Error::UserNotFound(_) => ErrorCode::UserNotFound,
            Error::GroupNotFound(_) => ErrorCode::GroupNotFound,
            Error::UnknownPermission(_) => ErrorCode::UnknownPermission,
            Error::UnknownApplication(_) => ErrorCode::UnknownApplication,
            Error::NoApplication => ErrorCode::NoApplication,
            Error::NoScope => ErrorCode::NoScope,
            Error::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Error::InUse(_) => ErrorCode::InUse,
            Error::ScopeNotHeld(_) => ErrorCode::ScopeNotHeld,
            Error::ScopesInherited => ErrorCode::ScopesInherited,
            Error::OwnerLacksApiAccess(_) => ErrorCode::OwnerLacksApiAccess,
            Error::FeatureDisabled(_) => ErrorCode::FeatureDisabled,
            Error::InvalidKind(_) => ErrorCode::InvalidKind,
            Error::RemoteBindUnconfirmed(_) => ErrorCode::RemoteBindUnconfirmed,
            Error::InvalidClient => ErrorCode::InvalidClient,
            Error::OAuthAppNotFound(_) => ErrorCode::OAuthAppNotFound,
            Error::InvalidOAuthApp(_) => ErrorCode::InvalidOAuthApp,
            Error::InvalidRedirectUri(_) => ErrorCode::InvalidRedirectUri,
            Error::OAuthAppDisabled => ErrorCode::OAuthAppDisabled,
            Error::OAuthRequestNotFound => ErrorCode::OAuthRequestNotFound,
            Error::GrantNotFound(_) => ErrorCode::GrantNotFound,
            Error::OAuth(..) => ErrorCode::OAuth,
            Error::InvalidWebhookUrl(_) => ErrorCode::InvalidWebhookUrl,
            Error::InvalidHeader(_) => ErrorCode::InvalidHeader,
            Error::InvalidBasicAuth(_) => ErrorCode::InvalidBasicAuth,
            Error::NoEvents => ErrorCode::NoEvents,
            Error::UnknownEvent(_) => ErrorCode::UnknownEvent,
            Error::WebhookNotFound(_) => ErrorCode::WebhookNotFound,
            Error::DeliveryNotFound(_) => ErrorCode::DeliveryNotFound,
            Error::MessageNotFound(_) => ErrorCode::MessageNotFound,
            Error::ConfirmationMismatch => ErrorCode::ConfirmationMismatch,
            Error::InvitationNotFound => ErrorCode::InvitationNotFound,
            Error::InvitationUsed => ErrorCode::InvitationUsed,
            Error::InvitationExpired => ErrorCode::InvitationExpired,
            Error::InvalidInvitation => ErrorCode::InvalidInvitation,
            Error::InvalidFingerprint(_) => ErrorCode::InvalidFingerprint,
            Error::DeviceNotFound(_) => ErrorCode::DeviceNotFound,
            Error::BadSignature => ErrorCode::BadSignature,
            Error::NotTeamVault => ErrorCode::NotTeamVault,
            Error::UnknownUser(_) => ErrorCode::UnknownUser,
            Error::WebhookDisabled => ErrorCode::WebhookDisabled,
            Error::VaultBusy => ErrorCode::VaultBusy,
            Error::VaultReadOnly => ErrorCode::VaultReadOnly,
            Error::LegacyKeySlots(_) => ErrorCode::LegacyKeySlots,
            Error::VaultInUse => ErrorCode::VaultInUse,
            Error::NotABackup(_) => ErrorCode::NotABackup,
            Error::WrongBackupPassphrase => ErrorCode::WrongBackupPassphrase,
            Error::ScanFailed(_) => ErrorCode::ScanFailed,
            Error::InvalidBackupFolder(_) => ErrorCode::InvalidBackupFolder,
            Error::Storage(_) => ErrorCode::Storage,
            Error::Io(_) => ErrorCode::Io,
        }
    }
}

impl From<rusqlite::Error> for Error {
    /// A lock that was not given up in time is [`Error::VaultBusy`], a write to a read-only
    /// vault [`Error::VaultReadOnly`], a damaged page [`Error::VaultDamaged`]; the rest is
    /// storage.
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy) => Error::VaultBusy,
            Some(rusqlite::ErrorCode::ReadOnly) => Error::VaultReadOnly,
            Some(rusqlite::ErrorCode::DatabaseCorrupt) => Error::VaultDamaged(error.to_string()),
            _ => Error::Storage(error),
        }
    }
}

/// Declares [`ErrorCode`], writing each code's text once.
macro_rules! error_codes {
    ($($variant:ident = $code:literal,)*) => {
        /// The stable, snake_case code of every error Keysmith reports, across IPC and HTTP.
        /// Each names the [`Error`] variant (or the shell's own error) described there.
        #[allow(missing_docs)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
        pub enum ErrorCode {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            /// The code's text, e.g. `expiry_too_far`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    WeakPassphrase = "weak_passphrase",
    WrongPassphrase = "wrong_passphrase",
    WrongKey = "wrong_key",
    VaultExists = "vault_exists",
    VaultNotFound = "vault_not_found",
    VaultPathIsFolder = "vault_path_is_folder",
    HeaderMissing = "header_missing",
    VaultCorrupt = "vault_corrupt",
    VaultDamaged = "vault_damaged",
    HeaderMismatch = "header_mismatch",
    VaultVersionUnsupported = "vault_version_unsupported",
    KdfOutOfBounds = "kdf_out_of_bounds",
    KeychainUnavailable = "keychain_unavailable",
    InvalidName = "invalid_name",
    InvalidDescription = "invalid_description",
    ExpiryTooFar = "expiry_too_far",
    ExpiryInPast = "expiry_in_past",
    ExpiryBeyondPolicy = "expiry_beyond_policy",
    InvalidLifetimePolicy = "invalid_lifetime_policy",
    InvalidDate = "invalid_date",
    DuplicateName = "duplicate_name",
    CredentialNotFound = "credential_not_found",
    AlreadyRevoked = "already_revoked",
    InvalidEndDate = "invalid_end_date",
    AlreadyHandedOver = "already_handed_over",
    InvalidClaim = "invalid_claim",
    InvalidSmtp = "invalid_smtp",
    RenewalPeriodTooLong = "renewal_period_too_long",
    ImmutableField = "immutable_field",
    InvalidEdit = "invalid_edit",
    InvalidAutoRenewal = "invalid_auto_renewal",
    InvalidSetting = "invalid_setting",
    Forbidden = "forbidden",
    InvalidEmail = "invalid_email",
    InvalidPermission = "invalid_permission",
    InvalidRole = "invalid_role",
    GrantedAndBlocked = "granted_and_blocked",
    InvalidRateLimit = "invalid_rate_limit",
    InvalidUsageLimit = "invalid_usage_limit",
    InvalidIpRange = "invalid_ip_range",
    InvalidOwner = "invalid_owner",
    UserNotFound = "user_not_found",
    GroupNotFound = "group_not_found",
    UnknownPermission = "unknown_permission",
    UnknownApplication = "unknown_application",
    NoApplication = "no_application",
    NoScope = "no_scope",
    AlreadyExists = "already_exists",
    InUse = "in_use",
    ScopeNotHeld = "scope_not_held",
    ScopesInherited = "scopes_inherited",
    OwnerLacksApiAccess = "owner_lacks_api_access",
    FeatureDisabled = "feature_disabled",
    InvalidKind = "invalid_kind",
    RemoteBindUnconfirmed = "remote_bind_unconfirmed",
    InvalidClient = "invalid_client",
    OAuthAppNotFound = "oauth_app_not_found",
    InvalidOAuthApp = "invalid_oauth_app",
    InvalidRedirectUri = "invalid_redirect_uri",
    OAuthAppDisabled = "oauth_app_disabled",
    OAuthRequestNotFound = "oauth_request_not_found",
    GrantNotFound = "grant_not_found",
    OAuth = "oauth_error",
    InvalidWebhookUrl = "invalid_webhook_url",
    InvalidHeader = "invalid_header",
    InvalidBasicAuth = "invalid_basic_auth",
    NoEvents = "no_events",
    UnknownEvent = "unknown_event",
    WebhookNotFound = "webhook_not_found",
    DeliveryNotFound = "delivery_not_found",
    MessageNotFound = "message_not_found",
    ConfirmationMismatch = "confirmation_mismatch",
    InvitationNotFound = "invitation_not_found",
    InvitationUsed = "invitation_used",
    InvitationExpired = "invitation_expired",
    InvalidInvitation = "invalid_invitation",
    InvalidFingerprint = "invalid_fingerprint",
    DeviceNotFound = "device_not_found",
    BadSignature = "bad_signature",
    NotTeamVault = "not_team_vault",
    UnknownUser = "unknown_user",
    WebhookDisabled = "webhook_disabled",
    VaultBusy = "vault_busy",
    LegacyKeySlots = "legacy_key_slots",
    VaultInUse = "vault_in_use",
    NotABackup = "not_a_backup",
    WrongBackupPassphrase = "wrong_backup_passphrase",
    ScanFailed = "scan_failed",
    InvalidBackupFolder = "invalid_backup_folder",
    VaultReadOnly = "vault_read_only",
    Storage = "storage",
    Io = "io",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
