//! The journal: an append-only NDJSON record of every state-changing request, read
//! back by `certctl journal` and by `--resume`.
//!
//! A run appends one `"phase":"sent"` line per request, made durable (written and
//! fdatasync'ed) before the request leaves, and `"phase":"done"` lines once its
//! outcome is known. A unit whose items ended differently gets one `done` line per
//! outcome group (same outcome, error kind and HTTP status), each naming its IDs;
//! the outcome is `succeeded`, `failed` or `unknown`. Besides those, a `done` line
//! may say `not_sent` (journaled as about to go, but the run stopped first),
//! `skipped` (a resumed run found it done) or `unknown` with `"held":true` (a resumed
//! run held it back unsent). Lines carry IDs, never a request body or a credential.
//!
//! A resumed run is a run of its own whose every line carries `"resumes"`: the first
//! run of its chain. Reading a chain ([`Chain`]) replays the lines of all its runs in
//! file order, so each item's latest state decides what `--resume` does with it and
//! what `journal show` says of it.
//!
//! One writer thread owns the file: it gathers every line queued while it was busy
//! into one `write` of whole lines on an `O_APPEND` file (so concurrent certctl
//! processes never interleave partial lines) and one fdatasync, which is what makes
//! a bulk run with the journal cost little more than one without. `done` lines are
//! synced with the next batch, at least every second, and at the end of the run.
//!
//! The engine decides when lines are written; this module owns the file format,
//! the writer, the readers behind `journal list`/`show`, and [`Resume`].

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant, SystemTime};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::error::{Error, ErrorKind, ItemError, Result};
use crate::output::ItemResult;

/// The environment variable naming another journal file.
pub const ENV: &str = "CERTCTL_JOURNAL";

/// How long `done` lines may stay written but not synced.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// The journal file: `$CERTCTL_JOURNAL`, else `$XDG_STATE_HOME/certctl/journal.ndjson`.
/// `--sandbox` runs go to a file of their own beside it (`journal-sandbox.ndjson`,
/// or `NAME-sandbox.EXT` beside `$CERTCTL_JOURNAL`), so rehearsals never mix with
/// the record of production changes.
pub fn path(sandbox: bool) -> Result<PathBuf> {
    let path = production_path()?;
    if !sandbox {
        return Ok(path);
    }
    let stem = path
        .file_stem()
        .map_or_else(|| "journal".into(), |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}-sandbox.{}", ext.to_string_lossy()),
        None => format!("{stem}-sandbox"),
    };
    Ok(path.with_file_name(name))
}

fn production_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().map_err(|e| {
        refused_journal(
            Path::new("$XDG_STATE_HOME/certctl/journal.ndjson"),
            &format!("cannot find the home directory: {e}"),
        )
    })?;
    let dir = strategy.state_dir().unwrap_or_else(|| strategy.data_dir());
    Ok(dir.join("certctl").join("journal.ndjson"))
}

/// The error that stops a command whose journal cannot be written.
fn refused_journal(path: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::Refused,
        format!(
            "cannot write the journal {} ({why}), so nothing more was sent",
            path.display()
        ),
    )
    .hint(format!(
        "make it writable, name another file with {ENV}=PATH, or set `journal = false` in the profile to run without a journal"
    ))
}

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
    info: RunInfo,
    tx: mpsc::Sender<Msg>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A pending acknowledgement that `sent` lines are on disk.
pub type Durable = oneshot::Receiver<std::result::Result<(), String>>;

impl Writer {
    /// Opens (creating with mode 0600, its directory 0700) the journal at `path`.
    pub fn open(path: PathBuf, info: RunInfo) -> Result<Writer> {
        let file = open_append(&path).map_err(|e| refused_journal(&path, &e.to_string()))?;
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("certctl-journal".into())
            .spawn(move || write_loop(file, rx))
            .map_err(|e| refused_journal(&path, &format!("cannot start its writer: {e}")))?;
        Ok(Writer {
            path,
            info,
            tx,
            thread: Some(thread),
        })
    }

    /// The error to stop the run with when a write failed.
    pub fn failure(&self, why: &str) -> Error {
        refused_journal(&self.path, why)
    }

    fn line(&self, phase: &str, ids: &[String]) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("run_id".into(), self.info.run_id.clone().into());
        m.insert(
            "time".into(),
            humantime::format_rfc3339_millis(SystemTime::now())
                .to_string()
                .into(),
        );
        m.insert("phase".into(), phase.into());
        m.insert("profile".into(), self.info.profile.clone().into());
        m.insert("provider".into(), self.info.provider.into());
        m.insert("operation".into(), self.info.operation.into());
        m.insert("ids".into(), json!(ids));
        if let Some(r) = &self.info.resumes {
            m.insert("resumes".into(), r.clone().into());
        }
        if let Some(p) = &self.info.plan {
            m.insert("plan".into(), p.clone().into());
        }
        m
    }

    /// Queues the `sent` lines of requests about to go; the answer says when they
    /// are durable. No request may leave before it resolves to `Ok`.
    pub fn sent<'a>(&self, units: impl IntoIterator<Item = &'a [String]>) -> Durable {
        let mut bytes = Vec::new();
        for ids in units {
            let mut m = self.line("sent", ids);
            m.insert("idempotent".into(), self.info.idempotent.into());
            push_line(&mut bytes, m);
        }
        let (ack, durable) = oneshot::channel();
        if self
            .tx
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

    /// Queues the `done` lines of a finished request: one per group of items that
    /// share an outcome, error kind and HTTP status. `status` is the last answer's.
    pub fn done(&self, ids: &[String], status: Option<u16>, results: &[ItemResult]) {
        type Key = (&'static str, Option<&'static str>, Option<u16>);
        let mut groups: Vec<(Key, Vec<String>)> = Vec::new();
        for (id, result) in ids.iter().zip(results) {
            let key: Key = match result.error() {
                None => (result.outcome(), None, status),
                Some(e) => (result.outcome(), Some(e.kind.as_str()), e.http_status),
            };
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(id.clone()),
                None => groups.push((key, vec![id.clone()])),
            }
        }
        let mut bytes = Vec::new();
        for ((outcome, kind, status), ids) in groups {
            let mut m = self.line("done", &ids);
            m.insert("http_status".into(), json!(status));
            m.insert("outcome".into(), outcome.into());
            if let Some(kind) = kind {
                m.insert("error_kind".into(), kind.into());
            }
            push_line(&mut bytes, m);
        }
        self.queue(bytes);
    }

    /// Queues `done` lines saying these journaled requests were never sent.
    pub fn not_sent<'a>(&self, units: impl IntoIterator<Item = &'a [String]>) {
        let mut bytes = Vec::new();
        for ids in units {
            let mut m = self.line("done", ids);
            m.insert("http_status".into(), Value::Null);
            m.insert("outcome".into(), "not_sent".into());
            push_line(&mut bytes, m);
        }
        self.queue(bytes);
    }

    /// Queues the lines of items a resumed run did not send: `skipped` ones (done
    /// earlier in the chain) and `held` ones (unknown, reported unknown once more).
    /// They make the run visible in the journal even when it sent nothing, so it can
    /// itself be resumed.
    pub fn not_sent_by_resume(&self, skipped: &[String], held: &[String]) {
        let mut bytes = Vec::new();
        for chunk in skipped.chunks(1000) {
            let mut m = self.line("done", chunk);
            m.insert("http_status".into(), Value::Null);
            m.insert("outcome".into(), "skipped".into());
            push_line(&mut bytes, m);
        }
        for chunk in held.chunks(1000) {
            let mut m = self.line("done", chunk);
            m.insert("http_status".into(), Value::Null);
            m.insert("outcome".into(), "unknown".into());
            m.insert("held".into(), true.into());
            push_line(&mut bytes, m);
        }
        if !bytes.is_empty() {
            self.queue(bytes);
        }
    }

    fn queue(&self, bytes: Vec<u8>) {
        let _ = self.tx.send(Msg::Write {
            bytes,
            durable: None,
        });
    }

    /// Writes what is queued, syncs it, and closes the file; says whether any write
    /// of the run failed.
    pub async fn finish(mut self) -> std::result::Result<(), String> {
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

fn push_line(bytes: &mut Vec<u8>, m: serde_json::Map<String, Value>) {
    // Serializing a map of strings and numbers cannot fail.
    if serde_json::to_writer(&mut *bytes, &Value::Object(m)).is_ok() {
        bytes.push(b'\n');
    }
}

/// Opens `path` for appending, creating it (0600) and its directory (0700); a file
/// left ending in a partial line (a killed writer) gets a newline first, so the next
/// line stays readable.
fn open_append(path: &Path) -> std::io::Result<File> {
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
    let mut file = options.open(path)?;
    let len = file.metadata()?.len();
    #[cfg(unix)]
    if len > 0 {
        use std::os::unix::fs::FileExt;
        let mut last = [0u8; 1];
        file.read_exact_at(&mut last, len - 1)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
        }
    }
    Ok(file)
}

/// The writer thread: one write and at most one sync per batch of queued lines.
fn write_loop(mut file: File, rx: mpsc::Receiver<Msg>) {
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
        let mut buf = Vec::new();
        let mut acks = Vec::new();
        let mut finish = None;
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Write { bytes, durable } => {
                    buf.extend_from_slice(&bytes);
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
            let mut result = if buf.is_empty() {
                Ok(())
            } else {
                unsynced = true;
                file.write_all(&buf)
            };
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
            let _ = ack.send(result);
            return;
        }
    }
}

/// One journal line as read back; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// The run it belongs to.
    pub run_id: String,
    /// When it was written (RFC 3339).
    pub time: String,
    /// `sent` or `done`.
    pub phase: String,
    /// The profile of the run.
    #[serde(default)]
    pub profile: String,
    /// The provider's name.
    pub provider: String,
    /// The operation's name.
    pub operation: String,
    /// The items of the request (of the outcome group, for `done`).
    pub ids: Vec<String>,
    /// `done`: the HTTP status of the last answer, if there was one.
    #[serde(default)]
    pub http_status: Option<u16>,
    /// `done`: `succeeded`, `failed`, `unknown`, `not_sent` or `skipped`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// `done`, failed or unknown items: the error kind.
    #[serde(default)]
    pub error_kind: Option<String>,
    /// The first run of the chain this run resumes (`resume_of`, the run it resumed
    /// directly, in journals of earlier versions).
    #[serde(default, alias = "resume_of")]
    pub resumes: Option<String>,
    /// `done` with `unknown`: held back by a resumed run, not sent.
    #[serde(default)]
    pub held: bool,
    /// The digest of the plan the run applied (`certctl apply`).
    #[serde(default)]
    pub plan: Option<String>,
}

/// Reads every well-formed line of the journal in order; a line that does not parse
/// (one cut short by a killed process) is skipped with one warning. A missing file
/// reads as empty and says so by returning `false`.
pub fn scan(path: &Path, each: impl FnMut(Entry)) -> Result<bool> {
    scan_lines(path, true, each)
}

/// [`scan`], warning about unreadable lines only when `warn` (a second pass of the
/// same file stays quiet).
fn scan_lines(path: &Path, warn: bool, mut each: impl FnMut(Entry)) -> Result<bool> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(Error::new(
                ErrorKind::Refused,
                format!("cannot read the journal {}: {e}", path.display()),
            ));
        }
    };
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut bad: Vec<usize> = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|e| {
            Error::new(
                ErrorKind::Refused,
                format!("cannot read the journal {}: {e}", path.display()),
            )
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = buf.trim_ascii();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Entry>(text) {
            Ok(e) if e.phase == "sent" || e.phase == "done" => each(e),
            _ => bad.push(line_no),
        }
    }
    if let Some(first) = bad.first().filter(|_| warn) {
        tracing::warn!(
            "skipped {} unreadable line(s) of the journal {} (first: line {first}); a process killed while writing can leave one",
            bad.len(),
            path.display()
        );
    }
    Ok(true)
}

/// One run as `journal list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// The run's identifier.
    pub run_id: String,
    /// When its first line was written.
    pub time: String,
    /// The profile it ran with.
    pub profile: String,
    /// The provider.
    pub provider: String,
    /// The operation.
    pub operation: String,
    /// The first run of the chain this run resumed, if it resumed one.
    pub resumes: Option<String>,
    /// Items the run sent, skipped or held back.
    pub items: u64,
    /// Items that succeeded.
    pub succeeded: u64,
    /// Items that failed.
    pub failed: u64,
    /// Items that may or may not have been applied: reported unknown, or sent with
    /// no recorded outcome (the run was killed).
    pub unknown: u64,
    /// Items a resumed run skipped because they were done.
    pub skipped: u64,
    /// Items journaled as about to go but never sent (the run was interrupted).
    pub not_sent: u64,
}

impl RunSummary {
    fn new(e: &Entry) -> RunSummary {
        RunSummary {
            run_id: e.run_id.clone(),
            time: e.time.clone(),
            profile: e.profile.clone(),
            provider: e.provider.clone(),
            operation: e.operation.clone(),
            resumes: e.resumes.clone(),
            items: 0,
            succeeded: 0,
            failed: 0,
            unknown: 0,
            skipped: 0,
            not_sent: 0,
        }
    }
}

/// Line counts of one run, turned into a [`RunSummary`] at the end.
#[derive(Default)]
struct Tally {
    sent: u64,
    succeeded: u64,
    failed: u64,
    unknown: u64,
    held: u64,
    skipped: u64,
    not_sent: u64,
}

impl Tally {
    fn add(&mut self, e: &Entry) {
        let n = e.ids.len() as u64;
        match (e.phase.as_str(), e.outcome.as_deref()) {
            ("sent", _) => self.sent += n,
            (_, Some("succeeded")) => self.succeeded += n,
            (_, Some("unknown")) if e.held => self.held += n,
            (_, Some("unknown")) => self.unknown += n,
            (_, Some("not_sent")) => self.not_sent += n,
            (_, Some("skipped")) => self.skipped += n,
            _ => self.failed += n,
        }
    }

    fn fill(&self, run: &mut RunSummary) {
        let answered = self.succeeded + self.failed + self.unknown + self.not_sent;
        run.items = self.sent + self.held + self.skipped;
        run.succeeded = self.succeeded;
        run.failed = self.failed;
        run.unknown = self.unknown + self.held + self.sent.saturating_sub(answered);
        run.skipped = self.skipped;
        run.not_sent = self.not_sent;
    }
}

/// Every run in the journal, most recent first.
pub fn runs(path: &Path) -> Result<Vec<RunSummary>> {
    let mut order: Vec<String> = Vec::new();
    let mut by_id: HashMap<String, (RunSummary, Tally)> = HashMap::new();
    scan(path, |e| {
        let (run, tally) = by_id.entry(e.run_id.clone()).or_insert_with(|| {
            order.push(e.run_id.clone());
            (RunSummary::new(&e), Tally::default())
        });
        if run.resumes.is_none() {
            run.resumes = e.resumes.clone();
        }
        tally.add(&e);
    })?;
    let mut list: Vec<RunSummary> = order
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .map(|(mut run, tally)| {
            tally.fill(&mut run);
            run
        })
        .collect();
    // Lines of concurrent runs interleave; order runs by their start, newest first.
    list.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.run_id.cmp(&a.run_id)));
    Ok(list)
}

/// The latest state of one item across a chain of runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Succeeded,
    Failed,
    /// Reported unknown, or sent with no outcome recorded (the run was killed).
    Unknown,
    NotSent,
}

impl State {
    /// The state after line `e`; a `skipped` line changes nothing.
    fn after(prev: Option<State>, e: &Entry) -> Option<State> {
        if e.phase == "sent" {
            return Some(State::Unknown);
        }
        match e.outcome.as_deref() {
            Some("succeeded") => Some(State::Succeeded),
            Some("unknown") => Some(State::Unknown),
            Some("not_sent") => Some(State::NotSent),
            Some("skipped") => prev.or(Some(State::Succeeded)),
            _ => Some(State::Failed),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            State::Succeeded => "succeeded",
            State::Failed => "failed",
            State::Unknown => "unknown",
            State::NotSent => "not_sent",
        }
    }
}

/// A run and the runs that resumed it, read from the journal: what `--resume` and
/// `journal show` work from.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The first run of the chain.
    pub root: String,
    /// Every run of the chain, the first one included.
    pub runs: Vec<RunSummary>,
    members: HashSet<String>,
}

impl Chain {
    /// The chain run `run_id` belongs to, or `None` if the journal has no such run.
    /// Runs resume the first run of their chain; journals of earlier versions name
    /// the run resumed directly, so links are followed back to the first.
    pub fn find(path: &Path, run_id: &str) -> Result<Option<Chain>> {
        let list = runs(path)?;
        let by_id: HashMap<&str, &RunSummary> =
            list.iter().map(|r| (r.run_id.as_str(), r)).collect();
        let root_of = |id: &str| -> String {
            let mut cur = id.to_string();
            let mut hops = 0;
            while let Some(parent) = by_id.get(cur.as_str()).and_then(|r| r.resumes.as_deref()) {
                if !by_id.contains_key(parent) || hops > list.len() {
                    break;
                }
                cur = parent.to_string();
                hops += 1;
            }
            cur
        };
        if !by_id.contains_key(run_id) {
            return Ok(None);
        }
        let root = root_of(run_id);
        let Some(first) = by_id.get(root.as_str()) else {
            return Ok(None);
        };
        let mut runs: Vec<RunSummary> = list
            .iter()
            .filter(|r| r.provider == first.provider && r.operation == first.operation)
            .filter(|r| root_of(&r.run_id) == root)
            .cloned()
            .collect();
        runs.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.run_id.cmp(&b.run_id)));
        let members = runs.iter().map(|r| r.run_id.clone()).collect();
        Ok(Some(Chain {
            root,
            runs,
            members,
        }))
    }

    /// The first run of the chain.
    pub fn first(&self) -> Option<&RunSummary> {
        self.runs.iter().find(|r| r.run_id == self.root)
    }

    /// Calls `each` with every line of the chain's runs, in file order.
    fn replay(&self, path: &Path, warn: bool, mut each: impl FnMut(&Entry)) -> Result<()> {
        scan_lines(path, warn, |e| {
            if self.members.contains(&e.run_id) {
                each(&e);
            }
        })
        .map(|_| ())
    }
}

/// One item of a chain as `journal show` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemState {
    /// The item's ID.
    pub id: String,
    /// `succeeded`, `failed`, `unknown` (reported unknown, or sent with no outcome
    /// recorded) or `not_sent`.
    pub outcome: String,
    /// The HTTP status of the last answer, if there was one.
    pub http_status: Option<u16>,
    /// The error kind of a failed or unknown item.
    pub error_kind: Option<String>,
    /// The run that last acted on it.
    pub run_id: String,
    /// When its request was last journaled as sent.
    pub sent: Option<String>,
    /// When its latest outcome was recorded.
    pub done: Option<String>,
}

/// The items of `chain` with their latest outcome, in the order they were first sent.
pub fn chain_items(path: &Path, chain: &Chain) -> Result<Vec<ItemState>> {
    let mut items: Vec<ItemState> = Vec::new();
    let mut states: Vec<Option<State>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    chain.replay(path, true, |e| {
        for id in &e.ids {
            let i = *index.entry(id.clone()).or_insert_with(|| {
                items.push(ItemState {
                    id: id.clone(),
                    outcome: String::new(),
                    http_status: None,
                    error_kind: None,
                    run_id: e.run_id.clone(),
                    sent: None,
                    done: None,
                });
                states.push(None);
                items.len() - 1
            });
            let prev = states[i];
            let next = State::after(prev, e);
            if e.outcome.as_deref() == Some("skipped") && prev.is_some() {
                continue;
            }
            states[i] = next;
            let item = &mut items[i];
            item.run_id = e.run_id.clone();
            if e.phase == "sent" {
                item.sent = Some(e.time.clone());
                item.done = None;
                item.http_status = None;
                item.error_kind = None;
            } else {
                item.done = Some(e.time.clone());
                item.http_status = e.http_status;
                item.error_kind = e.error_kind.clone();
            }
        }
    })?;
    for (item, state) in items.iter_mut().zip(states) {
        item.outcome = state.unwrap_or(State::Unknown).as_str().to_string();
    }
    Ok(items)
}

/// The error for a run the journal does not hold.
pub fn no_such_run(path: &Path, run_id: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("the journal {} has no run `{run_id}`", path.display()),
    )
    .hint("`certctl journal list` shows the recorded runs")
}

/// What `--resume` does with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Send it: never sent, failed, not sent, or unknown and safe to send again.
    Send,
    /// It succeeded earlier in the chain: count it as skipped.
    Skip,
    /// Unknown and not safe to send twice: report it unknown again for the user to
    /// check, unless `--retry-unknown`.
    Hold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Succeeded,
    Unknown,
    Other,
}

/// What `--resume RUN_ID` knows of a chain of runs: which items succeeded and which
/// are unknown, keyed by a 16-byte fingerprint of each ID (as the input reader
/// deduplicates), so resuming a million-item run costs megabytes.
///
/// Any run of a chain may be named: the whole chain is read, each item's latest
/// state deciding, and the new run joins the chain (its lines carry `resumes` =
/// [`Resume::root`]), so a run can be resumed again and again until every item is done.
#[derive(Debug)]
pub struct Resume {
    run_id: String,
    root: String,
    provider: String,
    operation: String,
    /// The digest of the plan the chain's first run applied, if it applied one.
    plan: Option<String>,
    seen: HashMap<u128, Seen>,
    idempotent: OnceLock<bool>,
    retry_unknown: bool,
    skipped: AtomicU64,
    skipped_ids: Mutex<Vec<String>>,
    held: Mutex<Vec<String>>,
}

fn fingerprint(id: &str) -> u128 {
    let digest = Md5::digest(id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest);
    u128::from_le_bytes(bytes)
}

impl Resume {
    /// Reads the chain of run `run_id` from the journal at `path`. With
    /// `retry_unknown`, unknown items of a non-idempotent operation are sent again
    /// (the operator checked them). A run the journal does not hold is a usage error.
    pub fn load(path: &Path, run_id: &str, retry_unknown: bool) -> Result<Resume> {
        let Some(chain) = Chain::find(path, run_id)? else {
            return Err(Error::usage(format!(
                "--resume {run_id}: the journal {} has no run `{run_id}`",
                path.display()
            ))
            .hint("`certctl journal list` shows the recorded runs (with --sandbox, the sandbox's runs)"));
        };
        let (provider, operation) = match chain.first() {
            Some(r) => (r.provider.clone(), r.operation.clone()),
            None => (String::new(), String::new()),
        };
        let mut seen = HashMap::new();
        let mut plan = None;
        chain.replay(path, false, |e| {
            if e.run_id == chain.root && plan.is_none() {
                plan.clone_from(&e.plan);
            }
            for id in &e.ids {
                let key = fingerprint(id);
                let prev = seen.get(&key).map(|s| match s {
                    Seen::Succeeded => State::Succeeded,
                    Seen::Unknown => State::Unknown,
                    Seen::Other => State::Failed,
                });
                let state = match State::after(prev, e) {
                    Some(State::Succeeded) => Seen::Succeeded,
                    Some(State::Unknown) => Seen::Unknown,
                    _ => Seen::Other,
                };
                seen.insert(key, state);
            }
        })?;
        Ok(Resume {
            run_id: run_id.to_string(),
            root: chain.root,
            provider,
            operation,
            plan,
            seen,
            idempotent: OnceLock::new(),
            retry_unknown,
            skipped: AtomicU64::new(0),
            skipped_ids: Mutex::new(Vec::new()),
            held: Mutex::new(Vec::new()),
        })
    }

    /// The run named with `--resume`.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The first run of the chain, which the new run's lines name in `resumes`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Checks the operation is the one the chain ran and learns whether it may be
    /// sent twice; another provider or operation is a usage error.
    pub fn attach(&self, provider: &str, operation: &str, idempotent: bool) -> Result<()> {
        if provider != self.provider || operation != self.operation {
            return Err(Error::usage(format!(
                "--resume {}: that run was {} {}, not {provider} {operation}; --resume only continues the same operation",
                self.run_id, self.provider, self.operation
            )));
        }
        let _ = self.idempotent.set(idempotent);
        Ok(())
    }

    /// Checks that a plan being applied with `--resume` is the plan the chain
    /// applied: continuing another plan's run would skip and resend by the wrong list.
    pub fn check_plan(&self, digest: &str) -> Result<()> {
        if self.plan.as_deref() == Some(digest) {
            return Ok(());
        }
        let what = match &self.plan {
            Some(other) => format!("applied the plan {other}"),
            None => "did not apply a plan".to_string(),
        };
        Err(Error::usage(format!(
            "--resume {}: that run {what}, not this plan {digest}; --resume only continues the same plan",
            self.run_id
        )))
    }

    /// What to do with `id`. Before [`Resume::attach`], an unknown item is sent
    /// (the engine checks it again per request once it knows the operation).
    pub fn plan(&self, id: &str) -> Plan {
        match self.seen.get(&fingerprint(id)) {
            Some(Seen::Succeeded) => Plan::Skip,
            Some(Seen::Unknown) if self.idempotent.get() == Some(&false) && !self.retry_unknown => {
                Plan::Hold
            }
            _ => Plan::Send,
        }
    }

    /// Whether `id` succeeded earlier in the chain (it will not be sent).
    pub fn is_settled(&self, id: &str) -> bool {
        self.plan(id) == Plan::Skip
    }

    /// Decides and records: `true` to send `id`; otherwise it is counted as skipped
    /// or held back for the user to check.
    pub fn admit(&self, id: &str) -> bool {
        match self.plan(id) {
            Plan::Send => true,
            Plan::Skip => {
                self.skipped.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut list) = self.skipped_ids.lock() {
                    list.push(id.to_string());
                }
                false
            }
            Plan::Hold => {
                if let Ok(mut held) = self.held.lock() {
                    held.push(id.to_string());
                }
                false
            }
        }
    }

    /// Whether a request over `ids` is sent: yes when any item needs it (a request
    /// cannot be split, so a mixed request goes whole); otherwise each item is
    /// recorded as skipped or held.
    pub fn admit_unit(&self, ids: &[String]) -> bool {
        if ids.iter().any(|id| self.plan(id) == Plan::Send) {
            return true;
        }
        for id in ids {
            self.admit(id);
        }
        false
    }

    /// How many items were skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// The IDs skipped since the last call, for the journal.
    pub fn take_skipped(&self) -> Vec<String> {
        match self.skipped_ids.lock() {
            Ok(mut list) => std::mem::take(&mut *list),
            Err(_) => Vec::new(),
        }
    }

    /// The items held back since the last call, each with the error that says why
    /// it stays unknown.
    pub fn take_held(&self) -> Vec<(String, ItemError)> {
        let held = match self.held.lock() {
            Ok(mut h) => std::mem::take(&mut *h),
            Err(_) => Vec::new(),
        };
        held.into_iter()
            .map(|id| {
                let e = ItemError::new(
                    ErrorKind::Transient,
                    format!(
                        "its outcome is unknown since an earlier run of chain {} (the change may have been applied), and this operation is not safe to send twice, so it was not sent: check it at the provider, then resume with --retry-unknown to send it",
                        self.root
                    ),
                );
                (id, e)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(run: &str, resumes: Option<&str>, idempotent: bool) -> RunInfo {
        RunInfo {
            run_id: run.into(),
            profile: "default".into(),
            provider: "digicert",
            operation: "orders.revoke",
            idempotent,
            resumes: resumes.map(String::from),
            plan: None,
        }
    }

    #[test]
    fn resume_of_a_plan_checks_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.ndjson");
        std::fs::write(
            &path,
            concat!(
                r#"{"run_id":"R1","time":"2026-11-29T10:00:00Z","phase":"sent","profile":"p","provider":"digicert","operation":"orders.revoke","ids":["1"],"plan":"sha256:aa","idempotent":false}"#,
                "\n"
            ),
        )
        .unwrap();
        let resume = Resume::load(&path, "R1", false).unwrap();
        assert!(resume.check_plan("sha256:aa").is_ok());
        let other = resume.check_plan("sha256:bb").unwrap_err();
        assert_eq!(other.kind(), ErrorKind::Usage);
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn ok() -> ItemResult {
        ItemResult::Succeeded(None)
    }

    fn failed(status: u16) -> ItemResult {
        ItemResult::Failed(ItemError::new(ErrorKind::Rejected, "no").status(status))
    }

    fn unknown() -> ItemResult {
        ItemResult::Unknown(ItemError::new(ErrorKind::Transient, "dropped").maybe_applied())
    }

    #[tokio::test]
    async fn lines_are_written_read_and_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/certctl/journal.ndjson");
        let w = Writer::open(path.clone(), info("R1", None, false)).unwrap();
        let (a, b, c, d) = (ids(&["a"]), ids(&["b", "c"]), ids(&["d"]), ids(&["e"]));
        w.sent([a.as_slice(), b.as_slice(), c.as_slice(), d.as_slice()])
            .await
            .unwrap()
            .unwrap();
        w.done(&a, Some(201), &[ok()]);
        w.done(&b, Some(400), &[ok(), failed(400)]);
        w.not_sent([d.as_slice()]);
        w.finish().await.unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        // A partial line left by a killed process is skipped, and the next writer
        // starts on a fresh line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"run_id\":\"R0\",\"ti")
            .unwrap();
        let list = runs(&path).unwrap();
        let r1 = list.iter().find(|r| r.run_id == "R1").unwrap();
        assert_eq!(
            (r1.items, r1.succeeded, r1.failed, r1.unknown, r1.not_sent),
            (5, 2, 1, 1, 1)
        );

        // R2 resumes R1: `d` (sent, no outcome) is held, `c` and `e` are sent again.
        let resume = Resume::load(&path, "R1", false).unwrap();
        assert!(
            resume
                .attach("digicert", "certificates.revoke", false)
                .is_err()
        );
        resume.attach("digicert", "orders.revoke", false).unwrap();
        use Plan::*;
        let plans: Vec<Plan> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|id| resume.plan(id))
            .collect();
        assert_eq!(plans, [Skip, Skip, Send, Hold, Send, Send]);
        assert_eq!(resume.root(), "R1");
        let w = Writer::open(path.clone(), info("R2", Some("R1"), false)).unwrap();
        let (c, e) = (ids(&["c"]), ids(&["e"]));
        w.not_sent_by_resume(&ids(&["a", "b"]), &ids(&["d"]));
        w.sent([c.as_slice(), e.as_slice()]).await.unwrap().unwrap();
        w.done(&c, Some(201), &[ok()]);
        w.done(&e, None, &[unknown()]);
        w.finish().await.unwrap();

        // Resuming R2 (or R1) reads the whole chain: only `d` and `e` are left, both
        // unknown, held unless --retry-unknown.
        for named in ["R1", "R2"] {
            let resume = Resume::load(&path, named, false).unwrap();
            resume.attach("digicert", "orders.revoke", false).unwrap();
            let plans: Vec<Plan> = ["a", "b", "c", "d", "e"]
                .iter()
                .map(|id| resume.plan(id))
                .collect();
            assert_eq!(plans, [Skip, Skip, Skip, Hold, Hold], "{named}");
            assert_eq!(resume.root(), "R1");
        }
        let retry = Resume::load(&path, "R2", true).unwrap();
        retry.attach("digicert", "orders.revoke", false).unwrap();
        assert_eq!(retry.plan("d"), Send);
        assert!(!retry.admit("a"));
        assert_eq!(retry.skipped(), 1);
        assert_eq!(retry.take_skipped(), ids(&["a"]));

        let chain = Chain::find(&path, "R2").unwrap().unwrap();
        assert_eq!(chain.root, "R1");
        assert_eq!(chain.runs.len(), 2);
        let items = chain_items(&path, &chain).unwrap();
        let shown: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.id.as_str(), i.outcome.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("a", "succeeded"),
                ("b", "succeeded"),
                ("c", "succeeded"),
                ("d", "unknown"),
                ("e", "unknown")
            ]
        );
        assert_eq!(items[2].run_id, "R2");
        let list = runs(&path).unwrap();
        let r2 = list.iter().find(|r| r.run_id == "R2").unwrap();
        assert_eq!(r2.resumes.as_deref(), Some("R1"));
        assert_eq!(
            (r2.items, r2.succeeded, r2.unknown, r2.skipped),
            (5, 1, 2, 2)
        );
        assert!(Chain::find(&path, "nope").unwrap().is_none());
        assert_eq!(
            Resume::load(&path, "nope", false).unwrap_err().kind(),
            ErrorKind::Usage
        );
    }

    #[tokio::test]
    async fn a_resume_that_sent_nothing_can_itself_be_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        let w = Writer::open(path.clone(), info("R1", None, false)).unwrap();
        let a = ids(&["a"]);
        w.sent([a.as_slice()]).await.unwrap().unwrap();
        w.finish().await.unwrap();
        let w = Writer::open(path.clone(), info("R2", Some("R1"), false)).unwrap();
        w.not_sent_by_resume(&[], &a);
        w.finish().await.unwrap();
        let resume = Resume::load(&path, "R2", false).unwrap();
        resume.attach("digicert", "orders.revoke", false).unwrap();
        assert_eq!(resume.plan("a"), Plan::Hold);
    }

    #[test]
    fn older_journals_chain_through_resume_of() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        let line = |run: &str, phase: &str, extra: &str| {
            format!(
                "{{\"run_id\":\"{run}\",\"time\":\"2026-01-01T00:00:0{}Z\",\"phase\":\"{phase}\",\"profile\":\"p\",\"provider\":\"digicert\",\"operation\":\"orders.revoke\",\"ids\":[\"x\"]{extra}}}\n",
                &run[1..]
            )
        };
        let text = line("R1", "sent", "")
            + &line("R2", "sent", ",\"resume_of\":\"R1\"")
            + &line("R3", "sent", ",\"resume_of\":\"R2\"")
            + &line(
                "R3",
                "done",
                ",\"outcome\":\"succeeded\",\"http_status\":201",
            );
        std::fs::write(&path, text).unwrap();
        let chain = Chain::find(&path, "R3").unwrap().unwrap();
        assert_eq!(chain.root, "R1");
        assert_eq!(chain.runs.len(), 3);
        let resume = Resume::load(&path, "R1", false).unwrap();
        resume.attach("digicert", "orders.revoke", false).unwrap();
        assert_eq!(resume.plan("x"), Plan::Skip);
    }

    #[test]
    fn unknown_items_are_resent_when_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        std::fs::write(
            &path,
            "{\"run_id\":\"R\",\"time\":\"t\",\"phase\":\"sent\",\"provider\":\"p\",\"operation\":\"o\",\"ids\":[\"x\"]}\n",
        )
        .unwrap();
        let resume = Resume::load(&path, "R", false).unwrap();
        assert_eq!(resume.plan("x"), Plan::Send);
        resume.attach("p", "o", true).unwrap();
        assert_eq!(resume.plan("x"), Plan::Send);
        assert!(resume.admit_unit(&ids(&["x"])));
    }

    #[test]
    fn sandbox_runs_have_a_journal_of_their_own() {
        let prod = path(false).unwrap();
        let sandbox = path(true).unwrap();
        assert_ne!(prod, sandbox);
        assert_eq!(prod.parent(), sandbox.parent());
        assert!(
            sandbox
                .file_name()
                .unwrap()
                .to_string_lossy()
                .contains("-sandbox")
        );
    }

    #[test]
    fn an_unwritable_journal_is_refused() {
        let err = Writer::open(PathBuf::from("/proc/nope/journal"), info("R", None, true))
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::Refused);
        assert!(err.hint_text().unwrap().contains("journal = false"));
    }
}
