//! The command tree: the top-level commands, each provider's nouns and verbs (in
//! its own module beside the function that runs them) and the global options.

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use super::journal::JournalCommand;
use super::{bcdiploma, digicert, origin, sertifika};
use crate::cli::{ApplyArgs, ConfigCommand, GlobalArgs, ReconcileArgs, SandboxCommand, VERSION};

/// Run the certificate lifecycle operations of BCdiploma, Origin, DigiCert
/// CertCentral and Sertifika Merkezi from one place
#[derive(Debug, Parser)]
#[command(name = "certctl", version = VERSION, max_term_width = 100)]
#[command(
    after_long_help = "EXAMPLES:\n  certctl --sandbox bcdiploma certificates disable --campaign demo-campaign\n  certctl bcdiploma certificates disable --from keys.txt --dry-run\n  certctl -o json --yes digicert orders revoke 1001 1002 --comment \"key compromised\"\n  certctl config init && certctl config show"
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The command tree as parsed, with the rules [`crate::cli::decorated`] adds to what
/// the derive can say.
pub fn command() -> clap::Command {
    crate::cli::decorated(Cli::command())
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// BCdiploma: delete, disable or re-enable certificates, delete a campaign's data
    #[command(subcommand)]
    Bcdiploma(bcdiploma::Noun),
    /// DigiCert CertCentral: list and show orders and requests, revoke orders or certificates, approve or reject revoke requests
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
        #[arg(value_name = "PROVIDER", value_parser = clap::builder::PossibleValuesParser::new(crate::registry::names()))]
        providers: Vec<String>,
    },
    /// Send exactly the requests of a plan written by --plan-out
    ///
    /// The plan is refused, before anything is sent, when its requests do not match
    /// its digest, when it is older than --max-age, or when the profile's base URL
    /// is not the one it was made for. Otherwise it runs as the operation would:
    /// confirmation (showing the digest), pacing, retries, journal and report, with
    /// the credential of the plan's profile as it is set now.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl digicert orders revoke 1001 1002 --comment \"key compromised\" --plan-out revoke.plan.json\n  certctl apply revoke.plan.json\n  certctl apply revoke.plan.json --dry-run\n  certctl --yes apply revoke.plan.json --max-age 1d\n  certctl --yes apply revoke.plan.json --resume 01JABCDEF0123456789ABCDEFG"
    )]
    Apply(ApplyArgs),
    /// Ask the provider what happened to the items a run left unknown
    ///
    /// Reads, for every item whose latest outcome across RUN_ID's chain is unknown,
    /// whether the change is there (DigiCert: the order or certificate and its
    /// revoke requests; Origin: the batch result or the certifications search;
    /// Sertifika: the template's users), and records each settled item in the
    /// journal: applied ones count as succeeded (--resume skips them), not applied
    /// ones as failed (--resume sends them again, no --retry-unknown needed). It
    /// changes nothing at the provider. Exit 0 when every item was settled, 7 when
    /// some are still unknown, 4 when the credentials were refused, 2 for a run the
    /// journal does not hold.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl reconcile 01J9ZQ3K4V6W8X0Y2Z4A6B8C0D\n  certctl reconcile 01J9ZQ3K4V6W8X0Y2Z4A6B8C0D --dry-run\n  certctl -o json reconcile 01J9ZQ3K4V6W8X0Y2Z4A6B8C0D | jq '.items[] | select(.outcome == \"unknown\")'"
    )]
    Reconcile(ReconcileArgs),
    /// Run the emulator of the four APIs
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// List the recorded runs, show what one run changed, or prune old runs
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Write, show or locate the config file
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the version, the commit it was built from, the build date and the target
    #[command(after_long_help = "EXAMPLES:\n  certctl version\n  certctl version -o json")]
    Version,
    /// Print the manual page (roff) of every command to standard output
    #[command(
        after_long_help = "EXAMPLES:\n  certctl man > certctl.1 && man ./certctl.1\n  certctl man | gzip > ~/.local/share/man/man1/certctl.1.gz"
    )]
    Man,
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

impl Command {
    /// What the command asks of `--resume`, if it is an operation that takes it
    /// (`apply` reads its own).
    pub fn resuming(&self) -> Option<crate::cli::Resuming> {
        self.operation().1
    }

    /// The state-changing operation the command runs, the only kind `--plan-out`
    /// can plan; `None` for every other command.
    pub fn spec(&self) -> Option<&'static crate::engine::Spec> {
        self.operation().0
    }

    /// A provider command's operation and what it asks of `--resume`: every other
    /// command runs none (each is named, so a new one has to say).
    fn operation(
        &self,
    ) -> (
        Option<&'static crate::engine::Spec>,
        Option<crate::cli::Resuming>,
    ) {
        match self {
            Command::Bcdiploma(noun) => (noun.spec(), noun.resuming()),
            Command::Digicert(noun) => (noun.spec(), noun.resuming()),
            Command::Origin(noun) => (noun.spec(), noun.resuming()),
            Command::Sertifika(noun) => (noun.spec(), noun.resuming()),
            Command::Check { .. }
            | Command::Apply(_)
            | Command::Reconcile(_)
            | Command::Sandbox(_)
            | Command::Journal(_)
            | Command::Config(_)
            | Command::Version
            | Command::Man
            | Command::Completions { .. } => (None, None),
        }
    }
}
