//! Where a command's operations are carried out: the vault file here, or a team server as one
//! of its devices (`--remote PROFILE`). Commands built on `keysmith_ops` work through either,
//! with the same spelling and output; what only makes sense beside the file (a passphrase, a
//! re-key, a backup, serving) needs the file.

use keysmith_client::Remote;
use keysmith_core::Vault;
use keysmith_ops::Operation;

use crate::Failure;

/// The vault file, or a team server.
pub(crate) enum Door {
    /// A vault unlocked here.
    Local(Vault),
    /// A team server, reached as a device.
    Remote(Remote),
}

impl Door {
    /// The vault file, for a command that needs it; refused with `--remote`.
    pub(crate) fn vault(&mut self, command: &str) -> Result<&mut Vault, Failure> {
        match self {
            Door::Local(vault) => Ok(vault),
            Door::Remote(_) => Err(not_remote(command)),
        }
    }
}

/// The refusal of `command`, which needs the vault file, with `--remote`.
pub(crate) fn not_remote(command: &str) -> Failure {
    Failure::Usage(
        "not_remote",
        format!("`keysmith {command}` works on a vault file; run it where the vault is"),
    )
}

/// Carrying an operation out through a [`Door`]: `ops::ListCredentials { … }.on(door)`.
pub(crate) trait Call: Operation {
    /// Carries this operation out through `door`.
    fn on(self, door: &mut Door) -> Result<Self::Answer, Failure>;
}

impl<O: Operation> Call for O {
    fn on(self, door: &mut Door) -> Result<O::Answer, Failure> {
        match door {
            Door::Local(vault) => Ok(self.run(vault)?),
            Door::Remote(remote) => Ok(remote.call(&self)?),
        }
    }
}
