//! The commands: the tree ([`tree`]), each command's arguments beside the function
//! that runs it (one module per provider, and `apply`, `check`, `config`, `journal`,
//! `sandbox`), and the dispatch here. A provider command resolves its settings
//! ([`Context`]), has the adapter build the operation, and hands it to the engine;
//! none sends a request itself.

use std::io::Write;

use clap::ArgMatches;

mod apply;
mod bcdiploma;
mod check;
mod config;
mod context;
mod digicert;
mod info;
mod journal;
mod metrics;
mod origin;
mod reconcile;
mod sandbox;
mod sertifika;
mod tree;

pub use context::Context;
pub use metrics::refused_command_line;
pub use tree::{Cli, Command, command};

use crate::error::{Error, Result, io_error};
use crate::outcome::Outcome;
use crate::providers::ProviderId;
use metrics::Recorder;

/// Runs the command; how it ended becomes the exit code in `outcome::conclude`.
/// An operation, `apply`, `reconcile` and `check` are recorded in the `--metrics-file` when they
/// end, whatever their end (see [`metrics`]).
pub async fn run(cli: Cli, matches: &ArgMatches) -> Result<Outcome> {
    let recorder = Recorder::start(&cli.global);
    if let Some(spec) = cli.command.spec() {
        recorder.job(spec.provider.name(), spec.name);
    }
    if let Command::Check { providers } = &cli.command {
        for id in providers.iter().filter_map(|p| ProviderId::from_name(p)) {
            recorder.job(id.name(), CHECK);
        }
    }
    let result = dispatch(cli, matches, &recorder).await;
    recorder.finish(&result);
    result
}

/// The operation label under which `check` is recorded.
const CHECK: &str = "check";

/// Runs the command the command line names.
async fn dispatch(cli: Cli, matches: &ArgMatches, recorder: &Recorder) -> Result<Outcome> {
    if cli.global.plan_out.is_some() && cli.command.spec().is_none() {
        return Err(Error::usage(
            "--plan-out plans an operation at a provider (delete, disable, enable, revoke, approve, reject, issue), and this command is not one",
        )
        .hint("use --dry-run to see what it would do without doing it"));
    }
    if cli.global.output == crate::output::Format::Ids && !lists(matches) {
        return Err(Error::usage(
            "-o ids prints the IDs of a list, and this command lists nothing",
        )
        .hint("use it with digicert orders list, digicert requests list, sertifika templates|users|certificates list or journal show --unknown"));
    }
    let running = context::Running {
        spec: cli.command.spec(),
        resuming: cli.command.resuming(),
    };
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "certctl", &mut script);
            let mut out = std::io::stdout();
            out.write_all(&script)
                .and_then(|()| out.flush())
                .map_err(io_error)?;
            Ok(Outcome::Success)
        }
        Command::Config(cmd) => config::run(cmd, &cli.global, matches),
        Command::Version => info::version(cli.global.output),
        Command::Man => info::man(),
        Command::Journal(cmd) => journal::run(
            cmd,
            cli.global.output,
            cli.global.sandbox,
            cli.global.dry_run,
        ),
        Command::Bcdiploma(noun) => {
            bcdiploma::run(
                noun,
                &Context::new(&cli.global, matches, recorder, running).await?,
            )
            .await
        }
        Command::Check { providers } => {
            let ctx = Context::new(&cli.global, matches, recorder, running).await?;
            check::run(&providers, &ctx, recorder).await
        }
        Command::Sandbox(crate::cli::SandboxCommand::Serve(args)) => sandbox::serve(args).await,
        Command::Apply(args) => apply::run(args, &cli.global, matches, recorder).await,
        Command::Reconcile(args) => reconcile::run(args, &cli.global, matches, recorder).await,
        Command::Digicert(noun) => {
            digicert::run(
                noun,
                &Context::new(&cli.global, matches, recorder, running).await?,
            )
            .await
        }
        Command::Origin(noun) => {
            origin::run(
                noun,
                &Context::new(&cli.global, matches, recorder, running).await?,
            )
            .await
        }
        Command::Sertifika(noun) => {
            sertifika::run(
                noun,
                &Context::new(&cli.global, matches, recorder, running).await?,
            )
            .await
        }
    }
}

/// Whether the command being run lists objects, the only kind `-o ids` prints: its
/// path ends in `list` under a provider (`digicert orders list`, `sertifika users
/// list`), or it is `journal show --unknown`.
fn lists(matches: &ArgMatches) -> bool {
    let mut path = Vec::new();
    let mut m = matches;
    while let Some((name, sub)) = m.subcommand() {
        path.push(name);
        m = sub;
    }
    match path.as_slice() {
        ["journal", "show"] => m.get_flag("unknown"),
        [provider, _, "list"] => crate::providers::ProviderId::from_name(provider).is_some(),
        _ => false,
    }
}
