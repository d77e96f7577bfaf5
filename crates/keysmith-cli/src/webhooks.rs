//! `keysmith webhook …`: the Webhooks section of the app, on the command line. Secrets (the
//! Basic password, hidden header values) are read from stdin; the signing secret is printed
//! once, by `add` and `roll-secret`; hidden values are never printed.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use keysmith_core::webhook::{BasicAuthSpec, DeliveryState, HeaderSpec, SecretValue};
use keysmith_core::{DeliveryRecord, EventType, Secret, Vault, Webhook, WebhookId, WebhookSpec};
use keysmith_delivery::{Delivery, DeliveryConfig};
use serde_json::json;

use crate::args::{WebhookAddArgs, WebhookCommand};
use crate::{read_line, Failure};

/// How long `webhook test` waits for the first attempt.
const TEST_WAIT: Duration = Duration::from_secs(20);

/// Runs one `keysmith webhook` subcommand.
pub(crate) fn run(vault: &mut Vault, command: WebhookCommand) -> Result<ExitCode, Failure> {
    match command {
        WebhookCommand::Add(args) => add(vault, &args),
        WebhookCommand::List { json } => {
            let webhooks = vault.webhooks()?;
            if json {
                say!("{}", serde_json::to_string(&webhooks).unwrap_or_default());
            } else if webhooks.is_empty() {
                say!("no webhooks");
            }
            for webhook in webhooks.iter().filter(|_| !json) {
                say!("{}", line(webhook));
            }
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::Show { id, json } => {
            let webhook = vault.webhook(WebhookId(id))?;
            if json {
                say!("{}", serde_json::to_string(&webhook).unwrap_or_default());
            } else {
                show(&webhook);
            }
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::Disable { id } => {
            let webhook = vault.set_webhook_enabled(WebhookId(id), false)?;
            say!("disabled webhook {}", webhook.id.0);
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::Enable { id } => {
            let webhook = vault.set_webhook_enabled(WebhookId(id), true)?;
            say!("enabled webhook {}", webhook.id.0);
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::Delete { id } => {
            vault.delete_webhook(WebhookId(id))?;
            say!("deleted webhook {id}");
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::RollSecret { id } => {
            let secret = vault.roll_webhook_secret(WebhookId(id))?;
            say!("secret: {}", secret.expose());
            eprintln!("the previous secret keeps signing beside it for 24 hours");
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::Test { id } => test(vault, WebhookId(id)),
        WebhookCommand::Deliveries { id, json } => {
            let log = vault.webhook_deliveries(WebhookId(id), 200)?;
            if json {
                say!("{}", serde_json::to_string(&log).unwrap_or_default());
            } else if log.is_empty() {
                say!("no deliveries");
            }
            for delivery in log.iter().filter(|_| !json) {
                say!("{}", delivery_line(delivery));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `webhook add`: reads the secrets from stdin, adds, prints id and signing secret once.
fn add(vault: &mut Vault, args: &WebhookAddArgs) -> Result<ExitCode, Failure> {
    let events = args
        .events
        .iter()
        .map(|name| EventType::parse(name))
        .collect::<keysmith_core::Result<Vec<_>>>()?;
    let basic_auth = match (&args.basic_user, args.basic_password_stdin) {
        (Some(user), true) => Some(BasicAuthSpec {
            user: user.clone(),
            password: SecretValue::New(read_line()?),
        }),
        _ => None,
    };
    let mut headers = Vec::new();
    for header in &args.headers {
        let (name, value) = header.split_once('=').ok_or_else(|| {
            Failure::Usage("invalid_header", format!("{header:?}: write NAME=VALUE"))
        })?;
        headers.push(HeaderSpec {
            name: name.to_owned(),
            value: SecretValue::New(Secret::from(value)),
            hidden: false,
        });
    }
    for header in &args.hidden_headers {
        let (name, value) = match header.split_once('=') {
            Some((name, value)) => {
                eprintln!(
                    "warning: a hidden value given as an argument is visible to other users of \
                     this machine; give only --hidden-header {name} and pipe the value in"
                );
                (name.to_owned(), Secret::from(value))
            }
            None => (header.clone(), read_line()?),
        };
        headers.push(HeaderSpec {
            name,
            value: SecretValue::New(value),
            hidden: true,
        });
    }
    let added = vault.add_webhook(&WebhookSpec {
        url: args.url.clone(),
        description: args.description.clone(),
        all_events: args.all_events,
        events,
        basic_auth,
        headers,
    })?;
    let (id, secret) = (added.webhook.id.0, added.secret.expose());
    if args.json {
        say!("{}", json!({ "id": id, "secret": secret }));
    } else {
        say!("id: {id}\nsecret: {secret}");
        eprintln!("the secret is shown only now: configure your receiver with it");
    }
    Ok(ExitCode::SUCCESS)
}

/// `webhook test`: queues the message, delivers it here unless another process (the app,
/// `keysmith serve`) holds the delivery lease, and waits for its first attempt.
fn test(vault: &mut Vault, id: WebhookId) -> Result<ExitCode, Failure> {
    let delivery = vault.send_webhook_test(id)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async {
        let sender = Delivery::start(vault.open_again()?, DeliveryConfig::default())
            .map_err(|error| Failure::Usage("delivery_unavailable", error.to_string()))?;
        let start = Instant::now();
        let outcome = loop {
            let record = vault.webhook_delivery(delivery)?;
            if record.attempts > 0 || start.elapsed() > TEST_WAIT {
                break record;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        sender.stop().await;
        Ok::<_, Failure>(outcome)
    })?;
    say!("{}", delivery_line(&outcome));
    Ok(match outcome.state {
        DeliveryState::Delivered => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

/// One webhook on one line: id, state, URL, events.
fn line(webhook: &Webhook) -> String {
    let state = match (webhook.enabled, webhook.disabled_reason) {
        (true, _) => "enabled".to_owned(),
        (false, Some(reason)) => format!("disabled ({})", reason.as_str()),
        (false, None) => "disabled".to_owned(),
    };
    format!(
        "{}\t{state}\t{}\t{}",
        webhook.id.0,
        webhook.url,
        events(webhook)
    )
}

fn events(webhook: &Webhook) -> String {
    if webhook.all_events {
        return "all events".into();
    }
    let names: Vec<&str> = webhook.events.iter().map(|event| event.as_str()).collect();
    names.join(",")
}

/// A webhook in full, hidden values masked.
fn show(webhook: &Webhook) {
    say!("{}", line(webhook));
    if !webhook.description.is_empty() {
        say!("description: {}", webhook.description);
    }
    if let Some(user) = &webhook.basic_user {
        say!("basic auth: {user} / •••• (hidden)");
    }
    for header in &webhook.headers {
        let value = header.value.as_deref().unwrap_or("•••• (hidden)");
        say!("header: {}: {value}", header.name);
    }
    if let Some(until) = webhook.previous_secret_until {
        say!("previous secret signs until {}", until.to_rfc3339());
    }
}

/// One delivery on one line: id, event, state, attempts, last status or error.
fn delivery_line(delivery: &DeliveryRecord) -> String {
    let state = match delivery.state {
        DeliveryState::Pending => "pending",
        DeliveryState::Delivered => "delivered",
        DeliveryState::Failed => "failed",
    };
    let outcome = match (delivery.last_status, &delivery.last_error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "not tried yet".into(),
    };
    format!(
        "{}\t{}\t{state}\t{} attempt(s)\t{outcome}\t{}",
        delivery.id.0, delivery.event, delivery.attempts, delivery.message_id
    )
}
