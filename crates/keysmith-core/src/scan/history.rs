//! A repository's history, read by parsing its objects with gitoxide: every commit reachable
//! from any reference (and a detached HEAD), and in each the lines it added. No `git` program
//! runs and the repository is opened with its own configuration file alone (no system, global
//! or environment configuration): a scanned repository is untrusted input, and nothing its
//! configuration names (a signature program, a diff or text-conversion driver, an fsmonitor
//! hook) is ever run.
//!
//! A commit's added lines are those of each file it changed (against its first parent; every
//! file of a root commit) that were not in that file before, in any of its parents: what
//! `git log -p` shows, and for a merge also the lines the merge itself brought (which `git log
//! -p` leaves out), so a token cannot hide in a merge.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use gix::bstr::{BStr, BString, ByteSlice};
use gix::objs::tree::EntryKind;
use gix::ObjectId;

use crate::error::{Error, Result};

/// Where an added line is: the commit (its first 12 hex digits), the file and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AddedAt<'a> {
    /// The commit that added it.
    pub(super) commit: &'a str,
    /// The file's path in the repository.
    pub(super) path: &'a BStr,
    /// The line's number in the commit's version of the file.
    pub(super) line: u32,
}

/// A changed file of a commit: its path, what it was in the first parent (if it was a file
/// there) and what it is now.
struct Changed {
    path: BString,
    before: Option<ObjectId>,
    after: ObjectId,
}

/// Calls `each` with every line that a commit reachable in the repository holding `folder`
/// added and that holds `needle` (files larger than `max_bytes` are skipped and counted in
/// the second number returned). Returns the commits read and the files skipped.
pub(super) fn added_lines(
    folder: &Path,
    needle: &[u8],
    max_bytes: u64,
    mut each: impl FnMut(AddedAt<'_>, &[u8]) -> Result<()>,
) -> Result<(u32, u32)> {
    let failed = |why: String| Error::ScanFailed(format!("{}: {why}", folder.display()));
    let repo = gix::discover_opts(folder, Default::default(), gix::open::Options::isolated())
        .map_err(|e| failed(format!("not in a git repository ({e})")))?;
    let mut tips: Vec<ObjectId> = Vec::new();
    let references = repo.references().map_err(|e| failed(e.to_string()))?;
    for reference in references.all().map_err(|e| failed(e.to_string()))? {
        // A reference that names no commit (a tag of a tree, a broken one) has no history.
        if let Ok(commit) = reference
            .map_err(|e| e.to_string())
            .and_then(|mut reference| reference.peel_to_commit().map_err(|e| e.to_string()))
        {
            tips.push(commit.id);
        }
    }
    if let Ok(head) = repo.head_commit() {
        tips.push(head.id);
    }
    let walk = repo
        .rev_walk(tips)
        .all()
        .map_err(|e| failed(e.to_string()))?;
    let (mut commits, mut skipped) = (0u32, 0u32);
    for info in walk {
        let info = info.map_err(|e| failed(e.to_string()))?;
        commits += 1;
        let commit = repo
            .find_commit(info.id)
            .map_err(|e| failed(e.to_string()))?;
        let tree = commit
            .tree_id()
            .map_err(|e| failed(e.to_string()))?
            .detach();
        let parents: Vec<ObjectId> = commit.parent_ids().map(|id| id.detach()).collect();
        let mut parent_trees = Vec::with_capacity(parents.len());
        for parent in &parents {
            let parent = repo
                .find_commit(*parent)
                .map_err(|e| failed(e.to_string()))?;
            parent_trees.push(
                parent
                    .tree_id()
                    .map_err(|e| failed(e.to_string()))?
                    .detach(),
            );
        }
        let mut changed = Vec::new();
        changed_files(
            &repo,
            parent_trees.first().copied(),
            tree,
            &BString::default(),
            &mut changed,
        )
        .map_err(|e| failed(e.to_string()))?;
        let name = info.id.to_hex_with_len(12).to_string();
        for file in changed {
            let after = repo
                .find_header(file.after)
                .map_err(|e| failed(e.to_string()))?;
            if after.size() > max_bytes {
                skipped += 1;
                continue;
            }
            let now = repo
                .find_blob(file.after)
                .map_err(|e| failed(e.to_string()))?;
            if now.data.find(needle).is_none() {
                continue;
            }
            // The lines the file already had, in any parent: not this commit's.
            let mut before_texts = Vec::new();
            if let Some(before) = file.before {
                before_texts.push(before);
            }
            for other in parent_trees.iter().skip(1) {
                if let Some(id) =
                    blob_at(&repo, *other, file.path.as_ref()).map_err(|e| failed(e.to_string()))?
                {
                    before_texts.push(id);
                }
            }
            let mut blobs = Vec::with_capacity(before_texts.len());
            for id in before_texts {
                if repo
                    .find_header(id)
                    .map_err(|e| failed(e.to_string()))?
                    .size()
                    <= max_bytes
                {
                    blobs.push(
                        repo.find_blob(id)
                            .map_err(|e| failed(e.to_string()))?
                            .detach(),
                    );
                }
            }
            let had: HashSet<&[u8]> = blobs
                .iter()
                .flat_map(|blob| blob.data.lines_with_terminator().map(trim_end))
                .filter(|text| text.find(needle).is_some())
                .collect();
            for (index, text) in now.data.lines_with_terminator().map(trim_end).enumerate() {
                if !had.contains(text) && text.find(needle).is_some() {
                    let at = AddedAt {
                        commit: &name,
                        path: file.path.as_ref(),
                        line: u32::try_from(index + 1).unwrap_or(u32::MAX),
                    };
                    each(at, text)?;
                }
            }
        }
    }
    Ok((commits, skipped))
}

/// A line without its line ending.
fn trim_end(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n")
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .unwrap_or(line)
}

/// The files (blobs, executable or not) under `after` that are new or different from
/// `before`'s, with their paths below `prefix`. Subtrees whose ids match are not read.
fn changed_files(
    repo: &gix::Repository,
    before: Option<ObjectId>,
    after: ObjectId,
    prefix: &BString,
    out: &mut Vec<Changed>,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let old: HashMap<BString, (EntryKind, ObjectId)> = match before {
        Some(id) => repo
            .find_tree(id)?
            .decode()?
            .entries
            .iter()
            .map(|entry| {
                (
                    entry.filename.to_owned(),
                    (entry.mode.kind(), entry.oid.to_owned()),
                )
            })
            .collect(),
        None => HashMap::new(),
    };
    let tree = repo.find_tree(after)?;
    for entry in tree.decode()?.entries {
        let previous = old.get(entry.filename);
        if previous.is_some_and(|&(_, id)| id == entry.oid) {
            continue;
        }
        let mut path = prefix.clone();
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(entry.filename);
        let kind = entry.mode.kind();
        match kind {
            EntryKind::Tree => {
                let before = previous
                    .filter(|(kind, _)| *kind == EntryKind::Tree)
                    .map(|&(_, id)| id);
                changed_files(repo, before, entry.oid.to_owned(), &path, out)?;
            }
            EntryKind::Blob | EntryKind::BlobExecutable => out.push(Changed {
                before: previous
                    .filter(|(kind, _)| matches!(kind, EntryKind::Blob | EntryKind::BlobExecutable))
                    .map(|&(_, id)| id),
                after: entry.oid.to_owned(),
                path,
            }),
            // Symbolic links and submodules hold no file of this repository.
            EntryKind::Link | EntryKind::Commit => {}
        }
    }
    Ok(())
}

/// The blob at `path` in the tree `tree`, if a file is there.
fn blob_at(
    repo: &gix::Repository,
    tree: ObjectId,
    path: &BStr,
) -> std::result::Result<Option<ObjectId>, Box<dyn std::error::Error + Send + Sync>> {
    let tree = repo.find_tree(tree)?;
    let Some(entry) = tree.lookup_entry(path.split(|&b| b == b'/'))? else {
        return Ok(None);
    };
    Ok(entry.mode().is_blob().then(|| entry.object_id()))
}
