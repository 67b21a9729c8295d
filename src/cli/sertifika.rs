//! `certctl sertifika ...` (alias `sm`): templates, users and certificates of
//! Sertifika Merkezi. What the provider calls a "sertifika" is a template here; a
//! template awarded to a user is a certificate.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};

use super::IdSource;

/// Sertifika Merkezi nouns.
#[derive(Debug, Subcommand)]
pub enum Noun {
    /// Certificate templates of the company
    #[command(subcommand)]
    Templates(TemplateVerb),
    /// Users of the company
    #[command(subcommand)]
    Users(UserVerb),
    /// Certificates: templates awarded to users
    #[command(subcommand)]
    Certificates(CertificateVerb),
}

/// `sertifika templates ...`
#[derive(Debug, Subcommand)]
pub enum TemplateVerb {
    /// List the company's templates
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika templates list\n  certctl -o json sm templates list"
    )]
    List,
    /// Show one template and its property keys
    ///
    /// Save it with `-o json` to check an issuing CSV offline with
    /// `certificates issue --dry-run --template-file FILE`.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika templates show 64c9f080-2314-4f02-a43c-923d83e8e444\n  certctl -o json sm templates show 64c9f080-2314-4f02-a43c-923d83e8e444 > template.json"
    )]
    Show {
        /// The template's ID (a GUID)
        #[arg(value_name = "TEMPLATE_ID")]
        template: String,
    },
}

/// `sertifika users ...`
#[derive(Debug, Subcommand)]
pub enum UserVerb {
    /// List the company's users
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika users list\n  certctl -o json sm users list"
    )]
    List,
    /// Show one user of the company
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika users show john.doe@example.com\n  certctl sm users show --user-code 8eb1b522f60d11fa897de1dc6351b7e8"
    )]
    Show(UserArgs),
}

/// A user, by e-mail or user code.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("user").required(true).args(["email", "user_code"])))]
pub struct UserArgs {
    /// The user's e-mail address
    #[arg(value_name = "EMAIL")]
    pub email: Option<String>,
    /// The user's code (MD5 of the lowercased e-mail) instead of the e-mail
    #[arg(long, value_name = "HEX")]
    pub user_code: Option<String>,
}

/// `sertifika certificates ...`
#[derive(Debug, Subcommand)]
pub enum CertificateVerb {
    /// List the certificates of a user, of a template, or of a user for a template
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika certificates list --email john.doe@example.com\n  certctl sm certificates list --template 64c9f080-2314-4f02-a43c-923d83e8e444\n  certctl sm certificates list --template 64c9f080-2314-4f02-a43c-923d83e8e444 --email john.doe@example.com"
    )]
    List(ListArgs),
    /// Issue a template to the people listed in a CSV file
    ///
    /// The CSV has a header row: `name`, `surname`, `email` are required; `hour`,
    /// `point` (numbers) and `educator` are optional; each `prop:KEY` column fills the
    /// template property KEY; `tags` holds `;`-separated meta tags. The template is
    /// fetched first and a file that does not fit it is refused with every mistake
    /// listed, before anything is posted. An issue request is never sent twice.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika certificates issue --template 64c9f080-2314-4f02-a43c-923d83e8e444 --from people.csv\n  certctl sm templates show 64c9f080-2314-4f02-a43c-923d83e8e444 -o json > template.json\n  certctl --dry-run sm certificates issue --template 64c9f080-2314-4f02-a43c-923d83e8e444 --from people.csv --template-file template.json"
    )]
    Issue(IssueArgs),
    /// Revoke a template from users, or from all its users (irreversible)
    #[command(
        after_long_help = "EXAMPLES:\n  certctl sertifika certificates revoke --template 64c9f080-2314-4f02-a43c-923d83e8e444 john.doe@example.com --dry-run\n  certctl --yes sm certificates revoke --template 64c9f080-2314-4f02-a43c-923d83e8e444 --from emails.txt\n  certctl --yes sm certificates revoke --template 64c9f080-2314-4f02-a43c-923d83e8e444 --all"
    )]
    Revoke(RevokeArgs),
}

/// Whose certificates to list.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).multiple(true).args(["template", "email", "user_code"])))]
pub struct ListArgs {
    /// Certificates of this template (a GUID)
    #[arg(long, value_name = "TEMPLATE_ID")]
    pub template: Option<String>,
    /// Certificates of this user
    #[arg(long, value_name = "EMAIL", conflicts_with = "user_code")]
    pub email: Option<String>,
    /// Certificates of the user with this code, instead of --email
    #[arg(long, value_name = "HEX")]
    pub user_code: Option<String>,
}

/// What to issue to whom.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The template to issue (a GUID)
    #[arg(long, value_name = "TEMPLATE_ID")]
    pub template: String,
    /// The CSV file of recipients (- for standard input)
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Rows per request
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub batch_size: u32,
    /// In a dry run, check the CSV against this saved `templates show -o json`
    /// (a real run always fetches the template)
    #[arg(long, value_name = "FILE")]
    pub template_file: Option<PathBuf>,
}

/// Whose certificates of a template to revoke.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The template to revoke (a GUID)
    #[arg(long, value_name = "TEMPLATE_ID")]
    pub template: String,
    /// E-mail addresses of the users
    #[arg(value_name = "EMAIL")]
    pub emails: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    /// A user's code instead of an e-mail (repeat for several)
    #[arg(long = "user-code", value_name = "HEX")]
    pub user_codes: Vec<String>,
    /// Every user holding the template (one request)
    #[arg(long, conflicts_with_all = ["emails", "from", "user_codes"])]
    pub all: bool,
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    const TID: &str = "64c9f080-2314-4f02-a43c-923d83e8e444";

    #[test]
    fn the_alias_and_groups_parse() {
        let cli =
            Cli::try_parse_from(["certctl", "sm", "users", "show", "--user-code", "ab"]).unwrap();
        assert!(matches!(cli.command, Command::Sertifika(_)));
        assert!(Cli::try_parse_from(["certctl", "sm", "users", "show"]).is_err());
        assert!(Cli::try_parse_from(["certctl", "sm", "certificates", "list"]).is_err());
        assert!(
            Cli::try_parse_from([
                "certctl",
                "sm",
                "certificates",
                "list",
                "--email",
                "a@b",
                "--user-code",
                "x"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from([
                "certctl",
                "sm",
                "certificates",
                "revoke",
                "--template",
                TID,
                "--all",
                "a@b"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from([
                "certctl",
                "sm",
                "certificates",
                "issue",
                "--template",
                TID,
                "--from",
                "x.csv",
                "--batch-size",
                "0"
            ])
            .is_err()
        );
    }
}
