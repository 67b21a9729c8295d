//! `certctl journal ...`: reading back the journal of state-changing requests.

use clap::Subcommand;

/// `certctl journal ...`
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// List recent runs with their counts, newest first
    ///
    /// The journal is $XDG_STATE_HOME/certctl/journal.ndjson unless CERTCTL_JOURNAL
    /// names another file. UNKNOWN counts items sent with no recorded outcome (the
    /// run was killed); NOT SENT counts items journaled as about to go when the run
    /// was interrupted.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl journal list\n  certctl journal list --limit 5 -o json"
    )]
    List {
        /// Show at most N runs
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
        limit: u32,
    },
    /// Show every item of a run and its resumes with its latest outcome
    ///
    /// A run and the runs that resumed it form a chain; any of them may be named,
    /// and each item shows its latest outcome across the chain. An item is
    /// `unknown` when the change may or may not have been applied (reported so, or
    /// sent with no recorded outcome because the run was killed): check it at the
    /// provider, then run the operation again with `--resume RUN_ID --retry-unknown`
    /// to send it, or `--resume RUN_ID` alone to hold it back. An unknown RUN_ID
    /// exits 5.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl journal show 01J9ZQ3K4V6W8X0Y2Z4A6B8C0D\n  certctl journal show 01J9ZQ3K4V6W8X0Y2Z4A6B8C0D --unknown > to-check.txt\n  certctl -o json journal show 01J9ZQ3K4V6W8X0Y2Z4A6B8C0D | jq '.[] | select(.outcome != \"succeeded\")'"
    )]
    Show {
        /// The run's identifier (the `run_id` of its report)
        #[arg(value_name = "RUN_ID")]
        run_id: String,
        /// List only the unknown items: in text, their IDs one per line (for --from -)
        #[arg(long)]
        unknown: bool,
    },
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn list_and_show_parse() {
        let cli = Cli::try_parse_from(["certctl", "journal", "list", "--limit", "3"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Journal(super::JournalCommand::List { limit: 3 })
        ));
        assert!(Cli::try_parse_from(["certctl", "journal", "list", "--limit", "0"]).is_err());
        assert!(Cli::try_parse_from(["certctl", "journal", "show"]).is_err());
    }
}
