//! The vault's settings, kept inside the encrypted database so they travel with the vault.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::audit::AuditAction;
use crate::credential::IpAllowlist;
use crate::error::{Error, Result};
use crate::meta;
use crate::outbound_url::Reach;
use crate::vault::Vault;

const SETTINGS_KEY: &str = "settings";
const TRUSTED_PROXIES_KEY: &str = "trusted_proxies";
const PRIVATE_CALLBACKS_KEY: &str = "private_callbacks";

/// The proxies trusted when none are set: this machine (loopback, IPv4 and IPv6).
pub const DEFAULT_TRUSTED_PROXIES: [&str; 2] = ["127.0.0.0/8", "::1/128"];

/// The trusted proxies as the vault holds them now.
pub(crate) fn load_trusted_proxies(conn: &Connection) -> Result<IpAllowlist> {
    match meta::get_json::<Vec<String>>(conn, TRUSTED_PROXIES_KEY)? {
        Some(stored) => IpAllowlist::parse(&stored),
        None => IpAllowlist::parse(&DEFAULT_TRUSTED_PROXIES),
    }
}

/// Whether the account holder allows renewal callbacks to private addresses.
pub(crate) fn private_callbacks_allowed(conn: &Connection) -> Result<bool> {
    Ok(meta::get_json::<bool>(conn, PRIVATE_CALLBACKS_KEY)?.unwrap_or(false))
}

/// How far a renewal callback may reach now.
pub(crate) fn callback_reach(conn: &Connection) -> Result<Reach> {
    Ok(match private_callbacks_allowed(conn)? {
        true => Reach::Private,
        false => Reach::Public,
    })
}

/// Whether renewal callbacks may go to private addresses, and whether this operator may
/// change that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct PrivateCallbacks {
    /// Callbacks may go to loopback and the private ranges.
    pub allowed: bool,
    /// This operator is the account holder, who alone may change it.
    pub may_change: bool,
}

impl Vault {
    /// Whether renewal callbacks may go to private addresses (loopback and the private
    /// ranges): off unless the account holder allows it. A callback is set by any member for
    /// their own credentials, and must not make Keysmith a way into the company's network.
    pub fn private_callbacks_allowed(&self) -> Result<bool> {
        private_callbacks_allowed(self.conn())
    }

    /// [`Vault::private_callbacks_allowed`], and whether this operator may change it.
    pub fn private_callbacks(&self) -> Result<PrivateCallbacks> {
        Ok(PrivateCallbacks {
            allowed: self.private_callbacks_allowed()?,
            may_change: self.operator().require_account_holder("").is_ok(),
        })
    }

    /// Allows or refuses renewal callbacks to private addresses. The account holder's alone;
    /// audited. Refusing them again leaves saved callbacks as they are, and they are refused
    /// when they are sent to.
    pub fn set_private_callbacks(&mut self, allowed: bool) -> Result<()> {
        self.operator()
            .require_account_holder("allow renewal callbacks to private addresses")?;
        self.audited(|change| {
            meta::put_json(change, PRIVATE_CALLBACKS_KEY, &allowed)?;
            change.record(
                AuditAction::SettingsChanged,
                None,
                serde_json::json!({ "private_callbacks": allowed }),
            )
        })
    }

    /// The addresses of the reverse proxies whose `X-Forwarded-For` / `X-Real-IP` the local
    /// API believes (forward auth); loopback unless set. Kept in memory until they change.
    pub fn trusted_proxies(&self) -> Result<Arc<IpAllowlist>> {
        self.verify_cache()?
            .trusted_proxies(|| load_trusted_proxies(self.conn()))
    }

    /// Sets the trusted proxies (addresses or CIDR ranges; none: trust no forwarded address)
    /// after checking each; a running API takes them from its next request. Account holder
    /// and admins.
    pub fn set_trusted_proxies(&mut self, entries: &[String]) -> Result<IpAllowlist> {
        self.operator()
            .require_admin("change the trusted proxies")?;
        let proxies = IpAllowlist::parse(entries)?;
        self.audited(|change| {
            meta::put_json(change, TRUSTED_PROXIES_KEY, &proxies.to_strings())?;
            change.record(
                AuditAction::SettingsChanged,
                None,
                serde_json::json!({ "trusted_proxies": proxies.to_strings() }),
            )
        })?;
        Ok(proxies)
    }
}

/// Settings an admin can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Settings {
    /// Seconds after a copy until the clipboard is cleared, if it still holds the copy.
    pub clipboard_clear_seconds: u32,
    /// Idle minutes until the app locks the vault.
    pub auto_lock_minutes: u32,
    /// Whether the app locks the vault when the screen locks (the desktop's screensaver
    /// turns on).
    pub lock_on_screen_lock: bool,
    /// Whether the app locks the vault when the computer goes to sleep.
    pub lock_on_sleep: bool,
    /// Whether closing the window leaves the app running in the tray (so renewals, webhooks
    /// and reminders go on while the vault is unlocked) instead of quitting.
    pub keep_running_in_tray: bool,
    /// Whether organization tokens (deprecated) may be issued.
    pub organization_tokens: bool,
    /// The longest a credential may live, in days (one of [`Settings::LIFETIME_CHOICES`]):
    /// issue, renew and auto-renewal obey it; lowering it leaves existing credentials be.
    pub max_lifetime_days: u32,
    /// The local API server.
    pub api: ApiSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            clipboard_clear_seconds: 30,
            auto_lock_minutes: 10,
            lock_on_screen_lock: true,
            lock_on_sleep: true,
            keep_running_in_tray: false,
            organization_tokens: false,
            max_lifetime_days: 365,
            api: ApiSettings::default(),
        }
    }
}

/// Where and how the local API listens. Off by default, on loopback by default; listening on
/// any other address is an explicit, separately confirmed choice, and then every call needs a
/// verifier key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ApiSettings {
    /// Whether the app runs the server while the vault is unlocked.
    pub enabled: bool,
    /// The address to listen on.
    pub address: IpAddr,
    /// The port to listen on; 0 takes any free one.
    pub port: u16,
    /// The second confirmation that listening beyond loopback is wanted.
    pub allow_remote: bool,
    /// Whether calls on loopback need a verifier key too (beyond loopback they always do).
    pub require_verifier: bool,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            enabled: false,
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8700,
            allow_remote: false,
            require_verifier: false,
        }
    }
}

impl ApiSettings {
    /// The socket address to listen on.
    pub fn listen(&self) -> SocketAddr {
        SocketAddr::new(self.address, self.port)
    }

    /// Whether every call must carry a verifier key.
    pub fn requires_verifier(&self) -> bool {
        self.require_verifier || !self.address.is_loopback()
    }

    /// Checks that an address beyond loopback was confirmed.
    pub fn validate(&self) -> Result<()> {
        if !self.address.is_loopback() && !self.allow_remote {
            return Err(Error::RemoteBindUnconfirmed(self.address));
        }
        Ok(())
    }
}

impl Settings {
    /// The maximum lifetimes a vault's policy may choose, in days.
    pub const LIFETIME_CHOICES: [u32; 6] = [7, 30, 60, 90, 180, 365];
    pub(crate) const CLIPBOARD_SECONDS: (u32, u32) = (1, 600);
    pub(crate) const AUTO_LOCK_MINUTES: (u32, u32) = (1, 1440);

    /// Checks every value against its range.
    pub fn validate(&self) -> Result<()> {
        check(
            "Clipboard clear delay (seconds)",
            self.clipboard_clear_seconds,
            Self::CLIPBOARD_SECONDS,
        )?;
        check(
            "Auto-lock (minutes)",
            self.auto_lock_minutes,
            Self::AUTO_LOCK_MINUTES,
        )?;
        if !Self::LIFETIME_CHOICES.contains(&self.max_lifetime_days) {
            return Err(Error::InvalidLifetimePolicy);
        }
        self.api.validate()
    }

    pub(crate) fn load(conn: &Connection) -> Result<Settings> {
        // Fields added in later versions fall back to their defaults: what is stored is laid
        // over the defaults, field by field.
        let Some(stored) = meta::get_json::<serde_json::Value>(conn, SETTINGS_KEY)? else {
            return Ok(Settings::default());
        };
        let mut merged = serde_json::to_value(Settings::default()).unwrap_or_default();
        overlay(&mut merged, stored);
        Ok(serde_json::from_value(merged).unwrap_or_default())
    }

    pub(crate) fn save(&self, conn: &Connection) -> Result<()> {
        meta::put_json(conn, SETTINGS_KEY, self)
    }
}

/// Lays `stored` over `defaults`: objects merge key by key, anything else replaces.
fn overlay(defaults: &mut serde_json::Value, stored: serde_json::Value) {
    match (defaults, stored) {
        (serde_json::Value::Object(defaults), serde_json::Value::Object(stored)) => {
            for (key, value) in stored {
                match defaults.get_mut(&key) {
                    Some(default) => overlay(default, value),
                    None => {
                        defaults.insert(key, value);
                    }
                }
            }
        }
        (defaults, stored) => *defaults = stored,
    }
}

fn check(name: &'static str, value: u32, (min, max): (u32, u32)) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidSetting { name, min, max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_hold() {
        Settings::default().validate().unwrap();
        let zero = Settings {
            clipboard_clear_seconds: 0,
            ..Settings::default()
        };
        assert_eq!(zero.validate().unwrap_err().code(), "invalid_setting");
        let long = Settings {
            auto_lock_minutes: 1441,
            ..Settings::default()
        };
        assert_eq!(long.validate().unwrap_err().code(), "invalid_setting");
        let odd = Settings {
            max_lifetime_days: 45,
            ..Settings::default()
        };
        assert_eq!(
            odd.validate().unwrap_err().code(),
            "invalid_lifetime_policy"
        );
    }

    #[test]
    fn the_api_listens_beyond_loopback_only_when_confirmed_and_then_with_verifier_keys() {
        let loopback = ApiSettings::default();
        assert_eq!(loopback.listen().to_string(), "127.0.0.1:8700");
        assert!(!loopback.requires_verifier());
        let everywhere = ApiSettings {
            address: "0.0.0.0".parse().unwrap(),
            ..loopback
        };
        assert_eq!(
            everywhere.validate().unwrap_err().code(),
            "remote_bind_unconfirmed"
        );
        let confirmed = ApiSettings {
            allow_remote: true,
            ..everywhere
        };
        confirmed.validate().unwrap();
        assert!(confirmed.requires_verifier());
        let strict = ApiSettings {
            require_verifier: true,
            ..loopback
        };
        assert!(strict.requires_verifier());
        // A vault saved before these settings existed reads them as the defaults; one saved
        // with only some of them keeps those.
        let mut conn = Connection::open_in_memory().unwrap();
        crate::vault::migrate_for_tests(&mut conn);
        let stored = |json: &str| {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (SETTINGS_KEY, json.as_bytes()),
            )
            .unwrap();
            Settings::load(&conn).unwrap()
        };
        let old = stored(
            r#"{"clipboard_clear_seconds":30,"auto_lock_minutes":10,"organization_tokens":false}"#,
        );
        assert_eq!(old.api, ApiSettings::default());
        let partial =
            stored(r#"{"clipboard_clear_seconds":45,"auto_lock_minutes":10,"api":{"port":9000}}"#);
        assert_eq!(partial.clipboard_clear_seconds, 45);
        assert!(!partial.organization_tokens);
        assert_eq!(
            partial.api,
            ApiSettings {
                port: 9000,
                ..ApiSettings::default()
            }
        );
    }
}
