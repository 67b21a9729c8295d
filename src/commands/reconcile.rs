//! `certctl reconcile RUN_ID`: asks the provider what happened to the items a run's
//! chain left unknown, and records what it says (README, "When a run is cut or its
//! outcome is unknown").
//!
//! The chain and its unknown items come from the journal; the reads from the
//! operation's adapter ([`crate::providers::Adapter::read_back`]); the engine sends
//! them like any read. Settled items are journaled as `done` lines of a run of the
//! chain marked `"reconcile":true`, so `--resume` skips the applied ones and sends the
//! others; nothing is changed at the provider, so nothing is confirmed.

use std::io::Write;

use clap::ArgMatches;
use serde_json::{Value, json};

use super::apply::settings_of;
use super::context::{Context, load_settings};
use super::metrics::Recorder;
use crate::cli::{GlobalArgs, ReconcileArgs};
use crate::engine::Account;
use crate::engine::journal::{self, Chain};
use crate::engine::reconcile::{ReadBack, Reading, Settled};
use crate::error::{Error, ErrorKind, Result, io_error};
use crate::outcome::Outcome;
use crate::output::Format;
use crate::providers::{self, ProviderId};
use crate::report::Summary;

/// The counts of a reconcile, as its `summary` object.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
struct Counts {
    total: u64,
    applied: u64,
    not_applied: u64,
    unknown: u64,
}

/// Runs `certctl reconcile` and returns how it ended; the `recorder` learns the
/// chain's provider and operation once the journal names them.
pub async fn run(
    args: ReconcileArgs,
    global: &GlobalArgs,
    matches: &ArgMatches,
    recorder: &Recorder,
) -> Result<Outcome> {
    let path = journal::path(global.sandbox)?;
    let Some(chain) = Chain::find(&path, &args.run_id)? else {
        return Err(Error::usage(format!(
            "the journal {} has no run `{}`",
            path.display(),
            args.run_id
        ))
        .hint(
            "`certctl journal list` shows the recorded runs (with --sandbox, the sandbox's runs)",
        ));
    };
    let Some(first) = chain.first().cloned() else {
        return Err(journal::no_such_run(&path, &args.run_id));
    };
    let provider = ProviderId::from_name(&first.provider).ok_or_else(|| {
        Error::usage(format!(
            "run {} is of the provider `{}`, which this certctl does not know",
            args.run_id, first.provider
        ))
    })?;
    let spec = providers::spec(provider, &first.operation).ok_or_else(|| {
        Error::usage(format!(
            "run {} is `{} {}`, which changes nothing and has nothing to reconcile",
            args.run_id, first.provider, first.operation
        ))
    })?;
    recorder.job(provider.name(), spec.name);
    let settings = if global.sandbox {
        load_settings(global, matches, None)?
    } else {
        settings_of(
            &first.profile,
            &format!("run {} ran", chain.root),
            global,
            matches,
        )?
    };
    let ctx =
        Context::with_settings(global, matches, settings, recorder, Default::default()).await?;
    let pending = journal::unknown_items(&path, &chain)?;
    let back = match spec.read_back {
        Some(_) | None if pending.is_empty() => ReadBack::default(),
        Some(read_back) => {
            let p = ctx.settings.provider(provider);
            let account = Account {
                base: p.base_url()?,
                secret: p.secret()?.clone(),
            };
            let reading = if args.one_by_one {
                Reading::OneByOne
            } else {
                Reading::Listed
            };
            read_back(&account, pending, reading)
        }
        None => ReadBack {
            reads: Vec::new(),
            settled: pending
                .into_iter()
                .map(|p| {
                    let why = "this operation is safe to send twice and has no read: `--resume` sends it again";
                    (p.id, Settled::Unknown(why.into()))
                })
                .collect(),
        },
    };
    let run_id = ulid::Ulid::generate().to_string();
    // Opened before any read: a journal that cannot be written stops the command
    // before anything is asked, as for an operation.
    let writer = if ctx.engine.journal && !ctx.engine.dry_run && !back.reads.is_empty() {
        Some(journal::Writer::open(
            path.clone(),
            journal::RunInfo {
                run_id: run_id.clone(),
                profile: ctx.engine.profile.clone(),
                provider: provider.name(),
                operation: spec.name,
                idempotent: spec.idempotent,
                resumes: Some(chain.root.clone()),
                plan: None,
                locator: Default::default(),
                reconcile: true,
            },
        )?)
    } else {
        None
    };
    let Some(done) = ctx
        .engine
        .reconcile(provider, spec.name, back, ctx.pace(provider))
        .await?
    else {
        return Ok(Outcome::Success);
    };
    if let Some(w) = writer {
        w.settled(&done.items);
        if let Err(why) = w.finish().await {
            return Err(Error::new(
                ErrorKind::Refused,
                format!(
                    "the provider's answers were read, but the journal {} could not record them ({why})",
                    path.display()
                ),
            )
            .hint(format!("run `certctl reconcile {}` again", chain.root)));
        }
    }
    let mut counts = Counts::default();
    for (_, state) in &done.items {
        counts.total += 1;
        match state {
            Settled::Applied(_) => counts.applied += 1,
            Settled::NotApplied { .. } => counts.not_applied += 1,
            Settled::Unknown(_) => counts.unknown += 1,
        }
    }
    let report = Report {
        provider: provider.name(),
        operation: spec.name,
        profile: &ctx.engine.profile,
        run_id: &run_id,
        reconciles: &chain.root,
        counts,
    };
    report
        .print(ctx.engine.format, &done.items)
        .map_err(io_error)?;
    let resume = format!(
        "certctl {} {} --resume {} ...",
        provider.name(),
        spec.name.replace('.', " ").replace('_', "-"),
        chain.root
    );
    let result = if let Some(e) = done.auth_refused {
        Err(Error::new(
            ErrorKind::Auth,
            format!(
                "reconcile {}: {} refused the credentials, so {} item(s) stay unknown: {}",
                chain.root,
                provider.name(),
                counts.unknown,
                e.message
            ),
        )
        .hint(format!(
            "check the {} setting of the profile, then run `certctl reconcile {}` again",
            provider.info().secret_key,
            chain.root
        )))
    } else if counts.unknown > 0 {
        let first_unknown = done
            .items
            .iter()
            .find(|(_, s)| matches!(s, Settled::Unknown(_)))
            .map(|(id, s)| format!("{id}: {}", s.evidence()))
            .unwrap_or_default();
        Ok(Outcome::Unsettled(
            format!(
                "reconcile {}: {} of {} unknown item(s) are still unknown, the provider could not tell ({first_unknown})",
                chain.root, counts.unknown, counts.total
            ),
            Some(format!(
                "check them at the provider (`certctl journal show {} --unknown` lists them); `{resume}` then holds them back unless --retry-unknown, and sends the {} not applied",
                chain.root, counts.not_applied
            )),
        ))
    } else {
        Ok(Outcome::Success)
    };
    // Recorded as the operation's items: applied as succeeded, not applied as failed.
    let items = Summary {
        total: counts.total,
        succeeded: counts.applied,
        failed: counts.not_applied,
        unknown: counts.unknown,
        skipped: 0,
    };
    recorder.settle(
        provider.name(),
        spec.name,
        crate::outcome::status(&result),
        items,
        recorder.requests().counts(),
    );
    result
}

/// What identifies a reconcile in its report.
struct Report<'a> {
    provider: &'static str,
    operation: &'static str,
    profile: &'a str,
    run_id: &'a str,
    reconciles: &'a str,
    counts: Counts,
}

impl Report<'_> {
    /// `settled` when no item is left unknown, else `unknown`.
    fn outcome(&self) -> &'static str {
        if self.counts.unknown == 0 {
            "settled"
        } else {
            "unknown"
        }
    }

    /// The report's fields besides its items.
    fn head(&self) -> serde_json::Map<String, Value> {
        let head = json!({
            "provider": self.provider,
            "operation": self.operation,
            "profile": self.profile,
            "run_id": self.run_id,
            "reconciles": self.reconciles,
            "outcome": self.outcome(),
            "summary": self.counts,
        });
        match head {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }

    /// Prints the report: one JSON document, NDJSON lines, or a line per item.
    fn print(&self, format: Format, items: &[(String, Settled)]) -> std::io::Result<()> {
        let item = |id: &str, state: &Settled| json!({"id": id, "outcome": state.as_str(), "evidence": state.evidence()});
        let mut out = std::io::stdout().lock();
        match format {
            Format::Json => {
                let mut doc = self.head();
                doc.insert(
                    "items".into(),
                    items.iter().map(|(id, s)| item(id, s)).collect(),
                );
                serde_json::to_writer(&mut out, &doc)?;
                writeln!(out)?;
            }
            Format::Ndjson => {
                for (id, state) in items {
                    let mut line = item(id, state);
                    line["type"] = "item".into();
                    line["run_id"] = self.run_id.into();
                    serde_json::to_writer(&mut out, &line)?;
                    writeln!(out)?;
                }
                let mut summary = self.head();
                summary.insert("type".into(), "summary".into());
                serde_json::to_writer(&mut out, &summary)?;
                writeln!(out)?;
            }
            // `-o ids` is refused before any command runs: only lists take it.
            Format::Text | Format::Ids => {
                let width = items.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
                for (id, state) in items {
                    writeln!(
                        out,
                        "{id:width$}  {:<11}  {}",
                        state.as_str(),
                        state.evidence()
                    )?;
                }
                let c = self.counts;
                writeln!(
                    out,
                    "{} {} reconcile of chain {}: {} applied, {} not applied, {} unknown of {} (run {})",
                    self.provider,
                    self.operation,
                    self.reconciles,
                    c.applied,
                    c.not_applied,
                    c.unknown,
                    c.total,
                    self.run_id
                )?;
                if c.not_applied > 0 {
                    writeln!(
                        out,
                        "--resume {} sends the {} item(s) not applied again",
                        self.reconciles, c.not_applied
                    )?;
                }
            }
        }
        out.flush()
    }
}
