//! `certctl digicert ...`: orders, certificates and revoke requests of CertCentral.

use clap::{Args, Subcommand};

use super::IdSource;
use crate::providers::digicert::{By, Reason};

/// DigiCert CertCentral nouns.
#[derive(Debug, Subcommand)]
pub enum Noun {
    /// Orders, addressed by their order IDs
    #[command(subcommand)]
    Orders(OrderVerb),
    /// Certificates, addressed by their certificate IDs
    #[command(subcommand)]
    Certificates(CertificateVerb),
    /// Revoke requests awaiting (or past) an administrator's decision
    #[command(subcommand)]
    Requests(RequestVerb),
}

/// `digicert orders ...`
#[derive(Debug, Subcommand)]
pub enum OrderVerb {
    /// Ask DigiCert to revoke every certificate of orders (irreversible)
    ///
    /// Each order gets a revoke request, which an administrator approves (see
    /// `digicert requests approve`) before DigiCert revokes the certificates.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl digicert orders revoke 1001 --comment \"key compromised\" --dry-run\n  certctl --yes -o json digicert orders revoke 1001 1002 --comment \"key compromised\" --reason key-compromise\n  certctl --yes digicert orders revoke --from orders.txt --comment \"domain sold\" --reason cessation-of-operation --skip-approval"
    )]
    Revoke(OrderRevokeArgs),
}

/// `digicert certificates ...`
#[derive(Debug, Subcommand)]
pub enum CertificateVerb {
    /// Ask DigiCert to revoke single certificates (irreversible)
    ///
    /// Each certificate gets a revoke request awaiting approval, unless
    /// --skip-approval is given (the API key's user must be allowed to do that).
    /// Certificates are named by ID, or by serial number with --by serial.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl digicert certificates revoke 3001 --comment \"replaced\" --reason superseded --dry-run\n  certctl --yes digicert certificates revoke 3001 3002 --comment \"key leaked\" --reason key-compromise --skip-approval\n  certctl --yes digicert certificates revoke --by serial 0a:1b:2c:3d:4e:5f --comment \"key leaked\""
    )]
    Revoke(CertificateRevokeArgs),
}

/// `digicert requests ...`
#[derive(Debug, Subcommand)]
pub enum RequestVerb {
    /// Show revoke requests
    #[command(
        after_long_help = "EXAMPLES:\n  certctl digicert requests show 198\n  certctl -o json digicert requests show 198 199"
    )]
    Show(RequestIdArgs),
    /// Approve pending requests (DigiCert then revokes)
    #[command(
        after_long_help = "EXAMPLES:\n  certctl digicert requests approve 198 --dry-run\n  certctl digicert requests approve 198 199 --comment \"checked with the owner\""
    )]
    Approve(ApproveArgs),
    /// Reject pending requests
    #[command(
        after_long_help = "EXAMPLES:\n  certctl digicert requests reject 198 --comment \"filed by mistake\"\n  certctl -o json digicert requests reject --from requests.txt --comment \"duplicate\""
    )]
    Reject(RejectArgs),
}

/// Orders to revoke.
#[derive(Debug, Args)]
pub struct OrderRevokeArgs {
    /// Order IDs (positive integers)
    #[arg(value_name = "ORDER_ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    /// Why the certificates are revoked (stored with the revoke request)
    #[arg(long, required = true, value_name = "TEXT")]
    pub comment: String,
    /// The revocation reason recorded in the CRL/OCSP answer
    #[arg(long, value_enum, value_name = "REASON")]
    pub reason: Option<Reason>,
    /// Revoke at once instead of filing a request for approval
    #[arg(long)]
    pub skip_approval: bool,
}

/// Certificates to revoke.
#[derive(Debug, Args)]
pub struct CertificateRevokeArgs {
    /// Certificate IDs (positive integers), or serial numbers with --by serial
    #[arg(value_name = "CERT")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    /// Why the certificates are revoked (stored with the revoke request)
    #[arg(long, required = true, value_name = "TEXT")]
    pub comment: String,
    /// The revocation reason recorded in the CRL/OCSP answer
    #[arg(long, value_enum, value_name = "REASON")]
    pub reason: Option<Reason>,
    /// Revoke at once instead of filing a request for approval
    #[arg(long)]
    pub skip_approval: bool,
    /// What CERT is: a certificate ID, or a serial number in hex
    ///
    /// A serial may be written `0A1B2C...` or `0a:1b:2c:...` (1 to 40 hex digits);
    /// it is sent in lowercase without colons.
    #[arg(long, value_enum, value_name = "KIND", default_value_t = By::Id)]
    pub by: By,
}

/// Requests to show.
#[derive(Debug, Args)]
pub struct RequestIdArgs {
    /// Request IDs (positive integers)
    #[arg(value_name = "REQUEST_ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
}

/// Requests to approve.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// Request IDs (positive integers)
    #[arg(value_name = "REQUEST_ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    /// A note from the approver, kept with the request
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
}

/// Requests to reject.
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// Request IDs (positive integers)
    #[arg(value_name = "REQUEST_ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    /// Why the requests are rejected, kept with them
    #[arg(long, required = true, value_name = "TEXT")]
    pub comment: String,
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Result<Noun, clap::Error> {
        let mut full = vec!["certctl", "digicert"];
        full.extend_from_slice(args);
        match Cli::try_parse_from(full)?.command {
            Command::Digicert(noun) => Ok(noun),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn revokes_need_a_comment() {
        assert!(parse(&["orders", "revoke", "1"]).is_err());
        assert!(parse(&["certificates", "revoke", "1"]).is_err());
        assert!(parse(&["requests", "reject", "1"]).is_err());
        assert!(parse(&["requests", "approve", "1"]).is_ok());
    }

    #[test]
    fn order_revoke_takes_reason_and_skip_approval() {
        match parse(&[
            "orders",
            "revoke",
            "1001",
            "--comment",
            "c",
            "--reason",
            "superseded",
            "--skip-approval",
        ])
        .unwrap()
        {
            Noun::Orders(OrderVerb::Revoke(a)) => {
                assert_eq!(a.reason, Some(Reason::Superseded));
                assert!(a.skip_approval);
            }
            other => panic!("{other:?}"),
        }
        match parse(&["orders", "revoke", "1001", "--comment", "c"]).unwrap() {
            Noun::Orders(OrderVerb::Revoke(a)) => {
                assert_eq!(a.reason, None);
                assert!(!a.skip_approval);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn certificate_revoke_is_by_id_unless_told_by_serial() {
        let by = |extra: &[&str]| {
            let mut args = vec!["certificates", "revoke", "0a1b", "--comment", "c"];
            args.extend_from_slice(extra);
            parse(&args).map(|noun| match noun {
                Noun::Certificates(CertificateVerb::Revoke(a)) => a.by,
                other => panic!("{other:?}"),
            })
        };
        assert_eq!(by(&[]).unwrap(), By::Id);
        assert_eq!(by(&["--by", "serial"]).unwrap(), By::Serial);
        assert_eq!(by(&["--by", "id"]).unwrap(), By::Id);
        assert!(by(&["--by", "fingerprint"]).is_err());
    }

    #[test]
    fn certificate_revoke_takes_reason_and_skip_approval() {
        let noun = parse(&[
            "certificates",
            "revoke",
            "1",
            "2",
            "--comment",
            "c",
            "--reason",
            "key-compromise",
            "--skip-approval",
        ])
        .unwrap();
        match noun {
            Noun::Certificates(CertificateVerb::Revoke(a)) => {
                assert_eq!(a.ids, ["1", "2"]);
                assert_eq!(a.reason, Some(Reason::KeyCompromise));
                assert!(a.skip_approval);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            parse(&[
                "certificates",
                "revoke",
                "1",
                "--comment",
                "c",
                "--reason",
                "lost"
            ])
            .is_err()
        );
    }
}
