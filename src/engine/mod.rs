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
mod confirm;
mod dry_run;
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
mod run;
mod setup;
mod stop;
mod task;
#[cfg(test)]
mod tests;

pub use cap::MaxItems;
pub use ended::Ended;
pub use operation::{Account, Judging, Operation, Spec, Step, Unit, Verdict};
pub use setup::Engine;
