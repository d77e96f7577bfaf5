//! Seeds a vault for `scripts/bench-api`: creates it (passphrase from $KEYSMITH_PASSPHRASE) and
//! issues N personal access tokens with the highest rate limit, so the load measures
//! verification rather than 429s, each with a usage limit (a billion uses) and an allowlist
//! (10.0.0.0/8, and 127.0.0.1 for the load through nginx), so every verification takes a use
//! and checks an address. Writes the tokens,
//! one per line, to the given file: they are benchmark throwaways in a temporary folder.
//!
//! `cargo run --release -p keysmith-server --example seed -- VAULT N TOKENS_FILE`

use std::io::Write;
use std::path::PathBuf;

use chrono::Duration;
use keysmith_core::{
    clock, AccountHolder, Description, EmailAddress, Expiry, IpAllowlist, KdfParams, Name,
    NewCredential, Permission, RateLimit, Restrictions, Rights, Secret, TokenKind, UsageLimit,
    Vault,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [vault, count, tokens] = args.as_slice() else {
        panic!("usage: seed VAULT N TOKENS_FILE");
    };
    let count: usize = count.parse().expect("N is a number");
    let passphrase = std::env::var("KEYSMITH_PASSPHRASE").expect("KEYSMITH_PASSPHRASE is set");
    let mut vault = Vault::create(
        &PathBuf::from(vault),
        &Secret::new(passphrase),
        &AccountHolder {
            name: Name::new("Bench Holder").unwrap(),
            email: EmailAddress::try_from("bench@example.com".to_owned()).unwrap(),
        },
        KdfParams::MINIMUM,
        clock::system(),
    )
    .expect("a new vault");
    let mut out = std::io::BufWriter::new(std::fs::File::create(tokens).expect("tokens file"));
    let owner = vault.operator().user_id;
    for i in 0..count {
        let now = vault.now();
        let issued = vault
            .issue(&NewCredential {
                kind: TokenKind::PersonalAccessToken,
                owner: Some(owner),
                name: Name::new(&format!("load {i}")).unwrap(),
                description: Description::default(),
                expiry: Expiry::new(now + Duration::days(30), now).unwrap(),
                scopes: vec![Permission::new("payables:read").unwrap()],
                rights: Rights::Read,
                applications: vec![Name::new("Internal tools").unwrap()],
                rate_limit: RateLimit::new(10_000).unwrap(),
                restrictions: Restrictions {
                    usage: Some(UsageLimit::new(UsageLimit::MAX_USES, None).unwrap()),
                    allowed_ips: IpAllowlist::parse(&["10.0.0.0/8", "127.0.0.1"]).unwrap(),
                },
                disabled: false,
            })
            .expect("issued");
        writeln!(out, "{}", issued.token.expose()).expect("written");
    }
}
