//! One request's task: its unit sent (and, with `--wait`, its result polled),
//! each answer judged by the operation's spec, the verdict turned into the items'
//! results.

use std::time::Duration;

use serde_json::Value;

use super::client::{Failure, Http};
use super::journal::{self};
use super::rate::Pacer;
use super::read::Backoff;
use super::request::Request;
use super::stop::Stop;
use super::{Account, Judging, Spec, Unit, Verdict};
use crate::error::{ErrorKind, ItemError, Result};
use crate::report::ItemResult;
use crate::report::Reply;

/// What a request hands back: its place, its items, and how it ended.
pub(super) type Finished = (u64, Vec<String>, Sent);

/// How a unit's request ended.
pub(super) enum Sent {
    /// It was answered (or failed): the last HTTP status, one result per item, and
    /// with `--wait` interrupted, the callback still pending.
    Judged(Option<u16>, Vec<ItemResult>, Option<String>),
    /// Like `Judged`, for a unit whose result URL was being polled: the URL comes
    /// too, for the journal (a later read-back asks it).
    Polled(Option<u16>, Vec<ItemResult>, Option<String>, String),
    /// The run was interrupted before the request left.
    Interrupted,
    /// Its `sent` line could not be written, so it never left: why.
    Unjournaled(String),
}

/// Turns what an adapter (or the client) made of a request into the item's result.
///
/// A failure after which the change may have been applied (see
/// [`ItemError::leaves_unknown`]) is `unknown` for an operation that is not safe to
/// send twice; its message says so. Everything else keeps its verdict.
fn judge(result: Result<Option<Reply>, ItemError>, idempotent: bool) -> ItemResult {
    match result {
        Ok(reply) => ItemResult::Succeeded(reply),
        Err(mut e) if !idempotent && e.leaves_unknown() => {
            if !e.message.contains("may have been applied") {
                e.message
                    .push_str("; the change may have been applied, so it was not sent again");
            }
            ItemResult::Unknown(e)
        }
        Err(e) => ItemResult::Failed(e),
    }
}

/// Adds to the errors of a verdict that an earlier attempt may have been applied:
/// a key deleted by a first attempt whose answer was lost is "unknown" to the retry.
fn explain_after_loss(verdict: Verdict) -> Verdict {
    let explain = |r: Result<Option<Reply>, ItemError>| {
        r.map_err(|mut e| {
            e.message.push_str(
                " (an earlier attempt got no answer and may have been applied, which can explain this answer)",
            );
            e
        })
    };
    match verdict {
        Verdict::All(r) => Verdict::All(explain(r)),
        Verdict::Each(list) => Verdict::Each(list.into_iter().map(explain).collect()),
        pending => pending,
    }
}

/// Adds the result URL being polled, if any, to how a unit ended.
fn with_poll(sent: Sent, poll: &Option<Request>) -> Sent {
    match (sent, poll) {
        (Sent::Judged(status, results, callback), Some(poll)) => {
            Sent::Polled(status, results, callback, poll.url.clone())
        }
        (sent, _) => sent,
    }
}

/// What one request task needs, cloned out of the engine.
pub(super) struct TaskContext {
    pub(super) http: Http,
    pub(super) pacer: Pacer,
    pub(super) spec: &'static Spec,
    pub(super) account: Account,
    pub(super) idempotent: bool,
    pub(super) wait: Option<Duration>,
    pub(super) stop: Stop,
    /// For an operation not safe to send twice: where each request's `sent` line
    /// is written, once the pacer released it and just before it leaves.
    pub(super) sent_log: Option<journal::SentLog>,
}

impl TaskContext {
    /// Sends a unit and hands back its place, its items and their results. A panic
    /// while judging an answer (a bug) fails that unit's items (leaves them unknown,
    /// when the operation is not safe to send twice) instead of ending the run
    /// without its report and journal.
    pub(super) async fn finish(&self, n: u64, unit: Unit) -> Finished {
        use futures_util::FutureExt;
        match std::panic::AssertUnwindSafe(self.run(&unit))
            .catch_unwind()
            .await
        {
            Ok(sent) => (n, unit.ids, sent),
            Err(_) => {
                let e = ItemError::new(
                    ErrorKind::Refused,
                    "certctl failed while handling this request (a bug: please report it); it may have been applied",
                )
                .maybe_applied();
                let results = vec![judge(Err(e), self.idempotent); unit.ids.len()];
                (n, unit.ids, Sent::Judged(None, results, None))
            }
        }
    }

    /// Sends a unit's request (and its polls) and returns the last answer's HTTP
    /// status and one result per item.
    async fn run(&self, unit: &Unit) -> Sent {
        let n = unit.ids.len();
        let deadline = self.wait.map(|w| tokio::time::Instant::now() + w);
        // The unit's own request first, then the polls it leads to: no copy of a
        // 13 KB body per request.
        let mut poll: Option<Request> = None;
        let mut backoff = Backoff::new();
        let mut status = None;
        let judged = |status, results: Vec<Result<Option<Reply>, ItemError>>, callback| {
            let results = results
                .into_iter()
                .map(|r| judge(r, self.idempotent))
                .collect();
            Sent::Judged(status, results, callback)
        };
        let still_pending =
            |url: &str| vec![Ok(Some(Reply::from(Value::String(url.to_string())))); n];
        loop {
            let request = poll.as_ref().unwrap_or(&unit.request);
            // A poll only reads: it may always be sent again.
            let idempotent = self.idempotent || poll.is_some();
            let released = match (&self.sent_log, &poll) {
                (Some(log), None) => {
                    tokio::select! {
                        biased;
                        _ = self.stop.wait() => return Sent::Interrupted,
                        _ = self.pacer.acquire() => {}
                    }
                    let released = tokio::time::Instant::now();
                    let written = log.sent(&unit.ids).await;
                    self.pacer.left_late(released.elapsed());
                    match written {
                        Ok(Ok(())) => true,
                        Ok(Err(why)) => return Sent::Unjournaled(why),
                        Err(_) => return Sent::Unjournaled("its writer stopped".into()),
                    }
                }
                _ => false,
            };
            let sent = match self
                .http
                .send_released(request, idempotent, &self.pacer, &self.stop, released)
                .await
            {
                Ok(resp) => Ok(resp),
                // The change was accepted before polling began: a poll that fails
                // leaves its outcome open, not failed.
                Err(Failure::Item(e)) if poll.is_some() => Err(e.maybe_applied()),
                Err(Failure::Item(e)) => Err(e),
                Err(Failure::NotSent) if poll.is_none() => return Sent::Interrupted,
                Err(Failure::NotSent) => {
                    let url = request.url.clone();
                    return judged(status, still_pending(&url), Some(url));
                }
            };
            status = match &sent {
                Ok(resp) => Some(resp.status),
                Err(e) => e.http_status.or(status),
            };
            let polled;
            let answered = match &poll {
                Some(request) => {
                    polled = Unit {
                        ids: unit.ids.clone(),
                        request: request.clone(),
                    };
                    &polled
                }
                None => unit,
            };
            let judging = Judging {
                account: &self.account,
                follow: self.wait.is_some(),
            };
            let verdict = match sent {
                Ok(resp) if resp.after_lost_attempt => {
                    explain_after_loss((self.spec.judge)(answered, &resp, &judging))
                }
                Ok(resp) => (self.spec.judge)(answered, &resp, &judging),
                Err(e) => Verdict::All(Err(e)),
            };
            match verdict {
                Verdict::All(result) => {
                    return with_poll(judged(status, vec![result; n], None), &poll);
                }
                Verdict::Each(mut results) => {
                    results.resize_with(n, || {
                        Err(ItemError::new(
                            ErrorKind::InvalidResponse,
                            "the provider's answer did not mention this item",
                        ))
                    });
                    return with_poll(judged(status, results, None), &poll);
                }
                Verdict::Pending(next) => {
                    let Some(deadline) = deadline else {
                        return judged(status, still_pending(&next.url), None);
                    };
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        let e = ItemError::new(
                            ErrorKind::Transient,
                            format!(
                                "still pending when --wait-timeout ran out; check later with {}",
                                self.spec.follow_up(&next.url)
                            ),
                        );
                        return with_poll(judged(status, vec![Err(e); n], None), &poll);
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(backoff.next().min(deadline - now)) => {}
                        _ = self.stop.wait() => {
                            let url = next.url.clone();
                            return judged(status, still_pending(&url), Some(url));
                        }
                    }
                    poll = Some(next);
                }
            }
        }
    }
}
