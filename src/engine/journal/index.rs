//! The journal's index: where each run's lines lie in the journal, so `journal list`,
//! `journal show`, `--resume` and `reconcile` read the runs they need and not the
//! whole history.
//!
//! The index is a cache beside the journal (`journal.ndjson.index`), never a second
//! source of truth: it only says where to look. Every answer is computed from the
//! journal's own lines, read at the places the index names, so any line the journal
//! holds, of any shape [`super::file::Entry`] reads, is answered for exactly as a
//! full read would. It is made of 64-byte records: a header, then for each stretch of
//! the journal indexed at once (a *segment*) one record per run with lines in it (the
//! run's hash, the hash of the run it resumes, the byte span from its first to the end
//! of its last line there, and its first line's time), closed by a *commit* record:
//! how far the journal is covered, which file it is (device, inode, and its mtime when
//! the whole file was covered) and a hash of its last covered line.
//!
//! Opening it checks the commit against the journal; a journal replaced, truncated,
//! edited in place or shorter than the index says (by hand, or `journal prune`), a
//! missing or damaged index, or one in another format, makes it rebuilt from a full
//! read (the only time the whole journal is read, about a second per 300 MB here).
//! Lines appended since the last commit (a run killed before it could note its lines,
//! a concurrent run, an older version of certctl) are indexed on the way. Each span
//! read is checked again (it starts a line of the run it should, it ends a line), and
//! a mismatch rebuilds the index and answers from that.
//!
//! Updates happen under an exclusive lock of the index file and only append: records,
//! then the commit that makes them count, so a kill at any point leaves at worst
//! records past the last commit, which readers ignore and the next update drops. A
//! rebuild writes a new file and renames it over the old one. When the lock is taken
//! (another certctl is updating) or the directory is not writable, the answer is
//! computed from an index held in memory instead.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::file::parse_line;
use crate::error::{Error, ErrorKind, Result};

/// The size of every record.
const RECORD: usize = 64;
/// The header record's first bytes; a new format changes them, which rebuilds.
const MAGIC: &[u8; 16] = b"certctl-jidx-v1\n";
const KIND_HEADER: u32 = 1;
const KIND_RUN: u32 = 2;
const KIND_COMMIT: u32 = 3;
/// A rebuild commits every this many bytes of journal, so its memory stays bounded
/// and a rebuild cut short resumes where it stopped.
const SEGMENT: u64 = 64 << 20;
/// How many bytes of the last covered line the commit's hash covers, at each end.
const TAIL: u64 = 64;

/// Why an answer could not come from the index.
#[derive(Debug)]
pub(super) enum Fault {
    /// The index does not match the journal: rebuild it and ask again.
    Stale,
    /// The journal could not be read.
    Failed(Error),
}

impl From<Error> for Fault {
    fn from(e: Error) -> Fault {
        Fault::Failed(e)
    }
}

/// The lines of one run within one segment of the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Run {
    /// [`run_hash`] of the run's ID.
    pub run: u64,
    /// [`run_hash`] of the run it resumes (`resumes`, or `resume_of` in older
    /// journals), 0 when none of its lines in the segment names one.
    pub resumes: u64,
    /// Where its first line in the segment starts.
    pub start: u64,
    /// Where its last line in the segment ends (after the newline).
    pub end: u64,
    /// The first 24 bytes of its first line's time, zero-padded: ordering by them
    /// agrees with ordering by the whole time (equal prefixes are ties to resolve
    /// from the lines).
    pub time: [u8; 24],
}

/// The state of the journal a commit covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Commit {
    /// The journal's bytes indexed: the end of its last complete line.
    covered: u64,
    dev: u64,
    ino: u64,
    /// The journal's mtime when `covered` was its length, else 0.
    mtime: u64,
    /// Where the last covered line starts.
    last_start: u64,
    /// [`tail_hash`] of the last covered line.
    tail: u64,
    /// How many lines of the segment could not be read (cut short, edited).
    bad: u64,
}

/// A stable 64-bit hash of a run ID (FNV-1a), never 0 (0 means "none").
pub(super) fn run_hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.max(1)
}

fn time_key(time: &str) -> [u8; 24] {
    let mut key = [0u8; 24];
    let n = time.len().min(24);
    key[..n].copy_from_slice(&time.as_bytes()[..n]);
    key
}

/// The checksum of a record's first 60 bytes, seeded so a zeroed record fails.
fn checksum(bytes: &[u8]) -> u32 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for word in bytes[..56].chunks_exact(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 32;
    }
    let mut k = [0u8; 4];
    k.copy_from_slice(&bytes[56..60]);
    h = (h ^ u64::from(u32::from_le_bytes(k))).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    (h ^ (h >> 29)) as u32
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

fn seal(mut rec: [u8; RECORD], kind: u32) -> [u8; RECORD] {
    rec[56..60].copy_from_slice(&kind.to_le_bytes());
    let sum = checksum(&rec);
    rec[60..64].copy_from_slice(&sum.to_le_bytes());
    rec
}

/// The kind of a well-formed record, `None` for a damaged one.
fn kind_of(rec: &[u8]) -> Option<u32> {
    let mut k = [0u8; 4];
    k.copy_from_slice(&rec[60..64]);
    if checksum(rec) != u32::from_le_bytes(k) {
        return None;
    }
    k.copy_from_slice(&rec[56..60]);
    Some(u32::from_le_bytes(k))
}

fn header() -> [u8; RECORD] {
    let mut rec = [0u8; RECORD];
    rec[..16].copy_from_slice(MAGIC);
    seal(rec, KIND_HEADER)
}

impl Run {
    fn encode(&self) -> [u8; RECORD] {
        let mut rec = [0u8; RECORD];
        rec[0..8].copy_from_slice(&self.run.to_le_bytes());
        rec[8..16].copy_from_slice(&self.resumes.to_le_bytes());
        rec[16..24].copy_from_slice(&self.start.to_le_bytes());
        rec[24..32].copy_from_slice(&self.end.to_le_bytes());
        rec[32..56].copy_from_slice(&self.time);
        seal(rec, KIND_RUN)
    }

    fn decode(rec: &[u8]) -> Run {
        let mut time = [0u8; 24];
        time.copy_from_slice(&rec[32..56]);
        Run {
            run: u64_at(rec, 0),
            resumes: u64_at(rec, 8),
            start: u64_at(rec, 16),
            end: u64_at(rec, 24),
            time,
        }
    }
}

impl Commit {
    fn encode(&self) -> [u8; RECORD] {
        let mut rec = [0u8; RECORD];
        for (i, v) in [
            self.covered,
            self.dev,
            self.ino,
            self.mtime,
            self.last_start,
            self.tail,
            self.bad,
        ]
        .into_iter()
        .enumerate()
        {
            rec[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        seal(rec, KIND_COMMIT)
    }

    fn decode(rec: &[u8]) -> Commit {
        Commit {
            covered: u64_at(rec, 0),
            dev: u64_at(rec, 8),
            ino: u64_at(rec, 16),
            mtime: u64_at(rec, 24),
            last_start: u64_at(rec, 32),
            tail: u64_at(rec, 40),
            bad: u64_at(rec, 48),
        }
    }
}

/// Which file a journal is, and when it last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: u64,
}

impl Identity {
    pub(super) fn of(file: &File) -> std::io::Result<Identity> {
        let meta = file.metadata()?;
        Ok(Identity::from_meta(&meta))
    }

    fn from_meta(meta: &std::fs::Metadata) -> Identity {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Identity {
                dev: meta.dev(),
                ino: meta.ino(),
                len: meta.len(),
                mtime: (meta.mtime() as u64)
                    .wrapping_mul(1_000_000_000)
                    .wrapping_add(meta.mtime_nsec() as u64),
            }
        }
        #[cfg(not(unix))]
        {
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as u64);
            Identity {
                dev: 0,
                ino: 0,
                len: meta.len(),
                mtime,
            }
        }
    }

    /// Whether `path` still names this file (a prune may have replaced it).
    pub(super) fn is_at(&self, path: &Path) -> bool {
        std::fs::metadata(path)
            .map(|m| {
                let now = Identity::from_meta(&m);
                (now.dev, now.ino) == (self.dev, self.ino)
            })
            .unwrap_or(false)
    }
}

/// Where the index of the journal at `journal` lives.
pub(super) fn index_path(journal: &Path) -> PathBuf {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".index");
    journal.with_file_name(name)
}

fn read_at(file: &File, at: u64, buf: &mut [u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(buf, at)
    }
    #[cfg(not(unix))]
    {
        let mut f = file;
        f.seek(SeekFrom::Start(at))?;
        f.read_exact(buf)
    }
}

/// A hash of the first and last [`TAIL`] bytes of the line `[start, end)`: it holds
/// the run ID and time at one end and the outcome at the other, so a journal that
/// was replaced or rewritten (even with the same length) no longer matches it.
fn tail_hash(journal: &File, start: u64, end: u64) -> std::io::Result<u64> {
    let head_len = (end - start).min(TAIL);
    let mut buf = vec![0u8; head_len as usize];
    read_at(journal, start, &mut buf)?;
    let back = end.saturating_sub(TAIL).max(start);
    let mut tail = vec![0u8; (end - back) as usize];
    read_at(journal, back, &mut tail)?;
    buf.extend_from_slice(&tail);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ end;
    for b in &buf {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    Ok(h)
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Refused,
        format!("cannot read the journal {}: {e}", path.display()),
    )
    .hint("make it readable, or name the journal file with CERTCTL_JOURNAL=PATH")
}

/// The journal open for reading, with the index of its complete lines.
#[derive(Debug)]
pub(super) struct Index {
    path: PathBuf,
    journal: File,
    /// The index file holding the first `persisted` records, if there is one.
    file: Option<File>,
    persisted: u64,
    /// Records of segments that could not be written to the index file.
    extra: Vec<Run>,
    /// Unreadable lines in those segments.
    extra_bad: u64,
}

impl Index {
    /// The index of the journal at `path`, brought up to date; `None` when the
    /// journal does not exist.
    pub(super) fn open(path: &Path) -> Result<Option<Index>> {
        Index::load(path, false)
    }

    /// [`Index::open`], ignoring the index on disk and rebuilding it from the journal.
    pub(super) fn rebuild(path: &Path) -> Result<Option<Index>> {
        Index::load(path, true)
    }

    fn load(path: &Path, fresh: bool) -> Result<Option<Index>> {
        let journal = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable(path, e)),
        };
        let id = Identity::of(&journal).map_err(|e| unreadable(path, e))?;
        let mut index = Index {
            path: path.to_path_buf(),
            journal,
            file: None,
            persisted: 0,
            extra: Vec::new(),
            extra_bad: 0,
        };
        let ipath = index_path(path);
        let committed = if fresh {
            None
        } else {
            committed(&ipath, &index.journal, &id)
        };
        match committed {
            Some((file, records, commit)) => {
                index.file = Some(file);
                index.persisted = records;
                if commit.covered < id.len {
                    index.append(&ipath, commit, id)?;
                }
            }
            None => index.build(&ipath, id)?,
        }
        Ok(Some(index))
    }

    /// Indexes the whole journal into a new index file renamed over the old one, or
    /// into memory when that cannot be written.
    fn build(&mut self, ipath: &Path, id: Identity) -> Result<()> {
        let mut new_name = ipath.file_name().unwrap_or_default().to_os_string();
        new_name.push(".new");
        let npath = ipath.with_file_name(new_name);
        let mut out = open_locked(&npath).filter(|f| f.set_len(0).is_ok());
        if let Some(f) = out.as_mut()
            && f.write_all(&header()).is_err()
        {
            out = None;
        }
        let mut records = 1u64;
        let mut from = 0u64;
        loop {
            let (runs, commit) = self.segment(from, id, true)?;
            let written = match out.as_mut() {
                Some(f) => write_segment(f, &runs, &commit).is_ok(),
                None => false,
            };
            if written {
                records += runs.len() as u64 + 1;
            } else {
                out = None;
                self.extra.extend(runs);
                self.extra_bad += commit.bad;
            }
            if commit.covered == from || commit.covered >= id.len {
                break;
            }
            from = commit.covered;
        }
        if let Some(f) = out
            && std::fs::rename(&npath, ipath).is_ok()
        {
            self.file = Some(f);
            self.persisted = records;
        } else {
            // Nothing on disk to read back: the records are all in memory.
            self.file = None;
            self.persisted = 0;
            if self.extra.is_empty() {
                self.rescan_into_memory(id)?;
            }
        }
        Ok(())
    }

    /// Holds the whole index in memory (the index file could not be written).
    fn rescan_into_memory(&mut self, id: Identity) -> Result<()> {
        let mut from = 0u64;
        loop {
            let (runs, commit) = self.segment(from, id, true)?;
            self.extra.extend(runs);
            self.extra_bad += commit.bad;
            if commit.covered == from || commit.covered >= id.len {
                return Ok(());
            }
            from = commit.covered;
        }
    }

    /// Indexes the lines appended after `commit` and appends them to the index file
    /// when its lock is free; otherwise keeps them in memory.
    fn append(&mut self, ipath: &Path, commit: Commit, id: Identity) -> Result<()> {
        let (runs, next) = self.segment(commit.covered, id, false)?;
        if let Some(mut f) = open_locked(ipath)
            && let Some((_, records, now)) = committed(ipath, &self.journal, &id)
            && now == commit
            && f.set_len(records * RECORD as u64).is_ok()
            && f.seek(SeekFrom::End(0)).is_ok()
            && write_segment(&mut f, &runs, &next).is_ok()
        {
            self.persisted = records + runs.len() as u64 + 1;
            return Ok(());
        }
        self.extra = runs;
        self.extra_bad = next.bad;
        Ok(())
    }

    /// The records of the complete lines from `from` on (up to [`SEGMENT`] bytes of
    /// them when `bounded`), and the commit that covers them.
    fn segment(&self, from: u64, id: Identity, bounded: bool) -> Result<(Vec<Run>, Commit)> {
        let mut runs: Vec<Run> = Vec::new();
        let mut at: HashMap<u64, usize> = HashMap::new();
        let mut covered = from;
        let mut last_start = from;
        let mut bad = 0u64;
        let limit = if bounded {
            from.saturating_add(SEGMENT)
        } else {
            u64::MAX
        };
        lines(&self.journal, from, id.len, |start, line| {
            let end = start + line.len() as u64;
            if !line.ends_with(b"\n") {
                return Ok(false);
            }
            covered = end;
            last_start = start;
            if let Some(e) = parse_line(line) {
                let run = run_hash(&e.run_id);
                let resumes = e.resumes.as_deref().map_or(0, run_hash);
                match at.get(&run) {
                    Some(&i) => {
                        runs[i].end = end;
                        if runs[i].resumes == 0 {
                            runs[i].resumes = resumes;
                        }
                    }
                    None => {
                        at.insert(run, runs.len());
                        runs.push(Run {
                            run,
                            resumes,
                            start,
                            end,
                            time: time_key(&e.time),
                        });
                    }
                }
            } else if !line.trim_ascii().is_empty() {
                bad += 1;
            }
            Ok(end < limit)
        })
        .map_err(|e| unreadable(&self.path, e))?;
        let tail =
            tail_hash(&self.journal, last_start, covered).map_err(|e| unreadable(&self.path, e))?;
        let commit = Commit {
            covered,
            dev: id.dev,
            ino: id.ino,
            mtime: if covered == id.len { id.mtime } else { 0 },
            last_start,
            tail,
            bad,
        };
        Ok((runs, commit))
    }

    /// Calls `each` with every record, in the order they were written; returns how
    /// many lines of the journal could not be read.
    pub(super) fn each(&self, mut each: impl FnMut(&Run)) -> std::result::Result<u64, Fault> {
        let mut bad = self.extra_bad;
        if let Some(file) = &self.file {
            let mut reader = BufReader::with_capacity(256 * 1024, file);
            reader
                .seek(SeekFrom::Start(0))
                .map_err(|e| Fault::Failed(unreadable(&self.path, e)))?;
            let mut rec = [0u8; RECORD];
            for i in 0..self.persisted {
                if reader.read_exact(&mut rec).is_err() {
                    return Err(Fault::Stale);
                }
                match kind_of(&rec) {
                    Some(KIND_RUN) => each(&Run::decode(&rec)),
                    Some(KIND_COMMIT) => bad += Commit::decode(&rec).bad,
                    Some(KIND_HEADER) if i == 0 => {}
                    _ => return Err(Fault::Stale),
                }
            }
        }
        self.extra.iter().for_each(each);
        Ok(bad)
    }

    /// Calls `each` with every line of the journal within `spans` (sorted, not
    /// overlapping), with where it starts. `starts` maps where the index says runs
    /// start to their hashes: each must start a line of that run, else the index is
    /// stale.
    pub(super) fn read_spans(
        &self,
        spans: &[(u64, u64)],
        starts: &HashMap<u64, u64>,
        mut each: impl FnMut(u64, &[u8]),
    ) -> std::result::Result<(), Fault> {
        let mut hits = 0usize;
        for &(start, end) in spans {
            if start > 0 {
                let mut before = [0u8; 1];
                match read_at(&self.journal, start - 1, &mut before) {
                    Ok(()) if before[0] == b'\n' => {}
                    _ => return Err(Fault::Stale),
                }
            }
            let mut reached = start;
            let mut stale = false;
            lines(&self.journal, start, end, |at, line| {
                reached = at + line.len() as u64;
                if !line.ends_with(b"\n") {
                    stale = true;
                    return Ok(false);
                }
                if let Some(&want) = starts.get(&at) {
                    hits += 1;
                    if parse_line(line).map(|e| run_hash(&e.run_id)) != Some(want) {
                        stale = true;
                        return Ok(false);
                    }
                }
                each(at, line);
                Ok(true)
            })
            .map_err(|e| Fault::Failed(unreadable(&self.path, e)))?;
            if stale || reached != end {
                return Err(Fault::Stale);
            }
        }
        if hits != starts.len() {
            return Err(Fault::Stale);
        }
        Ok(())
    }

    /// The same open journal, for reading spans later (not its records).
    pub(super) fn clone_of(&self) -> std::result::Result<Index, Fault> {
        let journal = self
            .journal
            .try_clone()
            .map_err(|e| Fault::Failed(unreadable(&self.path, e)))?;
        Ok(Index {
            path: self.path.clone(),
            journal,
            file: None,
            persisted: 0,
            extra: Vec::new(),
            extra_bad: 0,
        })
    }

    /// Where the journal is.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

/// Runs `query` on the index of the journal at `path`; when the index turns out
/// stale, rebuilds it and runs `query` again. `None` when there is no journal.
pub(super) fn with_index<T>(
    path: &Path,
    mut query: impl FnMut(&Index) -> std::result::Result<T, Fault>,
) -> Result<Option<T>> {
    let Some(index) = Index::open(path)? else {
        return Ok(None);
    };
    match query(&index) {
        Ok(v) => return Ok(Some(v)),
        Err(Fault::Failed(e)) => return Err(e),
        Err(Fault::Stale) => {}
    }
    let Some(index) = Index::rebuild(path)? else {
        return Ok(None);
    };
    match query(&index) {
        Ok(v) => Ok(Some(v)),
        Err(Fault::Failed(e)) => Err(e),
        Err(Fault::Stale) => Err(Error::new(
            ErrorKind::Refused,
            format!(
                "the journal {} changed while it was read; run the command again",
                path.display()
            ),
        )),
    }
}

/// Calls `each` with every line from `from` to `to` and where it starts (the last
/// one without its newline if the file ends there), until it returns `false`.
fn lines(
    file: &File,
    from: u64,
    to: u64,
    mut each: impl FnMut(u64, &[u8]) -> std::io::Result<bool>,
) -> std::io::Result<()> {
    let mut f = file;
    f.seek(SeekFrom::Start(from))?;
    let mut reader = BufReader::with_capacity(64 * 1024, f.take(to.saturating_sub(from)));
    let mut buf = Vec::new();
    let mut at = from;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 || !each(at, &buf)? {
            return Ok(());
        }
        at += n as u64;
    }
}

/// Opens (creating, mode 0600) the index file at `path` and takes its lock, or
/// `None` when it cannot be written or another certctl holds it.
fn open_locked(path: &Path) -> Option<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).ok()?;
    file.try_lock().ok()?;
    // Locked a file that another certctl has meanwhile renamed over the index, or
    // replaced: not this path's any more.
    let locked = Identity::of(&file).ok()?;
    locked.is_at(path).then_some(file)
}

fn write_segment(file: &mut File, runs: &[Run], commit: &Commit) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity((runs.len() + 1) * RECORD);
    for r in runs {
        bytes.extend_from_slice(&r.encode());
    }
    bytes.extend_from_slice(&commit.encode());
    file.write_all(&bytes)
}

/// The index file at `ipath` if it is well formed and its last commit matches the
/// journal: with how many records count (up to that commit) and the commit.
fn committed(ipath: &Path, journal: &File, id: &Identity) -> Option<(File, u64, Commit)> {
    let file = File::open(ipath).ok()?;
    let len = file.metadata().ok()?.len();
    let count = len / RECORD as u64;
    let mut rec = [0u8; RECORD];
    read_at(&file, 0, &mut rec).ok()?;
    if kind_of(&rec) != Some(KIND_HEADER) || &rec[..16] != MAGIC {
        return None;
    }
    let mut i = count;
    let commit = loop {
        if i <= 1 {
            return None;
        }
        i -= 1;
        read_at(&file, i * RECORD as u64, &mut rec).ok()?;
        if kind_of(&rec) == Some(KIND_COMMIT) {
            break Commit::decode(&rec);
        }
    };
    let fits = (commit.dev, commit.ino) == (id.dev, id.ino)
        && commit.covered <= id.len
        && commit.last_start <= commit.covered
        && (commit.mtime == 0 || id.len != commit.covered || commit.mtime == id.mtime)
        && tail_hash(journal, commit.last_start, commit.covered).ok() == Some(commit.tail);
    fits.then_some((file, i + 1, commit))
}

/// Notes in the index the lines one run just appended, `[start, end)` (the last one
/// starting at `last_start`), so the next read need not index them: only when the
/// index covers the journal exactly up to `start`. Anything else (no index yet, lines
/// of another process in between, the lock taken) is left for the next reader to
/// index; a failure changes nothing but that.
pub(super) fn note(
    journal_path: &Path,
    journal: &File,
    first_line: &[u8],
    start: u64,
    end: u64,
    last_start: u64,
) {
    let Some(e) = parse_line(first_line) else {
        return;
    };
    let Ok(id) = Identity::of(journal) else {
        return;
    };
    let ipath = index_path(journal_path);
    let Some(mut f) = open_locked(&ipath) else {
        return;
    };
    let Some((_, records, commit)) = committed(&ipath, journal, &id) else {
        return;
    };
    if commit.covered != start || end > id.len {
        return;
    }
    let Ok(tail) = tail_hash(journal, last_start, end) else {
        return;
    };
    let run = Run {
        run: run_hash(&e.run_id),
        resumes: e.resumes.as_deref().map_or(0, run_hash),
        start,
        end,
        time: time_key(&e.time),
    };
    let next = Commit {
        covered: end,
        dev: id.dev,
        ino: id.ino,
        mtime: if end == id.len { id.mtime } else { 0 },
        last_start,
        tail,
        bad: 0,
    };
    if f.set_len(records * RECORD as u64).is_ok() && f.seek(SeekFrom::End(0)).is_ok() {
        let _ = write_segment(&mut f, &[run], &next);
    }
}
