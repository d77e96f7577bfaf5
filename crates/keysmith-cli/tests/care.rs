//! `keysmith passwd`, `rekey`, `backup`, `restore`, `export` and `scan` as subprocesses, on
//! real vault files: what each changes, what it refuses, and a re-key killed (SIGKILL) at
//! thirty points that always leaves a vault every passphrase opens and every token verifies in.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use keysmith_core::{
    clock, AccountHolder, EmailAddress, KdfParams, Name, Secret, Vault, Verification,
};

mod support;

use support::*;

const NEW_PASSPHRASE: &str = "the next cli passphrase";
const BACKUP_PASSPHRASE: &str = "cli backup passphrase";
const ADMIN_PASSPHRASE: &str = "bob's cli passphrase";

/// `keysmith` with `envs` set (after the test passphrase) and `input` on stdin.
fn run(vault: &Path, args: &[&str], envs: &[(&str, &str)], input: &str) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_keysmith"));
    command
        .arg("--vault")
        .arg(vault)
        .args(args)
        .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
        .env_remove("KEYSMITH_NEW_PASSPHRASE")
        .env_remove("KEYSMITH_BACKUP_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("keysmith runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_ok(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
}

/// Whether `token` verifies as active in the vault at `vault`, unlocked with `passphrase`.
fn verifies(vault: &Path, passphrase: &str, token: &str) -> bool {
    let opened =
        Vault::unlock_read_only(vault, &Secret::from(passphrase), clock::system()).unwrap();
    matches!(
        opened.verify(token, None, None).unwrap(),
        Verification::Active(_)
    )
}

/// A vault made in-process with the cheapest key derivation (so the command line's unlocks
/// are quick), an admin with a passphrase of his own, and `n` tokens.
fn quick_vault(path: &Path, n: usize) -> Vec<String> {
    let holder = AccountHolder {
        name: Name::new("Ada Holder").unwrap(),
        email: EmailAddress::try_from("ada@example.com".to_owned()).unwrap(),
    };
    Vault::create(
        path,
        &PASSPHRASE.into(),
        &holder,
        KdfParams::MINIMUM,
        clock::system(),
    )
    .unwrap();
    add_admin(path, ADMIN_PASSPHRASE);
    (0..n)
        .map(|i| {
            let issued = issue_json(path, &format!("token {i}"), &[]);
            issued["token"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn passwd_takes_the_new_passphrase_from_the_environment_or_the_second_stdin_line() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("passwd.vault");
    let tokens = quick_vault(&vault, 1);
    let missing = run(&vault, &["passwd"], &[], "");
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("weak_passphrase"),
        "{}",
        stderr(&missing)
    );
    let changed = run(
        &vault,
        &["passwd"],
        &[("KEYSMITH_NEW_PASSPHRASE", NEW_PASSPHRASE)],
        "",
    );
    assert_ok(&changed);
    let old = run(&vault, &["list"], &[], "");
    assert_eq!(old.status.code(), Some(2));
    assert!(stderr(&old).contains("wrong_passphrase"));
    assert!(verifies(&vault, NEW_PASSPHRASE, &tokens[0]));
    // Back again through stdin: the current passphrase on line 1, the new on line 2.
    let input = format!("{NEW_PASSPHRASE}\n{PASSPHRASE}\n");
    assert_ok(&run(&vault, &["--passphrase-stdin", "passwd"], &[], &input));
    assert!(verifies(&vault, PASSPHRASE, &tokens[0]));
    // The admin's own passphrase was never touched.
    assert!(verifies(&vault, ADMIN_PASSPHRASE, &tokens[0]));
}

#[test]
fn a_rekey_killed_at_thirty_points_leaves_a_vault_that_opens_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("rekey.vault");
    let tokens = quick_vault(&vault, 4);
    let header = vault.with_file_name("rekey.vault.keys");
    let database = |path: &Path| std::fs::read(path).unwrap()[..16].to_vec();
    // How long an uninterrupted re-key takes, start to exit.
    let started = Instant::now();
    assert_ok(&run(&vault, &["rekey"], &[], ""));
    let whole = started.elapsed();
    // Where each kill landed: before the export was whole, with the new database staged,
    // between the header's two writes, or after the re-key (the salt changed).
    let mut landed = std::collections::BTreeMap::<&str, u32>::new();
    // The first ten kills spread over twice the run's length; the other twenty between the
    // latest kill that left the old vault whole and the earliest that found the re-key done,
    // where the re-key writes.
    let (mut latest_before, mut earliest_after) = (Duration::ZERO, whole * 2);
    for i in 0..30u32 {
        let delay = if i < 10 {
            whole * 2 * i / 10
        } else {
            latest_before + (earliest_after.saturating_sub(latest_before)) * (i - 10) / 20
        };
        let salt_before = database(&vault);
        let mut child = Command::new(env!("CARGO_BIN_EXE_keysmith"))
            .arg("--vault")
            .arg(&vault)
            .arg("rekey")
            .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        let state = if std::fs::read_to_string(&header)
            .unwrap()
            .contains("sealed_previous_key")
        {
            "between the header writes"
        } else if vault.with_file_name("rekey.vault.rekey").exists() {
            "while staging"
        } else if database(&vault) != salt_before {
            "after the re-key"
        } else {
            "before anything was written"
        };
        *landed.entry(state).or_default() += 1;
        match state {
            "before anything was written" => latest_before = latest_before.max(delay),
            "after the re-key" => earliest_after = earliest_after.min(delay),
            _ => {}
        }
        // A session unlock finishes or undoes what the kill cut short; every passphrase opens.
        for passphrase in [PASSPHRASE, ADMIN_PASSPHRASE] {
            let session = Vault::unlock(&vault, &passphrase.into(), clock::system())
                .unwrap_or_else(|e| panic!("kill {i}: the vault does not open: {e}"));
            for token in &tokens {
                assert!(
                    matches!(
                        session.verify(token, None, None).unwrap(),
                        Verification::Active(_)
                    ),
                    "kill {i}: a token no longer verifies"
                );
            }
        }
        assert!(!std::fs::read_to_string(&header)
            .unwrap()
            .contains("sealed_previous_key"));
        assert!(!vault.with_file_name("rekey.vault.rekey").exists());
    }
    eprintln!(
        "re-key: {} ms whole; 30 kills landed: {landed:?}",
        whole.as_millis()
    );
    assert!(landed.len() > 1, "every kill landed alike: {landed:?}");
}

#[test]
fn a_backup_restores_over_the_vault_and_to_a_new_path() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("team.vault");
    let tokens = quick_vault(&vault, 3);
    let backup = dir.path().join("team.ksbackup");
    let backup_arg = backup.to_str().unwrap();
    // The backup passphrase from stdin (the vault's from the environment).
    let written = run(
        &vault,
        &["backup", "--to", backup_arg],
        &[],
        &format!("{BACKUP_PASSPHRASE}\n"),
    );
    assert_ok(&written);
    assert!(String::from_utf8_lossy(&written.stdout).contains("3 credentials"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the backup is readable by others");
    }
    // A wrong backup passphrase: a typed error, and no vault made.
    let copy = dir.path().join("copy/team.vault");
    let refused = run(
        &copy,
        &["restore", "--from", backup_arg],
        &[("KEYSMITH_BACKUP_PASSPHRASE", "not it at all")],
        "",
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("wrong_backup_passphrase"),
        "{}",
        stderr(&refused)
    );
    assert!(!copy.exists() && !Vault::exists(&copy));
    // To a new path: a working copy that opens with the operators' passphrases.
    let env = [("KEYSMITH_BACKUP_PASSPHRASE", BACKUP_PASSPHRASE)];
    assert_ok(&run(&copy, &["restore", "--from", backup_arg], &env, ""));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(copy.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the new vault's folder is readable by others"
        );
    }
    for token in &tokens {
        assert!(verifies(&copy, PASSPHRASE, token) && verifies(&copy, ADMIN_PASSPHRASE, token));
    }
    let listed = |path: &Path| {
        ok_json(run(path, &["list", "--json"], &[], ""))
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(listed(&copy), listed(&vault));
    // Refused over the vault — a wrong backup passphrase, an admin who is not the account
    // holder — the vault's files stay byte for byte as they were: not even an unlock is
    // recorded.
    let files = |path: &Path| {
        [path.to_owned(), path.with_extension("vault.keys")]
            .map(|file| std::fs::read(file).unwrap())
    };
    let before = files(&vault);
    let wrong = run(
        &vault,
        &["restore", "--from", backup_arg],
        &[("KEYSMITH_BACKUP_PASSPHRASE", "not it at all")],
        "",
    );
    assert!(
        stderr(&wrong).contains("wrong_backup_passphrase"),
        "{}",
        stderr(&wrong)
    );
    let by_admin = run(
        &vault,
        &["restore", "--from", backup_arg],
        &[("KEYSMITH_PASSPHRASE", ADMIN_PASSPHRASE), env[0]],
        "",
    );
    assert!(
        stderr(&by_admin).contains("forbidden"),
        "{}",
        stderr(&by_admin)
    );
    assert!(
        files(&vault) == before,
        "a refused restore changed the vault"
    );
    // Over the vault: a token issued after the backup is gone; the replaced vault is kept.
    let later = issue_json(&vault, "after the backup", &[]);
    let later = later["token"].as_str().unwrap();
    let restored = run(&vault, &["restore", "--from", backup_arg], &env, "");
    assert_ok(&restored);
    assert!(!verifies(&vault, PASSPHRASE, later));
    assert!(verifies(&vault, PASSPHRASE, &tokens[0]));
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("team.vault.before-restore-") && !name.ends_with(".keys"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(verifies(&dir.path().join(&kept[0]), PASSPHRASE, later));
}

/// A vault with a damaged page refuses a change with one line on stderr, as every error is
/// told: SQLite's verdict spans several lines, and is joined.
#[test]
fn a_damaged_vault_is_reported_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("damaged.vault");
    quick_vault(&vault, 3);
    let mut bytes = std::fs::read(&vault).unwrap();
    assert!(bytes.len() > 6 * 4096, "{} bytes", bytes.len());
    bytes[5 * 4096 + 100..5 * 4096 + 300].fill(0xaa);
    std::fs::write(&vault, &bytes).unwrap();
    let refused = run(
        &vault,
        &[
            "issue",
            "--name",
            "after the damage",
            "--expires",
            &in_days(30),
            "--scope",
            "payables:read",
        ],
        &[],
        "",
    );
    assert_eq!(refused.status.code(), Some(2));
    let said = stderr(&refused);
    assert!(said.starts_with("error: vault_damaged: "), "{said}");
    assert_eq!(said.trim_end().lines().count(), 1, "{said}");
    assert_eq!(
        std::fs::read(&vault).unwrap(),
        bytes,
        "the damaged vault was written to"
    );
}

#[test]
fn export_writes_a_private_file_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("export.vault");
    let tokens = quick_vault(&vault, 2);
    let file = dir.path().join("inventory.csv");
    let exported = run(
        &vault,
        &["export", "--format", "csv", "--to", file.to_str().unwrap()],
        &[],
        "",
    );
    assert_ok(&exported);
    assert!(stderr(&exported).contains("not encrypted"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    for token in &tokens {
        assert!(!text.contains(token.as_str()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let users = run(
        &vault,
        &["export", "--format", "csv", "--table", "users"],
        &[],
        "",
    );
    assert!(String::from_utf8_lossy(&users.stdout).contains("bob@example.com"));
}

/// Runs `git` in `repo` (the tests make their repositories with it; Keysmith reads them
/// without it) with `input` on stdin; its stdout.
fn git_in(repo: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn scan_finds_tokens_in_files_and_git_history_and_revokes_the_active_ones() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("scan.vault");
    let tokens = quick_vault(&vault, 3);
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let git = |args: &[&str]| {
        git_in(&repo, args, "");
    };
    git(&["init", "-q"]);
    // Token 0 committed, then removed: only the history has it. Token 1 is in the tree.
    std::fs::write(repo.join("deploy.yml"), format!("token: {}\n", tokens[0])).unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "add deploy"]);
    let mut broken = tokens[2].clone();
    broken.replace_range(20..21, if &broken[20..21] == "x" { "y" } else { "x" });
    std::fs::write(
        repo.join("deploy.yml"),
        format!("# moved to the vault\nbroken: {broken}\n"),
    )
    .unwrap();
    std::fs::write(
        repo.join("settings.env"),
        format!("\n\nAPI_TOKEN={}\n", tokens[1]),
    )
    .unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "remove the token"]);
    let repo_arg = repo.to_str().unwrap();

    let tree_only = run(&vault, &["scan", repo_arg], &[], "");
    assert_eq!(tree_only.status.code(), Some(1), "{}", stderr(&tree_only));
    let out = String::from_utf8_lossy(&tree_only.stdout).into_owned();
    assert!(
        out.contains("settings.env:3") && out.contains("token 1"),
        "{out}"
    );
    assert!(
        !out.contains("token 0") && !out.contains("token 2"),
        "{out}"
    );
    for token in &tokens {
        assert!(!out.contains(token.as_str()) && !stderr(&tree_only).contains(token.as_str()));
    }
    let with_history = ok_json_lenient(&run(
        &vault,
        &["scan", "--git", "--json", repo_arg],
        &[],
        "",
    ));
    let locations: Vec<String> = with_history["sightings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["location"].as_str().unwrap(),
                s["credential"]["name"]
            )
        })
        .collect();
    assert!(
        locations
            .iter()
            .any(|l| l.ends_with(":deploy.yml:1 \"token 0\"")),
        "{locations:?}"
    );
    assert!(
        locations
            .iter()
            .any(|l| l.ends_with(":settings.env:3 \"token 1\"")),
        "{locations:?}"
    );
    assert_eq!(with_history["commits"], 2);

    // --revoke asks; a "no" revokes nothing.
    let declined = run(&vault, &["scan", "--git", "--revoke", repo_arg], &[], "n\n");
    assert_eq!(declined.status.code(), Some(1));
    assert!(verifies(&vault, PASSPHRASE, &tokens[0]));
    let revoked = run(
        &vault,
        &["scan", "--git", "--revoke", "--yes", repo_arg],
        &[],
        "",
    );
    assert_eq!(revoked.status.code(), Some(1), "active tokens were found");
    for token in &tokens[..2] {
        assert!(!verifies(&vault, PASSPHRASE, token));
    }
    assert!(
        verifies(&vault, PASSPHRASE, &tokens[2]),
        "the broken token's credential stays"
    );
    // Found again, but no longer active: exit 0.
    assert_eq!(
        run(&vault, &["scan", "--git", repo_arg], &[], "")
            .status
            .code(),
        Some(0)
    );
    // Not a repository: a typed error.
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let no_repo = run(&vault, &["scan", "--git", plain.to_str().unwrap()], &[], "");
    assert_eq!(no_repo.status.code(), Some(2));
    assert!(stderr(&no_repo).contains("scan_failed"));
}

/// A hostile repository: its configuration names a program for every hook `git log` could
/// run (signature checking of a signed commit, an external diff, a text conversion, a pager,
/// an fsmonitor). Scanning its history runs none of them, and still finds the token in the
/// signed commit and in a merge that brought a token of its own.
#[test]
fn scanning_a_hostile_repository_runs_nothing_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("scan.vault");
    let tokens = quick_vault(&vault, 3);
    let repo = dir.path().join("hostile");
    std::fs::create_dir_all(&repo).unwrap();
    let git = |args: &[&str], input: &str| git_in(&repo, args, input);
    git(&["init", "-q", "-b", "main"], "");
    std::fs::write(repo.join("deploy.yml"), format!("token: {}\n", tokens[0])).unwrap();
    git(&["add", "."], "");
    git(&["commit", "-qm", "deploy"], "");
    // The same commit, signed (a made-up signature: `git log --show-signature` would hand it to
    // gpg.program all the same), as the branch `signed`.
    let plain = git(&["cat-file", "commit", "HEAD"], "");
    let (head, message) = plain.split_once("\n\n").unwrap();
    let signed = format!(
        "{head}\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\n{message}"
    );
    let signed = git(&["hash-object", "-t", "commit", "-w", "--stdin"], &signed);
    git(&["update-ref", "refs/heads/signed", signed.trim()], "");
    // A side branch and a merge whose resolution adds token 1 itself.
    git(&["checkout", "-qb", "side"], "");
    std::fs::write(repo.join("side.txt"), "side\n").unwrap();
    git(&["add", "."], "");
    git(&["commit", "-qm", "side"], "");
    git(&["checkout", "-q", "main"], "");
    std::fs::write(repo.join("main.txt"), "main\n").unwrap();
    git(&["add", "."], "");
    git(&["commit", "-qm", "main"], "");
    git(&["merge", "-q", "--no-commit", "side"], "");
    std::fs::write(
        repo.join("main.txt"),
        format!("main\nTOKEN={}\n", tokens[1]),
    )
    .unwrap();
    git(&["add", "."], "");
    git(&["commit", "-qm", "merge"], "");

    // What any of these would run writes its environment here.
    let ran = dir.path().join("ran.txt");
    let evil = dir.path().join("evil.sh");
    std::fs::write(
        &evil,
        format!("#!/bin/sh\nenv >> '{}'\ncat >/dev/null\n", ran.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let evil = evil.display();
    let config = repo.join(".git/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {evil}\n[gpg \"openpgp\"]\n\tprogram = {evil}\n\
         [core]\n\tfsmonitor = {evil}\n\tpager = {evil}\n[diff]\n\texternal = {evil}\n\
         [diff \"evil\"]\n\ttextconv = {evil}\n[pager]\n\tlog = {evil}\n"
    ));
    std::fs::write(&config, text).unwrap();
    std::fs::write(repo.join(".git/info/attributes"), "* diff=evil\n").unwrap();

    let scanned = ok_json_lenient(&run(
        &vault,
        &["scan", "--git", "--json", repo.to_str().unwrap()],
        &[],
        "",
    ));
    assert!(
        !ran.exists(),
        "the repository ran a program: {}",
        std::fs::read_to_string(&ran).unwrap_or_default()
    );
    let found: Vec<String> = scanned["sightings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s["location"], s["credential"]["name"]))
        .collect();
    let signed_at = format!("\"{}:deploy.yml:1\" \"token 0\"", &signed.trim()[..12]);
    assert!(found.contains(&signed_at), "{found:?}");
    assert!(
        found
            .iter()
            .any(|f| f.ends_with(":main.txt:2\" \"token 1\"")),
        "the merge's own token: {found:?}"
    );
    // main's deploy commit, the signed one, side, main, the merge.
    assert_eq!(scanned["commits"], 5, "{scanned}");
}

#[test]
fn serve_writes_the_scheduled_backup_when_it_is_due() {
    use keysmith_core::{BackupEvery, BackupSchedule};

    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("served.vault");
    let tokens = quick_vault(&vault, 1);
    let folder = dir.path().join("backups");
    std::fs::create_dir_all(&folder).unwrap();
    let mut holder = Vault::unlock(&vault, &PASSPHRASE.into(), clock::system()).unwrap();
    holder
        .set_backup_schedule(&BackupSchedule {
            every: BackupEvery::Daily,
            folder: folder.display().to_string(),
            keep: 3,
        })
        .unwrap();
    drop(holder);
    let server = Server::start(&vault, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let written = loop {
        let found: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "ksbackup"))
            .collect();
        if let [one] = found.as_slice() {
            break one.clone();
        }
        assert!(Instant::now() < deadline, "serve wrote no scheduled backup");
        std::thread::sleep(Duration::from_millis(200));
    };
    let (stopped, log) = server.stop_with_log();
    assert!(stopped.success());
    assert!(log.contains("scheduled backup written"), "{log}");
    // Restored with the holder's passphrase, its token verifies.
    let copy = dir.path().join("copy.vault");
    assert_ok(&run(
        &copy,
        &["restore", "--from", written.to_str().unwrap()],
        &[("KEYSMITH_BACKUP_PASSPHRASE", PASSPHRASE)],
        "",
    ));
    assert!(verifies(&copy, PASSPHRASE, &tokens[0]));
}
