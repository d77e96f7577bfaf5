//! `keysmith`: the headless command line over the same vault and core as the app. Secrets go
//! to stdout only from `issue` and `renew`; every error is one line on stderr with its code.

/// `println!` for the command's output, except that a closed pipe (`keysmith list | head`)
/// ends the command quietly, as it ends Unix tools: exit status 141, as a shell reports a tool
/// that SIGPIPE stopped, and no message.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::say_line(format_args!($($arg)*))
    };
}

mod args;
mod audit;
mod care;
mod door;
mod oauth;
mod people;
mod settings;
mod team;
mod webhooks;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::Parser;
use keysmith_core::{
    clock, AccountHolder, ApiSettings, AutoRenewal, CallbackUrl, CredentialFields, CredentialId,
    CredentialQuery, EmailAddress, IssueRequest, KdfParams, Keychain, Name, Refill, Rights, Secret,
    Status, TokenKind, Vault, Verification, VerificationRequest,
};
use keysmith_delivery::{Delivery, DeliveryConfig};
use keysmith_ops::{self as ops, CredentialChanges, CredentialRow, Revealed};

use door::{Call, Door};
use keysmith_server::Introspection;
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use args::{
    AutoRenewalArgs, BackupScheduleArgs, CatalogueCommand, Cli, Command, EditArgs, GroupCommand,
    IssueArgs, KindArg, ListArgs, OauthAppCommand, OauthCommand, RenewArgs, RenewalsCommand,
    RightsArg, ScanArgs, ServeArgs, StatusArg, VaultCommand, VerifyArgs, WebhookCommand,
};

/// Every heap block is zeroed when freed: secrets — tokens read from stdin, request bodies
/// `serve` read, answers it wrote — do not outlive the values that held them.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

/// Why a command failed: the core's error, or one of the command line's own.
pub(crate) enum Failure {
    Core(keysmith_core::Error),
    Usage(&'static str, String),
    /// A team server refused, could not be reached or trusted.
    Client(keysmith_client::ClientError),
}

impl From<keysmith_client::ClientError> for Failure {
    fn from(error: keysmith_client::ClientError) -> Self {
        Failure::Client(error)
    }
}

impl From<keysmith_core::Error> for Failure {
    fn from(error: keysmith_core::Error) -> Self {
        Failure::Core(error)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::Core(error.into())
    }
}

/// The exit status of a command whose output pipe was closed (128 + SIGPIPE).
const CLOSED_PIPE: u8 = 141;

/// Writes one line of output (see `say!`).
fn say_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(error) = writeln!(out, "{line}") {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(CLOSED_PIPE));
        }
        eprintln!("error: io: {error}");
        std::process::exit(2);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Core(keysmith_core::Error::Io(error)))
            if error.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::from(CLOSED_PIPE)
        }
        Err(Failure::Core(error)) => {
            eprintln!("error: {}: {error}", error.code());
            ExitCode::from(2)
        }
        Err(Failure::Usage(code, message)) => {
            eprintln!("error: {code}: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Client(error)) => {
            eprintln!("error: {}: {error}", error.code());
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let passphrase = passphrase(cli.passphrase_stdin)?;
    let command = match cli.command {
        Command::Join { name } => return team::join(&name, passphrase.as_ref()),
        Command::Init { name, email } => {
            return init(&vault_path(cli.vault)?, passphrase, &name, email)
        }
        Command::Restore { from } => {
            let path = vault_path(cli.vault)?;
            let unlock = |reads_only| unlock(&path, passphrase.as_ref(), reads_only);
            return care::restore(&path, &from, unlock);
        }
        Command::Vault(command) => command,
    };
    // Reading commands open the vault read-only: they write nothing, not even an audit row,
    // so they work on a vault the user may only read. Sessions that change it are audited.
    let reads_only = matches!(
        command,
        VaultCommand::List(_)
            | VaultCommand::Show { .. }
            | VaultCommand::Verify(_)
            | VaultCommand::TrustedProxies { set: None }
            | VaultCommand::PrivateCallbacks {
                allow: false,
                refuse: false
            }
            | VaultCommand::ApiDocs { .. }
            | VaultCommand::Scan(ScanArgs { revoke: false, .. })
            | VaultCommand::Audit(_)
            | VaultCommand::Renewals {
                command: RenewalsCommand::List { .. }
            }
            | VaultCommand::Webhook {
                command: WebhookCommand::List { .. }
                    | WebhookCommand::Show { .. }
                    | WebhookCommand::Deliveries { .. }
            }
            | VaultCommand::Oauth {
                command: OauthCommand::Pending { .. }
                    | OauthCommand::Connections { .. }
                    | OauthCommand::App {
                        command: OauthAppCommand::List { .. } | OauthAppCommand::Show { .. }
                    }
            }
            | VaultCommand::People { .. }
            | VaultCommand::Group {
                command: GroupCommand::List { .. }
            }
            | VaultCommand::Catalogue {
                command: CatalogueCommand::List { .. }
            }
            | VaultCommand::BackupSchedule(BackupScheduleArgs {
                every: None,
                folder: None,
                keep: None,
                ..
            })
    ) || matches!(&command, VaultCommand::Settings(args) if args.set.is_empty())
        || matches!(&command, VaultCommand::Devices { remove: None, .. });
    let mut door = match cli.remote {
        Some(profile) => Door::Remote(team::remote(&profile, passphrase.as_ref())?),
        None => Door::Local(unlock(
            &vault_path(cli.vault)?,
            passphrase.as_ref(),
            reads_only,
        )?),
    };
    match command {
        VaultCommand::Issue(args) => issue(&mut door, &args),
        VaultCommand::List(args) => list(&mut door, &args),
        VaultCommand::Show { id, json } => show(&mut door, id, json),
        VaultCommand::Disable { id } => switch(&mut door, id, false),
        VaultCommand::Enable { id } => switch(&mut door, id, true),
        VaultCommand::Revoke { id } => {
            let revoked = ops::RevokeCredential {
                id: CredentialId(id),
                confirm_name: None,
            }
            .on(&mut door)?;
            report(&revoked, "revoked")
        }
        VaultCommand::Delete { id } => {
            ops::DeleteCredential {
                id: CredentialId(id),
                confirm_name: None,
            }
            .on(&mut door)?;
            say!("deleted {id}");
            Ok(ExitCode::SUCCESS)
        }
        VaultCommand::Renew(args) => renew(&mut door, &args),
        VaultCommand::Edit(args) => edit(&mut door, &args),
        VaultCommand::TrustedProxies { set } => trusted_proxies(&mut door, set),
        VaultCommand::PrivateCallbacks { allow, refuse } => {
            private_callbacks(&mut door, allow, refuse)
        }
        VaultCommand::Renewals { command } => renewals(&mut door, command),
        VaultCommand::People { json } => people::people(&mut door, json),
        VaultCommand::User { command } => people::user(&mut door, command),
        VaultCommand::Group { command } => people::group(&mut door, command),
        VaultCommand::Catalogue { command } => people::catalogue(&mut door, command),
        VaultCommand::Settings(args) => settings::settings(&mut door, args),
        VaultCommand::BackupSchedule(args) => settings::backup_schedule(&mut door, args),
        VaultCommand::Invite { email } => team::invite(&mut door, &email),
        VaultCommand::Devices { remove, json } => team::devices(&mut door, remove, json),
        VaultCommand::Verify(args) => verify(door.vault("verify")?, &args),
        VaultCommand::Serve(args) => match door {
            Door::Local(vault) => serve(vault, &args),
            Door::Remote(_) => Err(door::not_remote("serve")),
        },
        VaultCommand::Webhook { command } => webhooks::run(door.vault("webhook")?, command),
        VaultCommand::Oauth { command } => oauth::run(door.vault("oauth")?, command),
        VaultCommand::ApiDocs { postman } => api_docs(door.vault("api-docs")?, postman),
        VaultCommand::Passwd => care::passwd(door.vault("passwd")?, passphrase.as_ref()),
        VaultCommand::Rekey => care::rekey(door.vault("rekey")?),
        VaultCommand::Backup { to } => care::backup(door.vault("backup")?, &to),
        VaultCommand::Export(args) => care::export(door.vault("export")?, &args),
        VaultCommand::Scan(args) => care::scan(door.vault("scan")?, &args),
        VaultCommand::Audit(args) => audit::run(door.vault("audit")?, &args),
    }
}

/// Unlocks the vault at `path` with `passphrase`, or else the key this device remembers; for
/// reading only when `reads_only`.
fn unlock(path: &Path, passphrase: Option<&Secret>, reads_only: bool) -> Result<Vault, Failure> {
    Ok(match (passphrase, reads_only) {
        (Some(passphrase), false) => Vault::unlock(path, passphrase, clock::system())?,
        (Some(passphrase), true) => Vault::unlock_read_only(path, passphrase, clock::system())?,
        (None, false) => Vault::unlock_from_keychain(path, &Keychain, clock::system())?
            .ok_or_else(no_passphrase)?,
        (None, true) => Vault::unlock_from_keychain_read_only(path, &Keychain, clock::system())?
            .ok_or_else(no_passphrase)?,
    })
}

/// `keysmith init`: creates the vault with its account holder.
fn init(
    path: &Path,
    passphrase: Option<Secret>,
    name: &str,
    email: String,
) -> Result<ExitCode, Failure> {
    let passphrase = passphrase.ok_or_else(no_passphrase)?;
    let holder = AccountHolder {
        name: Name::new(name)?,
        email: EmailAddress::try_from(email)?,
    };
    let vault = Vault::create(
        path,
        &passphrase,
        &holder,
        KdfParams::DEFAULT,
        clock::system(),
    )?;
    say!("created {}", vault.path().display());
    Ok(ExitCode::SUCCESS)
}

/// `keysmith issue`: prints the new secret(s) once. Auto-renewal settings are checked before
/// anything is issued, then set on the new credential.
fn issue(door: &mut Door, args: &IssueArgs) -> Result<ExitCode, Failure> {
    let request = issue_request(door, args)?;
    let renewal = auto_renewal(&args.auto_renewal)?;
    if let Some(settings) = &renewal {
        let now = chrono::Utc::now();
        settings.validate(request.validate(now)?.expiry.at() - now)?;
    }
    let issued = ops::IssueCredential { request }.on(door)?;
    if let Some(settings) = renewal {
        let changes = Map::from_iter([("auto_renewal".to_owned(), json!(settings))]);
        ops::EditCredential {
            id: issued.credential.credential.id,
            changes: CredentialChanges(changes),
        }
        .on(door)?;
    }
    print_issued(&issued, args.json);
    Ok(ExitCode::SUCCESS)
}

/// `keysmith enable` and `disable`.
fn switch(door: &mut Door, id: i64, enabled: bool) -> Result<ExitCode, Failure> {
    let id = CredentialId(id);
    let row = ops::SetCredentialEnabled { id, enabled }.on(door)?;
    report(&row, if enabled { "enabled" } else { "disabled" })
}

/// `keysmith edit`: the description, auto-renewal settings, usage limit and allowlist, in one
/// audited change.
fn edit(door: &mut Door, args: &EditArgs) -> Result<ExitCode, Failure> {
    let mut changes = Map::new();
    if let Some(description) = &args.description {
        changes.insert("description".into(), json!(description));
    }
    match (auto_renewal(&args.auto_renewal)?, args.no_auto_renew) {
        (_, true) => changes.insert("auto_renewal".into(), Value::Null),
        (Some(settings), false) => changes.insert("auto_renewal".into(), json!(settings)),
        (None, false) => None,
    };
    match (args.restrictions.max_uses, args.unlimited) {
        (_, true) => changes.insert("usage_limit".into(), Value::Null),
        (Some(max_uses), false) => changes.insert(
            "usage_limit".into(),
            json!({
                "max_uses": max_uses,
                "refill": args.restrictions.refill.map(Refill::from),
            }),
        ),
        (None, false) => None,
    };
    if args.any_ip {
        changes.insert("allowed_ips".into(), json!([]));
    } else if !args.restrictions.allowed_ips.is_empty() {
        changes.insert("allowed_ips".into(), json!(args.restrictions.allowed_ips));
    }
    if changes.is_empty() {
        return Err(Failure::Usage(
            "nothing_to_edit",
            "give --description, --auto-renew-every …, --no-auto-renew, --max-uses, \
             --unlimited, --allow-ip or --any-ip"
                .into(),
        ));
    }
    let edited = ops::EditCredential {
        id: CredentialId(args.id),
        changes: CredentialChanges(changes),
    }
    .on(door)?;
    report(&edited, "edited")
}

/// The auto-renewal the flags ask for, if any.
fn auto_renewal(args: &AutoRenewalArgs) -> Result<Option<AutoRenewal>, Failure> {
    let (Some(every_days), Some(recipient)) = (args.auto_renew_every, &args.renewal_recipient)
    else {
        return Ok(None);
    };
    Ok(Some(AutoRenewal {
        every_days,
        recipient: EmailAddress::try_from(recipient.clone())?,
        callback_url: args
            .renewal_callback
            .clone()
            .map(CallbackUrl::try_from)
            .transpose()?,
    }))
}

/// `keysmith list`: one line (or one JSON object) per credential, as the window's rows.
fn list(door: &mut Door, args: &ListArgs) -> Result<ExitCode, Failure> {
    let query = CredentialQuery {
        statuses: args.status.iter().copied().map(status_of).collect(),
        kind: args.kind.map(kind_of),
        ..CredentialQuery::default()
    };
    let rows = ops::ListCredentials { query: Some(query) }.on(door)?.rows;
    if args.json {
        say!("{}", serde_json::to_value(&rows).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    for row in &rows {
        let c = &row.credential;
        say!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            c.id.0,
            c.name,
            c.kind.as_str(),
            c.owner_name.as_deref().unwrap_or("organization"),
            row.status.as_str(),
            c.expires_at.format("%Y-%m-%d"),
            row.status_note,
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith show`: one credential as the window's row, pretty or as one line of JSON.
fn show(door: &mut Door, id: i64, json: bool) -> Result<ExitCode, Failure> {
    let detail = ops::ShowCredential {
        id: CredentialId(id),
    }
    .on(door)?;
    let shown = serde_json::to_value(&detail.credential).unwrap_or_default();
    if json {
        say!("{shown}");
    } else {
        say!(
            "{}",
            serde_json::to_string_pretty(&shown).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith renew`: the old credential ends at `--end-old`; the new secret is printed once.
fn renew(door: &mut Door, args: &RenewArgs) -> Result<ExitCode, Failure> {
    let now = args.end_old == "now";
    let renewed = ops::RenewCredential {
        id: CredentialId(args.id),
        old_ends_in_seconds: now.then_some(0),
        old_ends_on: (!now).then(|| args.end_old.clone()),
        expires_on: args.expires.clone(),
        name: args.name.clone(),
        description: args.description.clone(),
    }
    .on(door)?;
    print_issued(&renewed, args.json);
    Ok(ExitCode::SUCCESS)
}

/// `keysmith verify`: exit 0 when the token is active, 1 when not.
fn verify(vault: &Vault, args: &VerifyArgs) -> Result<ExitCode, Failure> {
    let token = match args.token.as_deref() {
        None | Some("-") => read_line()?,
        Some(token) => {
            eprintln!(
                "warning: a token given as an argument is visible to other users of this \
                 machine; pipe it in instead: keysmith verify < token-file"
            );
            Secret::new(token.to_owned())
        }
    };
    // The vault is open read-only: a usage limit is checked, not spent.
    let answer = vault.verify_request(
        token.expose(),
        &VerificationRequest {
            scope: args.scope.as_deref(),
            application: args.application.as_deref(),
            client_ip: args.client_ip,
            as_user: None,
        },
    )?;
    Ok(print_verification(&answer, args.json))
}

/// `keysmith api-docs [--postman]`: the OpenAPI document, or the Postman collection made from
/// it for the address the API listens on.
fn api_docs(vault: &Vault, postman: bool) -> Result<ExitCode, Failure> {
    vault.require_api_documentation()?;
    say!(
        "{}",
        match postman {
            true => keysmith_server::docs::postman_collection(
                &vault.settings()?.api.listen().to_string()
            ),
            false => keysmith_server::openapi_json(),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `keysmith trusted-proxies [--set CIDR…]`: one range a line, after setting them if asked.
fn trusted_proxies(door: &mut Door, set: Option<Vec<String>>) -> Result<ExitCode, Failure> {
    let proxies = match set {
        Some(proxies) => ops::SetTrustedProxies { proxies }.on(door)?,
        None => ops::TrustedProxies {}.on(door)?,
    };
    for range in proxies {
        say!("{range}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith private-callbacks [--allow | --refuse]`: `allowed` or `refused`, after setting it
/// if asked.
fn private_callbacks(door: &mut Door, allow: bool, refuse: bool) -> Result<ExitCode, Failure> {
    let state = if allow || refuse {
        ops::SetPrivateCallbacks { allowed: allow }.on(door)?
    } else {
        ops::PrivateCallbacksOf {}.on(door)?
    };
    say!("{}", if state.allowed { "allowed" } else { "refused" });
    Ok(ExitCode::SUCCESS)
}

/// `keysmith serve`: the vault's API settings, overridden by the flags; with `--team`, over
/// TLS and answering enrolled devices too.
fn serve(vault: Vault, args: &ServeArgs) -> Result<ExitCode, Failure> {
    let mut api = vault.settings()?.api;
    if let Some(listen) = args.listen {
        api.address = listen.ip();
        api.port = listen.port();
    }
    // A team server is meant for other computers: --team is the confirmation.
    api.allow_remote |= args.allow_remote || args.team;
    api.require_verifier |= args.require_verifier;
    api.validate()?;
    let team = if args.team {
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => keysmith_server::tls::from_files(cert, key),
            _ => keysmith_server::tls::beside_vault(vault.path(), &[api.address.to_string()]),
        }
        .map_err(|error| Failure::Usage("tls_unusable", error.to_string()))?;
        if args.url.is_none() && api.address.is_unspecified() {
            return Err(Failure::Usage(
                "url_needed",
                "listening on every address: give --url, the https address devices reach this \
                 server at"
                    .into(),
            ));
        }
        Some(Team {
            tls,
            url: args
                .url
                .as_ref()
                .map(|url| url.trim_end_matches('/').to_owned()),
        })
    } else {
        None
    };
    serve_api(vault, &api, team)?;
    Ok(ExitCode::SUCCESS)
}

/// `keysmith renewals …`: what waits to be handed over, handing one over, renewing now.
fn renewals(door: &mut Door, command: RenewalsCommand) -> Result<ExitCode, Failure> {
    match command {
        RenewalsCommand::List { json } => {
            let waiting = ops::PendingHandovers {}.on(door)?;
            if json {
                say!("{}", serde_json::to_string(&waiting).unwrap_or_default());
            } else if waiting.is_empty() {
                say!("nothing waits to be handed over");
            }
            for handover in waiting.iter().filter(|_| !json) {
                say!(
                    "{}\t{}\trenewed {} from {}\texpires {}",
                    handover.successor_id.0,
                    handover.name,
                    handover.renewed_at.to_rfc3339(),
                    handover.predecessor_id.0,
                    handover.expires_at.date_naive()
                );
            }
        }
        RenewalsCommand::Reveal { id } => {
            let handed = ops::HandOver {
                id: CredentialId(id),
            }
            .on(door)?;
            say!("{}", handed.token.expose());
            eprintln!("the vault no longer keeps this token");
        }
        RenewalsCommand::Trigger { id } => {
            let successor = ops::RenewNow {
                id: CredentialId(id),
            }
            .on(door)?;
            say!(
                "renewed {id}: new credential {}; its token waits in `keysmith renewals list`",
                successor.0
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--vault`, or `keysmith.vault` in the app's data folder.
fn vault_path(given: Option<PathBuf>) -> Result<PathBuf, Failure> {
    match given {
        Some(path) => Ok(path),
        None => dirs::data_dir()
            .map(|dir| dir.join("dev.keysmith.app").join("keysmith.vault"))
            .ok_or_else(|| Failure::Usage("no_vault", "no app-data folder; pass --vault".into())),
    }
}

/// The passphrase from stdin (with `--passphrase-stdin`) or `$KEYSMITH_PASSPHRASE`, if given.
fn passphrase(from_stdin: bool) -> Result<Option<Secret>, Failure> {
    if from_stdin {
        return read_line().map(Some);
    }
    Ok(std::env::var("KEYSMITH_PASSPHRASE").ok().map(Secret::new))
}

/// One line of stdin, without its line ending; the buffer is wiped.
pub(crate) fn read_line() -> Result<Secret, Failure> {
    let mut line = Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n']).to_owned()))
}

fn no_passphrase() -> Failure {
    Failure::Usage(
        "no_passphrase",
        "set KEYSMITH_PASSPHRASE, pass --passphrase-stdin, or remember the vault on this device"
            .into(),
    )
}

pub(crate) fn date(text: &str) -> Result<NaiveDate, Failure> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Failure::Usage("invalid_date", format!("{text:?}: dates are YYYY-MM-DD")))
}

/// The credential `args` ask for, with the defaults filled in: the operator as owner, the
/// catalogue's only application.
fn issue_request(door: &mut Door, args: &IssueArgs) -> Result<IssueRequest, Failure> {
    let kind = kind_of(args.kind);
    let default_applications = args.applications.is_empty() && kind != TokenKind::Verifier;
    // The people and catalogues, read once, where a default comes from them.
    let people = if kind != TokenKind::OrganizationToken || default_applications {
        Some((ops::ShowPeople {}).on(door)?)
    } else {
        None
    };
    let owner_id = match (&args.owner, &people) {
        (_, _) if kind == TokenKind::OrganizationToken => None,
        (None, Some(people)) => Some(people.operator.user_id),
        (Some(owner), Some(people)) => Some(people::named_user(&people.users, owner)?.id),
        (_, None) => None,
    };
    let applications = match (&people, default_applications) {
        (Some(people), true) => match people.applications.as_slice() {
            [only] => vec![only.name.clone()],
            _ => Vec::new(),
        },
        _ => args.applications.clone(),
    };
    Ok(IssueRequest {
        fields: CredentialFields {
            kind,
            owner_id,
            name: args.name.clone(),
            description: args.description.clone(),
            scopes: args.scopes.clone(),
            rights: match args.rights {
                RightsArg::Read => Rights::Read,
                RightsArg::ReadWrite => Rights::ReadWrite,
            },
            applications,
            rate_limit: Some(args.rate_limit),
            max_uses: args.restrictions.max_uses,
            refill: args.restrictions.refill.map(Into::into),
            allowed_ips: args.restrictions.allowed_ips.clone(),
        },
        expires_on: args.expires.clone(),
        disabled: args.disabled,
    })
}

fn kind_of(kind: KindArg) -> TokenKind {
    match kind {
        KindArg::Pat => TokenKind::PersonalAccessToken,
        KindArg::ApiClient => TokenKind::ApiClient,
        KindArg::ClientCredentials => TokenKind::ClientCredentials,
        KindArg::Org => TokenKind::OrganizationToken,
        KindArg::Verifier => TokenKind::Verifier,
    }
}

fn status_of(status: StatusArg) -> Status {
    match status {
        StatusArg::Active => Status::Active,
        StatusArg::ExpiringSoon => Status::ExpiringSoon,
        StatusArg::Superseded => Status::Superseded,
        StatusArg::Blocked => Status::Blocked,
        StatusArg::Disabled => Status::Disabled,
        StatusArg::Revoked => Status::Revoked,
        StatusArg::Expired => Status::Expired,
    }
}

/// Prints a new credential's secret(s): the only time they are shown.
fn print_issued(issued: &Revealed, as_json: bool) {
    let credential = &issued.credential.credential;
    let id = credential.id.0;
    let token = issued.token.expose();
    match (&credential.client_id, as_json) {
        (Some(client_id), true) => {
            say!(
                "{}",
                json!({ "id": id, "client_id": client_id, "client_secret": token })
            )
        }
        (None, true) => say!("{}", json!({ "id": id, "token": token })),
        (Some(client_id), false) => {
            say!("id: {id}\nclient_id: {client_id}\nclient_secret: {token}")
        }
        (None, false) => say!("id: {id}\ntoken: {token}"),
    }
}

fn report(row: &CredentialRow, what: &str) -> Result<ExitCode, Failure> {
    say!("{what} {} ({})", row.credential.id.0, row.credential.name);
    Ok(ExitCode::SUCCESS)
}

/// Prints a verification; exit 0 when active, 1 when not. The JSON is the local API's
/// answer, to the letter.
fn print_verification(answer: &Verification, as_json: bool) -> ExitCode {
    if as_json {
        say!(
            "{}",
            serde_json::to_string(&Introspection::from(answer)).unwrap_or_default()
        );
    }
    match answer {
        Verification::Active(verified) => {
            if !as_json {
                let c = &verified.credential;
                say!(
                    "active: {} ({}), scopes: {}",
                    c.name,
                    c.id.0,
                    verified.scopes.join(" ")
                );
                if let Some(left) = verified.remaining {
                    say!("uses left: {left}");
                }
                if let Some(successor) = verified.superseded_by {
                    say!(
                        "renewed: superseded by {}, good until {}",
                        successor.0,
                        verified.expires_at.to_rfc3339()
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Verification::ActiveOAuth(verified) => {
            if !as_json {
                say!(
                    "active: OAuth access token of {} for {} (connection {}), scopes: {}",
                    verified.client_id,
                    verified.user_name.as_deref().unwrap_or("?"),
                    verified.grant.0,
                    verified.scopes.join(" ")
                );
            }
            ExitCode::SUCCESS
        }
        Verification::Inactive(reason) => {
            if !as_json {
                say!("not active: {}", reason.as_str());
            }
            ExitCode::from(1)
        }
    }
}

/// Serves the API as `api` says, and delivers webhooks, until SIGINT or SIGTERM. One thread answers: every
/// verification goes through the vault's one connection anyway, so more threads would only
/// wait for it (measured: more requests/s and a shorter tail with one, see README); the
/// once-a-second write of "last used" runs on a thread of its own.
/// A team server's TLS, and the address invitations carry (default: where it listens).
struct Team {
    tls: keysmith_server::tls::Tls,
    url: Option<String>,
}

fn serve_api(mut vault: Vault, api: &ApiSettings, team: Option<Team>) -> Result<(), Failure> {
    // The server's log goes to stderr (info, or $RUST_LOG); nothing logged carries a secret.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(api.listen()).await?;
        let access = keysmith_server::Access::for_settings(api);
        let delivery = Delivery::start(vault.open_again()?, DeliveryConfig::default())
            .map_err(|error| Failure::Usage("delivery_unavailable", error.to_string()))?;
        let state = match &team {
            None => {
                say!("listening on http://{}", listener.local_addr()?);
                keysmith_server::ApiState::new(vault, access)?
            }
            Some(team) => {
                let listening = format!("https://{}", listener.local_addr()?);
                let url = team.url.clone().unwrap_or_else(|| listening.clone());
                let fingerprint = team.tls.fingerprint;
                vault.set_team_server(&keysmith_core::TeamServer { url, fingerprint })?;
                say!("listening on {listening}");
                say!("certificate fingerprint {fingerprint}");
                keysmith_server::ApiState::team(vault, access, fingerprint, team.url.clone())?
            }
        };
        let limits = keysmith_server::ConnectionLimits::default();
        let tls = team.map(|team| team.tls);
        keysmith_server::serve_tls_within(listener, Arc::clone(&state), limits, tls, stopped())
            .await?;
        delivery.stop().await;
        Ok(())
    })
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
