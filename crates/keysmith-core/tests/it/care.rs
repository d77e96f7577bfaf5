//! Vault care: changing a passphrase, re-keying, backing up and restoring, on real files.

use std::sync::Arc;

use crate::common::{pat, Fixture, PASSPHRASE};
use crate::team::{Team, ADMIN_PASSPHRASE};
use keysmith_core::{Error, KdfParams, Keychain, OpenedBackup, Secret, Vault, Verification};

const NEW_PASSPHRASE: &str = "a brand new passphrase";
const BACKUP_PASSPHRASE: &str = "the backup's own passphrase";

/// Issues `n` tokens, each named after the vault's count so far, and returns them.
fn issue_tokens(vault: &mut Vault, fx: &Fixture, n: usize) -> Vec<Secret> {
    let before = vault.list_credentials().unwrap().len();
    (before..before + n)
        .map(|i| {
            vault
                .issue(&pat(fx.clock_now(), &format!("token {i}"), 30))
                .unwrap()
                .token
        })
        .collect()
}

fn assert_all_verify(vault: &Vault, tokens: &[Secret]) {
    for token in tokens {
        assert!(
            matches!(
                vault.verify(token.expose(), None, None).unwrap(),
                Verification::Active(_)
            ),
            "a token no longer verifies"
        );
    }
}

fn actions(vault: &Vault) -> Vec<String> {
    vault
        .audit_log(None)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[test]
fn a_changed_passphrase_opens_the_vault_and_the_old_one_is_refused() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let tokens = issue_tokens(&mut vault, &fx, 2);
    let database_before = std::fs::read(&fx.path).unwrap();
    assert!(matches!(
        vault.change_passphrase(
            &"not my passphrase".into(),
            &NEW_PASSPHRASE.into(),
            KdfParams::MINIMUM
        ),
        Err(Error::WrongPassphrase)
    ));
    assert!(matches!(
        vault.change_passphrase(&PASSPHRASE.into(), &"short".into(), KdfParams::MINIMUM),
        Err(Error::WeakPassphrase { .. })
    ));
    vault
        .change_passphrase(
            &PASSPHRASE.into(),
            &NEW_PASSPHRASE.into(),
            KdfParams::MINIMUM,
        )
        .unwrap();
    assert!(actions(&vault).contains(&"operator.passphrase_changed".to_owned()));
    drop(vault);
    assert!(matches!(fx.unlock(PASSPHRASE), Err(Error::WrongPassphrase)));
    let vault = fx.unlock(NEW_PASSPHRASE).unwrap();
    assert_all_verify(&vault, &tokens);
    // Nothing was re-encrypted: the database keeps its salt (its first 16 bytes).
    let database_after = std::fs::read(&fx.path).unwrap();
    assert!(database_before[..16] == database_after[..16]);
}

#[test]
fn an_operator_changes_only_their_own_passphrase() {
    let team = Team::new();
    drop(team.vault);
    let mut admin = team.fx.unlock(ADMIN_PASSPHRASE).unwrap();
    admin
        .change_passphrase(
            &ADMIN_PASSPHRASE.into(),
            &NEW_PASSPHRASE.into(),
            KdfParams::MINIMUM,
        )
        .unwrap();
    drop(admin);
    assert_eq!(
        team.fx
            .unlock(NEW_PASSPHRASE)
            .unwrap()
            .operator()
            .name
            .as_str(),
        "Bob Admin"
    );
    assert_eq!(
        team.fx.unlock(PASSPHRASE).unwrap().operator().name.as_str(),
        "Ada Holder"
    );
    assert!(matches!(
        team.fx.unlock(ADMIN_PASSPHRASE),
        Err(Error::WrongPassphrase)
    ));
}

#[test]
fn a_rekey_gives_a_new_key_every_passphrase_still_opens_and_every_token_verifies() {
    let team = Team::new();
    let fx = &team.fx;
    let mut vault = team.vault;
    let tokens = issue_tokens(&mut vault, fx, 3);
    let database_before = std::fs::read(&fx.path).unwrap();
    vault.rekey(&Keychain).unwrap();
    assert_all_verify(&vault, &tokens);
    assert!(actions(&vault).contains(&"vault.rekeyed".to_owned()));
    // The handle goes on working on the new file.
    let more = issue_tokens(&mut vault, fx, 1);
    drop(vault);
    let database_after = std::fs::read(&fx.path).unwrap();
    assert!(
        database_before[..16] != database_after[..16],
        "the file was not re-encrypted"
    );
    assert!(!fx.path.with_extension("vault.rekey").exists());
    for passphrase in [PASSPHRASE, ADMIN_PASSPHRASE] {
        let vault = fx.unlock(passphrase).unwrap();
        assert_all_verify(&vault, &tokens);
        assert_all_verify(&vault, &more);
        assert!(vault.verify_audit_chain().unwrap().first_broken.is_none());
    }
}

#[test]
fn a_rekey_is_refused_to_an_admin_and_while_another_connection_has_the_vault() {
    let team = Team::new();
    let mut holder = team.vault;
    let mut admin = team.fx.unlock(ADMIN_PASSPHRASE).unwrap();
    assert_eq!(admin.rekey(&Keychain).unwrap_err().code(), "forbidden");
    // The admin's session is still open on the file: the holder must wait for it.
    assert_eq!(holder.rekey(&Keychain).unwrap_err().code(), "vault_in_use");
    // Both handles still work.
    issue_tokens(&mut holder, &team.fx, 1);
    assert!(admin.list_credentials().is_ok());
    drop(admin);
    holder.rekey(&Keychain).unwrap();
}

#[test]
fn a_backup_restores_to_a_new_path_with_every_token_and_passphrase() {
    let team = Team::new();
    let fx = &team.fx;
    let mut vault = team.vault;
    let tokens = issue_tokens(&mut vault, fx, 3);
    let target = fx.path.with_file_name("team.ksbackup");
    let manifest = vault
        .back_up(&target, &BACKUP_PASSPHRASE.into(), KdfParams::MINIMUM)
        .unwrap();
    assert_eq!(manifest.counts.credentials, 3);
    assert_eq!(manifest.counts.users, 3);
    // The backup holds no token in clear.
    let bytes = std::fs::read(&target).unwrap();
    for token in &tokens {
        assert!(!contains(&bytes, token.expose().as_bytes()));
    }
    let scratch = fx.path.parent().unwrap();
    assert!(matches!(
        OpenedBackup::open(&target, &"not the passphrase".into(), scratch),
        Err(Error::WrongBackupPassphrase)
    ));
    let new_path = fx.path.with_file_name("restored.vault");
    for passphrase in [BACKUP_PASSPHRASE, PASSPHRASE] {
        let opened = OpenedBackup::open(&target, &passphrase.into(), scratch).unwrap();
        assert_eq!(opened.manifest(), &manifest);
    }
    let opened = OpenedBackup::open(&target, &BACKUP_PASSPHRASE.into(), scratch).unwrap();
    let restored = Vault::restore_new(&new_path, &opened, Arc::new(fx.clock.clone())).unwrap();
    drop(opened);
    assert_all_verify(&restored, &tokens);
    assert!(actions(&restored).contains(&"vault.restored".to_owned()));
    drop(restored);
    // The copy opens with the operators' passphrases, each as themselves.
    for (passphrase, name) in [(PASSPHRASE, "Ada Holder"), (ADMIN_PASSPHRASE, "Bob Admin")] {
        let copy =
            Vault::unlock(&new_path, &passphrase.into(), Arc::new(fx.clock.clone())).unwrap();
        assert_eq!(copy.operator().name.as_str(), name);
        assert_eq!(copy.list_credentials().unwrap().len(), 3);
    }
    // A path that holds a vault is not overwritten.
    let opened = OpenedBackup::open(&target, &BACKUP_PASSPHRASE.into(), scratch).unwrap();
    assert_eq!(
        Vault::restore_new(&fx.path, &opened, Arc::new(fx.clock.clone()))
            .unwrap_err()
            .code(),
        "vault_exists"
    );
    drop(opened);
    // No scratch folder is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(scratch)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".keysmith-"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn a_restore_replaces_the_vault_and_keeps_the_replaced_one_beside_it() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let kept_tokens = issue_tokens(&mut vault, &fx, 2);
    let target = fx.path.with_file_name("before.ksbackup");
    vault
        .back_up(&target, &BACKUP_PASSPHRASE.into(), KdfParams::MINIMUM)
        .unwrap();
    // Work after the backup: a token the restore takes away, and a passphrase change.
    let later = issue_tokens(&mut vault, &fx, 1);
    vault
        .change_passphrase(
            &PASSPHRASE.into(),
            &NEW_PASSPHRASE.into(),
            KdfParams::MINIMUM,
        )
        .unwrap();
    let scratch = fx.path.parent().unwrap();
    let opened = OpenedBackup::open(&target, &BACKUP_PASSPHRASE.into(), scratch).unwrap();
    let kept = vault.restore(&opened, &Keychain).unwrap();
    assert_all_verify(&vault, &kept_tokens);
    assert!(matches!(
        vault.verify(later[0].expose(), None, None).unwrap(),
        Verification::Inactive(_)
    ));
    drop(vault);
    // The restored vault has the passphrase it had then; the replaced one is kept whole.
    let restored = fx.unlock(PASSPHRASE).unwrap();
    assert_eq!(restored.list_credentials().unwrap().len(), 2);
    let replaced =
        Vault::unlock(&kept, &NEW_PASSPHRASE.into(), Arc::new(fx.clock.clone())).unwrap();
    assert_eq!(replaced.list_credentials().unwrap().len(), 3);
    assert!(kept.to_string_lossy().contains("before-restore-"));
}

#[test]
fn a_damaged_or_foreign_file_is_not_a_backup_and_nothing_is_written() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let target = fx.path.with_file_name("good.ksbackup");
    vault
        .back_up(&target, &BACKUP_PASSPHRASE.into(), KdfParams::MINIMUM)
        .unwrap();
    let scratch = fx.path.parent().unwrap();
    let good = std::fs::read(&target).unwrap();
    let bad = fx.path.with_file_name("bad.ksbackup");
    // Not a tar file; a tar file with the database cut short; one byte of the database flipped.
    let mut flipped = good.clone();
    let at = good.len() - 20_000;
    flipped[at] ^= 0x55;
    for bytes in [
        b"hello, not a backup".to_vec(),
        good[..good.len() / 2].to_vec(),
        flipped,
    ] {
        std::fs::write(&bad, &bytes).unwrap();
        let error = OpenedBackup::open(&bad, &BACKUP_PASSPHRASE.into(), scratch).unwrap_err();
        assert!(
            ["not_a_backup", "vault_damaged"].contains(&error.code().as_str()),
            "{error:?}"
        );
    }
    assert!(matches!(
        vault.back_up(&target, &"short".into(), KdfParams::MINIMUM),
        Err(Error::WeakPassphrase { .. })
    ));
    assert_eq!(std::fs::read(&target).unwrap(), good);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn an_export_holds_every_credential_and_no_secret_byte() {
    use crate::team::credential;
    use keysmith_core::export::{ExportFormat, ExportTable};
    use keysmith_core::TokenKind;

    let mut team = Team::new();
    let now = team.fx.clock_now();
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    let pat_token = team
        .vault
        .issue(&keysmith_core::NewCredential {
            restrictions: keysmith_core::Restrictions {
                usage: Some(
                    keysmith_core::UsageLimit::new(50, Some(keysmith_core::Refill::Monthly))
                        .unwrap(),
                ),
                allowed_ips: keysmith_core::IpAllowlist::parse(&["10.0.0.0/8", "::1"]).unwrap(),
            },
            ..pat(now, "=HYPERLINK(\"http://evil\")", 30)
        })
        .unwrap()
        .token;
    let pair = team
        .vault
        .issue(&credential(
            now,
            TokenKind::ClientCredentials,
            Some(team.member),
            "pair",
            &["payables:read"],
        ))
        .unwrap();
    let hook = team
        .vault
        .add_webhook(&crate::webhooks::spec("https://example.com/hook"))
        .unwrap();
    for secret in [&pat_token, &pair.token, &hook.secret] {
        secrets.push(secret.expose().as_bytes().to_vec());
    }
    for value in [crate::webhooks::HIDDEN_VALUE, crate::webhooks::PASSWORD] {
        secrets.push(value.as_bytes().to_vec());
    }
    // The pepper and every stored digest, as bytes and as hex.
    let raw = team.vault.raw_connection().unwrap();
    let pepper: Vec<u8> = raw
        .query_row("SELECT value FROM meta WHERE key = 'pepper'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let digests: Vec<Vec<u8>> = raw
        .prepare("SELECT digest FROM credentials")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|d| d.unwrap())
        .collect();
    for bytes in std::iter::once(pepper).chain(digests) {
        secrets.push(hex::encode(&bytes).into_bytes());
        secrets.push(bytes);
    }
    let json = team.vault.export_inventory(ExportFormat::Json).unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(parsed["credentials"].as_array().unwrap().len(), 2);
    assert_eq!(parsed["users"].as_array().unwrap().len(), 3);
    let payables = parsed["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Payables");
    assert_eq!(payables.unwrap()["members"], "Bob Admin; Cleo Member");
    assert_eq!(parsed["credentials"][0]["owner"], "Cleo Member");
    let limited = &parsed["credentials"][1];
    assert_eq!(
        (
            &limited["max_uses"],
            &limited["refill"],
            &limited["uses_left"]
        ),
        (
            &serde_json::json!(50),
            &serde_json::json!("monthly"),
            &serde_json::json!(50)
        )
    );
    assert_eq!(limited["allowed_ips"], "10.0.0.0/8; ::1/128");
    let mut exports = vec![json];
    for table in [
        ExportTable::Credentials,
        ExportTable::Users,
        ExportTable::Groups,
    ] {
        exports.push(
            team.vault
                .export_inventory(ExportFormat::Csv(table))
                .unwrap(),
        );
    }
    for export in &exports {
        for secret in &secrets {
            assert!(!contains(export, secret), "a secret in an export");
        }
    }
    let csv = String::from_utf8(exports[1].clone()).unwrap();
    assert!(csv.starts_with("id,name,description,kind,owner,"), "{csv}");
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("max_uses,refill,uses_left,allowed_ips"),
        "{csv}"
    );
    // A name a spreadsheet would run as a formula is defused.
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert_eq!(csv.lines().count(), 3);
    assert!(actions(&team.vault).contains(&"inventory.exported".to_owned()));
    // A member may not export everyone's inventory.
    let mut member = team.unlock_as_member();
    assert_eq!(
        member
            .export_inventory(ExportFormat::Json)
            .unwrap_err()
            .code(),
        "forbidden"
    );
}

#[test]
fn the_scanner_names_the_credential_of_each_token_and_ignores_a_broken_one() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let tokens = issue_tokens(&mut vault, &fx, 2);
    let revoked = vault.list_credentials().unwrap()[0].id;
    vault.revoke(revoked).unwrap();
    let folder = fx.path.with_file_name("repo");
    std::fs::create_dir_all(folder.join("config/nested")).unwrap();
    let mut broken = tokens[0].expose().to_owned();
    broken.replace_range(10..11, if &broken[10..11] == "a" { "b" } else { "a" });
    std::fs::write(
        folder.join("config/nested/.env"),
        format!(
            "# tokens\nA={}\nB={}\nC={broken}\n",
            tokens[0].expose(),
            tokens[1].expose()
        ),
    )
    .unwrap();
    let other_vault = keysmith_core::token::generate(keysmith_core::TokenKind::PersonalAccessToken);
    std::fs::write(
        folder.join("notes.txt"),
        format!("{}\n", other_vault.expose()),
    )
    .unwrap();
    let report = vault
        .scan_for_tokens(std::slice::from_ref(&folder), false)
        .unwrap();
    assert_eq!(report.files, 2);
    let seen: Vec<(String, Option<String>)> = report
        .sightings
        .iter()
        .map(|s| {
            (
                s.location.rsplit('/').next().unwrap().to_owned(),
                s.credential.as_ref().map(|c| c.status.as_str().to_owned()),
            )
        })
        .collect();
    assert_eq!(
        seen,
        // A folder's files first, then its folders; the newest token was revoked.
        [
            ("notes.txt:1".to_owned(), None),
            (".env:2".to_owned(), Some("active".to_owned())),
            (".env:3".to_owned(), Some("revoked".to_owned())),
        ]
    );
    assert_eq!(report.active_credentials().len(), 1);
    // No report carries a token.
    let text = serde_json::to_string(&report).unwrap();
    for token in &tokens {
        assert!(!text.contains(token.expose()));
    }
    // Scanning is no use: "last used" stays empty.
    assert!(vault
        .list_credentials()
        .unwrap()
        .iter()
        .all(|c| c.last_used_at.is_none()));
    assert_eq!(
        vault
            .scan_for_tokens(&[folder.join("missing")], false)
            .unwrap_err()
            .code(),
        "scan_failed"
    );
}

#[test]
fn an_unlock_finishes_a_restore_cut_short_between_its_two_renames() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let tokens = issue_tokens(&mut vault, &fx, 2);
    drop(vault);
    let header = fx.path.with_file_name("team.vault.keys");
    let (old_database, old_header) = (
        std::fs::read(&fx.path).unwrap(),
        std::fs::read(&header).unwrap(),
    );
    let mut vault = fx.unlock(PASSPHRASE).unwrap();
    vault.rekey(&Keychain).unwrap();
    drop(vault);
    // As a restore leaves it when killed after putting the backup's database in place: the
    // database is the backup's, the header still the replaced vault's, the backup's staged.
    std::fs::write(&fx.path, &old_database).unwrap();
    std::fs::write(
        fx.path.with_file_name("team.vault.keys.restore"),
        &old_header,
    )
    .unwrap();
    let vault = fx.unlock(PASSPHRASE).unwrap();
    assert_all_verify(&vault, &tokens);
    assert!(!fx.path.with_file_name("team.vault.keys.restore").exists());
    assert_eq!(std::fs::read(&header).unwrap(), old_header);
    drop(vault);
    // Killed before the swap: the staged header is dropped, the vault stays as it was.
    std::fs::write(fx.path.with_file_name("team.vault.keys.restore"), b"{}").unwrap();
    assert_all_verify(&fx.unlock(PASSPHRASE).unwrap(), &tokens);
    assert!(!fx.path.with_file_name("team.vault.keys.restore").exists());
}

#[test]
fn the_published_gitleaks_rule_matches_every_kind_of_token_and_no_lookalike() {
    use keysmith_core::token::{generate, TokenKind};

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("gitleaks/keysmith.toml")).unwrap())
            .unwrap();
    let rule = &rules["rules"][0];
    let pattern = rule["regex"].as_str().unwrap();
    let regex = regex::Regex::new(pattern).unwrap();
    let group = rule["secretGroup"].as_integer().unwrap() as usize;
    let keywords: Vec<&str> = rule["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    for kind in TokenKind::ALL {
        let token = generate(kind);
        let line = format!("export TOKEN=\"{}\" # deploy", token.expose());
        let found = regex
            .captures(&line)
            .unwrap_or_else(|| panic!("{kind:?} is not matched"));
        assert_eq!(&found[group], token.expose());
        assert!(
            keywords.iter().any(|k| token.expose().starts_with(k)),
            "{kind:?} has no keyword"
        );
    }
    let token = generate(TokenKind::PersonalAccessToken);
    let text = token.expose();
    for lookalike in [
        text.replace("ks_pat_", "ks_xyz_"),
        format!("{text}0"),
        text[..text.len() - 1].to_owned(),
        format!("a{text}"),
    ] {
        assert!(!regex.is_match(&lookalike), "{lookalike} matched");
    }
    // The README publishes the same pattern.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(pattern),
        "the README's pattern differs from gitleaks/keysmith.toml"
    );
}

#[test]
fn scheduled_backups_are_written_when_due_keep_the_newest_and_open_with_the_passphrase() {
    use chrono::Duration;
    use keysmith_core::{BackupEvery, BackupSchedule};

    let fx = Fixture::new();
    let mut vault = fx.create();
    let tokens = issue_tokens(&mut vault, &fx, 1);
    let folder = fx.path.with_file_name("backups");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("keysmith-scheduled-notes.txt"), "not a backup").unwrap();
    // Off by default; a relative or missing folder is refused.
    assert_eq!(vault.run_scheduled_backup().unwrap(), None);
    for folder in ["relative/folder", "/nonexistent/keysmith"] {
        let schedule = BackupSchedule {
            every: BackupEvery::Daily,
            folder: folder.into(),
            keep: 2,
        };
        assert_eq!(
            vault.set_backup_schedule(&schedule).unwrap_err().code(),
            "invalid_backup_folder"
        );
    }
    let schedule = BackupSchedule {
        every: BackupEvery::Daily,
        folder: folder.display().to_string(),
        keep: 2,
    };
    vault.set_backup_schedule(&schedule).unwrap();
    let first = vault
        .run_scheduled_backup()
        .unwrap()
        .expect("the first at once");
    assert_eq!(
        vault.run_scheduled_backup().unwrap(),
        None,
        "not due again within the day"
    );
    fx.clock.advance(Duration::hours(23));
    assert_eq!(vault.run_scheduled_backup().unwrap(), None);
    let mut written = vec![first];
    for _ in 0..2 {
        fx.clock.advance(Duration::days(1));
        written.push(
            vault
                .run_scheduled_backup()
                .unwrap()
                .expect("due a day later"),
        );
    }
    let mut present: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ksbackup"))
        .collect();
    present.sort();
    assert_eq!(present, written[1..], "the two newest are kept");
    assert!(
        folder.join("keysmith-scheduled-notes.txt").exists(),
        "other files are left"
    );
    let last = vault.last_scheduled_backup().unwrap().unwrap();
    assert_eq!(last.file.as_deref(), Some(written[2].to_str().unwrap()));
    // A scheduled backup has no passphrase of its own: the holder's opens it.
    let scratch = fx.path.parent().unwrap();
    let opened = OpenedBackup::open(&written[2], &PASSPHRASE.into(), scratch).unwrap();
    let copy = fx.path.with_file_name("from-schedule.vault");
    let restored = Vault::restore_new(&copy, &opened, Arc::new(fx.clock.clone())).unwrap();
    assert_all_verify(&restored, &tokens);
    // A folder that went away: the run is recorded as failed and tried again next period.
    std::fs::remove_dir_all(&folder).unwrap();
    fx.clock.advance(Duration::days(1));
    assert!(vault.run_scheduled_backup().is_err());
    assert!(vault
        .last_scheduled_backup()
        .unwrap()
        .unwrap()
        .error
        .is_some());
    assert_eq!(vault.run_scheduled_backup().unwrap(), None);
}
