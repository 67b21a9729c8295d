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
mod origin;
mod sandbox;
mod sertifika;
mod tree;

pub use context::Context;
pub use tree::{Cli, Command, command};

use crate::error::{Error, Result, io_error};
use crate::outcome::Outcome;

/// Runs the command; how it ended becomes the exit code in `outcome::conclude`.
pub async fn run(cli: Cli, matches: &ArgMatches) -> Result<Outcome> {
    if cli.global.plan_out.is_some() && cli.command.spec().is_none() {
        return Err(Error::usage(
            "--plan-out plans a state-changing operation (delete, disable, enable, revoke, approve, reject, issue), and this command changes nothing",
        )
        .hint("use --dry-run to see the requests of a read"));
    }
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
        Command::Journal(cmd) => journal::run(cmd, cli.global.output, cli.global.sandbox),
        Command::Bcdiploma(noun) => {
            bcdiploma::run(noun, &Context::new(&cli.global, matches).await?).await
        }
        Command::Check { providers } => {
            check::run(&providers, &Context::new(&cli.global, matches).await?).await
        }
        Command::Sandbox(crate::cli::SandboxCommand::Serve(args)) => sandbox::serve(args).await,
        Command::Apply(args) => apply::run(args, &cli.global, matches).await,
        Command::Digicert(noun) => {
            digicert::run(noun, &Context::new(&cli.global, matches).await?).await
        }
        Command::Origin(noun) => {
            origin::run(noun, &Context::new(&cli.global, matches).await?).await
        }
        Command::Sertifika(noun) => {
            sertifika::run(noun, &Context::new(&cli.global, matches).await?).await
        }
    }
}
