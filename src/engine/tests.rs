//! The run loop driven in-process: an operation of a test spec sent to a scripted
//! loopback server, reported to a list instead of the terminal (the report's
//! [`Sink`]), its end read as the exit status would be.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::client::Http;
use super::rate::Pace;
use super::request::{Method, Request, Response};
use super::{Account, Engine, Judging, Operation, Spec, Step, Unit, Verdict};
use crate::error::{ErrorKind, ExitStatus, ItemError, kind_for_status};
use crate::output::{Format, Meta};
use crate::registry::ProviderId;
use crate::report::{ItemOutcome, Sink, Summary};
use crate::secret::Secret;

/// Succeeds on a 2xx; a 502 may have been applied behind the gateway; any other
/// status fails with the kind it means.
fn judge(_: &Unit, resp: &Response, _: &Judging<'_>) -> Verdict {
    Verdict::All(match resp.status {
        200..=299 => Ok(None),
        502 => Err(ItemError::new(ErrorKind::Transient, "gateway").maybe_applied()),
        status => Err(ItemError::new(kind_for_status(status), "refused").status(status)),
    })
}

/// An operation safe to send twice.
static REPEATABLE: Spec = Spec {
    provider: ProviderId::Digicert,
    name: "requests.approve",
    irreversible: false,
    idempotent: true,
    judge,
    read_back: None,
    locate: |_| super::reconcile::Locator::default(),
    follow: None,
};

/// An operation not safe to send twice.
static ONCE: Spec = Spec {
    name: "orders.revoke",
    idempotent: false,
    ..REPEATABLE
};

/// What a run reported, item by item, then its summary.
#[derive(Clone, Default)]
struct Report {
    items: Arc<Mutex<Vec<(String, &'static str)>>>,
    summary: Arc<Mutex<Option<(Summary, bool)>>>,
    /// Reporting fails as a closed pipe after this many items.
    closes_after: Option<usize>,
}

impl Sink for Report {
    fn items(&mut self, items: &[ItemOutcome]) -> std::io::Result<()> {
        let mut list = self.items.lock().unwrap();
        list.extend(items.iter().map(|i| (i.id.clone(), i.result.outcome())));
        match self.closes_after {
            Some(n) if list.len() >= n => Err(std::io::ErrorKind::BrokenPipe.into()),
            _ => Ok(()),
        }
    }

    fn finish(
        self: Box<Self>,
        summary: Summary,
        interrupted: bool,
        _: &[String],
    ) -> std::io::Result<()> {
        *self.summary.lock().unwrap() = Some((summary, interrupted));
        Ok(())
    }
}

fn engine() -> Engine {
    // As `main` does; a second install (another test's) is refused, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Engine {
        http: Http::new(Duration::from_secs(5), 0, false, Default::default()).unwrap(),
        format: Format::Json,
        profile: "test".into(),
        dry_run: false,
        yes: true,
        quiet: true,
        progress: false,
        concurrency: 1,
        journal: false,
        sandbox: false,
        journal_at: None,
        resume: None,
        plan: None,
        max_items: None,
    }
}

/// One PUT per ID to `server`'s `/ID`.
fn operation(spec: &'static Spec, server: &MockServer, ids: &[&str]) -> Operation {
    let base = server.uri();
    let units: Vec<_> = ids
        .iter()
        .map(|id| {
            Ok(Step::Send(Unit {
                ids: vec![id.to_string()],
                request: Request::new(Method::Put, format!("{base}/{id}")),
            }))
        })
        .collect();
    let account = Account {
        base,
        secret: Secret::new("k"),
    };
    Operation::new(spec, account, units.into_iter())
}

/// The server answers `PUT /ID` with `status`.
async fn answers(server: &MockServer, id: &str, status: u16) {
    Mock::given(method("PUT"))
        .and(path(format!("/{id}")))
        .respond_with(ResponseTemplate::new(status))
        .mount(server)
        .await;
}

/// Runs `op`, reporting to `report`: its items, summary and exit status.
async fn run(
    op: Operation,
    report: Report,
) -> (
    Vec<(String, &'static str)>,
    Option<(Summary, bool)>,
    ExitStatus,
) {
    let sink = report.clone();
    let ended = engine()
        .run_into(op, Pace::Unlimited, move |meta: Meta, _| {
            assert_eq!(meta.profile, "test");
            Ok(Box::new(sink) as Box<dyn Sink>)
        })
        .await
        .unwrap();
    let items = report.items.lock().unwrap().clone();
    let summary = *report.summary.lock().unwrap();
    (items, summary, ended.status())
}

#[tokio::test]
async fn every_item_succeeding_is_success() {
    let server = MockServer::start().await;
    for id in ["a", "b"] {
        answers(&server, id, 204).await;
    }
    let (items, summary, status) = run(
        operation(&REPEATABLE, &server, &["a", "b"]),
        Report::default(),
    )
    .await;
    assert_eq!(
        items,
        [("a".into(), "succeeded"), ("b".into(), "succeeded")]
    );
    let (summary, interrupted) = summary.expect("a summary");
    assert_eq!((summary.total, summary.succeeded), (2, 2));
    assert!(!interrupted);
    assert_eq!(status, ExitStatus::Success);
}

#[tokio::test]
async fn some_failing_is_partial_and_all_failing_is_the_first_kind() {
    let server = MockServer::start().await;
    answers(&server, "a", 204).await;
    answers(&server, "b", 404).await;
    answers(&server, "c", 403).await;
    let (items, summary, status) = run(
        operation(&REPEATABLE, &server, &["a", "b"]),
        Report::default(),
    )
    .await;
    assert_eq!(items, [("a".into(), "succeeded"), ("b".into(), "failed")]);
    let (summary, _) = summary.expect("a summary");
    assert_eq!((summary.succeeded, summary.failed), (1, 1));
    assert_eq!(status, ExitStatus::Partial);
    let (_, _, status) = run(
        operation(&REPEATABLE, &server, &["b", "c"]),
        Report::default(),
    )
    .await;
    assert_eq!(status, ExitStatus::Failed(ErrorKind::NotFound));
}

#[tokio::test]
async fn what_may_have_been_applied_is_unknown_only_when_not_safe_to_repeat() {
    let server = MockServer::start().await;
    answers(&server, "a", 204).await;
    answers(&server, "b", 502).await;
    let (items, summary, status) =
        run(operation(&ONCE, &server, &["a", "b"]), Report::default()).await;
    assert_eq!(items, [("a".into(), "succeeded"), ("b".into(), "unknown")]);
    assert_eq!(summary.expect("a summary").0.unknown, 1);
    assert_eq!(status, ExitStatus::Unknown);
    let (items, _, status) = run(operation(&REPEATABLE, &server, &["b"]), Report::default()).await;
    assert_eq!(items, [("b".into(), "failed")]);
    assert_eq!(status, ExitStatus::Failed(ErrorKind::Transient));
}

#[tokio::test]
async fn a_closed_report_stops_the_run_as_an_interruption_does() {
    let server = MockServer::start().await;
    for id in ["a", "b", "c"] {
        answers(&server, id, 204).await;
    }
    let report = Report {
        closes_after: Some(1),
        ..Report::default()
    };
    let op = operation(&REPEATABLE, &server, &["a", "b", "c"]).sized(Some(3), Some(3), Vec::new());
    let (items, summary, status) = run(op, report).await;
    assert_eq!(items, [("a".into(), "succeeded")]);
    assert!(
        summary.is_none(),
        "nothing more is written to a closed report"
    );
    // Nothing new was sent once the report was closed.
    let sent = server.received_requests().await.unwrap_or_default().len();
    assert!(sent < 3, "{sent} requests sent");
    assert_eq!(status, ExitStatus::Failed(ErrorKind::Interrupted));
}

/// Each line of the journal at `path` as (phase, IDs).
fn journal_lines(path: &std::path::Path) -> Vec<(String, Vec<String>)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let ids = v["ids"].as_array().unwrap();
            let ids = ids
                .iter()
                .map(|i| i.as_str().unwrap().to_string())
                .collect();
            (v["phase"].as_str().unwrap().to_string(), ids)
        })
        .collect()
}

#[tokio::test]
async fn each_request_is_journaled_sent_before_it_leaves_and_done_after_its_answer() {
    let server = MockServer::start().await;
    for id in ["a", "b", "c"] {
        answers(&server, id, 204).await;
    }
    let dir = tempfile::tempdir().unwrap();
    for spec in [&REPEATABLE, &ONCE] {
        let path = dir.path().join(format!("{}.ndjson", spec.name));
        let mut engine = engine();
        engine.journal = true;
        engine.journal_at = Some(path.clone());
        let report = Report::default();
        let sink = report.clone();
        let op = operation(spec, &server, &["a", "b", "c"]);
        engine
            .run_into(op, Pace::Unlimited, move |_, _| {
                Ok(Box::new(sink) as Box<dyn Sink>)
            })
            .await
            .unwrap();
        let lines = journal_lines(&path);
        for id in ["a", "b", "c"] {
            let at = |phase: &str| {
                lines
                    .iter()
                    .position(|(p, ids)| p == phase && ids.iter().any(|i| i == id))
                    .unwrap_or_else(|| panic!("{}: no {phase} line for {id}: {lines:?}", spec.name))
            };
            assert!(at("sent") < at("done"), "{}: {lines:?}", spec.name);
        }
        // With one request at a time, answers are journaled in the order they came.
        let done: Vec<&str> = lines
            .iter()
            .filter(|(p, _)| p == "done")
            .flat_map(|(_, ids)| ids.iter().map(String::as_str))
            .collect();
        assert_eq!(done, ["a", "b", "c"], "{}", spec.name);
    }
}
