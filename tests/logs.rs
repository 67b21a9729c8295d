//! Log lines for collectors and people: `--log-format json` (one JSON object per
//! line, the request's fields, no secret, the failure sentence plain, stdout
//! unchanged), and a long retry wait announced before it starts.

use std::io::BufRead;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;
use crate::metrics::{job, scrape};

const KEY: &str = "dc-logs-key-41c9e0";

/// Order 1 is revoked (201), order 2 is not found (404).
async fn digicert_server() -> MockServer {
    let server = server().await;
    respond(
        &server,
        "PUT",
        "/order/certificate/1/revoke",
        ResponseTemplate::new(201).set_body_raw(
            fixture("digicert/revoke_request_pending.json"),
            "application/json",
        ),
    )
    .await;
    respond(
        &server,
        "PUT",
        "/order/certificate/2/revoke",
        ResponseTemplate::new(404)
            .set_body_raw(fixture("digicert/error_not_found.json"), "application/json"),
    )
    .await;
    server
}

fn revoke(env: &Env, server: &MockServer, flags: &[&str], ids: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_DIGICERT_BASE_URL", server.uri())
        .env("CERTCTL_DIGICERT_API_KEY", KEY)
        .args(["-y", "-o", "json", "--retries", "0"])
        .args(flags)
        .args(["digicert", "orders", "revoke", "--comment", "logs"])
        .args(ids);
    cmd
}

/// The stderr lines that are not the failure sentence or its hint, each parsed as
/// JSON (a line that is not JSON fails the test).
fn json_lines(out: &Output) -> Vec<Value> {
    stderr(out)
        .lines()
        .filter(|l| !l.starts_with("certctl: error:") && !l.starts_with("  hint:"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The report without what differs from run to run.
fn report(out: &Output) -> Value {
    let mut doc = json(out);
    doc["run_id"] = Value::Null;
    // Items come in the order their answers did, which two runs need not share.
    if let Some(items) = doc["items"].as_array_mut() {
        items.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    }
    doc
}

#[tokio::test]
async fn every_log_line_is_one_json_object_with_the_request_fields_and_no_secret() {
    let (env, server) = (Env::new(), digicert_server().await);
    let out = run(revoke(
        &env,
        &server,
        &["-vvv", "--log-format", "json"],
        &["1"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains(KEY), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(
        lines.len(),
        stderr(&out).lines().count(),
        "every line is JSON"
    );
    for line in &lines {
        for field in ["timestamp", "level", "message"] {
            assert!(line[field].is_string(), "{field} missing: {line}");
        }
    }
    let run_id = json(&out)["run_id"].as_str().expect("run_id").to_string();
    let requests: Vec<&Value> = lines.iter().filter(|l| l.get("status").is_some()).collect();
    assert_eq!(requests.len(), 1, "{lines:?}");
    let r = requests[0];
    assert_eq!(r["level"], "INFO");
    assert_eq!(r["method"], "PUT");
    assert_eq!(
        r["url"],
        format!("{}/order/certificate/1/revoke", server.uri())
    );
    assert_eq!(r["status"], 201);
    assert!(r["duration_ms"].is_u64(), "{r}");
    assert_eq!(r["attempt"], 1);
    assert_eq!(r["run_id"], run_id.as_str());
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "x-dc-devkey: <redacted>" && l["level"] == "DEBUG"),
        "the credential header is logged redacted: {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l["level"] == "TRACE"),
        "-vvv logs bodies: {lines:?}"
    );
}

#[tokio::test]
async fn the_failure_sentence_and_stdout_are_the_same_with_json_logs_and_metrics() {
    let (env, server) = (Env::new(), digicert_server().await);
    let metrics = env.path("m.prom");
    let plain = run(revoke(&env, &server, &["-v"], &["1", "2"])).await;
    // The log format from the environment, as a cron job's would be set.
    let mut cmd = revoke(&env, &server, &["-v"], &["1", "2"]);
    cmd.env("CERTCTL_LOG_FORMAT", "json")
        .env("CERTCTL_METRICS_FILE", &metrics);
    let logged = run(cmd).await;
    assert_eq!(code(&plain), 3, "{}", stderr(&plain));
    assert_eq!(code(&logged), 3, "{}", stderr(&logged));
    assert_eq!(report(&plain), report(&logged));
    let sentence = |out: &Output| -> Vec<String> {
        stderr(out)
            .lines()
            .filter(|l| l.starts_with("certctl: error:") || l.starts_with("  hint:"))
            .map(|l| l.replace(json(out)["run_id"].as_str().unwrap_or("-"), "RUN"))
            .collect()
    };
    assert!(!sentence(&plain).is_empty());
    assert_eq!(sentence(&plain), sentence(&logged));
    assert_eq!(json_lines(&logged).len(), 2, "one line per request");
    assert_eq!(
        job(&scrape(&metrics), ["default", "digicert", "orders.revoke"]).exit_code,
        3.0
    );
}

/// Runs a revoke of orders 1 and 2 that the server answers with 429 and a
/// `Retry-After` of an hour; once both answers are in (and `settle` later), Ctrl-C.
/// Returns the stderr lines and the exit code.
async fn cut_during_a_long_wait(env: &Env, flags: &[&str]) -> (Vec<String>, Option<i32>) {
    let server = server().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "3600")
                .set_body_raw(
                    fixture("digicert/error_limit_exceeded.json"),
                    "application/json",
                ),
        )
        .mount(&server)
        .await;
    let mut child = env
        .process()
        .env("CERTCTL_DIGICERT_BASE_URL", server.uri())
        .env("CERTCTL_DIGICERT_API_KEY", KEY)
        .args(["-y", "-o", "json", "--rate", "0"])
        .args(flags)
        .args(argv("digicert orders revoke --comment wait 1 2"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn certctl");
    let stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while received(&server).await.len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no requests arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The notice is written right after the answer, before the wait starts.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-INT", &pid]).status();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    (reader.join().expect("reader"), status.code())
}

#[tokio::test]
async fn a_long_retry_after_is_announced_once_before_the_wait() {
    let env = Env::new();
    let metrics = env.path("m.prom");
    let flags = ["--metrics-file", metrics.to_str().expect("utf-8")];
    let (lines, code) = cut_during_a_long_wait(&env, &flags).await;
    assert_eq!(code, Some(130), "{lines:?}");
    let notices: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("before attempt"))
        .collect();
    assert_eq!(notices.len(), 1, "{lines:?}");
    assert!(
        notices[0].ends_with(
            "WARN 429 from digicert: waiting 5m before attempt 2 of 4 (Retry-After, capped)"
        ),
        "{lines:?}"
    );
    // The interrupted run is in the metrics file with both 429 answers.
    let j = job(&scrape(&metrics), ["default", "digicert", "orders.revoke"]);
    assert_eq!(j.exit_code, 130.0);
    assert_eq!(j.requests, [0.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
    assert_eq!(j.last_success, 0.0);
}

#[tokio::test]
async fn quiet_silences_the_notice_of_a_long_wait() {
    let env = Env::new();
    let (lines, code) = cut_during_a_long_wait(&env, &["-q"]).await;
    assert_eq!(code, Some(130), "{lines:?}");
    assert!(
        !lines.iter().any(|l| l.contains("before attempt")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("certctl: error:")),
        "the sentence stays: {lines:?}"
    );
}

#[tokio::test]
async fn a_closed_stderr_does_not_cut_the_run_short() {
    let env = Env::new();
    let server = server().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_raw(
                    fixture("digicert/revoke_request_pending.json"),
                    "application/json",
                )
                .set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    let metrics = env.path("m.prom");
    let mut child = env
        .process()
        .env("CERTCTL_DIGICERT_BASE_URL", server.uri())
        .env("CERTCTL_DIGICERT_API_KEY", KEY)
        .arg("--metrics-file")
        .arg(&metrics)
        .args(["-v", "-y", "-o", "json", "--concurrency", "1"])
        .args(argv("digicert orders revoke --comment closed 1 2 3"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn certctl");
    let stderr = child.stderr.take().expect("stderr");
    let status = tokio::task::spawn_blocking(move || {
        // The reader goes away after the first line; two requests are still to go.
        let first = std::io::BufReader::new(stderr).lines().next();
        assert!(first.is_some_and(|l| l.is_ok()), "a first log line");
        child.wait()
    })
    .await
    .expect("join")
    .expect("wait");
    assert_eq!(status.code(), Some(0));
    assert_eq!(received(&server).await.len(), 3);
    let j = job(&scrape(&metrics), ["default", "digicert", "orders.revoke"]);
    assert_eq!(j.items, [3.0, 0.0, 0.0, 0.0]);
}
