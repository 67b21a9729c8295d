//! How a run ends, as scripts see it: `unknown` items and exit 7, the one sentence on
//! stderr in every output mode, resuming with and without `--retry-unknown`, a
//! malformed secret, a TLS certificate that does not verify, and Ctrl-C during an
//! Origin `--wait`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const KEY: &str = "dc-outcomes-key-8c2d";

fn digicert(env: &Env, server: &MockServer) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_DIGICERT_BASE_URL", server.uri())
        .env("CERTCTL_DIGICERT_API_KEY", KEY)
        .env("CERTCTL_JOURNAL", env.path("journal.ndjson"));
    cmd
}

fn revoke(env: &Env, server: &MockServer, format: &str, ids: &[&str]) -> assert_cmd::Command {
    let mut cmd = digicert(env, server);
    cmd.args(["-y", "-o", format, "--retries", "0"])
        .args(["digicert", "orders", "revoke", "--comment", "outcomes"])
        .args(ids);
    cmd
}

/// Order 1 is revoked (201), order 2 is not found (404), order 3 gets a proxy's
/// HTML page with a 200: not the documented answer, so it may have been applied.
async fn mixed_server() -> MockServer {
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
    respond(
        &server,
        "PUT",
        "/order/certificate/3/revoke",
        ResponseTemplate::new(200).set_body_raw("<html>proxy says hi</html>", "text/html"),
    )
    .await;
    server
}

/// The lines certctl wrote on stderr that say what failed.
fn sentences(out: &std::process::Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.starts_with("certctl: error:"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_2xx_that_is_not_the_documented_success_is_unknown_and_exit_7() {
    let server = mixed_server().await;
    let env = Env::new();
    let out = run(revoke(&env, &server, "json", &["1", "2", "3"])).await;
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["outcome"], "unknown");
    assert_eq!(
        report["summary"],
        serde_json::json!({"total": 3, "succeeded": 1, "failed": 1, "unknown": 1, "skipped": 0})
    );
    let item = |id: &str| -> Value {
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(item("1")["outcome"], "succeeded");
    assert_eq!(item("2")["outcome"], "failed");
    assert_eq!(item("3")["outcome"], "unknown");
    assert_eq!(item("3")["error"]["kind"], "invalid_response");
    assert_eq!(item("3")["error"]["http_status"], 200);
    assert!(
        item("3")["error"]["message"]
            .as_str()
            .unwrap()
            .contains("may have been applied")
    );
    // One sentence, naming the unknown item and what to do.
    let said = sentences(&out);
    assert_eq!(said.len(), 1, "{}", stderr(&out));
    assert!(said[0].contains("3"), "{}", said[0]);
    let run_id = report["run_id"].as_str().unwrap();
    assert!(
        stderr(&out).contains(&format!("--resume {run_id}: it first asks the provider")),
        "{}",
        stderr(&out)
    );

    // The journal says unknown too, and `journal show --unknown` lists it alone.
    let mut show = env.cmd();
    show.env("CERTCTL_JOURNAL", env.path("journal.ndjson"))
        .args(["journal", "show", run_id, "--unknown"]);
    let shown = run(show).await;
    assert_eq!(code(&shown), 0, "{}", stderr(&shown));
    assert_eq!(stdout(&shown), "3\n");

    // Resuming asks DigiCert about order 3 first; this server cannot tell (a bare
    // 404), so it is held back (reported unknown again, not sent); order 2 is sent.
    let before = received(&server).await.len();
    let mut again = revoke(&env, &server, "json", &["1", "2", "3"]);
    again.args(["--resume", run_id]);
    let out = run(again).await;
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["skipped"], 1);
    assert_eq!(report["summary"]["unknown"], 1);
    let sent: Vec<String> = received(&server).await[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        sent,
        [
            "GET /order/certificate/3",
            "PUT /order/certificate/2/revoke"
        ]
    );

    // With --retry-unknown (the operator checked it), order 3 is sent again; the
    // chain is resumed through the second run.
    let second = report["run_id"].as_str().unwrap().to_string();
    let before = received(&server).await.len();
    let mut retry = revoke(&env, &server, "json", &["1", "2", "3"]);
    retry.args(["--resume", &second, "--retry-unknown"]);
    let out = run(retry).await;
    let sent: Vec<String> = received(&server).await[before..]
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert!(
        sent.contains(&"/order/certificate/3/revoke".to_string()),
        "{sent:?}"
    );
    assert!(!sent.contains(&"/order/certificate/1/revoke".to_string()));
    assert_eq!(json(&out)["summary"]["skipped"], 1);
}

#[tokio::test]
async fn a_failed_run_says_one_sentence_on_stderr_in_every_output_mode() {
    let server = server().await;
    Mock::given(method("PUT"))
        .and(path_regex("^/order/certificate/[0-9]+/revoke$"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(fixture("digicert/error_not_found.json"), "application/json"),
        )
        .mount(&server)
        .await;
    for format in ["text", "json", "ndjson"] {
        for quiet in [false, true] {
            let env = Env::new();
            let mut cmd = revoke(&env, &server, format, &["99999999"]);
            if quiet {
                cmd.arg("-q");
            }
            let out = run(cmd).await;
            assert_eq!(code(&out), 5, "{format}: {}", stderr(&out));
            let said = sentences(&out);
            assert_eq!(said.len(), 1, "{format} -q={quiet}: {}", stderr(&out));
            assert!(
                said[0].contains("digicert orders.revoke: 1 of 1 items failed: 99999999"),
                "{}",
                said[0]
            );
            assert!(said[0].contains("404"), "{}", said[0]);
            assert!(
                !stdout(&out).contains("certctl: error"),
                "stdout is the report alone"
            );
        }
    }
}

#[tokio::test]
async fn an_invalid_key_names_the_api_key_setting_on_stderr() {
    let server = server().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(403).set_body_raw(
            fixture("digicert/error_invalid_key.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let env = Env::new();
    let out = run(revoke(&env, &server, "json", &["1"])).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("`api_key`"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(KEY));
}

#[tokio::test]
async fn a_secret_that_cannot_be_a_header_is_a_config_error_and_nothing_is_sent() {
    let server = server().await;
    let env = Env::new();
    for (var, value, args) in [
        (
            "CERTCTL_DIGICERT_API_KEY",
            "zq8\u{1}def-secret",
            &["digicert", "orders", "revoke", "--comment", "x", "1"][..],
        ),
        (
            "CERTCTL_BCDIPLOMA_TOKEN",
            "t0kX\nsecret-part",
            &["bcdiploma", "certificates", "disable", "k1"][..],
        ),
    ] {
        let mut cmd = env.cmd();
        cmd.env("CERTCTL_DIGICERT_BASE_URL", server.uri())
            .env("CERTCTL_BCDIPLOMA_BASE_URL", server.uri())
            .env(var, value)
            .args(["-y", "-o", "json"])
            .args(args);
        let out = run(cmd).await;
        assert_eq!(code(&out), 4, "{}", stderr(&out));
        let key = if var.ends_with("API_KEY") {
            "api_key"
        } else {
            "token"
        };
        assert!(
            stderr(&out).contains(&format!("`{key}`")),
            "{}",
            stderr(&out)
        );
        for part in ["def-secret", "secret-part", "zq8", "t0kX"] {
            assert!(
                !stderr(&out).contains(part) && !stdout(&out).contains(part),
                "no part of the secret is printed: {}",
                stderr(&out)
            );
        }
    }
    assert!(received(&server).await.is_empty());
}

/// A TLS server of the test's own on loopback with a self-signed certificate
/// (openssl's `s_server`), stopped on drop.
struct SelfSigned {
    child: std::process::Child,
    port: u16,
}

impl SelfSigned {
    fn start(env: &Env) -> Option<SelfSigned> {
        let (cert, key) = (env.path("cert.pem"), env.path("key.pem"));
        let made = Command::new("openssl")
            .args(argv("req -x509 -newkey rsa:2048 -nodes -days 1"))
            .args(["-subj", "/CN=127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        if !made.success() {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .ok()?
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-www"])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(SelfSigned { child, port })
    }
}

impl Drop for SelfSigned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn an_unverifiable_tls_certificate_is_a_config_error_not_retried() {
    let env = Env::new();
    let server = SelfSigned::start(&env).expect("openssl makes a self-signed server");
    let mut cmd = env.cmd();
    cmd.env(
        "CERTCTL_BCDIPLOMA_BASE_URL",
        format!("https://127.0.0.1:{}", server.port),
    )
    .env("CERTCTL_BCDIPLOMA_TOKEN", "tls-test-token")
    .env("CERTCTL_JOURNAL", env.path("journal.ndjson"))
    .args(["-y", "-v", "-o", "json", "--retries", "3"])
    .args(["bcdiploma", "certificates", "disable", "k1"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["items"][0]["error"]["kind"], "auth");
    assert!(
        stderr(&out).contains("TLS certificate could not be verified"),
        "{}",
        stderr(&out)
    );
    let attempts = stderr(&out).matches("(attempt ").count();
    assert_eq!(attempts, 1, "not retried: {}", stderr(&out));

    // Without -v, stderr holds certctl's sentence alone, not the TLS stack's lines.
    let mut cmd = env.cmd();
    cmd.env(
        "CERTCTL_BCDIPLOMA_BASE_URL",
        format!("https://127.0.0.1:{}", server.port),
    )
    .env("CERTCTL_BCDIPLOMA_TOKEN", "tls-test-token")
    .env("CERTCTL_JOURNAL", env.path("journal.ndjson"))
    .args(argv("-y -o json bcdiploma certificates disable k1"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.lines()
            .all(|l| l.starts_with("certctl: error:") || l.starts_with("  hint:")),
        "{err}"
    );
}

#[tokio::test]
async fn ctrl_c_ends_an_origin_wait_at_once_with_one_json_document() {
    const RESULT: &str = "/equinox/connect/v1/result/certifications_delete/batch/1c8a06b6-45be-4e68-9e2d-5c1f075e6ca2";
    let server = server().await;
    let base = format!("{}/equinox", server.uri());
    respond(
        &server,
        "POST",
        "/equinox/connect/v1/async/certifications/delete",
        ResponseTemplate::new(200).set_body_raw(
            fixture("origin/async_accepted.json").replace("{{BASE}}", &base),
            "application/json",
        ),
    )
    .await;
    respond(
        &server,
        "GET",
        RESULT,
        ResponseTemplate::new(200)
            .set_body_raw(fixture("origin/result_pending.json"), "application/json"),
    )
    .await;
    let env = Env::new();
    let out_path = env.path("stdout");
    let mut child = env
        .process()
        .env("CERTCTL_JOURNAL", env.path("journal.ndjson"))
        .env("CERTCTL_ORIGIN_BASE_URL", &base)
        .env("CERTCTL_ORIGIN_TOKEN", "origin-wait-token")
        .args(["-y", "-o", "json", "origin", "certifications", "delete"])
        .args(["id-1", "--async", "--wait"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Polls come 1 s, 2 s and 4 s apart: after the third, the next is 8 s away.
    let started = Instant::now();
    while received(&server).await.len() < 4 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(received(&server).await.len(), 4, "submit and three polls");
    let signalled = Instant::now();
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    let took = signalled.elapsed();
    assert_eq!(status.code(), Some(130));
    // Far less than the 8 s the wait had left (a second, give or take a busy machine).
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let report: Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap())
        .expect("one JSON document on stdout");
    assert_eq!(report["interrupted"], true);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("certctl origin results show") && notes.contains("1c8a06b6"),
        "{report}"
    );
    assert_eq!(received(&server).await.len(), 4, "no poll after Ctrl-C");
}

#[tokio::test]
async fn a_run_that_pacing_will_make_long_says_so_once() {
    use std::io::BufRead;
    let env = Env::new();
    let mut child = env
        .process()
        .env("CERTCTL_JOURNAL", env.path("journal.ndjson"))
        .args(["--sandbox", "-y", "-o", "json", "--rate", "1"])
        .args(["digicert", "orders", "revoke", "--comment", "slow"])
        .args((10_001..10_016).map(|i| i.to_string()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let pid = child.id().to_string();
    let line = tokio::task::spawn_blocking(move || {
        let first = std::io::BufReader::new(stderr).lines().next();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let _ = child.wait();
        first
    })
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    assert!(line.contains("15 requests paced to --rate 1"), "{line}");
    assert!(line.contains("take at least 14s"), "{line}");
    assert!(line.contains("--rate 0"), "{line}");
}

#[tokio::test]
async fn sandbox_runs_stay_out_of_the_production_journal() {
    let env = Env::new();
    let mut c = env.cmd();
    c.args(argv("--sandbox -o json bcdiploma certificates disable"))
        .args(["--campaign", "demo-campaign"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let run_id = json(&out)["run_id"].as_str().unwrap().to_string();
    let list = |sandbox: bool| {
        let mut c = env.cmd();
        if sandbox {
            c.arg("--sandbox");
        }
        c.args(["-o", "json", "journal", "list"]);
        c
    };
    let production = json(&run(list(false)).await);
    assert_eq!(production, serde_json::json!([]), "{production}");
    let rehearsals = json(&run(list(true)).await);
    assert_eq!(rehearsals[0]["run_id"], run_id.as_str(), "{rehearsals}");
}

#[tokio::test]
async fn ctrl_c_ends_a_results_show_wait_at_once() {
    const BATCH: &str = "1c8a06b6-45be-4e68-9e2d-5c1f075e6ca2";
    let server = server().await;
    let base = format!("{}/equinox", server.uri());
    respond(
        &server,
        "GET",
        format!("/equinox/connect/v1/result/certifications_delete/batch/{BATCH}"),
        ResponseTemplate::new(200)
            .set_body_raw(fixture("origin/result_pending.json"), "application/json"),
    )
    .await;
    let env = Env::new();
    let mut child = env
        .process()
        .env("CERTCTL_ORIGIN_BASE_URL", &base)
        .env("CERTCTL_ORIGIN_TOKEN", "origin-wait-token")
        .args(["-o", "json", "origin", "results", "show", BATCH, "--wait"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Polls come 1 s and 2 s apart: after the third, the next is 4 s away.
    let started = Instant::now();
    while received(&server).await.len() < 3 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let signalled = Instant::now();
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = tokio::task::spawn_blocking(move || {
        let _ = child.stdin.take();
        child.wait_with_output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(signalled.elapsed() < Duration::from_secs(3));
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let body: Value = serde_json::from_slice(&out.stdout).expect("the last answer, one document");
    assert_eq!(body["result"]["executionStatus"], "PENDING");
    assert!(stderr(&out).contains("results show"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_closed_stdout_stops_a_run_like_ctrl_c_and_journals_what_was_in_flight() {
    use std::io::BufRead;
    let env = Env::new();
    let keys: String = (1..=3000).map(|i| format!("BULKKEY{i:05}\n")).collect();
    let file = env.file("keys.txt", &keys);
    let journal = env.path("journal-sandbox.ndjson");
    let mut child = env
        .process()
        .env("CERTCTL_JOURNAL", env.path("journal.ndjson"))
        .args(["--sandbox", "-y", "-o", "ndjson", "--rate", "0"])
        .args(argv("bcdiploma certificates delete --batch-size 1 --from"))
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let mut first = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut first);
        // The reader goes away, as `| head -1` does.
        child.wait_with_output()
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    // Every request that was journaled as sent has its outcome (or not_sent) too.
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut sent = 0usize;
    let mut done = 0usize;
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let n = v["ids"].as_array().map_or(0, Vec::len);
        match v["phase"].as_str() {
            Some("sent") => sent += n,
            Some("done") => done += n,
            _ => {}
        }
    }
    assert!(sent > 0 && sent < 3000, "{sent}");
    assert_eq!(sent, done, "every sent item has a done line");
}

#[tokio::test]
async fn a_bad_line_further_down_stdin_keeps_exit_7_when_items_are_unknown() {
    // One request at a time, and the bad line well past the look-ahead: some
    // revokes are sent (and dropped after being applied) before it is read. A bad
    // line within the look-ahead stops the run before anything is sent (exit 2).
    let env = Env::new();
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_JOURNAL", env.path("journal.ndjson"))
        .env("CERTCTL_SANDBOX_FAULTS", "reset-after=1")
        .args(argv("--sandbox -y -o json --rate 0 --concurrency 1"))
        .args(argv("digicert orders revoke --comment x --from -"))
        .write_stdin("1001\n1002\n1003\n1004\n1005\n1006\nabc\n");
    let out = run(cmd).await;
    assert_eq!(code(&out), 7, "{}\n{}", stdout(&out), stderr(&out));
    assert!(json(&out)["summary"]["unknown"].as_u64().unwrap_or(0) > 0);
    let said: Vec<String> = sentences(&out);
    assert_eq!(said.len(), 2, "{}", stderr(&out));
    assert!(said[0].contains("abc"), "{}", said[0]);
    assert!(said[1].contains("unknown"), "{}", said[1]);
}
