//! The vault's files on disk: only their owner may read them, and an edited key header can
//! neither hang an unlock nor exhaust memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common::{holder, Fixture, PASSPHRASE};
use keysmith_core::{KdfParams, ManualClock, Secret, Vault};

/// `path` with `suffix` added to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[test]
fn the_vault_and_the_folders_made_for_it_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("made/for/it/team.vault");
    let mut vault = Vault::create(
        &path,
        &Secret::from(PASSPHRASE),
        &holder(),
        KdfParams::MINIMUM,
        Arc::new(ManualClock::new(chrono::Utc::now())),
    )
    .unwrap();
    let now = vault.now();
    vault
        .issue(&crate::common::pat(now, "writes the wal", 30))
        .unwrap();
    for folder in ["made", "made/for", "made/for/it"] {
        assert_eq!(mode(&dir.path().join(folder)), 0o700, "{folder}");
    }
    let files = [
        path.clone(),
        beside(&path, "-wal"),
        beside(&path, "-shm"),
        beside(&path, ".keys"),
    ];
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    drop(vault);

    // A vault copied about with a loose umask is tightened when it is opened.
    for file in &files {
        if file.exists() {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let vault = Vault::unlock(
        &path,
        &Secret::from(PASSPHRASE),
        Arc::new(ManualClock::new(chrono::Utc::now())),
    )
    .unwrap();
    for file in files.iter().filter(|file| file.exists()) {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    drop(vault);
}

/// Rewrites the first key slot's argon2 costs in the header of `fx`'s vault.
fn set_costs(fx: &Fixture, m_kib: u64, t: u64, p: u64) {
    let keys = beside(&fx.path, ".keys");
    let mut header: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&keys).unwrap()).unwrap();
    header["slots"][0]["kdf"] = serde_json::json!({ "m_kib": m_kib, "t": t, "p": p });
    std::fs::write(&keys, serde_json::to_vec(&header).unwrap()).unwrap();
}

#[test]
fn key_slot_costs_out_of_bounds_are_refused_at_once() {
    let fx = Fixture::new();
    drop(fx.create());
    let database = std::fs::read(&fx.path).unwrap();
    for (m_kib, t, p) in [
        (19 * 1024, 1_000_000, 1), // would take hours
        (4_000_000_000, 2, 1),     // would abort on allocation
        (19 * 1024, 2, 64),
        (1024, 2, 1), // below the floor
    ] {
        set_costs(&fx, m_kib, t, p);
        // Refused before deriving: had it derived, this would hang or abort the test.
        let refused = fx.unlock(PASSPHRASE).unwrap_err();
        assert_eq!(refused.code(), "kdf_out_of_bounds", "{m_kib} {t} {p}");
        assert!(refused.to_string().contains(&format!("{t} passes")));
    }
    assert_eq!(std::fs::read(&fx.path).unwrap(), database);
}

/// Each case says what it is: a database without its key header, a folder given as the
/// vault's path, a key header with no key slot left. None writes a byte.
#[test]
fn misplaced_and_missing_files_are_named_for_what_they_are() {
    let fx = Fixture::new();
    drop(fx.create());
    let keys = beside(&fx.path, ".keys");
    let header = std::fs::read(&keys).unwrap();
    let database = std::fs::read(&fx.path).unwrap();

    std::fs::rename(&keys, beside(&fx.path, ".keys.aside")).unwrap();
    let missing = fx.unlock(PASSPHRASE).unwrap_err();
    assert_eq!(missing.code(), "header_missing");
    assert!(missing.to_string().contains("team.vault.keys"), "{missing}");
    std::fs::rename(beside(&fx.path, ".keys.aside"), &keys).unwrap();

    let folder = Vault::create(
        fx.path.parent().unwrap(),
        &Secret::from(PASSPHRASE),
        &holder(),
        KdfParams::MINIMUM,
        Arc::new(ManualClock::new(chrono::Utc::now())),
    )
    .unwrap_err();
    assert_eq!(folder.code(), "vault_path_is_folder");

    let mut emptied: serde_json::Value = serde_json::from_slice(&header).unwrap();
    emptied["slots"] = serde_json::json!([]);
    std::fs::write(&keys, serde_json::to_vec(&emptied).unwrap()).unwrap();
    let no_slots = fx.unlock(PASSPHRASE).unwrap_err();
    assert_eq!(no_slots.code(), "vault_corrupt");
    assert!(no_slots.to_string().contains("no key slots"), "{no_slots}");
    assert_eq!(std::fs::read(&fx.path).unwrap(), database);
}

fn sha256_of(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

/// A vault of `fx` with a few credentials, closed (so the database holds every page).
fn closed_vault_with_pages(fx: &Fixture) {
    let mut vault = fx.create();
    for i in 0..40 {
        vault
            .issue(&fx.new_credential(&format!("filler {i}"), 30))
            .unwrap();
    }
}

/// A damaged database is reported with its own code and left byte for byte as it was: an
/// empty file is not given a fresh schema, a flipped byte in a page is found by the session's
/// integrity check, which runs beside the session's first reads and before its first write
/// (the unlock's audit row): the check says so, and every write is refused.
#[test]
fn a_damaged_database_is_reported_and_left_as_it_is() {
    let fx = Fixture::new();
    closed_vault_with_pages(&fx);
    let pages = std::fs::metadata(&fx.path).unwrap().len() / 4096;
    assert!(pages >= 4, "{pages} pages");

    // One flipped byte in the middle of the third page.
    let mut bytes = std::fs::read(&fx.path).unwrap();
    bytes[2 * 4096 + 2000] ^= 0x55;
    std::fs::write(&fx.path, &bytes).unwrap();
    let before = sha256_of(&fx.path);
    let mut vault = fx.unlock(PASSPHRASE).unwrap();
    let verdict = vault.integrity_check().wait().unwrap_err();
    assert_eq!(verdict.code(), "vault_damaged", "{verdict}");
    let write = vault
        .issue(&fx.new_credential("after the damage", 30))
        .unwrap_err();
    assert_eq!(write.code(), "vault_damaged", "{write}");
    drop(vault);
    assert_eq!(sha256_of(&fx.path), before);

    // Reading it, the damage is reported with the same code where it is met.
    let read = fx
        .unlock_read_only()
        .and_then(|vault| vault.query_credentials(&Default::default()).map(drop))
        .unwrap_err();
    assert_eq!(read.code(), "vault_damaged", "{read}");
    assert_eq!(sha256_of(&fx.path), before);

    // An empty file where the database was.
    std::fs::write(&fx.path, b"").unwrap();
    let empty = fx.unlock(PASSPHRASE).unwrap_err();
    assert_eq!(empty.code(), "vault_damaged", "{empty}");
    assert_eq!(std::fs::metadata(&fx.path).unwrap().len(), 0);
}

/// The session's check records the unlock once every page passed; the session's first
/// change waits for it, so the log holds the unlock before the change, and the check's verdict
/// is there for the window to show.
#[test]
fn the_unlock_is_recorded_before_the_sessions_first_change() {
    let fx = Fixture::new();
    closed_vault_with_pages(&fx);
    let mut vault = fx.unlock(PASSPHRASE).unwrap();
    vault.issue(&fx.new_credential("first change", 30)).unwrap();
    vault.integrity_check().wait().unwrap();
    let log = vault.audit_log(None).unwrap();
    let last: Vec<&str> = log
        .iter()
        .rev()
        .take(2)
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(last, ["credential.issued", "vault.unlocked"]);
}

/// A vault unlocked for reading writes nothing — no audit row, no -wal or -shm file left
/// behind — and refuses every change with `vault_read_only`.
#[test]
fn a_read_only_unlock_writes_nothing_and_refuses_changes() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let issued = vault.issue(&fx.new_credential("read me", 30)).unwrap();
    let audit_rows = vault.audit_log(None).unwrap().len();
    drop(vault);
    let before = sha256_of(&fx.path);
    let files_before = files_in(fx.path.parent().unwrap());

    for _ in 0..3 {
        let mut reader = fx.unlock_read_only().unwrap();
        assert_eq!(
            reader.query_credentials(&Default::default()).unwrap().len(),
            1
        );
        assert!(matches!(
            reader.verify(issued.token.expose(), None, None).unwrap(),
            keysmith_core::Verification::Active(_)
        ));
        assert_eq!(reader.audit_log(None).unwrap().len(), audit_rows);
        let refused = reader.revoke(issued.credential.id).unwrap_err();
        assert_eq!(refused.code(), "vault_read_only", "{refused}");
    }
    assert_eq!(sha256_of(&fx.path), before);
    assert_eq!(files_in(fx.path.parent().unwrap()), files_before);
    // A session still works, and is audited.
    let session = fx.unlock(PASSPHRASE).unwrap();
    assert_eq!(session.audit_log(None).unwrap().len(), audit_rows + 1);
}

/// The names of the files in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A key header from another vault (same passphrase) opens its own slot but not this
/// database: `header_mismatch`, not "wrong key", and the database is untouched.
#[test]
fn another_vaults_key_header_is_a_mismatch_not_a_wrong_key() {
    let ours = Fixture::new();
    let theirs = Fixture::new();
    drop(ours.create());
    drop(theirs.create());
    std::fs::copy(beside(&theirs.path, ".keys"), beside(&ours.path, ".keys")).unwrap();
    let before = sha256_of(&ours.path);
    let mismatch = ours.unlock(PASSPHRASE).unwrap_err();
    assert_eq!(mismatch.code(), "header_mismatch", "{mismatch}");
    assert_eq!(sha256_of(&ours.path), before);
}
