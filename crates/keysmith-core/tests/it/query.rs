//! Listing credentials: filters, search, sort and paging against a real vault.

use crate::common::Fixture;
use chrono::Duration;
use keysmith_core::{CredentialQuery, SortKey, Status, TokenKind};

fn names(credentials: Vec<keysmith_core::Credential>) -> Vec<String> {
    credentials.into_iter().map(|c| c.name).collect()
}

/// Five credentials in five statuses: alpha (active, 30 d), beta (expiring soon, 5 d, "billing"),
/// gamma (disabled), delta (revoked), epsilon (expired).
fn seeded() -> (Fixture, keysmith_core::Vault, String) {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let epsilon = vault.issue(&fx.new_credential("epsilon", 1)).unwrap();
    fx.clock.advance(Duration::days(2));
    let alpha = vault.issue(&fx.new_credential("alpha", 30)).unwrap();
    fx.clock.advance(Duration::hours(1));
    let mut beta = fx.new_credential("Beta", 5);
    beta.description = keysmith_core::Description::new("billing 100% export").unwrap();
    vault.issue(&beta).unwrap();
    fx.clock.advance(Duration::hours(1));
    let gamma = vault.issue(&fx.new_credential("gamma", 60)).unwrap();
    vault.set_enabled(gamma.credential.id, false).unwrap();
    fx.clock.advance(Duration::hours(1));
    let delta = vault.issue(&fx.new_credential("delta", 90)).unwrap();
    vault.revoke(delta.credential.id).unwrap();
    assert_eq!(
        vault
            .credential(epsilon.credential.id)
            .unwrap()
            .status(fx.clock_now()),
        Status::Expired
    );
    (fx, vault, alpha.token.expose().to_owned())
}

#[test]
fn each_status_filter_matches_the_derived_status() {
    let (fx, vault, _) = seeded();
    for status in [
        Status::Active,
        Status::ExpiringSoon,
        Status::Disabled,
        Status::Revoked,
        Status::Expired,
    ] {
        let found = vault
            .query_credentials(&CredentialQuery {
                statuses: vec![status],
                ..CredentialQuery::default()
            })
            .unwrap();
        assert!(!found.is_empty(), "nothing {status:?}");
        assert!(found.iter().all(|c| c.status(fx.clock_now()) == status));
    }
    let verifying = CredentialQuery {
        statuses: vec![Status::Active, Status::ExpiringSoon],
        sort: SortKey::Name,
        descending: false,
        ..CredentialQuery::default()
    };
    assert_eq!(
        names(vault.query_credentials(&verifying).unwrap()),
        ["alpha", "Beta"]
    );
}

#[test]
fn expiring_within_n_days_leaves_out_what_has_already_expired() {
    let (_fx, vault, _) = seeded();
    let soon = CredentialQuery {
        expires_within_days: Some(7),
        ..CredentialQuery::default()
    };
    assert_eq!(names(vault.query_credentials(&soon).unwrap()), ["Beta"]);
}

#[test]
fn search_covers_name_description_and_token_prefix_and_treats_wildcards_literally() {
    let (_fx, vault, alpha_token) = seeded();
    let search = |text: &str| {
        names(
            vault
                .query_credentials(&CredentialQuery {
                    search: Some(text.into()),
                    ..CredentialQuery::default()
                })
                .unwrap(),
        )
    };
    assert_eq!(search("GAMM"), ["gamma"]);
    assert_eq!(search("billing"), ["Beta"]);
    assert_eq!(search("100%"), ["Beta"]);
    assert_eq!(search("%"), ["Beta"]);
    assert!(search("_").is_empty());
    // The whole token, pasted, finds its credential by its stored prefix.
    assert!(search(&alpha_token).contains(&"alpha".to_owned()));
    assert_eq!(search("   "), search(""));
}

/// The search index follows every change: an edited description is found by its new text and
/// no longer by the old, a deleted credential is found no more; one- and two-letter searches
/// (shorter than the index's trigrams), quotes and case all find what they name.
#[test]
fn search_follows_edits_and_deletions_at_any_length() {
    let (_fx, mut vault, _) = seeded();
    let search = |vault: &keysmith_core::Vault, text: &str| {
        let page = vault
            .credential_page(&CredentialQuery {
                search: Some(text.into()),
                limit: Some(10),
                ..CredentialQuery::default()
            })
            .unwrap();
        let mut names = names(page.credentials);
        assert_eq!(names.len(), page.total as usize, "{text}: total");
        names.sort();
        names
    };
    assert_eq!(search(&vault, "BILLING 100"), ["Beta"]);
    assert_eq!(search(&vault, "ta"), ["Beta", "delta"]);
    assert_eq!(search(&vault, "A"), ["Beta", "alpha", "delta", "gamma"]);
    let beta = vault
        .query_credentials(&CredentialQuery {
            search: Some("billing".into()),
            ..CredentialQuery::default()
        })
        .unwrap()
        .remove(0);
    vault
        .edit(
            beta.id,
            &keysmith_core::CredentialEdit {
                description: Some(keysmith_core::Description::new("payroll \"nightly\"").unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(search(&vault, "billing").is_empty());
    assert_eq!(search(&vault, "\"NIGHTLY\""), ["Beta"]);
    assert_eq!(search(&vault, "roll \"n"), ["Beta"]);
    vault.delete(beta.id).unwrap();
    assert!(search(&vault, "payroll").is_empty());
    assert!(search(&vault, "ll").is_empty());
}

#[test]
fn sorts_by_any_column_both_ways_and_pages() {
    let (_fx, vault, _) = seeded();
    let sorted = |sort, descending| {
        names(
            vault
                .query_credentials(&CredentialQuery {
                    sort,
                    descending,
                    ..CredentialQuery::default()
                })
                .unwrap(),
        )
    };
    assert_eq!(
        sorted(SortKey::Name, false),
        ["alpha", "Beta", "delta", "epsilon", "gamma"]
    );
    assert_eq!(
        sorted(SortKey::Created, true),
        ["delta", "gamma", "Beta", "alpha", "epsilon"]
    );
    assert_eq!(
        sorted(SortKey::Expires, false),
        ["epsilon", "Beta", "alpha", "gamma", "delta"]
    );
    assert_eq!(
        sorted(SortKey::Status, false),
        ["alpha", "Beta", "gamma", "epsilon", "delta"]
    );
    assert_eq!(sorted(SortKey::Kind, false).len(), 5);
    assert_eq!(sorted(SortKey::LastUsed, false).len(), 5);

    let page = |offset| {
        names(
            vault
                .query_credentials(&CredentialQuery {
                    sort: SortKey::Name,
                    descending: false,
                    limit: Some(2),
                    offset,
                    ..CredentialQuery::default()
                })
                .unwrap(),
        )
    };
    assert_eq!(page(0), ["alpha", "Beta"]);
    assert_eq!(page(2), ["delta", "epsilon"]);
    assert_eq!(page(4), ["gamma"]);
}

#[test]
fn kind_filter_selects_by_kind() {
    let (_fx, vault, _) = seeded();
    let pats = CredentialQuery {
        kind: Some(TokenKind::PersonalAccessToken),
        ..CredentialQuery::default()
    };
    assert_eq!(vault.query_credentials(&pats).unwrap().len(), 5);
}

#[test]
fn owner_and_kind_filters_and_the_owner_sort() {
    let (fx, mut vault, _) = seeded();
    let zoe = vault
        .create_user(&keysmith_core::UserSpec {
            name: keysmith_core::Name::new("Zoe Zed").unwrap(),
            email: keysmith_core::EmailAddress::try_from("zoe@example.com".to_owned()).unwrap(),
            role: keysmith_core::Role::Member,
            api_access: true,
        })
        .unwrap();
    vault
        .create_group(&keysmith_core::GroupSpec {
            name: keysmith_core::Name::new("Readers").unwrap(),
            permissions: vec![keysmith_core::Permission::new("payables:read").unwrap()],
            blocks: vec![],
            blocks_api_access: false,
            members: vec![zoe.id],
        })
        .unwrap();
    let client = keysmith_core::NewCredential {
        kind: TokenKind::ClientCredentials,
        owner: Some(zoe.id),
        ..fx.new_credential("zoe's pair", 30)
    };
    let issued = vault.issue(&client).unwrap().credential;

    let of_zoe = CredentialQuery {
        owner: Some(zoe.id),
        ..CredentialQuery::default()
    };
    assert_eq!(
        names(vault.query_credentials(&of_zoe).unwrap()),
        ["zoe's pair"]
    );
    let pairs = CredentialQuery {
        kind: Some(TokenKind::ClientCredentials),
        ..CredentialQuery::default()
    };
    assert_eq!(
        names(vault.query_credentials(&pairs).unwrap()),
        ["zoe's pair"]
    );
    // The client ID is searchable.
    let client_id = issued.client_id.unwrap();
    let search = CredentialQuery {
        search: Some(client_id[..12].to_owned()),
        ..CredentialQuery::default()
    };
    assert_eq!(
        names(vault.query_credentials(&search).unwrap()),
        ["zoe's pair"]
    );
    // By owner, descending: Zoe Zed before the account holder, Ada Holder.
    let by_owner = CredentialQuery {
        sort: SortKey::Owner,
        descending: true,
        limit: Some(1),
        ..CredentialQuery::default()
    };
    assert_eq!(
        names(vault.query_credentials(&by_owner).unwrap()),
        ["zoe's pair"]
    );
}

/// Pages cut across the segments of an order (status, owner, last use) read as the whole
/// listing does, each with the same total.
#[test]
fn pages_join_up_into_the_whole_listing_in_every_order() {
    let (fx, vault, _) = seeded();
    // Two used, three never: the last-use order has rows in both its segments.
    let mut used = vault
        .query_credentials(&CredentialQuery::default())
        .unwrap();
    used.truncate(2);
    let uses: Vec<_> = used.iter().map(|c| (c.id, fx.clock_now())).collect();
    vault.usage_recorder().unwrap().record(&uses).unwrap();
    for sort in SortKey::ALL {
        for descending in [false, true] {
            let query = CredentialQuery {
                sort,
                descending,
                ..CredentialQuery::default()
            };
            let whole = names(vault.query_credentials(&query).unwrap());
            assert_eq!(whole.len(), 5);
            let mut paged = Vec::new();
            for offset in (0..6).step_by(2) {
                let page = vault
                    .credential_page(&CredentialQuery {
                        limit: Some(2),
                        offset,
                        ..query.clone()
                    })
                    .unwrap();
                assert_eq!(page.total, 5, "{sort:?}");
                paged.extend(names(page.credentials));
            }
            assert_eq!(paged, whole, "{sort:?}, descending: {descending}");
        }
    }
}

#[test]
fn several_statuses_select_any_of_them_in_any_order() {
    let (_fx, vault, _) = seeded();
    for sort in [SortKey::Status, SortKey::Name] {
        let query = CredentialQuery {
            statuses: vec![Status::Revoked, Status::Disabled],
            sort,
            descending: false,
            ..CredentialQuery::default()
        };
        let page = vault.credential_page(&query).unwrap();
        assert_eq!(page.total, 2);
        let mut found = names(page.credentials);
        found.sort();
        assert_eq!(found, ["delta", "gamma"], "{sort:?}");
    }
}
