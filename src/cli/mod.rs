//! The command-line grammar: global options and the command tree, parsing only.
//!
//! `certctl [GLOBAL OPTIONS] <provider> <noun> <verb> [ARGS]` or
//! `certctl <command>`. Each provider's nouns and verbs live in its own file here;
//! resolving settings and running commands happens elsewhere.

pub mod bcdiploma;
pub mod digicert;
pub mod journal;
pub mod origin;
pub mod sertifika;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::output::Format;

/// Run the certificate lifecycle operations of BCdiploma, Origin, DigiCert
/// CertCentral and Sertifika Merkezi from one place
#[derive(Debug, Parser)]
#[command(
    name = "certctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_long_help = "EXAMPLES:\n  certctl bcdiploma certificates disable --campaign demo-campaign --dry-run\n  certctl -o json --yes digicert orders revoke 1001 1002 --comment \"key compromised\"\n  certctl config init && certctl config show\n\nEXIT CODES:\n  0 success, 1 rejected, 2 usage, 3 partial, 4 config/auth, 5 not found, 6 temporary, 130 interrupted"
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted before or after any subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global Options")]
pub struct GlobalArgs {
    /// Profile of the config file to use
    #[arg(
        short = 'p',
        long,
        env = "CERTCTL_PROFILE",
        global = true,
        value_name = "NAME"
    )]
    pub profile: Option<String>,

    /// Config file [default: $XDG_CONFIG_HOME/certctl/config.toml]
    #[arg(
        short = 'c',
        long,
        env = "CERTCTL_CONFIG",
        global = true,
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,

    /// Output format
    #[arg(
        short = 'o',
        long,
        env = "CERTCTL_OUTPUT",
        global = true,
        value_enum,
        default_value = "text",
        value_name = "FORMAT"
    )]
    pub output: Format,

    /// Build and print the requests, send nothing
    #[arg(short = 'n', long, global = true)]
    pub dry_run: bool,

    /// Do not ask before irreversible operations
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,

    /// Log requests to stderr (-v requests, -vv headers, -vvv bodies)
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Log nothing but errors, and show no progress bar
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,

    /// Per-request timeout, such as 500ms, 30s or 2m
    #[arg(long, env = "CERTCTL_TIMEOUT", global = true, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Retries of a failed request that is safe to retry
    #[arg(
        long,
        env = "CERTCTL_RETRIES",
        global = true,
        default_value_t = 3,
        value_name = "N"
    )]
    pub retries: u32,

    /// Requests in flight at once
    #[arg(long, env = "CERTCTL_CONCURRENCY", global = true, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..), value_name = "N")]
    pub concurrency: u16,

    /// At most N requests per second (0: unlimited) [default: the provider's documented budget]
    #[arg(long, env = "CERTCTL_RATE", global = true, value_parser = parse_rate, value_name = "N")]
    pub rate: Option<f64>,

    /// Run against the built-in emulator instead of the configured hosts (no account needed)
    #[arg(long, global = true)]
    pub sandbox: bool,
}

/// The command tree as parsed: a flag given twice (say `-o json` in an alias and
/// `-o text` after it) takes its last value, in every subcommand.
pub fn command() -> clap::Command {
    fn override_self(cmd: clap::Command) -> clap::Command {
        cmd.args_override_self(true).mut_subcommands(override_self)
    }
    override_self(<Cli as clap::CommandFactory>::command())
}

/// Parses `--timeout` and other durations (`500ms`, `30s`, `2m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text.trim()) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err("a duration must be more than zero".into()),
        Err(e) => Err(format!(
            "`{text}` is not a duration like 500ms, 30s or 2m ({e})"
        )),
    }
}

fn parse_rate(text: &str) -> Result<f64, String> {
    crate::config::parse_rate(text)
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// BCdiploma: delete, disable or re-enable certificates, delete a campaign's data
    #[command(subcommand)]
    Bcdiploma(bcdiploma::Noun),
    /// DigiCert CertCentral: revoke orders or certificates, show, approve or reject revoke requests
    #[command(subcommand)]
    Digicert(digicert::Noun),
    /// Origin: delete certifications, follow the results of async deletes
    #[command(subcommand)]
    Origin(origin::Noun),
    /// Sertifika Merkezi: list templates and users, issue and revoke certificates
    #[command(subcommand, visible_alias = "sm")]
    Sertifika(sertifika::Noun),
    /// Check that providers are configured, reachable and accept their credentials
    ///
    /// Meant for CI smoke checks: exit 0 only when every check passes, else the code
    /// of the first failure (4: missing setting or refused credential, 6: unreachable).
    #[command(
        after_long_help = "EXAMPLES:\n  certctl check\n  certctl -p prod check digicert sertifika\n  certctl --sandbox -o json check"
    )]
    Check {
        /// Providers to check [default: every configured one]
        #[arg(value_name = "PROVIDER", value_parser = ["bcdiploma", "origin", "digicert", "sertifika", "sm"])]
        providers: Vec<String>,
    },
    /// Run the emulator of the four APIs
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// List the recorded runs, or show what one run changed
    #[command(subcommand)]
    Journal(journal::JournalCommand),
    /// Write, show or locate the config file
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script
    #[command(
        after_help = "EXAMPLES:\n  certctl completions bash > ~/.local/share/bash-completion/completions/certctl\n  certctl completions zsh > ~/.zfunc/_certctl"
    )]
    Completions {
        /// The shell to complete for
        #[arg(value_enum, value_name = "SHELL")]
        shell: Shell,
    },
}

/// `certctl sandbox ...`
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the stateful emulator of the four APIs until interrupted
    ///
    /// Paths: /bcdiploma, /origin, /digicert/services/v2 and /sertifika. Credential:
    /// `sandbox-token` (Sertifika company `sandbox-company`). A ready-to-paste config
    /// profile is printed on start; `--write-config` also writes it to a file before
    /// the first connection is accepted, for scripts to wait on.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sandbox serve --listen 127.0.0.1:8080\n  certctl sandbox serve --listen 127.0.0.1:0 --write-config sandbox.toml\n  certctl sandbox serve --faults 429=0.1,503=0.05,reset=0.02 --seed 7 --limits"
    )]
    Serve(SandboxArgs),
}

/// The emulator's knobs.
#[derive(Debug, Args, Clone)]
pub struct SandboxArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Failures to inject, e.g. 429=0.1,503=0.05,500=0.02,reset=0.02,slow=0.05:3s,reset-after=0.01
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Seed of the fault sequence, to replay it
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Write the ready-to-use config (mode 0600) to PATH before serving
    ///
    /// The file appears whole (written beside PATH, then renamed) once the address is
    /// bound, so a script can wait for it to exist and then use it as CERTCTL_CONFIG:
    /// its default profile is `sandbox`.
    #[arg(long, value_name = "PATH")]
    pub write_config: Option<PathBuf>,
    /// Enforce the documented rate windows and answer 429 past them
    #[arg(long)]
    pub limits: bool,
    /// Multiply every rate window's period by F (for quick pacing rehearsals)
    #[arg(long, value_name = "F", default_value_t = 1.0, hide = true)]
    pub limit_scale: f64,
}

/// `certctl config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented config file (mode 0600) at the config path
    #[command(
        after_help = "EXAMPLES:\n  certctl config init\n  certctl --config ./certctl.toml config init --force"
    )]
    Init {
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Show the effective settings of the profile and where each came from
    #[command(
        after_help = "EXAMPLES:\n  certctl config show\n  certctl -p prod -o json config show"
    )]
    Show,
    /// Print the config file path in use
    #[command(
        after_help = "EXAMPLES:\n  certctl config path\n  $EDITOR \"$(certctl config path)\""
    )]
    Path,
}

/// IDs from arguments and/or a file, shared by every ID-taking operation.
#[derive(Debug, Args, Clone)]
pub struct IdSource {
    /// Read more IDs from FILE, one per line (- for standard input)
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Skip the items that succeeded in run RUN_ID (see `certctl journal list`)
    ///
    /// Only the same provider and operation can be resumed. Skipped items are counted
    /// as `skipped`. Items sent in that run with no recorded outcome (it was killed)
    /// are sent again when the operation is safe to repeat, and otherwise reported as
    /// failed for you to check.
    #[arg(long, value_name = "RUN_ID")]
    pub resume: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn globals_work_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["certctl", "config", "show", "-o", "json", "--timeout", "2m"])
                .unwrap();
        assert_eq!(cli.global.output, Format::Json);
        assert_eq!(cli.global.timeout, Duration::from_secs(120));
    }

    #[test]
    fn impossible_values_are_refused() {
        for args in [
            &["certctl", "--concurrency", "0", "config", "show"][..],
            &["certctl", "--timeout", "soon", "config", "show"][..],
            &["certctl", "--rate", "-1", "config", "show"][..],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
