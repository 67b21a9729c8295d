//! The hook that records a command in the `--metrics-file` (README, "Running from
//! cron"); the file's format lives in [`crate::metrics`].
//!
//! How a command takes part:
//! - [`super::run`] starts a [`Recorder`] before dispatching and calls
//!   [`Recorder::finish`] with the command's result, whatever it is: success,
//!   failure, unknown, interrupted, or an error before anything was sent.
//! - A command records nothing until it names its job with [`Recorder::job`]
//!   (provider and operation). Provider operations and `check PROVIDER` are named
//!   from the command line before anything else runs, so a configuration error is
//!   recorded too; `apply` names the plan's operation once the plan is read; a
//!   command that learns its provider and operation later (from a journal chain, say)
//!   calls `recorder.job(provider, operation)` as soon as it knows them, and the rest
//!   is done for it.
//! - [`super::Context`] tells the recorder the profile in use and its
//!   `metrics_file`, and hands the recorder's tally to the HTTP client, which counts
//!   every answer, retries included.
//! - A command whose jobs end differently (`check`, one job per provider) gives each
//!   its own end with [`Recorder::settle`]; the others take the command's.
//!
//! Dry runs and `--plan-out` record nothing. A file that cannot be written is a
//! warning: the exit code is the command's.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use crate::config::Settings;
use crate::error::Result;
use crate::metrics::{Job, Requests, Run};
use crate::outcome::Outcome;
use crate::report::Summary;

/// A job's own end, for a command that reports several jobs (`check`).
#[derive(Debug, Clone, Copy)]
struct Settled {
    exit_code: u8,
    items: Summary,
    requests: [u64; 6],
}

/// One job the command runs.
#[derive(Debug)]
struct Named {
    provider: &'static str,
    operation: String,
    settled: Option<Settled>,
}

/// What the command has told the recorder so far.
#[derive(Debug, Default)]
struct State {
    profile: Option<String>,
    /// The profile's `metrics_file`, below `--metrics-file` and the environment.
    profile_path: Option<PathBuf>,
    jobs: Vec<Named>,
}

/// Records the jobs of one command in the metrics file when the command ends.
#[derive(Debug)]
pub struct Recorder {
    started: Instant,
    /// `--metrics-file` or `CERTCTL_METRICS_FILE`.
    path: Option<PathBuf>,
    /// The profile named on the command line, for an error before the settings load.
    named_profile: String,
    /// A dry run or `--plan-out`: nothing is recorded.
    off: bool,
    requests: Arc<Requests>,
    state: Mutex<State>,
}

impl Recorder {
    /// A recorder for the command `global` describes.
    pub fn start(global: &crate::cli::GlobalArgs) -> Recorder {
        let named_profile = match (&global.profile, global.sandbox) {
            (_, true) => "sandbox".to_string(),
            (Some(p), false) => p.clone(),
            (None, false) => "default".to_string(),
        };
        Recorder {
            started: Instant::now(),
            path: global.metrics_file.clone(),
            named_profile,
            off: global.dry_run || global.plan_out.is_some(),
            requests: Arc::new(Requests::new()),
            state: Mutex::new(State::default()),
        }
    }

    /// The tally the run's HTTP client counts its answers into.
    pub fn requests(&self) -> Arc<Requests> {
        self.requests.clone()
    }

    /// The profile in use and its `metrics_file`, once the settings are loaded.
    pub fn settings(&self, settings: &Settings) {
        let mut state = self.lock();
        state.profile = Some(settings.profile.value.clone());
        state.profile_path = settings.metrics_file.as_ref().map(|v| v.value.clone());
    }

    /// Names a job of this command: from now on the file is updated when it ends.
    pub fn job(&self, provider: &'static str, operation: &str) {
        let mut state = self.lock();
        if !state
            .jobs
            .iter()
            .any(|j| j.provider == provider && j.operation == operation)
        {
            state.jobs.push(Named {
                provider,
                operation: operation.to_string(),
                settled: None,
            });
        }
    }

    /// Gives a job its own end: its exit code (as `certctl` would exit had it run
    /// alone), its items and the answers it received.
    pub fn settle(
        &self,
        provider: &'static str,
        operation: &str,
        exit_code: u8,
        items: Summary,
        requests: [u64; 6],
    ) {
        self.job(provider, operation);
        let mut state = self.lock();
        if let Some(job) = state
            .jobs
            .iter_mut()
            .find(|j| j.provider == provider && j.operation == operation)
        {
            job.settled = Some(Settled {
                exit_code,
                items,
                requests,
            });
        }
    }

    /// Records every named job with the command's end (or its own), if there is a
    /// file to record them in.
    pub fn finish(&self, result: &Result<Outcome>) {
        let state = self.lock();
        let Some(path) = self.path.as_ref().or(state.profile_path.as_ref()) else {
            return;
        };
        if self.off || state.jobs.is_empty() {
            return;
        }
        let (exit_code, items) = match result {
            Ok(outcome) => (outcome.exit_code(), outcome.summary()),
            Err(e) => (e.kind().exit_code(), Summary::default()),
        };
        let command = Settled {
            exit_code,
            items,
            requests: self.requests.counts(),
        };
        let profile = state
            .profile
            .clone()
            .unwrap_or_else(|| self.named_profile.clone());
        let ended = SystemTime::now();
        let duration = self.started.elapsed();
        let runs: Vec<Run> = state
            .jobs
            .iter()
            .map(|job| {
                let end = job.settled.unwrap_or(command);
                Run {
                    job: Job {
                        profile: profile.clone(),
                        provider: job.provider.to_string(),
                        operation: job.operation.clone(),
                    },
                    ended,
                    duration,
                    exit_code: end.exit_code,
                    items: end.items,
                    requests: end.requests,
                }
            })
            .collect();
        if let Err(why) = crate::metrics::update(path, &runs) {
            tracing::warn!("the metrics file {} was not updated: {why}", path.display());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
