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
//! - A command line that clap refuses (a missing or bad argument) never reaches a
//!   command: `main` calls [`refused_command_line`], which reads it again leniently
//!   and records the operation its words name.
//!
//! Dry runs and `--plan-out` record nothing. A file that cannot be written is a
//! warning: the exit code is the command's.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use crate::config::{Settings, Source, Valued};
use crate::engine::Spec;
use crate::error::{Error, ExitStatus, Result};
use crate::metrics::{Job, Requests, Run};
use crate::outcome::Outcome;
use crate::providers::ProviderId;
use crate::report::Summary;

/// A job's own end, for a command that reports several jobs (`check`).
#[derive(Debug, Clone, Copy)]
struct Settled {
    status: ExitStatus,
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
        Recorder::new(
            global.metrics_file.clone(),
            global.profile.as_deref(),
            global.sandbox,
            global.dry_run || global.plan_out.is_some(),
        )
    }

    /// A recorder for a command with these global options: `--metrics-file`,
    /// `--profile`, `--sandbox`, and whether it sends nothing.
    fn new(path: Option<PathBuf>, profile: Option<&str>, sandbox: bool, off: bool) -> Recorder {
        let named_profile = match (profile, sandbox) {
            (_, true) => "sandbox",
            (Some(p), false) => p,
            (None, false) => "default",
        };
        Recorder {
            started: Instant::now(),
            path,
            named_profile: named_profile.to_string(),
            off,
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

    /// Gives a job its own end: its exit status (as `certctl` would exit had it run
    /// alone), its items and the answers it received.
    pub fn settle(
        &self,
        provider: &'static str,
        operation: &str,
        status: ExitStatus,
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
                status,
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
        let status = crate::outcome::status(result);
        let items = result
            .as_ref()
            .map_or_else(|_| Summary::default(), Outcome::summary);
        let command = Settled {
            status,
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
                    status: end.status,
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

/// Records a command line clap refused (a missing or bad argument: a usage error) when its
/// words name an operation: the provider and operation are known although nothing
/// could run. The command line is read again with clap's errors ignored, for the
/// operation, `--metrics-file`, `--profile`, `--config`, `--sandbox` and whether it
/// was a dry run; the profile's `metrics_file` counts when the config file loads.
pub fn refused_command_line(error: &clap::Error) {
    let Ok(matches) = super::command().ignore_errors(true).try_get_matches() else {
        return;
    };
    let Some(spec) = named_spec(&matches) else {
        return;
    };
    let profile = found::<String>(&matches, "profile").or_else(|| from_env("CERTCTL_PROFILE"));
    let sandbox = flag(&matches, "sandbox");
    let recorder = Recorder::new(
        found::<PathBuf>(&matches, "metrics_file")
            .or_else(|| from_env("CERTCTL_METRICS_FILE").map(PathBuf::from)),
        profile.as_deref(),
        sandbox,
        flag(&matches, "dry_run") || found::<PathBuf>(&matches, "plan_out").is_some(),
    );
    let config = found::<PathBuf>(&matches, "config")
        .or_else(|| from_env("CERTCTL_CONFIG").map(PathBuf::from))
        .map(|p| Valued::new(p, Source::Flag));
    let named = profile.map(|p| Valued::new(p, Source::Flag));
    if let Ok(settings) = Settings::load(config, named, sandbox, &|name| std::env::var(name).ok()) {
        let mut state = recorder.lock();
        state.profile_path = settings.metrics_file.map(|v| v.value);
        if !sandbox {
            state.profile = Some(settings.profile.value);
        }
    }
    recorder.job(spec.provider.name(), spec.name);
    let first_line = error.to_string();
    let first_line = first_line.lines().next().unwrap_or("a bad command line");
    recorder.finish(&Err(Error::usage(first_line.to_string())));
}

/// The operation the words `PROVIDER NOUN VERB` of a command line name, the verb's
/// dashes read as underscores (`campaigns delete-history` is
/// `campaigns.delete_history`); a test checks every operation is named so.
fn named_spec(matches: &clap::ArgMatches) -> Option<&'static Spec> {
    let (provider, noun) = matches.subcommand()?;
    let provider = ProviderId::from_name(provider)?;
    let (noun_name, verb) = noun.subcommand()?;
    let (verb_name, _) = verb.subcommand()?;
    crate::providers::spec(
        provider,
        &format!("{noun_name}.{}", verb_name.replace('-', "_")),
    )
}

/// A global option's value, wherever on the command line it was given.
fn found<T: Clone + Send + Sync + 'static>(matches: &clap::ArgMatches, id: &str) -> Option<T> {
    let mut level = Some(matches);
    let mut value = None;
    while let Some(m) = level {
        if let Ok(Some(v)) = m.try_get_one::<T>(id) {
            value = Some(v.clone());
        }
        level = m.subcommand().map(|(_, sub)| sub);
    }
    value
}

/// A variable clap may not have read: once one variable's value is refused, clap
/// reads none of those after it.
fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether a global switch was given.
fn flag(matches: &clap::ArgMatches, id: &str) -> bool {
    found::<bool>(matches, id).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of every provider is named by its `provider noun verb` words,
    /// so a refused command line of any operation is recorded.
    #[test]
    fn every_operation_is_named_by_its_words() {
        for info in &crate::registry::PROVIDERS {
            for spec in crate::providers::adapter(info.id).specs() {
                let (noun, verb) = spec.name.split_once('.').unwrap_or_default();
                let words = ["certctl", info.name, noun, &verb.replace('_', "-")];
                let matches = super::super::command()
                    .ignore_errors(true)
                    .try_get_matches_from(words)
                    .unwrap_or_else(|e| panic!("{words:?}: {e}"));
                let named = named_spec(&matches).map(|s| s.name);
                assert_eq!(named, Some(spec.name), "{words:?}");
            }
        }
    }
}
