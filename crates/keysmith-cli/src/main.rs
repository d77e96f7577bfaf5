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
mod oauth;
mod webhooks;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use clap::Parser;
use keysmith_core::{
    clock, AccountHolder, ApiSettings, AutoRenewal, CallbackUrl, Credential, CredentialEdit,
    CredentialFields, CredentialId, CredentialQuery, Description, EmailAddress, Expiry,
    IpAllowlist, IssueRequest, Issued, KdfParams, Keychain, Name, Renewal, Rights, Secret, Status,
    TokenKind, UsageLimit, UserId, Vault, Verification, VerificationRequest,
};
use keysmith_delivery::{Delivery, DeliveryConfig};
use keysmith_server::Introspection;
use serde_json::json;
use zeroize::Zeroizing;

use args::{
    AutoRenewalArgs, Cli, Command, EditArgs, IssueArgs, KindArg, ListArgs, OauthAppCommand,
    OauthCommand, RenewArgs, RenewalsCommand, RightsArg, ScanArgs, ServeArgs, StatusArg,
    VaultCommand, VerifyArgs, WebhookCommand,
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
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let path = vault_path(cli.vault)?;
    let passphrase = passphrase(cli.passphrase_stdin)?;
    let command = match cli.command {
        Command::Init { name, email } => return init(&path, passphrase, &name, email),
        Command::Restore { from } => {
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
    );
    let mut vault = unlock(&path, passphrase.as_ref(), reads_only)?;
    match command {
        VaultCommand::Issue(args) => issue(&mut vault, &args),
        VaultCommand::List(args) => list(&vault, &args),
        VaultCommand::Show { id, json } => show(&vault, id, json),
        VaultCommand::Disable { id } => {
            report(vault.set_enabled(CredentialId(id), false)?, "disabled")
        }
        VaultCommand::Enable { id } => {
            report(vault.set_enabled(CredentialId(id), true)?, "enabled")
        }
        VaultCommand::Revoke { id } => report(vault.revoke(CredentialId(id))?, "revoked"),
        VaultCommand::Delete { id } => {
            vault.delete(CredentialId(id))?;
            say!("deleted {id}");
            Ok(ExitCode::SUCCESS)
        }
        VaultCommand::Renew(args) => renew(&mut vault, &args),
        VaultCommand::Edit(args) => edit(&mut vault, &args),
        VaultCommand::Verify(args) => verify(&vault, &args),
        VaultCommand::Serve(args) => serve(vault, &args),
        VaultCommand::Webhook { command } => webhooks::run(&mut vault, command),
        VaultCommand::Oauth { command } => oauth::run(&mut vault, command),
        VaultCommand::Renewals { command } => renewals(&mut vault, command),
        VaultCommand::TrustedProxies { set } => trusted_proxies(&mut vault, set),
        VaultCommand::PrivateCallbacks { allow, refuse } => {
            private_callbacks(&mut vault, allow, refuse)
        }
        VaultCommand::ApiDocs { postman } => api_docs(&vault, postman),
        VaultCommand::Passwd => care::passwd(&mut vault, passphrase.as_ref()),
        VaultCommand::Rekey => care::rekey(&mut vault),
        VaultCommand::Backup { to } => care::backup(&mut vault, &to),
        VaultCommand::Export(args) => care::export(&mut vault, &args),
        VaultCommand::Scan(args) => care::scan(&mut vault, &args),
        VaultCommand::Audit(args) => audit::run(&vault, &args),
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
fn issue(vault: &mut Vault, args: &IssueArgs) -> Result<ExitCode, Failure> {
    let now = vault.now();
    let new = issue_request(vault, args)?.validate(now)?;
    let renewal = auto_renewal(&args.auto_renewal)?;
    if let Some(settings) = &renewal {
        settings.validate(new.expiry.at() - now)?;
    }
    let issued = vault.issue(&new)?;
    if renewal.is_some() {
        let edit = CredentialEdit {
            auto_renewal: Some(renewal),
            ..CredentialEdit::default()
        };
        vault.edit(issued.credential.id, &edit)?;
    }
    print_issued(&issued, args.json);
    Ok(ExitCode::SUCCESS)
}

/// `keysmith edit`: the description, auto-renewal settings, usage limit and allowlist, in one
/// audited change.
fn edit(vault: &mut Vault, args: &EditArgs) -> Result<ExitCode, Failure> {
    let auto_renewal = match (auto_renewal(&args.auto_renewal)?, args.no_auto_renew) {
        (_, true) => Some(None),
        (Some(settings), false) => Some(Some(settings)),
        (None, false) => None,
    };
    let edit = CredentialEdit {
        description: args
            .description
            .as_deref()
            .map(Description::new)
            .transpose()?,
        auto_renewal,
        usage: match (args.restrictions.max_uses, args.unlimited) {
            (_, true) => Some(None),
            (Some(max_uses), false) => Some(Some(UsageLimit::new(
                max_uses,
                args.restrictions.refill.map(Into::into),
            )?)),
            (None, false) => None,
        },
        allowed_ips: if args.any_ip {
            Some(IpAllowlist::default())
        } else if args.restrictions.allowed_ips.is_empty() {
            None
        } else {
            Some(IpAllowlist::parse(&args.restrictions.allowed_ips)?)
        },
    };
    if edit == CredentialEdit::default() {
        return Err(Failure::Usage(
            "nothing_to_edit",
            "give --description, --auto-renew-every …, --no-auto-renew, --max-uses, \
             --unlimited, --allow-ip or --any-ip"
                .into(),
        ));
    }
    report(vault.edit(CredentialId(args.id), &edit)?, "edited")
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

/// `keysmith list`: one line (or one JSON object) per credential.
fn list(vault: &Vault, args: &ListArgs) -> Result<ExitCode, Failure> {
    let query = CredentialQuery {
        statuses: args.status.iter().copied().map(status_of).collect(),
        kind: args.kind.map(kind_of),
        ..CredentialQuery::default()
    };
    let now = vault.now();
    let credentials = vault.query_credentials(&query)?;
    if args.json {
        let rows: Vec<_> = credentials
            .iter()
            .map(|c| credential_json(c, now))
            .collect();
        say!("{}", serde_json::Value::Array(rows));
    } else {
        for c in &credentials {
            let status = c.status(now);
            say!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                c.id.0,
                c.name,
                c.kind.as_str(),
                c.owner_name.as_deref().unwrap_or("organization"),
                status.as_str(),
                c.expires_at.format("%Y-%m-%d"),
                c.status_note(status),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith show`: one credential, pretty or as one line of JSON.
fn show(vault: &Vault, id: i64, json: bool) -> Result<ExitCode, Failure> {
    let shown = credential_json(&vault.credential(CredentialId(id))?, vault.now());
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
fn renew(vault: &mut Vault, args: &RenewArgs) -> Result<ExitCode, Failure> {
    let old_ends_at = if args.end_old == "now" {
        vault.now()
    } else {
        date(&args.end_old)?.and_time(NaiveTime::MIN).and_utc()
    };
    let renewal = Renewal {
        old_ends_at,
        new_expiry: (args.expires.as_deref())
            .map(|date| Expiry::parse_date(date, vault.now()))
            .transpose()?,
        name: args.name.as_deref().map(Name::new).transpose()?,
        description: (args.description.as_deref())
            .map(Description::new)
            .transpose()?,
    };
    print_issued(&vault.renew(CredentialId(args.id), &renewal)?, args.json);
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
fn trusted_proxies(vault: &mut Vault, set: Option<Vec<String>>) -> Result<ExitCode, Failure> {
    let proxies = match set {
        Some(entries) => vault.set_trusted_proxies(&entries)?,
        None => vault.trusted_proxies()?.as_ref().clone(),
    };
    for range in proxies.to_strings() {
        say!("{range}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith private-callbacks [--allow | --refuse]`: `allowed` or `refused`, after setting it
/// if asked.
fn private_callbacks(vault: &mut Vault, allow: bool, refuse: bool) -> Result<ExitCode, Failure> {
    if allow || refuse {
        vault.set_private_callbacks(allow)?;
    }
    let state = match vault.private_callbacks_allowed()? {
        true => "allowed",
        false => "refused",
    };
    say!("{state}");
    Ok(ExitCode::SUCCESS)
}

/// `keysmith serve`: the vault's API settings, overridden by the flags.
fn serve(vault: Vault, args: &ServeArgs) -> Result<ExitCode, Failure> {
    let mut api = vault.settings()?.api;
    if let Some(listen) = args.listen {
        api.address = listen.ip();
        api.port = listen.port();
    }
    api.allow_remote |= args.allow_remote;
    api.require_verifier |= args.require_verifier;
    api.validate()?;
    serve_api(vault, &api)?;
    Ok(ExitCode::SUCCESS)
}

/// `keysmith renewals …`: what waits to be handed over, handing one over, renewing now.
fn renewals(vault: &mut Vault, command: RenewalsCommand) -> Result<ExitCode, Failure> {
    match command {
        RenewalsCommand::List { json } => {
            let waiting = vault.pending_handovers()?;
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
            let token = vault.hand_over(CredentialId(id))?;
            say!("{}", token.expose());
            eprintln!("the vault no longer keeps this token");
        }
        RenewalsCommand::Trigger { id } => {
            let successor = vault.renew_now(CredentialId(id))?;
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
fn issue_request(vault: &Vault, args: &IssueArgs) -> Result<IssueRequest, Failure> {
    let kind = kind_of(args.kind);
    let owner_id = match (&args.owner, kind) {
        (_, TokenKind::OrganizationToken) => None,
        (None, _) => Some(vault.operator().user_id),
        (Some(owner), _) => Some(find_user(vault, owner)?),
    };
    let applications = if args.applications.is_empty() && kind != TokenKind::Verifier {
        match vault.applications()?.as_slice() {
            [only] => vec![only.name.clone()],
            _ => Vec::new(),
        }
    } else {
        args.applications.clone()
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

/// A user by id or e-mail address.
fn find_user(vault: &Vault, owner: &str) -> Result<UserId, Failure> {
    if let Ok(id) = owner.parse::<i64>() {
        return Ok(vault.user(UserId(id))?.id);
    }
    vault
        .users()?
        .into_iter()
        .find(|user| user.email.eq_ignore_ascii_case(owner))
        .map(|user| user.id)
        .ok_or_else(|| Failure::Usage("user_not_found", format!("no user {owner:?}")))
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

fn credential_json(
    credential: &Credential,
    now: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    let mut value = serde_json::to_value(credential).unwrap_or_default();
    let status = credential.status(now);
    value["status"] = json!(status.as_str());
    value["status_note"] = json!(credential.status_note(status));
    value
}

/// Prints a new credential's secret(s): the only time they are shown.
fn print_issued(issued: &Issued, as_json: bool) {
    let id = issued.credential.id.0;
    let token = issued.token.expose();
    match (&issued.credential.client_id, as_json) {
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

fn report(credential: Credential, what: &str) -> Result<ExitCode, Failure> {
    say!("{what} {} ({})", credential.id.0, credential.name);
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
fn serve_api(vault: Vault, api: &ApiSettings) -> Result<(), Failure> {
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
        say!("listening on http://{}", listener.local_addr()?);
        let access = keysmith_server::Access::for_settings(api);
        let delivery = Delivery::start(vault.open_again()?, DeliveryConfig::default())
            .map_err(|error| Failure::Usage("delivery_unavailable", error.to_string()))?;
        let state = keysmith_server::ApiState::new(vault, access)?;
        keysmith_server::serve(listener, Arc::clone(&state), stopped()).await?;
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
