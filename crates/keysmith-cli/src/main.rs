//! `keysmith`: the headless command line over the same vault and core as the app. Secrets go
//! to stdout only from `issue` and `renew`; every error is one line on stderr with its code.

mod args;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use clap::Parser;
use keysmith_core::{
    clock, AccountHolder, ApiSettings, Credential, CredentialId, CredentialQuery, Description,
    EmailAddress, Expiry, Issued, KdfParams, Keychain, Name, NewCredential, Permission, RateLimit,
    Renewal, Rights, Secret, Status, TokenKind, UserId, Vault, Verification,
};
use serde_json::json;
use zeroize::Zeroizing;

use args::{Cli, Command, IssueArgs, KindArg, RightsArg, StatusArg};

/// Why a command failed: the core's error, or one of the command line's own.
enum Failure {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
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
    if let Command::Init { name, email } = &cli.command {
        let passphrase = passphrase.ok_or_else(no_passphrase)?;
        let holder = AccountHolder {
            name: Name::new(name)?,
            email: EmailAddress::try_from(email.clone())?,
        };
        let vault = Vault::create(
            &path,
            &passphrase,
            &holder,
            KdfParams::DEFAULT,
            clock::system(),
        )?;
        println!("created {}", vault.path().display());
        return Ok(ExitCode::SUCCESS);
    }
    let mut vault = match passphrase {
        Some(passphrase) => Vault::unlock(&path, &passphrase, clock::system())?,
        None => Vault::unlock_from_keychain(&path, &Keychain, clock::system())?
            .ok_or_else(no_passphrase)?,
    };
    match cli.command {
        Command::Init { .. } => unreachable!("handled above"),
        Command::Issue(args) => {
            let new = new_credential(&vault, &args)?;
            print_issued(&vault.issue(&new)?, args.json);
        }
        Command::List { status, kind, json } => {
            let query = CredentialQuery {
                status: status.map(status_of),
                kind: kind.map(kind_of),
                ..CredentialQuery::default()
            };
            let now = vault.now();
            let credentials = vault.query_credentials(&query)?;
            if json {
                let rows: Vec<_> = credentials
                    .iter()
                    .map(|c| credential_json(c, now))
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for c in &credentials {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        c.id.0,
                        c.name,
                        c.kind.as_str(),
                        c.owner_name.as_deref().unwrap_or("organization"),
                        status_name(c.status(now)),
                        c.expires_at.format("%Y-%m-%d"),
                    );
                }
            }
        }
        Command::Show { id, json } => {
            let credential = vault.credential(CredentialId(id))?;
            let shown = credential_json(&credential, vault.now());
            if json {
                println!("{shown}");
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&shown).unwrap_or_default()
                );
            }
        }
        Command::Disable { id } => report(vault.set_enabled(CredentialId(id), false)?, "disabled"),
        Command::Enable { id } => report(vault.set_enabled(CredentialId(id), true)?, "enabled"),
        Command::Revoke { id } => report(vault.revoke(CredentialId(id))?, "revoked"),
        Command::Delete { id } => {
            vault.delete(CredentialId(id))?;
            println!("deleted {id}");
        }
        Command::Renew {
            id,
            end_old,
            name,
            description,
            json,
        } => {
            let old_ends_at = if end_old == "now" {
                vault.now()
            } else {
                date(&end_old)?.and_time(NaiveTime::MIN).and_utc()
            };
            let renewal = Renewal {
                old_ends_at,
                name: Name::new(&name)?,
                description: Description::new(&description)?,
            };
            print_issued(&vault.renew(CredentialId(id), &renewal)?, json);
        }
        Command::Verify {
            token,
            application,
            scope,
            json,
        } => {
            let token = if token == "-" {
                read_line()?
            } else {
                Secret::new(token)
            };
            let answer = vault.verify(token.expose(), scope.as_deref(), application.as_deref())?;
            return Ok(print_verification(&answer, json));
        }
        Command::Serve {
            listen,
            allow_remote,
            require_verifier,
        } => {
            let mut api = vault.settings()?.api;
            if let Some(listen) = listen {
                api.address = listen.ip();
                api.port = listen.port();
            }
            api.allow_remote |= allow_remote;
            api.require_verifier |= require_verifier;
            api.validate()?;
            serve(vault, &api)?
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
fn read_line() -> Result<Secret, Failure> {
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

fn date(text: &str) -> Result<NaiveDate, Failure> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Failure::Usage("invalid_date", format!("{text:?}: dates are YYYY-MM-DD")))
}

/// The credential `args` describe, with the defaults filled in: the operator as owner, the
/// catalogue's only application.
fn new_credential(vault: &Vault, args: &IssueArgs) -> Result<NewCredential, Failure> {
    let kind = kind_of(args.kind);
    let owner = match (&args.owner, kind) {
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
    Ok(NewCredential {
        kind,
        owner,
        name: Name::new(&args.name)?,
        description: Description::new(&args.description)?,
        expiry: Expiry::on_date(date(&args.expires)?, vault.now())?,
        scopes: args
            .scopes
            .iter()
            .map(|s| Permission::new(s))
            .collect::<Result<_, _>>()?,
        rights: match args.rights {
            RightsArg::Read => Rights::Read,
            RightsArg::ReadWrite => Rights::ReadWrite,
        },
        applications: applications
            .iter()
            .map(|a| Name::new(a))
            .collect::<Result<_, _>>()?,
        rate_limit: RateLimit::new(args.rate_limit)?,
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
        StatusArg::Disabled => Status::Disabled,
        StatusArg::Revoked => Status::Revoked,
        StatusArg::Expired => Status::Expired,
    }
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Active => "active",
        Status::Disabled => "disabled",
        Status::Revoked => "revoked",
        Status::Expired => "expired",
    }
}

fn credential_json(
    credential: &Credential,
    now: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    let mut value = serde_json::to_value(credential).unwrap_or_default();
    value["status"] = json!(status_name(credential.status(now)));
    value
}

/// Prints a new credential's secret(s): the only time they are shown.
fn print_issued(issued: &Issued, as_json: bool) {
    let id = issued.credential.id.0;
    let token = issued.token.expose();
    match (&issued.credential.client_id, as_json) {
        (Some(client_id), true) => {
            println!(
                "{}",
                json!({ "id": id, "client_id": client_id, "client_secret": token })
            )
        }
        (None, true) => println!("{}", json!({ "id": id, "token": token })),
        (Some(client_id), false) => {
            println!("id: {id}\nclient_id: {client_id}\nclient_secret: {token}")
        }
        (None, false) => println!("id: {id}\ntoken: {token}"),
    }
}

fn report(credential: Credential, what: &str) {
    println!("{what} {} ({})", credential.id.0, credential.name);
}

/// Prints a verification; exit 0 when active, 1 when not.
fn print_verification(answer: &Verification, as_json: bool) -> ExitCode {
    match answer {
        Verification::Active(verified) => {
            let c = &verified.credential;
            if as_json {
                println!(
                    "{}",
                    json!({
                        "active": true, "credential_id": c.id.0, "kind": c.kind.as_str(),
                        "owner": c.owner_name, "scopes": verified.scopes,
                        "rights": c.rights.as_str(), "applications": c.applications,
                        "exp": verified.expires_at.timestamp(), "iat": verified.issued_at.timestamp(),
                    })
                );
            } else {
                println!(
                    "active: {} ({}), scopes: {}",
                    c.name,
                    c.id.0,
                    verified.scopes.join(" ")
                );
            }
            ExitCode::SUCCESS
        }
        Verification::Inactive(reason) => {
            let reason = serde_json::to_value(reason).unwrap_or_default();
            if as_json {
                println!("{}", json!({ "active": false, "reason": reason }));
            } else {
                println!("not active: {}", reason.as_str().unwrap_or("unknown"));
            }
            ExitCode::from(1)
        }
    }
}

/// Serves the API as `api` says until SIGINT or SIGTERM. One thread answers: every
/// verification goes through the vault's one connection anyway, so more threads would only
/// wait for it (measured: more requests/s and a shorter tail with one, see README); the
/// once-a-second write of "last used" runs on a thread of its own.
fn serve(vault: Vault, api: &ApiSettings) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(api.listen()).await?;
        println!("listening on http://{}", listener.local_addr()?);
        let access = keysmith_server::Access::for_settings(api);
        let state = keysmith_server::ApiState::new(vault, access)?;
        keysmith_server::serve(listener, Arc::clone(&state), stopped()).await?;
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
