//! The app's state: where the vault lives, the unlocked vault if any, and when the user last
//! did something (for auto-lock). Commands reach it through [`AppState::run`], which does
//! their work on a blocking thread: no command runs on the window's thread, and none blocks
//! the async runtime with SQLCipher or argon2.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use keysmith_core::{Settings, Vault};
use keysmith_delivery::{Delivery, DeliveryConfig};
use keysmith_ops::{Effect, Operation};

use crate::api_server::ApiServer;
use crate::error::{AppError, AppResult};
use crate::team::{Place, TeamLink};

/// The unlocked vault (or the open link to a team vault), the activity clock, and when else
/// to lock.
pub struct Session {
    vault: Option<Vault>,
    team: Option<Arc<TeamLink>>,
    last_activity: Instant,
    auto_lock_after: Duration,
    lock_on_screen_lock: bool,
    lock_on_sleep: bool,
    keep_running_in_tray: bool,
}

/// Something the desktop tells the app, after which the vault may have to lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesktopEvent {
    /// The screen locked (the screensaver turned on).
    ScreenLocked,
    /// The computer is about to sleep.
    Sleeping,
}

impl Session {
    /// The unlocked vault, or [`AppError::Locked`] ([`AppError::LocalOnly`] on a team vault).
    pub fn vault(&mut self) -> AppResult<&mut Vault> {
        match (&mut self.vault, &self.team) {
            (Some(vault), _) => Ok(vault),
            (None, Some(_)) => Err(AppError::LocalOnly),
            (None, None) => Err(AppError::Locked),
        }
    }

    /// Whether a vault is unlocked, or a team vault open.
    pub fn is_unlocked(&self) -> bool {
        self.vault.is_some() || self.team.is_some()
    }

    /// Takes an unlocked vault into the session; its auto-lock time (from `settings`, the
    /// vault's) starts counting now.
    pub fn open(&mut self, vault: Vault, settings: &Settings) {
        self.apply(settings);
        self.vault = Some(vault);
        self.last_activity = Instant::now();
    }

    /// Locks: drops the vault, which closes the database and wipes its keys, or the link to a
    /// team vault, with its session and the device key.
    pub fn lock(&mut self) {
        self.vault = None;
        self.team = None;
    }

    /// Records user activity at `now`.
    pub fn touch(&mut self, now: Instant) {
        self.last_activity = now;
    }

    /// Takes the vault's desktop settings: the idle time after which it locks, whether a
    /// screen lock and sleep lock it, and whether closing the window keeps the app in the tray.
    pub fn apply(&mut self, settings: &Settings) {
        self.auto_lock_after = Duration::from_secs(u64::from(settings.auto_lock_minutes) * 60);
        self.lock_on_screen_lock = settings.lock_on_screen_lock;
        self.lock_on_sleep = settings.lock_on_sleep;
        self.keep_running_in_tray = settings.keep_running_in_tray;
    }

    /// Whether closing the window should leave the app in the tray: as the settings of the
    /// vault last unlocked say (off until one is).
    pub fn keeps_running_in_tray(&self) -> bool {
        self.keep_running_in_tray
    }

    /// Whether the vault is unlocked and `event` should lock it, as its settings say.
    pub fn locks_on(&self, event: DesktopEvent) -> bool {
        self.is_unlocked()
            && match event {
                DesktopEvent::ScreenLocked => self.lock_on_screen_lock,
                DesktopEvent::Sleeping => self.lock_on_sleep,
            }
    }

    /// Whether the vault is unlocked and has been idle past its auto-lock time at `now`.
    pub fn idle_expired(&self, now: Instant) -> bool {
        self.is_unlocked() && now.duration_since(self.last_activity) >= self.auto_lock_after
    }
}

/// Shows on the desktop (the window's title, the tray) which vault the window is on and
/// whether it is unlocked.
pub type ShowLocked = Arc<dyn Fn(&str, bool) + Send + Sync>;

/// Everything the commands share. Cloning it is cheap: each clone is a handle to the same
/// session and server.
#[derive(Clone)]
pub struct AppState {
    /// The vault file.
    pub vault_path: Arc<PathBuf>,
    session: Arc<Mutex<Session>>,
    /// The local API, running while the vault is unlocked and the API is switched on.
    pub api: Arc<ApiServer>,
    /// Webhook delivery, running while the vault is unlocked.
    delivery: Arc<Mutex<Option<Delivery>>>,
    show_locked: ShowLocked,
    /// Where the window works: the vault file, or a team vault.
    place: Arc<Mutex<Place>>,
}

/// The name of the vault file at `vault_path`, as the title shows it.
pub fn file_name(vault_path: &std::path::Path) -> String {
    vault_path.file_name().map_or_else(
        || vault_path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// The window's title: the vault's name (its file's, or the team vault's), and whether it is
/// locked.
pub fn window_title(name: &str, unlocked: bool) -> String {
    if unlocked {
        format!("{name} — Keysmith")
    } else {
        format!("{name} (locked) — Keysmith")
    }
}

impl AppState {
    /// State for the vault at `vault_path`, locked; `show_locked` shows whether it is unlocked
    /// (now, and whenever the vault locks or unlocks).
    pub fn new(vault_path: PathBuf, show_locked: ShowLocked) -> Self {
        show_locked(&file_name(&vault_path), false);
        AppState {
            vault_path: Arc::new(vault_path),
            place: Arc::new(Mutex::new(Place::Local)),
            session: Arc::new(Mutex::new(Session {
                vault: None,
                team: None,
                last_activity: Instant::now(),
                auto_lock_after: Duration::from_secs(10 * 60),
                lock_on_screen_lock: true,
                lock_on_sleep: true,
                keep_running_in_tray: false,
            })),
            api: Arc::default(),
            delivery: Arc::default(),
            show_locked,
        }
    }

    /// Runs a command's `work` on a blocking thread with a handle to this state, and waits
    /// for it without blocking the async runtime. Locks are taken inside `work`, as briefly
    /// as it needs them; a derivation (argon2) runs with none held.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&AppState) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let state = self.clone();
        tauri::async_runtime::spawn_blocking(move || work(&state))
            .await
            .map_err(|error| {
                tracing::error!(%error, "a command's work ended without an answer");
                AppError::Internal
            })?
    }

    /// Runs a command's `work` on the unlocked vault, on a blocking thread (see
    /// [`AppState::run`]); [`AppError::Locked`] when it is locked. Counts as activity.
    pub async fn with_vault<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vault) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        self.run(|state| work(state.session().vault()?)).await
    }

    /// [`AppState::with_vault`] for reads the window makes on its own (a list it keeps
    /// current every few seconds): they do not count as activity, or they would keep the
    /// vault from ever locking itself.
    pub async fn with_vault_unattended<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vault) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        self.run(|state| work(state.session_untouched().vault()?))
            .await
    }

    /// Carries out the admin operation `op` off the window's thread, on the unlocked vault or
    /// through the link to the team vault (the session is not held while the server answers);
    /// an [`Effect::Watch`] (the window keeping itself current) does not count as activity.
    pub async fn call<O: Operation>(&self, op: O) -> AppResult<O::Answer> {
        let watch = O::EFFECT == Effect::Watch;
        self.run(move |state| {
            let mut session = if watch {
                state.session_untouched()
            } else {
                state.session()
            };
            match session.team.clone() {
                Some(link) => {
                    drop(session);
                    link.call(op)
                }
                None => Ok(op.run(session.vault()?)?),
            }
        })
        .await
    }

    /// Where the window works.
    pub fn place(&self) -> Place {
        self.place
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Moves the window to `place` (locked: call [`AppState::lock`] first).
    pub fn set_place(&self, place: Place) {
        *self.place.lock().unwrap_or_else(PoisonError::into_inner) = place;
        (self.show_locked)(&self.title_name(), false);
    }

    /// The link to the team vault, while one is open.
    pub fn team(&self) -> Option<Arc<TeamLink>> {
        self.session_untouched().team.clone()
    }

    /// Takes an open team link into the session; its auto-lock time and the rest of the
    /// desktop settings are the team vault's.
    pub fn open_team(&self, link: Arc<TeamLink>) -> AppResult<()> {
        let settings = link.call(keysmith_ops::GetSettings {}).unwrap_or_default();
        let title = link.title();
        let mut session = self.session();
        session.apply(&settings);
        session.team = Some(link);
        session.last_activity = Instant::now();
        drop(session);
        (self.show_locked)(&title, true);
        Ok(())
    }

    /// What the title names: the vault file, or the team vault.
    fn title_name(&self) -> String {
        match (self.place(), self.team()) {
            (_, Some(link)) => link.title(),
            (Place::Team { profile }, None) => profile,
            (Place::Local, None) => file_name(&self.vault_path),
        }
    }

    /// Takes an unlocked vault into the session, starts webhook delivery on a handle of its
    /// own, and starts the local API if it is switched on. Call it on the async runtime's
    /// threads (the commands' blocking work runs there).
    pub fn open(&self, vault: Vault) -> AppResult<()> {
        let settings = self.start_services(&vault)?;
        self.session().open(vault, &settings);
        (self.show_locked)(&file_name(&self.vault_path), true);
        Ok(())
    }

    /// Starts the local API (if it is switched on) and webhook delivery for `vault`, each on a
    /// handle of its own; the vault's settings.
    fn start_services(&self, vault: &Vault) -> AppResult<Settings> {
        let settings = vault.settings()?;
        self.api.apply(vault, &settings.api);
        match Delivery::start(vault.open_again()?, DeliveryConfig::default()) {
            Ok(delivery) => *self.delivery_slot() = Some(delivery),
            Err(error) => tracing::error!(%error, "webhook delivery could not start"),
        }
        Ok(settings)
    }

    /// Runs `work` on the unlocked vault with no other handle of the app's open on it, for a
    /// re-key or a restore, which need the vault to themselves: the local API and webhook
    /// delivery are stopped first and started again after, whatever `work` answers. Their
    /// handles close as they wind down, so `work`'s [`keysmith_core::Error::VaultInUse`] is
    /// retried for up to five seconds; after that it stands (another process has the vault).
    pub async fn with_vault_alone<T: Send + 'static>(
        &self,
        mut work: impl FnMut(&mut Vault) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        self.run(move |state| {
            state.api.stop();
            state.delivery_slot().take();
            let mut session = state.session();
            let vault = session.vault()?;
            let deadline = Instant::now() + Duration::from_secs(5);
            let outcome = loop {
                match work(vault) {
                    Err(AppError::Core(keysmith_core::Error::VaultInUse))
                        if Instant::now() < deadline =>
                    {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    other => break other,
                }
            };
            let settings = state.start_services(vault)?;
            session.apply(&settings);
            outcome
        })
        .await
    }

    /// Stops the local API and webhook delivery (attempts in flight finish on their own and
    /// the delivery lease is released) and locks the vault.
    pub fn lock(&self) {
        self.api.stop();
        self.delivery_slot().take();
        self.session_untouched().lock();
        (self.show_locked)(&self.title_name(), false);
    }

    /// The session, with activity recorded: every command is the user doing something.
    pub fn session(&self) -> MutexGuard<'_, Session> {
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        session.touch(Instant::now());
        session
    }

    fn delivery_slot(&self) -> MutexGuard<'_, Option<Delivery>> {
        self.delivery.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session without counting it as activity, for the auto-lock watcher.
    pub fn session_untouched(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn untitled(path: PathBuf) -> AppState {
        AppState::new(path, Arc::new(|_, _| {}))
    }

    #[test]
    fn the_title_names_the_vault_file_and_says_when_it_is_locked() {
        let path = PathBuf::from("/home/ada/.local/share/keysmith/team.vault");
        assert_eq!(
            window_title(&file_name(&path), false),
            "team.vault (locked) — Keysmith"
        );
        assert_eq!(
            window_title(&file_name(&path), true),
            "team.vault — Keysmith"
        );
    }

    #[test]
    fn a_locked_session_never_idles_out_and_refuses_vault_access() {
        let state = untitled(PathBuf::from("/nonexistent"));
        let mut session = state.session();
        assert!(!session.idle_expired(Instant::now() + Duration::from_secs(86_400)));
        assert!(matches!(session.vault(), Err(AppError::Locked)));
    }

    #[test]
    fn idle_time_counts_from_the_last_activity() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::create(
            &dir.path().join("v.vault"),
            &"auto lock passphrase".into(),
            &keysmith_core::AccountHolder {
                name: keysmith_core::Name::new("Ada").unwrap(),
                email: "ada@example.com".to_owned().try_into().unwrap(),
            },
            keysmith_core::KdfParams::MINIMUM,
            keysmith_core::clock::system(),
        )
        .unwrap();
        let state = untitled(dir.path().join("v.vault"));
        let mut session = state.session();
        let settings = vault.settings().unwrap();
        session.open(vault, &settings);
        let start = Instant::now();
        session.touch(start);
        let ten_minutes = Duration::from_secs(600);
        assert!(!session.idle_expired(start + ten_minutes - Duration::from_secs(1)));
        assert!(session.idle_expired(start + ten_minutes));
        session.touch(start + ten_minutes);
        assert!(!session.idle_expired(start + ten_minutes + Duration::from_secs(1)));
        session.apply(&Settings {
            auto_lock_minutes: 1,
            lock_on_sleep: false,
            ..Settings::default()
        });
        assert!(session.idle_expired(start + ten_minutes + Duration::from_secs(60)));
        assert!(session.locks_on(DesktopEvent::ScreenLocked));
        assert!(
            !session.locks_on(DesktopEvent::Sleeping),
            "as the settings say"
        );
        session.lock();
        assert!(!session.is_unlocked());
    }
}
