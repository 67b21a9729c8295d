//! `certctl digicert ...`: arguments checked, the adapter's operations run, and
//! `requests show` read and printed.

use serde_json::Value;

use crate::cli::IdSource;
use crate::cli::digicert::{CertificateVerb, Noun, OrderVerb, RequestIdArgs, RequestVerb};
use crate::commands::Context;
use crate::engine::io_error;
use crate::error::{Error, ErrorKind, Result};
use crate::input::Ids;
use crate::outcome::Outcome;
use crate::output;
use crate::providers::ProviderId;
use crate::providers::digicert::{self, DigicertId, RevokeOptions, Target};

/// Runs a `digicert` command and returns the exit code.
pub async fn run(noun: Noun, ctx: &Context) -> Result<Outcome> {
    let op = match noun {
        Noun::Orders(OrderVerb::Revoke(args)) => {
            let comment = comment(&args.comment)?;
            let ids = open_ids(args.ids, &args.source, ctx.resumed())?;
            let options = RevokeOptions {
                reason: args.reason,
                skip_approval: args.skip_approval,
            };
            digicert::revoke_orders(&target(ctx)?, ids, comment, options)
        }
        Noun::Certificates(CertificateVerb::Revoke(args)) => {
            let comment = comment(&args.comment)?;
            let ids = crate::input::open(
                args.ids,
                args.source.from.as_deref(),
                args.by.check(),
                ctx.resumed(),
            )?;
            let options = RevokeOptions {
                reason: args.reason,
                skip_approval: args.skip_approval,
            };
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
