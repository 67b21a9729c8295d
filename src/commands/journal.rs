//! `certctl journal list|show`: what certctl changed, when, and whether it worked.
//!
//! Both read the journal file named by `CERTCTL_JOURNAL` or the default state path,
//! whatever the profile's `journal` setting (turning the journal off stops new
//! records, not reading old ones).

use serde_json::Value;

use crate::cli::journal::JournalCommand;
use crate::engine::io_error;
use crate::engine::journal;
use crate::error::Result;
use crate::output::{self, Format};

/// Runs a `journal` command and returns the exit code.
pub fn run(cmd: JournalCommand, format: Format) -> Result<u8> {
    let path = journal::path()?;
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
                        ("succeeded", "succeeded"),
                        ("failed", "failed"),
                        ("unknown", "unknown"),
                        ("not sent", "not_sent"),
                    ],
                )
            })
            .map_err(io_error)?;
            Ok(0)
        }
        JournalCommand::Show { run_id } => {
            let Some((run, items)) = journal::run_items(&path, &run_id)? else {
                return Err(journal::no_such_run(&path, &run_id));
            };
            let value = serde_json::to_value(&items).unwrap_or(Value::Null);
            output::print_read(format, &value, |v| {
                let head = format!(
                    "run {} {} {} profile {} started {}: {} succeeded, {} failed, {} unknown, {} not sent\n",
                    run.run_id,
                    run.provider,
                    run.operation,
                    run.profile,
                    run.time,
                    run.succeeded,
                    run.failed,
                    run.unknown,
                    run.not_sent
                );
                head + &output::table::of_objects(
                    v,
                    &[
                        ("id", "id"),
                        ("outcome", "outcome"),
                        ("http", "http_status"),
                        ("error", "error_kind"),
                        ("sent", "sent"),
                        ("done", "done"),
                    ],
                )
            })
            .map_err(io_error)?;
            Ok(0)
        }
    }
}
