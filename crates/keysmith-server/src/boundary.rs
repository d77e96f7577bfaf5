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

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The `Host` values the API answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Boundary {
    /// The allowed `host:port` values, lower-case; `None` when the API listens on every
    /// address (0.0.0.0 or ::), where any name may reach it and a verifier key is required.
    hosts: Option<Vec<String>>,
}

impl Boundary {
    /// The boundary of an API listening on `local`: its address, and `localhost` when that
    /// is a loopback address.
    pub(crate) fn listening_on(local: SocketAddr) -> Boundary {
        let port = local.port();
        let ip = local.ip();
        let hosts = (!ip.is_unspecified()).then(|| {
            let mut hosts = vec![SocketAddr::new(ip, port).to_string()];
            if ip.is_loopback() {
                hosts.push(format!("localhost:{port}"));
            }
            hosts
        });
        Boundary { hosts }
    }

    /// Whether `host` (a `Host` header's value) names this API.
    fn allows_host(&self, host: &str) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        let host = host.to_ascii_lowercase();
        // Without a port, a Host means the scheme's default one.
        let with_port = match host.rsplit_once(':') {
            Some((_, port)) if !host.ends_with(']') && port.chars().all(|c| c.is_ascii_digit()) => {
                host
            }
            _ => format!("{host}:80"),
        };
        hosts.contains(&with_port)
    }
}

/// Refuses a request whose `Host` does not name the API (421, or 400 when it has none) or
/// that carries an `Origin` other than the API's own (403).
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
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_answers_to_its_address_and_localhost_with_its_port() {
        let boundary = Boundary::listening_on("127.0.0.1:8700".parse().unwrap());
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
        let v6 = Boundary::listening_on("[::1]:8700".parse().unwrap());
        assert!(v6.allows_host("[::1]:8700") && v6.allows_host("localhost:8700"));
        assert!(!v6.allows_host("[::1]"));
        let port_80 = Boundary::listening_on("127.0.0.1:80".parse().unwrap());
        assert!(port_80.allows_host("localhost") && port_80.allows_host("127.0.0.1"));
    }

    #[test]
    fn a_lan_address_answers_to_itself_and_every_address_to_any_name() {
        let lan = Boundary::listening_on("192.168.1.20:8700".parse().unwrap());
        assert!(lan.allows_host("192.168.1.20:8700"));
        assert!(!lan.allows_host("localhost:8700"));
        let everywhere = Boundary::listening_on("0.0.0.0:8700".parse().unwrap());
        assert!(everywhere.allows_host("keysmith.office.lan:8700"));
    }
}
