//! `keysmith settings` and `keysmith backup-schedule`: the vault's settings as the window's
//! Settings section shows them, through the same operations (`keysmith_ops`). Settings are
//! printed as `name=value` lines and changed with `--set name=value`, the same names.

use std::process::ExitCode;

use keysmith_core::{BackupEvery, BackupSchedule, Settings};
use keysmith_ops::{self as ops, BackupScheduleView};
use serde_json::{Map, Value};

use crate::args::{BackupEveryArg, BackupScheduleArgs, SettingsArgs};
use crate::door::{Call, Door};
use crate::Failure;

/// `keysmith settings [--set NAME=VALUE …] [--json]`.
pub fn settings(door: &mut Door, args: SettingsArgs) -> Result<ExitCode, Failure> {
    let mut settings = ops::GetSettings {}.on(door)?;
    if !args.set.is_empty() {
        let mut value = serde_json::to_value(settings).unwrap_or_default();
        for assignment in &args.set {
            assign(&mut value, assignment)?;
        }
        let changed: Settings = serde_json::from_value(value)
            .map_err(|error| Failure::Usage("invalid_setting", error.to_string()))?;
        settings = ops::UpdateSettings { settings: changed }.on(door)?;
    }
    let value = serde_json::to_value(settings).unwrap_or_default();
    if args.json {
        say!("{value}");
    } else {
        print_leaves("", &value);
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets `name=value` in `settings`, where `name` is one the settings have (dotted for nested
/// ones). The value is read as JSON (a number, true, false, null) where it is one, else as
/// text.
fn assign(settings: &mut Value, assignment: &str) -> Result<(), Failure> {
    let Some((name, text)) = assignment.split_once('=') else {
        return Err(Failure::Usage(
            "invalid_setting",
            format!("{assignment:?}: give NAME=VALUE"),
        ));
    };
    let unknown = || {
        Failure::Usage(
            "unknown_setting",
            format!("{name:?} is not a setting; `keysmith settings` lists them"),
        )
    };
    let mut slot = settings;
    for part in name.trim().split('.') {
        slot = slot
            .as_object_mut()
            .and_then(|object: &mut Map<String, Value>| object.get_mut(part))
            .ok_or_else(unknown)?;
    }
    if slot.is_object() {
        return Err(unknown());
    }
    let text = text.trim();
    *slot = match serde_json::from_str::<Value>(text) {
        Ok(parsed) if !parsed.is_object() && !parsed.is_array() => parsed,
        _ => Value::String(text.to_owned()),
    };
    Ok(())
}

/// Prints each setting as `name=value`, nested ones with dotted names.
fn print_leaves(prefix: &str, value: &Value) {
    match value {
        Value::Object(object) => {
            for (name, inner) in object {
                let dotted = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                print_leaves(&dotted, inner);
            }
        }
        Value::String(text) => say!("{prefix}={text}"),
        other => say!("{prefix}={other}"),
    }
}

/// `keysmith backup-schedule [--every …] [--folder …] [--keep …] [--json]`.
pub fn backup_schedule(door: &mut Door, args: BackupScheduleArgs) -> Result<ExitCode, Failure> {
    let mut view = ops::BackupScheduleOf {}.on(door)?;
    if args.every.is_some() || args.folder.is_some() || args.keep.is_some() {
        let schedule = BackupSchedule {
            every: args.every.map_or(view.schedule.every, every_of),
            folder: args.folder.unwrap_or(view.schedule.folder),
            keep: args.keep.unwrap_or(view.schedule.keep),
        };
        view = ops::SetBackupSchedule { schedule }.on(door)?;
    }
    print_schedule(&view, args.json);
    Ok(ExitCode::SUCCESS)
}

fn print_schedule(view: &BackupScheduleView, as_json: bool) {
    if as_json {
        say!("{}", serde_json::to_value(view).unwrap_or_default());
        return;
    }
    let schedule = &view.schedule;
    let every = serde_json::to_value(schedule.every).unwrap_or_default();
    say!(
        "every={}\nfolder={}\nkeep={}",
        every.as_str().unwrap_or_default(),
        schedule.folder,
        schedule.keep
    );
    if let Some(run) = &view.last_run {
        say!("last_run={}", serde_json::to_value(run).unwrap_or_default());
    }
}

fn every_of(every: BackupEveryArg) -> BackupEvery {
    match every {
        BackupEveryArg::Off => BackupEvery::Off,
        BackupEveryArg::Daily => BackupEvery::Daily,
        BackupEveryArg::Weekly => BackupEvery::Weekly,
    }
}
