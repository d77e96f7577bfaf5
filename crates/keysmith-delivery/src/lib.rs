//! Webhook delivery — and the renewal service — for one unlocked vault, run by the app while
//! it is unlocked and by `keysmith serve`. It holds the vault's delivery lease while it works
//! (so of two processes on one vault, one sends and renews), raises the events time brings,
//! runs the auto-renewals and the scheduled backup that are due, sends renewal mail (`mail`), takes due messages from the
//! outbox and sends each as a signed POST (see `send`), several at once, reporting every
//! attempt back to the vault, which decides what comes next. It never blocks its caller: the
//! vault work runs on blocking threads, the HTTP on the async runtime.

mod mail;
#[cfg(feature = "receiver")]
pub mod receiver;
mod send;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use keysmith_core::webhook::{Attempt, Dispatch};
use keysmith_core::{DeliveryId, Vault};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// How delivery paces itself.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// How long one attempt may take, answer included.
    pub timeout: Duration,
    /// How long the lease lasts unless renewed: how soon another process takes over from
    /// one that died.
    pub lease_ttl: Duration,
    /// How often the lease is renewed and time's events raised.
    pub renew_every: Duration,
    /// How often the outbox is looked at when nothing is due sooner (events written by
    /// another process are seen this late).
    pub poll_every: Duration,
    /// How many attempts are in flight at once.
    pub concurrency: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            timeout: Duration::from_secs(15),
            lease_ttl: Duration::from_secs(10),
            renew_every: Duration::from_secs(3),
            poll_every: Duration::from_secs(1),
            concurrency: 8,
        }
    }
}

/// Delivery running for one vault until [`Delivery::stop`] (or drop, which stops it without
/// waiting).
pub struct Delivery {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Delivery {
    /// Starts delivering from `vault` (a handle of its own, e.g. [`Vault::open_again`]) on
    /// the current tokio runtime.
    pub fn start(vault: Vault, config: DeliveryConfig) -> Result<Delivery, reqwest::Error> {
        let clients = send::Clients::new(config.timeout)?;
        let (stop, stopped) = watch::channel(false);
        let worker = Worker {
            vault: Arc::new(Mutex::new(vault)),
            clients,
            holder: holder_name(),
            config,
            mailing: Arc::default(),
        };
        Ok(Delivery {
            stop,
            task: Some(tokio::spawn(worker.run(stopped))),
        })
    }

    /// Stops: no new attempt starts; those in flight finish (within the timeout) and are
    /// recorded; the lease is released so another process may take over at once.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A name for this process's lease, unique among processes and deliveries.
fn holder_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let started = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!(
        "pid {} at {started} #{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

struct Worker {
    vault: Arc<Mutex<Vault>>,
    clients: send::Clients,
    holder: String,
    config: DeliveryConfig,
    /// Whether renewal mail is being sent (by a task of its own).
    mailing: Arc<AtomicBool>,
}

impl Worker {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let mut in_flight: JoinSet<(DeliveryId, Attempt)> = JoinSet::new();
        let mut holding = false;
        let mut renew = tokio::time::interval(self.config.renew_every);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let free = self.config.concurrency.saturating_sub(in_flight.len());
            if holding && free > 0 {
                for dispatch in self.claim(free).await {
                    let clients = self.clients.clone();
                    in_flight.spawn(async move {
                        let attempt = send::attempt(&clients, &dispatch).await;
                        (dispatch.delivery, attempt)
                    });
                }
            }
            let wait = if holding && in_flight.len() < self.config.concurrency {
                self.until_next_due().await
            } else {
                self.config.poll_every
            };
            tokio::select! {
                Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                    self.record(done).await;
                }
                _ = renew.tick() => {
                    holding = self.renew().await;
                    if holding {
                        self.mail().await;
                    }
                }
                _ = tokio::time::sleep(wait) => {}
                _ = stopped.changed() => break,
            }
        }
        while let Some(done) = in_flight.join_next().await {
            self.record(done).await;
        }
        let holder = self.holder.clone();
        self.vault_work("release the delivery lease", move |vault| {
            vault.release_delivery_lease(&holder)
        })
        .await;
    }

    /// Takes or renews the lease and, holding it, raises time's events and runs the
    /// auto-renewals that are due; whether it is held.
    async fn renew(&self) -> bool {
        let holder = self.holder.clone();
        let ttl = chrono::Duration::from_std(self.config.lease_ttl).unwrap_or_default();
        let holding = self
            .vault_work("take the delivery lease", move |vault| {
                let holding = vault.take_delivery_lease(&holder, ttl)?;
                if holding {
                    vault.scan_webhook_events()?;
                    vault.run_due_renewals()?;
                    // A failed backup is recorded for Settings and tried again next period;
                    // it does not hold up webhooks or renewals.
                    let _ = vault.run_scheduled_backup();
                }
                Ok(holding)
            })
            .await
            .unwrap_or(false);
        holding
    }

    /// Sends the renewal mail that is due, when SMTP is set up, and records each outcome — in
    /// a task of its own, one at a time, so a slow SMTP server never holds up webhooks.
    async fn mail(&self) {
        if self.mailing.swap(true, Ordering::AcqRel) {
            return;
        }
        let vault = Arc::clone(&self.vault);
        let mailing = Arc::clone(&self.mailing);
        tokio::spawn(async move {
            let due = vault_work(&vault, "read the mail outbox", |vault| vault.mail_due(10))
                .await
                .flatten()
                .filter(|(_, messages)| !messages.is_empty());
            if let Some((access, messages)) = due {
                for (id, outcome) in mail::send(&access, messages).await {
                    if let Err(why) = &outcome {
                        tracing::warn!(message = id, "renewal mail not sent: {why}");
                    }
                    vault_work(&vault, "record a mail attempt", move |vault| {
                        vault.mail_attempted(id, outcome)
                    })
                    .await;
                }
            }
            mailing.store(false, Ordering::Release);
        });
    }

    /// Up to `limit` due deliveries, held for longer than an attempt can take.
    async fn claim(&self, limit: usize) -> Vec<Dispatch> {
        let hold = chrono::Duration::from_std(self.config.timeout * 2).unwrap_or_default();
        self.vault_work("take due deliveries", move |vault| {
            match vault.next_delivery_due()? {
                Some(due) if due <= vault.now() => vault.claim_deliveries(limit, hold),
                _ => Ok(Vec::new()),
            }
        })
        .await
        .unwrap_or_default()
    }

    /// How long until the next delivery is due, at most the poll interval.
    async fn until_next_due(&self) -> Duration {
        let poll = self.config.poll_every;
        self.vault_work("look at the outbox", move |vault| {
            Ok(match vault.next_delivery_due()? {
                Some(due) => (due - vault.now()).to_std().unwrap_or_default().min(poll),
                None => poll,
            })
        })
        .await
        .unwrap_or(poll)
    }

    /// Records a finished attempt.
    async fn record(&self, done: Result<(DeliveryId, Attempt), tokio::task::JoinError>) {
        let Ok((delivery, attempt)) = done else {
            return; // a panicked attempt: its delivery is sent again when its hold ends
        };
        self.vault_work("record a delivery attempt", move |vault| {
            vault.finish_delivery(delivery, &attempt)
        })
        .await;
    }

    /// Runs `work` on the vault on a blocking thread; a failure is logged (by code, never a
    /// secret) and yields `None`: delivery carries on and tries again on its next turn.
    async fn vault_work<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl FnOnce(&mut Vault) -> keysmith_core::Result<T> + Send + 'static,
    ) -> Option<T> {
        vault_work(&self.vault, what, work).await
    }
}

/// Runs `work` on `vault` on a blocking thread; a failure is logged (by code, never a secret)
/// and yields `None`.
async fn vault_work<T: Send + 'static>(
    vault: &Arc<Mutex<Vault>>,
    what: &'static str,
    work: impl FnOnce(&mut Vault) -> keysmith_core::Result<T> + Send + 'static,
) -> Option<T> {
    let vault = Arc::clone(vault);
    let done = tokio::task::spawn_blocking(move || work(&mut lock(&vault))).await;
    match done {
        Ok(Ok(value)) => Some(value),
        Ok(Err(error)) => {
            tracing::warn!(code = error.code().as_str(), "could not {what}");
            None
        }
        Err(_) => {
            tracing::warn!("could not {what}: the work panicked");
            None
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
