//! The team vault's devices: invitations made, used once within their day, refused when
//! forged, used or expired; a device acting as its user with that user's rights, named in the
//! audit log; a removed device refused at once.

use chrono::Duration;
use keysmith_core::{Error, Name, Secret};

use crate::common::history_of;
use crate::team::{name, Team};

const LAPTOP_KEY: [u8; 32] = [1; 32];
const DESKTOP_KEY: [u8; 32] = [2; 32];

fn laptop() -> Name {
    name("Cleo's laptop")
}

#[test]
fn an_invitation_enrolls_one_device_once_within_its_day() {
    let mut team = Team::new();
    let invitation = team.vault.invite(team.member).unwrap();
    assert!(invitation.secret.expose().starts_with("ks_inv_"));
    assert_eq!(
        invitation.expires_at,
        team.fx.clock_now() + Duration::hours(24)
    );

    let device = team
        .vault
        .join(&invitation.secret, &laptop(), &LAPTOP_KEY, "127.0.0.2")
        .unwrap();
    assert_eq!(
        (device.user_id, device.name.as_str()),
        (team.member, "Cleo's laptop")
    );
    assert_eq!(device.last_address.as_deref(), Some("127.0.0.2"));
    assert_eq!(team.vault.device_by_key(&LAPTOP_KEY).unwrap(), device);

    let again = team
        .vault
        .join(&invitation.secret, &name("Desk"), &DESKTOP_KEY, "127.0.0.3");
    assert!(matches!(again, Err(Error::InvitationUsed)), "{again:?}");
    let forged = Secret::from("ks_inv_0000000000000000000000");
    let forged = team
        .vault
        .join(&forged, &name("Desk"), &DESKTOP_KEY, "127.0.0.3");
    assert!(
        matches!(forged, Err(Error::InvitationNotFound)),
        "{forged:?}"
    );

    let late = team.vault.invite(team.member).unwrap();
    team.fx.clock.advance(Duration::hours(24));
    let expired = team
        .vault
        .join(&late.secret, &name("Desk"), &DESKTOP_KEY, "127.0.0.3");
    assert!(
        matches!(expired, Err(Error::InvitationExpired)),
        "{expired:?}"
    );
    assert_eq!(
        team.vault.devices().unwrap(),
        vec![device],
        "nothing else enrolled"
    );

    // One key, one device: a second invitation cannot enroll the same key twice.
    let second = team.vault.invite(team.member).unwrap();
    let twice = team
        .vault
        .join(&second.secret, &name("Again"), &LAPTOP_KEY, "127.0.0.2");
    assert!(
        matches!(twice, Err(Error::AlreadyExists { .. })),
        "{twice:?}"
    );
}

#[test]
fn only_those_who_manage_people_invite_and_not_for_the_account_holder() {
    let mut team = Team::new();
    let mut member = team.unlock_as_member();
    assert!(matches!(
        member.invite(team.member),
        Err(Error::Forbidden(_))
    ));
    let mut admin = team.fx.unlock(crate::team::ADMIN_PASSPHRASE).unwrap();
    assert!(matches!(
        admin.invite(keysmith_core::UserId(1)),
        Err(Error::Forbidden(_))
    ));
    assert!(admin.invite(team.member).is_ok());
    assert!(matches!(
        admin.invite(keysmith_core::UserId(99)),
        Err(Error::UserNotFound(99))
    ));
}

#[test]
fn a_device_acts_as_its_user_named_with_the_device_until_it_is_removed() {
    let mut team = Team::new();
    let invitation = team.vault.invite(team.member).unwrap();
    let device = team
        .vault
        .join(&invitation.secret, &laptop(), &LAPTOP_KEY, "127.0.0.2")
        .unwrap();

    // Cleo is a member: her device has her rights, not the server's unlocker's.
    let refused = team.vault.as_device(device.id, |vault| {
        vault.create_user(&crate::team::user(
            "Eve Extra",
            keysmith_core::Role::Admin,
            true,
        ))
    });
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let now = team.fx.clock_now();
    let issued = team
        .vault
        .as_device(device.id, |vault| {
            vault.issue(&crate::team::credential(
                now,
                keysmith_core::TokenKind::PersonalAccessToken,
                Some(team.member),
                "cleo's sync",
                &["payables:read"],
            ))
        })
        .unwrap();
    let log = team.vault.audit_log(Some(issued.credential.id)).unwrap();
    assert_eq!(
        log[0].actor,
        "Cleo Member <cleo.member@example.com> on Cleo's laptop"
    );
    assert_eq!(
        history_of(&team.vault, issued.credential.id),
        ["credential.issued"]
    );
    // The one who unlocked acts again after.
    assert_eq!(
        team.vault.operator().role,
        keysmith_core::Role::AccountHolder
    );
    assert!(team.vault.operator().device.is_none());

    // A member removes only her own devices; the account holder any.
    let other = team.vault.invite(team.admin).unwrap();
    let bobs = team
        .vault
        .join(
            &other.secret,
            &name("Bob's desk"),
            &DESKTOP_KEY,
            "127.0.0.3",
        )
        .unwrap();
    let not_hers = team
        .vault
        .as_device(device.id, |vault| vault.remove_device(bobs.id));
    assert!(matches!(not_hers, Err(Error::Forbidden(_))), "{not_hers:?}");
    let member = team.unlock_as_member();
    assert_eq!(
        member.devices().unwrap(),
        vec![device.clone()],
        "a member sees her own"
    );
    team.vault
        .as_device(device.id, |vault| vault.remove_device(device.id))
        .unwrap();
    let gone = team.vault.as_device(device.id, |vault| vault.settings());
    assert!(matches!(gone, Err(Error::DeviceNotFound(_))), "{gone:?}");
    assert!(matches!(
        team.vault.device_by_key(&LAPTOP_KEY),
        Err(Error::DeviceNotFound(_))
    ));
    let actions: Vec<String> = team
        .vault
        .audit_log(None)
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .filter(|action| action.starts_with("device."))
        .collect();
    assert_eq!(
        actions,
        [
            "device.invited",
            "device.joined",
            "device.invited",
            "device.joined",
            "device.removed"
        ]
    );
}
