//! Sending renewal mail over SMTP with lettre: TLS from the first byte, STARTTLS required, or
//! (only to a server on this computer, as the core allows) no encryption; a 15 s timeout.

use std::time::Duration;

use keysmith_core::mail::{MailMessage, SmtpAccess, SmtpSecurity};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one message may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Sends `messages` through the server `access` names: each one's id and outcome (why not,
/// in words that never hold the password).
pub(crate) async fn send(
    access: &SmtpAccess,
    messages: Vec<MailMessage>,
) -> Vec<(i64, Result<(), String>)> {
    let transport = match transport(access) {
        Ok(transport) => transport,
        Err(error) => {
            return messages
                .iter()
                .map(|m| (m.id, Err(error.clone())))
                .collect()
        }
    };
    let mut outcomes = Vec::with_capacity(messages.len());
    for message in messages {
        let outcome = match letter(&access.settings.from, &message) {
            Ok(letter) => transport
                .send(letter)
                .await
                .map(|_| ())
                .map_err(|error| describe(&error)),
            Err(error) => Err(error),
        };
        outcomes.push((message.id, outcome));
    }
    outcomes
}

fn transport(access: &SmtpAccess) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let settings = &access.settings;
    let host = settings.host.as_str();
    let builder = match settings.security {
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
        SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            host,
        )),
    }
    .map_err(|_| format!("{host} cannot be reached with TLS"))?
    .port(settings.port)
    .timeout(Some(TIMEOUT));
    let builder = match (&settings.user, &access.password) {
        (Some(user), Some(password)) => {
            builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()))
        }
        _ => builder,
    };
    Ok(builder.build())
}

fn letter(from: &str, message: &MailMessage) -> Result<Message, String> {
    let from = from
        .parse()
        .map_err(|_| "the sender address is not usable".to_owned())?;
    let to = message
        .recipient
        .parse()
        .map_err(|_| "the recipient address is not usable".to_owned())?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(message.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|_| "the message could not be built".to_owned())
}

/// Why sending failed, in words: the kind of failure and the server's code if it answered.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    if error.is_timeout() {
        "the SMTP server did not answer in time".into()
    } else if let Some(code) = error.status() {
        format!("the SMTP server refused it ({code})")
    } else if error.is_tls() {
        "the TLS connection to the SMTP server failed".into()
    } else {
        "could not reach the SMTP server".into()
    }
}
