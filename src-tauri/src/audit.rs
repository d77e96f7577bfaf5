//! The commands of the Audit log screen: a page of the hash-chained log with its filters, the
//! actors to filter by, the chain check and the export of what the filters select. Reading
//! only; the log is written by the core inside each change it records. Each is its admin
//! operation in `keysmith_ops`; the export's save dialog is this desktop's.

use keysmith_core::audit::{AuditPage, AuditQuery, ChainVerdict};
use keysmith_core::export::AuditFormat;
use keysmith_ops as ops;
use tauri::{AppHandle, State};

use crate::care::{save_export, CSV, JSON};
use crate::error::AppResult;
use crate::state::AppState;

/// A page of the audit log, newest first, with how many rows the filters select.
#[tauri::command]
#[specta::specta]
pub async fn audit_page(state: State<'_, AppState>, query: AuditQuery) -> AppResult<AuditPage> {
    state.call(ops::AuditPageOf { query }).await
}

/// Everyone the audit log names as an actor, for its filter.
#[tauri::command]
#[specta::specta]
pub async fn audit_actors(state: State<'_, AppState>) -> AppResult<Vec<String>> {
    state.call(ops::AuditActors {}).await
}

/// Recomputes the log's hash chain: the rows checked, and the first that does not match.
#[tauri::command]
#[specta::specta]
pub async fn verify_audit_chain(state: State<'_, AppState>) -> AppResult<ChainVerdict> {
    state.call(ops::VerifyAuditChain {}).await
}

/// Saves the entries the filters select, oldest first with their hashes, as JSON or CSV where
/// the user picks; the path, or `None` when the dialog was cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_audit(
    app: AppHandle,
    state: State<'_, AppState>,
    query: AuditQuery,
    format: AuditFormat,
) -> AppResult<Option<String>> {
    let kind = match format {
        AuditFormat::Json => JSON,
        AuditFormat::Csv => CSV,
    };
    let text = state.call(ops::ExportAudit { query, format });
    save_export(app, "Export the audit log", "audit", kind, text).await
}
