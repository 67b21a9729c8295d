//! Reading the journal back: the runs `journal list` shows, the chains of resumed
//! runs, and each item's latest state across a chain for `journal show`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::file::{Entry, parse_line};
use super::index::{Fault, Index, run_hash, with_index};
use super::resume::fingerprint;
use crate::engine::reconcile::Pending;
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
    /// A `certctl reconcile` run: it read the provider and settled unknown items.
    pub reconcile: bool,
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
            reconcile: e.reconcile,
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
        // A resumed run that settled items by reading them back: the applied ones
        // count as skipped, the others are sent next and counted then.
        if e.reconciled.is_some() && !e.reconcile {
            if e.reconciled.as_deref() == Some("applied") {
                self.skipped += n;
            }
            return;
        }
        if e.reconcile {
            self.sent += n;
        }
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

/// A set of run hashes, already well spread: foldhash is several times faster than
/// the default hasher over the hundreds of thousands of runs of a long journal.
type FastSet = HashSet<u64, foldhash::fast::RandomState>;

/// Runs that may be among the latest: each one's start time and spans.
type Candidates = HashMap<u64, ([u8; 24], Vec<(u64, u64)>), foldhash::fast::RandomState>;

/// The runs seen in some lines of the journal, summed up as `journal list` shows them.
#[derive(Default)]
struct Summaries {
    order: Vec<String>,
    by_id: HashMap<String, (RunSummary, Tally)>,
}

impl Summaries {
    fn add(&mut self, e: &Entry) {
        let (run, tally) = match self.by_id.get_mut(&e.run_id) {
            Some(found) => found,
            None => {
                self.order.push(e.run_id.clone());
                self.by_id
                    .entry(e.run_id.clone())
                    .or_insert_with(|| (RunSummary::new(e), Tally::default()))
            }
        };
        if run.resumes.is_none() {
            run.resumes = e.resumes.clone();
        }
        tally.add(e);
    }

    /// The runs, newest first.
    fn finish(mut self) -> Vec<RunSummary> {
        let mut list: Vec<RunSummary> = self
            .order
            .into_iter()
            .filter_map(|id| self.by_id.remove(&id))
            .map(|(mut run, tally)| {
                tally.fill(&mut run);
                run
            })
            .collect();
        // Lines of concurrent runs interleave; order runs by their start, newest first.
        list.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.run_id.cmp(&a.run_id)));
        list
    }
}

/// Every run in the journal, most recent first, from a full read of the file: what
/// [`recent`] must answer.
#[cfg(test)]
pub fn runs(path: &Path) -> Result<Vec<RunSummary>> {
    let mut sums = Summaries::default();
    let text = std::fs::read(path).map_err(|e| Error::new(ErrorKind::Refused, e.to_string()))?;
    for line in text.split(|b| *b == b'\n') {
        if let Some(e) = parse_line(line) {
            sums.add(&e);
        }
    }
    Ok(sums.finish())
}

/// The `limit` most recent runs, as [`runs`] orders them, reading only their lines
/// (located by the journal's index).
pub fn recent(path: &Path, limit: usize) -> Result<Vec<RunSummary>> {
    let found = with_index(path, |index| {
        // One pass: the `limit` latest start times (a run starts at its first record),
        // and the spans of every run that may be among them, those that fall behind
        // dropped as the pass goes.
        let mut seen = FastSet::default();
        let mut latest: BinaryHeap<Reverse<[u8; 24]>> = BinaryHeap::new();
        let mut chosen = Candidates::default();
        let floor = |latest: &BinaryHeap<Reverse<[u8; 24]>>| match latest.peek() {
            Some(Reverse(t)) if latest.len() >= limit => *t,
            _ => [0u8; 24],
        };
        let unreadable = index.each(|r| {
            if !seen.insert(r.run) {
                if let Some((_, spans)) = chosen.get_mut(&r.run) {
                    spans.push((r.start, r.end));
                }
                return;
            }
            latest.push(Reverse(r.time));
            if latest.len() > limit {
                latest.pop();
            }
            if r.time >= floor(&latest) {
                chosen.insert(r.run, (r.time, vec![(r.start, r.end)]));
                if chosen.len() > limit.saturating_mul(4).saturating_add(64) {
                    let at = floor(&latest);
                    chosen.retain(|_, (t, _)| *t >= at);
                }
            }
        })?;
        if latest.is_empty() {
            return Ok(Vec::new());
        }
        // Every run starting at the limit's time or later (ties included).
        let at = floor(&latest);
        chosen.retain(|_, (t, _)| *t >= at);
        let mut spans = Vec::new();
        let mut starts = HashMap::new();
        for (run, (_, located)) in &chosen {
            for &(start, end) in located {
                spans.push((start, end));
                starts.insert(start, *run);
            }
        }
        let mut sums = Summaries::default();
        index.read_spans(&merge(spans), &starts, |_, line| {
            if let Some(e) = parse_line(line)
                && chosen.contains_key(&run_hash(&e.run_id))
            {
                sums.add(&e);
            }
        })?;
        warn_unreadable(index.path(), unreadable);
        let mut list = sums.finish();
        list.truncate(limit);
        Ok(list)
    })?;
    Ok(found.unwrap_or_default())
}

/// Sorts byte spans and joins those that touch or overlap.
pub(super) fn merge(mut spans: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    spans.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

fn warn_unreadable(path: &Path, bad: u64) {
    if bad > 0 {
        tracing::warn!(
            "skipped {bad} unreadable line(s) of the journal {}; a process killed while writing can leave one",
            path.display()
        );
    }
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
    /// Where the chain's lines are: the open journal and its index, and the spans.
    lines: Arc<Located>,
}

/// Where the lines of a chain lie in an open journal.
#[derive(Debug)]
struct Located {
    index: Index,
    spans: Vec<(u64, u64)>,
    starts: HashMap<u64, u64>,
}

impl Chain {
    /// The chain run `run_id` belongs to, or `None` if the journal has no such run.
    /// Runs resume the first run of their chain; journals of earlier versions name
    /// the run resumed directly, so links are followed back to the first. Only the
    /// chain's own lines are read, located by the journal's index.
    pub fn find(path: &Path, run_id: &str) -> Result<Option<Chain>> {
        Ok(with_index(path, |index| Chain::locate(index, run_id))?.flatten())
    }

    /// [`Chain::find`] on an open index: the runs linked to `run_id` by their hashes,
    /// then the chain decided from their lines by [`Chain::of`].
    fn locate(index: &Index, run_id: &str) -> std::result::Result<Option<Chain>, Fault> {
        // One pass: the resume links, and the spans of the linked runs and of the run.
        let target = run_hash(run_id);
        let mut links: HashMap<u64, u64> = HashMap::new();
        let mut located: HashMap<u64, Vec<(u64, u64)>> = HashMap::new();
        index.each(|r| {
            if r.resumes != 0 {
                links.entry(r.run).or_insert(r.resumes);
            }
            if r.resumes != 0 || r.run == target {
                located.entry(r.run).or_default().push((r.start, r.end));
            }
        })?;
        if !located.contains_key(&target) {
            return Ok(None);
        }
        // A resumed run: a second pass for its first run (which has no link), and
        // whether each run it links back to is in the journal.
        let mut ancestors = HashSet::new();
        let mut cur = target;
        while let Some(&parent) = links.get(&cur) {
            if !ancestors.insert(parent) {
                break;
            }
            cur = parent;
        }
        let mut present: HashSet<u64> = located.keys().copied().collect();
        if !ancestors.is_empty() {
            index.each(|r| {
                if ancestors.contains(&r.run) {
                    present.insert(r.run);
                    if r.resumes == 0 {
                        located.entry(r.run).or_default().push((r.start, r.end));
                    }
                }
            })?;
        }
        let root_of = |run: u64| {
            let mut cur = run;
            let mut hops = 0;
            while let Some(&parent) = links.get(&cur) {
                if !present.contains(&parent) || hops > links.len() {
                    break;
                }
                cur = parent;
                hops += 1;
            }
            cur
        };
        let root = root_of(target);
        let mut members: HashSet<u64> = links
            .keys()
            .copied()
            .filter(|&r| root_of(r) == root)
            .collect();
        members.insert(root);
        let mut spans = Vec::new();
        let mut starts = HashMap::new();
        for run in &members {
            for &(start, end) in located.get(run).into_iter().flatten() {
                spans.push((start, end));
                starts.insert(start, *run);
            }
        }
        let spans = merge(spans);
        let mut sums = Summaries::default();
        index.read_spans(&spans, &starts, |_, line| {
            if let Some(e) = parse_line(line)
                && members.contains(&run_hash(&e.run_id))
            {
                sums.add(&e);
            }
        })?;
        let located = Located {
            index: Index::clone_of(index)?,
            spans,
            starts,
        };
        Ok(Chain::of(&sums.finish(), run_id, located))
    }

    /// The chain of `run_id` among `list` (every run linked to it, at least).
    fn of(list: &[RunSummary], run_id: &str, lines: Located) -> Option<Chain> {
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
            return None;
        }
        let root = root_of(run_id);
        let first = by_id.get(root.as_str())?;
        let mut runs: Vec<RunSummary> = list
            .iter()
            .filter(|r| r.provider == first.provider && r.operation == first.operation)
            .filter(|r| root_of(&r.run_id) == root)
            .cloned()
            .collect();
        runs.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.run_id.cmp(&b.run_id)));
        let members = runs.iter().map(|r| r.run_id.clone()).collect();
        Some(Chain {
            root,
            runs,
            members,
            lines: Arc::new(lines),
        })
    }

    /// The first run of the chain.
    pub fn first(&self) -> Option<&RunSummary> {
        self.runs.iter().find(|r| r.run_id == self.root)
    }

    /// Calls `each` with every line of the chain's runs, in file order, read from the
    /// journal at `path` as it was when the chain was found; unreadable lines among
    /// them are skipped, with a warning when `warn`.
    pub(super) fn replay(
        &self,
        path: &Path,
        warn: bool,
        mut each: impl FnMut(&Entry),
    ) -> Result<()> {
        let lines = &self.lines;
        let mut bad = 0u64;
        let read = lines
            .index
            .read_spans(&lines.spans, &lines.starts, |_, line| {
                match parse_line(line) {
                    Some(e) if self.members.contains(&e.run_id) => each(&e),
                    Some(_) => {}
                    None => bad += u64::from(!line.trim_ascii().is_empty()),
                }
            });
        match read {
            Ok(()) => {}
            Err(Fault::Failed(e)) => return Err(e),
            Err(Fault::Stale) => {
                return Err(Error::new(
                    ErrorKind::Refused,
                    format!(
                        "the journal {} changed while it was read; run the command again",
                        path.display()
                    ),
                ));
            }
        }
        if warn {
            warn_unreadable(path, bad);
        }
        Ok(())
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
    /// `applied` or `not_applied` when the latest outcome was read back from the
    /// provider rather than answered to the request.
    pub reconciled: Option<String>,
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
                    reconciled: None,
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
                item.reconciled = None;
            } else {
                item.done = Some(e.time.clone());
                item.http_status = e.http_status;
                item.error_kind = e.error_kind.clone();
                item.reconciled = e.reconciled.clone();
            }
        }
    })?;
    for (item, state) in items.iter_mut().zip(states) {
        item.outcome = state.unwrap_or(State::Unknown).as_str().to_string();
    }
    Ok(items)
}

/// The items of `chain` whose latest state is unknown, with what the journal
/// recorded to find each at the provider, in the order they were first sent. Every
/// other item is held as a fingerprint and its state, so a long chain costs little.
pub fn unknown_items(path: &Path, chain: &Chain) -> Result<Vec<Pending>> {
    let mut seq = 0u64;
    let mut unknown: HashMap<u128, (u64, Pending)> = HashMap::new();
    let mut states: HashMap<u128, (u64, State)> = HashMap::new();
    chain.replay(path, false, |e| {
        for id in &e.ids {
            let key = fingerprint(id);
            let (order, prev) = match states.get(&key) {
                Some((order, state)) => (*order, Some(*state)),
                None => {
                    seq += 1;
                    (seq, None)
                }
            };
            let Some(next) = State::after(prev, e) else {
                continue;
            };
            states.insert(key, (order, next));
            if next != State::Unknown {
                unknown.remove(&key);
                continue;
            }
            let mut locator = e.locator();
            if locator.callback.is_none()
                && let Some((_, known)) = unknown.get(&key)
            {
                locator.callback.clone_from(&known.locator.callback);
            }
            let pending = Pending {
                id: id.clone(),
                locator,
            };
            unknown.insert(key, (order, pending));
        }
    })?;
    let mut list: Vec<(u64, Pending)> = unknown.into_values().collect();
    list.sort_by_key(|(order, _)| *order);
    Ok(list.into_iter().map(|(_, p)| p).collect())
}

/// The error for a run the journal does not hold.
pub fn no_such_run(path: &Path, run_id: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("the journal {} has no run `{run_id}`", path.display()),
    )
    .hint("`certctl journal list` shows the recorded runs")
}
