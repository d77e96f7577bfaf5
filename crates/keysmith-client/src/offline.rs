//! The offline copy of a team vault's inventory: the rows the window last saw (names, owners,
//! kinds, scopes, dates, statuses — never a secret or a digest), kept in an encrypted file
//! beside the profile (`<profile>.inventory`, XChaCha20-Poly1305 under a key derived from the
//! device key), so the window still shows the inventory, read-only, when the server cannot be
//! reached. Statuses, ages and days left are computed again for the moment they are shown;
//! search, filters and sorting work as on the server, over the rows kept.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Duration, Utc};
use keysmith_core::team::proof::DeviceKey;
use keysmith_core::{Credential, CredentialQuery, SortKey, Status};
use keysmith_ops::{CredentialCounts, CredentialListing, CredentialRow};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::ClientError;

/// Why a row of the offline copy cannot be acted on.
pub const READ_ONLY: &str = "Offline: changes need the team server";

/// The inventory as it was when last seen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfflineCopy {
    /// When it was taken.
    pub saved_at: DateTime<Utc>,
    /// Every credential, as the server answered it.
    pub credentials: Vec<Credential>,
    /// The people and catalogues (names, roles, permissions), for the window's filters and
    /// owner names.
    #[serde(default)]
    pub people: Option<keysmith_ops::PeopleOverview>,
}

/// The file of profile `name`'s offline copy in `folder`.
pub fn path(folder: &Path, name: &str) -> PathBuf {
    folder.join(format!("{name}.inventory"))
}

/// The key the copy is sealed with: derived from the device key, so the copy opens only where
/// the device key does.
fn sealing_key(device: &DeviceKey) -> Zeroizing<[u8; 32]> {
    let mut hash = Sha256::new();
    hash.update(b"keysmith offline inventory v1\n");
    hash.update(device.to_bytes().as_slice());
    Zeroizing::new(hash.finalize().into())
}

impl OfflineCopy {
    /// The copy of `rows`, taken at `now`.
    pub fn of(
        rows: Vec<CredentialRow>,
        people: Option<keysmith_ops::PeopleOverview>,
        now: DateTime<Utc>,
    ) -> OfflineCopy {
        OfflineCopy {
            saved_at: now,
            credentials: rows.into_iter().map(|row| row.credential).collect(),
            people,
        }
    }

    /// Writes it for profile `name` into `folder`, sealed with a key of `device`'s.
    pub fn save(&self, folder: &Path, name: &str, device: &DeviceKey) -> Result<(), ClientError> {
        let plain = Zeroizing::new(serde_json::to_vec(self).unwrap_or_default());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(sealing_key(device).as_ref().into());
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_slice())
            .map_err(|_| ClientError::Protocol("the offline copy could not be sealed".into()))?;
        let mut file = nonce.to_vec();
        file.extend_from_slice(&sealed);
        keysmith_core::export::write_private(&path(folder, name), &file)?;
        Ok(())
    }

    /// The copy of profile `name` in `folder`, if there is one that `device`'s key opens.
    pub fn load(folder: &Path, name: &str, device: &DeviceKey) -> Option<OfflineCopy> {
        let file = std::fs::read(path(folder, name)).ok()?;
        if file.len() < 24 {
            return None;
        }
        let (nonce, sealed) = file.split_at(24);
        let cipher = XChaCha20Poly1305::new(sealing_key(device).as_ref().into());
        let plain = Zeroizing::new(cipher.decrypt(XNonce::from_slice(nonce), sealed).ok()?);
        serde_json::from_slice(&plain).ok()
    }

    /// The page `query` selects, as of `now`; every row read-only.
    pub fn page(&self, query: &CredentialQuery, now: DateTime<Utc>) -> CredentialListing {
        let search = query.search.as_deref().map(str::to_lowercase);
        let mut rows: Vec<CredentialRow> = self
            .credentials
            .iter()
            .filter(|credential| selects(query, search.as_deref(), credential, now))
            .cloned()
            .map(|credential| CredentialRow::new(credential, now, Some(READ_ONLY.to_owned())))
            .collect();
        rows.sort_by(|a, b| {
            let order =
                compare(query.sort, a, b).then_with(|| a.credential.id.cmp(&b.credential.id));
            if query.descending {
                order.reverse()
            } else {
                order
            }
        });
        let total = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
        let limit = query.limit.map_or(usize::MAX, |limit| limit as usize);
        CredentialListing {
            total,
            rows: rows.into_iter().skip(offset).take(limit).collect(),
        }
    }

    /// The counts beside the inventory, as of `now`.
    pub fn counts(&self, now: DateTime<Utc>) -> CredentialCounts {
        let soon = self
            .credentials
            .iter()
            .filter(|credential| credential.status(now) == Status::ExpiringSoon)
            .count();
        CredentialCounts {
            in_vault: u32::try_from(self.credentials.len()).unwrap_or(u32::MAX),
            expiring_soon: u32::try_from(soon).unwrap_or(u32::MAX),
        }
    }
}

/// Whether `query` selects `credential` at `now` (the Health checks need the server: none is
/// selected offline).
fn selects(
    query: &CredentialQuery,
    search: Option<&str>,
    credential: &Credential,
    now: DateTime<Utc>,
) -> bool {
    let status = credential.status(now);
    query.health.is_none()
        && query.kind.is_none_or(|kind| credential.kind == kind)
        && query
            .owner
            .is_none_or(|owner| credential.owner_id == Some(owner))
        && (query.statuses.is_empty() || query.statuses.contains(&status))
        && query.expires_within_days.is_none_or(|days| {
            status != Status::Revoked
                && credential.expires_at > now
                && credential.expires_at <= now + Duration::days(i64::from(days))
        })
        && !(query.fold_renewed && query.statuses.is_empty() && credential.superseded_by.is_some())
        && search.is_none_or(|search| {
            [
                Some(credential.name.as_str()),
                Some(credential.description.as_str()),
                credential.client_id.as_deref(),
                Some(credential.token_hint.as_str()),
            ]
            .into_iter()
            .flatten()
            .any(|text| text.to_lowercase().contains(search))
        })
}

fn compare(sort: SortKey, a: &CredentialRow, b: &CredentialRow) -> Ordering {
    let (x, y) = (&a.credential, &b.credential);
    match sort {
        SortKey::Name => x.name.to_lowercase().cmp(&y.name.to_lowercase()),
        SortKey::Kind => x.kind.as_str().cmp(y.kind.as_str()),
        SortKey::Owner => x.owner_name.cmp(&y.owner_name),
        SortKey::Created => x.created_at.cmp(&y.created_at),
        SortKey::Expires => x.expires_at.cmp(&y.expires_at),
        SortKey::Status => rank(a.status).cmp(&rank(b.status)),
        SortKey::LastUsed => x.last_used_at.cmp(&y.last_used_at),
    }
}

/// The status order of the inventory's status sort: what needs a look first.
fn rank(status: Status) -> usize {
    Status::ALL
        .iter()
        .position(|s| *s == status)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(id: i64, name: &str, expires_in_days: i64, now: DateTime<Utc>) -> Credential {
        serde_json::from_value(serde_json::json!({
            "id": id, "kind": "personal_access_token", "name": name, "description": "",
            "token_hint": format!("ks_pat_{id}abc…"), "owner_id": 2, "owner_name": "Cleo",
            "scopes": ["payables:read"], "rights": "read", "applications": ["Ledger"],
            "rate_limit": 30, "client_id": null, "created_at": now - Duration::days(10),
            "expires_at": now + Duration::days(expires_in_days),
            "revoked_at": null, "disabled_at": null, "last_used_at": null, "renewed_from": null,
            "renewed_at": null, "superseded_by": null, "blocked": null, "usage": null,
            "allowed_ips": [],
        }))
        .unwrap()
    }

    #[test]
    fn the_copy_opens_with_its_device_key_only_and_answers_queries_as_of_now() {
        let now = Utc::now();
        let copy = OfflineCopy {
            saved_at: now,
            credentials: vec![
                credential(1, "ledger sync", 30, now),
                credential(2, "payroll export", 3, now),
                credential(3, "old import", -1, now),
            ],
            people: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let key = DeviceKey::generate();
        copy.save(dir.path(), "team", &key).unwrap();
        let file = std::fs::read(path(dir.path(), "team")).unwrap();
        assert!(!String::from_utf8_lossy(&file).contains("ledger"), "sealed");
        assert!(OfflineCopy::load(dir.path(), "team", &DeviceKey::generate()).is_none());
        let copy = OfflineCopy::load(dir.path(), "team", &key).unwrap();

        let all = copy.page(&CredentialQuery::default(), now);
        assert_eq!(all.total, 3);
        assert!(all
            .rows
            .iter()
            .all(|row| row.refusal.as_deref() == Some(READ_ONLY)));
        let soon = copy.page(
            &CredentialQuery {
                statuses: vec![Status::ExpiringSoon],
                ..CredentialQuery::default()
            },
            now,
        );
        assert_eq!(soon.rows[0].credential.name, "payroll export");
        // A day later, the copy's statuses and days left move with the clock.
        let later = copy.page(&CredentialQuery::default(), now + Duration::days(4));
        let payroll = later
            .rows
            .iter()
            .find(|row| row.credential.id.0 == 2)
            .unwrap();
        assert_eq!(payroll.status, Status::Expired);
        let found = copy.page(
            &CredentialQuery {
                search: Some("PAYROLL".into()),
                sort: SortKey::Name,
                ..CredentialQuery::default()
            },
            now,
        );
        assert_eq!(found.total, 1);
        let by_name = copy.page(
            &CredentialQuery {
                sort: SortKey::Name,
                descending: false,
                limit: Some(2),
                ..CredentialQuery::default()
            },
            now,
        );
        let names: Vec<_> = by_name
            .rows
            .iter()
            .map(|row| row.credential.name.as_str())
            .collect();
        assert_eq!(
            (by_name.total, names),
            (3, vec!["ledger sync", "old import"])
        );
        assert_eq!(copy.counts(now).expiring_soon, 1);
    }
}
