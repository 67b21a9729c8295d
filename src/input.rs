//! ID lists: positional arguments and `--from FILE` / `--from -`, streamed.
//!
//! IDs are trimmed; blank lines and `#` comments are skipped; duplicates are dropped
//! with a warning naming them. To find duplicates only a 16-byte fingerprint of each
//! distinct ID is kept (two foldhash hashes with independent seeds: two distinct IDs
//! of a million pass for one about once in 10^27 runs), never the list itself, in one
//! ordered open-addressing table that stays 89 to 95% full and grows in place by 1/16
//! at a time: a million distinct IDs on standard input cost about 17 MiB. A file's
//! table is sized from the file's size up front, 80% full. A regular file is read twice:
//! once to check every ID (so a bad line stops the run before anything is sent),
//! count them and note where the duplicates are (a second thread reads, checks and
//! fingerprints while the first looks the fingerprints up), once to stream them, skipping
//! those places (a file changed in between is refused before any of it is sent). Standard input cannot be read twice, so it is
//! checked as it streams, unless it is a terminal.
//!
//! With `--resume RUN_ID`, the IDs that run completed (or holds back) are passed
//! over here, after deduplication and before any adapter batches them, so a resumed
//! bulk run's requests carry only what is left to do, whatever the batch size. Each
//! passed-over ID still comes down the stream, as a [`Passed`] value, in its place:
//! the engine counts, reports and journals it from there. What to pass over is asked
//! of a [`Skip`] the command passes to [`open`] (the engine's resume state implements
//! it), so this module knows nothing of the journal.

use std::fs::File;
use std::hash::BuildHasher;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::error::{Error, ErrorKind, Result};

/// What `--resume` decides for an ID, as the input needs to know it.
pub trait Skip: Send + Sync {
    /// Whether `id` is done already and will not be sent (for counts and previews).
    fn settled(&self, id: &str) -> bool;
    /// Whether `id` is sent, or why it is not.
    fn decide(&self, id: &str) -> Decision;
}

/// What `--resume` does with one ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it: never sent, failed, not sent, or unknown and safe to send again.
    Send,
    /// It succeeded earlier in the chain: count it as skipped.
    Skip,
    /// Unknown and not safe to send twice: report it unknown again for the user to
    /// check, unless `--retry-unknown`.
    Hold,
}

/// An ID `--resume` passed over, in its place in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passed {
    /// It succeeded earlier in the chain.
    Skipped(String),
    /// Its outcome is unknown and it is not safe to send twice.
    Held(String),
}

/// One entry of an ID list: an ID to send, or one `--resume` passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// An ID to send.
    Send(String),
    /// An ID not to send, and why.
    Passed(Passed),
}

/// The `--resume` filter of one ID list, if any.
#[derive(Clone, Default)]
pub struct Resumed(Option<Arc<dyn Skip>>);

impl Resumed {
    /// Filters through `skip`; `None` sends every ID.
    pub fn new(skip: Option<Arc<dyn Skip>>) -> Resumed {
        Resumed(skip)
    }

    fn settled(&self, id: &str) -> bool {
        self.0.as_ref().is_some_and(|s| s.settled(id))
    }

    /// The entry of `id`: to send, or passed over.
    fn list(&self, id: String) -> Listed {
        match self.0.as_ref().map_or(Decision::Send, |s| s.decide(&id)) {
            Decision::Send => Listed::Send(id),
            Decision::Skip => Listed::Passed(Passed::Skipped(id)),
            Decision::Hold => Listed::Passed(Passed::Held(id)),
        }
    }
}

/// How many IDs a confirmation prompt names.
pub const PREVIEW: usize = 5;

/// Checks one ID; the message names what is wrong with it.
pub type Check = fn(&str) -> std::result::Result<(), String>;

/// An ID that passes any check.
pub fn any_id(_: &str) -> std::result::Result<(), String> {
    Ok(())
}

/// A stream of distinct, checked IDs, with their count when it is known up front.
pub struct Ids {
    /// The IDs in input order, each checked and to send or passed over by
    /// `--resume`; an `Err` ends the stream.
    pub iter: Box<dyn Iterator<Item = Result<Listed>> + Send>,
    /// How many distinct IDs there are, when known before sending.
    pub count: Option<usize>,
    /// The first few IDs, for the confirmation prompt.
    pub preview: Vec<String>,
}

impl Ids {
    /// The IDs to send, in input order: a list opened without `--resume` (a read's)
    /// has no other kind.
    pub fn into_sent(self) -> impl Iterator<Item = Result<String>> {
        self.iter.filter_map(|listed| match listed {
            Ok(Listed::Send(id)) => Some(Ok(id)),
            Ok(Listed::Passed(_)) => None,
            Err(e) => Some(Err(e)),
        })
    }
}

/// Opens the ID list from positional arguments and an optional `--from` source;
/// `resumed` drops what an earlier run of the chain completed.
pub fn open(args: Vec<String>, from: Option<&Path>, check: Check, resumed: Resumed) -> Result<Ids> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    for a in &args {
        check(a).map_err(Error::usage)?;
    }
    match from {
        None => {
            let mut dedup = Dedup::new();
            let ids: Vec<String> = args.into_iter().filter(|id| dedup.first(id)).collect();
            from_vec(ids, resumed)
        }
        Some(p) if p == Path::new("-") => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                let reader = Lines::new(Box::new(std::io::stdin()), "standard input".into());
                let mut ids = args;
                for line in reader {
                    ids.push(line?);
                }
                let mut dedup = Dedup::new();
                let mut checked = Vec::new();
                for id in ids {
                    check(&id).map_err(Error::usage)?;
                    if dedup.first(&id) {
                        checked.push(id);
                    }
                }
                from_vec(checked, resumed)
            } else {
                let reader = Lines::new(Box::new(std::io::stdin()), "standard input".into());
                let preview = args
                    .iter()
                    .filter(|id| !resumed.settled(id))
                    .take(PREVIEW)
                    .cloned()
                    .collect();
                let mut dedup = Dedup::new();
                let iter = args.into_iter().map(Ok).chain(reader.map(move |line| {
                    let id = line?;
                    check(&id).map_err(|m| Error::usage(format!("standard input: {m}")))?;
                    Ok(id)
                }));
                let iter = iter
                    .filter(move |r| r.as_ref().map_or(true, |id| dedup.first(id)))
                    .map(move |r| r.map(|id| resumed.list(id)));
                Ok(Ids {
                    iter: Box::new(iter),
                    count: None,
                    preview,
                })
            }
        }
        Some(path) => from_file(args, path.to_path_buf(), check, resumed),
    }
}

fn from_vec(ids: Vec<String>, resumed: Resumed) -> Result<Ids> {
    if ids.is_empty() {
        return Err(no_ids());
    }
    Ok(Ids {
        count: Some(ids.iter().filter(|id| !resumed.settled(id)).count()),
        preview: ids
            .iter()
            .filter(|id| !resumed.settled(id))
            .take(PREVIEW)
            .cloned()
            .collect(),
        iter: Box::new(ids.into_iter().map(move |id| Ok(resumed.list(id)))),
    })
}

fn no_ids() -> Error {
    Error::usage("no IDs were given")
        .hint("name them as arguments or give a file with --from FILE (- for standard input)")
}

fn from_file(args: Vec<String>, path: PathBuf, check: Check, resumed: Resumed) -> Result<Ids> {
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
struct Hashed {
    /// The IDs one after the other; the i-th ends at `ends[i]`.
    text: String,
    ends: Vec<usize>,
    fingerprints: Vec<u128>,
    /// Set on the last chunk: the file ended (`Ok`) or a line stopped the reading.
    end: Option<Result<()>>,
}

/// How many IDs a [`Hashed`] chunk carries: enough that the threads wake each other
/// seldom, few enough that the two chunks in the channel stay small.
const HASHED: usize = 1024;

/// Reads, checks and fingerprints the IDs of `lines`, handing them over in chunks;
/// stops at the first bad or unreadable line, or when nobody listens any more.
fn check_and_hash(
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
type Stamp = (u64, Option<std::time::SystemTime>);

/// How many IDs of a file are read before the set is sized for the whole file.
const SAMPLE: usize = 1024;

/// The table grows by this fraction (1/16) of its home slots when it is
/// [`MAX_LOAD_PERCENT`] full: a small step keeps it dense.
const GROWTH_DIVISOR: usize = 16;
const FIRST_HOMES: usize = 1024;
const MAX_LOAD_PERCENT: usize = 95;
/// The load a table sized ahead ([`Dedup::reserve`]) is made for: lower than the
/// growth point, so that inserts into it seldom shift long runs.
const RESERVE_LOAD_PERCENT: usize = 80;

/// Remembers a 128-bit fingerprint of every ID seen: 16 bytes per distinct ID, in
/// a table whose home slots are 89 to 95% full once it holds more than a thousand.
struct Dedup {
    table: Table,
    /// Whether the fingerprint 0 was seen: 0 marks a free slot.
    zero: bool,
    hash: Fingerprints,
}

/// Two foldhash hashers with independent seeds (per process): several times faster
/// than SipHash on long keys, and 128 bits leave about one chance in 10^27 of taking
/// two of a million distinct IDs for one. A copy fingerprints a file's IDs on the
/// thread that reads them.
#[derive(Clone)]
struct Fingerprints {
    first: foldhash::quality::RandomState,
    second: foldhash::quality::SeedableRandomState,
}

impl Fingerprints {
    fn of(&self, id: &str) -> u128 {
        u128::from(self.first.hash_one(id)) << 64 | u128::from(self.second.hash_one(id))
    }
}

/// The shared seed of the second hasher, drawn once per process: the first hasher
/// uses foldhash's global one, so the two hashes differ in every seed they use.
static SECOND_SEED: OnceLock<foldhash::SharedSeed> = OnceLock::new();

impl Dedup {
    fn new() -> Self {
        let shared = SECOND_SEED.get_or_init(|| {
            foldhash::SharedSeed::from_u64(foldhash::quality::RandomState::default().hash_one(1))
        });
        let per_hasher = foldhash::quality::RandomState::default().hash_one(2);
        Dedup {
            table: Table::default(),
            zero: false,
            hash: Fingerprints {
                first: foldhash::quality::RandomState::default(),
                second: foldhash::quality::SeedableRandomState::with_seed(per_hasher, shared),
            },
        }
    }

    /// True the first time an ID is seen; later times warn and say false.
    fn first(&mut self, id: &str) -> bool {
        let fingerprint = self.hash.of(id);
        self.first_of(id, fingerprint)
    }

    /// [`Dedup::first`] for an ID whose fingerprint is known already.
    fn first_of(&mut self, id: &str, fingerprint: u128) -> bool {
        let fresh = self.insert(fingerprint);
        if !fresh {
            tracing::warn!("duplicate ID dropped: {id}");
        }
        fresh
    }

    /// Adds a fingerprint; false if it was there already.
    fn insert(&mut self, fingerprint: u128) -> bool {
        if fingerprint == 0 {
            return !std::mem::replace(&mut self.zero, true);
        }
        self.table.insert(fingerprint)
    }

    /// Sizes the table for about `ids` distinct IDs at once, when a file's size says
    /// how many to expect: growing step by step would rebuild it a dozen times, and
    /// nearly full it shifts longer runs on every insert.
    fn reserve(&mut self, ids: usize) {
        let homes = ids.saturating_mul(100) / RESERVE_LOAD_PERCENT;
        if homes > self.table.homes {
            self.table.grow_to(homes);
        }
    }
}

/// A linear-probing table kept in ascending order (Robin Hood order, for uniform
/// hashes). Each fingerprint sits at or after its home slot, with no free slot in
/// between, so a lookup stops at the first free slot or larger fingerprint, and
/// growing is two passes that move every fingerprint right, in place: the table is
/// one allocation that `realloc` extends (with glibc, once past 128 KiB, by remapping
/// its pages rather than copying them), so growing never holds the set twice.
#[derive(Default)]
struct Table {
    /// Fingerprints in ascending order, 0 for a free slot; `homes` slots that a
    /// fingerprint can call home, then a tail for the ones pushed past the last.
    slots: Vec<u128>,
    homes: usize,
    len: usize,
}

impl Table {
    /// The home slot of a fingerprint: its top bits scaled to `homes`, so homes
    /// ascend with fingerprints.
    fn home(fingerprint: u128, homes: usize) -> usize {
        (((fingerprint >> 64) * homes as u128) >> 64) as usize
    }

    /// How many slots a table with `homes` home slots has.
    fn slots_for(homes: usize) -> usize {
        homes + homes / 1024 + 64
    }

    fn insert(&mut self, fingerprint: u128) -> bool {
        if self.len * 100 >= self.homes * MAX_LOAD_PERCENT {
            self.grow();
        }
        loop {
            let mut i = Self::home(fingerprint, self.homes);
            while let Some(&s) = self.slots.get(i) {
                if s == 0 || s >= fingerprint {
                    break;
                }
                i += 1;
            }
            if self.slots.get(i) == Some(&fingerprint) {
                return false;
            }
            // Shift the rest of the run right by one, into its first free slot.
            let free = self
                .slots
                .get(i..)
                .and_then(|rest| rest.iter().position(|&s| s == 0));
            match free {
                Some(n) => {
                    self.slots.copy_within(i..i + n, i + 1);
                    self.slots[i] = fingerprint;
                    self.len += 1;
                    return true;
                }
                None => self.grow(),
            }
        }
    }

    /// Makes room for about 1/16 more.
    fn grow(&mut self) {
        self.grow_to((self.homes + self.homes / GROWTH_DIVISOR + 1).max(FIRST_HOMES));
    }

    /// Lays the table out for at least `homes` home slots, more if they do not fit.
    fn grow_to(&mut self, mut homes: usize) {
        while !self.rebuild(homes) {
            homes += homes / GROWTH_DIVISOR + 1;
        }
    }

    /// Lays the fingerprints out for `homes` home slots, in place: packed in order at
    /// the end of the longer table, then each moved left to its place. False (the
    /// fingerprints still in order, for a larger try) if they do not fit.
    fn rebuild(&mut self, homes: usize) -> bool {
        let total = Self::slots_for(homes);
        let old = self.slots.len();
        self.slots.reserve_exact(total - old);
        self.slots.resize(total, 0);
        self.homes = homes;
        let mut packed = total;
        for i in (0..old).rev() {
            let s = std::mem::take(&mut self.slots[i]);
            if s != 0 {
                packed -= 1;
                self.slots[packed] = s;
            }
        }
        // The i-th fingerprint is read from `packed + i` and written at or before it
        // whenever all of them fit, since each takes a slot after the last one.
        let mut next = 0;
        for i in packed..total {
            let s = self.slots[i];
            let at = Self::home(s, homes).max(next);
            if at > i {
                return false;
            }
            self.slots[i] = 0;
            self.slots[at] = s;
            next = at + 1;
        }
        true
    }
}

/// Meaningful lines of a reader: trimmed, blank lines and `#` comments skipped.
///
/// Its own buffer and `memchr` instead of `BufRead::read_line`: a line is found,
/// checked as UTF-8 and trimmed in place, without being copied into a `String`
/// first, which was a fifth of a 100,000-key run.
struct Lines {
    reader: Box<dyn Read + Send>,
    name: String,
    line: usize,
    buf: Vec<u8>,
    /// The unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
}

/// How much of the input is read at a time; a longer line grows the buffer.
const CHUNK: usize = 64 * 1024;

impl Lines {
    fn new(reader: Box<dyn Read + Send>, name: String) -> Self {
        Lines {
            reader,
            name,
            line: 0,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// The bytes of the next line without its `\n`, as a range of `buf`; `None` at
    /// the end of the input.
    fn next_raw(&mut self) -> Option<Result<(usize, usize)>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line = (self.start, self.start + i);
                self.start += i + 1;
                return Some(Ok(line));
            }
            if self.eof {
                if self.start == self.end {
                    return None;
                }
                let line = (self.start, self.end);
                self.start = self.end;
                return Some(Ok(line));
            }
            // Keep the partial line, at the front, and read more after it.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Some(Err(Error::usage(format!(
                        "cannot read line {} of {}: {e}",
                        self.line + 1,
                        self.name
                    ))));
                }
            }
        }
    }

    /// The next meaningful line, borrowed: the first pass over a file checks and
    /// counts its IDs without allocating one string per line.
    fn next_str(&mut self) -> Option<Result<&str>> {
        let (start, end) = loop {
            let (start, end) = match self.next_raw()? {
                Ok(range) => range,
                Err(e) => return Some(Err(e)),
            };
            self.line += 1;
            let (mut start, mut end) = trim_ascii(&self.buf, start, end);
            // `trim_ascii` leaves Unicode spaces and the vertical tab, which `str::trim`
            // also removes; they are rare, so only lines that have them pay for it.
            if needs_full_trim(&self.buf[start..end]) {
                let Ok(id) = std::str::from_utf8(&self.buf[start..end]) else {
                    return Some(Err(self.not_utf8()));
                };
                let trimmed = id.trim();
                start += id.len() - id.trim_start().len();
                end = start + trimmed.len();
            }
            // Blank lines and comments are skipped unchecked, as unread.
            if start < end && self.buf[start] != b'#' {
                break (start, end);
            }
        };
        match std::str::from_utf8(&self.buf[start..end]) {
            Ok(id) => Some(Ok(id)),
            Err(_) => Some(Err(self.not_utf8())),
        }
    }

    fn not_utf8(&self) -> Error {
        Error::usage(format!(
            "line {} of {} is not valid UTF-8",
            self.line, self.name
        ))
    }
}

/// The range of `buf[start..end]` without ASCII whitespace at either end.
fn trim_ascii(buf: &[u8], start: usize, end: usize) -> (usize, usize) {
    let trimmed = buf[start..end].trim_ascii_start();
    let start = end - trimmed.len();
    let end = start + trimmed.trim_ascii_end().len();
    (start, end)
}

/// Whether `str::trim` could remove more than `trim_ascii` did: the line starts or
/// ends with a non-ASCII byte or a vertical tab.
fn needs_full_trim(line: &[u8]) -> bool {
    let edge = |b: Option<&u8>| b.is_some_and(|&b| !b.is_ascii() || b == 0x0B);
    edge(line.first()) || edge(line.last())
}

impl Iterator for Lines {
    type Item = Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_str().map(|r| r.map(str::to_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(ids: Ids) -> Vec<String> {
        ids.into_sent().map(|r| r.unwrap()).collect()
    }

    /// A `--resume` that skips `b` and holds `c` back.
    struct Resumes;

    impl Skip for Resumes {
        fn settled(&self, id: &str) -> bool {
            id == "b"
        }
        fn decide(&self, id: &str) -> Decision {
            match id {
                "b" => Decision::Skip,
                "c" => Decision::Hold,
                _ => Decision::Send,
            }
        }
    }

    #[test]
    fn resumed_ids_come_down_the_stream_as_values_in_their_place() {
        let resumed = || Resumed::new(Some(Arc::new(Resumes)));
        let want = [
            Listed::Send("a".into()),
            Listed::Passed(Passed::Skipped("b".into())),
            Listed::Passed(Passed::Held("c".into())),
            Listed::Send("d".into()),
        ];
        let args = || ["a", "b", "c", "d", "b"].map(String::from).to_vec();
        let ids = open(args(), None, any_id, resumed()).unwrap();
        assert_eq!(
            (ids.count, ids.preview.clone()),
            (Some(3), vec!["a".into(), "c".into(), "d".into()])
        );
        let listed: Vec<Listed> = ids.iter.map(|r| r.unwrap()).collect();
        assert_eq!(listed, want);
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "c\nd\nb").unwrap();
        let ids = open(args()[..2].to_vec(), Some(f.path()), any_id, resumed()).unwrap();
        let listed: Vec<Listed> = ids.iter.map(|r| r.unwrap()).collect();
        assert_eq!(listed, want);
    }

    #[test]
    fn arguments_are_trimmed_and_deduplicated() {
        let ids = open(
            vec![" a ".into(), "b".into(), "a".into()],
            None,
            any_id,
            Resumed::default(),
        )
        .unwrap();
        assert_eq!(ids.count, Some(2));
        assert_eq!(collect(ids), ["a", "b"]);
    }

    #[test]
    fn files_skip_comments_and_blank_lines() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "# header\n\n k1 \nk2\r\nk1\n\nk3").unwrap();
        let ids = open(
            vec!["k0".into()],
            Some(f.path()),
            any_id,
            Resumed::default(),
        )
        .unwrap();
        assert_eq!(ids.count, Some(4));
        assert_eq!(ids.preview, ["k0", "k1", "k2", "k3"]);
        assert_eq!(collect(ids), ["k0", "k1", "k2", "k3"]);
    }

    fn lines_of(bytes: &[u8]) -> Vec<Result<String>> {
        Lines::new(Box::new(std::io::Cursor::new(bytes.to_vec())), "t".into()).collect()
    }

    #[test]
    fn lines_are_trimmed_like_str_trim() {
        let text = "a\r\n\u{a0}b\u{2003}\n\u{b}c\u{b}\n \u{2003}# comment\n\u{3000}\n\t d e \nlast";
        let got: Vec<String> = lines_of(text.as_bytes())
            .into_iter()
            .map(|l| l.unwrap())
            .collect();
        assert_eq!(got, ["a", "b", "c", "d e", "last"]);
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_read_whole() {
        let long = "k".repeat(3 * CHUNK + 7);
        let text = format!("first\n{long}\n{long}x");
        let got: Vec<String> = lines_of(text.as_bytes())
            .into_iter()
            .map(|l| l.unwrap())
            .collect();
        assert_eq!(got, ["first".to_string(), long.clone(), format!("{long}x")]);
    }

    #[test]
    fn lines_split_across_reads_are_whole() {
        // A reader that hands over three bytes at a time.
        struct Trickle(std::io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(3);
                self.0.read(&mut buf[..n])
            }
        }
        let text = "alpha\nbeta\n\n# c\ngamma\n".as_bytes().to_vec();
        let lines = Lines::new(Box::new(Trickle(std::io::Cursor::new(text))), "t".into());
        let got: Vec<String> = lines.map(|l| l.unwrap()).collect();
        assert_eq!(got, ["alpha", "beta", "gamma"]);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_named_by_its_number() {
        let got = lines_of(b"ok\n# caf\xe9 (Latin-1, skipped)\nbad\xff\nnever");
        assert_eq!(got[0].as_ref().unwrap(), "ok");
        let err = got[1].as_ref().unwrap_err();
        assert!(
            err.to_string().contains("line 3 of t is not valid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn a_file_changed_between_the_passes_sends_none_of_its_ids() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "k1\nk1\nk2").unwrap();
        let ids = open(vec![], Some(f.path()), any_id, Resumed::default()).unwrap();
        assert_eq!(ids.count, Some(2));
        std::fs::write(f.path(), "k1\nk2\nk3\n").unwrap();
        let streamed: Vec<Result<String>> = ids.into_sent().collect();
        assert_eq!(streamed.len(), 1, "one error, then nothing");
        let err = streamed[0].as_ref().unwrap_err();
        assert!(
            err.to_string().contains("changed after it was checked"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_line_fails_before_streaming() {
        fn digits(s: &str) -> std::result::Result<(), String> {
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then_some(())
                .ok_or(format!("`{s}` is not a number"))
        }
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "1\n2\nx3").unwrap();
        let err = open(vec![], Some(f.path()), digits, Resumed::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("`x3` is not a number"), "{err}");
    }

    #[test]
    fn duplicates_are_found_wherever_they_land() {
        let mut dedup = Dedup::new();
        let fresh = (0..20_000)
            .filter(|i| dedup.first(&format!("key-{}", i % 10_000)))
            .count();
        assert_eq!(fresh, 10_000);
        assert_eq!(dedup.table.len, 10_000);
        assert_laid_out(&dedup.table);
        // Every sixteenth of the home slots holds some.
        let table = &dedup.table;
        assert!(
            table.slots[..table.homes]
                .chunks(table.homes / 16)
                .take(16)
                .all(|c| c.iter().any(|&s| s != 0)),
            "fingerprints should spread over the table"
        );
    }

    /// Every fingerprint of `table` in order, each at or after its home, no free slot
    /// between its home and it.
    fn assert_laid_out(table: &Table) {
        let mut last = 0;
        for (i, &s) in table.slots.iter().enumerate() {
            if s == 0 {
                continue;
            }
            assert!(s > last, "slot {i} is out of order");
            let home = Table::home(s, table.homes);
            assert!(home <= i, "slot {i} is before its home {home}");
            assert!(
                table.slots[home..i].iter().all(|&t| t != 0),
                "gap before {i}"
            );
            last = s;
        }
        assert_eq!(table.slots.iter().filter(|&&s| s != 0).count(), table.len);
    }

    /// Fingerprints spread over the whole range: a multiplicative sequence.
    fn spread(n: u128) -> impl Iterator<Item = u128> {
        (1..=n).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835) | 1)
    }

    #[test]
    fn the_set_grows_and_keeps_every_fingerprint() {
        let mut dedup = Dedup::new();
        for f in spread(50_000) {
            assert!(dedup.insert(f));
        }
        for f in spread(50_000) {
            assert!(!dedup.insert(f), "{f:#x} was lost");
        }
        let table = &dedup.table;
        assert!(table.homes > 50_000, "the table grew");
        assert!(table.len * 100 <= table.homes * MAX_LOAD_PERCENT + 100);
        assert_laid_out(table);
    }

    #[test]
    fn a_reserved_table_keeps_what_it_held_and_grows_past_the_estimate() {
        let mut dedup = Dedup::new();
        for f in spread(3_000) {
            assert!(dedup.insert(f));
        }
        dedup.reserve(10_000);
        assert!(dedup.table.homes >= 12_500);
        assert_laid_out(&dedup.table);
        for f in spread(30_000) {
            dedup.insert(f);
        }
        assert_eq!(dedup.table.len, 30_000);
        assert_laid_out(&dedup.table);
        assert!(spread(30_000).all(|f| !dedup.insert(f)));
    }

    #[test]
    fn fingerprints_crowding_the_last_homes_spill_and_grow() {
        // All homed at the last slot: the tail fills, then the table grows until
        // they fit.
        let mut dedup = Dedup::new();
        for i in 0..2_000u128 {
            assert!(dedup.insert(u128::MAX - i));
        }
        for i in 0..2_000u128 {
            assert!(!dedup.insert(u128::MAX - i));
        }
        assert_eq!(dedup.table.len, 2_000);
        assert_laid_out(&dedup.table);
    }

    #[test]
    fn the_fingerprint_zero_is_remembered_apart() {
        let mut dedup = Dedup::new();
        assert!(dedup.insert(0));
        assert!(!dedup.insert(0));
        assert!(dedup.insert(1));
        assert!(!dedup.insert(1));
        assert!(dedup.insert(u128::MAX));
        assert!(!dedup.insert(u128::MAX));
        assert!(dedup.zero);
        assert_eq!(dedup.table.len, 2);
    }

    #[test]
    fn two_million_distinct_ids_are_never_taken_for_duplicates() {
        let mut dedup = Dedup::new();
        let mut id = String::new();
        for i in 0..2_000_000u32 {
            id.clear();
            std::fmt::Write::write_fmt(&mut id, format_args!("KEY{i:07}")).unwrap();
            assert!(dedup.first(&id), "{id} taken for a duplicate");
        }
        assert!(!dedup.first("KEY0000000"));
        assert!(!dedup.first("KEY1999999"));
    }

    #[test]
    fn a_long_file_sized_from_its_first_lines_still_finds_every_duplicate() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        for i in 0..5_000 {
            writeln!(f, "id-{i}").unwrap();
        }
        // Past the sample: longer lines, and duplicates of the first IDs.
        for i in 0..5_000 {
            writeln!(
                f,
                "a-much-longer-id-than-the-first-ones-{i}\nid-{}",
                i % 2_000
            )
            .unwrap();
        }
        let ids = open(vec![], Some(f.path()), any_id, Resumed::default()).unwrap();
        assert_eq!(ids.count, Some(10_000));
        let got = collect(ids);
        assert_eq!(got.len(), 10_000);
        assert_eq!(got[4_999], "id-4999");
        assert_eq!(got[5_000], "a-much-longer-id-than-the-first-ones-0");
    }

    #[test]
    fn empty_lists_are_usage_errors() {
        let err = open(vec!["  ".into()], None, any_id, Resumed::default())
            .err()
            .unwrap();
        assert_eq!(err.kind(), crate::error::ErrorKind::Usage);
        let f = tempfile::NamedTempFile::new().unwrap();
        assert!(open(vec![], Some(f.path()), any_id, Resumed::default()).is_err());
        assert!(
            open(
                vec![],
                Some(Path::new("/nonexistent/ids")),
                any_id,
                Resumed::default()
            )
            .is_err()
        );
    }
}
