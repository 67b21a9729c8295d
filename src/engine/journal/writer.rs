//! Appending a run's lines: one writer thread, whole lines, `O_APPEND`, and one
//! fdatasync per batch, so `sent` lines are on disk before their requests leave.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{IoSlice, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::oneshot;

use super::file::refused_journal;
use super::index::{self, Identity};
use crate::engine::reconcile::{Locator, Settled};
use crate::error::{Error, Result};
use crate::json;
use crate::report::ItemResult;

/// How long `done` lines may stay written but not synced.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// What every line of one run repeats.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The run's identifier, the `run_id` of its report.
    pub run_id: String,
    /// The profile in use.
    pub profile: String,
    /// The provider's name.
    pub provider: &'static str,
    /// The operation's name.
    pub operation: &'static str,
    /// Whether the operation may be sent twice (read back by `--resume`).
    pub idempotent: bool,
    /// The first run of the chain this run resumes, if it resumes one.
    pub resumes: Option<String>,
    /// The digest of the plan the run applies (`certctl apply`), so the journal
    /// ties each change to the plan that was reviewed.
    pub plan: Option<String>,
    /// What a later read-back needs to find the items (README, "When a run is cut
    /// or its outcome is unknown"); the callback is written per `done` line instead.
    pub locator: Locator,
    /// A `certctl reconcile` run: it writes only `done` lines of settled items.
    pub reconcile: bool,
}

enum Msg {
    Write {
        bytes: Vec<u8>,
        durable: Option<oneshot::Sender<std::result::Result<(), String>>>,
    },
    Finish(oneshot::Sender<std::result::Result<(), String>>),
}

/// The journal of one run, open for appending.
pub struct Writer {
    path: PathBuf,
    lines: Arc<Lines>,
    tx: mpsc::Sender<Msg>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What every line of a run repeats, ready to be written.
struct Lines {
    info: RunInfo,
    /// What every line has between `phase` and the IDs: profile, provider, operation.
    middle: Vec<u8>,
    /// What every line has after the IDs: `resumes`, `plan` and what a read-back
    /// needs, when the run has them.
    tail: Vec<u8>,
    /// `done` lines not yet handed to the writer thread: they ride with the next
    /// message (a request's `sent` line, most often, as a finished request's slot
    /// goes to the next one) or go alone when the run loop is about to wait, so
    /// the writer thread wakes once per request rather than twice.
    held: Mutex<Vec<u8>>,
}

/// A handle that journals `sent` lines from the task sending the request, so that
/// a line is written only when its request leaves (README, "When a run is cut or
/// its outcome is unknown"): requests leaving at the same moment share one write
/// and one sync, as the writer thread gathers what is queued while it is busy.
#[derive(Clone)]
pub struct SentLog {
    lines: Arc<Lines>,
    tx: mpsc::Sender<Msg>,
}

impl SentLog {
    /// Queues the `sent` line of a request about to leave; it may leave once the
    /// answer resolves to `Ok`.
    pub fn sent(&self, ids: &[String]) -> Durable {
        queue_sent(&self.lines, &self.tx, std::iter::once(ids))
    }
}

/// Queues the `sent` lines of `units` and returns the acknowledgement of their sync.
fn queue_sent<'a>(
    lines: &Lines,
    tx: &mpsc::Sender<Msg>,
    units: impl IntoIterator<Item = &'a [String]>,
) -> Durable {
    let time = now();
    let extra = if lines.info.idempotent {
        ",\"idempotent\":true"
    } else {
        ",\"idempotent\":false"
    };
    let mut bytes = lines.take_held();
    for ids in units {
        lines.push_line(
            &mut bytes,
            &time,
            "sent",
            ids.iter().map(String::as_str),
            extra,
        );
    }
    let (ack, durable) = oneshot::channel();
    if tx
        .send(Msg::Write {
            bytes,
            durable: Some(ack),
        })
        .is_err()
    {
        // The receiver sees a closed channel, which the engine reports as a failure.
        let (_, closed) = oneshot::channel();
        return closed;
    }
    durable
}

/// A pending acknowledgement that `sent` lines are on disk.
pub type Durable = oneshot::Receiver<std::result::Result<(), String>>;

impl Writer {
    /// Opens (creating with mode 0600, its directory 0700) the journal at `path`.
    pub fn open(path: PathBuf, info: RunInfo) -> Result<Writer> {
        let (file, start) =
            open_append(&path).map_err(|e| refused_journal(&path, &e.to_string()))?;
        let (tx, rx) = mpsc::channel();
        let extent = Extent {
            path: path.clone(),
            start,
            written: 0,
            first_line: Vec::new(),
            last_start: 0,
        };
        let thread = std::thread::Builder::new()
            .name("certctl-journal".into())
            .spawn(move || write_loop(file, rx, extent))
            .map_err(|e| refused_journal(&path, &format!("cannot start its writer: {e}")))?;
        let mut middle = b",\"profile\":".to_vec();
        json::push_str(&mut middle, &info.profile);
        middle.extend_from_slice(b",\"provider\":");
        json::push_str(&mut middle, info.provider);
        middle.extend_from_slice(b",\"operation\":");
        json::push_str(&mut middle, info.operation);
        middle.extend_from_slice(b",\"ids\":");
        let mut tail = Vec::new();
        if let Some(r) = &info.resumes {
            tail.extend_from_slice(b",\"resumes\":");
            json::push_str(&mut tail, r);
        }
        if let Some(p) = &info.plan {
            tail.extend_from_slice(b",\"plan\":");
            json::push_str(&mut tail, p);
        }
        if let Some(t) = &info.locator.template {
            tail.extend_from_slice(b",\"template\":");
            json::push_str(&mut tail, t);
        }
        if info.locator.by_serial {
            tail.extend_from_slice(b",\"by\":\"serial\"");
        }
        if info.locator.external {
            tail.extend_from_slice(b",\"external\":true");
        }
        if info.reconcile {
            tail.extend_from_slice(b",\"reconcile\":true");
        }
        Ok(Writer {
            path,
            lines: Arc::new(Lines {
                info,
                middle,
                tail,
                held: Mutex::new(Vec::new()),
            }),
            tx,
            thread: Some(thread),
        })
    }

    /// A handle for journaling `sent` lines from the tasks that send requests.
    pub fn sent_log(&self) -> SentLog {
        SentLog {
            lines: self.lines.clone(),
            tx: self.tx.clone(),
        }
    }

    /// The error to stop the run with when a write failed.
    pub fn failure(&self, why: &str) -> Error {
        refused_journal(&self.path, why)
    }

    /// Queues the `sent` lines of requests about to go; the answer says when they
    /// are durable. No request may leave before it resolves to `Ok`.
    pub fn sent<'a>(&self, units: impl IntoIterator<Item = &'a [String]>) -> Durable {
        queue_sent(&self.lines, &self.tx, units)
    }

    /// Holds the `done` lines of a finished request until the next message to the
    /// writer thread or [`Writer::flush`]: one per group of items that share an
    /// outcome, error kind and HTTP status. `status` is the last answer's;
    /// `callback` the result URL of an Origin batch that was being polled, which a
    /// later read-back asks instead of searching.
    pub fn done(
        &self,
        ids: &[String],
        status: Option<u16>,
        results: &[ItemResult],
        callback: Option<&str>,
    ) {
        type Key = (&'static str, Option<&'static str>, Option<u16>);
        let key = |result: &ItemResult| -> Key {
            match result.error() {
                None => (result.outcome(), None, status),
                Some(e) => (result.outcome(), Some(e.kind.as_str()), e.http_status),
            }
        };
        let mut groups: Vec<(Key, Vec<&str>)> = Vec::new();
        for (id, result) in ids.iter().zip(results) {
            let key = key(result);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(id),
                None => groups.push((key, vec![id.as_str()])),
            }
        }
        let time = now();
        let mut bytes = Vec::new();
        let mut extra = String::new();
        for ((outcome, kind, status), ids) in groups {
            extra.clear();
            match status {
                Some(s) => {
                    let _ = write!(extra, ",\"http_status\":{s}");
                }
                None => extra.push_str(",\"http_status\":null"),
            }
            let _ = write!(extra, ",\"outcome\":\"{outcome}\"");
            if let Some(kind) = kind {
                let _ = write!(extra, ",\"error_kind\":\"{kind}\"");
            }
            if let Some(url) = callback {
                let mut quoted = Vec::new();
                json::push_str(&mut quoted, url);
                extra.push_str(",\"callback\":");
                extra.push_str(&String::from_utf8_lossy(&quoted));
            }
            self.lines.push_line(&mut bytes, &time, "done", ids, &extra);
        }
        self.lines.hold(&bytes);
    }

    /// Hands the held `done` lines to the writer thread: the run loop calls it
    /// before it waits, so no line stays in memory while nothing else is queued.
    pub fn flush(&self) {
        let held = self.lines.take_held();
        if !held.is_empty() {
            self.queue(held);
        }
    }

    /// Queues `done` lines saying these journaled requests were never sent.
    pub fn not_sent<'a>(&self, units: impl IntoIterator<Item = &'a [String]>) {
        let time = now();
        let mut bytes = Vec::new();
        for ids in units {
            self.lines.push_line(
                &mut bytes,
                &time,
                "done",
                ids.iter().map(String::as_str),
                ",\"http_status\":null,\"outcome\":\"not_sent\"",
            );
        }
        self.queue(bytes);
    }

    /// Queues the lines of items a resumed run did not send: `skipped` ones (done
    /// earlier in the chain) and `held` ones (unknown, reported unknown once more).
    /// They make the run visible in the journal even when it sent nothing, so it can
    /// itself be resumed.
    pub fn not_sent_by_resume(&self, skipped: &[String], held: &[String]) {
        let time = now();
        let mut bytes = Vec::new();
        for chunk in skipped.chunks(1000) {
            self.lines.push_line(
                &mut bytes,
                &time,
                "done",
                chunk.iter().map(String::as_str),
                ",\"http_status\":null,\"outcome\":\"skipped\"",
            );
        }
        for chunk in held.chunks(1000) {
            self.lines.push_line(
                &mut bytes,
                &time,
                "done",
                chunk.iter().map(String::as_str),
                ",\"http_status\":null,\"outcome\":\"unknown\",\"held\":true",
            );
        }
        if !bytes.is_empty() {
            self.queue(bytes);
        }
    }

    /// Queues the `done` lines of items a read-back settled: `applied` as
    /// succeeded, `not_applied` as failed (`not_found` when the item does not
    /// exist); unknown ones get no line.
    pub fn settled(&self, items: &[(String, Settled)]) {
        let time = now();
        let mut bytes = Vec::new();
        for (id, state) in items {
            let extra = match state {
                Settled::Applied(_) => {
                    ",\"http_status\":null,\"outcome\":\"succeeded\",\"reconciled\":\"applied\""
                }
                Settled::NotApplied {
                    kind: Some(crate::error::ErrorKind::NotFound),
                    ..
                } => {
                    ",\"http_status\":null,\"outcome\":\"failed\",\"error_kind\":\"not_found\",\"reconciled\":\"not_applied\""
                }
                Settled::NotApplied { .. } => {
                    ",\"http_status\":null,\"outcome\":\"failed\",\"reconciled\":\"not_applied\""
                }
                Settled::Unknown(_) => continue,
            };
            self.lines
                .push_line(&mut bytes, &time, "done", [id.as_str()], extra);
        }
        if !bytes.is_empty() {
            self.queue(bytes);
        }
    }

    fn queue(&self, bytes: Vec<u8>) {
        let mut all = self.lines.take_held();
        all.extend_from_slice(&bytes);
        let _ = self.tx.send(Msg::Write {
            bytes: all,
            durable: None,
        });
    }

    /// Writes what is queued, syncs it, and closes the file; says whether any write
    /// of the run failed.
    pub async fn finish(mut self) -> std::result::Result<(), String> {
        self.flush();
        let (ack, done) = oneshot::channel();
        let result = match self.tx.send(Msg::Finish(ack)) {
            Ok(()) => done
                .await
                .unwrap_or_else(|_| Err("the journal writer stopped".into())),
            Err(_) => Err("the journal writer stopped".into()),
        };
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        result
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Lines {
    /// Keeps `done` lines until the next message to the writer thread.
    fn hold(&self, bytes: &[u8]) {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
    }

    /// Takes the held `done` lines, to go first in the next message: each is of a
    /// request whose `sent` line is already on disk, so going ahead of lines
    /// queued since keeps every item's lines in order.
    fn take_held(&self) -> Vec<u8> {
        std::mem::take(
            &mut *self
                .held
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Appends one line: the fields every line has, in their order, then `extra`
    /// (`,"key":value` pairs) and the newline. Written by hand rather than through a
    /// `serde_json::Map`, which cloned every ID into a `Value` and was a third of the
    /// CPU of a journaled bulk run; `json::push_str` writes the same bytes serde_json
    /// would.
    fn push_line<'i>(
        &self,
        bytes: &mut Vec<u8>,
        time: &str,
        phase: &str,
        ids: impl IntoIterator<Item = &'i str>,
        extra: &str,
    ) {
        bytes.extend_from_slice(b"{\"run_id\":");
        json::push_str(bytes, &self.info.run_id);
        bytes.extend_from_slice(b",\"time\":\"");
        bytes.extend_from_slice(time.as_bytes());
        bytes.extend_from_slice(b"\",\"phase\":\"");
        bytes.extend_from_slice(phase.as_bytes());
        bytes.extend_from_slice(b"\"");
        bytes.extend_from_slice(&self.middle);
        bytes.push(b'[');
        for (i, id) in ids.into_iter().enumerate() {
            if i > 0 {
                bytes.push(b',');
            }
            json::push_str(bytes, id);
        }
        bytes.push(b']');
        bytes.extend_from_slice(&self.tail);
        bytes.extend_from_slice(extra.as_bytes());
        bytes.extend_from_slice(b"}\n");
    }
}

/// The current time as the journal writes it (RFC 3339, milliseconds, UTC).
fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// Opens `path` for appending, creating it (0600) and its directory (0700), and
/// holds a shared lock on it for the run, which `journal prune` waits for before it
/// rewrites the file; a file left ending in a partial line (a killed writer) gets a
/// newline first, so the next line stays readable. Returns the file and its length
/// once ready, where the run's lines start unless another run appends too.
fn open_append(path: &Path) -> std::io::Result<(File, u64)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = loop {
        let file = options.open(path)?;
        file.lock_shared()?;
        // A prune that held the lock may have renamed a new journal over this one.
        if Identity::of(&file)?.is_at(path) {
            break file;
        }
    };
    let mut len = file.metadata()?.len();
    #[cfg(unix)]
    if len > 0 {
        use std::os::unix::fs::FileExt;
        let mut last = [0u8; 1];
        file.read_exact_at(&mut last, len - 1)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
            len += 1;
        }
    }
    Ok((file, len))
}

/// Where a run's lines went, for the journal's index: when nobody else appended
/// during the run, they are exactly `[start, start + written)`.
struct Extent {
    path: PathBuf,
    start: u64,
    written: u64,
    /// The run's first line.
    first_line: Vec<u8>,
    /// Where its last line starts, from `start`.
    last_start: u64,
}

impl Extent {
    /// Counts a batch of whole lines written.
    fn add(&mut self, blocks: &[Vec<u8>]) {
        for block in blocks.iter().filter(|b| !b.is_empty()) {
            if self.first_line.is_empty() {
                let end = memchr::memchr(b'\n', block).map_or(block.len(), |i| i + 1);
                self.first_line = block[..end].to_vec();
            }
            let last = memchr::memrchr(b'\n', &block[..block.len() - 1]).map_or(0, |i| i + 1);
            self.last_start = self.written + last as u64;
            self.written += block.len() as u64;
        }
    }

    /// Notes the run's lines in the index when they are all its lines hold there.
    fn note(&self, file: &File) {
        let end = self.start + self.written;
        if self.written > 0 && file.metadata().map(|m| m.len()).ok() == Some(end) {
            index::note(
                &self.path,
                file,
                &self.first_line,
                self.start,
                end,
                self.start + self.last_start,
            );
        }
    }
}

/// The writer thread: one write and at most one sync per batch of queued lines.
fn write_loop(mut file: File, rx: mpsc::Receiver<Msg>, mut extent: Extent) {
    let mut failed: Option<String> = None;
    let mut unsynced = false;
    let mut last_sync = Instant::now();
    loop {
        let first = match rx.recv_timeout(SYNC_EVERY) {
            Ok(m) => m,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if unsynced && failed.is_none() {
                    if let Err(e) = file.sync_data() {
                        failed = Some(e.to_string());
                    }
                    unsynced = false;
                    last_sync = Instant::now();
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = file.sync_data();
                return;
            }
        };
        let mut blocks = Vec::new();
        let mut acks = Vec::new();
        let mut finish = None;
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Write { bytes, durable } => {
                    blocks.push(bytes);
                    acks.extend(durable);
                }
                Msg::Finish(ack) => {
                    finish = Some(ack);
                    break;
                }
            }
            next = rx.try_recv().ok();
        }
        if failed.is_none() {
            let sync = !acks.is_empty() || finish.is_some() || last_sync.elapsed() >= SYNC_EVERY;
            let mut result = if blocks.iter().all(Vec::is_empty) {
                Ok(())
            } else {
                unsynced = true;
                write_blocks(&mut file, &blocks)
            };
            if result.is_ok() {
                extent.add(&blocks);
            }
            if result.is_ok() && sync && (unsynced || finish.is_some()) {
                result = file.sync_data();
                unsynced = false;
                last_sync = Instant::now();
            }
            if let Err(e) = result {
                failed = Some(e.to_string());
            }
        }
        let result = match &failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        };
        for ack in acks {
            let _ = ack.send(result.clone());
        }
        if let Some(ack) = finish {
            if result.is_ok() {
                extent.note(&file);
            }
            let _ = ack.send(result);
            return;
        }
    }
}

/// Writes the blocks of a batch in order with as few `writev` calls as the kernel
/// takes, rather than copying them into one buffer first: the lines of a bulk run's
/// look-ahead are hundreds of kilobytes, which a copy would hold twice.
fn write_blocks(file: &mut File, blocks: &[Vec<u8>]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = blocks
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| IoSlice::new(b))
        .collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorKind, ItemError};

    #[tokio::test]
    async fn lines_are_the_json_serde_would_write_with_fields_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        let info = RunInfo {
            run_id: "R1".into(),
            profile: "pro\"file\\".into(),
            provider: "digicert",
            operation: "orders.revoke",
            idempotent: false,
            resumes: Some("R0".into()),
            plan: Some("sha256:ab".into()),
            locator: Locator::default(),
            reconcile: false,
        };
        let w = Writer::open(path.clone(), info).unwrap();
        let ids: Vec<String> = vec!["a".into(), "b\"c".into(), "d".into()];
        w.sent([ids.as_slice(), &ids[..1]]).await.unwrap().unwrap();
        let refused = ItemError::new(ErrorKind::Refused, "no").status(403);
        w.done(
            &ids,
            Some(200),
            &[
                ItemResult::Succeeded(None),
                ItemResult::Failed(refused),
                ItemResult::Succeeded(None),
            ],
            None,
        );
        w.not_sent([&ids[1..]]);
        w.not_sent_by_resume(&ids[..1], &ids[2..]);
        w.finish().await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 7, "{text}");
        let fixed = [
            "run_id",
            "time",
            "phase",
            "profile",
            "provider",
            "operation",
            "ids",
            "resumes",
            "plan",
        ];
        let extras: [&[&str]; 7] = [
            &["idempotent"],
            &["idempotent"],
            &["http_status", "outcome"],
            &["http_status", "outcome", "error_kind"],
            &["http_status", "outcome"],
            &["http_status", "outcome"],
            &["http_status", "outcome", "held"],
        ];
        for (line, extra) in lines.iter().zip(extras) {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value.to_string(), *line);
            let keys: Vec<&str> = value
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let expected: Vec<&str> = fixed.iter().chain(extra).copied().collect();
            assert_eq!(keys, expected, "{line}");
            assert_eq!(value["profile"], "pro\"file\\");
            assert!(humantime::parse_rfc3339(value["time"].as_str().unwrap()).is_ok());
        }
        let done: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
        assert_eq!(done["ids"], serde_json::json!(["b\"c"]));
        assert_eq!(done["http_status"], 403);
        assert_eq!(done["error_kind"], "refused");
    }
}
