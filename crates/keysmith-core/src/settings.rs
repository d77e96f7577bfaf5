//! The vault's settings, kept inside the encrypted database so they travel with the vault.

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const SETTINGS_KEY: &str = "settings";

/// Settings an admin can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Seconds after a copy until the clipboard is cleared, if it still holds the copy.
    pub clipboard_clear_seconds: u32,
    /// Idle minutes until the app locks the vault.
    pub auto_lock_minutes: u32,
    /// Whether organization tokens (deprecated) may be issued.
    #[serde(default)]
    pub organization_tokens: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            clipboard_clear_seconds: 30,
            auto_lock_minutes: 10,
            organization_tokens: false,
        }
    }
}

impl Settings {
    const CLIPBOARD_SECONDS: (u32, u32) = (1, 600);
    const AUTO_LOCK_MINUTES: (u32, u32) = (1, 1440);

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
        )
    }

    pub(crate) fn load(conn: &Connection) -> Result<Settings> {
        let stored: Option<Vec<u8>> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [SETTINGS_KEY],
                |row| row.get(0),
            )
            .optional()?;
        // Fields added in later versions fall back to their defaults.
        Ok(stored
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default())
    }

    pub(crate) fn save(&self, conn: &Connection) -> Result<()> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (SETTINGS_KEY, json),
        )?;
        Ok(())
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
    }
}
