//! Issue and verify against baselines measured in the same run: a bare HMAC-SHA256 plus an
//! indexed insert / lookup in a plain (unencrypted) SQLite file with the same journal settings.
//! Every seeded credential has a usage limit and an IP allowlist, and each verification names
//! a client address on it: the whole path, uses taken and addresses checked.
//! Targets (README): issue < 1 ms median; verify ≤ 1.5× its baseline.

mod support;

use criterion::{criterion_main, BatchSize, Criterion};
use hmac::{Hmac, Mac};
use keysmith_core::{
    token, IpAllowlist, NewCredential, Restrictions, TokenKind, UsageLimit, Verification,
    VerificationRequest,
};
use rusqlite::Connection;
use sha2::Sha256;

const SEEDED: usize = 10_000;

fn hmac(key: &[u8; 32], token: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(token.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A plain SQLite file with one indexed digest column: the floor our vault is measured against.
fn baseline_db(dir: &std::path::Path) -> Connection {
    let conn = Connection::open(dir.join("baseline.sqlite")).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE t (id INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE);",
    )
    .unwrap();
    conn
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = support::vault(dir.path());
    let base = baseline_db(dir.path());
    let key = [7u8; 32];
    let mut tokens = Vec::with_capacity(SEEDED);
    for i in 0..SEEDED {
        let issued = vault
            .issue(&NewCredential {
                restrictions: Restrictions {
                    usage: Some(UsageLimit::new(UsageLimit::MAX_USES, None).unwrap()),
                    allowed_ips: IpAllowlist::parse(&["10.0.0.0/8", "2001:db8::/32"]).unwrap(),
                },
                ..support::token(vault.now(), &format!("seed {i}"), "benchmark", 90)
            })
            .unwrap();
        base.execute(
            "INSERT INTO t (digest) VALUES (?1)",
            [hmac(&key, issued.token.expose()).as_slice()],
        )
        .unwrap();
        tokens.push(issued.token.expose().to_owned());
    }

    // Verify first, on exactly the seeded rows: the issue group grows both tables.
    let mut group = c.benchmark_group("verify");
    let mut i = 0usize;
    let request = VerificationRequest {
        client_ip: Some("10.1.2.3".parse().unwrap()),
        as_user: None,
        ..VerificationRequest::default()
    };
    group.bench_function("keysmith verify (usage limit, allowlist)", |b| {
        b.iter(|| {
            i = (i + 7919) % SEEDED;
            match vault.verify_request(&tokens[i], &request).unwrap() {
                Verification::Active(verified) => verified.credential.id,
                other => panic!("{other:?}"),
            }
        })
    });
    group.bench_function("baseline: HMAC + indexed lookup, plain SQLite", |b| {
        b.iter(|| {
            i = (i + 7919) % SEEDED;
            base.prepare_cached("SELECT id FROM t WHERE digest = ?1")
                .unwrap()
                .query_row([hmac(&key, &tokens[i]).as_slice()], |r| r.get::<_, i64>(0))
                .unwrap()
        })
    });
    group.finish();

    let now = vault.now();
    let mut group = c.benchmark_group("issue");
    let mut n = 0u64;
    group.bench_function("keysmith issue (digest + insert + audit, one tx)", |b| {
        b.iter_batched(
            || {
                n += 1;
                support::token(now, &format!("bench {n}"), "benchmark", 90)
            },
            |new| vault.issue(&new).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("baseline: HMAC + indexed insert, plain SQLite", |b| {
        b.iter(|| {
            let t = token::generate(TokenKind::PersonalAccessToken);
            base.prepare_cached("INSERT INTO t (digest) VALUES (?1)")
                .unwrap()
                .execute([hmac(&key, t.expose()).as_slice()])
                .unwrap()
        })
    });
    group.finish();
}

// criterion_group! defines a public function without a doc comment.
#[allow(missing_docs)]
mod harness {
    criterion::criterion_group!(issue_verify, super::benches);
}

criterion_main!(harness::issue_verify);
