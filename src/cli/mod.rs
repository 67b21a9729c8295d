//! The command-line grammar every command shares: the global options, the argument
//! groups several commands take, the value parsers, and the rules applied to the
//! whole tree (examples folded to 80 columns, exit codes in every operation's help,
//! colour). Parsing only.
//!
//! `certctl [GLOBAL OPTIONS] <provider> <noun> <verb> [ARGS]` or
//! `certctl <command>`. The tree itself, and each provider's nouns and verbs, live
//! with the code that runs them, in the `commands` module.

mod values;

pub(crate) use values::value_enum;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ColorChoice, Subcommand};

use crate::output::Format;

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
    ///
    /// `json` and `ndjson` follow the JSON Schemas in `schemas/` of certctl's source
    /// (see "Output contract" in its README).
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

    /// Build and print the requests, send nothing (journal prune and config init:
    /// say what they would write)
    #[arg(short = 'n', long, global = true)]
    pub dry_run: bool,

    /// Write the requests of a state-changing operation to FILE for review, send nothing
    ///
    /// Behaves as --dry-run and also writes a plan file (mode 0600) with the exact
    /// requests, credentials left out as placeholders, and a digest of them.
    /// `certctl apply FILE` later sends exactly those requests.
    #[arg(long, global = true, value_name = "FILE")]
    pub plan_out: Option<PathBuf>,

    /// Do not ask before irreversible operations
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,

    /// Log requests to stderr (-v requests, -vv headers, -vvv bodies)
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Log nothing but errors, and show no progress bar
    ///
    /// In text output, also leave out the lines of items that succeeded: failed and
    /// unknown items and the summary remain. JSON and NDJSON are unchanged.
    #[arg(short = 'q', long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Colour log lines: auto (on a terminal unless NO_COLOR is set), always or never
    #[arg(
        long,
        env = "CERTCTL_COLOR",
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,

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

    /// After each operation, apply, reconcile or check, update the Prometheus text file PATH
    ///
    /// For cron jobs watched by node_exporter's textfile collector: the run's end
    /// time, duration, exit code, items by outcome, HTTP answers by class and the
    /// last success, labelled with profile, provider and operation; other jobs'
    /// samples in the file are kept. Also `metrics_file = "PATH"` in the profile.
    /// Dry runs and --plan-out leave it alone.
    #[arg(long, env = "CERTCTL_METRICS_FILE", global = true, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,

    /// Log lines on stderr as text, or as one JSON object per line for log collectors
    #[arg(
        long,
        env = "CERTCTL_LOG_FORMAT",
        global = true,
        value_enum,
        default_value = "text",
        value_name = "FORMAT"
    )]
    pub log_format: LogFormat,

    /// Refuse an operation whose ID list holds more than N items
    ///
    /// Guards a pipeline that selected more than meant (an empty filter, a typo):
    /// over N distinct IDs (arguments, --from, --resume, a plan under `apply`),
    /// nothing is sent, confirmed, journaled or planned, and the exit code is 2.
    /// --campaign and --all, whose size cannot be counted, are refused under it.
    /// Also `max_items = N` in the profile.
    #[arg(long, env = "CERTCTL_MAX_ITEMS", global = true, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_items: Option<u64>,
}

/// How log lines are written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text each.
    Text,
    /// One JSON object each: timestamp, level, message and the line's fields.
    Json,
}

/// What `certctl --version` and `certctl version` print after the name: the crate
/// version, then the commit, build date (UTC) and target that `build.rs` stamped, so
/// a bug report names the exact build.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CERTCTL_COMMIT"),
    ", built ",
    env!("CERTCTL_BUILD_DATE"),
    ", ",
    env!("CERTCTL_TARGET"),
    ")"
);

/// The exit codes, appended to the `--help` of the top level and of every operation,
/// so a script writer finds them where they read about the command.
pub const EXIT_CODES: &str = "EXIT CODES:
  0    everything succeeded (also: a dry run)
  1    the provider rejected the operation, or another failure
  2    usage: bad arguments or input, confirmation not given
  3    partial: some items succeeded and some failed
  4    configuration or authentication: a missing or bad setting, 401, 403
  5    not found: 404
  6    temporary: network, timeout, 429 or 5xx after retries; run it later
  7    outcome unknown: see `certctl journal show RUN_ID` before running again
  130  interrupted (Ctrl-C); what completed before is reported";

/// The widest an example line may be in `--help`: clap wraps help text at the
/// terminal's width, and a command line broken in the middle cannot be pasted, so
/// longer examples are continued with ` \` on lines of at most this width, which
/// stays whole on an 80-column terminal.
const EXAMPLE_WIDTH: usize = 78;

/// The command tree `root` (as derived) with what the derive cannot say:
/// - a flag given twice (say `-o json` in an alias and `-o text` after it) takes its
///   last value, in every subcommand;
/// - examples are folded to fit 80 columns with shell continuations, and a command
///   group's examples are the first example of each of its subcommands;
/// - every provider operation and `check` lists the exit codes;
/// - clap's own help and errors follow `--color` / `CERTCTL_COLOR`.
pub fn decorated(root: clap::Command) -> clap::Command {
    let cmd = decorate(root, 0, false);
    let help = with_exit_codes(cmd.get_after_long_help());
    let cmd = cmd.after_long_help(help);
    match color_from_raw_args(std::env::args_os(), std::env::var("CERTCTL_COLOR").ok()) {
        Some(choice) => cmd.color(choice),
        None => cmd,
    }
}

/// Applies [`decorated`]'s rules to `cmd` at `depth` (0: the root), `operation` telling
/// whether it sits under a provider.
fn decorate(mut cmd: clap::Command, depth: usize, operation: bool) -> clap::Command {
    cmd = cmd.args_override_self(true);
    if let Some(text) = cmd.get_after_help().map(ToString::to_string) {
        cmd = cmd.after_help(fold_examples(&text));
    }
    if let Some(text) = cmd.get_after_long_help().map(ToString::to_string) {
        cmd = cmd.after_long_help(fold_examples(&text));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in &names {
        let provider = crate::registry::PROVIDERS.iter().any(|p| p.name == name);
        let operation = operation || (depth == 0 && provider);
        cmd = cmd.mut_subcommand(name, |sub| decorate(sub, depth + 1, operation));
    }
    if names.is_empty() {
        if depth > 0 && (operation || matches!(cmd.get_name(), "check" | "apply")) {
            let help = with_exit_codes(cmd.get_after_long_help().or(cmd.get_after_help()));
            cmd = cmd.after_long_help(help);
        }
    } else if depth > 0 && cmd.get_after_long_help().is_none() {
        let firsts: Vec<String> = cmd
            .get_subcommands()
            .filter_map(|s| examples(s).into_iter().next())
            .collect();
        if !firsts.is_empty() {
            cmd = cmd.after_long_help(format!("EXAMPLES:\n{}", firsts.join("\n")));
        }
    }
    cmd
}

/// A command's help epilogue followed by [`EXIT_CODES`].
fn with_exit_codes(help: Option<&clap::builder::StyledStr>) -> String {
    match help {
        Some(text) => format!("{text}\n\n{EXIT_CODES}"),
        None => EXIT_CODES.to_string(),
    }
}

/// The examples of a command's help, one entry per command line (continuation
/// lines included).
fn examples(cmd: &clap::Command) -> Vec<String> {
    let Some(text) = cmd.get_after_long_help().or(cmd.get_after_help()) else {
        return Vec::new();
    };
    let text = text.to_string();
    let mut entries: Vec<String> = Vec::new();
    let mut continued = false;
    for line in example_lines(&text) {
        match entries.last_mut() {
            Some(last) if continued => {
                last.push('\n');
                last.push_str(line);
            }
            _ => entries.push(line.to_string()),
        }
        continued = line.ends_with(" \\");
    }
    entries
}

/// The lines of the `EXAMPLES:` section of a help epilogue.
fn example_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .skip_while(|l| *l != "EXAMPLES:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
}

/// Folds every example line wider than [`EXAMPLE_WIDTH`] at spaces outside quotes
/// into shell continuation lines, indented under the command; the rest of the text
/// is kept as it is.
fn fold_examples(text: &str) -> String {
    let mut out = Vec::new();
    let mut in_examples = false;
    for line in text.lines() {
        if line == "EXAMPLES:" {
            in_examples = true;
        } else if line.trim().is_empty() {
            in_examples = false;
        } else if in_examples && line.chars().count() > EXAMPLE_WIDTH {
            out.extend(fold_line(line));
            continue;
        }
        out.push(line.to_string());
    }
    out.join("\n")
}

/// One command line as continuation lines of at most [`EXAMPLE_WIDTH`] characters
/// where the words allow; an option stays on the line of the value after it.
fn fold_line(line: &str) -> Vec<String> {
    let indent = line.len() - line.trim_start().len();
    let mut units: Vec<String> = Vec::new();
    let mut option_open = false;
    for word in shell_words(line.trim_start()) {
        match units.last_mut() {
            Some(last) if option_open && !word.starts_with('-') => {
                last.push(' ');
                last.push_str(word);
                option_open = false;
            }
            _ => {
                units.push(word.to_string());
                option_open = word.starts_with('-');
            }
        }
    }
    let mut lines = Vec::new();
    let mut current = line[..indent].to_string();
    let mut fresh = true;
    for word in &units {
        let width = current.chars().count() + 1 + word.chars().count() + 2;
        if !fresh && width > EXAMPLE_WIDTH {
            lines.push(format!("{current} \\"));
            current = " ".repeat(indent + 4);
            fresh = true;
        }
        if !fresh {
            current.push(' ');
        }
        current.push_str(word);
        fresh = false;
    }
    lines.push(current);
    lines
}

/// Splits a command line at spaces outside single or double quotes.
fn shell_words(line: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => {
                quote = Some(c);
                start.get_or_insert(i);
            }
            (None, ' ') => {
                if let Some(s) = start.take() {
                    words.push(&line[s..i]);
                }
            }
            (None, _) => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(s) = start {
        words.push(&line[s..]);
    }
    words
}

/// The colour choice of the raw arguments (`--color WHEN`, `--color=WHEN`) or of
/// `CERTCTL_COLOR`, for clap's own help and errors, which are written before the
/// arguments are parsed. `None` leaves clap to its default (a terminal and
/// `NO_COLOR`).
fn color_from_raw_args(
    args: impl Iterator<Item = std::ffi::OsString>,
    env: Option<String>,
) -> Option<ColorChoice> {
    let mut chosen = env;
    let mut args = args.skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy().into_owned();
        if arg == "--" {
            break;
        } else if arg == "--color" {
            chosen = args.next().map(|v| v.to_string_lossy().into_owned());
        } else if let Some(value) = arg.strip_prefix("--color=") {
            chosen = Some(value.to_string());
        }
    }
    match chosen.as_deref() {
        Some("always") => Some(ColorChoice::Always),
        Some("never") => Some(ColorChoice::Never),
        _ => None,
    }
}

/// Whether certctl's own log lines are coloured: `always` and `never` are obeyed;
/// `auto` colours only a terminal, and not when `NO_COLOR` is set to anything but
/// the empty string (<https://no-color.org>: a choice made on the command line or in
/// `CERTCTL_COLOR` beats `NO_COLOR`).
pub fn use_color(
    choice: ColorChoice,
    is_terminal: bool,
    no_color: Option<std::ffi::OsString>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
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

/// `certctl apply FILE`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan file written by --plan-out
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Refuse a plan made longer ago than this, such as 12h or 7d
    #[arg(long, default_value = "7d", value_parser = parse_duration, value_name = "DURATION")]
    pub max_age: Duration,
    /// Continue run RUN_ID of this plan: send only what is not done yet
    ///
    /// As for any operation: items that succeeded in the run's chain are skipped,
    /// failed ones are sent again, and unknown ones of an operation that is not safe
    /// to send twice are held back unless --retry-unknown.
    #[arg(long, value_name = "RUN_ID")]
    pub resume: Option<String>,
    /// With --resume: send the unknown items too, once you checked they were not applied
    #[arg(long, requires = "resume")]
    pub retry_unknown: bool,
    /// With --resume: do not read the unknown items back from the provider first
    ///
    /// By default --resume first asks the provider what happened to the chain's
    /// unknown items, as `certctl reconcile` does: applied ones are skipped,
    /// not-applied ones sent, and only those it cannot tell about are held back.
    #[arg(long, requires = "resume")]
    pub no_reconcile: bool,
}

impl ApplyArgs {
    /// What `--resume` asks of the plan's run, if it was given.
    pub fn resuming(&self) -> Option<Resuming> {
        Resuming::of(&self.resume, self.retry_unknown, self.no_reconcile)
    }
}

/// What `--resume` asks, as parsed: the run to continue and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resuming {
    /// `--resume RUN_ID`.
    pub run: String,
    /// `--retry-unknown`: send the unknown items too.
    pub retry_unknown: bool,
    /// Whether the unknown items are read back from the provider first (no
    /// `--no-reconcile`).
    pub reconcile: bool,
}

impl Resuming {
    /// The request of a command's three `--resume` flags, if `--resume` was given.
    pub fn of(run: &Option<String>, retry_unknown: bool, no_reconcile: bool) -> Option<Resuming> {
        run.as_ref().map(|run| Resuming {
            run: run.clone(),
            retry_unknown,
            reconcile: !no_reconcile,
        })
    }
}

/// `certctl reconcile RUN_ID`
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Any run of the chain to settle (the `run_id` of its report)
    #[arg(value_name = "RUN_ID")]
    pub run_id: String,
    /// Read each unknown item on its own, never through the account's lists
    ///
    /// Many unknown DigiCert order revokes are read from the account's revoke
    /// requests and revoked orders, page by page, when that takes fewer requests
    /// than reading each order; this reads each order instead.
    #[arg(long)]
    pub one_by_one: bool,
}

/// `certctl sandbox ...`
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the stateful emulator of the four APIs until interrupted
    ///
    /// Paths: /bcdiploma, /origin, /digicert/services/v2 and /sertifika. Credential:
    /// `sandbox-token` (Sertifika company `sandbox-company`). A ready-to-paste config
    /// profile is printed on start; `--write-config` also writes it to a file before
    /// the first connection is accepted, for scripts to wait on. DigiCert holds 2,000
    /// seeded orders from 10001 (`--orders N` for more): those whose ID ends in 0 or 5
    /// are not issued, those ending in 9 carry a request, the others are issued.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sandbox serve --listen 127.0.0.1:8080\n  certctl sandbox serve --listen 127.0.0.1:0 --write-config sandbox.toml\n  certctl sandbox serve --faults 429=0.1,503=0.05,reset=0.02 --seed 7 --limits\n  certctl sandbox serve --orders 100000"
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
    /// How many DigiCert orders to seed (numbered from 10001)
    ///
    /// At most 1,000,000; 100,000 orders hold a few megabytes.
    #[arg(long, value_name = "N", default_value_t = crate::sandbox::DEFAULT_ORDERS,
          value_parser = clap::value_parser!(u64).range(1..=crate::sandbox::MAX_ORDERS))]
    pub orders: u64,
}

/// `certctl config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented config file (mode 0600) at the config path
    ///
    /// With --dry-run it prints the file instead, and writes nothing.
    #[command(
        after_help = "EXAMPLES:\n  certctl config init\n  certctl --config ./certctl.toml config init --force\n  certctl --dry-run config init > certctl.toml.example"
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
    /// Continue run RUN_ID: send only what is not done yet (see `certctl journal list`)
    ///
    /// Any run of a chain of resumes may be named: each item's latest state across
    /// the chain decides. Items that succeeded are skipped (counted as `skipped`);
    /// failed ones are sent again. Items whose outcome is unknown (the change may have
    /// been applied) are sent again when the operation is safe to repeat, and
    /// otherwise reported `unknown` once more, unless --retry-unknown. Only the same
    /// provider, operation and profile can be resumed.
    #[arg(long, value_name = "RUN_ID")]
    pub resume: Option<String>,
    /// With --resume: send the unknown items too, once you checked they were not applied
    ///
    /// `certctl journal show RUN_ID --unknown` lists them. Without this flag an
    /// operation that is not safe to send twice (revokes, Origin deletes, Sertifika
    /// issuing) never sends them again.
    #[arg(long, requires = "resume")]
    pub retry_unknown: bool,
    /// With --resume: do not read the unknown items back from the provider first
    ///
    /// By default --resume first asks the provider what happened to the chain's
    /// unknown items, as `certctl reconcile` does: applied ones are skipped,
    /// not-applied ones sent, and only those it cannot tell about are held back.
    #[arg(long, requires = "resume")]
    pub no_reconcile: bool,
}

impl IdSource {
    /// What `--resume` asks of the operation, if it was given.
    pub fn resuming(&self) -> Option<Resuming> {
        Resuming::of(&self.resume, self.retry_unknown, self.no_reconcile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Cli, Command};
    use clap::{CommandFactory, Parser};

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
    fn long_examples_fold_at_spaces_outside_quotes_with_options_kept_with_values() {
        let line = "  certctl --yes digicert certificates revoke 3001 3002 --comment \"key leaked now\" --reason key-compromise --skip-approval";
        let folded = fold_line(line);
        assert_eq!(
            folded,
            [
                "  certctl --yes digicert certificates revoke 3001 3002 \\",
                "      --comment \"key leaked now\" --reason key-compromise --skip-approval",
            ]
        );
        assert!(folded.iter().all(|l| l.chars().count() <= EXAMPLE_WIDTH));
        let text = format!("Intro\n\nEXAMPLES:\n{line}\n  certctl check\n\nMORE:\n{line}");
        let out = fold_examples(&text);
        assert_eq!(out.lines().count(), text.lines().count() + 1, "{out}");
        assert!(
            out.ends_with(line),
            "text after the examples is kept: {out}"
        );
    }

    #[test]
    fn exit_codes_fit_80_columns() {
        assert!(
            EXIT_CODES
                .lines()
                .all(|l| l.chars().count() <= EXAMPLE_WIDTH)
        );
    }

    #[test]
    fn colour_follows_the_choice_then_the_terminal_and_no_color() {
        use std::ffi::OsString;
        let set = || Some(OsString::from("1"));
        assert!(use_color(ColorChoice::Always, false, set()));
        assert!(!use_color(ColorChoice::Never, true, None));
        assert!(use_color(ColorChoice::Auto, true, None));
        assert!(use_color(ColorChoice::Auto, true, Some(OsString::new())));
        assert!(!use_color(ColorChoice::Auto, true, set()));
        assert!(!use_color(ColorChoice::Auto, false, None));
    }

    #[test]
    fn clap_colour_is_read_from_the_raw_arguments() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        let of = |a: &[&str]| color_from_raw_args(args(a).into_iter(), None);
        assert_eq!(
            of(&["certctl", "--color", "never", "--help"]),
            Some(ColorChoice::Never)
        );
        assert_eq!(
            of(&["certctl", "--color=always"]),
            Some(ColorChoice::Always)
        );
        assert_eq!(of(&["certctl", "--", "--color=always"]), None);
        let env = Some("never".to_string());
        assert_eq!(
            color_from_raw_args(args(&["certctl"]).into_iter(), env),
            Some(ColorChoice::Never)
        );
    }

    #[test]
    fn apply_takes_a_file_a_max_age_and_a_resume() {
        let cli = Cli::try_parse_from(["certctl", "apply", "p.json", "--yes"]).unwrap();
        let Command::Apply(args) = cli.command else {
            panic!("not apply")
        };
        assert_eq!(args.max_age, Duration::from_secs(7 * 86400));
        assert!(cli.global.yes);
        let cli = Cli::try_parse_from([
            "certctl",
            "apply",
            "p.json",
            "--max-age",
            "1h",
            "--resume",
            "R",
            "--retry-unknown",
        ])
        .unwrap();
        let Command::Apply(args) = cli.command else {
            panic!("not apply")
        };
        assert_eq!(args.max_age, Duration::from_secs(3600));
        assert_eq!(args.resume.as_deref(), Some("R"));
        assert!(Cli::try_parse_from(["certctl", "apply", "p.json", "--retry-unknown"]).is_err());
        assert!(Cli::try_parse_from(["certctl", "apply"]).is_err());
    }

    #[test]
    fn plan_out_is_global() {
        let cli = Cli::try_parse_from([
            "certctl",
            "bcdiploma",
            "certificates",
            "delete",
            "k1",
            "--plan-out",
            "p.json",
        ])
        .unwrap();
        assert_eq!(cli.global.plan_out, Some(PathBuf::from("p.json")));
    }

    #[test]
    fn quiet_and_verbose_conflict() {
        assert!(Cli::try_parse_from(["certctl", "-q", "-v", "config", "path"]).is_err());
        assert!(Cli::try_parse_from(["certctl", "config", "path", "-vq"]).is_err());
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
