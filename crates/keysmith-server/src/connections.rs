//! Accepting connections so that no client, slow, idle or many, can take the API down: a
//! request's head must arrive within [`ConnectionLimits::header_timeout`] (which also closes
//! idle keep-alive connections), the rest of it and the answer within
//! [`ConnectionLimits::request_timeout`] (408 otherwise, answered by the boundary), at most
//! [`ConnectionLimits::max_connections`] are served at once and at most
//! [`ConnectionLimits::max_connections_per_peer`] of them for one peer address (more are
//! answered 503 and closed), so one client cannot take every place; and on shutdown requests in flight get [`ConnectionLimits::shutdown_grace`] to
//! finish before the server returns regardless.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::{Extension, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower_layer::Layer;

use crate::limits::caller_block;

/// How long and how many: the bounds a server keeps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections served at once; more are answered 503.
    pub max_connections: usize,
    /// Connections served at once for one peer address (an IPv6 peer: its /64); more are
    /// answered 503. A trusted proxy (a gateway that brings every client's requests) may hold
    /// all places but this many, which stay for others.
    pub max_connections_per_peer: usize,
    /// Time for a request's head to arrive, and for an idle connection to send its next one.
    pub header_timeout: Duration,
    /// Time for the rest of a request (its body) and the answer.
    pub request_timeout: Duration,
    /// Time requests in flight get to finish once the server is asked to stop.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 512,
            max_connections_per_peer: 64,
            header_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(3),
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then lets requests
/// in flight finish within the grace period and returns. `is_trusted_proxy` is asked about a
/// peer only when it reaches its share of the places.
pub(crate) async fn accept(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    is_trusted_proxy: impl Fn(IpAddr) -> bool,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let peers = Arc::new(PeerShares::new(limits));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            tokio::spawn(turn_away(stream));
            continue;
        };
        let Some(share) = PeerShares::admit(&peers, peer.ip(), &is_trusted_proxy) else {
            tokio::spawn(turn_away(stream));
            continue;
        };
        // Every request of the connection knows its peer (forward auth, allowlists), and
        // whether it came over TLS.
        let service = Extension(ConnectInfo(peer)).layer(app.clone());
        let service = Extension(Secure(tls.is_some())).layer(service);
        let http = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            // A connection ends with an error when a client goes away or times out: routine.
            match tls {
                None => {
                    let connection = http
                        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
                    let _ = watcher.watch(connection).await;
                }
                Some(tls) => {
                    // The handshake gets the time a request's head does.
                    let handshake = tokio::time::timeout(limits.header_timeout, tls.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        let connection = http.serve_connection(
                            TokioIo::new(stream),
                            TowerToHyperService::new(service),
                        );
                        let _ = watcher.watch(connection).await;
                    }
                }
            }
            drop((share, permit));
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still unfinished after the grace period were cut off");
    }
}

/// Whether a request came over TLS (a team server's connections), for the routes that answer
/// other computers over TLS only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Secure(pub(crate) bool);

/// Refuses a request that came over plain HTTP from another computer (403 `tls_required`):
/// only loopback may speak plain HTTP to a team server's device routes.
pub(crate) async fn require_tls_beyond_loopback(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let secure = request
        .extensions()
        .get::<Secure>()
        .is_some_and(|Secure(secure)| *secure);
    let loopback = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback());
    if secure || loopback {
        next.run(request).await
    } else {
        crate::error::ApiError::TlsRequired.into_response()
    }
}

/// The connections each peer holds now (only peers with one or more are kept, so the map
/// has at most `max_connections` entries).
struct PeerShares {
    held: Mutex<HashMap<IpAddr, usize>>,
    per_peer: usize,
    per_trusted_proxy: usize,
}

/// One connection's place in its peer's share, given back when dropped.
struct Share {
    peers: Arc<PeerShares>,
    peer: IpAddr,
}

impl PeerShares {
    fn new(limits: ConnectionLimits) -> PeerShares {
        PeerShares {
            held: Mutex::default(),
            per_peer: limits.max_connections_per_peer,
            per_trusted_proxy: limits
                .max_connections
                .saturating_sub(limits.max_connections_per_peer)
                .max(limits.max_connections_per_peer),
        }
    }

    /// A place for one more connection from `address`, if its peer has not used up its share.
    fn admit(
        peers: &Arc<PeerShares>,
        address: IpAddr,
        is_trusted_proxy: impl Fn(IpAddr) -> bool,
    ) -> Option<Share> {
        let peer = caller_block(address);
        let mut held = peers.held.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(peer).or_insert(0);
        let admitted = *count < peers.per_peer
            || (*count < peers.per_trusted_proxy && is_trusted_proxy(address));
        if !admitted {
            if *count == 0 {
                held.remove(&peer);
            }
            return None;
        }
        *count += 1;
        Some(Share {
            peers: Arc::clone(peers),
            peer,
        })
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut held = self
            .peers
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.peer);
            }
        }
    }
}

/// Answers a connection beyond the limit with 503 and closes it, without reading from it.
async fn turn_away(stream: TcpStream) {
    const BODY: &str = r#"{"code":"busy","message":"Too many connections; retry shortly"}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    // One small write into a fresh socket's empty buffer; a client that cannot take even
    // that is simply closed.
    if let Ok(Ok(())) = tokio::time::timeout(Duration::from_secs(1), stream.writable()).await {
        let _ = stream.try_write(answer.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    /// A team route asked by `peer`, over TLS or not: its status.
    async fn status(peer: &str, secure: bool) -> u16 {
        let app = Router::new()
            .route("/v1/admin/list_devices", post(|| async { "ok" }))
            .layer(axum::middleware::from_fn(require_tls_beyond_loopback));
        let mut request = Request::post("/v1/admin/list_devices")
            .body(Body::empty())
            .unwrap();
        let peer: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(Secure(secure));
        app.oneshot(request).await.unwrap().status().as_u16()
    }

    #[tokio::test]
    async fn team_routes_answer_other_computers_over_tls_only() {
        assert_eq!(status("10.0.0.7:5000", false).await, 403);
        assert_eq!(status("10.0.0.7:5000", true).await, 200);
        assert_eq!(status("127.0.0.1:5000", false).await, 200, "loopback may");
        assert_eq!(status("[::1]:5000", false).await, 200);
    }
}
