//! Reading the journal back: the runs `journal list` shows, the chains of resumed
//! runs, and each item's latest state across a chain for `journal show`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use super::file::{Entry, scan, scan_lines};
use crate::error::{Error, ErrorKind, Result};

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
pub(super) enum State {
    Succeeded,
    Failed,
    /// Reported unknown, or sent with no outcome recorded (the run was killed).
    Unknown,
    NotSent,
}

impl State {
    /// The state after line `e`; a `skipped` line changes nothing.
    pub(super) fn after(prev: Option<State>, e: &Entry) -> Option<State> {
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
    pub(super) fn replay(
        &self,
        path: &Path,
        warn: bool,
        mut each: impl FnMut(&Entry),
    ) -> Result<()> {
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
