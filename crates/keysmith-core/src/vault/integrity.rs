//! A session's integrity check. Every page of the database is read and checked (SQLCipher's
//! HMAC on each page, then SQLite's `quick_check`) before the session's first write, so that a
//! damaged vault is reported and never made worse. Reading every page of a large vault takes a
//! while (about 0.35 s for 100,000 credentials), so the check runs on a thread and connection
//! of its own while the session reads — the window shows its first rows meanwhile — and
//! records the unlock in the audit log once it passes. Every write of the session, on any of
//! its handles, waits for it first.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::error::{Error, Result};

/// The integrity check of one session, shared by its handles.
#[derive(Debug)]
pub struct IntegrityCheck {
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    /// Checking, then recording the unlock made this way ("passphrase", "keychain").
    Running(JoinHandle<Result<()>>, &'static str),
    /// Every page checked, the unlock recorded.
    Passed,
    /// The check found damage: nothing may be written.
    Damaged(String),
    /// Every page checked, but the unlock's audit row could not be written then (the vault
    /// busy, say); the session's first write records it first.
    Unrecorded(&'static str),
}

impl IntegrityCheck {
    /// The state of a vault with nothing left to check: a new one, or one opened for reading.
    pub(crate) fn passed() -> Arc<IntegrityCheck> {
        Arc::new(IntegrityCheck {
            state: Mutex::new(State::Passed),
        })
    }

    /// Starts `check_and_record` on a thread of its own: it checks every page and then
    /// records the unlock, made by `method`, on a connection of its own.
    pub(crate) fn start(
        method: &'static str,
        check_and_record: impl FnOnce() -> Result<()> + Send + 'static,
    ) -> Result<Arc<IntegrityCheck>> {
        let thread = std::thread::Builder::new()
            .name("keysmith-integrity".into())
            .spawn(check_and_record)?;
        Ok(Arc::new(IntegrityCheck {
            state: Mutex::new(State::Running(thread, method)),
        }))
    }

    /// Waits for the check and says whether the vault passed it: [`Error::VaultDamaged`] with
    /// what was found when it did not. For showing the verdict; every write waits for the
    /// check by itself.
    pub fn wait(&self) -> Result<()> {
        match &*self.settled() {
            State::Damaged(detail) => Err(Error::VaultDamaged(detail.clone())),
            _ => Ok(()),
        }
    }

    /// Waits for the check to end, whatever its verdict: before reading the audit log, which
    /// then holds this session's unlock.
    pub(crate) fn settle(&self) {
        drop(self.settled());
    }

    /// Waits for the check before a write: `Ok` once the vault passed and its unlock is
    /// recorded — by `record_unlock(method)` now, if the check's own attempt failed — and
    /// [`Error::VaultDamaged`] on every write after damage was found.
    pub(crate) fn before_write(
        &self,
        record_unlock: impl FnOnce(&'static str) -> Result<()>,
    ) -> Result<()> {
        let mut state = self.settled();
        match &*state {
            State::Passed => Ok(()),
            State::Damaged(detail) => Err(Error::VaultDamaged(detail.clone())),
            State::Unrecorded(method) => {
                // Under the lock: another handle's write waits for this one's record.
                record_unlock(method)?;
                *state = State::Passed;
                Ok(())
            }
            State::Running(..) => unreachable!("settled() waits for the check"),
        }
    }

    /// The state, after waiting for the check if it still runs.
    fn settled(&self) -> std::sync::MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let State::Running(_, method) = *state {
            let State::Running(thread, _) =
                std::mem::replace(&mut *state, State::Unrecorded(method))
            else {
                unreachable!()
            };
            *state = match thread.join() {
                Ok(Ok(())) => State::Passed,
                Ok(Err(Error::VaultDamaged(detail))) => {
                    tracing::error!(%detail, "the vault is damaged; nothing will be written to it");
                    State::Damaged(detail)
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "the unlock could not be recorded yet");
                    State::Unrecorded(method)
                }
                Err(_) => State::Damaged("the integrity check stopped unexpectedly".into()),
            };
        }
        state
    }
}

impl Drop for IntegrityCheck {
    /// A session that ends while its check runs waits for it, so that the unlock is recorded
    /// before anything else can open the vault, and no thread outlives its session.
    fn drop(&mut self) {
        self.settle();
    }
}

/// Reads every page once (SQLCipher checks each page's HMAC) and SQLite's own structure checks
/// (`quick_check`): [`Error::VaultDamaged`] with SQLite's words when something is off.
pub(crate) fn check_pages(conn: &Connection) -> Result<()> {
    let damaged = |detail: String| Error::VaultDamaged(one_line(&detail));
    let verdict: String = conn
        .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
        .map_err(|error| damaged(error.to_string()))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(damaged(verdict))
    }
}

/// A verdict's "*** in database main ***".
fn is_heading(line: &str) -> bool {
    line.starts_with("***") && line.ends_with("***")
}

/// SQLite's words on one line, as every error is printed: its lines joined, without the
/// "*** in database main ***" heading a verdict starts with (there is one database).
fn one_line(detail: &str) -> String {
    detail
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !is_heading(line))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_of_several_lines_is_told_on_one() {
        let verdict = "*** in database main ***\nTree 6 page 6: btreeInitPage() returns error code 11\nPage 7: never used";
        assert_eq!(
            one_line(verdict),
            "Tree 6 page 6: btreeInitPage() returns error code 11; Page 7: never used"
        );
        assert_eq!(
            one_line("database disk image is malformed"),
            "database disk image is malformed"
        );
    }
}
