//! The journal: an append-only NDJSON record of every state-changing request, read
//! back by `certctl journal` and by `--resume`.
//!
//! A run appends one `"phase":"sent"` line per request, made durable (written and
//! fdatasync'ed) before the request leaves, and `"phase":"done"` lines once its
//! outcome is known. A unit whose items ended differently gets one `done` line per
//! outcome group (same outcome, error kind and HTTP status), each naming its IDs. A
//! request that was journaled as about to go but was never sent (the run was
//! interrupted or stopped first) gets a `done` line with the outcome `not_sent`.
//! Lines carry IDs, never a request body or a credential.
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
use crate::output::Reply;

/// The environment variable naming another journal file.
pub const ENV: &str = "CERTCTL_JOURNAL";

/// How long `done` lines may stay written but not synced.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// The journal file: `$CERTCTL_JOURNAL`, else `$XDG_STATE_HOME/certctl/journal.ndjson`.
pub fn path() -> Result<PathBuf> {
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
    /// The run this one resumes, if any.
    pub resume_of: Option<String>,
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
        m
    }

    /// Queues the `sent` lines of requests about to go; the answer says when they
    /// are durable. No request may leave before it resolves to `Ok`.
    pub fn sent<'a>(&self, units: impl IntoIterator<Item = &'a [String]>) -> Durable {
        let mut bytes = Vec::new();
        for ids in units {
            let mut m = self.line("sent", ids);
            m.insert("idempotent".into(), self.info.idempotent.into());
            if let Some(r) = &self.info.resume_of {
                m.insert("resume_of".into(), r.clone().into());
            }
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
    pub fn done(
        &self,
        ids: &[String],
        status: Option<u16>,
        results: &[std::result::Result<Option<Reply>, ItemError>],
    ) {
        type Key = (&'static str, Option<&'static str>, Option<u16>);
        let mut groups: Vec<(Key, Vec<String>)> = Vec::new();
        for (id, result) in ids.iter().zip(results) {
            let key: Key = match result {
                Ok(_) => ("succeeded", None, status),
                Err(e) => ("failed", Some(e.kind.as_str()), e.http_status),
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
        let _ = self.tx.send(Msg::Write {
            bytes,
            durable: None,
        });
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
    /// `done`: `succeeded`, `failed` or `not_sent`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// `done`, failed items: the error kind.
    #[serde(default)]
    pub error_kind: Option<String>,
    /// `sent`: the run this run resumed.
    #[serde(default)]
    pub resume_of: Option<String>,
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
    /// Items sent (or about to be).
    pub items: u64,
    /// Items that succeeded.
    pub succeeded: u64,
    /// Items that failed.
    pub failed: u64,
    /// Items sent with no recorded outcome (the run was killed).
    pub unknown: u64,
    /// Items journaled as about to go but never sent (the run was interrupted).
    pub not_sent: u64,
}

/// Every run in the journal, most recent first.
pub fn runs(path: &Path) -> Result<Vec<RunSummary>> {
    let mut order: Vec<String> = Vec::new();
    let mut by_id: HashMap<String, RunSummary> = HashMap::new();
    scan(path, |e| {
        let run = by_id.entry(e.run_id.clone()).or_insert_with(|| {
            order.push(e.run_id.clone());
            RunSummary {
                run_id: e.run_id.clone(),
                time: e.time.clone(),
                profile: e.profile.clone(),
                provider: e.provider.clone(),
                operation: e.operation.clone(),
                items: 0,
                succeeded: 0,
                failed: 0,
                unknown: 0,
                not_sent: 0,
            }
        });
        let n = e.ids.len() as u64;
        match (e.phase.as_str(), e.outcome.as_deref()) {
            ("sent", _) => run.items += n,
            (_, Some("succeeded")) => run.succeeded += n,
            (_, Some("not_sent")) => run.not_sent += n,
            _ => run.failed += n,
        }
    })?;
    let mut list: Vec<RunSummary> = order
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .map(|mut r| {
            r.unknown = r.items.saturating_sub(r.succeeded + r.failed + r.not_sent);
            r
        })
        .collect();
    // Lines of concurrent runs interleave; order runs by their start, newest first.
    list.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.run_id.cmp(&a.run_id)));
    Ok(list)
}

/// One item of a run as `journal show` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemState {
    /// The item's ID.
    pub id: String,
    /// `succeeded`, `failed`, `not_sent`, or `unknown` (sent, no outcome recorded).
    pub outcome: String,
    /// The HTTP status of the last answer, if there was one.
    pub http_status: Option<u16>,
    /// The error kind of a failed item.
    pub error_kind: Option<String>,
    /// When its request was journaled as sent.
    pub sent: String,
    /// When its outcome was recorded.
    pub done: Option<String>,
}

/// The run `run_id` and its items in the order they were sent, or `None` if the
/// journal has no such run.
pub fn run_items(path: &Path, run_id: &str) -> Result<Option<(RunSummary, Vec<ItemState>)>> {
    let mut items: Vec<ItemState> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut head: Option<Entry> = None;
    scan(path, |e| {
        if e.run_id != run_id {
            return;
        }
        if head.is_none() {
            head = Some(e.clone());
        }
        for id in &e.ids {
            if e.phase == "sent" {
                match index.get(id) {
                    Some(&i) => {
                        items[i].outcome = "unknown".into();
                        items[i].sent = e.time.clone();
                        items[i].done = None;
                    }
                    None => {
                        index.insert(id.clone(), items.len());
                        items.push(ItemState {
                            id: id.clone(),
                            outcome: "unknown".into(),
                            http_status: None,
                            error_kind: None,
                            sent: e.time.clone(),
                            done: None,
                        });
                    }
                }
            } else if let Some(&i) = index.get(id) {
                let item = &mut items[i];
                item.outcome = e.outcome.clone().unwrap_or_else(|| "failed".into());
                item.http_status = e.http_status;
                item.error_kind = e.error_kind.clone();
                item.done = Some(e.time.clone());
            }
        }
    })?;
    let Some(head) = head else { return Ok(None) };
    let count = |o: &str| items.iter().filter(|i| i.outcome == o).count() as u64;
    let summary = RunSummary {
        run_id: head.run_id,
        time: head.time,
        profile: head.profile,
        provider: head.provider,
        operation: head.operation,
        items: items.len() as u64,
        succeeded: count("succeeded"),
        failed: count("failed"),
        unknown: count("unknown"),
        not_sent: count("not_sent"),
    };
    Ok(Some((summary, items)))
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
    /// It succeeded in the resumed run: count it as skipped.
    Skip,
    /// Sent with no recorded outcome and not safe to send twice: report it for the
    /// user to check.
    Hold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Succeeded,
    Unknown,
    Other,
}

/// What `--resume RUN_ID` knows of an earlier run: which items succeeded and which
/// have no recorded outcome, keyed by a 16-byte fingerprint of each ID (as the input
/// reader deduplicates), so resuming a million-item run costs megabytes.
///
/// A run that itself resumed another carries `resume_of` on its lines; the chain is
/// followed, later runs overriding earlier ones, so resuming a resume skips what
/// any run of the chain completed.
#[derive(Debug)]
pub struct Resume {
    run_id: String,
    provider: String,
    operation: String,
    seen: HashMap<u128, Seen>,
    idempotent: OnceLock<bool>,
    skipped: AtomicU64,
    held: Mutex<Vec<String>>,
}

fn fingerprint(id: &str) -> u128 {
    let digest = Md5::digest(id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest);
    u128::from_le_bytes(bytes)
}

impl Resume {
    /// Reads run `run_id` (and the runs it resumed) from the journal at `path`.
    pub fn load(path: &Path, run_id: &str) -> Result<Resume> {
        let mut runs: HashMap<String, (String, String, Option<String>)> = HashMap::new();
        scan(path, |e| {
            let entry = runs
                .entry(e.run_id.clone())
                .or_insert_with(|| (e.provider.clone(), e.operation.clone(), None));
            if e.resume_of.is_some() {
                entry.2 = e.resume_of.clone();
            }
        })?;
        let Some((provider, operation, _)) = runs.get(run_id).cloned() else {
            return Err(no_such_run(path, run_id));
        };
        let mut chain: HashSet<String> = HashSet::new();
        let mut next = Some(run_id.to_string());
        while let Some(id) = next.take() {
            let Some((p, o, parent)) = runs.get(&id) else {
                break;
            };
            if *p != provider || *o != operation || !chain.insert(id) {
                break;
            }
            next = parent.clone();
        }
        let mut seen = HashMap::new();
        scan_lines(path, false, |e| {
            if !chain.contains(&e.run_id) {
                return;
            }
            let state = match (e.phase.as_str(), e.outcome.as_deref()) {
                ("sent", _) => Seen::Unknown,
                (_, Some("succeeded")) => Seen::Succeeded,
                _ => Seen::Other,
            };
            for id in &e.ids {
                seen.insert(fingerprint(id), state);
            }
        })?;
        Ok(Resume {
            run_id: run_id.to_string(),
            provider,
            operation,
            seen,
            idempotent: OnceLock::new(),
            skipped: AtomicU64::new(0),
            held: Mutex::new(Vec::new()),
        })
    }

    /// The resumed run's identifier.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Checks the operation is the one that run ran and learns whether it may be
    /// sent twice; a different one is a usage error.
    pub fn attach(&self, provider: &str, operation: &str, idempotent: bool) -> Result<()> {
        if provider != self.provider || operation != self.operation {
            return Err(Error::usage(format!(
                "run {} was {} {}, not {provider} {operation}: --resume only resumes the same operation",
                self.run_id, self.provider, self.operation
            )));
        }
        let _ = self.idempotent.set(idempotent);
        Ok(())
    }

    /// What to do with `id`. Before [`Resume::attach`], an unknown item is sent
    /// (the engine checks it again per request once it knows the operation).
    pub fn plan(&self, id: &str) -> Plan {
        match self.seen.get(&fingerprint(id)) {
            Some(Seen::Succeeded) => Plan::Skip,
            Some(Seen::Unknown) if self.idempotent.get() == Some(&false) => Plan::Hold,
            _ => Plan::Send,
        }
    }

    /// Whether `id` succeeded in the resumed run (it will not be sent).
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

    /// The items held back since the last call, each as a failed item.
    pub fn take_held(&self) -> Vec<(String, ItemError)> {
        let held = match self.held.lock() {
            Ok(mut h) => std::mem::take(&mut *h),
            Err(_) => Vec::new(),
        };
        held.into_iter()
            .map(|id| {
                let e = ItemError::new(
                    ErrorKind::Refused,
                    format!(
                        "sent in run {} with no recorded outcome, and this operation is not safe to send twice: check it at the provider, then run it without --resume if it still needs doing",
                        self.run_id
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

    fn info(run: &str, resume_of: Option<&str>) -> RunInfo {
        RunInfo {
            run_id: run.into(),
            profile: "default".into(),
            provider: "bcdiploma",
            operation: "certificates.disable",
            idempotent: false,
            resume_of: resume_of.map(String::from),
        }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn lines_are_written_read_and_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/certctl/journal.ndjson");
        let w = Writer::open(path.clone(), info("R1", None)).unwrap();
        let (a, b, c, d) = (ids(&["a"]), ids(&["b", "c"]), ids(&["d"]), ids(&["e"]));
        w.sent([a.as_slice(), b.as_slice(), c.as_slice(), d.as_slice()])
            .await
            .unwrap()
            .unwrap();
        w.done(&a, Some(200), &[Ok(None)]);
        w.done(
            &b,
            Some(207),
            &[
                Ok(None),
                Err(ItemError::new(ErrorKind::Rejected, "no").status(400)),
            ],
        );
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
        let w = Writer::open(path.clone(), info("R2", Some("R1"))).unwrap();
        let e = ids(&["e"]);
        w.sent([e.as_slice()]).await.unwrap().unwrap();
        w.done(&e, Some(200), &[Ok(None)]);
        w.finish().await.unwrap();

        let list = runs(&path).unwrap();
        assert_eq!(list.len(), 2);
        let r1 = list.iter().find(|r| r.run_id == "R1").unwrap();
        assert_eq!(
            (r1.items, r1.succeeded, r1.failed, r1.unknown, r1.not_sent),
            (5, 2, 1, 1, 1)
        );
        let (_, items) = run_items(&path, "R1").unwrap().unwrap();
        let outcomes: Vec<&str> = items.iter().map(|i| i.outcome.as_str()).collect();
        assert_eq!(
            outcomes,
            ["succeeded", "succeeded", "failed", "unknown", "not_sent"]
        );
        assert_eq!(items[2].http_status, Some(400));
        assert!(run_items(&path, "nope").unwrap().is_none());

        // Resuming R2 follows the chain to R1.
        let resume = Resume::load(&path, "R2").unwrap();
        assert!(
            resume
                .attach("bcdiploma", "certificates.delete", false)
                .is_err()
        );
        resume
            .attach("bcdiploma", "certificates.disable", false)
            .unwrap();
        let plans: Vec<Plan> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|id| resume.plan(id))
            .collect();
        use Plan::*;
        assert_eq!(plans, [Skip, Skip, Send, Hold, Skip, Send]);
        assert!(!resume.admit("a"));
        assert!(!resume.admit("d"));
        assert!(resume.admit("c"));
        assert_eq!(resume.skipped(), 1);
        assert_eq!(resume.take_held().len(), 1);
        assert_eq!(
            Resume::load(&path, "nope").unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn unknown_items_are_resent_when_idempotent() {
        let resume = Resume {
            run_id: "R".into(),
            provider: "p".into(),
            operation: "o".into(),
            seen: HashMap::from([(fingerprint("x"), Seen::Unknown)]),
            idempotent: OnceLock::new(),
            skipped: AtomicU64::new(0),
            held: Mutex::new(Vec::new()),
        };
        assert_eq!(resume.plan("x"), Plan::Send);
        resume.attach("p", "o", true).unwrap();
        assert_eq!(resume.plan("x"), Plan::Send);
        assert!(resume.admit_unit(&ids(&["x"])));
    }

    #[test]
    fn an_unwritable_journal_is_refused() {
        let err = Writer::open(PathBuf::from("/proc/nope/journal"), info("R", None))
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::Refused);
        assert!(err.hint_text().unwrap().contains("journal = false"));
    }
}
