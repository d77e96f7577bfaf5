//! The command line's shape (clap). Every rule is the core's; this only names the inputs.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, as `--help` documents them.
pub const EXIT_HELP: &str = "\
Exit codes: 0 success (verify: the token is active); 1 verify: the token is not active (the \
reason is printed), scan: an active token was found; 2 usage, vault or refused-operation errors (one line on stderr with the \
error's code).
Secrets are printed to stdout only by `issue`, `renew`, `renewals reveal`, `webhook add`,
`webhook roll-secret` and `oauth app add`.";

/// Keysmith's command line over one vault.
#[derive(Debug, Parser)]
#[command(name = "keysmith", version, about, after_help = EXIT_HELP)]
pub struct Cli {
    /// The vault file (default: the app's vault in the OS app-data folder).
    #[arg(long, global = true, env = "KEYSMITH_VAULT")]
    pub vault: Option<PathBuf>,
    /// Read the passphrase from the first line of stdin (otherwise $KEYSMITH_PASSPHRASE, then
    /// the OS keychain). With --remote, the passphrase that opens this device's sealed key.
    #[arg(long, global = true)]
    pub passphrase_stdin: bool,
    /// Work on the team server of this profile (saved by `keysmith join`) as its device,
    /// instead of on a vault file.
    #[arg(long, global = true, env = "KEYSMITH_REMOTE", value_name = "PROFILE")]
    pub remote: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands: `init` makes a vault; every other one works on an unlocked vault.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault, with you as its account holder.
    Init {
        /// Your name.
        #[arg(long)]
        name: String,
        /// Your e-mail address.
        #[arg(long)]
        email: String,
    },
    /// Restore a backup: over this vault (kept beside it as …before-restore-TIME), or,
    /// where no vault is yet, as a new one. The backup passphrase (or an operator's) comes
    /// from $KEYSMITH_BACKUP_PASSPHRASE or the next line of stdin.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
    },
    /// Join a team vault from this computer: reads the invitation from stdin (after the
    /// passphrase, with --passphrase-stdin), makes this device's key and saves the profile
    /// NAME for --remote. The key goes to the OS keychain, or, given a passphrase
    /// ($KEYSMITH_PASSPHRASE or --passphrase-stdin), into a file sealed with it.
    Join {
        /// The device's name on the server, and the profile's.
        #[arg(long)]
        name: String,
    },
    /// The subcommands that unlock the vault first.
    #[command(flatten)]
    Vault(VaultCommand),
}

/// The subcommands over an unlocked vault.
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Issue a credential; prints its secret(s) once.
    Issue(IssueArgs),
    /// List credentials.
    List(ListArgs),
    /// Show one credential.
    Show {
        /// Its id.
        id: i64,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Disable a credential (reversible).
    Disable {
        /// Its id.
        id: i64,
    },
    /// Enable a disabled credential.
    Enable {
        /// Its id.
        id: i64,
    },
    /// Revoke a credential at once and for good.
    Revoke {
        /// Its id.
        id: i64,
    },
    /// Delete a credential's row (its audit history stays).
    Delete {
        /// Its id.
        id: i64,
    },
    /// Change a credential's description or auto-renewal (nothing else changes after issue).
    Edit(EditArgs),
    /// Renew a credential: the old one ends at --end-old, the new one is printed once.
    Renew(RenewArgs),
    /// Verify a token read from stdin: exit 0 when active, 1 when not.
    Verify(VerifyArgs),
    /// Serve the local HTTP API and deliver webhooks until interrupted.
    Serve(ServeArgs),
    /// Renewed credentials whose new tokens wait to be handed over.
    Renewals {
        /// What to do.
        #[command(subcommand)]
        command: RenewalsCommand,
    },
    /// Manage webhooks (account holder only).
    Webhook {
        /// What to do.
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Show the reverse proxies whose X-Forwarded-For the local API believes (forward auth),
    /// or set them (account holder and admins; a running API takes them at once).
    TrustedProxies {
        /// Replace them with these addresses or CIDR ranges (none: trust no proxy).
        #[arg(long, num_args = 0.., value_name = "CIDR")]
        set: Option<Vec<String>>,
    },
    /// Say whether renewal callbacks may go to private addresses (loopback and the private
    /// ranges), or allow or refuse them (the account holder's alone). Off unless allowed.
    PrivateCallbacks {
        /// Allow callbacks to private addresses.
        #[arg(long, conflicts_with = "refuse")]
        allow: bool,
        /// Refuse them (saved ones are refused when they are sent to).
        #[arg(long)]
        refuse: bool,
    },
    /// Print the local API's OpenAPI document, or with --postman the same as a Postman
    /// collection (v2.1; Bruno and Insomnia import it too). For the account holder and people
    /// with API access.
    ApiDocs {
        /// Print it as a Postman collection.
        #[arg(long)]
        postman: bool,
    },
    /// Change your own passphrase: the new one from $KEYSMITH_NEW_PASSPHRASE or, with
    /// --passphrase-stdin, the second line of stdin.
    Passwd,
    /// Give the vault a new data key (account holder; nothing else may have it open): every
    /// passphrase still opens it and every token still verifies.
    Rekey,
    /// Write an encrypted backup; its passphrase from $KEYSMITH_BACKUP_PASSPHRASE or the next
    /// line of stdin. Each operator's passphrase opens it too.
    Backup {
        /// The file to write (replaced if it exists).
        #[arg(long)]
        to: PathBuf,
    },
    /// Export the inventory without secrets (the file is NOT encrypted).
    Export(ExportArgs),
    /// Find leaked Keysmith tokens in files, folders and (--git) repository history: exit 1
    /// when an active one is found.
    Scan(ScanArgs),
    /// Print the audit log, oldest first, filtered; or (--verify) check its hash chain.
    Audit(AuditArgs),
    /// OAuth apps, the requests waiting for approval, and the connections users granted.
    Oauth {
        /// What to do.
        #[command(subcommand)]
        command: OauthCommand,
    },
    /// List the vault's users (account holder, admins, members), with their groups.
    People {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Add, change, offboard a user, or revoke all their credentials (account holder and
    /// admins).
    User {
        /// What to do.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// List, add, change or delete groups: the permissions they grant and block, their members.
    Group {
        /// What to do.
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// The catalogues of permissions and of applications credentials may be issued for.
    Catalogue {
        /// What to do.
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Print the vault's settings, or change some: --set auto_lock_minutes=15 --set
    /// api.port=8400 (account holder and admins).
    Settings(SettingsArgs),
    /// Print the scheduled-backup setting and its last run, or change it.
    BackupSchedule(BackupScheduleArgs),
    /// Invite a user to work on this team vault from a computer of theirs: prints the one-time
    /// invitation (valid 24 hours) alone on one line (account holder and admins).
    Invite {
        /// The user's e-mail address.
        email: String,
    },
    /// List the devices enrolled in this team vault (yours, or everyone's for admins), or
    /// remove one.
    Devices {
        /// Remove the device with this id: its next request is refused.
        #[arg(long, value_name = "ID")]
        remove: Option<i64>,
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// `keysmith user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; prints their id.
    Add(UserArgs),
    /// Change a user's name, e-mail address, role or API access (what is not given stays).
    Edit {
        /// The user's id or e-mail address.
        user: String,
        /// What to change.
        #[command(flatten)]
        changes: UserChanges,
    },
    /// Revoke every live credential of a user at once.
    RevokeAll {
        /// The user's id or e-mail address.
        user: String,
    },
    /// Remove a user: their credentials are revoked and deleted, or handed to --transfer-to.
    Offboard {
        /// The user's id or e-mail address.
        user: String,
        /// Hand their credentials to this user (id or e-mail) instead.
        #[arg(long)]
        transfer_to: Option<String>,
    },
}

/// A new user.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// Their name.
    #[arg(long)]
    pub name: String,
    /// Their e-mail address.
    #[arg(long)]
    pub email: String,
    /// Their role.
    #[arg(long, value_enum, default_value = "member")]
    pub role: RoleArg,
    /// They may hold credentials.
    #[arg(long)]
    pub api_access: bool,
}

/// A user's fields to change.
#[derive(Debug, Args)]
pub struct UserChanges {
    /// Their new name.
    #[arg(long)]
    pub name: Option<String>,
    /// Their new e-mail address.
    #[arg(long)]
    pub email: Option<String>,
    /// Their new role.
    #[arg(long, value_enum)]
    pub role: Option<RoleArg>,
    /// Whether they may hold credentials.
    #[arg(long)]
    pub api_access: Option<bool>,
}

/// Roles as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Manages users and every credential but the account holder's.
    Admin,
    /// Manages their own credentials.
    Member,
}

/// `keysmith group …`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List groups.
    List {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Add a group; prints its id.
    Add(GroupArgs),
    /// Replace a group's name, grants, blocks and members with those given.
    Edit {
        /// Its id.
        id: i64,
        /// The group as it should be.
        #[command(flatten)]
        group: GroupArgs,
    },
    /// Delete a group (its members stay).
    Delete {
        /// Its id.
        id: i64,
    },
}

/// A group as it should be.
#[derive(Debug, Args)]
pub struct GroupArgs {
    /// Its name.
    #[arg(long)]
    pub name: String,
    /// A permission it grants (repeat for more).
    #[arg(long = "grant")]
    pub grants: Vec<String>,
    /// A permission it blocks, whatever else grants it (repeat for more).
    #[arg(long = "block")]
    pub blocks: Vec<String>,
    /// It blocks its members' API access: their credentials stop verifying.
    #[arg(long)]
    pub block_api_access: bool,
    /// A member, by id or e-mail address (repeat for more).
    #[arg(long = "member")]
    pub members: Vec<String>,
}

/// `keysmith catalogue …`.
#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// List both catalogues.
    List {
        /// One JSON object: {"permissions": […], "applications": […]}.
        #[arg(long)]
        json: bool,
    },
    /// Add a permission or an application.
    Add {
        /// Which catalogue.
        #[arg(value_enum)]
        catalogue: CatalogueArg,
        /// Its name (permissions: `area:read` or `area:write`).
        name: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Remove a permission or an application.
    Remove {
        /// Which catalogue.
        #[arg(value_enum)]
        catalogue: CatalogueArg,
        /// Its name.
        name: String,
    },
}

/// The catalogues as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatalogueArg {
    /// Permissions (scopes).
    Permission,
    /// Applications.
    Application,
}

/// `keysmith settings`.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// Set one setting, NAME=VALUE (as `keysmith settings` prints them; nested with dots,
    /// e.g. api.port=8400); repeat for more. All are saved in one change, or none.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `keysmith backup-schedule`.
#[derive(Debug, Args)]
pub struct BackupScheduleArgs {
    /// How often: off, daily or weekly.
    #[arg(long, value_enum)]
    pub every: Option<BackupEveryArg>,
    /// The folder backups go into (absolute; it must exist).
    #[arg(long)]
    pub folder: Option<String>,
    /// How many are kept (1–365).
    #[arg(long)]
    pub keep: Option<u32>,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Backup frequencies as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackupEveryArg {
    /// Never.
    Off,
    /// Once a day.
    Daily,
    /// Once a week.
    Weekly,
}

/// `keysmith oauth …`.
#[derive(Debug, Subcommand)]
pub enum OauthCommand {
    /// Register, list, show, disable, enable or delete OAuth apps (account holder and admins).
    App {
        /// What to do.
        #[command(subcommand)]
        command: OauthAppCommand,
    },
    /// The requests waiting for approval, each with its user code.
    Pending {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Approve the request with this user code: a grant in your name, or another user's.
    Approve {
        /// The code the app's page or device shows, e.g. WXYZ-1234.
        code: String,
        /// Approve in the name of the user with this e-mail address (admins).
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Deny the request with this user code.
    Deny {
        /// The code the app's page or device shows.
        code: String,
    },
    /// The apps users granted access in their name.
    Connections {
        /// Only this user's (by e-mail address).
        #[arg(long)]
        user: Option<String>,
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a connection: every token of it stops at once.
    RevokeGrant {
        /// The connection's (grant's) id.
        id: i64,
    },
}

/// `keysmith oauth app …`.
#[derive(Debug, Subcommand)]
pub enum OauthAppCommand {
    /// Register an app; prints its id and client ID, and a confidential app's secret once.
    Add(OauthAppAddArgs),
    /// List apps.
    List {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show one app and its connections.
    Show {
        /// Its id.
        id: i64,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Disable an app: its tokens stop verifying until it is enabled again.
    Disable {
        /// Its id.
        id: i64,
    },
    /// Enable a disabled app.
    Enable {
        /// Its id.
        id: i64,
    },
    /// Delete an app and every grant it had.
    Delete {
        /// Its id.
        id: i64,
    },
}

/// `keysmith oauth app add`'s arguments.
#[derive(Debug, clap::Args)]
pub struct OauthAppAddArgs {
    /// The app's name.
    #[arg(long)]
    pub name: String,
    /// What it is, for the people who approve its requests.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Where it may send the browser back to (exact match); repeat for more.
    #[arg(long = "redirect-uri", required = true)]
    pub redirect_uris: Vec<String>,
    /// A public app (cannot keep a secret): PKCE alone, no client secret.
    #[arg(long)]
    pub public: bool,
    /// A scope it may ask for; repeat for more.
    #[arg(long = "scope", required = true)]
    pub scopes: Vec<String>,
    /// An application its tokens may be used for; repeat for more.
    #[arg(long = "application")]
    pub applications: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `keysmith renewals …`.
#[derive(Debug, Subcommand)]
pub enum RenewalsCommand {
    /// The renewed credentials whose new tokens wait to be handed over.
    List {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Print a renewed credential's new token, once; the vault keeps it no longer.
    Reveal {
        /// The renewed (new) credential's id.
        id: i64,
    },
    /// Run a credential's auto-renewal now; prints the new credential's id.
    Trigger {
        /// The credential's id.
        id: i64,
    },
}

/// `keysmith webhook …`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add a webhook; prints its id and signing secret once.
    Add(WebhookAddArgs),
    /// List webhooks.
    List {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show one webhook (hidden values masked).
    Show {
        /// Its id.
        id: i64,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Stop sending to a webhook.
    Disable {
        /// Its id.
        id: i64,
    },
    /// Send to a webhook again.
    Enable {
        /// Its id.
        id: i64,
    },
    /// Remove a webhook and its delivery log.
    Delete {
        /// Its id.
        id: i64,
    },
    /// Replace a webhook's signing secret; prints the new one once (the old one signs beside
    /// it for 24 hours).
    RollSecret {
        /// Its id.
        id: i64,
    },
    /// Send a `webhook.test` message and wait (up to 20 s) for the first attempt's outcome.
    Test {
        /// Its id.
        id: i64,
    },
    /// A webhook's delivery log, newest first.
    Deliveries {
        /// Its id.
        id: i64,
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// `keysmith webhook add`'s arguments. Secrets come from stdin, one line each, in this
/// order: the passphrase (with --passphrase-stdin), the Basic password (with
/// --basic-password-stdin), then each --hidden-header given without a value.
#[derive(Debug, clap::Args)]
pub struct WebhookAddArgs {
    /// Where deliveries go: https://…, or http:// to this computer.
    #[arg(long)]
    pub url: String,
    /// What it is for.
    #[arg(long, default_value = "")]
    pub description: String,
    /// An event to send, e.g. credential.revoked; repeat for more.
    #[arg(long = "event", required_unless_present = "all_events")]
    pub events: Vec<String>,
    /// Every event, including ones later versions add.
    #[arg(long, conflicts_with = "events")]
    pub all_events: bool,
    /// The HTTP Basic user name.
    #[arg(long, requires = "basic_password_stdin")]
    pub basic_user: Option<String>,
    /// Read the HTTP Basic password from a line of stdin.
    #[arg(long, requires = "basic_user")]
    pub basic_password_stdin: bool,
    /// A header to send, NAME=VALUE; repeat for more.
    #[arg(long = "header")]
    pub headers: Vec<String>,
    /// A header whose value is write-only: NAME (the value read from a line of stdin, as it
    /// should be: arguments are visible to every user of this machine) or NAME=VALUE.
    #[arg(long = "hidden-header")]
    pub hidden_headers: Vec<String>,
    /// One JSON object: {"id", "secret"}.
    #[arg(long)]
    pub json: bool,
}

/// `keysmith list`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only these statuses (repeat the flag, or separate them by commas).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub status: Vec<StatusArg>,
    /// Only this kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// One JSON array.
    #[arg(long)]
    pub json: bool,
}

/// `keysmith renew`'s arguments.
#[derive(Debug, clap::Args)]
pub struct RenewArgs {
    /// The credential to renew.
    pub id: i64,
    /// When the old one stops: YYYY-MM-DD (00:00 UTC) or `now`.
    #[arg(long)]
    pub end_old: String,
    /// When the new one expires: YYYY-MM-DD (00:00 UTC; default: the old one's lifetime from
    /// today). At most a year ahead, and within the vault's lifetime policy.
    #[arg(long)]
    pub expires: Option<String>,
    /// The new credential's name (default: the old one's, which steps aside).
    #[arg(long)]
    pub name: Option<String>,
    /// The new credential's description (default: the old one's).
    #[arg(long)]
    pub description: Option<String>,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `keysmith verify`'s arguments.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The token. Leave it out (or give `-`) to read it from stdin, as you should: arguments
    /// are visible to every user of the machine (ps, /proc).
    pub token: Option<String>,
    /// The application asking.
    #[arg(long)]
    pub application: Option<String>,
    /// A scope the token must grant.
    #[arg(long)]
    pub scope: Option<String>,
    /// The address the token is used from, for a credential with an allowlist.
    #[arg(long)]
    pub client_ip: Option<std::net::IpAddr>,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `keysmith export`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// JSON (credentials, users and groups) or CSV (one table).
    #[arg(long, value_enum, default_value_t = ExportFormatArg::Json)]
    pub format: ExportFormatArg,
    /// The table of a CSV export.
    #[arg(long, value_enum, default_value_t = ExportTableArg::Credentials)]
    pub table: ExportTableArg,
    /// The file to write (default: stdout).
    #[arg(long)]
    pub to: Option<PathBuf>,
}

/// An export's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    /// One JSON document.
    Json,
    /// A CSV table.
    Csv,
}

/// A CSV export's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTableArg {
    /// The credentials.
    Credentials,
    /// The people.
    Users,
    /// The groups.
    Groups,
}

/// `keysmith audit`'s arguments.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only entries whose actor, action, subject or details hold this text.
    #[arg(long)]
    pub search: Option<String>,
    /// Only entries of this action, e.g. credential.revoked.
    #[arg(long)]
    pub action: Option<String>,
    /// Only entries by this actor, as the log names them ("Ada Holder <ada@example.com>").
    #[arg(long)]
    pub actor: Option<String>,
    /// Only entries about this credential (deleted ones too).
    #[arg(long)]
    pub credential: Option<i64>,
    /// Only entries from this day on (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Only entries up to and including this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub until: Option<String>,
    /// One JSON array: each entry as hashed, with its hash and the previous entry's.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// A CSV table with the same columns, for reading.
    #[arg(long)]
    pub csv: bool,
    /// Recompute the whole hash chain instead: exit 0 when intact, 1 naming the first entry
    /// that no longer matches.
    #[arg(long, conflicts_with_all = ["json", "csv"])]
    pub verify: bool,
}

/// `keysmith scan`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and folders to scan.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also read every commit of the git repositories the paths are in.
    #[arg(long)]
    pub git: bool,
    /// Revoke the active credentials found (asks first, unless --yes).
    #[arg(long)]
    pub revoke: bool,
    /// Do not ask before revoking.
    #[arg(long, requires = "revoke")]
    pub yes: bool,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `keysmith serve`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Where to listen (default: the vault's API setting, 127.0.0.1:8700 unless changed).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Confirm listening beyond loopback; every call then needs a verifier key.
    #[arg(long)]
    pub allow_remote: bool,
    /// Require a verifier key on loopback too.
    #[arg(long)]
    pub require_verifier: bool,
    /// Serve as a team server: over TLS, answering enrolled devices' admin operations beside
    /// the verification API (listening beyond loopback needs no --allow-remote then).
    #[arg(long)]
    pub team: bool,
    /// The TLS certificate (PEM) of a team server; default: a self-signed one made beside the
    /// vault at first start.
    #[arg(long, requires = "tls_key", requires = "team")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS certificate's private key (PEM).
    #[arg(long, requires = "tls_cert", requires = "team")]
    pub tls_key: Option<PathBuf>,
    /// The https address devices reach this team server at, as invitations carry it (default:
    /// the listening address; needed when listening on every address).
    #[arg(long, requires = "team")]
    pub url: Option<String>,
}

/// `keysmith issue`'s arguments.
#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// Its name.
    #[arg(long)]
    pub name: String,
    /// The first day it no longer works, YYYY-MM-DD (UTC); at most 365 days ahead.
    #[arg(long)]
    pub expires: String,
    /// Its kind.
    #[arg(long, value_enum, default_value = "pat")]
    pub kind: KindArg,
    /// Its description.
    #[arg(long, default_value = "")]
    pub description: String,
    /// The owner's e-mail address or user id (default: you; none for `org`).
    #[arg(long)]
    pub owner: Option<String>,
    /// A scope from the owner's permissions; repeat for more.
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// What it may do with its scopes.
    #[arg(long, value_enum, default_value = "read_write")]
    pub rights: RightsArg,
    /// An application it may be used for; repeat for more (default: the catalogue's only
    /// application, when it has exactly one).
    #[arg(long = "application")]
    pub applications: Vec<String>,
    /// Requests per minute (1 to 10,000).
    #[arg(long, default_value_t = 30)]
    pub rate_limit: u32,
    /// A usage limit and where it may be used from, if wanted.
    #[command(flatten)]
    pub restrictions: RestrictionArgs,
    /// Issue it switched off: hand it over now, `keysmith enable ID` when it goes live.
    #[arg(long)]
    pub disabled: bool,
    /// Auto-renewal, if wanted.
    #[command(flatten)]
    pub auto_renewal: AutoRenewalArgs,
    /// One JSON object: {"id", "token"} (client credentials: {"id", "client_id", "client_secret"}).
    #[arg(long)]
    pub json: bool,
}

/// Auto-renewal as the command line sets it.
#[derive(Debug, clap::Args)]
pub struct AutoRenewalArgs {
    /// Renew automatically every DAYS days from issue (sooner than it expires).
    #[arg(long, value_name = "DAYS", requires = "renewal_recipient")]
    pub auto_renew_every: Option<u32>,
    /// Who is told about each renewal.
    #[arg(long, value_name = "EMAIL", requires = "auto_renew_every")]
    pub renewal_recipient: Option<String>,
    /// Where each renewal's claim key is POSTed (https, or http to this computer).
    #[arg(long, value_name = "URL", requires = "auto_renew_every")]
    pub renewal_callback: Option<String>,
}

/// `keysmith edit`'s arguments: what may change after issue.
#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The credential.
    pub id: i64,
    /// A new description.
    #[arg(long)]
    pub description: Option<String>,
    /// Auto-renewal settings to set.
    #[command(flatten)]
    pub auto_renewal: AutoRenewalArgs,
    /// Turn auto-renewal off.
    #[arg(long, conflicts_with = "auto_renew_every")]
    pub no_auto_renew: bool,
    /// A new usage limit (its uses full again) and allowlist (replacing the old one).
    #[command(flatten)]
    pub restrictions: RestrictionArgs,
    /// Remove the usage limit.
    #[arg(long, conflicts_with = "max_uses")]
    pub unlimited: bool,
    /// Remove the allowlist: usable from any address.
    #[arg(long, conflicts_with = "allowed_ips")]
    pub any_ip: bool,
}

/// A credential's usage limit and allowlist, at issue and in an edit.
#[derive(Debug, Args)]
pub struct RestrictionArgs {
    /// Successful verifications it may have (1 to 1,000,000,000).
    #[arg(long)]
    pub max_uses: Option<u32>,
    /// Fill the uses up again every day or month (00:00 UTC).
    #[arg(long, value_enum, requires = "max_uses")]
    pub refill: Option<RefillArg>,
    /// An address or CIDR range (IPv4 or IPv6) it may be used from; repeat for more.
    #[arg(long = "allow-ip", value_name = "CIDR")]
    pub allowed_ips: Vec<String>,
}

/// Refill periods as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RefillArg {
    /// Every day at 00:00 UTC.
    Daily,
    /// On the first of every month at 00:00 UTC.
    Monthly,
}

impl From<RefillArg> for keysmith_core::Refill {
    fn from(refill: RefillArg) -> Self {
        match refill {
            RefillArg::Daily => keysmith_core::Refill::Daily,
            RefillArg::Monthly => keysmith_core::Refill::Monthly,
        }
    }
}

/// Credential kinds as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Personal access token.
    Pat,
    /// API client (carries its owner's permissions).
    ApiClient,
    /// Client ID + client secret.
    ClientCredentials,
    /// Organization token (deprecated; needs the setting).
    Org,
    /// Verifier key: lets a service call the local API (no scopes, no applications).
    Verifier,
}

/// Rights as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RightsArg {
    /// Read only.
    #[value(name = "read")]
    Read,
    /// Read and write.
    #[value(name = "read_write")]
    ReadWrite,
}

/// Statuses as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// Verifies, and expires in more than a week.
    Active,
    /// Verifies, and expires within a week.
    ExpiringSoon,
    /// Renewed: verifies until its end date.
    Superseded,
    /// Its owner has no API access.
    Blocked,
    /// Switched off.
    Disabled,
    /// Revoked.
    Revoked,
    /// Past its expiry.
    Expired,
}
