//! `certctl journal prune`: the journal rewritten without the chains of runs that
//! ended before a cut-off, their lines optionally moved, gzip-compressed, to an
//! archive.
//!
//! A chain goes whole or not at all (a resume whose first run is gone could not be
//! resumed), and never while any of its items is unknown: that record is what tells
//! the operator which changes to check. The rewrite is a new file renamed over the
//! journal, made under an exclusive lock that every writing run holds shared for its
//! whole run, so no line appended meanwhile can be lost; the archive is durable
//! before the journal loses the lines, so a kill at any point loses no line (at worst
//! they are in both files).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::file::parse_line;
use super::index::{Fault, Identity, Index, run_hash, with_index};
use super::read::State;
use crate::error::{Error, ErrorKind, Result};

/// What a prune removed, and what it kept although it was old.
#[derive(Debug, Default)]
pub struct Pruned {
    /// Chains removed.
    pub chains: u64,
    /// Runs removed (a chain is its first run and the runs that resumed it).
    pub runs: u64,
    /// Journal lines removed (moved to the archive when there is one).
    pub lines: u64,
    /// The first run of each chain that ended before the cut-off but still holds
    /// unknown items, so was kept.
    pub kept_unknown: Vec<String>,
}

/// One chain as the prune sees it.
#[derive(Default)]
struct ChainState {
    /// The first run's ID, as written in its lines.
    root: Option<String>,
    /// The run IDs of the chain.
    runs: HashSet<String>,
    /// The latest time of its lines, `None` if one of them has a time that does not
    /// read as RFC 3339 (such a chain is kept).
    last: Option<SystemTime>,
    readable: bool,
    states: HashMap<String, State>,
    /// How many lines its runs hold.
    lines: u64,
}

/// Removes from the journal at `path` every chain whose last line is older than
/// `before` and that holds no unknown item; with `archive`, their lines are added,
/// gzip-compressed, to that file (a new gzip member after what it holds). A
/// `dry_run` only reads: it says what would go and changes neither file, without
/// waiting for the runs writing to the journal.
pub fn prune(
    path: &Path,
    before: SystemTime,
    archive: Option<&Path>,
    dry_run: bool,
) -> Result<Pruned> {
    if let Some(a) = archive {
        check_archive(path, a)?;
    }
    if dry_run {
        return Ok(with_index(path, |index| decide(index, before))?
            .map(|(pruned, _)| pruned)
            .unwrap_or_default());
    }
    let Some(_lock) = lock(path)? else {
        return Ok(Pruned::default());
    };
    let decided = with_index(path, |index| decide(index, before))?;
    let Some((mut pruned, gone)) = decided else {
        return Ok(Pruned::default());
    };
    if gone.is_empty() {
        return Ok(pruned);
    }
    pruned.lines = rewrite(path, &gone, archive)?;
    // The index of the old file is stale: build the new one now rather than on the
    // next command. It is a cache, so a failure here changes nothing but that.
    let _ = Index::rebuild(path);
    Ok(pruned)
}

/// Takes the journal's exclusive lock, waiting for the runs writing to it to end;
/// `None` when there is no journal.
fn lock(path: &Path) -> Result<Option<File>> {
    let failed = |e: std::io::Error| {
        Error::new(
            ErrorKind::Refused,
            format!(
                "cannot lock the journal {} to prune it: {e}",
                path.display()
            ),
        )
    };
    loop {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        if file.try_lock().is_err() {
            tracing::warn!(
                "waiting for the certctl run(s) writing to the journal {} to finish",
                path.display()
            );
            file.lock().map_err(failed)?;
        }
        if Identity::of(&file).map_err(failed)?.is_at(path) {
            return Ok(Some(file));
        }
    }
}

/// Reads every chain (only its own lines, located by the index) and decides which
/// go: the counts, and the IDs of the runs to remove.
fn decide(
    index: &Index,
    before: SystemTime,
) -> std::result::Result<(Pruned, HashSet<String>), Fault> {
    // Each run's link and spans, from the index.
    let mut links: HashMap<u64, u64> = HashMap::new();
    let mut spans: HashMap<u64, Vec<(u64, u64)>> = HashMap::new();
    index.each(|r| {
        if r.resumes != 0 {
            links.entry(r.run).or_insert(r.resumes);
        }
        spans.entry(r.run).or_default().push((r.start, r.end));
    })?;
    let root_of = |run: u64| {
        let mut cur = run;
        let mut hops = 0;
        while let Some(&parent) = links.get(&cur) {
            if !spans.contains_key(&parent) || hops > links.len() {
                break;
            }
            cur = parent;
            hops += 1;
        }
        cur
    };
    let mut chains: HashMap<u64, Vec<u64>> = HashMap::new();
    for &run in spans.keys() {
        chains.entry(root_of(run)).or_default().push(run);
    }
    // Chains in the order they started, each root with where its first line is.
    let mut roots: Vec<(u64, u64)> = chains
        .keys()
        .map(|root| {
            let first = spans.get(root).and_then(|s| s.first()).map_or(0, |s| s.0);
            (first, *root)
        })
        .collect();
    roots.sort_unstable();
    let mut pruned = Pruned::default();
    let mut gone = HashSet::new();
    for (_, root) in roots {
        let members: HashSet<u64> = chains.get(&root).into_iter().flatten().copied().collect();
        let mut located = Vec::new();
        let mut starts = HashMap::new();
        for run in &members {
            for &(start, end) in spans.get(run).into_iter().flatten() {
                located.push((start, end));
                starts.insert(start, *run);
            }
        }
        let mut chain = ChainState {
            readable: true,
            ..ChainState::default()
        };
        index.read_spans(&super::read::merge(located), &starts, |_, line| {
            let Some(e) = parse_line(line) else {
                return;
            };
            let run = run_hash(&e.run_id);
            if !members.contains(&run) {
                return;
            }
            if run == root && chain.root.is_none() {
                chain.root = Some(e.run_id.clone());
            }
            chain.runs.insert(e.run_id.clone());
            chain.lines += 1;
            match humantime::parse_rfc3339_weak(&e.time) {
                Ok(t) => chain.last = Some(chain.last.map_or(t, |l| l.max(t))),
                Err(_) => chain.readable = false,
            }
            for id in &e.ids {
                let prev = chain.states.get(id).copied();
                if let Some(next) = State::after(prev, &e) {
                    chain.states.insert(id.clone(), next);
                }
            }
        })?;
        let old = chain.readable && chain.last.is_some_and(|t| t < before);
        if !old {
            continue;
        }
        if chain.states.values().any(|s| *s == State::Unknown) {
            pruned.kept_unknown.push(chain.root.unwrap_or_default());
            continue;
        }
        pruned.chains += 1;
        pruned.runs += chain.runs.len() as u64;
        pruned.lines += chain.lines;
        gone.extend(chain.runs);
    }
    Ok((pruned, gone))
}

/// Refuses an `--archive` that cannot be written before anything is read: a
/// directory, a file in a directory that does not exist, or the journal itself or a
/// file kept beside it (its index, the prune's temporary files), which the prune
/// would overwrite with the lines it moves there.
fn check_archive(journal: &Path, archive: &Path) -> Result<()> {
    let index = super::index::index_path(journal);
    let kept_beside = [
        journal.to_path_buf(),
        sibling(journal, ".prune"),
        sibling(&index, ".new"),
        index.clone(),
    ];
    let beside = std::fs::canonicalize(dir_of(archive)).ok()
        == std::fs::canonicalize(dir_of(journal)).ok()
        && kept_beside
            .iter()
            .any(|kept| kept.file_name() == archive.file_name());
    // By identity too, for a link to either of them.
    let same_file = File::open(archive)
        .and_then(|f| Identity::of(&f))
        .is_ok_and(|id| id.is_at(journal) || id.is_at(&index));
    if beside || same_file {
        return Err(Error::usage(format!(
            "--archive {} is the journal or a file certctl keeps beside it (its index or a temporary file)",
            archive.display()
        ))
        .hint("name a file of its own, such as journal-archive.ndjson.gz"));
    }
    if archive.is_dir() {
        return Err(Error::usage(format!(
            "--archive {} is a directory; it takes a file, created or added to",
            archive.display()
        ))
        .hint("name a file in it, such as journal-archive.ndjson.gz"));
    }
    if !is_gzip_or_empty(archive) {
        return Err(Error::usage(format!(
            "--archive {} holds something other than gzip data, which the moved lines would follow unreadably",
            archive.display()
        ))
        .hint("name a new file, or an archive an earlier prune wrote"));
    }
    let dir = dir_of(archive);
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "--archive {}: the directory {} does not exist",
            archive.display(),
            dir.display()
        ))
        .hint("create it first, or name a file in an existing directory"));
    }
    Ok(())
}

/// Whether `path` is missing, empty or starts as gzip data does: an archive the
/// prune may add a gzip member to.
fn is_gzip_or_empty(path: &Path) -> bool {
    let mut head = [0u8; 2];
    match File::open(path) {
        Err(_) => true,
        Ok(mut f) => match std::io::Read::read(&mut f, &mut head) {
            Ok(0) => true,
            Ok(1) => false,
            Ok(_) => head == [0x1f, 0x8b],
            Err(_) => true,
        },
    }
}

/// Writes the journal again without the lines of the runs in `gone` (into `archive`
/// when given), and renames it over the old one; returns how many lines went. A
/// failure leaves both files as they were and removes the temporary ones.
fn rewrite(path: &Path, gone: &HashSet<String>, archive: Option<&Path>) -> Result<u64> {
    let temps = [
        Some(sibling(path, ".prune")),
        archive.map(|a| sibling(a, ".prune")),
    ];
    let result = rewrite_through_temps(path, gone, archive);
    if result.is_err() {
        for temp in temps.iter().flatten() {
            let _ = std::fs::remove_file(temp);
        }
    }
    result
}

/// [`rewrite`] through a temporary sibling of each file, renamed over it once whole.
fn rewrite_through_temps(
    path: &Path,
    gone: &HashSet<String>,
    archive: Option<&Path>,
) -> Result<u64> {
    let io = |what: &Path, e: std::io::Error| {
        Error::new(
            ErrorKind::Refused,
            format!(
                "cannot prune the journal {} ({}: {e}); it is unchanged",
                path.display(),
                what.display()
            ),
        )
    };
    let kept_path = sibling(path, ".prune");
    let mut kept = std::io::BufWriter::new(create(&kept_path).map_err(|e| io(&kept_path, e))?);
    let mut moved = match archive {
        Some(a) => {
            let tmp = sibling(a, ".prune");
            let mut file = create(&tmp).map_err(|e| io(&tmp, e))?;
            // A new gzip member after the archive's: gzip readers read them all.
            match File::open(a) {
                Ok(mut old) => {
                    std::io::copy(&mut old, &mut file).map_err(|e| io(a, e))?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(a, e)),
            }
            Some((
                tmp,
                GzEncoder::new(std::io::BufWriter::new(file), Compression::default()),
            ))
        }
        None => None,
    };
    let source = File::open(path).map_err(|e| io(path, e))?;
    let mut reader = BufReader::with_capacity(256 * 1024, source);
    let mut line = Vec::new();
    let mut lines = 0u64;
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(|e| io(path, e))?
            == 0
        {
            break;
        }
        let goes = parse_line(&line).is_some_and(|e| gone.contains(&e.run_id));
        if !goes {
            kept.write_all(&line).map_err(|e| io(&kept_path, e))?;
            continue;
        }
        lines += 1;
        if let Some((tmp, gz)) = moved.as_mut() {
            gz.write_all(&line).map_err(|e| io(tmp, e))?;
        }
    }
    // The archive first, durable and in place, then the journal without the lines.
    if let (Some((tmp, gz)), Some(a)) = (moved, archive) {
        let file = gz
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .map_err(|e| io(&tmp, e))?;
        file.sync_all().map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, a).map_err(|e| io(a, e))?;
        sync_dir(a);
    }
    let file = kept
        .into_inner()
        .map_err(|e| io(&kept_path, e.into_error()))?;
    file.sync_all().map_err(|e| io(&kept_path, e))?;
    std::fs::rename(&kept_path, path).map_err(|e| io(path, e))?;
    sync_dir(path);
    Ok(lines)
}

/// `path` with `suffix` added to its file name, in the same directory (so a rename
/// replaces it atomically).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Creates (truncating) a file readable by its owner only, as the journal is.
fn create(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes a rename in `path`'s directory durable, where the platform can.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir_of(path)) {
        let _ = d.sync_all();
    }
}

/// The directory `path` is in (`.` for a bare file name).
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}
