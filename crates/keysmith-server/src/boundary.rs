//! What a web page in the admin's browser could try against the API, refused before any
//! handler runs. A page can make the browser send requests to 127.0.0.1, and with DNS
//! rebinding (a name of the page's that resolves to 127.0.0.1) even read the answers; it
//! cannot choose the `Host` header (it names the page's own domain) nor leave out `Origin` on
//! a cross-origin POST. So: the `Host` must name the address the API listens on, a request
//! carrying an `Origin` other than the API's own is refused, and no answer has CORS headers.
//! (Bodies must be JSON or a form, checked by each route: a page's blind `text/plain` POST is
//! refused too.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The edge of the API: the `Host` values it answers to, and how long a request may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Boundary {
    /// The allowed `Host` values (`host:port`, and the bare host on port 80); `None` when the
    /// API listens on every address (0.0.0.0 or ::), where any name may reach it and a
    /// verifier key is required.
    hosts: Option<Vec<String>>,
    /// Time for the body to arrive and the answer to be made.
    request_timeout: Duration,
}

impl Boundary {
    /// The boundary of an API listening on `local`: its address, and `localhost` when that
    /// is a loopback address; requests get `request_timeout` (408 after it).
    pub(crate) fn listening_on(local: SocketAddr, request_timeout: Duration) -> Boundary {
        let port = local.port();
        let ip = local.ip();
        let hosts = (!ip.is_unspecified()).then(|| {
            let address = SocketAddr::new(ip, port).to_string();
            let mut names = vec![address
                .rsplit_once(':')
                .map_or(address.clone(), |(host, _)| host.to_owned())];
            if ip.is_loopback() {
                names.push("localhost".to_owned());
            }
            let mut hosts: Vec<String> =
                names.iter().map(|name| format!("{name}:{port}")).collect();
            // Without a port, a Host means the scheme's default one.
            if port == 80 {
                hosts.extend(names);
            }
            hosts
        });
        Boundary {
            hosts,
            request_timeout,
        }
    }

    /// This boundary, also answering to the host of `url` (a team server's address as devices
    /// reach it, which may be a name or a relay in front of it): `host:port`, and the bare
    /// host on https's default port.
    pub(crate) fn also_at(mut self, url: &str) -> Boundary {
        if let (Some(hosts), Ok(parsed)) = (self.hosts.as_mut(), url::Url::parse(url)) {
            if let Some(host) = parsed.host_str() {
                let port = parsed.port_or_known_default().unwrap_or(443);
                hosts.push(format!("{host}:{port}"));
                if port == 443 {
                    hosts.push(host.to_owned());
                }
            }
        }
        self
    }

    /// Whether `host` (a `Host` header's value) names this API.
    fn allows_host(&self, host: &str) -> bool {
        self.hosts.as_ref().is_none_or(|hosts| {
            hosts
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(host))
        })
    }
}

/// Refuses a request whose `Host` does not name the API (421, or 400 when it has none) or
/// that carries an `Origin` other than the API's own (403), and answers 408 when its body and
/// answer take longer than the request timeout. One middleware for all of it: each layer costs
/// every request a boxed future, and the verify path is measured in microseconds.
pub(crate) async fn guard(
    State(boundary): State<Arc<Boundary>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return ApiError::BadRequest("A Host header is required".into()).into_response();
    };
    if !boundary.allows_host(host) {
        return ApiError::HostNotAllowed.into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = format!("http://{host}");
        if origin.to_str().map_or(true, |origin| origin != own) {
            return ApiError::OriginNotAllowed.into_response();
        }
    }
    match tokio::time::timeout(boundary.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimeout.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_answers_to_its_address_and_localhost_with_its_port() {
        let boundary =
            Boundary::listening_on("127.0.0.1:8700".parse().unwrap(), Duration::from_secs(1));
        for good in ["127.0.0.1:8700", "localhost:8700", "LOCALHOST:8700"] {
            assert!(boundary.allows_host(good), "{good}");
        }
        for bad in [
            "127.0.0.1:8701",
            "localhost",
            "rebound.example.com:8700",
            "127.0.0.1.nip.io:8700",
            "",
        ] {
            assert!(!boundary.allows_host(bad), "{bad}");
        }
        let team = Boundary::listening_on("10.0.0.5:8443".parse().unwrap(), Duration::from_secs(1))
            .also_at("https://keysmith.internal");
        assert!(team.allows_host("10.0.0.5:8443"));
        assert!(team.allows_host("keysmith.internal") && team.allows_host("keysmith.internal:443"));
        assert!(!team.allows_host("evil.example:443"));
        let v6 = Boundary::listening_on("[::1]:8700".parse().unwrap(), Duration::from_secs(1));
        assert!(v6.allows_host("[::1]:8700") && v6.allows_host("localhost:8700"));
        assert!(!v6.allows_host("[::1]"));
        let port_80 =
            Boundary::listening_on("127.0.0.1:80".parse().unwrap(), Duration::from_secs(1));
        assert!(port_80.allows_host("localhost") && port_80.allows_host("127.0.0.1"));
    }

    #[test]
    fn a_lan_address_answers_to_itself_and_every_address_to_any_name() {
        let lan =
            Boundary::listening_on("192.168.1.20:8700".parse().unwrap(), Duration::from_secs(1));
        assert!(lan.allows_host("192.168.1.20:8700"));
        assert!(!lan.allows_host("localhost:8700"));
        let everywhere =
            Boundary::listening_on("0.0.0.0:8700".parse().unwrap(), Duration::from_secs(1));
        assert!(everywhere.allows_host("keysmith.office.lan:8700"));
    }
}
