//! `keysmith oauth …`: OAuth apps, the requests waiting for approval and the connections users
//! granted, on the command line. A confidential app's client secret is printed once, by
//! `oauth app add`.

use std::process::ExitCode;

use keysmith_core::oauth::{
    ConnectionFilter, GrantId, OAuthApp, OAuthAppId, OAuthAppSpec, OAuthConnection,
};
use keysmith_core::{UserId, Vault};
use serde_json::json;

use crate::args::{OauthAppAddArgs, OauthAppCommand, OauthCommand};
use crate::Failure;

/// Runs one `keysmith oauth` subcommand.
pub(crate) fn run(vault: &mut Vault, command: OauthCommand) -> Result<ExitCode, Failure> {
    match command {
        OauthCommand::App { command } => app(vault, command),
        OauthCommand::Pending { json } => {
            let pending = vault.pending_oauth_requests()?;
            if json {
                say!("{}", serde_json::to_string(&pending).unwrap_or_default());
            } else if pending.is_empty() {
                say!("no request waits for approval");
            }
            for request in pending.iter().filter(|_| !json) {
                say!(
                    "{}\t{}\t{}\texpires {}",
                    request.user_code,
                    request.app_name,
                    request.scopes.join(" "),
                    request.expires_at.to_rfc3339()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        OauthCommand::Approve { code, as_user } => {
            let user = as_user
                .map(|email| user_by_email(vault, &email))
                .transpose()?;
            let connection = vault.approve_oauth_request(&code, user)?;
            say!(
                "approved: {} may act as {} with {} (connection {})",
                connection.app_name,
                connection.user_name,
                connection.scopes.join(" "),
                connection.grant_id.0
            );
            Ok(ExitCode::SUCCESS)
        }
        OauthCommand::Deny { code } => {
            vault.deny_oauth_request(&code)?;
            say!("denied");
            Ok(ExitCode::SUCCESS)
        }
        OauthCommand::Connections { user, json } => {
            let user = user.map(|email| user_by_email(vault, &email)).transpose()?;
            let connections = vault.oauth_connections(ConnectionFilter { user, app: None })?;
            print_connections(&connections, json);
            Ok(ExitCode::SUCCESS)
        }
        OauthCommand::RevokeGrant { id } => {
            vault.revoke_oauth_grant(GrantId(id))?;
            say!("revoked connection {id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn app(vault: &mut Vault, command: OauthAppCommand) -> Result<ExitCode, Failure> {
    match command {
        OauthAppCommand::Add(args) => add(vault, args),
        OauthAppCommand::List { json } => {
            let apps = vault.oauth_apps()?;
            if json {
                say!("{}", serde_json::to_string(&apps).unwrap_or_default());
            } else if apps.is_empty() {
                say!("no OAuth apps");
            }
            for app in apps.iter().filter(|_| !json) {
                say!("{}", line(app));
            }
            Ok(ExitCode::SUCCESS)
        }
        OauthAppCommand::Show { id, json } => {
            let app = vault.oauth_app(OAuthAppId(id))?;
            let connections = vault.oauth_connections(ConnectionFilter {
                user: None,
                app: Some(app.id),
            })?;
            if json {
                say!("{}", json!({ "app": app, "connections": connections }));
            } else {
                say!("{}", line(&app));
                say!("description: {}", app.description);
                say!("redirect URIs: {}", app.redirect_uris.join(" "));
                say!("applications: {}", app.applications.join(", "));
                print_connections(&connections, false);
            }
            Ok(ExitCode::SUCCESS)
        }
        OauthAppCommand::Disable { id } => {
            vault.set_oauth_app_enabled(OAuthAppId(id), false)?;
            say!("disabled OAuth app {id}");
            Ok(ExitCode::SUCCESS)
        }
        OauthAppCommand::Enable { id } => {
            vault.set_oauth_app_enabled(OAuthAppId(id), true)?;
            say!("enabled OAuth app {id}");
            Ok(ExitCode::SUCCESS)
        }
        OauthAppCommand::Delete { id } => {
            vault.delete_oauth_app(OAuthAppId(id))?;
            say!("deleted OAuth app {id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `keysmith oauth app add`: the secret, for a confidential app, is printed this once.
fn add(vault: &mut Vault, args: OauthAppAddArgs) -> Result<ExitCode, Failure> {
    let registered = vault.register_oauth_app(&OAuthAppSpec {
        name: args.name,
        description: args.description,
        redirect_uris: args.redirect_uris,
        public: args.public,
        scopes: args.scopes,
        applications: args.applications,
    })?;
    let app = &registered.app;
    let secret = registered.client_secret.as_ref().map(|s| s.expose());
    if args.json {
        let mut out = json!({ "id": app.id.0, "client_id": app.client_id });
        if let Some(secret) = secret {
            out["client_secret"] = json!(secret);
        }
        say!("{out}");
    } else {
        say!("registered OAuth app {} ({})", app.id.0, app.name);
        say!("client ID: {}", app.client_id);
        if let Some(secret) = secret {
            say!("client secret (shown once): {secret}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn line(app: &OAuthApp) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        app.id.0,
        app.name,
        app.client_id,
        if app.public { "public" } else { "confidential" },
        if app.disabled_at.is_some() {
            "disabled"
        } else {
            "enabled"
        },
        app.scopes.join(" ")
    )
}

fn print_connections(connections: &[OAuthConnection], json: bool) {
    if json {
        say!("{}", serde_json::to_string(connections).unwrap_or_default());
        return;
    }
    if connections.is_empty() {
        say!("no connections");
    }
    for connection in connections {
        say!(
            "{}\t{}\t{}\t{}\tgranted {} by {}",
            connection.grant_id.0,
            connection.app_name,
            connection.user_name,
            connection.scopes.join(" "),
            connection.created_at.to_rfc3339(),
            connection.approved_by
        );
    }
}

/// The user with `email`, or a usage error naming it.
fn user_by_email(vault: &Vault, email: &str) -> Result<UserId, Failure> {
    vault
        .users()?
        .into_iter()
        .find(|user| user.email.as_str().eq_ignore_ascii_case(email.trim()))
        .map(|user| user.id)
        .ok_or_else(|| Failure::Usage("user_not_found", format!("no user has the e-mail {email}")))
}
