//! `certctl origin ...`: arguments checked, the adapter's operation run, and the
//! `results show` read, polled through the engine for `--wait`.

use serde_json::{Value, json};

use crate::cli::origin::{CertificationVerb, Noun, ResultVerb, ShowArgs};
use crate::commands::Context;
use crate::engine::io_error;
use crate::error::{Error, ErrorKind, Result};
use crate::outcome::Outcome;
use crate::output::{print_read, table};
use crate::providers::{ProviderId, origin};
use crate::report::describe;

/// Runs an `origin` command and returns the exit code.
pub async fn run(noun: Noun, ctx: &Context) -> Result<Outcome> {
    let p = ctx.settings.provider(ProviderId::Origin);
    let target = origin::Target {
        base: p.base_url()?,
        token: p.secret()?.clone(),
    };
    match noun {
        Noun::Certifications(CertificationVerb::Delete(args)) => {
            let ids = crate::input::open(
                args.ids,
                args.source.from.as_deref(),
                crate::input::any_id,
                ctx.resumed(),
            )?;
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
