//! The one way to change a vault: [`Vault::audited`] reads the clock, opens a transaction,
//! runs the change, which records what it did with [`Change::record`], and commits the change
//! and its audit rows together — or, on any error, neither. Feature modules (credentials,
//! people, operators, settings) write through it and nothing else, so every change is
//! audited the same way and later hooks (webhook events) hang off this one point.

use std::borrow::Cow;
use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{operators, Vault};
use crate::audit::{self, AuditAction, AuditEntry, AuditPage, AuditQuery, ChainVerdict};
use crate::credential::CredentialId;
use crate::digest::Pepper;
use crate::error::Result;
use crate::people::{self, Operator};
use crate::webhook;

/// A change in progress: its transaction (read and write through it, as a [`Connection`]),
/// the time it happens at, who makes it, and the pepper that digests new tokens.
pub(crate) struct Change<'v> {
    tx: Transaction<'v>,
    now: DateTime<Utc>,
    operator: Cow<'v, Operator>,
    /// Who the audit rows name: the operator, or a service of Keysmith's own.
    actor: String,
    pepper: &'v Pepper,
}

impl Change<'_> {
    /// When the change happens: one instant for all of it.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Who makes the change (for a service of Keysmith's own, the account holder's rights).
    pub(crate) fn operator(&self) -> &Operator {
        &self.operator
    }

    /// The key that digests tokens.
    pub(crate) fn pepper(&self) -> &Pepper {
        self.pepper
    }

    /// Records `action` in the audit log and, if it is an event webhooks hear of, in the
    /// webhook outbox, in this change's transaction: they commit with the change or not at
    /// all. `details` never holds a secret. A credential's row must still exist when its
    /// action is recorded (the event describes it).
    pub(crate) fn record(
        &self,
        action: AuditAction,
        credential: Option<CredentialId>,
        details: serde_json::Value,
    ) -> Result<()> {
        let details = audit::naming_credential(&self.tx, credential, details)?;
        audit::append(
            &self.tx,
            self.now,
            &self.actor,
            action,
            credential,
            &details,
        )?;
        webhook::on_audit(&self.tx, self.now, action, credential, &details)
    }
}

impl Deref for Change<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.tx
    }
}

impl Vault {
    /// Runs `change` in one transaction at one instant and commits it with the audit rows it
    /// recorded; an error from `change` rolls everything back. The transaction takes the
    /// write lock as it begins (IMMEDIATE), waiting up to the busy timeout for another
    /// process's writer, so what it reads — the audit log's last row among them — is what it
    /// writes after: no two processes append the same audit sequence number.
    /// Waits first for the session's integrity check (integrity.rs): nothing is written to a
    /// damaged vault.
    pub(crate) fn audited<T>(
        &mut self,
        change: impl FnOnce(&Change<'_>) -> Result<T>,
    ) -> Result<T> {
        self.settle_before_write()?;
        self.audited_unchecked(change)
    }

    /// [`Vault::audited`] without waiting for the integrity check: for the check's own record
    /// of the unlock.
    pub(super) fn audited_unchecked<T>(
        &mut self,
        change: impl FnOnce(&Change<'_>) -> Result<T>,
    ) -> Result<T> {
        self.run_change(None, change)
    }

    /// [`Vault::audited`] for a change a service of Keysmith's own makes on the vault's
    /// behalf (auto-renewal), whoever unlocked it: the audit rows name `service`, and the
    /// change has the account holder's rights, as the settings it carries out were made by
    /// someone allowed to.
    pub(crate) fn audited_as_service<T>(
        &mut self,
        service: &str,
        change: impl FnOnce(&Change<'_>) -> Result<T>,
    ) -> Result<T> {
        self.settle_before_write()?;
        self.run_change(Some(service), change)
    }

    /// Waits for the session's integrity check before a write: nothing is written to a
    /// damaged vault.
    pub(super) fn settle_before_write(&mut self) -> Result<()> {
        let integrity = Arc::clone(&self.integrity);
        integrity.before_write(|method| self.record_unlock(method))
    }

    /// Runs `change` in one IMMEDIATE transaction at one instant, made by the operator or
    /// (with `service`) by that service with the account holder's rights, and commits it.
    fn run_change<T>(
        &mut self,
        service: Option<&str>,
        change: impl FnOnce(&Change<'_>) -> Result<T>,
    ) -> Result<T> {
        let now = self.clock.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (operator, actor) = match service {
            None => (Cow::Borrowed(&self.operator), self.operator.audit_name()),
            Some(service) => {
                let holder = operators::operator_for(&tx, people::store::account_holder(&tx)?)?;
                (Cow::Owned(holder), service.to_owned())
            }
        };
        let change_in_progress = Change {
            tx,
            now,
            actor,
            operator,
            pepper: &self.pepper,
        };
        let result = change(&change_in_progress)?;
        change_in_progress.tx.commit()?;
        Ok(result)
    }

    /// Runs `work`, bookkeeping that is nobody's change and is not audited (webhook delivery
    /// progress, the delivery lease, expiry events), in one IMMEDIATE transaction at one
    /// instant, after the session's integrity check like every write.
    pub(crate) fn bookkeeping<T>(
        &mut self,
        work: impl FnOnce(&Connection, DateTime<Utc>) -> Result<T>,
    ) -> Result<T> {
        self.settle_before_write()?;
        let now = self.clock.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let result = work(&tx, now)?;
        tx.commit()?;
        Ok(result)
    }

    /// Holds the vault's write lock on this handle's connection while `held` runs, as
    /// another process in the middle of a change would, and changes nothing. For tests of
    /// what waits for whom (the `test-support` feature).
    #[cfg(feature = "test-support")]
    pub fn holding_write_lock<T>(&mut self, held: impl FnOnce() -> T) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let result = held();
        tx.rollback()?;
        Ok(result)
    }

    /// The whole audit log, oldest first; `credential` narrows it to one credential.
    pub fn audit_log(&self, credential: Option<CredentialId>) -> Result<Vec<AuditEntry>> {
        self.integrity.settle();
        audit::log(&self.conn, credential)
    }

    /// A page of the audit log, newest first, with how many rows the query selects.
    pub fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage> {
        self.integrity.settle();
        audit::page(&self.conn, query)
    }

    /// Every row of the audit log `query` selects (its paging ignored), oldest first, each
    /// with its hash and the previous row's, for an export that can be checked outside
    /// Keysmith.
    pub fn exported_audit(&self, query: &AuditQuery) -> Result<Vec<audit::ExportedEntry>> {
        self.integrity.settle();
        audit::exported(&self.conn, query)
    }

    /// Everyone the audit log names as an actor.
    pub fn audit_actors(&self) -> Result<Vec<String>> {
        self.integrity.settle();
        audit::actors(&self.conn)
    }

    /// Recomputes the audit log's hash chain: the rows checked and the first that does not
    /// match, if any.
    pub fn verify_audit_chain(&self) -> Result<ChainVerdict> {
        self.integrity.settle();
        audit::verify_chain(&self.conn)
    }

    /// A second connection to this vault's file, outside every rule of the vault: for tests
    /// that play someone holding the key and editing the database directly (the
    /// `test-support` feature).
    #[cfg(feature = "test-support")]
    pub fn raw_connection(&self) -> Result<rusqlite::Connection> {
        self.open_connection()
    }
}
