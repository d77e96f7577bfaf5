//! One honest status: what the listing, its filters, its status sort and a credential's own
//! status say is what verification answers for the same token, for every status — blocked
//! owners (by a group, by their own switch) and renewed credentials included.

use chrono::{DateTime, Duration, Utc};
use keysmith_core::{
    CredentialId, CredentialQuery, GroupSpec, InactiveReason, Renewal, Role, Secret, SortKey,
    Status, Vault, Verification, EXPIRING_SOON_DAYS,
};

use crate::team::{name, user, Team};

/// The status verification gives `token` now: a refusal's reason, or for a good token
/// whether it was renewed and how soon it ends.
fn verified_status(vault: &Vault, token: &Secret, now: DateTime<Utc>) -> Status {
    match vault.verify(token.expose(), None, None).unwrap() {
        Verification::Active(verified) if verified.superseded_by.is_some() => Status::Superseded,
        Verification::Active(verified)
            if verified.expires_at <= now + Duration::days(i64::from(EXPIRING_SOON_DAYS)) =>
        {
            Status::ExpiringSoon
        }
        Verification::Active(_) => Status::Active,
        Verification::Inactive(InactiveReason::OwnerLacksApiAccess) => Status::Blocked,
        Verification::Inactive(InactiveReason::Disabled) => Status::Disabled,
        Verification::Inactive(InactiveReason::Expired) => Status::Expired,
        Verification::Inactive(InactiveReason::Revoked) => Status::Revoked,
        other => panic!("unexpected answer {other:?}"),
    }
}

/// A team vault with a credential in every status (two blocked ones: by a group and by the
/// owner's own switch), each with its token and the status it must have.
fn every_status() -> (Team, Vec<(CredentialId, Secret, Status)>) {
    let mut team = Team::new();
    let holder = crate::common::HOLDER;
    let expired = team.issue_pat(holder, "Expired", 1);
    team.fx.clock.advance(Duration::days(2));
    let active = team.issue_pat(holder, "Active", 30);
    let soon = team.issue_pat(holder, "Soon", 5);
    let disabled = team.issue_pat(holder, "Disabled", 30);
    team.vault.set_enabled(disabled.0, false).unwrap();
    let revoked = team.issue_pat(holder, "Revoked", 30);
    team.vault.revoke(revoked.0).unwrap();
    let renewed = team.issue_pat(holder, "Renewed", 30);
    let renewal = Renewal {
        old_ends_at: team.fx.clock_now() + Duration::days(20),
        name: None,
        description: None,
        new_expiry: None,
    };
    let successor = team.vault.renew(renewed.0, &renewal).unwrap();
    let cleo = team.member;
    let by_group = team.issue_pat(cleo, "Cleo's", 30);
    let cleo_disabled = team.issue_pat(cleo, "Cleo's disabled", 30);
    team.vault.set_enabled(cleo_disabled.0, false).unwrap();
    let dan = team
        .vault
        .create_user(&user("Dan Member", Role::Member, true))
        .unwrap();
    team.vault
        .create_group(&GroupSpec {
            name: name("Readers"),
            permissions: crate::team::perms(&["payables:read"]),
            blocks: vec![],
            blocks_api_access: false,
            members: vec![dan.id],
        })
        .unwrap();
    let by_switch = team.issue_pat(dan.id, "Dan's", 30);
    let member = team.member;
    team.block_api_access(vec![member]);
    team.vault
        .update_user(dan.id, &user("Dan Member", Role::Member, false))
        .unwrap();
    let statuses = vec![
        (expired.0, expired.1, Status::Expired),
        (active.0, active.1, Status::Active),
        (soon.0, soon.1, Status::ExpiringSoon),
        (disabled.0, disabled.1, Status::Disabled),
        (revoked.0, revoked.1, Status::Revoked),
        (renewed.0, renewed.1, Status::Superseded),
        (successor.credential.id, successor.token, Status::Active),
        (by_group.0, by_group.1, Status::Blocked),
        (cleo_disabled.0, cleo_disabled.1, Status::Disabled),
        (by_switch.0, by_switch.1, Status::Blocked),
    ];
    (team, statuses)
}

#[test]
fn every_status_is_what_verification_answers_in_the_listing_its_filters_and_its_sort() {
    let (team, credentials) = every_status();
    let vault = &team.vault;
    let now = team.fx.clock_now();
    for (id, token, expected) in &credentials {
        let stored = vault.credential(*id).unwrap();
        assert_eq!(
            (stored.status(now), verified_status(vault, token, now)),
            (*expected, *expected),
            "{}",
            stored.name
        );
    }
    // Each status filter selects exactly the credentials of that status, and the counts add
    // up to the whole inventory.
    let mut counted = 0;
    for status in Status::ALL {
        let page = vault
            .credential_page(&CredentialQuery {
                statuses: vec![status],
                ..CredentialQuery::default()
            })
            .unwrap();
        let mut found: Vec<CredentialId> = page.credentials.iter().map(|c| c.id).collect();
        let mut wanted: Vec<CredentialId> = credentials
            .iter()
            .filter(|(_, _, s)| *s == status)
            .map(|(id, _, _)| *id)
            .collect();
        found.sort();
        wanted.sort();
        assert_eq!(found, wanted, "{status:?}");
        assert_eq!(page.total as usize, wanted.len());
        counted += page.total;
    }
    assert_eq!(counted as usize, credentials.len());
    // The status sort walks the statuses in their order, and agrees with each row's status.
    for descending in [false, true] {
        let sorted: Vec<Status> = vault
            .query_credentials(&CredentialQuery {
                sort: SortKey::Status,
                descending,
                ..CredentialQuery::default()
            })
            .unwrap()
            .iter()
            .map(|c| c.status(now))
            .collect();
        let mut expected = sorted.clone();
        let rank = |s: &Status| Status::ALL.iter().position(|a| a == s).unwrap();
        expected.sort_by_key(|s| rank(s));
        if descending {
            expected.reverse();
        }
        assert_eq!(sorted, expected);
    }
}

#[test]
fn a_blocked_credential_names_the_groups_and_a_superseded_one_its_successor() {
    let (team, credentials) = every_status();
    let vault = &team.vault;
    let named = |wanted: &str| {
        credentials
            .iter()
            .map(|(id, _, _)| vault.credential(*id).unwrap())
            .find(|c| c.name == wanted && c.status(team.fx.clock_now()) != Status::Active)
            .unwrap()
    };
    let cleos = named("Cleo's");
    assert_eq!(cleos.blocked.as_ref().unwrap().groups, ["Contractors"]);
    assert_eq!(cleos.blocked.unwrap().reason(), "blocked by Contractors");
    let dans = named("Dan's").blocked.unwrap();
    assert!(dans.access_off && dans.groups.is_empty());
    assert_eq!(dans.reason(), "API access off");
    let renewed = named("Renewed");
    let successor = credentials
        .iter()
        .find(|(id, _, _)| renewed.superseded_by == Some(*id))
        .expect("the successor is linked");
    assert_eq!(
        vault.credential(successor.0).unwrap().renewed_from,
        Some(renewed.id)
    );
    // Unblocking the owner makes the credential verify again, and the listing says so.
    let mut vault = team.fx.unlock(crate::common::PASSPHRASE).unwrap();
    let contractors = vault
        .groups()
        .unwrap()
        .into_iter()
        .find(|g| g.name == "Contractors")
        .unwrap();
    vault.delete_group(contractors.id).unwrap();
    let cleos = credentials
        .iter()
        .find(|(id, _, _)| *id == cleos.id)
        .unwrap();
    let now = team.fx.clock_now();
    assert_eq!(
        vault.credential(cleos.0).unwrap().status(now),
        Status::Active
    );
    assert_eq!(verified_status(&vault, &cleos.1, now), Status::Active);
}

#[test]
fn a_renewed_credential_folds_under_its_successor() {
    let (team, credentials) = every_status();
    let vault = &team.vault;
    let (renewed, _, _) = credentials
        .iter()
        .find(|(_, _, status)| *status == Status::Superseded)
        .unwrap();
    let successor = vault.credential(*renewed).unwrap().superseded_by.unwrap();
    let listed = |fold_renewed| {
        vault
            .query_credentials(&CredentialQuery {
                fold_renewed,
                ..CredentialQuery::default()
            })
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    assert!(listed(false).contains(renewed));
    let folded = listed(true);
    assert!(!folded.contains(renewed) && folded.contains(&successor));
    assert_eq!(folded.len(), credentials.len() - 1);
    let earlier: Vec<CredentialId> = vault
        .predecessors(successor)
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(earlier, [*renewed]);
    assert!(vault.predecessors(*renewed).unwrap().is_empty());
}
