//! Settings → Vault in the real window: the admin changes their passphrase, backs the vault
//! up to a file chosen in the save dialog, issues a token, and restores the backup chosen in
//! the open dialog; from outside, the restored vault opens with the new passphrase, the token
//! of before the backup verifies and the one after it does not, and the replaced vault is kept
//! beside it. The dialogs are GTK's own, driven as a person would: xdotool types the path into
//! the dialog's window and presses Return.

use std::path::Path;
use std::time::Duration;

use keysmith_core::{clock, Secret, Vault, Verification};
use keysmith_e2e::flows::{
    answer_file_dialog, issue_token, unlock, vault_made_outside, Dialog, PASSPHRASE,
};
use keysmith_e2e::{eventually, Session};

const NEW_PASSPHRASE: &str = "a window test passphrase, renewed";
const BACKUP_PASSPHRASE: &str = "the window test backup passphrase";

fn verify(vault: &Path, passphrase: &str, token: &str) -> bool {
    let opened = Vault::unlock_read_only(vault, &Secret::from(passphrase), clock::system())
        .expect("the vault opens from outside");
    matches!(
        opened.verify(token, None, None).unwrap(),
        Verification::Active(_)
    )
}

#[tokio::test]
async fn change_the_passphrase_back_up_and_restore_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("care.vault");
    drop(vault_made_outside(&vault, clock::system()));
    let app = Session::start(&vault, &[]).await;
    unlock(&app).await;
    let before = issue_token(&app, "before the backup").await;

    app.click("[data-testid=nav-settings]").await;
    app.type_into("[data-testid=current-passphrase]", PASSPHRASE)
        .await;
    app.type_into("[data-testid=new-passphrase]", NEW_PASSPHRASE)
        .await;
    app.type_into("[data-testid=new-passphrase-again]", NEW_PASSPHRASE)
        .await;
    app.click("[data-testid=change-passphrase-button]").await;
    app.find("[data-testid=passphrase-changed]").await;

    let backup = dir.path().join("care-backup.ksbackup");
    app.type_into("[data-testid=backup-passphrase]", BACKUP_PASSPHRASE)
        .await;
    app.type_into("[data-testid=backup-passphrase-again]", BACKUP_PASSPHRASE)
        .await;
    app.click("[data-testid=back-up]").await;
    answer_file_dialog("Back up the vault", Dialog::Save, &backup).await;
    let said = app
        .wait_text("[data-testid=backed-up]", "and checked")
        .await;
    assert!(
        said.contains("care-backup.ksbackup") && said.contains("(1 credential, 1 person)"),
        "{said}"
    );
    assert!(backup.exists());
    app.screenshot("care-01-backed-up").await;

    app.click("[data-testid=nav-credentials]").await;
    let after = issue_token(&app, "after the backup").await;
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=choose-backup]").await;
    answer_file_dialog("Restore from a backup", Dialog::Open, &backup).await;
    app.type_into("[data-testid=restore-passphrase]", BACKUP_PASSPHRASE)
        .await;
    app.screenshot("care-02-restore").await;
    app.click("[data-testid=restore-button]").await;
    let said = app.wait_text("[data-testid=restored]", "kept as").await;
    assert!(said.contains("care.vault.before-restore-"), "{said}");
    app.screenshot("care-03-restored").await;

    // A daily schedule into a folder: the first backup comes while the vault is unlocked.
    let folder = dir.path().join("scheduled");
    std::fs::create_dir_all(&folder).unwrap();
    app.click("[data-testid=backup-schedule] input[value=daily]")
        .await;
    app.type_into("[data-testid=backup-folder]", &folder.display().to_string())
        .await;
    app.click("[data-testid=backup-schedule] button[type=submit]")
        .await;
    eventually(Duration::from_secs(30), async || {
        let written = std::fs::read_dir(&folder).unwrap().count();
        if written == 1 {
            Ok(())
        } else {
            Err(format!("{written} scheduled backups"))
        }
    })
    .await;
    app.wait_text("[data-testid=backup-last-run]", "Last backup")
        .await;
    // The section in dark, at the smallest window.
    app.click("[data-testid=theme-dark]").await;
    app.client.set_window_size(760, 520).await.unwrap();
    app.find("[data-testid=backup-last-run]").await;
    app.click("[data-testid=backup-schedule] input[value=daily]")
        .await;
    app.screenshot("care-04-dark-small").await;
    app.end().await;

    // From outside: the restored vault has the passphrase of the backup's time.
    assert!(verify(&vault, NEW_PASSPHRASE, &before));
    assert!(
        !verify(&vault, NEW_PASSPHRASE, &after),
        "a token issued after the backup"
    );
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("care.vault.before-restore-") && !name.ends_with(".keys")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(
        verify(&kept[0], NEW_PASSPHRASE, &after),
        "the replaced vault is kept whole"
    );
}
