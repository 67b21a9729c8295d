//! The engine's read path: one request, many requests, or one request polled until
//! its answer is final. Every command's reads go through here (no command sends a
//! request itself), so they are paced, retried, redacted and, in a dry run, printed
//! as one document, like operations.

use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::client::Failure;
use super::rate::{Pace, Pacer};
use super::request::{Request, Response};
use super::setup::Engine;
use super::stop::{Stop, interrupt_signal};
use crate::error::io_error;
use crate::error::{Error, ErrorKind, Result};
use crate::output::DryRun;
use crate::registry::ProviderId;

/// Waits between polls of a result that is not final yet: 1 s, doubling, at most
/// 30 s (Origin's `--wait`, in operations and in `results show`).
#[derive(Debug, Clone, Copy)]
pub struct Backoff(Duration);

impl Backoff {
    /// The first wait: one second.
    pub fn new() -> Backoff {
        Backoff(Duration::from_secs(1))
    }

    /// The wait before the next poll, and the one after it.
    pub fn next(&mut self) -> Duration {
        let now = self.0;
        self.0 = (self.0 * 2).min(Duration::from_secs(30));
        now
    }
}

/// How a polled read ended.
#[derive(Debug)]
pub struct Polled {
    /// The last answer.
    pub response: Response,
    /// Still not final: the wait ran out, or Ctrl-C ended it.
    pub pending: bool,
    /// Ctrl-C or SIGTERM ended the wait.
    pub interrupted: bool,
}

impl Engine {
    /// Sends one read-only request and returns its answer, or `None` in a dry run
    /// (after printing the request).
    pub async fn read(
        &self,
        provider: ProviderId,
        name: &'static str,
        req: Request,
        pace: Pace,
    ) -> Result<Option<Response>> {
        if self.print_reads(provider, name, std::iter::once(&req))? {
            return Ok(None);
        }
        self.read_paced(provider, name, &req, &Pacer::new(pace))
            .await
            .map(Some)
    }

    /// Sends read-only requests, `--concurrency` at a time through one pacer, and
    /// returns each answer in the order asked; `None` in a dry run (after printing
    /// them all as one document).
    pub async fn read_many(
        &self,
        provider: ProviderId,
        name: &'static str,
        requests: Vec<Request>,
        pace: Pace,
    ) -> Result<Option<Vec<Result<Response>>>> {
        if self.print_reads(provider, name, requests.iter())? {
            return Ok(None);
        }
        let pacer = Pacer::new(pace);
        let mut answers: Vec<Option<Result<Response>>> = requests.iter().map(|_| None).collect();
        let mut queue = requests.iter().enumerate();
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < self.concurrency.max(1) {
                let Some((n, req)) = queue.next() else { break };
                let pacer = &pacer;
                in_flight
                    .push(async move { (n, self.read_paced(provider, name, req, pacer).await) });
            }
            let Some((n, answer)) = in_flight.next().await else {
                break;
            };
            if let Some(slot) = answers.get_mut(n) {
                *slot = Some(answer);
            }
        }
        Ok(Some(
            answers
                .into_iter()
                .map(|a| a.unwrap_or_else(|| Err(Error::new(ErrorKind::Refused, "not sent"))))
                .collect(),
        ))
    }

    /// Sends a read-only request, and while `pending` says its answer is not final,
    /// sends it again after a [`Backoff`] for at most `wait`; Ctrl-C ends the wait at
    /// once with the last answer. `None` in a dry run.
    pub async fn poll(
        &self,
        provider: ProviderId,
        name: &'static str,
        req: Request,
        pace: Pace,
        wait: Option<Duration>,
        pending: impl Fn(&Response) -> bool,
    ) -> Result<Option<Polled>> {
        if self.print_reads(provider, name, std::iter::once(&req))? {
            return Ok(None);
        }
        let pacer = Pacer::new(pace);
        let deadline = wait.map(|w| tokio::time::Instant::now() + w);
        let mut backoff = Backoff::new();
        let mut stop = interrupt_signal();
        loop {
            let response = self.read_paced(provider, name, &req, &pacer).await?;
            let still = pending(&response);
            let now = tokio::time::Instant::now();
            let Some(deadline) = deadline.filter(|d| still && now < *d) else {
                return Ok(Some(Polled {
                    response,
                    pending: still,
                    interrupted: false,
                }));
            };
            let pause = backoff.next().min(deadline - now);
            tracing::info!("result still pending; asking again in {pause:?}");
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = &mut stop => {
                    return Ok(Some(Polled { response, pending: true, interrupted: true }));
                }
            }
        }
    }

    /// In a dry run, prints `requests` as one document and says so.
    pub(super) fn print_reads<'r>(
        &self,
        provider: ProviderId,
        name: &'static str,
        requests: impl Iterator<Item = &'r Request>,
    ) -> Result<bool> {
        if !self.dry_run {
            return Ok(false);
        }
        let mut printer = DryRun::start(self.format, provider.name(), name).map_err(io_error)?;
        for req in requests {
            printer.request(req).map_err(io_error)?;
        }
        printer.finish(&[]).map_err(io_error)?;
        Ok(true)
    }

    /// Sends one read-only request through `pacer`; a redirect or a failure with no
    /// answer is an error (see [`super::client::Http::send`]).
    pub(super) async fn read_paced(
        &self,
        provider: ProviderId,
        name: &'static str,
        req: &Request,
        pacer: &Pacer,
    ) -> Result<Response> {
        let http = self.http.for_run(provider.name(), None);
        match http.send(req, true, pacer, &Stop::never()).await {
            Ok(resp) => Ok(resp),
            Err(Failure::Item(e)) => Err(Error::new(
                e.kind,
                format!(
                    "{} {name} failed: {}",
                    provider.name(),
                    crate::report::describe(&e)
                ),
            )),
            Err(Failure::NotSent) => Err(Error::new(
                ErrorKind::Interrupted,
                format!("{} {name} was interrupted", provider.name()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_second_to_half_a_minute() {
        let mut b = Backoff::new();
        let waits: Vec<u64> = (0..7).map(|_| b.next().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
    }
}
