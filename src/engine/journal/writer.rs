//! Appending a run's lines: one writer thread, whole lines, `O_APPEND`, and one
//! fdatasync per batch, so `sent` lines are on disk before their requests leave.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::refused_journal;
use crate::error::{Error, Result};
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
