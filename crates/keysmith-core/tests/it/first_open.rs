//! The first vaults a process opens, opened at once on many threads: each must key.
//!
//! SQLite marks itself initialised before SQLCipher's own set-up has run; a connection keyed in
//! between failed with "PRAGMA key requires a key of one or more characters" (seen when the
//! keychain tests, three at once, were the first to open vaults in their process). The race is
//! only there while a process opens its first database, so each try is a fresh process: this
//! test binary run again for the child test alone.

use std::process::Command;
use std::sync::{Arc, Barrier};

use crate::common::{holder, PASSPHRASE};
use keysmith_core::{clock, vault, DataKey, KdfParams, Secret, Vault};

/// The folder the child keys its databases in; unset, the child does nothing (it is only run
/// by [`the_first_vaults_of_a_process_key_when_opened_at_once`]).
const CHILD_DIR: &str = "KEYSMITH_TEST_FIRST_OPEN_DIR";
/// Vaults opened at once in each child, and children started.
const THREADS: usize = 32;
const PROCESSES: usize = 40;

#[test]
#[ignore = "a child process of another test"]
fn child_keys_databases_at_once() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    // Each thread keys a database file of its own through the path every vault connection
    // takes, all at one instant: the first SQLite use of this process.
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let path = std::path::Path::new(&dir).join(format!("{i}.db"));
            std::fs::File::create(&path).unwrap();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let key = DataKey::generate();
                start.wait();
                vault::key_database_file(&path, &key).map_err(|error| error.to_string())
            })
        })
        .collect();
    let failures: Vec<String> = threads
        .into_iter()
        .filter_map(|thread| thread.join().unwrap().err())
        .collect();
    assert!(
        failures.is_empty(),
        "databases that did not key: {failures:#?}"
    );
    // And a whole vault, created and opened again, in the same process.
    let path = std::path::Path::new(&dir).join("team.vault");
    let vault = Vault::create(
        &path,
        &Secret::from(PASSPHRASE),
        &holder(),
        KdfParams::MINIMUM,
        clock::system(),
    )
    .unwrap();
    vault.open_again().unwrap();
}

#[test]
fn the_first_vaults_of_a_process_key_when_opened_at_once() {
    let test_binary = std::env::current_exe().unwrap();
    for run in 0..PROCESSES {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(&test_binary)
            .args([
                "--ignored",
                "--exact",
                "first_open::child_keys_databases_at_once",
            ])
            .env(CHILD_DIR, dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "run {run}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // What the child made is a vault: it opens again here, with its passphrase.
        Vault::unlock(
            &dir.path().join("team.vault"),
            &Secret::from(PASSPHRASE),
            clock::system(),
        )
        .unwrap();
    }
}
