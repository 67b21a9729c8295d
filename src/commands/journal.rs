//! `certctl journal list|show|prune`: what certctl changed, when, and whether it
//! worked; and old chains of runs removed from the journal.
//!
//! They read the journal file named by `CERTCTL_JOURNAL` or the default state path,
//! whatever the profile's `journal` setting (turning the journal off stops new
//! records, not reading old ones).

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Subcommand;
use serde_json::Value;

use crate::cli::parse_duration;
use crate::engine::journal;
use crate::error::Result;
use crate::error::io_error;
use crate::outcome::Outcome;
use crate::output::{self, Format};

/// `certctl journal ...`
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// List recent runs with their counts, newest first
    ///
    /// The journal is $XDG_STATE_HOME/certctl/journal.ndjson unless CERTCTL_JOURNAL
    /// names another file. UNKNOWN counts items sent with no recorded outcome (the
    /// run was killed); NOT SENT counts items journaled as about to go when the run
    /// was interrupted.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl journal list\n  certctl journal list --limit 5 -o json"
    )]
    List {
        /// Show at most N runs
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
        limit: u32,
    },
    /// Show every item of a run and its resumes with its latest outcome
    ///
    /// A run and the runs that resumed it form a chain; any of them may be named,
    /// and each item shows its latest outcome across the chain. An item is
    /// `unknown` when the change may or may not have been applied (reported so, or
    /// sent with no recorded outcome because the run was killed): check it at the
    /// provider, then run the operation again with `--resume RUN_ID --retry-unknown`
    /// to send it, or `--resume RUN_ID` alone to hold it back. An unknown RUN_ID
    /// exits 5.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl journal show 01J9ZQ3K4V6W8X0Y2Z4A6B8C0D\n  certctl journal show 01J9ZQ3K4V6W8X0Y2Z4A6B8C0D --unknown > to-check.txt\n  certctl -o json journal show 01J9ZQ3K4V6W8X0Y2Z4A6B8C0D | jq '.[] | select(.outcome != \"succeeded\")'"
    )]
    Show {
        /// The run's identifier (the `run_id` of its report)
        #[arg(value_name = "RUN_ID")]
        run_id: String,
        /// List only the unknown items: in text, their IDs one per line (for --from -)
        #[arg(long)]
        unknown: bool,
    },
    /// Remove the chains of runs that ended long ago, or move them to an archive
    ///
    /// Rewrites the journal without every chain (a run and the runs that resumed it)
    /// whose last line is older than DURATION. With --archive, their lines are added
    /// gzip-compressed to FILE, as a new gzip member after what it holds (`zcat FILE`
    /// reads them all). A chain that still holds unknown items is never removed: it is
    /// named on stderr, to check at the provider first (`certctl journal show RUN_ID
    /// --unknown`). The journal is replaced atomically, once the runs writing to it have
    /// finished. With --dry-run it says what it would remove and changes nothing. Exits 0.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl --dry-run journal prune --before 90d\n  certctl journal prune --before 90d\n  certctl -o json journal prune --before 1y --archive journal-archive.ndjson.gz"
    )]
    Prune {
        /// Remove the chains whose last line is older than this (90d, 12w, 1y)
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        before: Duration,
        /// Move the removed lines there, gzip-compressed, instead of deleting them (a
        /// new file, or an archive an earlier prune wrote)
        #[arg(long, value_name = "FILE")]
        archive: Option<PathBuf>,
    },
}

/// Runs a `journal` command and returns the exit code; `sandbox` reads the journal
/// of `--sandbox` runs instead of the production one; `dry_run` keeps `prune` to
/// saying what it would remove.
pub fn run(cmd: JournalCommand, format: Format, sandbox: bool, dry_run: bool) -> Result<Outcome> {
    let path = journal::path(sandbox)?;
    match cmd {
        JournalCommand::List { limit } => {
            let runs = journal::recent(&path, limit as usize)?;
            let value = serde_json::to_value(&runs).unwrap_or(Value::Null);
            output::print_read(format, &value, |v| {
                // A reconcile run shows as its operation followed by `reconcile`.
                let mut rows = v.clone();
                for row in rows.as_array_mut().into_iter().flatten() {
                    if row["reconcile"] == true {
                        let op = row["operation"].as_str().unwrap_or_default();
                        row["operation"] = format!("{op} reconcile").into();
                    }
                }
                output::table::of_objects(
                    &rows,
                    &[
                        ("run id", "run_id"),
                        ("time", "time"),
                        ("profile", "profile"),
                        ("provider", "provider"),
                        ("operation", "operation"),
                        ("resumes", "resumes"),
                        ("succeeded", "succeeded"),
                        ("failed", "failed"),
                        ("unknown", "unknown"),
                        ("skipped", "skipped"),
                        ("not sent", "not_sent"),
                    ],
                )
            })
            .map_err(io_error)?;
            Ok(Outcome::Success)
        }
        JournalCommand::Prune { before, archive } => {
            // A duration reaching before 1970 prunes nothing (no line is that old);
            // such a time could not be written as RFC 3339 either.
            let cutoff = SystemTime::now()
                .checked_sub(before)
                .filter(|t| *t >= SystemTime::UNIX_EPOCH)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            let pruned = journal::prune(&path, cutoff, archive.as_deref(), dry_run)?;
            let kept = if dry_run { "would keep" } else { "kept" };
            for root in &pruned.kept_unknown {
                tracing::warn!(
                    "{kept} the chain of run {root}: it ended before the cut-off but still holds unknown items; check them at the provider (`certctl journal show {root} --unknown`), settle them with --resume, then prune again"
                );
            }
            let cutoff = humantime::format_rfc3339_seconds(cutoff).to_string();
            let value = serde_json::json!({
                "before": cutoff,
                "pruned": {"chains": pruned.chains, "runs": pruned.runs, "lines": pruned.lines},
                "kept_unknown": pruned.kept_unknown,
                "archive": archive,
                "dry_run": dry_run,
            });
            let (moved, removed, nothing_changed) = if dry_run {
                (
                    "would move",
                    "would remove",
                    " (--dry-run: nothing changed)",
                )
            } else {
                ("moved", "removed", "")
            };
            output::print_read(format, &value, |_| match (pruned.chains, &archive) {
                (0, _) => format!(
                    "nothing to prune: no chain without unknown items ended before {cutoff}"
                ),
                (n, Some(file)) => format!(
                    "{moved} {n} chain(s) ({} run(s), {} line(s)) that ended before {cutoff} to {}{nothing_changed}",
                    pruned.runs,
                    pruned.lines,
                    file.display()
                ),
                (n, None) => format!(
                    "{removed} {n} chain(s) ({} run(s), {} line(s)) that ended before {cutoff}{nothing_changed}",
                    pruned.runs, pruned.lines
                ),
            })
            .map_err(io_error)?;
            Ok(Outcome::Success)
        }
        JournalCommand::Show { run_id, unknown } => {
            let Some(chain) = journal::Chain::find(&path, &run_id)? else {
                return Err(journal::no_such_run(&path, &run_id));
            };
            let mut items = journal::chain_items(&path, &chain)?;
            if unknown {
                items.retain(|i| i.outcome == "unknown");
                if matches!(format, Format::Text | Format::Ids) {
                    let mut out = std::io::stdout().lock();
                    for item in &items {
                        writeln!(out, "{}", item.id).map_err(io_error)?;
                    }
                    out.flush().map_err(io_error)?;
                    return Ok(Outcome::Success);
                }
            }
            let value = serde_json::to_value(&items).unwrap_or(Value::Null);
            output::print_read(format, &value, |v| {
                let count = |o: &str| items.iter().filter(|i| i.outcome == o).count();
                let runs: Vec<&str> = chain.runs.iter().map(|r| r.run_id.as_str()).collect();
                let head = match chain.first() {
                    Some(first) => format!(
                        "chain of {} run(s) ({}) {} {} profile {} started {}: {} succeeded, {} failed, {} unknown, {} not sent\n",
                        runs.len(),
                        runs.join(", "),
                        first.provider,
                        first.operation,
                        first.profile,
                        first.time,
                        count("succeeded"),
                        count("failed"),
                        count("unknown"),
                        count("not_sent")
                    ),
                    None => String::new(),
                };
                head + &output::table::of_objects(
                    v,
                    &[
                        ("id", "id"),
                        ("outcome", "outcome"),
                        ("http", "http_status"),
                        ("error", "error_kind"),
                        ("reconciled", "reconciled"),
                        ("run", "run_id"),
                        ("sent", "sent"),
                        ("done", "done"),
                    ],
                )
            })
            .map_err(io_error)?;
            Ok(Outcome::Success)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::{Cli, Command};
    use clap::Parser;

    #[test]
    fn list_and_show_parse() {
        let cli = Cli::try_parse_from(["certctl", "journal", "list", "--limit", "3"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Journal(super::JournalCommand::List { limit: 3 })
        ));
        assert!(Cli::try_parse_from(["certctl", "journal", "list", "--limit", "0"]).is_err());
        assert!(Cli::try_parse_from(["certctl", "journal", "show"]).is_err());
        let cli = Cli::try_parse_from(["certctl", "journal", "prune", "--before", "90d"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Journal(super::JournalCommand::Prune { before, archive: None })
                if before == std::time::Duration::from_secs(90 * 86_400)
        ));
        assert!(Cli::try_parse_from(["certctl", "journal", "prune"]).is_err());
        assert!(Cli::try_parse_from(["certctl", "journal", "prune", "--before", "0s"]).is_err());
    }
}
