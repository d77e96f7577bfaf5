//! The app as a device of a team vault: where it works (the vault file, or a team server by
//! its profile), joining with an invitation, unlocking the device key, and the link that
//! carries every admin operation to the server. When the server cannot be reached the link
//! answers the inventory from the offline copy (read-only, with when it went offline) and goes
//! back online by itself at the next call that reaches the server.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use keysmith_client::{profile, ClientError, OfflineCopy, Remote};
use keysmith_core::{CredentialQuery, Secret};
use keysmith_ops::{self as ops, Operation};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How often the offline copy is taken again while online, at most, when nothing was changed
/// from this window (another operator's changes reach it within this time).
const COPY_EVERY: Duration = Duration::from_secs(60);

/// Where the window works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// The vault file on this computer.
    Local,
    /// A team server, as the device of this profile.
    Team {
        /// The profile's name.
        profile: String,
    },
}

/// A team vault this computer has joined.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TeamPlace {
    /// The profile's name.
    pub profile: String,
    /// The server's address.
    pub server: String,
    /// Whom the device acts as.
    pub user_email: String,
    /// The device's name.
    pub device_name: String,
    /// Whether its key is sealed with a passphrase (otherwise the OS keychain keeps it).
    pub sealed: bool,
}

/// Where the window can work, and where it does.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Places {
    /// The vault file's path.
    pub local: String,
    /// The team vaults joined.
    pub teams: Vec<TeamPlace>,
    /// Where the window works now.
    pub current: Place,
}

/// A team vault as the window is linked to it now.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TeamStatus {
    /// The profile's name.
    pub profile: String,
    /// The server's address.
    pub server: String,
    /// Whom the device acts as.
    pub user_email: String,
    /// Since when the server cannot be reached; none while online.
    pub offline_since: Option<DateTime<Utc>>,
}

/// The open link to a team server: the device's door, its online state and its offline copy.
pub struct TeamLink {
    remote: Remote,
    offline_since: Mutex<Option<DateTime<Utc>>>,
    copy: Mutex<Option<Arc<OfflineCopy>>>,
    copied_at: Mutex<Option<Instant>>,
    /// Whether a copy is being taken (on a thread of its own: at 100,000 credentials it takes
    /// a while, and no call waits for it).
    copying: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TeamLink {
    /// A link through `remote`: it reaches the server now (refreshing the offline copy), or,
    /// unreachable, opens offline on the copy kept — failing only when there is none.
    pub fn open(remote: Remote) -> AppResult<Arc<TeamLink>> {
        let copy = remote.offline_copy().map(Arc::new);
        let link = Arc::new(TeamLink {
            remote,
            offline_since: Mutex::new(None),
            copy: Mutex::new(copy),
            copied_at: Mutex::new(None),
            copying: AtomicBool::new(false),
        });
        match link.remote.call(&ops::ShowPeople {}) {
            Ok(_) => link.take_copy(),
            Err(ClientError::Unreachable { .. }) if lock(&link.copy).is_some() => {
                let since = lock(&link.copy).as_ref().map(|copy| copy.saved_at);
                *lock(&link.offline_since) = since.or(Some(Utc::now()));
            }
            Err(error) => return Err(error.into()),
        }
        Ok(link)
    }

    /// Where it is linked, and whether it is online.
    pub fn status(&self) -> TeamStatus {
        let profile = self.remote.profile();
        TeamStatus {
            profile: profile.name.clone(),
            server: profile.server.clone(),
            user_email: profile.user_email.clone(),
            offline_since: *lock(&self.offline_since),
        }
    }

    /// The profile's name and server, for the window's title.
    pub fn title(&self) -> String {
        let profile = self.remote.profile();
        format!("{} ({})", profile.name, profile.server)
    }

    /// Carries `op` out on the server; unreachable, answers the inventory's reads from the
    /// offline copy and refuses the rest as [`AppError::Offline`].
    pub fn call<O: Operation>(self: &Arc<Self>, op: O) -> AppResult<O::Answer> {
        match self.remote.call(&op) {
            Ok(answer) => {
                if O::EFFECT == ops::Effect::Change {
                    // What this window changed is in the next copy, taken at the next listing.
                    *lock(&self.copied_at) = None;
                }
                let came_back = lock(&self.offline_since).take().is_some();
                let stale = lock(&self.copied_at).is_none_or(|at| at.elapsed() >= COPY_EVERY);
                if came_back || (stale && O::NAME == ops::ListCredentials::NAME) {
                    self.take_copy();
                }
                Ok(answer)
            }
            Err(ClientError::Unreachable { .. }) => {
                let since = *lock(&self.offline_since).get_or_insert_with(Utc::now);
                self.answer_offline(&op).ok_or_else(|| AppError::Offline {
                    since: since.format("%H:%M UTC").to_string(),
                })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The answer the offline copy gives `op`, for the reads it can answer.
    fn answer_offline<O: Operation>(&self, op: &O) -> Option<O::Answer> {
        let copy = lock(&self.copy).clone()?;
        let now = Utc::now();
        let answer = match O::NAME {
            name if name == ops::ListCredentials::NAME => {
                let request = serde_json::to_value(op).ok()?;
                let query: Option<CredentialQuery> =
                    serde_json::from_value(request.get("query")?.clone()).ok()?;
                serde_json::to_value(copy.page(&query.unwrap_or_default(), now)).ok()?
            }
            name if name == ops::CountCredentials::NAME => {
                serde_json::to_value(copy.counts(now)).ok()?
            }
            name if name == ops::ShowPeople::NAME => {
                serde_json::to_value(copy.people.as_ref()?).ok()?
            }
            _ => return None,
        };
        serde_json::from_value(answer).ok()
    }

    /// Takes the offline copy again, on a thread of its own: every credential and the people,
    /// sealed on this computer. A failure is logged: the window goes on.
    fn take_copy(self: &Arc<Self>) {
        if self.copying.swap(true, Ordering::SeqCst) {
            return;
        }
        *lock(&self.copied_at) = Some(Instant::now());
        let link = Arc::clone(self);
        std::thread::spawn(move || {
            link.copy_now();
            link.copying.store(false, Ordering::SeqCst);
        });
    }

    fn copy_now(&self) {
        let every = CredentialQuery {
            limit: None,
            ..CredentialQuery::default()
        };
        let taken = self
            .remote
            .call(&ops::ListCredentials { query: Some(every) })
            .and_then(|listing| {
                let people = self.remote.call(&ops::ShowPeople {}).ok();
                let copy = OfflineCopy::of(listing.rows, people, Utc::now());
                self.remote.keep_offline_copy(&copy)?;
                Ok(copy)
            });
        match taken {
            Ok(copy) => *lock(&self.copy) = Some(Arc::new(copy)),
            Err(error) => tracing::warn!(code = error.code(), "could not take the offline copy"),
        }
    }
}

/// The profiles folder, and the team places in it.
fn team_places() -> AppResult<(PathBuf, Vec<TeamPlace>)> {
    let folder = profile::folder()?;
    let mut teams = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&folder) {
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(".json"))
            else {
                continue;
            };
            if let Ok(profile) = keysmith_client::Profile::load(&folder, name) {
                teams.push(TeamPlace {
                    sealed: keysmith_client::keystore::sealed_path(&folder, name).exists(),
                    profile: profile.name,
                    server: profile.server,
                    user_email: profile.user_email,
                    device_name: profile.device_name,
                });
            }
        }
    }
    teams.sort_by(|a, b| a.profile.cmp(&b.profile));
    Ok((folder, teams))
}

/// Where the window can work and where it does.
#[tauri::command]
#[specta::specta]
pub async fn places(state: State<'_, AppState>) -> AppResult<Places> {
    state
        .run(|state| {
            let (_, teams) = team_places()?;
            Ok(Places {
                local: state.vault_path.display().to_string(),
                teams,
                current: state.place(),
            })
        })
        .await
}

/// Moves the window to `place`: whatever is unlocked now locks first.
#[tauri::command]
#[specta::specta]
pub async fn choose_place(state: State<'_, AppState>, place: Place) -> AppResult<()> {
    state
        .run(move |state| {
            if let Place::Team { profile } = &place {
                profile::check_name(profile)?;
                keysmith_client::Profile::load(&profile::folder()?, profile)?;
            }
            state.lock();
            state.set_place(place);
            Ok(())
        })
        .await
}

/// Joins the team vault an invitation names as a device called `device_name` (its key sealed
/// with `passphrase` when one is given, else in the OS keychain), and opens it.
#[tauri::command]
#[specta::specta]
pub async fn join_team(
    state: State<'_, AppState>,
    invitation: Secret,
    device_name: String,
    passphrase: Option<Secret>,
) -> AppResult<()> {
    state
        .run(move |state| {
            let folder = profile::folder()?;
            let name = profile_name(&device_name);
            let passphrase = passphrase.filter(|passphrase| !passphrase.expose().is_empty());
            keysmith_client::join(
                &invitation,
                &folder,
                &name,
                &device_name,
                passphrase.as_ref(),
            )?;
            state.lock();
            state.set_place(Place::Team {
                profile: name.clone(),
            });
            let remote = Remote::open(&folder, &name, passphrase.as_ref())?;
            state.open_team(TeamLink::open(remote)?)
        })
        .await
}

/// A profile name made of a device name: its letters and digits, the rest as '-'.
fn profile_name(device_name: &str) -> String {
    let name: String = device_name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let name = name.trim_matches('-').to_owned();
    if name.is_empty() {
        "team".to_owned()
    } else {
        name
    }
}

/// Opens the team vault the window is on: the device key from the keychain, or its sealed
/// file with `passphrase`.
#[tauri::command]
#[specta::specta]
pub async fn unlock_team(state: State<'_, AppState>, passphrase: Option<Secret>) -> AppResult<()> {
    state
        .run(move |state| {
            let Place::Team { profile } = state.place() else {
                return Err(AppError::LocalOnly);
            };
            let remote = Remote::open(&profile::folder()?, &profile, passphrase.as_ref())?;
            state.open_team(TeamLink::open(remote)?)
        })
        .await
}

/// Opens the team vault the window is on with the device key the OS keychain keeps; a key
/// sealed with a passphrase waits for it (the unlock screen asks), and a keychain that cannot
/// be used is a notice.
pub fn unlock_from_keychain(state: &AppState) -> AppResult<crate::models::KeychainOutcome> {
    let Place::Team { profile } = state.place() else {
        return Err(AppError::LocalOnly);
    };
    let folder = profile::folder()?;
    let waits = |notice: Option<String>| crate::models::KeychainOutcome {
        unlocked: false,
        notice,
    };
    if keysmith_client::keystore::sealed_path(&folder, &profile).exists() {
        return Ok(waits(None));
    }
    match Remote::open(&folder, &profile, None) {
        Ok(remote) => {
            state.open_team(TeamLink::open(remote)?)?;
            Ok(crate::models::KeychainOutcome {
                unlocked: true,
                notice: None,
            })
        }
        Err(error @ ClientError::KeychainUnavailable(_)) => Ok(waits(Some(error.to_string()))),
        Err(error) => Err(error.into()),
    }
}

/// The team vault the window is linked to, and whether it is online; none on a vault file or
/// while locked. Read every few seconds: not activity.
#[tauri::command]
#[specta::specta]
pub async fn team_status(state: State<'_, AppState>) -> AppResult<Option<TeamStatus>> {
    state
        .run(|state| Ok(state.team().map(|link| link.status())))
        .await
}
