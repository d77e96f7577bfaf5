//! The leaked-token scanner: finds strings in Keysmith's token format whose checksum holds in
//! files, folders and a git repository's history, and names the credential each belongs to,
//! looked up by keyed digest (nothing is verified, so a sighting is not a use). A report
//! carries a token's hint, never the token.
//!
//! Folders are walked without following symbolic links; `.git` folders are left to `--git`,
//! which reads every commit's added lines by parsing the repository's objects
//! (the `history` module): no program runs, whatever the repository's configuration names.

mod history;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::credential::{CredentialId, Status};
use crate::error::{Error, Result};
use crate::meta;
use crate::secret::Secret;
use crate::token::{self, TokenKind};
use crate::vault::Vault;

/// Characters of a token: `ks_`, a three-letter tag, `_`, 43 base62, `_`, 6 base62.
const TOKEN_LEN: usize = 3 + 3 + 1 + 43 + 1 + 6;
/// Files larger than this are skipped (and counted): tokens live in configuration, not in
/// disk images.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The most sightings one scan reports; the count beyond it is still given.
const MAX_SIGHTINGS: usize = 10_000;

/// The meta key of the last scan's findings (its time and the credentials it found); the
/// Health section's "found by the last leak scan" reads it in SQL.
const LAST_SCAN_KEY: &str = "last_scan";

/// One place a token was found.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Sighting {
    /// `file:line`, or `commit:file:line` in a repository's history.
    pub location: String,
    /// The token's kind, from its prefix.
    pub kind: TokenKind,
    /// Its prefix and first characters, as the window shows them.
    pub hint: String,
    /// The credential it belongs to; `None` when this vault does not know it (another
    /// vault's, or an OAuth token or app secret).
    pub credential: Option<LeakedCredential>,
}

/// The credential a sighted token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct LeakedCredential {
    /// Its id.
    pub id: CredentialId,
    /// Its name.
    pub name: String,
    /// Its owner's name; `None` for an organization token.
    pub owner: Option<String>,
    /// Where it stands now.
    pub status: Status,
}

/// What a scan found.
#[derive(Debug, Clone, Default, Serialize, specta::Type)]
pub struct ScanReport {
    /// Every sighting, in the order found (at most 10,000).
    pub sightings: Vec<Sighting>,
    /// Sightings beyond those listed.
    pub more_sightings: u32,
    /// Files read.
    pub files: u32,
    /// Files skipped for their size.
    pub skipped_large: u32,
    /// Commits read with `--git`.
    pub commits: u32,
}

impl ScanReport {
    /// The active credentials sighted, each once, in the order first seen.
    pub fn active_credentials(&self) -> Vec<CredentialId> {
        let mut ids = Vec::new();
        for sighting in &self.sightings {
            if let Some(found) = &sighting.credential {
                if found.status.verifies() && !ids.contains(&found.id) {
                    ids.push(found.id);
                }
            }
        }
        ids
    }
}

/// The well-formed tokens in `bytes` (checksum checked), each with its 1-based line.
pub fn tokens_in(bytes: &[u8]) -> Vec<(u32, Secret)> {
    let mut found = Vec::new();
    let mut line = 1u32;
    let mut counted_to = 0;
    let mut at = 0;
    while let Some(offset) = find(&bytes[at..], b"ks_") {
        let start = at + offset;
        at = start + 1;
        let Some(candidate) = bytes.get(start..start + TOKEN_LEN) else {
            break;
        };
        let Ok(text) = std::str::from_utf8(candidate) else {
            continue;
        };
        // A longer run of token characters is not this token.
        let continues = bytes
            .get(start + TOKEN_LEN)
            .is_some_and(|b| b.is_ascii_alphanumeric());
        if continues || token::parse(text).is_none() {
            continue;
        }
        line += bytes[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        counted_to = start;
        found.push((line, Secret::new(text.to_owned())));
        at = start + TOKEN_LEN;
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Vault {
    /// Scans files and folders (and with `git`, each repository's history) for tokens and
    /// names their credentials. A path that does not exist, or with `git` is not in a git
    /// repository, is [`Error::ScanFailed`].
    pub fn scan_for_tokens(&self, paths: &[PathBuf], git: bool) -> Result<ScanReport> {
        let mut report = ScanReport::default();
        for path in paths {
            let metadata = fs::symlink_metadata(path)
                .map_err(|e| Error::ScanFailed(format!("{}: {e}", path.display())))?;
            if metadata.is_dir() {
                self.scan_folder(path, &mut report)?;
            } else if metadata.is_file() {
                self.scan_file(path, metadata.len(), &mut report)?;
            }
            if git {
                self.scan_history(path, &mut report)?;
            }
        }
        Ok(report)
    }

    /// Keeps which credentials `report` found, for the Health section's "found by the last
    /// leak scan" (each scan replaces the last one's).
    pub fn record_scan(&mut self, report: &ScanReport) -> Result<()> {
        let mut found: Vec<i64> = report
            .sightings
            .iter()
            .filter_map(|sighting| sighting.credential.as_ref().map(|c| c.id.0))
            .collect();
        found.sort_unstable();
        found.dedup();
        self.bookkeeping(|conn, now| {
            meta::put_json(
                conn,
                LAST_SCAN_KEY,
                &serde_json::json!({ "at": now.timestamp(), "credentials": found }),
            )
        })
    }

    fn scan_folder(&self, folder: &Path, report: &mut ScanReport) -> Result<()> {
        let mut pending = vec![folder.to_owned()];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
            entries.sort_by_key(|e| e.file_name());
            for entry in entries.into_iter().rev() {
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() && entry.file_name() != ".git" {
                    pending.push(entry.path());
                } else if kind.is_file() {
                    let size = entry.metadata().map_or(0, |m| m.len());
                    self.scan_file(&entry.path(), size, report)?;
                }
            }
        }
        Ok(())
    }

    fn scan_file(&self, file: &Path, size: u64, report: &mut ScanReport) -> Result<()> {
        if size > MAX_FILE_BYTES {
            report.skipped_large += 1;
            return Ok(());
        }
        let Ok(bytes) = fs::read(file) else {
            return Ok(());
        };
        report.files += 1;
        for (line, token) in tokens_in(&bytes) {
            self.report(format!("{}:{line}", file.display()), &token, report)?;
        }
        Ok(())
    }

    /// Reads the added lines of every commit reachable from any reference of the repository
    /// that holds `path`.
    fn scan_history(&self, path: &Path, report: &mut ScanReport) -> Result<()> {
        let folder = if path.is_dir() {
            path
        } else {
            path.parent().unwrap_or(Path::new("."))
        };
        let (commits, skipped) =
            history::added_lines(folder, b"ks_", MAX_FILE_BYTES, |at, text| {
                for (_, token) in tokens_in(text) {
                    let location = format!("{}:{}:{}", at.commit, at.path, at.line);
                    self.report(location, &token, report)?;
                }
                Ok(())
            })?;
        report.commits += commits;
        report.skipped_large += skipped;
        Ok(())
    }

    fn report(&self, location: String, token: &Secret, report: &mut ScanReport) -> Result<()> {
        if report.sightings.len() >= MAX_SIGHTINGS {
            report.more_sightings += 1;
            return Ok(());
        }
        let Some(well_formed) = token::parse(token.expose()) else {
            return Ok(());
        };
        let now = self.now();
        let credential = self
            .identify_token(token.expose())?
            .map(|c| LeakedCredential {
                id: c.id,
                status: c.status(now),
                name: c.name,
                owner: c.owner_name,
            });
        report.sightings.push(Sighting {
            location,
            kind: well_formed.kind,
            hint: token::hint(token.expose()),
            credential,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_on_their_lines_and_broken_ones_are_not() {
        let good = token::generate(TokenKind::PersonalAccessToken);
        let other = token::generate(TokenKind::Verifier);
        let mut broken = good.expose().to_owned();
        let last = broken.pop().unwrap();
        broken.push(if last == 'a' { 'b' } else { 'a' });
        let text = format!(
            "first line\nTOKEN={}\n{broken}\nx{}y and {}z\n",
            good.expose(),
            other.expose(),
            good.expose()
        );
        let found = tokens_in(text.as_bytes());
        let lines: Vec<u32> = found.iter().map(|(line, _)| *line).collect();
        assert_eq!(
            lines,
            [2],
            "only the token on line 2 stands alone with a good checksum"
        );
        assert_eq!(found[0].1, good);
        let spaced = format!("a\n\n{} {}\n", good.expose(), other.expose());
        let found = tokens_in(spaced.as_bytes());
        assert_eq!(found.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [3, 3]);
    }
}
