//! One attempt to deliver one message: a signed POST, no redirects followed, the answer read
//! only up to 1 KiB, and whatever happens turned into an [`Attempt`] for the outbox. Only to
//! the addresses the message's [`Reach`] allows: a name is resolved by [`Guarded`], which
//! drops every address the reach does not allow, so what is connected to is what was checked
//! (a name that resolves to a metadata or private address at sending time gets nowhere); an
//! address written in the URL is checked before anything is sent.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use keysmith_core::webhook::{signature_header, Attempt, Dispatch, RESPONSE_LIMIT};
use keysmith_core::Reach;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{redirect, Client};

/// The `User-Agent` deliveries carry.
const USER_AGENT: &str = concat!("Keysmith-Webhooks/", env!("CARGO_PKG_VERSION"));

/// What an attempt to an address its reach does not allow says in the delivery log.
const REFUSED: &str = "the address is not one Keysmith sends to";

/// The HTTP clients attempts use, one for each [`Reach`]: rustls, no redirects, `timeout` for
/// the whole exchange, names resolved by [`Guarded`].
#[derive(Clone)]
pub(crate) struct Clients {
    public: Client,
    private: Client,
}

impl Clients {
    pub(crate) fn new(timeout: Duration) -> reqwest::Result<Clients> {
        let client = |reach| {
            Client::builder()
                .redirect(redirect::Policy::none())
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(10)))
                .user_agent(USER_AGENT)
                .dns_resolver(Arc::new(Guarded(reach)))
                .use_rustls_tls()
                .build()
        };
        Ok(Clients {
            public: client(Reach::Public)?,
            private: client(Reach::Private)?,
        })
    }

    fn for_reach(&self, reach: Reach) -> &Client {
        match reach {
            Reach::Public => &self.public,
            Reach::Private => &self.private,
        }
    }
}

/// Resolves names with the system's resolver and keeps only the addresses `Reach` allows;
/// none left is an error, and nothing is connected to.
struct Guarded(Reach);

/// A name that resolved only to addresses the reach does not allow.
#[derive(Debug)]
struct RefusedAddress;

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REFUSED)
    }
}

impl std::error::Error for RefusedAddress {}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.0;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|at| reach.allows(at.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(RefusedAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Whether the URL's host, if it is an address, is one `reach` allows (a name is checked as it
/// is resolved).
fn literal_allowed(url: &str, reach: Reach) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    // An IPv6 address is written in brackets.
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(address) => reach.allows(address),
        Err(_) => true,
    }
}

/// Sends `dispatch` once, signed at the current time, with the client of its reach.
pub(crate) async fn attempt(clients: &Clients, dispatch: &Dispatch) -> Attempt {
    if !literal_allowed(&dispatch.url, dispatch.reach) {
        return Attempt::Failed {
            error: REFUSED.into(),
        };
    }
    let client = clients.for_reach(dispatch.reach);
    let timestamp = Utc::now().timestamp();
    let body = dispatch.body.as_bytes();
    let signature = signature_header(&dispatch.keys, &dispatch.message_id, timestamp, body);
    let headers = match headers(dispatch, timestamp, &signature) {
        Ok(headers) => headers,
        Err(error) => return Attempt::Failed { error },
    };
    let mut request = client
        .post(&dispatch.url)
        .headers(headers)
        .body(dispatch.body.clone());
    if let Some((user, password)) = &dispatch.basic {
        request = request.basic_auth(user, Some(password.expose()));
    }
    match request.send().await {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(retry_after);
            let mut start = Vec::new();
            // Only the first KiB is kept; a receiver cannot make us read more (or wait
            // longer than the timeout, which covers the body too).
            while start.len() < RESPONSE_LIMIT {
                match response.chunk().await {
                    Ok(Some(chunk)) => start.extend_from_slice(&chunk),
                    Ok(None) | Err(_) => break,
                }
            }
            start.truncate(RESPONSE_LIMIT);
            Attempt::Answered {
                status,
                body: start,
                retry_after,
            }
        }
        Err(error) => Attempt::Failed {
            error: describe(&error),
        },
    }
}

/// The headers of one attempt: JSON, the Standard Webhooks three, then the webhook's own
/// (marked sensitive, so no debug output of the request shows them).
fn headers(dispatch: &Dispatch, timestamp: i64, signature: &str) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let value = |text: &str| {
        HeaderValue::from_str(text).map_err(|_| "a header value cannot be sent".to_owned())
    };
    headers.insert("webhook-id", value(&dispatch.message_id)?);
    headers.insert("webhook-timestamp", value(&timestamp.to_string())?);
    headers.insert("webhook-signature", value(signature)?);
    for (name, secret) in &dispatch.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("the header name {name:?} cannot be sent"))?;
        let mut value = value(secret.expose())?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    Ok(headers)
}

/// A `Retry-After` value: seconds, or an HTTP date.
fn retry_after(text: &str) -> Option<chrono::Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u32>() {
        return Some(chrono::Duration::seconds(i64::from(seconds)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    Some((at.with_timezone(&Utc) - Utc::now()).max(chrono::Duration::zero()))
}

/// What went wrong, in words for the delivery log: the kind of failure, never the request.
fn describe(error: &reqwest::Error) -> String {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.is::<RefusedAddress>() {
            return REFUSED.into();
        }
        source = cause.source();
    }
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else if error.is_redirect() {
        "redirected".into()
    } else {
        "the request failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receiver::{always, Receiver};
    use keysmith_core::DeliveryId;

    fn dispatch_to(url: String, reach: Reach) -> Dispatch {
        Dispatch {
            delivery: DeliveryId(1),
            webhook: None,
            message_id: "msg_1".into(),
            url,
            body: "{}".into(),
            basic: None,
            headers: Vec::new(),
            keys: Vec::new(),
            reach,
        }
    }

    /// A receiver on this machine, reached by its address and by the name `localhost` (which
    /// the system's resolver turns into a loopback address as the attempt is made): refused
    /// for a public reach either way, before anything is sent; delivered for a private one.
    #[tokio::test]
    async fn the_address_is_checked_as_the_attempt_is_made() {
        let receiver = Receiver::start(always(reqwest::StatusCode::NO_CONTENT))
            .await
            .unwrap();
        let by_address = receiver.url();
        let by_name = by_address.replace("127.0.0.1", "localhost");
        assert_ne!(by_address, by_name);
        let clients = Clients::new(Duration::from_secs(10)).unwrap();
        for url in [&by_address, &by_name] {
            let refused = attempt(&clients, &dispatch_to(url.clone(), Reach::Public)).await;
            assert!(
                matches!(&refused, Attempt::Failed { error } if error == REFUSED),
                "{url}: {refused:?}"
            );
        }
        assert!(receiver.received().is_empty(), "nothing reached it");
        for url in [by_address, by_name] {
            let sent = attempt(&clients, &dispatch_to(url.clone(), Reach::Private)).await;
            assert!(
                matches!(sent, Attempt::Answered { status: 204, .. }),
                "{url}: {sent:?}"
            );
        }
        assert_eq!(receiver.received().len(), 2);
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        assert_eq!(retry_after(" 120 "), Some(chrono::Duration::seconds(120)));
        let later = (Utc::now() + chrono::Duration::seconds(300)).to_rfc2822();
        let wait = retry_after(&later).unwrap();
        assert!(wait > chrono::Duration::seconds(290) && wait <= chrono::Duration::seconds(300));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(chrono::Duration::zero())
        );
        assert_eq!(retry_after("soon"), None);
    }
}
