//! What a webhook is made of, as given (by the window or the command line) and as checked:
//! its URL, events, HTTP Basic credentials and custom headers. Every rule is here, so a
//! [`ValidSpec`] can be stored as it is.

use serde::{Deserialize, Serialize};

use super::event::{EventType, ALL_EVENTS};
use crate::error::{Error, Result};
use crate::outbound_url;
use crate::secret::Secret;
use crate::text::Description;

/// The most custom headers a webhook sends.
const MAX_HEADERS: usize = 20;
/// The longest header name, header value, Basic user name or password.
const MAX_FIELD: usize = 1000;

/// A webhook as the user describes it, to add or to replace one.
#[derive(Debug, Clone, Deserialize, specta::Type, Serialize)]
pub struct WebhookSpec {
    /// Where deliveries go: `https://…`, or `http://` to this computer (loopback).
    pub url: String,
    /// What it is for (0–1000 characters).
    pub description: String,
    /// Every event, including ones added in later versions.
    pub all_events: bool,
    /// The events it wants, when not all.
    pub events: Vec<EventType>,
    /// HTTP Basic credentials to send, if any.
    pub basic_auth: Option<BasicAuthSpec>,
    /// Headers to send with every delivery.
    pub headers: Vec<HeaderSpec>,
}

/// HTTP Basic credentials as given.
#[derive(Debug, Clone, Deserialize, specta::Type, Serialize)]
pub struct BasicAuthSpec {
    /// The user name (no colon).
    pub user: String,
    /// The password: new, or the one stored (it is never shown again).
    pub password: SecretValue,
}

/// A custom header as given.
#[derive(Debug, Clone, Deserialize, specta::Type, Serialize)]
pub struct HeaderSpec {
    /// The header's name, an HTTP token such as `X-Api-Key`.
    pub name: String,
    /// Its value: new, or (when editing) the one stored under this name.
    pub value: SecretValue,
    /// Write-only: the value is never shown again.
    pub hidden: bool,
}

/// A value that may be write-only: given anew, or kept as stored (the window and the command
/// line cannot send back what they were never shown).
#[derive(Debug, Clone, Deserialize, specta::Type, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SecretValue {
    /// Keep the stored value.
    Keep,
    /// Use this value. It is sent on (by a client to its team server) as it is: the one place
    /// a request carries a secret out, over TLS.
    New(
        #[serde(serialize_with = "crate::secret::serialize_exposed")]
        #[specta(type = String)]
        Secret,
    ),
}

/// A spec whose every field holds, with kept values filled in from the stored webhook.
pub(crate) struct ValidSpec {
    pub url: String,
    pub description: String,
    pub events: Vec<&'static str>,
    pub basic: Option<(String, Secret)>,
    pub headers: Vec<(String, Secret, bool)>,
}

/// The values a stored webhook can keep when it is replaced.
#[derive(Default)]
pub(crate) struct Stored {
    pub basic_password: Option<Secret>,
    pub headers: Vec<(String, Secret)>,
}

impl WebhookSpec {
    /// Checks every field; `stored` gives the values `Keep` refers to (none for a new one).
    pub(crate) fn validate(&self, stored: &Stored) -> Result<ValidSpec> {
        let url =
            outbound_url::check(&self.url).map_err(|why| Error::InvalidWebhookUrl(why.into()))?;
        let description = Description::new(&self.description)?.as_str().to_owned();
        let events = if self.all_events {
            vec![ALL_EVENTS]
        } else if self.events.is_empty() {
            return Err(Error::NoEvents);
        } else {
            let mut names: Vec<&'static str> =
                self.events.iter().map(|event| event.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            names
        };
        let basic = match &self.basic_auth {
            None => None,
            Some(basic) => Some(basic_auth(basic, stored.basic_password.as_ref())?),
        };
        if self.headers.len() > MAX_HEADERS {
            return Err(Error::InvalidHeader(format!(
                "A webhook sends at most {MAX_HEADERS} custom headers"
            )));
        }
        let mut headers: Vec<(String, Secret, bool)> = Vec::with_capacity(self.headers.len());
        for header in &self.headers {
            let name = header_name(&header.name, basic.is_some())?;
            if headers
                .iter()
                .any(|(taken, _, _)| taken.eq_ignore_ascii_case(&name))
            {
                return Err(Error::InvalidHeader(format!(
                    "The header {name} is given twice"
                )));
            }
            let value = match &header.value {
                SecretValue::New(value) => value.clone(),
                SecretValue::Keep => stored
                    .headers
                    .iter()
                    .find(|(stored, _)| stored.eq_ignore_ascii_case(&name))
                    .map(|(_, value)| value.clone())
                    .ok_or_else(|| {
                        Error::InvalidHeader(format!(
                            "The header {name} has no stored value to keep"
                        ))
                    })?,
            };
            header_value(&name, &value)?;
            headers.push((name, value, header.hidden));
        }
        Ok(ValidSpec {
            url,
            description,
            events,
            basic,
            headers,
        })
    }
}

/// A header name: an HTTP token (RFC 9110), not one Keysmith sets itself.
fn header_name(name: &str, basic: bool) -> Result<String> {
    let name = name.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || name.len() > 100 || !name.chars().all(token) {
        return Err(Error::InvalidHeader(format!(
            "{name:?} is not a header name: use letters, digits and - (e.g. X-Api-Key)"
        )));
    }
    let lower = name.to_ascii_lowercase();
    let reserved = lower.starts_with("webhook-")
        || matches!(
            lower.as_str(),
            "content-type"
                | "content-length"
                | "content-encoding"
                | "transfer-encoding"
                | "host"
                | "connection"
                | "te"
                | "upgrade"
                | "trailer"
                | "keep-alive"
                | "proxy-authorization"
        )
        || (basic && lower == "authorization");
    if reserved {
        return Err(Error::InvalidHeader(format!(
            "Keysmith sets the header {name} itself; choose another"
        )));
    }
    Ok(name.to_owned())
}

/// A header value: visible characters and spaces, no line break.
fn header_value(name: &str, value: &Secret) -> Result<()> {
    let text = value.expose();
    if text.len() > MAX_FIELD || text.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Error::InvalidHeader(format!(
            "The value of {name} must be at most {MAX_FIELD} characters without line breaks"
        )));
    }
    Ok(())
}

/// Basic credentials: a user name without a colon (RFC 7617) and a password, both without
/// control characters.
fn basic_auth(basic: &BasicAuthSpec, stored: Option<&Secret>) -> Result<(String, Secret)> {
    let user = basic.user.trim();
    let clean = |text: &str| text.len() <= MAX_FIELD && !text.chars().any(char::is_control);
    if user.is_empty() || user.contains(':') || !clean(user) {
        return Err(Error::InvalidBasicAuth(
            "The user name must be 1 to 1000 characters, without a colon".into(),
        ));
    }
    let password = match &basic.password {
        SecretValue::New(password) => password.clone(),
        SecretValue::Keep => stored.cloned().ok_or_else(|| {
            Error::InvalidBasicAuth("There is no stored password to keep; enter one".into())
        })?,
    };
    if !clean(password.expose()) {
        return Err(Error::InvalidBasicAuth(
            "The password must be at most 1000 characters, without control characters".into(),
        ));
    }
    Ok((user.to_owned(), password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_tokens_and_not_ours() {
        assert_eq!(header_name(" X-Api-Key ", false).unwrap(), "X-Api-Key");
        assert!(header_name("Authorization", false).is_ok());
        for bad in [
            "",
            "X Api",
            "X:Y",
            "Webhook-Id",
            "webhook-signature",
            "Content-Type",
            "Host",
        ] {
            assert_eq!(
                header_name(bad, false).unwrap_err().code(),
                "invalid_header",
                "{bad}"
            );
        }
        assert_eq!(
            header_name("authorization", true).unwrap_err().code(),
            "invalid_header"
        );
        assert!(header_value("X", &Secret::from("a\r\nInjected: 1")).is_err());
    }
}
