//! The local API as the app runs it: at most one server, on its own handle to the unlocked
//! vault, started when the vault unlocks with the API switched on, restarted when its settings
//! change, stopped when the vault locks. Its status is what the settings' status line shows.

use std::net::TcpListener;
use std::sync::{Mutex, MutexGuard, PoisonError};

use keysmith_core::{ApiSettings, Vault};
use keysmith_server::{Access, ApiState};
use serde::Serialize;
use tokio::sync::oneshot;

/// What the server is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ApiStatus {
    /// Not running (switched off, or the vault is locked).
    Stopped,
    /// Answering on `address`.
    Listening {
        /// The address and port it listens on.
        address: String,
        /// Whether every call needs a verifier key.
        verifier_required: bool,
    },
    /// Another program holds `address`.
    PortInUse {
        /// The address and port asked for.
        address: String,
    },
    /// It could not start, and why (no secret is ever part of it).
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// A server that is running: what stops it, the settings it runs with and where it listens.
struct Running {
    stop: oneshot::Sender<()>,
    settings: ApiSettings,
    address: String,
}

/// The server, if one runs, and what the status line says.
struct Server {
    running: Option<Running>,
    status: ApiStatus,
}

impl Server {
    /// Stops the server, if it runs. Recorded uses are written on its way out.
    fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            // The server may have ended already; then there is nothing to stop.
            let _ = running.stop.send(());
        }
        self.status = ApiStatus::Stopped;
    }
}

/// The app's one local API server.
pub struct ApiServer {
    inner: Mutex<Server>,
}

impl Default for ApiServer {
    fn default() -> Self {
        ApiServer {
            inner: Mutex::new(Server {
                running: None,
                status: ApiStatus::Stopped,
            }),
        }
    }
}

impl ApiServer {
    fn inner(&self) -> MutexGuard<'_, Server> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What the server is doing now.
    pub fn status(&self) -> ApiStatus {
        self.inner().status.clone()
    }

    /// Runs the server as `api` says over `vault`: keeps it when it already listens with these
    /// settings, otherwise stops it and, when switched on, starts it afresh (so saving again
    /// retries a port that was in use).
    pub fn apply(&self, vault: &Vault, api: &ApiSettings) -> ApiStatus {
        let mut server = self.inner();
        if let (Some(running), ApiStatus::Listening { .. }) = (&server.running, &server.status) {
            if running.settings == *api {
                return server.status.clone();
            }
        }
        server.stop();
        if api.enabled {
            server.status = match start(vault, api) {
                Ok(running) => {
                    let status = ApiStatus::Listening {
                        address: running.address.clone(),
                        verifier_required: api.requires_verifier(),
                    };
                    server.running = Some(running);
                    status
                }
                Err(status) => status,
            };
        }
        server.status.clone()
    }

    /// Stops the server, if it runs. Recorded uses are written on its way out.
    pub fn stop(&self) {
        self.inner().stop();
    }
}

/// Binds now (so the status is known at once) and serves on the async runtime.
fn start(vault: &Vault, api: &ApiSettings) -> Result<Running, ApiStatus> {
    let wanted = api.listen().to_string();
    let failed = |message: String| ApiStatus::Failed { message };
    let listener = TcpListener::bind(api.listen()).map_err(|error| match error.kind() {
        std::io::ErrorKind::AddrInUse => ApiStatus::PortInUse {
            address: wanted.clone(),
        },
        _ => failed(format!("Cannot listen on {wanted}: {error}")),
    })?;
    let address = listener
        .local_addr()
        .map_err(|error| failed(error.to_string()))?
        .to_string();
    listener
        .set_nonblocking(true)
        .map_err(|error| failed(error.to_string()))?;
    let handle = vault
        .open_again()
        .map_err(|error| failed(error.to_string()))?;
    let state =
        ApiState::new(handle, Access::for_settings(api)).map_err(|e| failed(e.to_string()))?;
    let (stop, stopped) = oneshot::channel::<()>();
    tauri::async_runtime::spawn(async move {
        let served = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => {
                keysmith_server::serve(listener, state, async {
                    let _ = stopped.await;
                })
                .await
            }
            Err(error) => Err(error),
        };
        if let Err(error) = served {
            tracing::warn!(%error, "the local API stopped with an error");
        }
    });
    Ok(Running {
        stop,
        settings: *api,
        address,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use keysmith_core::{AccountHolder, KdfParams, Name};

    use super::*;

    fn vault(dir: &std::path::Path) -> Vault {
        Vault::create(
            &dir.join("api.vault"),
            &"api server passphrase".into(),
            &AccountHolder {
                name: Name::new("Ada").unwrap(),
                email: "ada@example.com".to_owned().try_into().unwrap(),
            },
            KdfParams::MINIMUM,
            keysmith_core::clock::system(),
        )
        .unwrap()
    }

    /// `GET /v1/health` on `address` over a plain socket: the status line's first line.
    fn health(address: &str) -> std::io::Result<String> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.write_all(
            format!("GET /v1/health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer.lines().next().unwrap_or_default().to_owned())
    }

    #[test]
    fn it_listens_reports_a_taken_port_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        let vault = vault(dir.path());
        let server = ApiServer::default();
        let off = ApiSettings::default();
        assert_eq!(server.apply(&vault, &off), ApiStatus::Stopped);

        let on = ApiSettings {
            enabled: true,
            port: 0,
            ..off
        };
        let ApiStatus::Listening { address, .. } = server.apply(&vault, &on) else {
            panic!("not listening: {:?}", server.status());
        };
        assert_eq!(health(&address).unwrap(), "HTTP/1.1 200 OK");
        // The same settings again leave it be.
        assert_eq!(server.apply(&vault, &on), server.status());

        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let busy = ApiSettings {
            port: taken.local_addr().unwrap().port(),
            ..on
        };
        assert!(matches!(
            server.apply(&vault, &busy),
            ApiStatus::PortInUse { .. }
        ));
        server.stop();
        assert_eq!(server.status(), ApiStatus::Stopped);
        // Stopped means stopped: the old port no longer answers (within a bounded wait).
        let closed = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            health(&address).is_err()
        });
        assert!(closed, "{address} still answers");
    }
}
