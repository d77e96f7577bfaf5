//! One attempt to deliver one message: a signed POST, no redirects followed, the answer read
//! only up to 1 KiB, and whatever happens turned into an [`Attempt`] for the outbox.

use std::time::Duration;

use chrono::Utc;
use keysmith_core::webhook::{signature_header, Attempt, Dispatch, RESPONSE_LIMIT};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{redirect, Client};

/// The `User-Agent` deliveries carry.
const USER_AGENT: &str = concat!("Keysmith-Webhooks/", env!("CARGO_PKG_VERSION"));

/// The HTTP client every attempt uses: rustls, no redirects, `timeout` for the whole exchange.
pub(crate) fn client(timeout: Duration) -> reqwest::Result<Client> {
    Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(USER_AGENT)
        .use_rustls_tls()
        .build()
}

/// Sends `dispatch` once, signed at the current time.
pub(crate) async fn attempt(client: &Client, dispatch: &Dispatch) -> Attempt {
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
