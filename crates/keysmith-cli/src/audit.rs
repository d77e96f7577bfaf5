//! `keysmith audit`: the audit log, oldest first, as lines, JSON or CSV, filtered as the
//! window filters it; or the check of its hash chain.

use std::io::Write;
use std::process::ExitCode;

use chrono::{Duration, NaiveTime};
use keysmith_core::audit::AuditQuery;
use keysmith_core::export::AuditFormat;
use keysmith_core::{CredentialId, Vault};

use crate::args::AuditArgs;
use crate::{date, Failure};

/// Prints what `args` ask for: exit 1 only when `--verify` finds the chain broken.
pub(crate) fn run(vault: &Vault, args: &AuditArgs) -> Result<ExitCode, Failure> {
    if args.verify {
        return verify(vault);
    }
    let start_of = |text: &Option<String>| {
        text.as_deref()
            .map(|text| date(text).map(|day| day.and_time(NaiveTime::MIN).and_utc()))
            .transpose()
    };
    let query = AuditQuery {
        actor: args.actor.clone(),
        action: args.action.clone(),
        credential: args.credential.map(CredentialId),
        search: args.search.clone(),
        since: start_of(&args.since)?,
        // "Up to and including" the day: before the start of the next.
        until: start_of(&args.until)?.map(|day| day + Duration::days(1)),
        ..AuditQuery::default()
    };
    let format = match (args.json, args.csv) {
        (true, _) => Some(AuditFormat::Json),
        (_, true) => Some(AuditFormat::Csv),
        _ => None,
    };
    let mut out = std::io::stdout().lock();
    match format {
        Some(format) => {
            out.write_all(&vault.export_audit(&query, format)?)?;
            if format == AuditFormat::Json {
                writeln!(out)?;
            }
        }
        None => {
            for entry in vault.exported_audit(&query)? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    entry.seq,
                    entry.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    entry.actor,
                    entry.action,
                    entry.subject.as_deref().unwrap_or(""),
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--verify`: "intact (N entries)", or the first entry that no longer matches and exit 1.
fn verify(vault: &Vault) -> Result<ExitCode, Failure> {
    let verdict = vault.verify_audit_chain()?;
    match verdict.first_broken {
        None => {
            say!("intact ({} entries)", verdict.checked);
            Ok(ExitCode::SUCCESS)
        }
        Some(entry) => {
            say!(
                "broken at entry {}: {} by {} at {}; it no longer matches its hash, and the \
                 entries from there on cannot be trusted",
                entry.seq,
                entry.action,
                entry.actor,
                entry.at.format("%Y-%m-%d %H:%M:%S UTC"),
            );
            Ok(ExitCode::from(1))
        }
    }
}
