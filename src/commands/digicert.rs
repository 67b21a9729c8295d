//! `certctl digicert ...`: arguments checked, the adapter's operations run, the
//! order and request lists fetched page by page and printed as they come, and
//! `orders show` / `requests show` read and printed.

use clap::builder::PossibleValue;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

use super::context::Context;
use crate::cli::{IdSource, Resuming, value_enum};
use crate::engine::Spec;
use crate::error::io_error;
use crate::error::{Error, ErrorKind, Result};
use crate::outcome::Outcome;
use crate::output;
use crate::providers::ProviderId;
use crate::providers::digicert::lists::{self, OrderFilters};
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
    /// List orders, selected by the API's own filters
    ///
    /// Pages of 1,000 are fetched (the pages after the first --concurrency at a time)
    /// and printed in order as they arrive: `-o ids` prints one order ID per line,
    /// ready for `digicert orders revoke --from -`; `-o json` one array, `-o ndjson`
    /// a line per order then a summary line. Filters combine (all must match).
    #[command(
        after_long_help = "EXAMPLES:\n  certctl digicert orders list --domain example.com --status issued\n  certctl digicert orders list --expires-before 2027-01-31 --product ssl_plus --limit 50\n  certctl -o ids digicert orders list --status issued --common-name www.example.com | certctl digicert orders revoke --from - --comment \"domain sold\" --max-items 50 --plan-out revoke.plan.json"
    )]
    List(OrderListArgs),
    /// Show orders, with their certificate and requests
    #[command(
        after_long_help = "EXAMPLES:\n  certctl digicert orders show 10001\n  certctl -o json digicert orders show 10001 10002"
    )]
    Show(OrderIdArgs),
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
    /// List requests, by status and type
    ///
    /// `-o ids` prints one request ID per line, ready for `digicert requests approve
    /// --from -`.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl digicert requests list --status pending --type revoke\n  certctl -o ids digicert requests list --status pending --type revoke | certctl digicert requests approve --from - --max-items 40"
    )]
    List(RequestListArgs),
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

/// `--limit N`, shared by the lists.
#[derive(Debug, Args)]
pub struct LimitArg {
    /// Stop after N objects
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

/// The filters of `orders list`; each one given must match.
#[derive(Debug, Args)]
pub struct OrderListArgs {
    /// Orders of this status (repeat for several): issued, pending, revoked, rejected, canceled, waiting_pickup, reissue_pending, expired, ...
    #[arg(long = "status", value_name = "STATUS")]
    pub statuses: Vec<String>,
    /// Orders whose common name is exactly CN
    #[arg(long, value_name = "CN")]
    pub common_name: Option<String>,
    /// Orders securing DOMAIN, as common name or SAN
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Orders whose common name or e-mail contains TEXT
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Orders of the product NAME_ID, such as ssl_plus or ssl_wildcard
    #[arg(long, value_name = "NAME_ID")]
    pub product: Option<String>,
    /// Orders of the container (division) ID
    #[arg(long, value_name = "ID")]
    pub container: Option<String>,
    /// The order of the certificate with this serial number (0A1B... or 0a:1b:...)
    #[arg(long, value_name = "HEX")]
    pub serial: Option<String>,
    /// The order of the certificate with this ID
    #[arg(long, value_name = "ID")]
    pub certificate_id: Option<String>,
    /// Orders whose certificate expires before DATE (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub expires_before: Option<String>,
    #[command(flatten)]
    pub limit: LimitArg,
}

impl OrderListArgs {
    /// The filters, each checked before anything is sent.
    fn filters(&self) -> Result<OrderFilters> {
        let text = |flag: &str, value: &Option<String>| -> Result<Option<String>> {
            match value.as_deref().map(str::trim) {
                None => Ok(None),
                Some("") => Err(Error::usage(format!("{flag} is empty"))),
                Some(v) => Ok(Some(v.to_owned())),
            }
        };
        let id = |flag: &str, value: &Option<String>| -> Result<Option<DigicertId>> {
            text(flag, value)?
                .map(|v| DigicertId::parse(&v).map_err(|e| Error::usage(format!("{flag}: {e}"))))
                .transpose()
        };
        let mut statuses = Vec::new();
        for status in &self.statuses {
            let status = status.trim();
            if status.is_empty() || status.contains(char::is_whitespace) {
                return Err(Error::usage(format!(
                    "--status `{status}` is not a status: one word such as issued or revoked"
                )));
            }
            if !statuses.iter().any(|s| s == status) {
                statuses.push(status.to_owned());
            }
        }
        let mut filters = OrderFilters {
            statuses,
            common_name: text("--common-name", &self.common_name)?,
            domain: text("--domain", &self.domain)?,
            search: text("--search", &self.search)?,
            product: text("--product", &self.product)?,
            container: id("--container", &self.container)?,
            certificate: id("--certificate-id", &self.certificate_id)?,
            ..OrderFilters::default()
        };
        if let Some(serial) = text("--serial", &self.serial)? {
            filters.set_serial(&serial).map_err(Error::usage)?;
        }
        if let Some(date) = text("--expires-before", &self.expires_before)? {
            filters.set_expires_before(&date).map_err(Error::usage)?;
        }
        Ok(filters)
    }
}

/// Orders to show.
#[derive(Debug, Args)]
pub struct OrderIdArgs {
    /// Order IDs (positive integers)
    #[arg(value_name = "ORDER_ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
}

/// Requests to list.
#[derive(Debug, Args)]
pub struct RequestListArgs {
    /// Requests of this status (repeat for several)
    #[arg(long = "status", value_name = "STATUS",
          value_parser = ["submitted", "pending", "approved", "rejected"])]
    pub statuses: Vec<String>,
    /// Requests of this type
    #[arg(long = "type", value_name = "TYPE",
          value_parser = ["revoke", "new_request", "duplicate", "reissue"])]
    pub kind: Option<String>,
    #[command(flatten)]
    pub limit: LimitArg,
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
            Noun::Orders(OrderVerb::List(_) | OrderVerb::Show(_)) => None,
            Noun::Requests(RequestVerb::Show(_) | RequestVerb::List(_)) => None,
            Noun::Requests(RequestVerb::Approve(_)) => Some(&digicert::REQUESTS_APPROVE),
            Noun::Requests(RequestVerb::Reject(_)) => Some(&digicert::REQUESTS_REJECT),
        }
    }
}

impl Noun {
    /// What the verb asks of `--resume`, if it takes it (a read refuses it).
    pub fn resuming(&self) -> Option<Resuming> {
        match self {
            Noun::Orders(OrderVerb::Revoke(args)) => args.source.resuming(),
            Noun::Orders(OrderVerb::Show(args)) => args.source.resuming(),
            Noun::Orders(OrderVerb::List(_)) | Noun::Requests(RequestVerb::List(_)) => None,
            Noun::Certificates(CertificateVerb::Revoke(args)) => args.source.resuming(),
            Noun::Requests(RequestVerb::Show(args)) => args.source.resuming(),
            Noun::Requests(RequestVerb::Approve(args)) => args.source.resuming(),
            Noun::Requests(RequestVerb::Reject(args)) => args.source.resuming(),
        }
    }
}

/// Runs a `digicert` command and returns the exit code.
pub async fn run(noun: Noun, ctx: &Context) -> Result<Outcome> {
    let op = match noun {
        Noun::Orders(OrderVerb::Revoke(args)) => {
            let (comment, options) = args.revoke.checked()?;
            let ids = ctx.ids(args.ids, &args.source, DigicertId::check)?;
            digicert::revoke_orders(&target(ctx)?, ids, comment, options)
        }
        Noun::Certificates(CertificateVerb::Revoke(args)) => {
            let (comment, options) = args.revoke.checked()?;
            let ids = ctx.ids(args.ids, &args.source, args.by.check())?;
            digicert::revoke_certificates(&target(ctx)?, ids, comment, options, args.by)
        }
        Noun::Requests(RequestVerb::Show(args)) => {
            return show(ctx, &REQUESTS, args.ids, &args.source).await;
        }
        Noun::Orders(OrderVerb::Show(args)) => {
            return show(ctx, &ORDERS, args.ids, &args.source).await;
        }
        Noun::Orders(OrderVerb::List(args)) => {
            let filters = args.filters()?;
            let listing = lists::list_orders(&target(ctx)?, &filters, args.limit.limit);
            return list(ctx, listing, lists::ORDER_COLUMNS).await;
        }
        Noun::Requests(RequestVerb::List(args)) => {
            let mut statuses: Vec<String> = Vec::new();
            for status in args.statuses {
                if !statuses.contains(&status) {
                    statuses.push(status);
                }
            }
            let kinds: Vec<String> = args.kind.into_iter().collect();
            let listing = lists::list_requests(&target(ctx)?, &statuses, &kinds, args.limit.limit);
            return list(ctx, listing, lists::REQUEST_LIST_COLUMNS).await;
        }
        Noun::Requests(RequestVerb::Approve(args)) => {
            let comment = args.comment.as_deref().map(comment).transpose()?;
            let ids = ctx.ids(args.ids, &args.source, DigicertId::check)?;
            digicert::set_request_status(&target(ctx)?, ids, true, comment)
        }
        Noun::Requests(RequestVerb::Reject(args)) => {
            let comment = comment(&args.comment)?;
            let ids = ctx.ids(args.ids, &args.source, DigicertId::check)?;
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

/// A `--comment`, trimmed; DigiCert keeps it with the request, so it must say something.
fn comment(text: &str) -> Result<&str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::usage("--comment is empty")
            .hint("say why, for example --comment \"key compromised\""));
    }
    Ok(text)
}

/// A list fetched page by page through the engine and printed as it comes.
async fn list(
    ctx: &Context,
    listing: crate::engine::list::Listing,
    columns: output::Columns,
) -> Result<Outcome> {
    let pace = ctx.pace(ProviderId::Digicert);
    ctx.engine.list(listing, pace, columns).await?;
    Ok(Outcome::Success)
}

/// What a `show` command reads: its name, what it calls one object, the request for
/// an ID, and the table of its text output.
struct Shown {
    name: &'static str,
    noun: &'static str,
    request: fn(&Target, DigicertId) -> crate::engine::request::Request,
    table: fn(&Value) -> String,
}

const REQUESTS: Shown = Shown {
    name: "requests.show",
    noun: "request",
    request: Target::show_request,
    table: |v| output::table::of_objects(&digicert::request_rows(v), digicert::REQUEST_COLUMNS),
};

const ORDERS: Shown = Shown {
    name: "orders.show",
    noun: "order",
    request: Target::show_order,
    table: |v| output::table::of_objects(v, lists::ORDER_COLUMNS.table),
};

/// `requests show` / `orders show ID...`: one GET per ID, up to `--concurrency` at
/// once and paced by the DigiCert budget; printed as the provider's object for one
/// ID, an array for several. IDs that fail are reported on stderr after the others
/// are printed: partial when some were shown, else failed as the first failure.
async fn show(ctx: &Context, what: &Shown, ids: Vec<String>, source: &IdSource) -> Result<Outcome> {
    if let Some(run) = &source.resume {
        return Err(Error::usage(format!(
            "--resume {run}: `{}` only reads, so there is no run to continue",
            what.name.replace('.', " ")
        )));
    }
    let ids = ctx.ids(ids, source, DigicertId::check)?;
    let target = target(ctx)?;
    let engine = &ctx.engine;
    let mut asked = Vec::new();
    let mut requests = Vec::new();
    for id in ids.into_sent() {
        let id = id?;
        requests.push((what.request)(
            &target,
            DigicertId::parse(&id).map_err(Error::usage)?,
        ));
        asked.push(id);
    }
    let Some(answers) = engine
        .read_many(
            ProviderId::Digicert,
            what.name,
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
        .map(|(id, answer)| judge(what.noun, id, answer))
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
    if !shown.is_empty() {
        let shown_count = shown.len();
        let value = if asked == 1 {
            shown.remove(0)
        } else {
            Value::Array(shown)
        };
        output::print_read(engine.format, &value, what.table).map_err(io_error)?;
        if failures.is_empty() {
            return Ok(Outcome::Success);
        }
        return Ok(Outcome::Partial(failed_reads(what, &failures, shown_count)));
    }
    let mut failures = failures.into_iter();
    match failures.next() {
        Some(first) if failures.len() == 0 => Err(first),
        Some(first) => {
            let count = failures.len() + 1;
            Err(Error::new(
                first.kind(),
                format!("{count} of {count} {}s failed; first: {first}", what.noun),
            ))
        }
        None => Err(Error::usage(format!("no {} IDs were given", what.noun))),
    }
}

/// The sentence of a `show` that printed some objects but not all.
fn failed_reads(what: &Shown, failures: &[Error], shown: usize) -> String {
    let first = failures
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    format!(
        "digicert {}: {} of {} {}s failed; first: {first}",
        what.name,
        failures.len(),
        failures.len() + shown,
        what.noun
    )
}

/// The object of a 200, or an error naming the ID.
fn judge(noun: &str, id: &str, answer: Result<crate::engine::request::Response>) -> Result<Value> {
    let resp = answer.map_err(|e| Error::new(e.kind(), format!("{noun} {id}: {e}")))?;
    if !resp.is_success() {
        let e = digicert::error(&resp);
        return Err(Error::new(
            e.kind,
            format!("{noun} {id}: {}", crate::report::describe(&e)),
        ));
    }
    resp.json().filter(|v| v.is_object()).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidResponse,
            format!(
                "{noun} {id}: DigiCert answered HTTP {} without the {noun} object",
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
