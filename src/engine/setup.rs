//! The [`Engine`]: the run-wide choices every operation obeys, which the run loop
//! and the read path both read.

use std::sync::Arc;

use super::client::Http;
use super::journal;
use crate::output::Format;

/// The run-wide choices every operation obeys.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The shared HTTP client.
    pub http: Http,
    /// Output format.
    pub format: Format,
    /// The profile name for reports.
    pub profile: String,
    /// Print, send nothing.
    pub dry_run: bool,
    /// Skip confirmation.
    pub yes: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Whether a progress bar may show on a terminal (not under JSON log lines).
    pub progress: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Whether state-changing requests are journaled (the profile's `journal`).
    pub journal: bool,
    /// Whether this is a `--sandbox` run, journaled apart from production runs.
    pub sandbox: bool,
    /// The journal file, when not the one the environment names (the engine's own
    /// tests keep theirs in a temporary directory).
    pub journal_at: Option<std::path::PathBuf>,
    /// `--resume RUN_ID`: what that run already did.
    pub resume: Option<Arc<journal::Resume>>,
    /// `certctl apply`: the digest of the plan being applied, shown when asking
    /// for confirmation and written on every journal line of the run.
    pub plan: Option<String>,
    /// `--max-items N`: the most items an operation may hold.
    pub max_items: Option<super::MaxItems>,
}
