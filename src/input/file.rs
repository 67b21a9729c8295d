//! The first pass over an ID file: every ID read, checked and fingerprinted (on a
//! second thread) and looked up before anything is sent, then the stream of the
//! second pass that skips the duplicates by position.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::dedup::*;
use super::lines::*;
use super::*;
use crate::error::{Error, ErrorKind, Result};

pub(super) fn from_file(
    args: Vec<String>,
    path: PathBuf,
    check: Check,
    resumed: Resumed,
) -> Result<Ids> {
    // Each pass opens the file and notes its size and modification time, so the
    // second pass can tell that it reads what the first one checked.
    let open = |path: &Path| -> Result<(Lines, Stamp)> {
        let cannot = |e: std::io::Error| {
            Error::usage(format!("cannot read the ID file {}: {e}", path.display()))
        };
        let file = File::open(path).map_err(cannot)?;
        let meta = file.metadata().map_err(cannot)?;
        let lines = Lines::new(Box::new(file), path.display().to_string());
        Ok((lines, (meta.len(), meta.modified().ok())))
    };
    // First pass: check every ID, count the distinct ones and note where the
    // duplicates are, before anything is sent.
    let mut dedup = Dedup::new();
    let mut duplicates: Vec<usize> = Vec::new();
    let mut distinct = 0usize;
    let mut count = 0usize;
    let mut preview = Vec::new();
    let mut first_pass = |n: usize, id: &str, fingerprint: u128, dedup: &mut Dedup| {
        if !dedup.first_of(id, fingerprint) {
            duplicates.push(n);
            return;
        }
        distinct += 1;
        if resumed.settled(id) {
            return;
        }
        count += 1;
        if preview.len() < PREVIEW {
            preview.push(id.to_string());
        }
    };
    for (n, id) in args.iter().enumerate() {
        check(id).map_err(|m| Error::usage(format!("{}: {m}", path.display())))?;
        let fingerprint = dedup.hash.of(id);
        first_pass(n, id, fingerprint, &mut dedup);
    }
    let (lines, checked) = open(&path)?;
    // The file's lines are read, checked and fingerprinted on a second thread while
    // this one looks each fingerprint up: the lookups miss the cache, the rest is CPU
    // work, and a run sends nothing until both are done for the whole file.
    let hash = dedup.hash.clone();
    let named = path.as_path();
    std::thread::scope(|scope| -> Result<()> {
        let (to, from) = std::sync::mpsc::sync_channel(2);
        std::thread::Builder::new()
            .name("certctl-check".into())
            .spawn_scoped(scope, move || {
                check_and_hash(lines, check, named, &hash, &to)
            })
            .map_err(|e| {
                Error::new(
                    ErrorKind::Refused,
                    format!("cannot start a thread to read the IDs: {e}"),
                )
            })?;
        let mut n = args.len();
        // Once the first IDs tell how long a line is, the file's size tells about how
        // many there are: the set is sized for them at once.
        let mut sampled = 0usize;
        for chunk in from {
            let mut start = 0;
            for (&end, &fingerprint) in chunk.ends.iter().zip(&chunk.fingerprints) {
                let id = chunk.text.get(start..end).unwrap_or_default();
                start = end;
                let read = n - args.len();
                if read < SAMPLE {
                    sampled += id.len() + 1;
                } else if read == SAMPLE {
                    // At most one ID per 8 bytes, so a file whose first lines are much
                    // shorter than the rest cannot make the set take more than 2.5
                    // times its size.
                    let size = usize::try_from(checked.0).unwrap_or(usize::MAX);
                    let expected = (size / sampled * SAMPLE).min(size / 8);
                    dedup.reserve(args.len() + expected);
                }
                first_pass(n, id, fingerprint, &mut dedup);
                n += 1;
            }
            match chunk.end {
                Some(Ok(())) => return Ok(()),
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
        Err(Error::new(
            ErrorKind::Refused,
            "the thread reading the IDs stopped unexpectedly (a bug: please report it); none of them were sent",
        ))
    })?;
    drop(dedup);
    if distinct == 0 {
        return Err(no_ids());
    }
    // Second pass, opened only when the first ID is needed (after any confirmation
    // prompt): stream the IDs, skipping the duplicates by position, so no ID is
    // hashed twice. Positions hold only for the file the first pass read, so a file
    // changed in between stops the run before any of its IDs is sent.
    let mut second: Option<Lines> = None;
    let mut failed = false;
    let file_ids = std::iter::from_fn(move || {
        if failed {
            return None;
        }
        if second.is_none() {
            match open(&path) {
                Ok((lines, stamp)) if stamp == checked => second = Some(lines),
                Ok(_) => {
                    failed = true;
                    return Some(Err(Error::usage(format!(
                        "the ID file {} changed after it was checked; none of its IDs were sent",
                        path.display()
                    ))
                    .hint("run the command again once the file is final")));
                }
                Err(e) => {
                    failed = true;
                    return Some(Err(e));
                }
            }
        }
        second.as_mut()?.next()
    });
    let mut duplicates = duplicates.into_iter().peekable();
    let iter = args
        .into_iter()
        .map(Ok)
        .chain(file_ids)
        .enumerate()
        .filter(move |(n, r)| r.is_err() || duplicates.next_if_eq(n).is_none())
        .map(move |(_, r)| r.map(|id| resumed.list(id)));
    Ok(Ids {
        iter: Box::new(iter),
        count: Some(count),
        preview,
    })
}

/// IDs of a file, checked and fingerprinted, in input order.
#[derive(Default)]
pub(super) struct Hashed {
    /// The IDs one after the other; the i-th ends at `ends[i]`.
    text: String,
    ends: Vec<usize>,
    fingerprints: Vec<u128>,
    /// Set on the last chunk: the file ended (`Ok`) or a line stopped the reading.
    end: Option<Result<()>>,
}

/// How many IDs a [`Hashed`] chunk carries: enough that the threads wake each other
/// seldom, few enough that the two chunks in the channel stay small.
pub(super) const HASHED: usize = 1024;

/// Reads, checks and fingerprints the IDs of `lines`, handing them over in chunks;
/// stops at the first bad or unreadable line, or when nobody listens any more.
pub(super) fn check_and_hash(
    mut lines: Lines,
    check: Check,
    path: &Path,
    hash: &Fingerprints,
    to: &std::sync::mpsc::SyncSender<Hashed>,
) {
    let mut chunk = Hashed::default();
    let end = loop {
        let id = match lines.next_str() {
            None => break Ok(()),
            Some(Err(e)) => break Err(e),
            Some(Ok(id)) => id,
        };
        if let Err(m) = check(id) {
            break Err(Error::usage(format!("{}: {m}", path.display())));
        }
        chunk.text.push_str(id);
        chunk.ends.push(chunk.text.len());
        chunk.fingerprints.push(hash.of(id));
        if chunk.ends.len() == HASHED && to.send(std::mem::take(&mut chunk)).is_err() {
            return;
        }
    };
    chunk.end = Some(end);
    let _ = to.send(chunk);
}

/// What identifies one version of a file: its size and modification time.
pub(super) type Stamp = (u64, Option<std::time::SystemTime>);

/// How many IDs of a file are read before the set is sized for the whole file.
pub(super) const SAMPLE: usize = 1024;
