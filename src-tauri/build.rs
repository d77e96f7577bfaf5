//! Tauri's build step for the app: the config at the repository root and the app manifest
//! that gives each of our commands its `allow-<command>` permission.

fn main() {
    // tauri.conf.json lives at the repository root; the app manifest lists our commands so
    // capabilities/default.json can allow exactly those and nothing else.
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(&[
            "vault_status",
            "create_vault",
            "unlock_vault",
            "unlock_with_keychain",
            "lock_vault",
            "list_credentials",
            "credential_detail",
            "issue_credential",
            "revoke_credential",
            "set_credential_enabled",
            "edit_credential",
            "renew_credential",
            "delete_credential",
            "get_settings",
            "update_settings",
            "api_status",
            "copy_secret",
            "touch",
            "people_overview",
            "save_user",
            "delete_user",
            "save_group",
            "delete_group",
            "add_catalogue_entry",
            "remove_catalogue_entry",
            "add_operator",
            "remove_operator",
            "revoke_all_of_user",
        ]));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}
