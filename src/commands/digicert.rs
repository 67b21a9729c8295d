//! `certctl digicert ...`: arguments checked, the adapter's operations run, and
//! `requests show` read and printed.

use clap::builder::PossibleValue;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

use super::context::Context;
use crate::cli::{IdSource, value_enum};
use crate::engine::Spec;
use crate::error::io_error;
use crate::error::{Error, ErrorKind, Result};
use crate::input::Ids;
use crate::outcome::Outcome;
use crate::output;
use crate::providers::ProviderId;
use crate::providers::digicert::{self, By, DigicertId, Reason, RevokeOptions, Target};

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

/// What both revokes take besides their IDs.
#[derive(Debug, Args)]
pub struct RevokeArgs {
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

impl RevokeArgs {
    /// The checked comment and the options of the request body.
    fn checked(&self) -> Result<(&str, RevokeOptions)> {
        let options = RevokeOptions {
            reason: self.reason,
            skip_approval: self.skip_approval,
        };
        Ok((comment(&self.comment)?, options))
    }
}

/// Orders to revoke.
#[derive(Debug, Args)]
pub struct OrderRevokeArgs {
    /// Order IDs (positive integers)
    #[arg(value_name = "ORDER_ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    #[command(flatten)]
    pub revoke: RevokeArgs,
}

/// Certificates to revoke.
#[derive(Debug, Args)]
pub struct CertificateRevokeArgs {
    /// Certificate IDs (positive integers), or serial numbers with --by serial
    #[arg(value_name = "CERT")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    #[command(flatten)]
    pub revoke: RevokeArgs,
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

impl Noun {
    /// The operation the verb runs; `None` for a read.
    pub fn spec(&self) -> Option<&'static Spec> {
        match self {
            Noun::Orders(OrderVerb::Revoke(_)) => Some(&digicert::ORDERS_REVOKE),
            Noun::Certificates(CertificateVerb::Revoke(_)) => Some(&digicert::CERTIFICATES_REVOKE),
            Noun::Requests(RequestVerb::Show(_)) => None,
            Noun::Requests(RequestVerb::Approve(_)) => Some(&digicert::REQUESTS_APPROVE),
            Noun::Requests(RequestVerb::Reject(_)) => Some(&digicert::REQUESTS_REJECT),
        }
    }
}

/// Runs a `digicert` command and returns the exit code.
pub async fn run(noun: Noun, ctx: &Context) -> Result<Outcome> {
    let op = match noun {
        Noun::Orders(OrderVerb::Revoke(args)) => {
            let (comment, options) = args.revoke.checked()?;
            let ids = open_ids(args.ids, &args.source, ctx.resumed())?;
            digicert::revoke_orders(&target(ctx)?, ids, comment, options)
        }
        Noun::Certificates(CertificateVerb::Revoke(args)) => {
            let (comment, options) = args.revoke.checked()?;
            let ids = crate::input::open(
                args.ids,
                args.source.from.as_deref(),
                args.by.check(),
                ctx.resumed(),
            )?;
            digicert::revoke_certificates(&target(ctx)?, ids, comment, options, args.by)
        }
        Noun::Requests(RequestVerb::Show(args)) => return show(ctx, args).await,
        Noun::Requests(RequestVerb::Approve(args)) => {
            let comment = args.comment.as_deref().map(comment).transpose()?;
            let ids = open_ids(args.ids, &args.source, ctx.resumed())?;
            digicert::set_request_status(&target(ctx)?, ids, true, comment)
        }
        Noun::Requests(RequestVerb::Reject(args)) => {
            let comment = comment(&args.comment)?;
            let ids = open_ids(args.ids, &args.source, ctx.resumed())?;
            digicert::set_request_status(&target(ctx)?, ids, false, Some(comment))
        }
    };
    ctx.run(op).await
}

/// The base URL and API key of the profile.
fn target(ctx: &Context) -> Result<Target> {
    let p = ctx.settings.provider(ProviderId::Digicert);
    Ok(Target {
        base: p.base_url()?,
        api_key: p.secret()?.clone(),
    })
}

/// The IDs of the arguments and `--from`, each checked to be a positive integer.
fn open_ids(ids: Vec<String>, source: &IdSource, resumed: crate::input::Resumed) -> Result<Ids> {
    crate::input::open(ids, source.from.as_deref(), DigicertId::check, resumed)
}

/// A `--comment`, trimmed; DigiCert keeps it with the request, so it must say something.
fn comment(text: &str) -> Result<&str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::usage("--comment is empty")
            .hint("say why, for example --comment \"key compromised\""));
    }
    Ok(text)
}

/// `requests show REQUEST_ID...`: one GET per ID, up to `--concurrency` at once and
/// paced by the DigiCert budget; printed as the provider's object for one ID, an
/// array for several. IDs that fail are reported on stderr after the others are
/// printed: exit 3 when some were shown, else the first failure's code.
async fn show(ctx: &Context, args: RequestIdArgs) -> Result<Outcome> {
    if let Some(run) = &args.source.resume {
        return Err(Error::usage(format!(
            "--resume {run}: `requests show` only reads, so there is no run to continue"
        )));
    }
    let ids = open_ids(args.ids, &args.source, crate::input::Resumed::default())?;
    let target = target(ctx)?;
    let engine = &ctx.engine;
    let mut asked = Vec::new();
    let mut requests = Vec::new();
    for id in ids.iter {
        let id = id?;
        requests.push(target.show_request(DigicertId::parse(&id).map_err(Error::usage)?));
        asked.push(id);
    }
    let Some(answers) = engine
        .read_many(
            ProviderId::Digicert,
            SHOW,
            requests,
            ctx.pace(ProviderId::Digicert),
        )
        .await?
    else {
        return Ok(Outcome::Success);
    };
    let results: Vec<Result<Value>> = asked
        .iter()
        .zip(answers)
        .map(|(id, answer)| judge(id, answer))
        .collect();
    let asked = results.len();
    let mut shown = Vec::new();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(v) => shown.push(v),
            Err(e) => failures.push(e),
        }
    }
    if shown.is_empty() && failures.len() == 1 {
        return Err(failures.remove(0));
    }
    if !shown.is_empty() {
        let shown_count = shown.len();
        let value = if asked == 1 {
            shown.remove(0)
        } else {
            Value::Array(shown)
        };
        output::print_read(engine.format, &value, |v| {
            output::table::of_objects(&digicert::request_rows(v), digicert::REQUEST_COLUMNS)
        })
        .map_err(io_error)?;
        if failures.is_empty() {
            return Ok(Outcome::Success);
        }
        return Ok(Outcome::Partial(failed_reads(&failures, shown_count)));
    }
    let mut failures = failures.into_iter();
    match failures.next() {
        Some(first) if failures.len() == 0 => Ok(Outcome::Failed(first)),
        Some(first) => {
            let kind = first.kind();
            let count = failures.len() + 1;
            Ok(Outcome::Failed(Error::new(
                kind,
                format!("{count} of {count} requests failed; first: {first}"),
            )))
        }
        None => Ok(Outcome::Failed(Error::usage("no request IDs were given"))),
    }
}

/// The sentence of a `requests show` that printed some requests but not all.
fn failed_reads(failures: &[Error], shown: usize) -> String {
    let first = failures
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    format!(
        "digicert requests.show: {} of {} requests failed; first: {first}",
        failures.len(),
        failures.len() + shown
    )
}

/// The read's name in dry runs and error messages.
const SHOW: &str = "requests.show";

/// The request object of a 200, or an error naming the ID.
fn judge(id: &str, answer: Result<crate::engine::request::Response>) -> Result<Value> {
    let resp = answer.map_err(|e| Error::new(e.kind(), format!("request {id}: {e}")))?;
    if !resp.is_success() {
        let e = digicert::error(&resp);
        return Err(Error::new(
            e.kind,
            format!("request {id}: {}", crate::report::describe(&e)),
        ));
    }
    resp.json().filter(|v| v.is_object()).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidResponse,
            format!(
                "request {id}: DigiCert answered HTTP {} without the request object",
                resp.status
            ),
        )
    })
}

value_enum!(Reason {
    Reason::Unspecified => "unspecified": "No particular reason",
    Reason::KeyCompromise => "key-compromise": "The private key was (or may have been) exposed",
    Reason::AffiliationChanged => "affiliation-changed": "The subject's affiliation or name changed",
    Reason::Superseded => "superseded": "A new certificate replaces this one",
    Reason::CessationOfOperation => "cessation-of-operation": "The certificate is no longer needed",
});

value_enum!(By {
    By::Id => "id": "A certificate ID (a positive integer)",
    By::Serial => "serial": "A serial number in hex (0A1B... or 0a:1b:...)",
});

#[cfg(test)]
mod tests {
    use crate::commands::{Cli, Command};
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
                assert_eq!(a.revoke.reason, Some(Reason::Superseded));
                assert!(a.revoke.skip_approval);
            }
            other => panic!("{other:?}"),
        }
        match parse(&["orders", "revoke", "1001", "--comment", "c"]).unwrap() {
            Noun::Orders(OrderVerb::Revoke(a)) => {
                assert_eq!(a.revoke.reason, None);
                assert!(!a.revoke.skip_approval);
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
                assert_eq!(a.revoke.reason, Some(Reason::KeyCompromise));
                assert!(a.revoke.skip_approval);
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

    #[test]
    fn reasons_map_to_api_values() {
        let pairs: Vec<(String, &str)> = Reason::value_variants()
            .iter()
            .map(|r| {
                let name = r.to_possible_value().unwrap().get_name().to_string();
                (name, r.api_value())
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("unspecified".to_string(), "unspecified"),
                ("key-compromise".to_string(), "keyCompromise"),
                ("affiliation-changed".to_string(), "affiliationChanged"),
                ("superseded".to_string(), "superseded"),
                ("cessation-of-operation".to_string(), "cessationOfOperation"),
            ]
        );
    }
}
