//! `keysmith passwd`, `rekey`, `backup`, `restore`, `export` and `scan`: looking after the
//! vault. Passphrases come from the environment or stdin, never from arguments.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use keysmith_core::export::{ExportFormat, ExportTable};
use keysmith_core::scan::ScanReport;
use keysmith_core::{clock, KdfParams, Keychain, OpenedBackup, Secret, Vault};

use crate::args::{ExportArgs, ExportFormatArg, ExportTableArg, ScanArgs};
use crate::{read_line, Failure};

/// `keysmith passwd`: the current passphrase is the one the vault was unlocked with.
pub fn passwd(vault: &mut Vault, current: Option<&Secret>) -> Result<ExitCode, Failure> {
    let current = current.ok_or_else(|| {
        Failure::Usage(
            "no_passphrase",
            "passwd needs your current passphrase: set KEYSMITH_PASSPHRASE or pass \
             --passphrase-stdin"
                .into(),
        )
    })?;
    let new = secret_from("KEYSMITH_NEW_PASSPHRASE")?;
    vault.change_passphrase(current, &new, KdfParams::DEFAULT)?;
    say!("passphrase changed for {}", vault.operator().email);
    Ok(ExitCode::SUCCESS)
}

/// `keysmith rekey`.
pub fn rekey(vault: &mut Vault) -> Result<ExitCode, Failure> {
    vault.rekey(&Keychain)?;
    say!(
        "re-keyed {}: every passphrase still opens it and every token still verifies",
        vault.path().display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `keysmith backup --to FILE`.
pub fn backup(vault: &mut Vault, to: &Path) -> Result<ExitCode, Failure> {
    let passphrase = secret_from("KEYSMITH_BACKUP_PASSPHRASE")?;
    let manifest = vault.back_up(to, &passphrase, KdfParams::DEFAULT)?;
    say!(
        "backed up to {} ({} credentials, {} people, {} groups) and checked",
        to.display(),
        manifest.counts.credentials,
        manifest.counts.users,
        manifest.counts.groups
    );
    Ok(ExitCode::SUCCESS)
}

/// `keysmith restore --from FILE`: over the vault at `path` (unlocked by `unlock`, read-only
/// when given `true`) or, where there is none, as a new vault there.
pub fn restore(
    path: &Path,
    from: &Path,
    unlock: impl Fn(bool) -> Result<Vault, Failure>,
) -> Result<ExitCode, Failure> {
    let exists = Vault::exists(path);
    // The vault's passphrase and the operator's role first (a wrong passphrase is found before
    // the backup's is asked), then the backup, all without writing: a refused restore leaves
    // the vault as it was, not even an audited unlock in it.
    if exists {
        unlock(true)?.require_restore()?;
    }
    let passphrase = secret_from("KEYSMITH_BACKUP_PASSPHRASE")?;
    let backup = OpenedBackup::open_to_restore(from, &passphrase, path)?;
    let made = backup.manifest().created_at.format("%Y-%m-%d %H:%M UTC");
    match exists {
        true => {
            let kept = unlock(false)?.restore(&backup, &Keychain)?;
            say!(
                "restored {} from the backup of {made}; the replaced vault is kept as {}",
                path.display(),
                kept.display()
            );
        }
        false => {
            Vault::restore_new(path, &backup, clock::system())?;
            say!(
                "restored the backup of {made} as a new vault at {}",
                path.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith export`: to a file (private to you) or stdout, with a warning on stderr.
pub fn export(vault: &mut Vault, args: &ExportArgs) -> Result<ExitCode, Failure> {
    let format = match args.format {
        ExportFormatArg::Json => ExportFormat::Json,
        ExportFormatArg::Csv => ExportFormat::Csv(match args.table {
            ExportTableArg::Credentials => ExportTable::Credentials,
            ExportTableArg::Users => ExportTable::Users,
            ExportTableArg::Groups => ExportTable::Groups,
        }),
    };
    let bytes = vault.export_inventory(format)?;
    eprintln!(
        "warning: the export is not encrypted; it holds no secret, but names every credential \
         and person"
    );
    match &args.to {
        Some(to) => {
            keysmith_core::export::write_private(to, &bytes)?;
            eprintln!("exported to {}", to.display());
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `keysmith scan`: exit 1 when an active token was found.
pub fn scan(vault: &mut Vault, args: &ScanArgs) -> Result<ExitCode, Failure> {
    let report = vault.scan_for_tokens(&args.paths, args.git)?;
    let active = report.active_credentials();
    if args.json {
        say!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        print_report(&report);
    }
    if args.revoke && !active.is_empty() {
        let confirmed =
            args.yes || confirm(&format!("Revoke {} active credential(s)?", active.len()))?;
        if confirmed {
            for id in &active {
                let revoked = vault.revoke(*id)?;
                eprintln!("revoked {} ({})", revoked.id.0, revoked.name);
            }
        } else {
            eprintln!("nothing revoked");
        }
    }
    Ok(if active.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(report: &ScanReport) {
    for sighting in &report.sightings {
        let what = match &sighting.credential {
            Some(found) => {
                let advice = if found.status.verifies() {
                    format!(
                        "ACTIVE: revoke it (keysmith revoke {}) or renew it, then remove it here",
                        found.id.0
                    )
                } else {
                    "does not verify now; revoke it if it could again, and remove it here".into()
                };
                format!(
                    "{} ({}), {}: {advice}",
                    found.name,
                    found.owner.as_deref().unwrap_or("organization"),
                    found.status.as_str()
                )
            }
            None => "not in this vault's credentials (another vault's, or an OAuth token)".into(),
        };
        say!("{}\t{}\t{what}", sighting.location, sighting.hint);
    }
    let more = if report.more_sightings > 0 {
        format!(", {} more sightings not listed", report.more_sightings)
    } else {
        String::new()
    };
    eprintln!(
        "scanned {} files{}{}: {} sightings, {} active credential(s){more}",
        report.files,
        if report.commits > 0 {
            format!(" and {} commits", report.commits)
        } else {
            String::new()
        },
        if report.skipped_large > 0 {
            format!(" ({} large files skipped)", report.skipped_large)
        } else {
            String::new()
        },
        report.sightings.len(),
        report.active_credentials().len(),
    );
}

/// Asks on stderr and reads a yes from the next line of stdin.
fn confirm(question: &str) -> Result<bool, Failure> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let answer = read_line()?;
    Ok(matches!(answer.expose().trim(), "y" | "Y" | "yes"))
}

/// A passphrase from `variable`, else the next line of stdin.
fn secret_from(variable: &str) -> Result<Secret, Failure> {
    match std::env::var(variable) {
        Ok(value) => Ok(Secret::new(value)),
        Err(_) => read_line(),
    }
}
