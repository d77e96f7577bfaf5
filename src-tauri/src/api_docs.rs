//! The commands of the API section: the local API's OpenAPI document with its examples, the
//! same document as a Postman collection file, and copying an example. Each is for the account
//! holder and people with API access only (anyone else is refused with `forbidden`, and the
//! window does not show the section).

use keysmith_core::Vault;
use keysmith_server::docs::{self, Example};
use serde::Serialize;
use tauri::AppHandle;
use tauri::State;
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::care::{save_private, SaveAs};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What the API section shows.
#[derive(Debug, Serialize, specta::Type)]
pub struct ApiDocumentation {
    /// The OpenAPI document, as the API serves it at `/v1/openapi.json`.
    pub openapi: String,
    /// Where the API listens (or will, once switched on): `host:port`.
    pub address: String,
    /// Copyable examples for that address.
    pub examples: Vec<Example>,
}

/// The address the API listens on (or will), as the examples name it.
fn api_address(vault: &Vault) -> AppResult<String> {
    Ok(vault.settings()?.api.listen().to_string())
}

/// The API documentation, for the account holder and people with API access.
#[tauri::command]
#[specta::specta]
pub async fn api_documentation(state: State<'_, AppState>) -> AppResult<ApiDocumentation> {
    state
        .with_vault(|vault| {
            vault.require_api_documentation()?;
            let address = api_address(vault)?;
            Ok(ApiDocumentation {
                openapi: keysmith_server::openapi_json(),
                examples: docs::examples(&address),
                address,
            })
        })
        .await
}

/// Asks where to save the API as a Postman collection (v2.1; Bruno and Insomnia import it
/// too) and writes it there; the path, or `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_api_collection(
    app: AppHandle,
    state: State<'_, AppState>,
) -> AppResult<Option<String>> {
    state
        .with_vault(move |vault| {
            vault.require_api_documentation()?;
            let address = api_address(vault)?;
            let file = SaveAs {
                title: "Export the API collection",
                label: "Postman collection",
                extension: "json",
                name: "keysmith-api.postman_collection.json",
            };
            save_private(&app, &file, || {
                Ok(docs::postman_collection(&address).into_bytes())
            })
        })
        .await
}

/// Copies an example to the clipboard as it is: examples hold no secret, so no timed clear.
#[tauri::command]
#[specta::specta]
pub async fn copy_example(
    app: AppHandle,
    state: State<'_, AppState>,
    text: String,
) -> AppResult<()> {
    state
        .with_vault(move |vault| {
            vault.require_api_documentation()?;
            app.clipboard()
                .write_text(text)
                .map_err(|e| AppError::Clipboard(e.to_string()))
        })
        .await
}
