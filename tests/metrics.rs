//! The `--metrics-file` of cron jobs: what it holds after every kind of end, how
//! jobs share one file, and what it never does (hold a secret, an ID or a URL,
//! overwrite a file that is not its format, change the exit code). Every file is
//! read back with a Prometheus text-format parser, as node_exporter would.

use std::path::Path;

use prometheus_parse::Value as PromValue;
use wiremock::{MockServer, ResponseTemplate};

use crate::common::*;

/// The parser's strict reading, shared with the smoke test's check of the README's
/// file.
#[path = "../examples/check_metrics.rs"]
#[allow(dead_code)]
mod check_metrics;

const KEY: &str = "dc-metrics-key-93ab7f";

/// One sample as the parser read it.
pub struct Sample {
    pub metric: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Reads the metrics file at `path` with the Prometheus text-format parser (see
/// `examples/check_metrics.rs`: nothing skipped, every certctl family a gauge with
/// its help).
pub fn scrape(path: &Path) -> Vec<Sample> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read metrics file {}: {e}", path.display()));
    let samples = check_metrics::samples(&text).unwrap_or_else(|why| panic!("{why}:\n{text}"));
    samples
        .into_iter()
        .map(|s| {
            let value = match s.value {
                PromValue::Gauge(v) | PromValue::Untyped(v) | PromValue::Counter(v) => v,
                other => panic!("{} has no single value: {other:?}", s.metric),
            };
            let mut labels: Vec<(String, String)> = s
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            labels.sort();
            Sample {
                metric: s.metric,
                labels,
                value,
            }
        })
        .collect()
}

/// The value of the one sample of `metric` with exactly the labels of `job` plus
/// `extra`; panics when there is none or several.
pub fn value(samples: &[Sample], metric: &str, job: [&str; 3], extra: &[(&str, &str)]) -> f64 {
    let mut want: Vec<(String, String)> = ["profile", "provider", "operation"]
        .iter()
        .zip(job)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    want.sort();
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.metric == metric && s.labels == want)
        .collect();
    assert_eq!(found.len(), 1, "{metric} {want:?}");
    found[0].value
}

/// The six families of one job: end time, duration, exit code, items by outcome,
/// answers by class, last success.
pub struct Job {
    pub ended: f64,
    pub duration: f64,
    pub exit_code: f64,
    pub items: [f64; 4],
    pub requests: [f64; 6],
    pub last_success: f64,
}

/// Reads one job's samples from `samples`, checking all of them are there.
pub fn job(samples: &[Sample], job: [&str; 3]) -> Job {
    let one = |metric: &str| value(samples, metric, job, &[]);
    let items = ["succeeded", "failed", "unknown", "skipped"]
        .map(|o| value(samples, "certctl_last_run_items", job, &[("outcome", o)]));
    let requests = ["2xx", "3xx", "4xx", "429", "5xx", "error"]
        .map(|c| value(samples, "certctl_last_run_requests", job, &[("class", c)]));
    Job {
        ended: one("certctl_last_run_timestamp_seconds"),
        duration: one("certctl_last_run_duration_seconds"),
        exit_code: one("certctl_last_run_exit_code"),
        items,
        requests,
        last_success: one("certctl_last_success_timestamp_seconds"),
    }
}

/// The number of samples (of all families) that carry `job`'s labels.
fn samples_of(samples: &[Sample], job: [&str; 3]) -> usize {
    samples
        .iter()
        .filter(|s| {
            ["profile", "provider", "operation"]
                .iter()
                .zip(job)
                .all(|(k, v)| s.labels.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .count()
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Order 1 is revoked (201), order 2 is not found (404), order 3 gets a 200 that
/// is not DigiCert's answer (unknown); request 198 is approved.
async fn digicert_server() -> MockServer {
    let server = server().await;
    let mounts: [(&str, ResponseTemplate); 4] = [
        (
            "/order/certificate/1/revoke",
            ResponseTemplate::new(201).set_body_raw(
                fixture("digicert/revoke_request_pending.json"),
                "application/json",
            ),
        ),
        (
            "/order/certificate/2/revoke",
            ResponseTemplate::new(404)
                .set_body_raw(fixture("digicert/error_not_found.json"), "application/json"),
        ),
        (
            "/order/certificate/3/revoke",
            ResponseTemplate::new(200).set_body_raw("<html>proxy</html>", "text/html"),
        ),
        ("/request/198/status", ResponseTemplate::new(204)),
    ];
    for (at, answer) in mounts {
        respond(&server, "PUT", at, answer).await;
    }
    server
}

/// certctl against `server` with the metrics file `metrics`.
fn certctl(env: &Env, server: &MockServer, metrics: &Path) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_DIGICERT_BASE_URL", server.uri())
        .env("CERTCTL_DIGICERT_API_KEY", KEY)
        .arg("--metrics-file")
        .arg(metrics);
    cmd
}

fn revoke(env: &Env, server: &MockServer, metrics: &Path, ids: &[&str]) -> assert_cmd::Command {
    let mut cmd = certctl(env, server, metrics);
    cmd.args(["-y", "--retries", "0", "digicert", "orders", "revoke"])
        .args(["--comment", "metrics"])
        .args(ids);
    cmd
}

/// A directory for metrics files alone, so a leftover temporary file shows.
fn textfile_dir(env: &Env) -> std::path::PathBuf {
    let dir = env.path("textfile");
    std::fs::create_dir_all(&dir).expect("textfile dir");
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// An environment variable: name and value.
type Var<'a> = (&'a str, &'a str);

const REVOKE: [&str; 3] = ["default", "digicert", "orders.revoke"];

#[tokio::test]
async fn a_successful_run_writes_every_family_and_no_secret_id_or_url() {
    use std::os::unix::fs::PermissionsExt;
    let (env, server) = (Env::new(), digicert_server().await);
    let dir = textfile_dir(&env);
    let file = dir.join("certctl.prom");
    let before = now();
    let out = run(revoke(&env, &server, &file, &["1"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let samples = scrape(&file);
    let j = job(&samples, REVOKE);
    assert!(
        j.ended >= before.floor() && j.ended <= now() + 1.0,
        "{}",
        j.ended
    );
    assert!(j.duration >= 0.0 && j.duration < 60.0);
    assert_eq!(j.exit_code, 0.0);
    assert_eq!(j.items, [1.0, 0.0, 0.0, 0.0]);
    assert_eq!(j.requests, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(j.last_success, j.ended);
    assert_eq!(samples.len(), 14, "one job: 14 samples");

    assert_eq!(entries(&dir), ["certctl.prom"], "no temporary file left");
    let mode = std::fs::metadata(&file)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    let text = std::fs::read_to_string(&file).expect("read");
    let host = server.uri().trim_start_matches("http://").to_string();
    for never in [
        KEY,
        "http",
        &host,
        "127.0.0.1",
        "order/certificate",
        "\"1\"",
    ] {
        assert!(!text.contains(never), "{never} in:\n{text}");
    }
}

#[tokio::test]
async fn partial_unknown_and_failed_runs_are_recorded_with_their_exit_code() {
    let (env, server) = (Env::new(), digicert_server().await);
    let file = env.path("m.prom");
    let cases: [(&[&str], i32, [f64; 4]); 3] = [
        (&["1", "2"], 3, [1.0, 1.0, 0.0, 0.0]),
        (&["1", "2", "3"], 7, [1.0, 1.0, 1.0, 0.0]),
        (&["2"], 5, [0.0, 1.0, 0.0, 0.0]),
    ];
    for (ids, exit, items) in cases {
        let out = run(revoke(&env, &server, &file, ids)).await;
        assert_eq!(code(&out), exit, "{ids:?}: {}", stderr(&out));
        let j = job(&scrape(&file), REVOKE);
        assert_eq!(j.exit_code, f64::from(exit), "{ids:?}");
        assert_eq!(j.items, items, "{ids:?}");
        let answered = ids.len() as f64;
        assert_eq!(j.requests.iter().sum::<f64>(), answered, "{ids:?}");
        assert_eq!(j.last_success, 0.0, "never succeeded: {ids:?}");
    }
}

#[tokio::test]
async fn the_last_success_is_kept_across_failed_runs() {
    let (env, server) = (Env::new(), digicert_server().await);
    let file = env.path("m.prom");
    let out = run(revoke(&env, &server, &file, &["1"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let succeeded = job(&scrape(&file), REVOKE);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = run(revoke(&env, &server, &file, &["2"])).await;
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let failed = job(&scrape(&file), REVOKE);
    assert_eq!(failed.exit_code, 5.0);
    assert!(failed.ended > succeeded.ended);
    assert_eq!(failed.last_success, succeeded.ended);
    assert_eq!(failed.requests, [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
}

#[tokio::test]
async fn two_operations_and_two_profiles_share_one_file() {
    let (env, server) = (Env::new(), digicert_server().await);
    let file = env.path("m.prom");
    let config = env.config(&format!(
        "[profiles.blue.digicert]\nbase_url = \"{0}\"\napi_key = \"{KEY}\"\n\n[profiles.green]\nmetrics_file = \"{1}\"\n\n[profiles.green.digicert]\nbase_url = \"{0}\"\napi_key = \"{KEY}\"\n",
        server.uri(),
        file.display()
    ));
    let runs: [(&[&str], i32); 4] = [
        (&["-p", "blue", "digicert", "orders", "revoke", "1"], 0),
        (&["-p", "blue", "digicert", "requests", "approve", "198"], 0),
        (&["-p", "green", "digicert", "orders", "revoke", "2"], 5),
        (&["-p", "blue", "digicert", "orders", "revoke", "2"], 5),
    ];
    for (args, exit) in runs {
        let mut cmd = env.cmd();
        cmd.arg("-c").arg(&config).args(["-y", "--retries", "0"]);
        // The green profile names the file itself; the others get it from the
        // environment.
        if args[1] != "green" {
            cmd.env("CERTCTL_METRICS_FILE", &file);
        }
        cmd.args(args);
        if args.contains(&"revoke") {
            cmd.args(["--comment", "shared"]);
        }
        let out = run(cmd).await;
        assert_eq!(code(&out), exit, "{args:?}: {}", stderr(&out));
    }
    let samples = scrape(&file);
    let blue_revoke = job(&samples, ["blue", "digicert", "orders.revoke"]);
    let blue_approve = job(&samples, ["blue", "digicert", "requests.approve"]);
    let green_revoke = job(&samples, ["green", "digicert", "orders.revoke"]);
    assert_eq!(blue_revoke.exit_code, 5.0);
    assert!(blue_revoke.last_success > 0.0, "kept from the first run");
    assert_eq!(blue_approve.exit_code, 0.0);
    assert_eq!(blue_approve.items, [1.0, 0.0, 0.0, 0.0]);
    assert_eq!(green_revoke.exit_code, 5.0);
    assert_eq!(green_revoke.last_success, 0.0);
    assert_eq!(samples.len(), 3 * 14, "three jobs, nothing else");
}

#[tokio::test]
async fn a_configuration_error_is_recorded_once_the_operation_is_known() {
    let env = Env::new();
    let file = env.path("m.prom");
    let out = env
        .cmd()
        .arg("--metrics-file")
        .arg(&file)
        .args(["-y", "digicert", "orders", "revoke", "1", "--comment", "c"])
        .output()
        .expect("run");
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let j = job(&scrape(&file), REVOKE);
    assert_eq!(j.exit_code, 4.0);
    assert_eq!(j.items, [0.0; 4]);
    assert_eq!(j.requests, [0.0; 6]);

    // A command line clap refuses (here a missing --comment, or --concurrency 0
    // from the environment) is a usage error of a known operation: recorded too,
    // unless it was a dry run.
    let refused = env.path("refused.prom");
    let lines: [(&[&str], Option<Var>); 3] = [
        (&["-p", "night", "digicert", "orders", "revoke", "1"], None),
        (
            &["bcdiploma", "certificates", "delete", "k1"],
            Some(("CERTCTL_CONCURRENCY", "0")),
        ),
        (&["--dry-run", "digicert", "orders", "revoke", "1"], None),
    ];
    for (words, var) in lines {
        let mut cmd = env.cmd();
        cmd.env("CERTCTL_METRICS_FILE", &refused).args(words);
        if let Some((name, value)) = var {
            cmd.env(name, value);
        }
        let out = cmd.output().expect("run");
        assert_eq!(code(&out), 2, "{words:?}: {}", stderr(&out));
        assert!(stderr(&out).starts_with("error:"), "clap's own message");
    }
    let samples = scrape(&refused);
    for j in [
        ["night", "digicert", "orders.revoke"],
        ["default", "bcdiploma", "certificates.delete"],
    ] {
        let refused = job(&samples, j);
        assert_eq!(refused.exit_code, 2.0, "{j:?}");
        assert_eq!(refused.requests, [0.0; 6], "{j:?}");
    }
    assert_eq!(samples.len(), 2 * 14, "the dry run left no job");

    // A command that is no operation (a read, `config show`) records nothing.
    let other = env.path("other.prom");
    let out = env
        .cmd()
        .arg("--metrics-file")
        .arg(&other)
        .args(["digicert", "requests", "show", "198"])
        .output()
        .expect("run");
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(!other.exists());
}

#[tokio::test]
async fn a_file_in_another_format_is_left_alone_and_the_exit_code_stays() {
    let (env, server) = (Env::new(), digicert_server().await);
    let file = env.file("m.prom", "certctl ran fine today\n");
    let out = run(revoke(&env, &server, &file, &["1"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "certctl ran fine today\n"
    );
    assert!(
        stderr(&out).contains("is not a Prometheus text file"),
        "{}",
        stderr(&out)
    );

    let out = run(revoke(&env, &server, &file, &["2"])).await;
    assert_eq!(code(&out), 5, "the failure's own code: {}", stderr(&out));
}

#[tokio::test]
async fn an_unwritable_place_is_a_warning_and_the_exit_code_stays() {
    let (env, server) = (Env::new(), digicert_server().await);
    let dir = env.path("no-such-dir");
    let file = dir.join("m.prom");
    let out = run(revoke(&env, &server, &file, &["1"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the metrics file") && err.contains("was not updated"),
        "{err}"
    );
    assert!(!dir.exists());

    let out = run(revoke(&env, &server, &file, &["1", "2"])).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
}

#[tokio::test]
async fn other_families_already_in_the_file_are_kept() {
    let (env, server) = (Env::new(), digicert_server().await);
    let theirs = "# HELP backup_last_success_timestamp_seconds Last backup.\n# TYPE backup_last_success_timestamp_seconds gauge\nbackup_last_success_timestamp_seconds{job=\"nightly\"} 1.7e+09\n";
    let file = env.file("m.prom", theirs);
    let out = run(revoke(&env, &server, &file, &["1"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.starts_with(theirs), "{text}");
    let samples = scrape(&file);
    assert_eq!(samples.len(), 15);
    assert_eq!(samples_of(&samples, REVOKE), 14);
}

#[tokio::test]
async fn dry_runs_and_plans_leave_the_file_alone_and_apply_and_check_record() {
    let env = Env::new();
    let file = env.path("m.prom");
    let plan = env.path("plan.json");
    let base = ["--sandbox", "-o", "json"];
    let op = ["digicert", "orders", "revoke", "10001", "--comment", "c"];
    for extra in [
        vec!["--dry-run"],
        vec!["--plan-out", plan.to_str().expect("utf-8")],
    ] {
        let out = env
            .cmd()
            .env("CERTCTL_METRICS_FILE", &file)
            .args(base)
            .args(&extra)
            .args(op)
            .output()
            .expect("run");
        assert_eq!(code(&out), 0, "{extra:?}: {}", stderr(&out));
        assert!(!file.exists(), "{extra:?} wrote the metrics file");
    }
    let out = env
        .cmd()
        .env("CERTCTL_METRICS_FILE", &file)
        .args(base)
        .args(["--dry-run", "apply"])
        .arg(&plan)
        .output()
        .expect("run");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!file.exists(), "apply --dry-run wrote the metrics file");

    let out = env
        .cmd()
        .env("CERTCTL_METRICS_FILE", &file)
        .args(base)
        .args(["-y", "apply"])
        .arg(&plan)
        .output()
        .expect("run");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = env
        .cmd()
        .env("CERTCTL_METRICS_FILE", &file)
        .args(base)
        .args(["check", "digicert", "sertifika"])
        .output()
        .expect("run");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let samples = scrape(&file);
    let applied = job(&samples, ["sandbox", "digicert", "orders.revoke"]);
    assert_eq!(applied.exit_code, 0.0);
    assert_eq!(applied.items, [1.0, 0.0, 0.0, 0.0]);
    assert_eq!(applied.requests[0], 1.0);
    for provider in ["digicert", "sertifika"] {
        let checked = job(&samples, ["sandbox", provider, "check"]);
        assert_eq!(checked.exit_code, 0.0, "{provider}");
        assert!(checked.items[0] >= 1.0, "{provider}");
        assert_eq!(checked.items[1], 0.0, "{provider}");
        assert!(checked.requests[0] >= 1.0, "{provider}: its own answers");
    }
    assert_eq!(samples.len(), 3 * 14);
}

#[tokio::test]
async fn a_check_that_fails_records_that_providers_own_code() {
    let (env, server) = (Env::new(), server().await);
    respond(
        &server,
        "GET",
        "/user/me",
        ResponseTemplate::new(401).set_body_raw(
            fixture("digicert/error_invalid_key.json"),
            "application/json",
        ),
    )
    .await;
    let file = env.path("m.prom");
    let mut cmd = certctl(&env, &server, &file);
    cmd.args(["check", "digicert"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let j = job(&scrape(&file), ["default", "digicert", "check"]);
    assert_eq!(j.exit_code, 4.0);
    assert!(j.items[1] >= 1.0);
    assert!(j.requests[2] >= 1.0, "the 401 is counted");
}

#[test]
fn config_show_says_where_the_metrics_file_comes_from() {
    let env = Env::new();
    let config = env.config("[profiles.cron]\nmetrics_file = \"/srv/metrics/certctl.prom\"\n");
    let show = |extra: &[&str], var: Option<&str>| {
        let mut cmd = env.cmd();
        cmd.arg("-c")
            .arg(&config)
            .args(["-p", "cron", "-o", "json"]);
        if let Some(path) = var {
            cmd.env("CERTCTL_METRICS_FILE", path);
        }
        let out = cmd
            .args(extra)
            .args(["config", "show"])
            .output()
            .expect("run");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        json(&out)["metrics_file"].clone()
    };
    let row = |value: &str, source: &str| serde_json::json!({"value": value, "source": source});
    assert_eq!(show(&[], None), row("/srv/metrics/certctl.prom", "file"));
    assert_eq!(
        show(&[], Some("/tmp/env.prom")),
        row("/tmp/env.prom", "env")
    );
    assert_eq!(
        show(&["--metrics-file", "/tmp/flag.prom"], Some("/tmp/env.prom")),
        row("/tmp/flag.prom", "flag")
    );
}

#[tokio::test]
async fn reconcile_is_recorded_as_the_operation_it_settles() {
    let (env, server) = (Env::new(), server().await);
    let run = "01JB0000000000000000000000";
    let lines: String = ["1001", "1004"]
        .iter()
        .map(|id| {
            format!(
                "{{\"run_id\":\"{run}\",\"time\":\"2026-01-10T10:00:00.000Z\",\"phase\":\"sent\",\"profile\":\"default\",\"provider\":\"digicert\",\"operation\":\"orders.revoke\",\"ids\":[\"{id}\"],\"idempotent\":false}}\n"
            )
        })
        .collect();
    let journal = env.file("journal.ndjson", &lines);
    for (id, body) in [
        ("1001", "order_revoked.json"),
        ("1004", "order_issued_no_revoke.json"),
    ] {
        let at = format!("/order/certificate/{id}");
        answer(&server, "GET", at, 200, Some(&format!("digicert/{body}"))).await;
    }
    let file = env.path("m.prom");
    let mut cmd = certctl(&env, &server, &file);
    cmd.env("CERTCTL_JOURNAL", &journal)
        .args(["--rate", "0", "reconcile", run]);
    let out = crate::common::run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let j = job(&scrape(&file), REVOKE);
    assert_eq!(j.exit_code, 0.0);
    assert_eq!(j.items, [1.0, 1.0, 0.0, 0.0], "applied, not applied");
    assert_eq!(j.requests, [2.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(j.last_success, j.ended);
}

#[test]
fn jobs_ending_at_once_keep_each_others_samples() {
    let env = Env::new();
    let file = env.path("m.prom");
    // Eight jobs at once; each fails at once (its profile is not configured), which
    // is recorded like any other end.
    let children: Vec<std::process::Child> = (0..8)
        .map(|n| {
            env.process()
                .arg("--metrics-file")
                .arg(&file)
                .args(["-p", &format!("p{n}"), "-y", "digicert", "orders", "revoke"])
                .args(["1", "--comment", "c"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn certctl")
        })
        .collect();
    for mut child in children {
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(4));
    }
    let samples = scrape(&file);
    for n in 0..8 {
        let profile = format!("p{n}");
        assert_eq!(
            job(&samples, [&profile, "digicert", "orders.revoke"]).exit_code,
            4.0
        );
    }
    assert_eq!(samples.len(), 8 * 14);
}
