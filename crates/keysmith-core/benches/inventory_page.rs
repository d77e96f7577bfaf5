//! A filtered, sorted page of the inventory from a vault of 100,000 credentials.
//! Target (DESIGN, quality bars): under 50 ms from core.

mod support;

use criterion::{criterion_main, Criterion};
use keysmith_core::{CredentialQuery, SortKey, Status};

const CREDENTIALS: usize = 100_000;
const PAGE: u32 = 50;

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = support::vault(dir.path());
    let now = vault.now();
    for i in 0..CREDENTIALS {
        let issued = vault
            .issue(&support::token(
                now,
                &format!("integration {i:06}"),
                if i % 10 == 0 {
                    "billing export"
                } else {
                    "sync"
                },
                1 + (i % 365) as i64,
            ))
            .unwrap();
        if i % 7 == 0 {
            vault.revoke(issued.credential.id).unwrap();
        }
    }

    let mut group = c.benchmark_group("inventory page of 50 from 100k");
    group.sample_size(20);
    let cases = [
        ("newest first, no filter", CredentialQuery::default()),
        (
            "active, expiring within 30 days, by expiry",
            CredentialQuery {
                statuses: vec![Status::Active],
                expires_within_days: Some(30),
                sort: SortKey::Expires,
                descending: false,
                ..CredentialQuery::default()
            },
        ),
        (
            "all, by name",
            CredentialQuery {
                sort: SortKey::Name,
                descending: false,
                ..CredentialQuery::default()
            },
        ),
        (
            "search 'billing', by name",
            CredentialQuery {
                search: Some("billing".into()),
                sort: SortKey::Name,
                descending: false,
                ..CredentialQuery::default()
            },
        ),
        (
            "by status, third page",
            CredentialQuery {
                sort: SortKey::Status,
                offset: 2 * PAGE,
                ..CredentialQuery::default()
            },
        ),
    ];
    for (name, query) in cases {
        let query = CredentialQuery {
            limit: Some(PAGE),
            ..query
        };
        assert_eq!(
            vault.query_credentials(&query).unwrap().len(),
            PAGE as usize
        );
        group.bench_function(name, |b| {
            b.iter(|| vault.query_credentials(&query).unwrap())
        });
    }
    group.finish();
}

// criterion_group! defines a public function without a doc comment.
#[allow(missing_docs)]
mod harness {
    criterion::criterion_group!(inventory_page, super::benches);
}

criterion_main!(harness::inventory_page);
