//! The Health section's checks and bulk actions against a real vault on a manual clock: each
//! check finds exactly its credentials (and counts them), a leak scan's findings are kept for
//! the next look, and a bulk revoke, disable or renew changes every credential with one audit
//! row each — or, refused for one, none.

use chrono::Duration;
use keysmith_core::{
    BulkAction, CredentialEdit, CredentialId, CredentialQuery, EmailAddress, HealthCheck, Vault,
    Verification,
};

use crate::common::{history_of, snapshot, HOLDER};
use crate::team::Team;

/// The ids `check` finds now, sorted.
fn found(vault: &Vault, check: HealthCheck) -> Vec<CredentialId> {
    let mut ids: Vec<CredentialId> = vault
        .query_credentials(&CredentialQuery {
            health: Some(check),
            ..CredentialQuery::default()
        })
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn each_check_finds_exactly_its_credentials() {
    let mut team = Team::new();
    let cleo = team.member;
    // Issued long ago and used then: old, and unused for 190 days.
    let (old, old_token) = team.issue_pat(HOLDER, "old", 365);
    assert!(matches!(
        team.vault.verify(old_token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    // The local API records the use, as it does after each good verification.
    team.vault
        .usage_recorder()
        .unwrap()
        .record(&[(old, team.fx.clock_now())])
        .unwrap();
    let (cleos, _) = team.issue_pat(cleo, "cleo's", 365);
    team.vault
        .edit(
            cleos,
            &CredentialEdit {
                auto_renewal: Some(Some(keysmith_core::AutoRenewal {
                    every_days: 10,
                    recipient: EmailAddress::try_from("ops@example.com".to_owned()).unwrap(),
                    callback_url: None,
                })),
                ..CredentialEdit::default()
            },
        )
        .unwrap();
    team.fx.clock.advance(Duration::days(190));
    let (soon, _) = team.issue_pat(HOLDER, "soon", 10);
    let (leaked, leaked_token) = team.issue_pat(HOLDER, "leaked", 60);
    let (revoked, _) = team.issue_pat(HOLDER, "revoked", 60);
    team.vault.revoke(revoked).unwrap();
    // Cleo loses API access: her credential's owner has none, and its renewal fails.
    team.block_api_access(vec![cleo]);
    assert!(team.vault.run_due_renewals().unwrap().is_empty());
    // A scan finds one token in a file.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.env"),
        format!("TOKEN={}\n", leaked_token.expose()),
    )
    .unwrap();
    let report = team
        .vault
        .scan_for_tokens(&[dir.path().to_owned()], false)
        .unwrap();
    team.vault.record_scan(&report).unwrap();

    let vault = &team.vault;
    let mut never = vec![cleos, soon, leaked];
    never.sort();
    assert_eq!(
        found(vault, HealthCheck::NeverUsed),
        never,
        "the revoked one is left out"
    );
    assert_eq!(found(vault, HealthCheck::Unused), [old]);
    assert_eq!(found(vault, HealthCheck::Expiring), [soon]);
    assert_eq!(found(vault, HealthCheck::Old), [old, cleos]);
    assert_eq!(found(vault, HealthCheck::OwnerWithoutAccess), [cleos]);
    assert_eq!(found(vault, HealthCheck::Leaked), [leaked]);
    assert_eq!(found(vault, HealthCheck::RenewalFailing), [cleos]);
    for count in vault.health_counts().unwrap() {
        assert_eq!(
            count.count as usize,
            found(vault, count.check).len(),
            "{:?}",
            count.check
        );
    }
    // Another scan that finds nothing replaces the last one's findings.
    let clean = tempfile::tempdir().unwrap();
    let report = team
        .vault
        .scan_for_tokens(&[clean.path().to_owned()], false)
        .unwrap();
    team.vault.record_scan(&report).unwrap();
    assert!(found(&team.vault, HealthCheck::Leaked).is_empty());
}

#[test]
fn a_bulk_action_changes_each_with_a_row_of_its_own_or_nothing() {
    let mut team = Team::new();
    let (a, _) = team.issue_pat(HOLDER, "a", 30);
    let (b, b_token) = team.issue_pat(HOLDER, "b", 30);
    let (c, _) = team.issue_pat(HOLDER, "c", 30);
    let member_id = team.member;
    let (d, _) = team.issue_pat(member_id, "d", 30);

    // A member may not touch the holder's: refused, and nothing changes, not even her own.
    let mut member = team.unlock_as_member();
    let before = snapshot(&member);
    assert_eq!(
        member.bulk(BulkAction::Revoke, &[d, a]).unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(snapshot(&member), before);
    drop(member);

    let revoked = team.vault.bulk(BulkAction::Revoke, &[a, b, a]).unwrap();
    assert_eq!(revoked.changed, [a, b], "duplicates count once");
    assert!(!matches!(
        team.vault.verify(b_token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    for id in [a, b] {
        assert_eq!(
            history_of(&team.vault, id).last().unwrap(),
            "credential.revoked"
        );
    }
    // Already revoked ones are left as they are.
    let again = team.vault.bulk(BulkAction::Disable, &[a, c]).unwrap();
    assert_eq!(again.changed, [c]);
    assert_eq!(
        history_of(&team.vault, c).last().unwrap(),
        "credential.disabled"
    );

    // A bulk renewal: each successor's token waits in Renewals; the rows say it was in bulk.
    let renewed = team.vault.bulk(BulkAction::Renew, &[c, d]).unwrap();
    assert_eq!(renewed.changed, [c, d]);
    let waiting: Vec<CredentialId> = team
        .vault
        .pending_handovers()
        .unwrap()
        .iter()
        .map(|h| h.successor_id)
        .collect();
    for successor in &renewed.successors {
        assert!(waiting.contains(successor));
    }
    let row = team.vault.audit_log(Some(d)).unwrap().pop().unwrap();
    assert_eq!(row.action, "credential.renewed");
    assert!(row.details.contains("\"via\":\"bulk\""), "{}", row.details);
    // A revoked one cannot be renewed: the whole batch is refused.
    let before = snapshot(&team.vault);
    assert_eq!(
        team.vault.bulk(BulkAction::Renew, &[a]).unwrap_err().code(),
        "already_revoked"
    );
    assert_eq!(snapshot(&team.vault), before);
}
