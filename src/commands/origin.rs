//! `certctl origin ...`: arguments checked, the adapter's operation run, and the
//! `results show` read, polled through the engine for `--wait`.

use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::context::Context;
use crate::cli::{IdSource, Resuming, parse_duration};
use crate::engine::Spec;
use crate::error::io_error;
use crate::error::{Error, ErrorKind, Result};
use crate::outcome::Outcome;
use crate::output::{print_read, table};
use crate::providers::{ProviderId, origin};
use crate::report::describe;

/// Origin nouns.
#[derive(Debug, Subcommand)]
pub enum Noun {
    /// Certifications, addressed by their Origin ID (or your own with --external)
    #[command(subcommand)]
    Certifications(CertificationVerb),
    /// Results of async deletes, read from their pooling callback
    #[command(subcommand)]
    Results(ResultVerb),
}

/// `origin certifications ...`
#[derive(Debug, Subcommand)]
pub enum CertificationVerb {
    /// Delete certifications for good (irreversible)
    ///
    /// Origin archives instead a certification connected to another company's
    /// material. IDs go in batches of --batch-size per request. A delete request is
    /// never sent twice automatically once it may have reached Origin.
    ///
    /// With --async, Origin answers each batch with a pooling callback (shown per
    /// item); --wait then polls it until the result is final.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl origin certifications delete 13949a9b-ee17-4760-93e9-7749ff2faa79 --dry-run\n  certctl --yes origin certifications delete --from ids.txt --external\n  certctl --yes -o json origin certifications delete --from ids.txt --async --wait --wait-timeout 5m"
    )]
    Delete(DeleteArgs),
}

/// Certifications to delete.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Certification IDs (Origin's `originId`, or yours with --external)
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub source: IdSource,
    /// The IDs are your own (`externalId`), not Origin's
    #[arg(long)]
    pub external: bool,
    /// Use the async endpoint: each batch answers with a pooling callback
    #[arg(long = "async")]
    pub asynchronous: bool,
    /// With --async: poll each batch's callback until its result is final
    #[arg(long, requires = "asynchronous")]
    pub wait: bool,
    #[command(flatten)]
    pub timeout: WaitTimeout,
    /// IDs per request
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub batch_size: u32,
}

/// How long `--wait` polls.
#[derive(Debug, Args)]
pub struct WaitTimeout {
    /// With --wait: give up (exit 6) after this long, such as 90s or 10m
    #[arg(long, requires = "wait", default_value = "10m", value_parser = parse_duration, value_name = "DURATION")]
    pub wait_timeout: Duration,
}

/// `origin results ...`
#[derive(Debug, Subcommand)]
pub enum ResultVerb {
    /// Show the result of an async delete
    ///
    /// Takes the pooling-callback URL an async delete reported, or its bare batch
    /// ID. A URL on another host than the configured Origin base URL is refused:
    /// the token is only ever sent to that host.
    #[command(
        after_long_help = "EXAMPLES:\n  certctl origin results show 1c8a06b6-45be-4e68-9e2d-5c1f075e6ca2\n  certctl -o json origin results show \"$CALLBACK_URL\" --wait"
    )]
    Show(ShowArgs),
}

/// The result to show.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The pooling-callback URL, or the batch ID at its end
    #[arg(value_name = "URL|BATCH_ID")]
    pub result: String,
    /// Poll while the result is pending
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub timeout: WaitTimeout,
}

impl Noun {
    /// The operation the verb runs; `None` for a read.
    pub fn spec(&self) -> Option<&'static Spec> {
        match self {
            Noun::Certifications(CertificationVerb::Delete(_)) => {
                Some(&origin::CERTIFICATIONS_DELETE)
            }
            Noun::Results(ResultVerb::Show(_)) => None,
        }
    }
}

impl Noun {
    /// What the verb asks of `--resume`, if it takes it.
    pub fn resuming(&self) -> Option<Resuming> {
        match self {
            Noun::Certifications(CertificationVerb::Delete(args)) => args.source.resuming(),
            Noun::Results(ResultVerb::Show(_)) => None,
        }
    }
}

/// Runs an `origin` command and returns the exit code.
pub async fn run(noun: Noun, ctx: &Context) -> Result<Outcome> {
    let p = ctx.settings.provider(ProviderId::Origin);
    let target = origin::Target {
        base: p.base_url()?,
        token: p.secret()?.clone(),
    };
    match noun {
        Noun::Certifications(CertificationVerb::Delete(args)) => {
            let ids = ctx.ids(args.ids, &args.source, crate::input::any_id)?;
            let opts = origin::DeleteOptions {
                external: args.external,
                asynchronous: args.asynchronous,
                wait: args.wait.then_some(args.timeout.wait_timeout),
                batch_size: args.batch_size as usize,
            };
            ctx.run(origin::delete(&target, ids, opts)).await
        }
        Noun::Results(ResultVerb::Show(args)) => show(&target, args, ctx).await,
    }
}

/// `results show`: GETs the callback (a bare batch ID is made into one), polling
/// with backoff (1 s doubling, capped at 30 s) while pending when `--wait` is given.
async fn show(target: &origin::Target, args: ShowArgs, ctx: &Context) -> Result<Outcome> {
    let given = args.result.trim();
    let url = if given.contains("://") {
        given.to_string()
    } else {
        origin::check_batch_id(given).map_err(|m| {
            Error::usage(m).hint(
                "give the poolingCallback URL an async delete reported, or the batch ID at its end",
            )
        })?;
        target.batch_url(given)
    };
    let request = target
        .poll_request(&url)
        .map_err(|e| Error::new(e.kind, e.message))?;
    let wait = args.wait.then_some(args.timeout.wait_timeout);
    let pending = |resp: &crate::engine::request::Response| {
        origin::read(resp).is_ok_and(|body| origin::is_pending(&origin::result_of(&body)))
    };
    let Some(polled) = ctx
        .engine
        .poll(
            ProviderId::Origin,
            "results.show",
            request,
            ctx.pace(ProviderId::Origin),
            wait,
            pending,
        )
        .await?
    else {
        return Ok(Outcome::Success);
    };
    let resp = polled.response;
    let failed = |e: crate::error::ItemError| {
        Error::new(
            e.kind,
            format!("origin results show failed: {}", describe(&e)),
        )
    };
    let body = match origin::read(&resp) {
        Ok(body) => body,
        Err(e) => {
            if let Some(body) = resp.json() {
                print(ctx, &body)?;
            }
            return Err(failed(e));
        }
    };
    print(ctx, &body)?;
    if polled.interrupted {
        return Err(Error::new(
            ErrorKind::Interrupted,
            "interrupted while the result was still pending",
        )
        .hint(format!(
            "check again later with `certctl origin results show {url}`"
        )));
    }
    if polled.pending && wait.is_some() {
        return Err(Error::new(
            ErrorKind::Transient,
            format!(
                "the result was still pending after {}",
                humantime::format_duration(args.timeout.wait_timeout)
            ),
        )
        .hint(format!(
            "check again later with `certctl origin results show {url}`"
        )));
    }
    origin::final_outcome(origin::result_of(&body), resp.status).map_err(failed)?;
    Ok(Outcome::Success)
}

/// Prints the provider's answer: as is in JSON, its state and result in text.
fn print(ctx: &Context, body: &Value) -> Result<()> {
    print_read(ctx.engine.format, body, |b| {
        let status = b.get("status");
        let result = b.get("result");
        let field = |v: Option<&Value>, key: &str| v.and_then(|o| o.get(key)).cloned();
        let row = json!({
            "state": field(status, "state"),
            "code": field(status, "code"),
            "executionStatus": field(result, "executionStatus"),
            "batchId": field(result, "batchId"),
            "result": field(result, "result").or_else(|| result.cloned()),
        });
        let mut text = table::of_objects(
            &row,
            &[
                ("state", "state"),
                ("execution status", "executionStatus"),
                ("batch", "batchId"),
                ("result", "result"),
            ],
        );
        if let Some(code) = row.get("code").and_then(Value::as_str) {
            text.push_str(&format!("code: {code}\n"));
        }
        if let Some(messages) = status
            .and_then(|s| s.get("messages"))
            .and_then(Value::as_array)
        {
            for m in messages {
                text.push_str(&format!("message: {}\n", table::cell(Some(m))));
            }
        }
        text
    })
    .map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Cli, Command};
    use clap::Parser;

    fn delete(args: &[&str]) -> Result<DeleteArgs, clap::Error> {
        let mut all = vec!["certctl", "origin", "certifications", "delete"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all)?.command {
            Command::Origin(Noun::Certifications(CertificationVerb::Delete(a))) => Ok(a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn delete_flags_parse() {
        let a = delete(&["a", "b", "--external"]).unwrap();
        assert_eq!(a.ids, ["a", "b"]);
        assert!(a.external && !a.asynchronous && !a.wait);
        assert_eq!(a.batch_size, 100);
        assert_eq!(a.timeout.wait_timeout, Duration::from_secs(600));
        let a = delete(&["a", "--async", "--wait", "--wait-timeout", "1500ms"]).unwrap();
        assert!(a.asynchronous && a.wait);
        assert_eq!(a.timeout.wait_timeout, Duration::from_millis(1500));
    }

    #[test]
    fn wait_needs_async_and_impossible_values_are_refused() {
        assert!(delete(&["a", "--wait"]).is_err());
        assert!(delete(&["a", "--async", "--wait-timeout", "1m"]).is_err());
        assert!(delete(&["a", "--batch-size", "0"]).is_err());
        assert!(delete(&["a", "--async", "--wait", "--wait-timeout", "0s"]).is_err());
    }

    #[test]
    fn results_show_parses() {
        let cli =
            Cli::try_parse_from(["certctl", "origin", "results", "show", "b1", "--wait"]).unwrap();
        match cli.command {
            Command::Origin(Noun::Results(ResultVerb::Show(a))) => {
                assert_eq!(a.result, "b1");
                assert!(a.wait);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            Cli::try_parse_from([
                "certctl",
                "origin",
                "results",
                "show",
                "b1",
                "--wait-timeout",
                "1m"
            ])
            .is_err()
        );
    }
}
