//! The run loop: [`Engine::run`] takes an operation's units a few at a time ahead
//! of their turn, journals them, sends them with bounded concurrency, and reports,
//! journals and counts each answer as it comes; [`Run`] is its state between the
//! start and the report.

use std::collections::VecDeque;

use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};

use super::journal::{self, Admission};
use super::rate::{Pace, Pacer};
use super::stop::{Stop, interrupt_signal};
use super::task::{Finished, Sent, TaskContext};
use super::{Ended, Engine, Operation, Spec, Step, Unit, prefetch, reconcile};
use crate::error::{Error, ErrorKind, ExitStatus, ItemError, Result, io_error};
use crate::input::Passed;
use crate::output::{Meta, Reporter};
use crate::report::{ItemOutcome, ItemResult, Sink, Summary};

/// A unit waiting for its turn, with its place in input order.
type Queued = (u64, Unit);

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
    reporter: Box<dyn Sink>,
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
        spec: &Spec,
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
                    .map(|url| spec.follow_up(url))
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
    pub async fn run(&self, op: Operation, pace: Pace) -> Result<Ended> {
        let (format, quiet, progress) = (self.format, self.quiet, self.progress);
        self.run_into(op, pace, move |meta, requests| {
            let reporter = Reporter::start(format, meta, requests, quiet, progress)?;
            Ok(Box::new(reporter) as Box<dyn Sink>)
        })
        .await
    }

    /// [`Engine::run`] reporting to the sink `report` makes, once the run has its
    /// identity and (when known) its number of requests.
    pub async fn run_into(
        &self,
        mut op: Operation,
        pace: Pace,
        report: impl FnOnce(Meta, Option<u64>) -> std::io::Result<Box<dyn Sink>>,
    ) -> Result<Ended> {
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
                match &self.journal_at {
                    Some(path) => path.clone(),
                    None => journal::path(self.sandbox)?,
                },
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
        let reporter = report(meta, requests).map_err(io_error)?;
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
            // The requests just started queue their `sent` lines now, taking along
            // the `done` lines held since; what is still held goes before the wait.
            if !tasks.is_empty()
                && let Some(Some(finished)) = tasks.next().now_or_never()
            {
                run.finished(finished)?;
                continue;
            }
            if let Some(j) = &run.journal {
                j.flush();
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
        run.end(op.spec, op.count, op.notes, ended).await
    }
}
