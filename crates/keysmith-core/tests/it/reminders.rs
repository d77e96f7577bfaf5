//! Expiry reminders for the desktop: raised by the expiry scan whether or not a webhook
//! listens, shown to each operator once, only for the credentials they manage.

use chrono::Duration;
use keysmith_core::{ExpiryReminder, Vault};

use crate::common::{pat, Fixture};
use crate::team::Team;

/// (name, days left) of what the operator is shown now.
fn shown(vault: &mut Vault) -> Vec<(String, u32)> {
    vault
        .take_expiry_reminders()
        .unwrap()
        .into_iter()
        .map(
            |ExpiryReminder {
                 name, days_left, ..
             }| (name, days_left),
        )
        .collect()
}

fn scanned(vault: &mut Vault) -> &mut Vault {
    vault.scan_webhook_events().unwrap();
    vault
}

#[test]
fn a_reminder_comes_once_at_7_days_at_1_day_and_at_expiry_without_any_webhook() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    vault.scan_webhook_events().unwrap(); // the first scan marks where it stands
    let soon = vault.issue(&fx.new_credential("soon", 10)).unwrap();
    let revoked = vault.issue(&fx.new_credential("revoked", 10)).unwrap();
    vault.revoke(revoked.credential.id).unwrap();
    vault.issue(&fx.new_credential("later", 60)).unwrap();
    assert!(shown(scanned(&mut vault)).is_empty());
    fx.clock.advance(Duration::days(3));
    let reminders = scanned(&mut vault).take_expiry_reminders().unwrap();
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(reminders[0].credential_id, soon.credential.id);
    assert_eq!(reminders[0].expires_at, soon.credential.expires_at);
    assert_eq!(reminders[0].days_left, 7);
    assert!(shown(scanned(&mut vault)).is_empty(), "once");
    fx.clock.advance(Duration::days(6));
    assert_eq!(shown(scanned(&mut vault)), [("soon".to_owned(), 1)]);
    fx.clock.advance(Duration::days(1));
    assert_eq!(shown(scanned(&mut vault)), [("soon".to_owned(), 0)]);
    fx.clock.advance(Duration::days(20));
    assert!(shown(scanned(&mut vault)).is_empty());
}

#[test]
fn reminders_missed_while_away_come_as_the_nearest_one() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    vault.scan_webhook_events().unwrap();
    vault.issue(&fx.new_credential("soon", 10)).unwrap();
    fx.clock.advance(Duration::days(4));
    vault.scan_webhook_events().unwrap(); // at 7 days
    fx.clock.advance(Duration::days(5));
    vault.scan_webhook_events().unwrap(); // at 1 day
    assert_eq!(shown(&mut vault), [("soon".to_owned(), 1)]);
    assert!(
        shown(&mut vault).is_empty(),
        "the 7-day note was marked too"
    );
}

#[test]
fn a_reminder_nobody_saw_for_a_week_is_dropped() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    vault.scan_webhook_events().unwrap();
    vault.issue(&fx.new_credential("gone", 1)).unwrap();
    fx.clock.advance(Duration::days(2));
    vault.scan_webhook_events().unwrap(); // expired
    fx.clock.advance(Duration::days(8));
    vault.scan_webhook_events().unwrap();
    assert!(shown(&mut vault).is_empty());
}

#[test]
fn each_operator_sees_each_reminder_once_and_only_for_what_they_manage() {
    let mut team = Team::new();
    let now = team.fx.clock_now();
    team.vault.scan_webhook_events().unwrap();
    for (owner, name) in [(team.admin, "bob's"), (team.member, "cleo's")] {
        let mut spec = pat(now, name, 10);
        spec.owner = Some(owner);
        team.vault.issue(&spec).unwrap();
    }
    let mut cleo = team.unlock_as_member();
    team.fx.clock.advance(Duration::days(3));
    team.vault.scan_webhook_events().unwrap();
    assert_eq!(shown(&mut cleo), [("cleo's".to_owned(), 7)]);
    assert!(shown(&mut cleo).is_empty());
    // The account holder manages both, and has seen neither.
    let mut holder_sees: Vec<_> = shown(&mut team.vault);
    holder_sees.sort();
    assert_eq!(
        holder_sees,
        [("bob's".to_owned(), 7), ("cleo's".to_owned(), 7)]
    );
}
