//! `keysmith join`, `invite`, `devices` and `--remote`: the command line as a device of a team
//! vault, and the team server's side of enrolling devices.

use std::process::ExitCode;

use keysmith_client::{profile, Remote};
use keysmith_core::Secret;
use keysmith_ops as ops;

use crate::door::{Call, Door};
use crate::{read_line, Failure};

/// The team server of profile `name`, as its device (`--remote`).
pub fn remote(name: &str, passphrase: Option<&Secret>) -> Result<Remote, Failure> {
    Ok(Remote::open(&profile::folder()?, name, passphrase)?)
}

/// `keysmith join --name NAME`: the invitation from stdin; the profile saved.
pub fn join(name: &str, passphrase: Option<&Secret>) -> Result<ExitCode, Failure> {
    let invitation = read_line()?;
    if invitation.expose().trim().is_empty() {
        return Err(Failure::Usage(
            "invitation_missing",
            "give the invitation on stdin (never as an argument)".into(),
        ));
    }
    let folder = profile::folder()?;
    let joined = keysmith_client::join(&invitation, &folder, name, name, passphrase)?;
    say!(
        "joined {} as {} (device {}); use --remote {}",
        joined.server,
        joined.user_email,
        joined.device_id.0,
        joined.name
    );
    Ok(ExitCode::SUCCESS)
}

/// `keysmith invite EMAIL`: the invitation alone on one line.
pub fn invite(door: &mut Door, email: &str) -> Result<ExitCode, Failure> {
    let made = ops::InviteUser {
        email: email.to_owned(),
    }
    .on(door)?;
    say!("{}", made.invitation.expose());
    eprintln!(
        "invitation for {}, valid until {}; it is shown this once",
        made.user_email,
        made.expires_at.format("%Y-%m-%d %H:%M UTC")
    );
    Ok(ExitCode::SUCCESS)
}

/// `keysmith devices [--remove ID] [--json]`.
pub fn devices(door: &mut Door, remove: Option<i64>, as_json: bool) -> Result<ExitCode, Failure> {
    if let Some(id) = remove {
        ops::RemoveDevice {
            id: keysmith_core::DeviceId(id),
        }
        .on(door)?;
        say!("removed device {id}");
        return Ok(ExitCode::SUCCESS);
    }
    let devices = ops::ListDevices {}.on(door)?;
    if as_json {
        say!("{}", serde_json::to_value(&devices).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    for device in &devices {
        say!(
            "{}\t{}\t{}\tjoined {}\tlast seen {}\t{}",
            device.id.0,
            device.name,
            device.user_email,
            device.joined_at.format("%Y-%m-%d %H:%M"),
            device.last_seen_at.map_or_else(
                || "never".to_owned(),
                |at| at.format("%Y-%m-%d %H:%M").to_string()
            ),
            device.last_address.as_deref().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}
