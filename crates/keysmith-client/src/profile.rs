//! Profiles: what `join` saves so that later commands reach the same team server as the same
//! device. One JSON file per profile under `$XDG_CONFIG_HOME/keysmith/profiles/` (the OS's
//! config folder elsewhere), readable by its owner only. A profile holds no secret: the device
//! key is in the keychain, or sealed beside it (see [`crate::keystore`]).

use std::path::{Path, PathBuf};

use keysmith_core::team::invitation::Fingerprint;
use keysmith_core::{DeviceId, UserId};
use serde::{Deserialize, Serialize};

use crate::ClientError;

/// A team server and the device this computer is to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The profile's name (what `--remote` names).
    pub name: String,
    /// The server's base URL, `https://host:port`.
    pub server: String,
    /// The certificate the server must present.
    pub fingerprint: Fingerprint,
    /// This device's id on the server.
    pub device_id: DeviceId,
    /// The device's name.
    pub device_name: String,
    /// The user it acts as.
    pub user_id: UserId,
    /// That user's e-mail address.
    pub user_email: String,
}

/// The folder profiles are kept in: `keysmith/profiles` under the user's config folder.
pub fn folder() -> Result<PathBuf, ClientError> {
    dirs::config_dir()
        .map(|config| config.join("keysmith").join("profiles"))
        .ok_or_else(|| ClientError::Profile("This system has no config folder for profiles".into()))
}

/// Refuses a profile name that would not make a plain file name.
pub fn check_name(name: &str) -> Result<(), ClientError> {
    let fine = !name.is_empty()
        && name.len() <= 40
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte));
    if fine {
        Ok(())
    } else {
        Err(ClientError::Profile(format!(
            "{name:?} cannot name a profile: use up to 40 letters, digits, '.', '_' or '-'"
        )))
    }
}

impl Profile {
    /// The file this profile is kept in, inside `folder`.
    pub fn path_in(folder: &Path, name: &str) -> PathBuf {
        folder.join(format!("{name}.json"))
    }

    /// Reads the profile `name` from `folder`.
    pub fn load(folder: &Path, name: &str) -> Result<Profile, ClientError> {
        check_name(name)?;
        let path = Profile::path_in(folder, name);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            ClientError::Profile(format!(
                "No profile {name:?} (looked for {}); join with an invitation first",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|error| {
            ClientError::Profile(format!("{} is damaged: {error}", path.display()))
        })
    }

    /// Writes this profile into `folder` (made private to its owner), replacing one of the
    /// same name.
    pub fn save(&self, folder: &Path) -> Result<PathBuf, ClientError> {
        make_private_folder(folder)?;
        let path = Profile::path_in(folder, &self.name);
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        keysmith_core::export::write_private(&path, &text)?;
        Ok(path)
    }
}

/// Makes `folder` (and its parents) and keeps it to its owner.
pub(crate) fn make_private_folder(folder: &Path) -> Result<(), ClientError> {
    std::fs::create_dir_all(folder).map_err(keysmith_core::Error::from)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))
            .map_err(keysmith_core::Error::from)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_are_plain_file_names() {
        for good in ["team", "acme-prod", "a.b_c"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "../etc", ".hidden", "a/b", "x y", &"n".repeat(41)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
