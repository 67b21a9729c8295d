//! `certctl journal list|show`: what certctl changed, when, and whether it worked.
//!
//! Both read the journal file named by `CERTCTL_JOURNAL` or the default state path,
//! whatever the profile's `journal` setting (turning the journal off stops new
//! records, not reading old ones).

use std::io::Write;

use serde_json::Value;

use crate::cli::journal::JournalCommand;
use crate::engine::io_error;
use crate::engine::journal;
use crate::error::Result;
use crate::outcome::Outcome;
use crate::output::{self, Format};

/// Runs a `journal` command and returns the exit code; `sandbox` reads the journal
/// of `--sandbox` runs instead of the production one.
pub fn run(cmd: JournalCommand, format: Format, sandbox: bool) -> Result<Outcome> {
    let path = journal::path(sandbox)?;
    match cmd {
        JournalCommand::List { limit } => {
            let mut runs = journal::runs(&path)?;
            runs.truncate(limit as usize);
            let value = serde_json::to_value(&runs).unwrap_or(Value::Null);
            output::print_read(format, &value, |v| {
                output::table::of_objects(
                    v,
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
        JournalCommand::Show { run_id, unknown } => {
            let Some(chain) = journal::Chain::find(&path, &run_id)? else {
                return Err(journal::no_such_run(&path, &run_id));
            };
            let mut items = journal::chain_items(&path, &chain)?;
            if unknown {
                items.retain(|i| i.outcome == "unknown");
                if format == Format::Text {
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
