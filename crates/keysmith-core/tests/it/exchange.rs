//! The client-credentials exchange and the access tokens it hands out, against a real vault.

use crate::common::{pat, Fixture};
use chrono::Duration;
use keysmith_core::{
    Credential, InactiveReason, Issued, NewCredential, TokenKind, Vault, Verification,
};

fn client_credentials(fx: &Fixture, vault: &mut Vault, name: &str, days: i64) -> Issued {
    let new = NewCredential {
        kind: TokenKind::ClientCredentials,
        ..pat(fx.clock_now(), name, days)
    };
    vault.issue(&new).unwrap()
}

fn client_id(credential: &Credential) -> &str {
    credential.client_id.as_deref().unwrap()
}

#[test]
fn an_access_token_verifies_like_its_client_credentials_until_it_expires() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let pair = client_credentials(&fx, &mut vault, "ledger", 30);
    let grant = vault
        .exchange_client_credentials(client_id(&pair.credential), pair.token.expose())
        .unwrap();
    assert!(grant.token.expose().starts_with("ks_acc_"));
    assert_eq!(grant.expires_in, 900);
    assert_eq!(grant.scopes, ["payables:read"]);

    match vault
        .verify(
            grant.token.expose(),
            Some("payables:read"),
            Some(crate::common::APPLICATION),
        )
        .unwrap()
    {
        Verification::Active(verified) => {
            assert_eq!(verified.credential.id, pair.credential.id);
            assert_eq!(verified.expires_at, fx.clock_now() + Duration::minutes(15));
        }
        other => panic!("expected active, got {other:?}"),
    }
    // Every check of the credentials applies: disabled credentials disable their tokens.
    vault.set_enabled(pair.credential.id, false).unwrap();
    assert_eq!(
        vault.verify(grant.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Disabled)
    );
    vault.set_enabled(pair.credential.id, true).unwrap();
    fx.clock.advance(Duration::minutes(15));
    assert_eq!(
        vault.verify(grant.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Expired)
    );
}

#[test]
fn an_access_token_never_outlives_its_credentials_and_dies_with_them() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let pair = client_credentials(&fx, &mut vault, "short", 1);
    fx.clock.advance(Duration::days(1) - Duration::minutes(5));
    let grant = vault
        .exchange_client_credentials(client_id(&pair.credential), pair.token.expose())
        .unwrap();
    assert_eq!(grant.expires_in, 300);
    vault.delete(pair.credential.id).unwrap();
    assert_eq!(
        vault.verify(grant.token.expose(), None, None).unwrap(),
        Verification::Inactive(InactiveReason::Unknown)
    );
}

#[test]
fn every_bad_exchange_is_invalid_client() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let pair = client_credentials(&fx, &mut vault, "one", 30);
    let other = client_credentials(&fx, &mut vault, "two", 30);
    let token = vault.issue(&pat(fx.clock_now(), "a pat", 30)).unwrap();
    let id = client_id(&pair.credential).to_owned();
    let mut typo = pair.token.expose().to_owned();
    typo.replace_range(10..11, if &typo[10..11] == "A" { "B" } else { "A" });
    for (client, secret) in [
        ("ks_id_unknown", pair.token.expose()),
        (id.as_str(), other.token.expose()),
        (id.as_str(), token.token.expose()),
        (id.as_str(), typo.as_str()),
        (id.as_str(), ""),
    ] {
        let err = vault
            .exchange_client_credentials(client, secret)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_client");
        assert_eq!(err.to_string(), "The client ID and secret are not valid");
    }
    vault.revoke(pair.credential.id).unwrap();
    assert_eq!(
        vault
            .exchange_client_credentials(&id, pair.token.expose())
            .unwrap_err()
            .code(),
        "invalid_client"
    );
    let direct = NewCredential {
        kind: TokenKind::AccessToken,
        ..pat(fx.clock_now(), "direct", 1)
    };
    assert_eq!(vault.issue(&direct).unwrap_err().code(), "invalid_kind");
}

#[test]
fn uses_are_recorded_in_batches_and_never_move_back() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let a = vault
        .issue(&pat(fx.clock_now(), "a", 30))
        .unwrap()
        .credential
        .id;
    let b = vault
        .issue(&pat(fx.clock_now(), "b", 30))
        .unwrap()
        .credential
        .id;
    let later = fx.clock_now() + Duration::minutes(5);
    let mut recorder = vault.usage_recorder().unwrap();
    recorder
        .record(&[(a, later), (b, fx.clock_now()), (a, fx.clock_now())])
        .unwrap();
    assert_eq!(vault.credential(a).unwrap().last_used_at, Some(later));
    assert_eq!(
        vault.credential(b).unwrap().last_used_at,
        Some(fx.clock_now())
    );
    // A use recorded for a credential deleted before the flush is dropped, not an error.
    vault.delete(b).unwrap();
    recorder
        .record(&[(b, later), (a, later + Duration::seconds(1))])
        .unwrap();
    assert_eq!(
        vault.credential(a).unwrap().last_used_at,
        Some(later + Duration::seconds(1))
    );
}

#[test]
fn an_access_token_of_renewed_credentials_names_the_successor_and_ends_with_the_grace() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let pair = client_credentials(&fx, &mut vault, "ledger", 30);
    let grant = vault
        .exchange_client_credentials(client_id(&pair.credential), pair.token.expose())
        .unwrap();
    let grace_ends = fx.clock_now() + Duration::minutes(10);
    let successor = vault
        .renew(
            pair.credential.id,
            &keysmith_core::Renewal {
                old_ends_at: grace_ends,
                new_expiry: None,
                name: None,
                description: None,
            },
        )
        .unwrap();
    match vault.verify(grant.token.expose(), None, None).unwrap() {
        Verification::Active(verified) => {
            assert_eq!(verified.superseded_by, Some(successor.credential.id));
            assert_eq!(
                verified.expires_at, grace_ends,
                "the grace cuts the token short"
            );
        }
        other => panic!("expected active, got {other:?}"),
    }
}
