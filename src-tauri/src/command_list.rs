// The app's commands, each named once, here. Not a module: `build.rs` and `lib.rs` both
// `include!` this file, each with its own `commands!` macro — the build step makes the app
// manifest from the names (one `allow-<command>` permission each), the app makes its invoke
// handler and the generated TypeScript from the paths. A test checks the capability file.
commands![
    commands::vault_status,
    commands::create_vault,
    commands::unlock_vault,
    commands::unlock_with_keychain,
    commands::lock_vault,
    commands::list_credentials,
    commands::credential_detail,
    commands::issue_credential,
    commands::revoke_credential,
    commands::set_credential_enabled,
    commands::edit_credential,
    commands::renew_credential,
    commands::delete_credential,
    commands::get_settings,
    commands::update_settings,
    commands::api_status,
    commands::copy_secret,
    commands::touch,
    people::people_overview,
    people::save_user,
    people::delete_user,
    people::save_group,
    people::delete_group,
    people::add_catalogue_entry,
    people::remove_catalogue_entry,
    people::add_operator,
    people::remove_operator,
    people::revoke_all_of_user,
];
