//! The door to a team server: joining, sessions, and operations carried over HTTPS.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keysmith_core::team::invitation::Invitation;
use keysmith_core::team::proof::{DeviceKey, SignedRequest};
use keysmith_core::{Device, Name, Secret};
use keysmith_ops::{Effect, Operation};
use reqwest::blocking::{Client, Response};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::offline::OfflineCopy;
use crate::pinned::Pinned;
use crate::profile::Profile;
use crate::{keystore, ClientError};

/// How long a request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How often a change is tried when its answer does not arrive.
const RETRIES: u32 = 4;
/// The pause before the next try, times the tries so far.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// A fresh retry key: 128 random bits, base64.
fn retry_key() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    STANDARD.encode(bytes)
}

/// A server's `{code, message}`.
#[derive(Debug, Deserialize)]
struct Refusal {
    code: String,
    message: String,
}

/// An HTTPS client that speaks only to the certificate with the pinned fingerprint.
struct Connection {
    server: String,
    http: Client,
    pinned: Arc<Pinned>,
}

impl Connection {
    fn to(
        server: &str,
        fingerprint: keysmith_core::team::invitation::Fingerprint,
    ) -> Result<Connection, ClientError> {
        let (pinned, tls) = Pinned::config(fingerprint);
        let http = Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(TIMEOUT)
            // Short: an unreachable server is noticed quickly, and the window goes offline.
            .connect_timeout(Duration::from_secs(3))
            // A team server never redirects; a redirect would leave the pinned server.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|error| ClientError::Protocol(error.to_string()))?;
        Ok(Connection {
            server: server.trim_end_matches('/').to_owned(),
            http,
            pinned,
        })
    }

    /// POSTs `body` to `path` with `headers`; the answer, or why there is none.
    fn post(
        &self,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<Response, ClientError> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.server))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().map_err(|error| self.failure(&error))
    }

    /// A transport failure, as the caller should hear of it: a refused certificate says so.
    fn failure(&self, error: &reqwest::Error) -> ClientError {
        let refused = self
            .pinned
            .refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match refused {
            Some(presented) => ClientError::CertificateChanged {
                pinned: *self.pinned_fingerprint(),
                presented,
            },
            None => ClientError::Unreachable {
                server: self.server.clone(),
                reason: root_cause(error),
            },
        }
    }

    fn pinned_fingerprint(&self) -> &keysmith_core::team::invitation::Fingerprint {
        self.pinned.fingerprint()
    }
}

/// The innermost reason of a transport error, for a one-line message.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// Reads a JSON answer, or the server's refusal.
fn answer<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let status = response.status();
    let bytes = response
        .bytes()
        .map_err(|error| ClientError::Protocol(error.to_string()))?;
    if status.is_success() {
        serde_json::from_slice(&bytes).map_err(|error| ClientError::Protocol(error.to_string()))
    } else {
        let refusal: Refusal = serde_json::from_slice(&bytes).map_err(|_| {
            ClientError::Protocol(format!("the server answered {status} without a reason"))
        })?;
        Err(ClientError::Refused {
            code: refusal.code,
            message: refusal.message,
        })
    }
}

/// Joins the team server an invitation names: makes a device key, enrolls its public half as
/// `device_name`, keeps the key (sealed with `passphrase` when one is given, else in the OS
/// keychain) and saves the profile `name` in `folder`. Nothing is saved unless the server
/// enrolled the device.
pub fn join(
    invitation: &Secret,
    folder: &Path,
    name: &str,
    device_name: &str,
    passphrase: Option<&Secret>,
) -> Result<Profile, ClientError> {
    crate::profile::check_name(name)?;
    Name::new(device_name)?;
    let invitation = Invitation::decode(invitation.expose())?;
    let connection = Connection::to(&invitation.server, invitation.fingerprint)?;
    let key = DeviceKey::generate();
    let body = json!({
        "invitation": invitation.secret.expose(),
        "device_name": device_name,
        "public_key": STANDARD.encode(key.public_key()),
    });
    let body = zeroize::Zeroizing::new(serde_json::to_vec(&body).unwrap_or_default());
    let device: Device = answer(connection.post("/v1/team/join", body.to_vec(), &[])?)?;
    let profile = Profile {
        name: name.to_owned(),
        server: invitation.server.clone(),
        fingerprint: invitation.fingerprint,
        device_id: device.id,
        device_name: device.name,
        user_id: device.user_id,
        user_email: device.user_email,
    };
    keystore::keep(folder, name, &key, passphrase)?;
    profile.save(folder)?;
    Ok(profile)
}

/// An open session: its identifier and the counter of its last request.
struct Session {
    id: String,
    counter: AtomicU64,
}

/// A team server reached as one device: every operation of `keysmith_ops` goes through
/// [`Remote::call`].
pub struct Remote {
    profile: Profile,
    folder: std::path::PathBuf,
    key: DeviceKey,
    connection: Connection,
    session: Mutex<Option<Arc<Session>>>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("profile", &self.profile.name)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// The team server of profile `name` in `folder`, as its device (the key from the keychain,
    /// or its sealed file opened with `passphrase`). No request is made yet.
    pub fn open(
        folder: &Path,
        name: &str,
        passphrase: Option<&Secret>,
    ) -> Result<Remote, ClientError> {
        let profile = Profile::load(folder, name)?;
        let key = keystore::load(folder, name, passphrase)?;
        let connection = Connection::to(&profile.server, profile.fingerprint)?;
        Ok(Remote {
            profile,
            folder: folder.to_owned(),
            key,
            connection,
            session: Mutex::new(None),
        })
    }

    /// The profile this door uses.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The offline copy of this team vault's inventory kept on this computer, if any.
    pub fn offline_copy(&self) -> Option<OfflineCopy> {
        OfflineCopy::load(&self.folder, &self.profile.name, &self.key)
    }

    /// Keeps `copy` as this team vault's offline copy (sealed with a key of the device's).
    pub fn keep_offline_copy(&self, copy: &OfflineCopy) -> Result<(), ClientError> {
        copy.save(&self.folder, &self.profile.name, &self.key)
    }

    /// Drops the session (the window locked): the next call opens a new one with the key.
    pub fn forget_session(&self) {
        *self.session.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Carries out `op` on the team server as this device. A session the server no longer
    /// knows (it restarted, or the session ran out) is opened anew once, without asking anyone.
    ///
    /// A change carries a retry key: if the connection drops before its answer arrives, it is
    /// tried again (a few times, briefly) under the same key, and the server answers the first
    /// try's outcome instead of carrying it out twice — an issue never makes two credentials.
    pub fn call<O: Operation>(&self, op: &O) -> Result<O::Answer, ClientError> {
        let body = zeroize::Zeroizing::new(
            serde_json::to_vec(op).map_err(|error| ClientError::Protocol(error.to_string()))?,
        );
        let retry_key = (O::EFFECT == Effect::Change).then(retry_key);
        let mut tries = 0;
        loop {
            tries += 1;
            let outcome = match self.call_once::<O>(&body, retry_key.as_deref()) {
                Err(ClientError::Refused { code, .. }) if code == "session_expired" => {
                    self.forget_session();
                    self.call_once::<O>(&body, retry_key.as_deref())
                }
                other => other,
            };
            let again = match &outcome {
                Err(ClientError::Unreachable { .. }) => retry_key.is_some() && tries < RETRIES,
                Err(ClientError::Refused { code, .. }) => {
                    code == "request_in_progress" && tries < RETRIES
                }
                _ => false,
            };
            if !again {
                return outcome;
            }
            std::thread::sleep(RETRY_PAUSE * tries);
        }
    }

    fn call_once<O: Operation>(
        &self,
        body: &[u8],
        retry_key: Option<&str>,
    ) -> Result<O::Answer, ClientError> {
        let session = self.session()?;
        let counter = session.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let path = format!("/v1/admin/{}", O::NAME);
        let signature = self.key.sign_request(&SignedRequest {
            session: &session.id,
            counter,
            path: &path,
            retry_key,
            body,
        });
        let mut headers = vec![
            ("authorization", format!("Keysmith {}", session.id)),
            (
                "keysmith-proof",
                format!("{counter}.{}", STANDARD.encode(signature)),
            ),
        ];
        if let Some(key) = retry_key {
            headers.push(("idempotency-key", key.to_owned()));
        }
        let response = self.connection.post(&path, body.to_vec(), &headers)?;
        if response.status() == StatusCode::UNAUTHORIZED {
            self.forget_session();
        }
        answer(response)
    }

    /// The session, opened now if there is none: a challenge asked for and signed.
    fn session(&self) -> Result<Arc<Session>, ClientError> {
        if let Some(session) = self
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            return Ok(Arc::clone(session));
        }
        #[derive(Deserialize)]
        struct Answer {
            challenge: Option<String>,
            session: Option<String>,
        }
        let device = self.profile.device_id;
        let ask = serde_json::to_vec(&json!({ "device_id": device })).unwrap_or_default();
        let given: Answer = answer(self.connection.post("/v1/team/session", ask, &[])?)?;
        let challenge = given
            .challenge
            .and_then(|text| STANDARD.decode(text).ok())
            .ok_or_else(|| ClientError::Protocol("no challenge in the answer".into()))?;
        let signature = self
            .key
            .sign_challenge(&challenge, &self.profile.fingerprint);
        let signed = serde_json::to_vec(&json!({
            "device_id": device,
            "challenge": STANDARD.encode(&challenge),
            "signature": STANDARD.encode(signature),
        }))
        .unwrap_or_default();
        let opened: Answer = answer(self.connection.post("/v1/team/session", signed, &[])?)?;
        let id = opened
            .session
            .ok_or_else(|| ClientError::Protocol("no session in the answer".into()))?;
        let session = Arc::new(Session {
            id,
            counter: AtomicU64::new(0),
        });
        *self.session.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&session));
        Ok(session)
    }
}
