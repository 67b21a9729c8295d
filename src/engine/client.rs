//! The one HTTP client of a run, and sending a request with retries.
//!
//! Every provider shares this client: one connection pool, rustls, the system's
//! proxy variables, a `certctl/<version>` User-Agent, and redirects never followed
//! (a followed redirect could carry a credential to another host). Every request is
//! logged at `-v` with its credential redacted, its parts as fields too (`method`,
//! `url`, `status`, `duration_ms`, `attempt`, `run_id`) for `--log-format json`.
//! Every answer is counted by class for the metrics file, and a retry that will
//! wait [`LONG_WAIT`] or more says so on stderr before it waits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engine::rate::Pacer;
use crate::engine::request::{Method, Request, Response};
use crate::engine::retry::{self, Attempt};
use crate::engine::stop::Stop;
use crate::error::{Error, ErrorKind, ItemError, Result};
use crate::metrics::Requests;

/// A retry wait at least this long is announced on stderr: a run must not fall
/// silent for minutes behind a server's `Retry-After`.
pub const LONG_WAIT: Duration = Duration::from_secs(10);

/// Why [`Http::send`] has no answer to give.
#[derive(Debug)]
pub enum Failure {
    /// The request failed (or was answered with a redirect): the item error says how.
    Item(ItemError),
    /// The run was interrupted before the request left: nothing reached the server.
    NotSent,
}

/// The item error for an attempt that got no answer. A request that may have been
/// written before the connection failed is marked as possibly applied; a TLS
/// certificate the client cannot verify is a configuration problem, not a
/// temporary one, and is never retried.
fn failed_attempt(attempt: Attempt, message: &str, idempotent: bool) -> ItemError {
    match attempt {
        // `auth`: the item kinds a report may carry are fixed (`schemas/operation.json`),
        // and this is the one among them that means "fix the configuration".
        Attempt::Tls => ItemError::new(
            ErrorKind::Auth,
            format!(
                "the provider's TLS certificate could not be verified ({message}): check base_url (a wrong host?), an intercepting proxy, or a missing CA certificate"
            ),
        ),
        Attempt::ConnectFailed => ItemError::new(
            ErrorKind::Transient,
            format!("could not connect to the provider: {message}"),
        ),
        _ if idempotent => ItemError::new(
            ErrorKind::Transient,
            format!("no answer from the provider: {message}"),
        ),
        _ => ItemError::new(
            ErrorKind::Transient,
            format!(
                "no answer from the provider ({message}); the request may have been applied, so it was not sent again"
            ),
        )
        .maybe_applied(),
    }
}

/// The shared client with the run's timeout and retry budget.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    retries: u32,
    backoff_base: Duration,
    /// Answers by class, for the metrics file.
    requests: Arc<Requests>,
    /// Whether a long retry wait was announced already: once per run is enough.
    announced: Arc<AtomicBool>,
    /// The provider the requests go to, named in the notice of a long wait.
    provider: Option<&'static str>,
    /// The run the requests belong to, a field of every request's log line.
    run_id: Option<Arc<str>>,
}

impl Http {
    /// Builds the client; `timeout` bounds each attempt, `retries` the extra attempts.
    /// Without `tls` it trusts no certificate at all, which spares loading the
    /// system's CA store when every URL of the run is plain HTTP. Every answer is
    /// counted in `requests`.
    pub fn new(
        timeout: Duration,
        retries: u32,
        tls: bool,
        requests: Arc<Requests>,
    ) -> Result<Http> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("certctl/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)));
        if !tls {
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let client = builder.build().map_err(|e| {
            Error::new(
                ErrorKind::Refused,
                format!("cannot set up the HTTP client: {e}"),
            )
        })?;
        Ok(Http {
            client,
            retries,
            backoff_base: Duration::from_millis(500),
            requests,
            announced: Arc::new(AtomicBool::new(false)),
            provider: None,
            run_id: None,
        })
    }

    /// The same client, its requests to `provider` and (for an operation) part of
    /// the run `run_id`, as its log lines and notices say.
    pub fn for_run(&self, provider: &'static str, run_id: Option<&str>) -> Http {
        Http {
            provider: Some(provider),
            run_id: run_id.map(Arc::from),
            ..self.clone()
        }
    }

    /// The answers counted so far, by class.
    pub fn requests(&self) -> &Requests {
        &self.requests
    }

    /// Sends `req`, retrying what is safe to retry, and returns the last answer.
    ///
    /// Every attempt first takes a slot from `pacer`. A failure with no answer at all
    /// becomes a `transient` item error, and a 3xx a `refused` one: redirects are
    /// never followed, so no caller can mistake one for an answer.
    ///
    /// Once `stop` resolves (Ctrl-C), no new attempt starts: a request still waiting
    /// for its first attempt is [`Failure::NotSent`], one waiting to retry ends with
    /// its last failure.
    pub async fn send(
        &self,
        req: &Request,
        idempotent: bool,
        pacer: &Pacer,
        stop: &Stop,
    ) -> Result<Response, Failure> {
        self.send_released(req, idempotent, pacer, stop, false)
            .await
    }

    /// [`Http::send`] of a request whose first attempt `pacer` has already
    /// released (`released`): the engine journals a request that is not safe to
    /// send twice only once the pacer lets it go, and then it leaves at once.
    pub async fn send_released(
        &self,
        req: &Request,
        idempotent: bool,
        pacer: &Pacer,
        stop: &Stop,
        released: bool,
    ) -> Result<Response, Failure> {
        let mut attempt_no = 0u32;
        let mut last: Option<ItemError> = None;
        let mut lost_before = false;
        loop {
            attempt_no += 1;
            if !(released && attempt_no == 1) {
                tokio::select! {
                    biased;
                    _ = stop.wait() => return Err(last.map_or(Failure::NotSent, Failure::Item)),
                    _ = pacer.acquire() => {}
                }
            }
            let started = Instant::now();
            let outcome = self.attempt(req).await;
            let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let (attempt, retry_after) = match &outcome {
                Ok(resp) => {
                    self.requests.answered(resp.status);
                    tracing::info!(
                        method = req.method.as_str(),
                        url = req.url.as_str(),
                        status = resp.status,
                        duration_ms = elapsed,
                        attempt = attempt_no,
                        run_id = self.run_id.as_deref(),
                        "{} {} -> {} in {elapsed} ms (attempt {attempt_no})",
                        req.method.as_str(),
                        req.url,
                        resp.status
                    );
                    tracing::trace!("response body: {}", String::from_utf8_lossy(&resp.body));
                    (Attempt::Status(resp.status), resp.retry_after.clone())
                }
                Err((attempt, message)) => {
                    self.requests.unanswered();
                    tracing::info!(
                        method = req.method.as_str(),
                        url = req.url.as_str(),
                        error = message.as_str(),
                        duration_ms = elapsed,
                        attempt = attempt_no,
                        run_id = self.run_id.as_deref(),
                        "{} {} -> {message} after {elapsed} ms (attempt {attempt_no})",
                        req.method.as_str(),
                        req.url
                    );
                    (*attempt, None)
                }
            };
            let retry = attempt_no <= self.retries && retry::should_retry(attempt, idempotent);
            if let Ok(resp) = &outcome
                && (300..400).contains(&resp.status)
            {
                return Err(Failure::Item(
                    ItemError::new(
                        ErrorKind::Refused,
                        format!(
                            "the provider answered with a redirect (HTTP {}); certctl never follows redirects, so nothing else was sent: check base_url",
                            resp.status
                        ),
                    )
                    .status(resp.status),
                ));
            }
            let failure = match outcome {
                Ok(resp) if retry => crate::error::unreadable_error(resp.status, &resp.body),
                Ok(mut resp) => {
                    resp.after_lost_attempt = lost_before;
                    return Ok(resp);
                }
                Err((attempt, message)) => {
                    lost_before |= attempt == Attempt::Lost;
                    failed_attempt(attempt, &message, idempotent)
                }
            };
            if !retry {
                return Err(Failure::Item(failure));
            }
            let delay = retry::delay(attempt_no, self.backoff_base, retry_after.as_deref());
            self.say_wait(attempt, delay, attempt_no + 1);
            let wait = delay.wait;
            last = Some(failure);
            tokio::select! {
                biased;
                _ = stop.wait() => return Err(Failure::Item(last.take().unwrap_or_else(|| ItemError::new(ErrorKind::Transient, "interrupted before retrying")))),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Logs the wait before try number `next`; the first wait of the run that lasts
    /// [`LONG_WAIT`] or more is a warning (silenced by `-q`), with what caused it,
    /// so a long silence is never a mystery.
    fn say_wait(&self, attempt: Attempt, delay: retry::Delay, next: u32) {
        let long = delay.wait >= LONG_WAIT;
        if !long || self.announced.swap(true, Ordering::Relaxed) {
            tracing::info!(
                wait_ms = u64::try_from(delay.wait.as_millis()).unwrap_or(u64::MAX),
                attempt = next,
                run_id = self.run_id.as_deref(),
                "retrying in {} ms ({})",
                delay.wait.as_millis(),
                delay.source
            );
            return;
        }
        let reason = match attempt {
            Attempt::Status(status) => status.to_string(),
            Attempt::ConnectFailed => "no connection".to_string(),
            Attempt::Lost | Attempt::Tls => "no answer".to_string(),
        };
        let from = self.provider.unwrap_or("the provider");
        let wait = humantime::format_duration(Duration::from_secs(delay.wait.as_secs()));
        tracing::warn!(
            wait_ms = u64::try_from(delay.wait.as_millis()).unwrap_or(u64::MAX),
            attempt = next,
            run_id = self.run_id.as_deref(),
            "{reason} from {from}: waiting {wait} before attempt {next} of {} ({})",
            self.retries + 1,
            delay.source
        );
    }

    async fn attempt(&self, req: &Request) -> Result<Response, (Attempt, String)> {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, &req.url);
        for (name, value) in &req.headers {
            builder = builder.header(*name, value.exposed());
            tracing::debug!("{name}: {}", value.shown());
        }
        if let Some(body) = &req.body {
            tracing::trace!("request body: {}", String::from_utf8_lossy(body));
            builder = builder.body(body.clone());
        }
        let resp = builder.send().await.map_err(|e| classify(&e))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp.bytes().await.map_err(|e| classify(&e))?;
        Ok(Response {
            status,
            retry_after,
            body,
            after_lost_attempt: false,
        })
    }
}

fn classify(e: &reqwest::Error) -> (Attempt, String) {
    let attempt = if is_tls_verification(e) {
        Attempt::Tls
    } else if e.is_connect() {
        Attempt::ConnectFailed
    } else {
        Attempt::Lost
    };
    let message = if e.is_timeout() {
        "the request timed out".to_string()
    } else {
        root_cause(e)
    };
    (attempt, message)
}

/// Whether the failure is rustls refusing the server's certificate.
/// `std::io::Error` hides the error it wraps from `source()`, so it is unwrapped by
/// hand on the way down.
fn is_tls_verification(e: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return matches!(
            tls,
            rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
        );
    }
    if let Some(inner) = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        && is_tls_verification(inner)
    {
        return true;
    }
    e.source().is_some_and(is_tls_verification)
}

/// The innermost cause, without the URL reqwest prefixes (it is logged already).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
