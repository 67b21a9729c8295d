//! certctl: one command line for the certificate lifecycle operations of BCdiploma,
//! Origin, DigiCert CertCentral and Sertifika Merkezi.
//!
//! `main` sets up the TLS provider, logging and the runtime, runs the command, and
//! turns its result into the exit status; errors are printed here, once.

mod cli;
mod commands;
mod config;
mod engine;
mod error;
mod files;
mod input;
mod json;
mod metrics;
mod outcome;
mod output;
mod providers;
mod registry;
mod report;
mod sandbox;
mod secret;

use std::process::ExitCode;

use clap::FromArgMatches;

use error::{ErrorKind, ExitStatus};

fn main() -> ExitCode {
    // `certctl --version` alone is answered before the command tree is built: it is
    // what scripts and CI call to probe for certctl, and building the tree is most of
    // its cost. The text is clap's own `--version` output, the same `cli::VERSION`.
    let mut args = std::env::args_os().skip(1);
    if let (Some(flag), None) = (args.next(), args.next())
        && (flag == "--version" || flag == "-V")
    {
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), "certctl {}", cli::VERSION);
        return ExitStatus::Success.into();
    }
    let matches = match commands::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                commands::refused_command_line(&e);
            }
            // `--help` and `--version` end here too, on stdout: they succeeded.
            let status = if e.use_stderr() {
                ExitStatus::Failed(ErrorKind::Usage)
            } else {
                ExitStatus::Success
            };
            return status.into();
        }
    };
    let parsed = match commands::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitStatus::Failed(ErrorKind::Usage).into();
        }
    };
    init_logging(&parsed.global);
    // Installing the provider fails only if one is installed already, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("certctl: error: cannot start the async runtime: {e}");
            return ExitStatus::Failed(ErrorKind::Refused).into();
        }
    };
    outcome::conclude(runtime.block_on(commands::run(parsed, &matches))).into()
}

/// Warnings by default; `-v` requests, `-vv` headers, `-vvv` bodies; `-q` errors
/// only; `CERTCTL_LOG` (an env-filter) overrides them all. Colour follows `--color`
/// and `NO_COLOR` (see `cli::use_color`).
///
/// A text line is the event's message alone: the fields a request's line carries
/// (`method`, `url`, `status`, `duration_ms`, `attempt`, `run_id`) repeat what the
/// message says, for `--log-format json`, where each line is one JSON object with
/// `timestamp`, `level`, `message` and those fields at the top level.
fn init_logging(global: &cli::GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = std::env::var("CERTCTL_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        // Other crates' own lines (rustls' "failed to verify TLS certificate", say)
        // repeat what certctl's sentence says better: only with -v.
        .unwrap_or_else(|| {
            let others = if global.verbose > 0 { "warn" } else { "off" };
            EnvFilter::new(format!("{others},certctl={level}"))
        });
    // A log line that cannot be written (stderr closed by its reader) is dropped:
    // the subscriber's own report of it would panic on that same stderr and cut the
    // run short, journal and metrics file unfinished.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .log_internal_errors(false);
    let _ = match global.log_format {
        cli::LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
        cli::LogFormat::Text => builder
            .with_ansi(cli::use_color(
                global.color,
                std::io::IsTerminal::is_terminal(&std::io::stderr()),
                std::env::var_os("NO_COLOR"),
            ))
            .without_time()
            .fmt_fields(tracing_subscriber::fmt::format::debug_fn(
                |writer, field, value| {
                    if field.name() == "message" {
                        write!(writer, "{value:?}")
                    } else {
                        Ok(())
                    }
                },
            ))
            .try_init(),
    };
}
