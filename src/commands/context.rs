//! What a provider command runs with: the profile's settings, the engine built from
//! the global options, pacing, the `--sandbox` emulator and `--plan-out`.

use std::path::PathBuf;

use clap::ArgMatches;
use clap::parser::ValueSource;

use super::metrics::Recorder;
use super::sandbox;
use crate::cli::IdSource;
use crate::config::{Settings, Source, Valued};
use crate::engine::client::Http;
use crate::engine::{Engine, Operation};
use crate::error::{Error, Result};
use crate::input::{Check, Ids};
use crate::outcome::Outcome;
use crate::providers::ProviderId;

/// What the context knows of the command before it runs: the operation its verb
/// maps to (none for `apply`, `check`, `reconcile`) and what it asks of `--resume`.
#[derive(Default)]
pub struct Running {
    /// The operation the command runs.
    pub spec: Option<&'static crate::engine::Spec>,
    /// Its `--resume`, if given.
    pub resuming: Option<crate::cli::Resuming>,
}

/// What a provider command needs: settings and the engine.
pub struct Context {
    /// The resolved settings of the profile.
    pub settings: Settings,
    /// The engine every operation runs on.
    pub engine: Engine,
    rate: Option<Valued<f64>>,
    /// With `--sandbox`: the emulator's window scale, which pacing follows.
    pace_scale: Option<f64>,
    /// The in-process emulator of `--sandbox`, alive as long as the command.
    sandbox: Option<crate::sandbox::Handle>,
    /// `--plan-out FILE`: operations are planned into FILE instead of run.
    plan_out: Option<PathBuf>,
}

impl Context {
    /// The context of a command, with the settings of the profile `--profile` names.
    pub(super) async fn new(
        global: &crate::cli::GlobalArgs,
        matches: &ArgMatches,
        recorder: &Recorder,
        running: Running,
    ) -> Result<Context> {
        let settings = load_settings(global, matches, None)?;
        Context::with_settings(global, matches, settings, recorder, running).await
    }

    /// The context of a command whose settings are already loaded (`apply` loads
    /// the plan's profile). The `recorder` learns the profile, and its tally counts
    /// the answers of the run's HTTP client.
    pub(super) async fn with_settings(
        global: &crate::cli::GlobalArgs,
        matches: &ArgMatches,
        mut settings: Settings,
        recorder: &Recorder,
        running: Running,
    ) -> Result<Context> {
        let mut pace_scale = None;
        let sandbox = if global.sandbox {
            let (handle, scale) = sandbox::start_in_process().await?;
            pace_scale = Some(scale);
            settings.use_sandbox(&handle.base_url(), crate::sandbox::TOKEN);
            settings.profile = Valued::new("sandbox".into(), Source::Flag);
            Some(handle)
        } else {
            None
        };
        recorder.settings(&settings);
        let http = Http::new(
            global.timeout,
            global.retries,
            settings.needs_tls() || proxy_over_tls(),
            recorder.requests(),
        )?;
        let mut engine = Engine {
            http,
            format: global.output,
            profile: settings.profile.value.clone(),
            dry_run: global.dry_run || global.plan_out.is_some(),
            yes: global.yes,
            quiet: global.quiet,
            progress: global.log_format == crate::cli::LogFormat::Text,
            concurrency: global.concurrency as usize,
            journal: settings.journal.value,
            journal_at: None,
            sandbox: global.sandbox,
            resume: None,
            plan: None,
            max_items: max_items(global, matches, &settings),
        };
        let rate = global
            .rate
            .map(|r| Valued::new(r, source_of(matches, "rate")));
        if let Some(resuming) = &running.resuming {
            let path = crate::engine::journal::path(global.sandbox)?;
            let mut resume =
                crate::engine::journal::Resume::load(&path, &resuming.run, resuming.retry_unknown)?;
            resume.check_profile(&engine.profile)?;
            if resuming.reconcile && !engine.dry_run && resume.has_unknown() {
                let pace = |p: ProviderId| {
                    let pace = settings.provider(p).pace(rate.as_ref());
                    match pace_scale {
                        Some(scale) => pace.scaled(scale),
                        None => pace,
                    }
                };
                read_back_first(&mut resume, &path, &engine, &settings, running.spec, pace).await?;
            }
            engine.resume = Some(std::sync::Arc::new(resume));
        }
        Ok(Context {
            settings,
            engine,
            rate,
            pace_scale,
            sandbox,
            plan_out: global.plan_out.clone(),
        })
    }

    /// Refuses a target whose size cannot be counted (`--campaign`, `--all`, named by
    /// `option`) when `--max-items` is set.
    pub fn refuse_uncounted(&self, option: &str) -> Result<()> {
        match &self.engine.max_items {
            Some(max) => Err(max.refuse_whole(option)),
            None => Ok(()),
        }
    }

    /// The root URL of the `--sandbox` emulator, if this run has one.
    pub fn sandbox_root(&self) -> Option<String> {
        self.sandbox.as_ref().map(crate::sandbox::Handle::base_url)
    }

    /// The command's ID list: its arguments and `--from`, each checked by `check`,
    /// deduplicated, and filtered by this run's `--resume` (the one way a command
    /// opens its IDs, so none can forget the filter).
    pub fn ids(&self, args: Vec<String>, source: &IdSource, check: Check) -> Result<Ids> {
        let resumed = crate::input::Resumed::new(
            self.engine
                .resume
                .clone()
                .map(|r| r as std::sync::Arc<dyn crate::input::Skip>),
        );
        crate::input::open(args, source.from.as_deref(), check, resumed)
    }

    /// How requests to `provider` are paced in this run.
    pub fn pace(&self, provider: crate::providers::ProviderId) -> crate::engine::rate::Pace {
        let pace = self.settings.provider(provider).pace(self.rate.as_ref());
        match self.pace_scale {
            Some(scale) => pace.scaled(scale),
            None => pace,
        }
    }

    /// Runs an operation paced by its provider's settings; how it ended decides the
    /// exit code and the sentence on stderr (see [`crate::outcome::conclude`]).
    /// Over `--max-items`, nothing is sent, confirmed, journaled or planned.
    pub async fn run(&self, op: Operation) -> Result<Outcome> {
        let op = match &self.engine.max_items {
            Some(max) => max.check(op)?,
            None => op,
        };
        if let Some(path) = &self.plan_out {
            let out = self.plan_out(op.spec.provider, path)?;
            return Ok(Outcome::ran(self.engine.plan(op, out)?));
        }
        let pace = self.pace(op.spec.provider);
        self.say_when_pacing_dominates(&op, &pace);
        let ended = self.engine.run(op, pace).await?;
        Ok(Outcome::ran(ended))
    }
}

impl Context {
    /// Says once on stderr when pacing, not the network, will make a run long, with
    /// the expected time and how to change it, so a slow bulk run is not a mystery.
    fn say_when_pacing_dominates(&self, op: &Operation, pace: &crate::engine::rate::Pace) {
        let Some(requests) = op.requests else { return };
        let least = pace.least_time(requests as u64);
        if self.engine.dry_run || least < std::time::Duration::from_secs(10) {
            return;
        }
        let why = match self.rate.as_ref() {
            Some(rate) => format!("--rate {} ({})", rate.value, rate.source),
            None => format!("{}'s documented rate limits", op.spec.provider.name()),
        };
        let change = if self.pace_scale.is_some() {
            "the emulator enforces no limit unless CERTCTL_SANDBOX_LIMITS=1, so --rate 0 runs this rehearsal at full speed"
        } else {
            "--rate N (or `rate = N` in the provider's settings) sets your own pace; --rate 0 sends as fast as --concurrency allows"
        };
        tracing::warn!(
            "{requests} requests paced to {why} take at least {}: {change}",
            humantime::format_duration(std::time::Duration::from_secs(least.as_secs()))
        );
    }

    /// What a plan of an operation on `provider` records: the profile, the base URL
    /// (`sandbox` for the emulator, whose root is then cut from every URL), and the
    /// credential to leave out.
    fn plan_out(
        &self,
        provider: crate::providers::ProviderId,
        path: &std::path::Path,
    ) -> Result<crate::engine::plan::Out> {
        let p = self.settings.provider(provider);
        let (base_url, sandbox_root) = match self.sandbox_root() {
            Some(root) => (crate::engine::plan::SANDBOX.to_string(), Some(root)),
            None => (p.base_url()?, None),
        };
        Ok(crate::engine::plan::Out {
            path: path.to_path_buf(),
            profile: self.settings.profile.value.clone(),
            base_url,
            sandbox_root,
            secret_key: p.info().secret_key,
            secret: p.secret()?.clone(),
        })
    }
}

/// Whether plain-HTTP requests could reach their proxy over TLS (an `https://`
/// proxy URL), which needs the CA store even when every base URL is `http://`.
/// Only Linux's proxies come from the environment alone; elsewhere the system's
/// proxy settings may name one, so the store is always loaded.
fn proxy_over_tls() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .any(|url| {
            url.trim()
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        })
}

/// `--resume` reads the provider back first (README, "When a run is cut or its
/// outcome is unknown"): the chain's unknown items that the provider can tell
/// about are settled before anything is sent, applied ones to be skipped and
/// not-applied ones sent. Nothing is read when the command runs another operation
/// than the chain's (the engine refuses it), or one with no read-back. Refused
/// credentials stop the command (an auth error) before anything is sent.
async fn read_back_first(
    resume: &mut crate::engine::journal::Resume,
    path: &std::path::Path,
    engine: &Engine,
    settings: &Settings,
    running: Option<&'static crate::engine::Spec>,
    pace: impl Fn(ProviderId) -> crate::engine::rate::Pace,
) -> Result<()> {
    let (provider_name, operation) = resume.operation();
    let Some(provider) = ProviderId::from_name(provider_name) else {
        return Ok(());
    };
    if let Some(running) = running
        && (running.provider.name() != provider_name || running.name != operation)
    {
        return Ok(());
    }
    let Some(spec) = crate::providers::spec(provider, operation) else {
        return Ok(());
    };
    let Some(read_back) = spec.read_back else {
        return Ok(());
    };
    let p = settings.provider(provider);
    let account = crate::engine::Account {
        base: p.base_url()?,
        secret: p.secret()?.clone(),
    };
    let Some(chain) = crate::engine::journal::Chain::find(path, resume.run_id())? else {
        return Ok(());
    };
    let pending = crate::engine::journal::unknown_items(path, &chain)?;
    let back = read_back(&account, pending, crate::engine::reconcile::Reading::Listed);
    let Some(done) = engine
        .reconcile(provider, spec.name, back, pace(provider))
        .await?
    else {
        return Ok(());
    };
    if let Some(e) = done.auth_refused {
        return Err(Error::new(
            crate::error::ErrorKind::Auth,
            format!(
                "--resume {}: {} refused the credentials while reading back the unknown items, so nothing was sent: {}",
                resume.run_id(),
                provider.name(),
                e.message
            ),
        )
        .hint(format!(
            "check the {} setting of the profile",
            provider.info().secret_key
        )));
    }
    let count = |what: &str| {
        done.items
            .iter()
            .filter(|(_, s)| s.as_str() == what)
            .count()
    };
    tracing::info!(
        "--resume {}: read back {} unknown item(s): {} applied (skipped), {} not applied (sent again), {} still unknown",
        resume.run_id(),
        done.items.len(),
        count("applied"),
        count("not_applied"),
        count("unknown")
    );
    resume.settle(done.items);
    Ok(())
}

/// `--max-items` (or `CERTCTL_MAX_ITEMS`), else the profile's `max_items`, named as
/// the user set it.
fn max_items(
    global: &crate::cli::GlobalArgs,
    matches: &ArgMatches,
    settings: &Settings,
) -> Option<crate::engine::MaxItems> {
    let (limit, named) = match (global.max_items, &settings.max_items) {
        (Some(n), _) => match source_of(matches, "max_items") {
            Source::Env => (n, format!("CERTCTL_MAX_ITEMS={n}")),
            _ => (n, format!("--max-items {n}")),
        },
        (None, Some(file)) => (
            file.value,
            format!(
                "max_items = {} (profile `{}`)",
                file.value, settings.profile.value
            ),
        ),
        (None, None) => return None,
    };
    Some(crate::engine::MaxItems { limit, named })
}

/// Where clap found a global option's value.
pub(super) fn source_of(matches: &ArgMatches, id: &str) -> Source {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        if sub.value_source(id) == Some(ValueSource::CommandLine) {
            return Source::Flag;
        }
        m = sub;
    }
    match matches.value_source(id) {
        Some(ValueSource::CommandLine) => Source::Flag,
        Some(ValueSource::EnvVariable) => Source::Env,
        _ => Source::Default,
    }
}

/// The settings of the profile `--profile` names, or of `profile` when given
/// (the profile a plan was made with).
pub(super) fn load_settings(
    global: &crate::cli::GlobalArgs,
    matches: &ArgMatches,
    profile: Option<Valued<String>>,
) -> Result<Settings> {
    let path = global
        .config
        .clone()
        .map(|p| Valued::new(p, source_of(matches, "config")));
    let profile = profile.or_else(|| {
        global
            .profile
            .clone()
            .map(|p| Valued::new(p, source_of(matches, "profile")))
    });
    Settings::load(path, profile, global.sandbox, &|name| {
        std::env::var(name).ok()
    })
}
