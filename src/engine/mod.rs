//! The shared engine: runs an operation built by a provider adapter.
//!
//! It confirms irreversible operations, prints the requests of a dry run (and with
//! `--plan-out` writes them to a plan file, see [`plan`]), or sends them with
//! bounded concurrency, pacing and retries, turns each answer into per-item
//! outcomes through the adapter, reports them as they complete, and decides the
//! exit code. Every state-changing request passes through
//! [`Engine::run`], so nothing bypasses confirmation, dry run, pacing or the
//! journal: a request leaves only after its `sent` line is on disk, and its `done`
//! line follows its outcome, also when Ctrl-C cuts the run.

mod cap;
pub mod client;
mod ended;
pub mod journal;
pub mod list;
mod operation;
pub mod plan;
pub mod prefetch;
pub mod rate;
mod read;
pub mod reconcile;
pub mod request;
pub mod retry;
mod setup;
mod stop;

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;

use crate::error::{Error, ErrorKind, ExitStatus, ItemError, Result, io_error};
use crate::input::Passed;
use crate::output::{DryRun, Meta, Reporter};
use crate::report::Reply;
use crate::report::{ItemOutcome, ItemResult, Summary};
pub use cap::MaxItems;
use client::{Failure, Http};
pub use ended::Ended;
use journal::Admission;
pub use operation::{Account, Judging, Operation, Spec, Step, Unit, Verdict};
use rate::{Pace, Pacer};
pub use read::Backoff;
use request::Request;
pub use setup::Engine;
pub use stop::Stop;
use stop::interrupt_signal;

/// A unit waiting for its turn, with its place in input order.
type Queued = (u64, Unit);

/// What a request hands back: its place, its items, and how it ended.
type Finished = (u64, Vec<String>, Sent);

/// How a unit's request ended.
enum Sent {
    /// It was answered (or failed): the last HTTP status, one result per item, and
    /// with `--wait` interrupted, the callback still pending.
    Judged(Option<u16>, Vec<ItemResult>, Option<String>),
    /// Like `Judged`, for a unit whose result URL was being polled: the URL comes
    /// too, for the journal (a later read-back asks it).
    Polled(Option<u16>, Vec<ItemResult>, Option<String>, String),
    /// The run was interrupted before the request left.
    Interrupted,
    /// Its `sent` line could not be written, so it never left: why.
    Unjournaled(String),
}

/// The counts of a run and the items the closing sentence names.
#[derive(Default)]
struct Tally {
    summary: Summary,
    /// The first failed item in input order, with its rank.
    first_failure: Option<(u64, String, ItemError)>,
    /// The first unknown item in input order, with its rank.
    first_unknown: Option<(u64, String, ItemError)>,
}

impl Tally {
    /// Adds one item's result; `order` ranks it in input order.
    fn add(&mut self, order: u64, id: &str, result: &ItemResult) {
        self.summary.total += 1;
        let slot = match result {
            ItemResult::Succeeded(_) => {
                self.summary.succeeded += 1;
                return;
            }
            ItemResult::Failed(_) => {
                self.summary.failed += 1;
                &mut self.first_failure
            }
            ItemResult::Unknown(_) => {
                self.summary.unknown += 1;
                &mut self.first_unknown
            }
        };
        if let Some(e) = result.error()
            && slot.as_ref().is_none_or(|(o, _, _)| order < *o)
        {
            *slot = Some((order, id.to_string(), e.clone()));
        }
    }
}

/// The state of one run between its start and its report: what is queued, in flight
/// (the futures themselves stay with [`Engine::run`], which polls them), counted,
/// and what stopped it.
struct Run<'e> {
    engine: &'e Engine,
    journal: Option<journal::Writer>,
    reporter: Reporter,
    tally: Tally,
    /// A bad ID further down the input: nothing after it is sent.
    input_error: Option<Error>,
    /// A journal write failed: nothing more is sent.
    journal_error: Option<Error>,
    /// Ctrl-C or SIGTERM: what is in flight finishes, nothing new starts.
    interrupted: bool,
    /// The operation has no more units.
    exhausted: bool,
    /// The input-order number of the next unit.
    seq: u64,
    /// Callbacks still pending when `--wait` was interrupted.
    pending: Vec<String>,
    /// How many units are taken ahead of their turn.
    lookahead: usize,
    /// Units whose `sent` lines are durable, in input order.
    ready: VecDeque<Queued>,
    /// Units whose `sent` lines are being written.
    staged: Option<(Vec<Queued>, journal::Durable)>,
    /// Units that never left because the run was interrupted first.
    unsent: Vec<Vec<String>>,
    /// Items `--resume` skipped: they succeeded earlier in the chain.
    skipped: u64,
    /// Whether `sent` lines are written ahead of the requests (operations safe to
    /// send twice); otherwise each request's task writes its own as it leaves.
    journal_ahead: bool,
    /// Standard output was closed by its reader: the run stops as if interrupted
    /// (nothing new is sent, what is in flight is journaled), and nothing more is
    /// written to it.
    output_closed: bool,
}

impl Run<'_> {
    /// Reports items; a closed stdout stops the run like Ctrl-C instead of
    /// abandoning the requests in flight and their journal lines.
    fn report(&mut self, items: &[ItemOutcome]) -> Result<()> {
        if self.output_closed {
            return Ok(());
        }
        match self.reporter.items(items) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.output_closed = true;
                self.interrupted = true;
                tracing::warn!(
                    "standard output was closed: sending nothing more, finishing the requests in flight"
                );
                Ok(())
            }
            Err(e) => Err(io_error(e)),
        }
    }

    /// Whether new requests may start.
    fn may_send(&self) -> bool {
        !self.interrupted && self.input_error.is_none() && self.journal_error.is_none()
    }

    /// Whether to take more units from the operation now.
    fn wants_units(&self) -> bool {
        self.may_send()
            && !self.exhausted
            && self.staged.is_none()
            && self.ready.len() < self.lookahead.div_ceil(2)
    }

    /// Takes units up to the look-ahead: straight to `ready` without a journal
    /// (returns `true`: go and send them), else staged until their `sent` lines are
    /// durable. The items `--resume` passes over on the way are reported and
    /// journaled in their place, before the unit that follows them.
    fn take_units(&mut self, op: &mut Operation) -> Result<bool> {
        let mut batch: Vec<Queued> = Vec::new();
        let mut passed = Vec::new();
        let mut entangled = Vec::new();
        while self.ready.len() + batch.len() < self.lookahead {
            match op.units.next() {
                Some(Ok(Step::Passed(p))) => {
                    passed.push(p);
                    continue;
                }
                Some(Ok(Step::Send(unit))) => match self.admit(&unit) {
                    Admission::Send => {
                        batch.push((self.seq, unit));
                        self.seq += 1;
                    }
                    Admission::Withheld {
                        passed: more,
                        entangled: also,
                    } => {
                        passed.extend(more);
                        entangled.extend(also);
                    }
                },
                Some(Err(e)) => {
                    self.input_error = Some(e);
                    break;
                }
                None => {
                    self.exhausted = true;
                    break;
                }
            }
            self.report_passed(std::mem::take(&mut passed), std::mem::take(&mut entangled))?;
        }
        self.report_passed(passed, entangled)?;
        if batch.is_empty() {
            return Ok(false);
        }
        match &self.journal {
            Some(j) if self.journal_ahead => {
                let durable = j.sent(batch.iter().map(|(_, u)| u.ids.as_slice()));
                self.staged = Some((batch, durable));
                Ok(false)
            }
            _ => {
                self.ready.extend(batch);
                Ok(true)
            }
        }
    }

    /// Whether `--resume` lets a unit's request go.
    fn admit(&self, unit: &Unit) -> Admission {
        match &self.engine.resume {
            Some(resume) => resume.admit_unit(&unit.ids),
            None => Admission::Send,
        }
    }

    /// Waits until the staged `sent` lines are on disk.
    async fn durable(&mut self) -> std::result::Result<std::result::Result<(), String>, ()> {
        match self.staged.as_mut() {
            Some((_, d)) => d.await.map_err(|_| ()),
            None => std::future::pending().await,
        }
    }

    /// The staged units may go once their lines are durable; a failed write stops
    /// the run before any of them is sent.
    fn written(&mut self, written: std::result::Result<std::result::Result<(), String>, ()>) {
        let Some((batch, _)) = self.staged.take() else {
            return;
        };
        let why = match written {
            Ok(Ok(())) => {
                self.ready.extend(batch);
                return;
            }
            Ok(Err(why)) => why,
            Err(()) => "its writer stopped".to_string(),
        };
        if let Some(j) = &self.journal {
            self.journal_error = Some(j.failure(&why));
        }
    }

    /// Journals, counts and reports a finished request.
    fn finished(&mut self, (n, ids, sent): Finished) -> Result<()> {
        let (status, results, callback, polled) = match sent {
            Sent::Judged(status, results, callback) => (status, results, callback, None),
            Sent::Polled(status, results, callback, url) => (status, results, callback, Some(url)),
            Sent::Interrupted => {
                self.unsent.push(ids);
                return Ok(());
            }
            Sent::Unjournaled(why) => {
                if let Some(j) = &self.journal
                    && self.journal_error.is_none()
                {
                    self.journal_error = Some(j.failure(&why));
                }
                return Ok(());
            }
        };
        if let Some(j) = &self.journal {
            j.done(&ids, status, &results, polled.as_deref());
        }
        self.pending.extend(callback);
        let mut items = Vec::with_capacity(ids.len());
        for (i, (id, result)) in ids.into_iter().zip(results).enumerate() {
            self.tally.add((n << 20) + i as u64, &id, &result);
            items.push(ItemOutcome { id, result });
        }
        self.report(&items)
    }

    /// Reports the items `--resume` held back (unknown, not safe to send twice) as
    /// unknown once more and those entangled with done ones as failed, placed before
    /// the next unit; journals them and counts and journals the items it skipped.
    fn report_passed(&mut self, passed: Vec<Passed>, entangled: Vec<String>) -> Result<()> {
        let Some(resume) = &self.engine.resume else {
            return Ok(());
        };
        let (mut skipped, mut held) = (Vec::new(), Vec::new());
        for p in passed {
            match p {
                Passed::Skipped(id) => skipped.push(id),
                Passed::Held(id) => held.push(id),
            }
        }
        self.skipped += skipped.len() as u64;
        if let Some(j) = &self.journal {
            j.not_sent_by_resume(&skipped, &held);
        }
        if held.is_empty() && entangled.is_empty() {
            return Ok(());
        }
        let mut items = Vec::with_capacity(held.len() + entangled.len());
        let results = held
            .into_iter()
            .map(|id| (id, ItemResult::Unknown(resume.held_error())))
            .chain(
                entangled
                    .into_iter()
                    .map(|id| (id, ItemResult::Failed(resume.entangled_error()))),
            );
        for (id, result) in results {
            self.tally.add(self.seq << 20, &id, &result);
            items.push(ItemOutcome { id, result });
        }
        self.report(&items)
    }

    /// Closes the journal, writes the report's summary and says how the run ended.
    async fn end(
        self,
        count: Option<usize>,
        mut notes: Vec<String>,
        mut ended: Ended,
    ) -> Result<Ended> {
        let Run {
            journal,
            reporter,
            tally,
            input_error,
            journal_error,
            interrupted,
            pending,
            ready,
            unsent,
            output_closed,
            journal_ahead,
            skipped,
            ..
        } = self;
        if let Some(j) = journal {
            // Journaled as about to go, never sent: say so, so they are not `unknown`.
            if journal_ahead {
                j.not_sent(
                    ready
                        .iter()
                        .map(|(_, u)| u.ids.as_slice())
                        .chain(unsent.iter().map(Vec::as_slice)),
                );
            }
            let path = j.path().to_path_buf();
            if let Err(why) = j.finish().await
                && journal_error.is_none()
            {
                tracing::warn!(
                    "the journal {} could not be written completely ({why}): the report below is complete, but the journal may show some of these items as unknown",
                    path.display()
                );
            }
        }
        let mut summary = tally.summary;
        summary.skipped = skipped;
        summary.total += skipped;
        if interrupted && let Some(count) = count {
            // The items never sent still belong to the run: the total says so.
            summary.total = summary.total.max(count as u64 + summary.skipped);
        }
        if !pending.is_empty() {
            notes.push(format!(
                "interrupted while waiting: {} batch(es) were accepted and are still pending; see their results later with {}",
                pending.len(),
                pending
                    .iter()
                    .map(|url| format!("`certctl origin results show {url}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !output_closed {
            reporter
                .finish(summary, interrupted, &notes)
                .map_err(io_error)?;
        }
        if let Some(e) = journal_error.or(input_error) {
            if summary.unknown == 0 {
                return Err(e);
            }
            // Some changes may have been applied: the exit code stays 7, and what
            // stopped the run is said besides.
            ended.stopped_by = Some(e);
        }
        if summary.total == 0 && !interrupted {
            return Err(Error::usage("no IDs were given").hint(
                "name them as arguments or give a file with --from FILE (- for standard input)",
            ));
        }
        ended.summary = summary;
        ended.interrupted = interrupted;
        ended.first_failure = tally.first_failure.map(|(_, id, e)| (id, e));
        ended.first_unknown = tally.first_unknown.map(|(_, id, e)| (id, e));
        Ok(ended)
    }
}

impl Engine {
    /// Runs `op` to the end (or to an interruption) and reports it.
    ///
    /// With the journal on, an operation safe to send twice has its units taken a
    /// few at a time ahead of their turn and their `sent` lines made durable in one
    /// write and one sync, so the disk's sync latency overlaps the requests instead
    /// of adding to each; the look-ahead is 4 × `--concurrency` (8 × was no faster
    /// and held half a megabyte more of a 1,000,000-ID run), and after a clean stop
    /// the journaled units that never left are marked `not_sent`. An operation not
    /// safe to send twice journals a request only when it leaves: in a free slot,
    /// once the pacer released it (requests leaving together share a sync), so
    /// after a kill the items left `unknown` are exactly those that were in flight.
    pub async fn run(&self, mut op: Operation, pace: Pace) -> Result<Ended> {
        let info = op.spec.provider.info();
        if let Some(resume) = &self.resume {
            resume.attach(info.name, op.spec.name, op.spec.idempotent)?;
            if let Some(digest) = &self.plan {
                resume.check_plan(digest)?;
            }
        }
        let mut ended = Ended::new(info.name, info.secret_key, op.spec.name);
        if self.dry_run {
            return self.dry_run(op, ended, None);
        }
        let run_id = ulid::Ulid::generate().to_string();
        let journal = if self.journal {
            Some(journal::Writer::open(
                journal::path(self.sandbox)?,
                journal::RunInfo {
                    run_id: run_id.clone(),
                    profile: self.profile.clone(),
                    provider: info.name,
                    operation: op.spec.name,
                    idempotent: op.spec.idempotent,
                    resumes: self.resume.as_ref().map(|r| r.root().to_string()),
                    plan: self.plan.clone(),
                    locator: op.locator.clone(),
                    reconcile: false,
                },
            )?)
        } else {
            None
        };
        if op.spec.irreversible && !self.yes {
            self.confirm(&op)?;
        }
        if let Some(resume) = &self.resume {
            let settled = resume.reconciled();
            if let Some(j) = &journal {
                j.settled(settled);
            }
            let applied = settled
                .iter()
                .filter(|(_, s)| matches!(s, reconcile::Settled::Applied(_)))
                .count();
            if !settled.is_empty() {
                op.notes.push(format!(
                    "--resume {} read the provider back first: {applied} unknown item(s) were applied (skipped), {} were not (sent again)",
                    resume.run_id(),
                    settled.len() - applied
                ));
            }
        }
        ended.run_id = Some(run_id.clone());
        ended.journaled = journal.is_some();
        let meta_run_id = run_id.clone();
        let meta = Meta {
            provider: info.name,
            operation: op.spec.name,
            profile: self.profile.clone(),
            dry_run: false,
            run_id,
        };
        let requests = op.requests.map(|n| n as u64);
        // Batched bodies are worth building on another thread; one small request per
        // ID is not (handing it over costs more). Only lists counted up front (files
        // and arguments, whose reads never stall), and not under --resume, whose
        // held-back items must be reported in their place among the units.
        if let (Some(items), Some(requests)) = (op.count, op.requests)
            && items > requests
            && self.resume.is_none()
        {
            op.units = Box::new(prefetch::Prefetch::new(op.units));
        }
        let reporter = Reporter::start(self.format, meta, requests, self.quiet, self.progress)
            .map_err(io_error)?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        // The requests in flight: polled inside this task rather than spawned, which
        // saves a task allocation and a wake-up through the scheduler per request.
        let ctx = TaskContext {
            http: self.http.for_run(info.name, Some(&meta_run_id)),
            pacer: Pacer::new(pace),
            spec: op.spec,
            account: op.account.clone(),
            idempotent: op.spec.idempotent,
            wait: op.wait,
            stop: Stop(Some(stop_rx)),
            sent_log: journal
                .as_ref()
                .filter(|_| !op.spec.idempotent)
                .map(journal::Writer::sent_log),
        };
        let lookahead = match (&journal, op.spec.idempotent) {
            (None, _) => self.concurrency,
            (Some(_), true) => self.concurrency * 4,
            (Some(_), false) => self.concurrency,
        };
        let mut run = Run {
            engine: self,
            journal,
            reporter,
            tally: Tally::default(),
            input_error: None,
            journal_error: None,
            interrupted: false,
            exhausted: false,
            seq: 0,
            pending: Vec::new(),
            lookahead,
            ready: VecDeque::new(),
            staged: None,
            unsent: Vec::new(),
            skipped: 0,
            output_closed: false,
            journal_ahead: op.spec.idempotent,
        };
        let mut tasks = FuturesUnordered::new();
        let mut stop = interrupt_signal();
        loop {
            if run.output_closed {
                let _ = stop_tx.send(true);
            }
            while run.may_send() && tasks.len() < self.concurrency {
                let Some((n, unit)) = run.ready.pop_front() else {
                    break;
                };
                tasks.push(ctx.finish(n, unit));
            }
            if run.wants_units() && run.take_units(&mut op)? {
                continue;
            }
            if tasks.is_empty() && run.staged.is_none() && (run.ready.is_empty() || !run.may_send())
            {
                break;
            }
            tokio::select! {
                joined = tasks.next(), if !tasks.is_empty() => {
                    if let Some(finished) = joined {
                        run.finished(finished)?;
                    }
                }
                written = run.durable(), if run.staged.is_some() => run.written(written),
                _ = &mut stop, if !run.interrupted => {
                    run.interrupted = true;
                    let _ = stop_tx.send(true);
                    tracing::warn!("interrupted: waiting for the {} request(s) in flight, then stopping (Ctrl-C again to quit at once)", tasks.len());
                    tokio::spawn(async {
                        let _ = tokio::signal::ctrl_c().await;
                        std::process::exit(i32::from(ExitStatus::Failed(ErrorKind::Interrupted).code()));
                    });
                }
            }
        }
        run.end(op.count, op.notes, ended).await
    }

    /// `--plan-out FILE`: a dry run of `op` that also writes its requests to the
    /// plan file `out` names, for review and a later `certctl apply`.
    pub fn plan(&self, op: Operation, out: plan::Out) -> Result<Ended> {
        if let Some(resume) = &self.resume {
            resume.attach(op.spec.provider.name(), op.spec.name, op.spec.idempotent)?;
        }
        let info = op.spec.provider.info();
        let ended = Ended::new(info.name, info.secret_key, op.spec.name);
        self.dry_run(op, ended, Some(plan::Recorder::new(out)))
    }

    /// Prints the requests of `op` without sending them; with a `recorder`, also
    /// writes them as a plan once they are all known (and only if there are any).
    fn dry_run(
        &self,
        op: Operation,
        mut ended: Ended,
        mut recorder: Option<plan::Recorder>,
    ) -> Result<Ended> {
        let mut printer =
            DryRun::start(self.format, op.spec.provider.name(), op.spec.name).map_err(io_error)?;
        let mut count = 0u64;
        let mut notes = op.notes;
        let (mut skipped, mut held, mut entangled) = (0u64, 0u64, 0u64);
        for step in op.units {
            let (passed, also) = match step? {
                Step::Passed(p) => (vec![p], Vec::new()),
                Step::Send(unit) => match self.resume.as_ref().map(|r| r.admit_unit(&unit.ids)) {
                    None | Some(Admission::Send) => {
                        count += unit.ids.len() as u64;
                        printer.request(&unit.request).map_err(io_error)?;
                        if let Some(recorder) = recorder.as_mut() {
                            recorder.record(&unit)?;
                        }
                        continue;
                    }
                    Some(Admission::Withheld { passed, entangled }) => (passed, entangled),
                },
            };
            for p in passed {
                match p {
                    Passed::Skipped(_) => skipped += 1,
                    Passed::Held(_) => held += 1,
                }
            }
            entangled += also.len() as u64;
        }
        if let Some(recorder) = recorder.filter(|_| count > 0) {
            let path = recorder.path().display().to_string();
            let digest = recorder.write(op.spec.provider.name(), op.spec.name)?;
            if op.wait.is_some() {
                notes.push("a plan does not keep --wait: `certctl apply` reports each batch's pooling callback, to follow with `certctl origin results show`".into());
            }
            notes.push(format!(
                "plan written to {path} ({count} item(s), digest {digest}): review it, then send exactly these requests with `certctl apply {path}`"
            ));
        }
        if let Some(resume) = &self.resume {
            notes.push(format!(
                "--resume {}: {skipped} item(s) skipped (they succeeded earlier in its chain), {held} held back (their outcome is unknown and this operation is not safe to send twice; --retry-unknown sends them), {entangled} not sent because their request also carries done or unknown items",
                resume.run_id(),
            ));
            count += skipped + held + entangled;
        }
        printer.finish(&notes).map_err(io_error)?;
        if count == 0 {
            return Err(Error::usage("no IDs were given"));
        }
        ended.dry_run = true;
        ended.summary = Summary {
            total: count,
            ..Summary::default()
        };
        Ok(ended)
    }

    /// Asks before an irreversible operation; only `y` or `yes` goes on.
    ///
    /// The answer is read from standard input when it is a terminal. When it is not
    /// (IDs piped in with `--from -`) but someone watches stderr, it is read from the
    /// controlling terminal, `/dev/tty`, as git and rm do. Otherwise nobody can answer:
    /// a usage error naming `--yes`.
    fn confirm(&self, op: &Operation) -> Result<()> {
        let what = format!(
            "{} {} on {} item(s) with profile `{}`",
            op.spec.provider.name(),
            op.spec.name,
            op.count
                .map_or_else(|| "an unknown number of".to_string(), |n| n.to_string()),
            self.profile
        );
        let mut terminal: Option<Box<dyn std::io::BufRead>> = if std::io::stdin().is_terminal() {
            Some(Box::new(std::io::stdin().lock()))
        } else if std::io::stderr().is_terminal() {
            std::fs::File::open("/dev/tty")
                .ok()
                .map(|tty| Box::new(std::io::BufReader::new(tty)) as Box<dyn std::io::BufRead>)
        } else {
            None
        };
        let Some(answers) = terminal.as_mut() else {
            return Err(Error::usage(format!("{what} is irreversible and needs confirmation, but standard input is not a terminal and no terminal is there to answer on"))
                .hint("run again with --yes to confirm, or --dry-run to see the requests first"));
        };
        let mut stderr = std::io::stderr().lock();
        let mut preview = op.preview.join(", ");
        if op.count.is_some_and(|n| n > op.preview.len()) {
            preview.push_str(", ...");
        }
        let plan = self
            .plan
            .as_ref()
            .map(|digest| format!(" from the plan {digest}"))
            .unwrap_or_default();
        let _ = write!(
            stderr,
            "About to run {what}{plan}: {preview}\nThis cannot be undone. Proceed? [y/N] "
        );
        let _ = stderr.flush();
        let mut answer = String::new();
        answers
            .read_line(&mut answer)
            .map_err(|e| Error::usage(format!("cannot read the answer: {e}")))?;
        match answer.trim().to_lowercase().as_str() {
            "y" | "yes" => Ok(()),
            _ => Err(Error::usage("not confirmed: nothing was sent")),
        }
    }
}

/// Turns what an adapter (or the client) made of a request into the item's result.
///
/// A failure after which the change may have been applied (see
/// [`ItemError::leaves_unknown`]) is `unknown` for an operation that is not safe to
/// send twice; its message says so. Everything else keeps its verdict.
fn judge(result: Result<Option<Reply>, ItemError>, idempotent: bool) -> ItemResult {
    match result {
        Ok(reply) => ItemResult::Succeeded(reply),
        Err(mut e) if !idempotent && e.leaves_unknown() => {
            if !e.message.contains("may have been applied") {
                e.message
                    .push_str("; the change may have been applied, so it was not sent again");
            }
            ItemResult::Unknown(e)
        }
        Err(e) => ItemResult::Failed(e),
    }
}

/// Adds to the errors of a verdict that an earlier attempt may have been applied:
/// a key deleted by a first attempt whose answer was lost is "unknown" to the retry.
fn explain_after_loss(verdict: Verdict) -> Verdict {
    let explain = |r: Result<Option<Reply>, ItemError>| {
        r.map_err(|mut e| {
            e.message.push_str(
                " (an earlier attempt got no answer and may have been applied, which can explain this answer)",
            );
            e
        })
    };
    match verdict {
        Verdict::All(r) => Verdict::All(explain(r)),
        Verdict::Each(list) => Verdict::Each(list.into_iter().map(explain).collect()),
        pending => pending,
    }
}

/// Adds the result URL being polled, if any, to how a unit ended.
fn with_poll(sent: Sent, poll: &Option<Request>) -> Sent {
    match (sent, poll) {
        (Sent::Judged(status, results, callback), Some(poll)) => {
            Sent::Polled(status, results, callback, poll.url.clone())
        }
        (sent, _) => sent,
    }
}

/// What one request task needs, cloned out of the engine.
struct TaskContext {
    http: Http,
    pacer: Pacer,
    spec: &'static Spec,
    account: Account,
    idempotent: bool,
    wait: Option<Duration>,
    stop: Stop,
    /// For an operation not safe to send twice: where each request's `sent` line
    /// is written, once the pacer released it and just before it leaves.
    sent_log: Option<journal::SentLog>,
}

impl TaskContext {
    /// Sends a unit and hands back its place, its items and their results. A panic
    /// while judging an answer (a bug) fails that unit's items (leaves them unknown,
    /// when the operation is not safe to send twice) instead of ending the run
    /// without its report and journal.
    async fn finish(&self, n: u64, unit: Unit) -> Finished {
        use futures_util::FutureExt;
        match std::panic::AssertUnwindSafe(self.run(&unit))
            .catch_unwind()
            .await
        {
            Ok(sent) => (n, unit.ids, sent),
            Err(_) => {
                let e = ItemError::new(
                    ErrorKind::Refused,
                    "certctl failed while handling this request (a bug: please report it); it may have been applied",
                )
                .maybe_applied();
                let results = vec![judge(Err(e), self.idempotent); unit.ids.len()];
                (n, unit.ids, Sent::Judged(None, results, None))
            }
        }
    }

    /// Sends a unit's request (and its polls) and returns the last answer's HTTP
    /// status and one result per item.
    async fn run(&self, unit: &Unit) -> Sent {
        let n = unit.ids.len();
        let deadline = self.wait.map(|w| tokio::time::Instant::now() + w);
        // The unit's own request first, then the polls it leads to: no copy of a
        // 13 KB body per request.
        let mut poll: Option<Request> = None;
        let mut backoff = Backoff::new();
        let mut status = None;
        let judged = |status, results: Vec<Result<Option<Reply>, ItemError>>, callback| {
            let results = results
                .into_iter()
                .map(|r| judge(r, self.idempotent))
                .collect();
            Sent::Judged(status, results, callback)
        };
        let still_pending =
            |url: &str| vec![Ok(Some(Reply::from(Value::String(url.to_string())))); n];
        loop {
            let request = poll.as_ref().unwrap_or(&unit.request);
            // A poll only reads: it may always be sent again.
            let idempotent = self.idempotent || poll.is_some();
            let released = match (&self.sent_log, &poll) {
                (Some(log), None) => {
                    tokio::select! {
                        biased;
                        _ = self.stop.wait() => return Sent::Interrupted,
                        _ = self.pacer.acquire() => {}
                    }
                    match log.sent(&unit.ids).await {
                        Ok(Ok(())) => true,
                        Ok(Err(why)) => return Sent::Unjournaled(why),
                        Err(_) => return Sent::Unjournaled("its writer stopped".into()),
                    }
                }
                _ => false,
            };
            let sent = match self
                .http
                .send_released(request, idempotent, &self.pacer, &self.stop, released)
                .await
            {
                Ok(resp) => Ok(resp),
                // The change was accepted before polling began: a poll that fails
                // leaves its outcome open, not failed.
                Err(Failure::Item(e)) if poll.is_some() => Err(e.maybe_applied()),
                Err(Failure::Item(e)) => Err(e),
                Err(Failure::NotSent) if poll.is_none() => return Sent::Interrupted,
                Err(Failure::NotSent) => {
                    let url = request.url.clone();
                    return judged(status, still_pending(&url), Some(url));
                }
            };
            status = match &sent {
                Ok(resp) => Some(resp.status),
                Err(e) => e.http_status.or(status),
            };
            let polled;
            let answered = match &poll {
                Some(request) => {
                    polled = Unit {
                        ids: unit.ids.clone(),
                        request: request.clone(),
                    };
                    &polled
                }
                None => unit,
            };
            let judging = Judging {
                account: &self.account,
                follow: self.wait.is_some(),
            };
            let verdict = match sent {
                Ok(resp) if resp.after_lost_attempt => {
                    explain_after_loss((self.spec.judge)(answered, &resp, &judging))
                }
                Ok(resp) => (self.spec.judge)(answered, &resp, &judging),
                Err(e) => Verdict::All(Err(e)),
            };
            match verdict {
                Verdict::All(result) => {
                    return with_poll(judged(status, vec![result; n], None), &poll);
                }
                Verdict::Each(mut results) => {
                    results.resize_with(n, || {
                        Err(ItemError::new(
                            ErrorKind::InvalidResponse,
                            "the provider's answer did not mention this item",
                        ))
                    });
                    return with_poll(judged(status, results, None), &poll);
                }
                Verdict::Pending(next) => {
                    let Some(deadline) = deadline else {
                        return judged(status, still_pending(&next.url), None);
                    };
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        let e = ItemError::new(
                            ErrorKind::Transient,
                            format!(
                                "still pending when --wait-timeout ran out; check later with `certctl origin results show {}`",
                                next.url
                            ),
                        );
                        return with_poll(judged(status, vec![Err(e); n], None), &poll);
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(backoff.next().min(deadline - now)) => {}
                        _ = self.stop.wait() => {
                            let url = next.url.clone();
                            return judged(status, still_pending(&url), Some(url));
                        }
                    }
                    poll = Some(next);
                }
            }
        }
    }
}
