//! Usage limits and IP allowlists: spent one verification at a time across handles that lease
//! uses, refilled by the clock, checked against the client's address, changed by an edit and
//! carried over by a renewal.

use chrono::Duration;
use keysmith_core::{
    CredentialEdit, Error, InactiveReason, IpAllowlist, Issued, NewCredential, Refill, Renewal,
    Restrictions, UsageLimit, Vault, Verification, VerificationRequest,
};
use serde_json::json;

use crate::common::{snapshot, Fixture};

fn limited(fx: &Fixture, name: &str, max_uses: u32, refill: Option<Refill>) -> NewCredential {
    NewCredential {
        restrictions: Restrictions {
            usage: Some(UsageLimit::new(max_uses, refill).unwrap()),
            ..Restrictions::default()
        },
        ..fx.new_credential(name, 90)
    }
}

/// The uses left after an active verification, or why it was refused.
fn remaining(
    vault: &Vault,
    issued: &Issued,
    scope: Option<&str>,
) -> Result<Option<u32>, InactiveReason> {
    match vault.verify(issued.token.expose(), scope, None).unwrap() {
        Verification::Active(verified) => Ok(verified.remaining),
        Verification::Inactive(reason) => Err(reason),
        Verification::ActiveOAuth(_) => unreachable!(),
    }
}

#[test]
fn a_usage_limit_is_spent_by_successful_verifications_only() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&limited(&fx, "three uses", 3, None)).unwrap();
    let usage = issued.credential.usage.unwrap();
    assert_eq!((usage.max_uses, usage.left, usage.refill), (3, 3, None));

    assert_eq!(remaining(&vault, &issued, None), Ok(Some(2)));
    // A refusal for another reason spends nothing.
    assert_eq!(
        remaining(&vault, &issued, Some("payables:write")),
        Err(InactiveReason::ScopeNotGranted)
    );
    assert_eq!(
        remaining(&vault, &issued, Some("payables:read")),
        Ok(Some(1))
    );
    assert_eq!(remaining(&vault, &issued, None), Ok(Some(0)));
    assert_eq!(
        remaining(&vault, &issued, None),
        Err(InactiveReason::UsageExceeded)
    );
    // What the inventory shows once the handle closed (and gave back nothing: none were left).
    drop(vault);
    let vault = fx.unlock(crate::common::PASSPHRASE).unwrap();
    let shown = vault
        .credential(issued.credential.id)
        .unwrap()
        .usage
        .unwrap();
    assert_eq!(shown.left, 0);
    assert_eq!(
        remaining(&vault, &issued, None),
        Err(InactiveReason::UsageExceeded)
    );
}

#[test]
fn handles_with_leases_of_their_own_never_spend_more_than_the_limit() {
    let fx = Fixture::new();
    let mut first = fx.create();
    let issued = first
        .issue(&limited(&fx, "hundred uses", 100, None))
        .unwrap();
    // Two unlocks: two connections with leases of their own, as two processes have.
    let second = fx.unlock(crate::common::PASSPHRASE).unwrap();
    // The first takes three turns for each of the second's, until a whole round is refused.
    let mut successes = 0;
    let mut refused_in_a_row = 0;
    for vault in [&first, &first, &first, &second].into_iter().cycle() {
        match remaining(vault, &issued, None) {
            Ok(_) => (successes, refused_in_a_row) = (successes + 1, 0),
            Err(InactiveReason::UsageExceeded) => refused_in_a_row += 1,
            Err(other) => panic!("{other:?}"),
        }
        if refused_in_a_row == 4 {
            break;
        }
    }
    assert_eq!(successes, 100);

    // A lease given back as a handle closes is the others' to spend: the second leases 15
    // (a 64th of 1,000) and spends one.
    let issued = first
        .issue(&limited(&fx, "thousand uses", 1_000, None))
        .unwrap();
    assert_eq!(remaining(&second, &issued, None), Ok(Some(999)));
    drop(second);
    let mut spent_by_first = 0;
    while remaining(&first, &issued, None).is_ok() {
        spent_by_first += 1;
    }
    assert_eq!(spent_by_first, 999);
}

#[test]
fn refilled_limits_fill_up_each_day_or_month() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let daily = vault
        .issue(&limited(&fx, "daily", 2, Some(Refill::Daily)))
        .unwrap();
    let monthly = vault
        .issue(&limited(&fx, "monthly", 1, Some(Refill::Monthly)))
        .unwrap();
    for issued in [&daily, &daily, &monthly] {
        assert!(remaining(&vault, issued, None).is_ok());
    }
    assert_eq!(
        remaining(&vault, &daily, None),
        Err(InactiveReason::UsageExceeded)
    );
    assert_eq!(
        remaining(&vault, &monthly, None),
        Err(InactiveReason::UsageExceeded)
    );
    // 2026-11-22 09:00 → 2026-11-23 00:00: a new day, the same month.
    fx.clock.advance(Duration::hours(15));
    assert_eq!(remaining(&vault, &daily, None), Ok(Some(1)));
    assert_eq!(
        remaining(&vault, &monthly, None),
        Err(InactiveReason::UsageExceeded)
    );
    // 2026-12-01: a new month.
    fx.clock.advance(Duration::days(8));
    assert_eq!(remaining(&vault, &monthly, None), Ok(Some(0)));
    let shown = vault
        .credential(daily.credential.id)
        .unwrap()
        .usage
        .unwrap();
    assert_eq!(shown.refill, Some(Refill::Daily));
    assert_eq!(shown.left_at(fx.clock_now()), 2);
}

#[test]
fn an_allowlist_admits_its_addresses_and_ranges_only() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault
        .issue(&NewCredential {
            restrictions: Restrictions {
                allowed_ips: IpAllowlist::parse(&["10.0.0.0/8", "2001:db8::/32", "203.0.113.7"])
                    .unwrap(),
                ..Restrictions::default()
            },
            ..fx.new_credential("office only", 30)
        })
        .unwrap();
    assert_eq!(
        issued.credential.allowed_ips,
        ["10.0.0.0/8", "2001:db8::/32", "203.0.113.7/32"]
    );
    let from = |client: Option<&str>| {
        let request = VerificationRequest {
            client_ip: client.map(|ip| ip.parse().unwrap()),
            as_user: None,
            ..VerificationRequest::default()
        };
        match vault
            .verify_request(issued.token.expose(), &request)
            .unwrap()
        {
            Verification::Active(_) => Ok(()),
            Verification::Inactive(reason) => Err(reason),
            Verification::ActiveOAuth(_) => unreachable!(),
        }
    };
    for inside in [
        "10.0.0.0",
        "10.255.255.255",
        "2001:db8::1",
        "203.0.113.7",
        "::ffff:10.1.1.1",
    ] {
        assert_eq!(from(Some(inside)), Ok(()), "{inside}");
    }
    for outside in [
        "11.0.0.0",
        "9.255.255.255",
        "2001:db9::",
        "203.0.113.8",
        "127.0.0.1",
    ] {
        assert_eq!(
            from(Some(outside)),
            Err(InactiveReason::IpNotAllowed),
            "{outside}"
        );
    }
    // An unknown address is not on the list.
    assert_eq!(from(None), Err(InactiveReason::IpNotAllowed));
}

#[test]
fn an_edit_changes_the_limit_and_the_list_and_a_bad_one_changes_nothing() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&limited(&fx, "edited", 2, None)).unwrap();
    let id = issued.credential.id;
    assert!(remaining(&vault, &issued, None).is_ok());
    assert!(remaining(&vault, &issued, None).is_ok());

    for (fields, code) in [
        (
            json!({ "allowed_ips": ["10.0.0.0/33"] }),
            "invalid_ip_range",
        ),
        (
            json!({ "usage_limit": { "max_uses": 0 } }),
            "invalid_usage_limit",
        ),
        (
            json!({ "usage_limit": { "max_uses": 5, "refill": "hourly" } }),
            "invalid_edit",
        ),
        (json!({ "allowed_ips": "10.0.0.0/8" }), "invalid_edit"),
    ] {
        let error = CredentialEdit::from_fields(fields.as_object().unwrap()).unwrap_err();
        assert_eq!(error.code(), code, "{fields}");
    }
    let before = snapshot(&vault);
    assert!(matches!(
        IpAllowlist::parse(&["not an address"]),
        Err(Error::InvalidIpRange(_))
    ));
    assert_eq!(snapshot(&vault), before);

    let edit = CredentialEdit::from_fields(
        json!({ "usage_limit": { "max_uses": 5, "refill": "daily" }, "allowed_ips": ["192.0.2.0/24"] })
            .as_object()
            .unwrap(),
    )
    .unwrap();
    let edited = vault.edit(id, &edit).unwrap();
    let usage = edited.usage.unwrap();
    assert_eq!(
        (usage.max_uses, usage.left, usage.refill),
        (5, 5, Some(Refill::Daily))
    );
    assert_eq!(edited.allowed_ips, ["192.0.2.0/24"]);
    assert_eq!(
        remaining(&vault, &issued, None),
        Err(InactiveReason::IpNotAllowed)
    );
    let history = vault.audit_log(Some(id)).unwrap();
    let details: serde_json::Value =
        serde_json::from_str(&history.last().unwrap().details).unwrap();
    assert_eq!(details["max_uses"], 5);
    assert_eq!(details["allowed_ips"], json!(["192.0.2.0/24"]));

    // Removing both: unlimited, from anywhere.
    let cleared = vault
        .edit(
            id,
            &CredentialEdit {
                usage: Some(None),
                allowed_ips: Some(IpAllowlist::default()),
                ..CredentialEdit::default()
            },
        )
        .unwrap();
    assert!(cleared.usage.is_none() && cleared.allowed_ips.is_empty());
    assert_eq!(remaining(&vault, &issued, None), Ok(None));
}

#[test]
fn a_renewal_carries_the_restrictions_over_with_the_uses_full() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault
        .issue(&NewCredential {
            restrictions: Restrictions {
                usage: Some(UsageLimit::new(4, Some(Refill::Monthly)).unwrap()),
                allowed_ips: IpAllowlist::parse(&["198.51.100.0/24"]).unwrap(),
            },
            ..fx.new_credential("carried", 30)
        })
        .unwrap();
    let renewed = vault
        .renew(
            issued.credential.id,
            &Renewal {
                old_ends_at: fx.clock_now() + Duration::hours(1),
                new_expiry: None,
                name: None,
                description: None,
            },
        )
        .unwrap();
    let usage = renewed.credential.usage.unwrap();
    assert_eq!(
        (usage.max_uses, usage.left, usage.refill),
        (4, 4, Some(Refill::Monthly))
    );
    assert_eq!(renewed.credential.allowed_ips, ["198.51.100.0/24"]);
}
