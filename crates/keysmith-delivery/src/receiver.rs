//! A webhook receiver for tests and benches (the `receiver` feature): an axum server on
//! 127.0.0.1 that records every request and answers as its [`Script`] says. It also notes
//! any message that arrives while an earlier request with the same `webhook-id` is still
//! being answered, which is what "never sent twice in parallel" forbids.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
pub use axum::http::StatusCode;
use tokio::net::TcpListener;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
}

impl Received {
    /// A header's value as text ("" when absent).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// The body's `type` field.
    pub fn event(&self) -> String {
        let body: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
        body["type"].as_str().unwrap_or_default().to_owned()
    }
}

/// What the receiver answers to its `n`-th request (from 0): a status, after a delay.
pub type Script = Arc<dyn Fn(usize) -> (StatusCode, Duration) + Send + Sync>;

/// A script that answers `status` at once, always.
pub fn always(status: StatusCode) -> Script {
    Arc::new(move |_| (status, Duration::ZERO))
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    in_flight: HashSet<String>,
    overlaps: Vec<String>,
}

/// A running receiver; it stops with the runtime it was started on.
pub struct Receiver {
    address: SocketAddr,
    log: Arc<Mutex<Log>>,
}

impl Receiver {
    /// Starts a receiver on a free port of 127.0.0.1.
    pub async fn start(script: Script) -> std::io::Result<Receiver> {
        Receiver::on(TcpListener::bind("127.0.0.1:0").await?, script)
    }

    /// Starts a receiver on `listener`.
    pub fn on(listener: TcpListener, script: Script) -> std::io::Result<Receiver> {
        let address = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = Arc::clone(&log);
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let (log, script) = (Arc::clone(&shared), Arc::clone(&script));
            async move {
                let request = Received { headers, body };
                let id = request.header("webhook-id");
                let n = {
                    let mut log = lock(&log);
                    if !log.in_flight.insert(id.clone()) {
                        log.overlaps.push(id.clone());
                    }
                    log.received.push(request);
                    log.received.len() - 1
                };
                let (status, delay) = script(n);
                tokio::time::sleep(delay).await;
                lock(&log).in_flight.remove(&id);
                status
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Receiver { address, log })
    }

    /// The URL to register: `http://127.0.0.1:<port>/hooks`.
    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.address)
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.log).received.clone()
    }

    /// The `webhook-id`s that arrived while a request with the same id was being answered.
    pub fn overlaps(&self) -> Vec<String> {
        lock(&self.log).overlaps.clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
