//! The audit log as operations: a page with its filters, the actors to filter by, the chain
//! check, and the export of what the filters select (its text).

use keysmith_core::audit::{AuditPage, AuditQuery, ChainVerdict};
use keysmith_core::export::AuditFormat;

crate::operations! {
    /// A page of the audit log, newest first, with how many rows the filters select.
    Read audit_page as AuditPageOf {
        /// The filters and page.
        query: AuditQuery,
    } -> AuditPage = |vault, op| vault.audit_page(&op.query);

    /// Everyone the audit log names as an actor, for its filter.
    Read audit_actors as AuditActors {} -> Vec<String> = |vault, _op| vault.audit_actors();

    /// Recomputes the log's hash chain: the rows checked, and the first that does not match.
    Read verify_audit_chain as VerifyAuditChain {} -> ChainVerdict =
        |vault, _op| vault.verify_audit_chain();

    /// The entries the filters select, oldest first with their hashes, as JSON or CSV text.
    Read export_audit as ExportAudit {
        /// The filters.
        query: AuditQuery,
        /// JSON or CSV.
        format: AuditFormat,
    } -> String = |vault, op| crate::settings::text(vault.export_audit(&op.query, op.format)?);
}
