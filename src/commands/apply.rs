//! `certctl apply FILE`: sends exactly the requests of a plan written by
//! `--plan-out`, through the same engine as the operation it plans.
//!
//! Every refusal comes before the first request: the plan's format and digest and
//! its age ([`crate::engine::plan`]), its profile, and that its requests go to the
//! base URL configured now. The adapter of the plan's provider still judges each
//! answer and says whether the operation asks for confirmation and may be sent
//! twice (its [`crate::engine::Spec`], found by [`crate::providers::spec`]); the engine confirms (showing the digest),
//! paces, retries, journals (each line carrying the digest) and reports.

use std::time::SystemTime;

use clap::ArgMatches;

use super::context::{Context, load_settings};
use super::metrics::Recorder;
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::config::{Settings, Source, Valued};
use crate::engine::plan::{self, Plan};
use crate::engine::{Account, Operation, Step};
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::providers::{self, ProviderId};

/// Runs `certctl apply`; the `recorder` learns the plan's operation once the plan is
/// read.
pub async fn run(
    args: ApplyArgs,
    global: &GlobalArgs,
    matches: &ArgMatches,
    recorder: &Recorder,
) -> Result<Outcome> {
    let plan = Plan::read(&args.file)?;
    plan.check_age(args.max_age, SystemTime::now())?;
    plan.check_sandbox(global.sandbox)?;
    let provider = ProviderId::from_name(&plan.provider).ok_or_else(|| {
        Error::usage(format!(
            "the plan is for the provider `{}`, which this certctl does not know",
            plan.provider
        ))
    })?;
    // Named by the spec, never by the file's own string: a label comes from
    // certctl's list of operations.
    if let Some(spec) = providers::spec(provider, &plan.operation) {
        recorder.job(provider.name(), spec.name);
    }
    let settings = if global.sandbox {
        load_settings(global, matches, None)?
    } else {
        settings_of(&plan.profile, "the plan was made", global, matches)?
    };
    let running = super::context::Running {
        spec: None,
        resuming: args.resuming(),
    };
    let mut ctx = Context::with_settings(global, matches, settings, recorder, running).await?;
    let p = ctx.settings.provider(provider);
    let base = p.base_url()?;
    let secret = p.secret()?.clone();
    let spec = providers::spec(provider, &plan.operation).ok_or_else(|| {
        Error::usage(format!(
            "the plan's operation `{}` is not a state-changing {} operation this certctl can apply",
            plan.operation, plan.provider
        ))
    })?;
    let info = provider.info();
    let root = ctx.sandbox_root();
    let units = plan.units(&plan::Target {
        base_url: &base,
        sandbox_root: root.as_deref(),
        sandbox_prefix: info.sandbox_prefix,
        secret_key: info.secret_key,
        secret: &secret,
    })?;
    let preview = units
        .iter()
        .flat_map(|u| u.ids.iter())
        .take(crate::input::PREVIEW)
        .cloned()
        .collect();
    let requests = units.len();
    let locator = units.first().map(spec.locate).unwrap_or_default();
    // Resumed, the items that succeeded earlier are skipped and counted apart: the
    // operation's own count is what is left to do, as for an ID list.
    let settled = |id: &String| ctx.engine.resume.as_ref().is_some_and(|r| r.is_settled(id));
    let count = units
        .iter()
        .flat_map(|u| u.ids.iter())
        .filter(|id| !settled(id))
        .count();
    let account = Account {
        base: base.clone(),
        secret: secret.clone(),
    };
    let mut op = Operation::new(spec, account, units.into_iter().map(|u| Ok(Step::Send(u)))).sized(
        Some(count),
        Some(requests),
        preview,
    );
    op.locator = locator;
    ctx.engine.plan = Some(plan.digest);
    ctx.run(op).await
}

/// The settings of `profile`, the one a plan was made with or a run used (`what`
/// says which, as in "the plan was made"). A `--profile` (or `CERTCTL_PROFILE`)
/// naming another one is a usage error: the plan was reviewed, and the run changed,
/// that account. Without one, `profile` is loaded even when the config file's
/// default is another.
pub(super) fn settings_of(
    profile: &str,
    what: &str,
    global: &GlobalArgs,
    matches: &ArgMatches,
) -> Result<Settings> {
    if let Some(given) = global.profile.as_deref().filter(|p| *p != profile) {
        return Err(Error::usage(format!(
            "{what} with the profile `{profile}`, not `{given}`"
        ))
        .hint(format!(
            "run it without --profile (and CERTCTL_PROFILE), or with --profile {profile}"
        )));
    }
    let settings = load_settings(global, matches, None)?;
    if settings.profile.value == profile {
        return Ok(settings);
    }
    // `default` is the profile certctl uses when none is named, which need not be in
    // the file (settings from the environment); any other must be there.
    let source = if profile == "default" {
        Source::Default
    } else {
        Source::Flag
    };
    load_settings(
        global,
        matches,
        Some(Valued::new(profile.to_string(), source)),
    )
}
