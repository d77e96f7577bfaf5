//! The vault's files on disk are its owner's alone: folders Keysmith creates are 0700, the
//! database, its WAL and shared-memory files and the key header 0600, so another user of the
//! machine cannot copy the key slots and guess passphrases offline. A vault found readable by
//! others is tightened when it is opened, and the log says so. On Windows and macOS the
//! app-data folder is already the user's own; there these functions only create.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// The mode of the vault's files.
#[cfg(unix)]
const PRIVATE_FILE: u32 = 0o600;
/// The mode of the folders Keysmith creates for a vault.
#[cfg(unix)]
const PRIVATE_DIR: u32 = 0o700;

/// Creates `dir` and any missing parents, each new one private to this user.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(PRIVATE_DIR);
    builder.create(dir)
}

/// A scratch folder in `folder` named `<prefix><random>`, private to this user (0700: a
/// backup's database is unpacked or exported into it), removed when dropped.
pub(crate) fn private_scratch(prefix: &str, folder: &Path) -> io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    builder.permissions(fs::Permissions::from_mode(PRIVATE_DIR));
    builder.tempdir_in(folder)
}

/// Options that create a new file private to this user; `create_new`, so an existing file is
/// never taken over.
pub(crate) fn new_private_file() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(PRIVATE_FILE);
    options
}

/// Creates the empty database file at `path`, private to this user, before SQLite opens it:
/// SQLite gives the WAL and shared-memory files the database file's mode.
pub(crate) fn create_database_file(path: &Path) -> io::Result<File> {
    new_private_file().open(path)
}

/// The files of the vault at `database`: the database, its WAL and shared-memory files and
/// the key header.
pub(crate) fn vault_files(database: &Path, header: &Path) -> [PathBuf; 4] {
    [
        database.to_owned(),
        with_suffix(database, "-wal"),
        with_suffix(database, "-shm"),
        header.to_owned(),
    ]
}

/// Makes each existing file in `paths` private to this user; the ones that were not.
pub(crate) fn tighten(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut tightened = Vec::new();
    #[cfg(unix)]
    for path in paths {
        let mode = match fs::metadata(path) {
            Ok(metadata) => metadata.permissions().mode(),
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        if mode & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(PRIVATE_FILE))?;
            tightened.push(path.clone());
        }
    }
    #[cfg(not(unix))]
    let _ = paths;
    Ok(tightened)
}

/// Makes a rename or a new file in `path`'s folder durable: fsyncs the folder (Unix; elsewhere
/// the rename is what the platform makes it).
pub(crate) fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(folder_of(path))?.sync_all()?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The folder `path` is in: its parent, or the current folder for a bare file name.
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// `path` with `suffix` added to its file name (`vault` → `vault.rekey`).
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_scratch_folder_is_private_whatever_the_umask_allows() {
        let folder = tempfile::tempdir().unwrap();
        let scratch = private_scratch(".keysmith-restore-", folder.path()).unwrap();
        let name = scratch.path().file_name().unwrap().to_string_lossy();
        assert!(name.starts_with(".keysmith-restore-"), "{name}");
        let mode = fs::metadata(scratch.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, PRIVATE_DIR, "{mode:o}");
    }
}
