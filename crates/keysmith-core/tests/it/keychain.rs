//! "Remember on this device" against the real OS keychain. These tests need a known keychain
//! state, so they are `#[ignore]`d in a plain `cargo test` and run by `scripts/test`:
//! the `secret_service_*` ones inside `dbus-run-session` with gnome-keyring's Secret Service,
//! the `no_keychain_*` one with the D-Bus session address pointing nowhere.

use std::path::Path;

use crate::common::PASSPHRASE;
use keysmith_core::{clock, KdfParams, Keychain, Secret, Vault, Verification};

fn create(path: &Path) -> Vault {
    Vault::create(
        path,
        &Secret::from(PASSPHRASE),
        &crate::common::holder(),
        KdfParams::MINIMUM,
        clock::system(),
    )
    .unwrap()
}

#[test]
#[ignore = "needs a Secret Service; scripts/test runs it inside dbus-run-session"]
fn secret_service_remembers_the_key_and_the_vault_opens_without_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("remembered.vault");
    let keychain = Keychain;
    let mut vault = create(&path);
    let now = vault.now();
    let issued = vault
        .issue(&crate::common::pat(now, "remembered", 7))
        .unwrap();
    vault.remember_on_device(&keychain).unwrap();
    let id = vault.id().clone();
    drop(vault);

    let stored = keychain
        .load(&id)
        .unwrap()
        .expect("the keychain holds the key");
    let reopened = Vault::unlock_from_keychain(&path, &keychain, clock::system())
        .unwrap()
        .expect("the vault opens from the keychain");
    assert!(matches!(
        reopened.verify(issued.token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    let actions: Vec<String> = reopened
        .audit_log(None)
        .unwrap()
        .into_iter()
        .map(|entry| entry.details)
        .collect();
    assert!(actions.last().unwrap().contains("keychain"));
    drop(reopened);

    // Forgetting removes the entry: the next start asks for the passphrase again.
    Vault::unlock(&path, &Secret::from(PASSPHRASE), clock::system())
        .unwrap()
        .forget_on_device(&keychain)
        .unwrap();
    assert!(keychain.load(&id).unwrap().is_none());
    assert!(
        Vault::unlock_from_keychain(&path, &keychain, clock::system())
            .unwrap()
            .is_none()
    );
    drop(stored);
}

#[test]
#[ignore = "needs a Secret Service; scripts/test runs it inside dbus-run-session"]
fn secret_service_with_a_wrong_key_fails_cleanly_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.vault");
    let vault = create(&path);
    let id = vault.id().clone();
    drop(vault);
    let before = std::fs::read(&path).unwrap();
    let keychain = Keychain;
    keychain
        .store(&id, &keysmith_core::DataKey::generate(), "holder")
        .unwrap();
    let err = Vault::unlock_from_keychain(&path, &keychain, clock::system()).unwrap_err();
    assert_eq!(err.code(), "wrong_key");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    keychain.forget(&id).unwrap();
}

#[test]
#[ignore = "needs no Secret Service; scripts/test runs it with DBUS_SESSION_BUS_ADDRESS pointing nowhere"]
fn no_keychain_is_a_typed_error_and_the_passphrase_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.vault");
    let vault = create(&path);
    let err = vault.remember_on_device(&Keychain).unwrap_err();
    assert_eq!(err.code(), "keychain_unavailable");
    assert!(err
        .to_string()
        .starts_with("The OS keychain is not available"));
    drop(vault);
    let err = Vault::unlock_from_keychain(&path, &Keychain, clock::system()).unwrap_err();
    assert_eq!(err.code(), "keychain_unavailable");
    Vault::unlock(&path, &Secret::from(PASSPHRASE), clock::system()).unwrap();
}

#[test]
#[ignore = "needs a Secret Service; scripts/test runs it inside dbus-run-session"]
fn secret_service_keeps_opening_the_vault_after_a_passphrase_change_and_a_rekey() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("followed.vault");
    let keychain = Keychain;
    let mut vault = create(&path);
    let now = vault.now();
    let token = vault
        .issue(&crate::common::pat(now, "followed", 7))
        .unwrap()
        .token;
    vault.remember_on_device(&keychain).unwrap();
    vault
        .change_passphrase(
            &Secret::from(PASSPHRASE),
            &Secret::from("a changed passphrase"),
            KdfParams::MINIMUM,
        )
        .unwrap();
    let id = vault.id().clone();
    let before = keychain.load(&id).unwrap().expect("remembered").0;
    vault.rekey(&keychain).unwrap();
    drop(vault);
    let after = keychain.load(&id).unwrap().expect("still remembered").0;
    assert_ne!(before, after, "the keychain holds the new key");
    let reopened = Vault::unlock_from_keychain(&path, &keychain, clock::system())
        .unwrap()
        .expect("the keychain still opens the vault");
    assert!(matches!(
        reopened.verify(token.expose(), None, None).unwrap(),
        Verification::Active(_)
    ));
    keychain.forget(&id).unwrap();
}
