//! Plans: `--plan-out` writes the exact requests (no credential, mode 0600) and
//! sends nothing; `certctl apply` sends exactly them with the current credential,
//! refuses an edited, expired, re-targeted or misplaced plan before sending
//! anything, asks for confirmation like the operation, and resumes.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const PLAN_KEY: &str = "dc-key-when-planned-7a1c";
const APPLY_KEY: &str = "dc-key-when-applied-93b0";

/// certctl pointed at `server` as DigiCert with `key`.
fn digicert(env: &Env, server: &MockServer, key: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_DIGICERT_BASE_URL", server.uri())
        .env("CERTCTL_DIGICERT_API_KEY", key);
    cmd
}

/// Plans `digicert orders revoke IDS --comment ...` into `plan.json`.
async fn plan_revoke(env: &Env, server: &MockServer, ids: &[&str]) -> std::path::PathBuf {
    let plan = env.path("plan.json");
    let mut cmd = digicert(env, server, PLAN_KEY);
    cmd.args(["digicert", "orders", "revoke"])
        .args(ids)
        .args(["--comment", "key compromised", "--reason", "key-compromise"])
        .arg("--plan-out")
        .arg(&plan);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(received(server).await.is_empty(), "planning sends nothing");
    plan
}

/// Answers every revoke with 201 and the revoke request.
async fn accept_revokes(server: &MockServer) {
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(
            fixture("digicert/revoke_request_pending.json"),
            "application/json",
        ))
        .mount(server)
        .await;
}

fn read_plan(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Writes `plan` to `path`, its digest recomputed from its requests (as someone
/// editing a plan on purpose would).
fn write_plan(path: &Path, plan: &Value, redigest: bool) {
    let mut plan = plan.clone();
    if redigest {
        plan["digest"] = digest(&plan["requests"]).into();
    }
    std::fs::write(path, serde_json::to_vec_pretty(&plan).unwrap()).unwrap();
}

/// The digest as the contract defines it, computed independently: SHA-256 of the
/// compact JSON with sorted keys.
fn digest(requests: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<_> = m.keys().cloned().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&m[&k])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let canonical = serde_json::to_vec(&sorted(requests)).unwrap();
    let hash = Sha256::digest(&canonical);
    format!(
        "sha256:{}",
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn apply(mut cmd: assert_cmd::Command, plan: &Path, extra: &[&str]) -> assert_cmd::Command {
    cmd.arg("apply").arg(plan).args(extra);
    cmd
}

fn journal_lines(env: &Env) -> Vec<Value> {
    let text =
        std::fs::read_to_string(env.path("state/certctl/journal.ndjson")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn a_plan_holds_the_exact_requests_and_no_secret_with_mode_0600() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1001", "1002"]).await;
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(
        !text.contains(PLAN_KEY),
        "the key leaked into the plan:\n{text}"
    );
    let mode = std::fs::metadata(&plan).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let doc = read_plan(&plan);
    assert_eq!(doc["certctl_plan"], 1);
    assert_eq!(doc["provider"], "digicert");
    assert_eq!(doc["operation"], "orders.revoke");
    assert_eq!(doc["profile"], "default");
    assert_eq!(doc["base_url"], server.uri());
    assert_eq!(doc["digest"], digest(&doc["requests"]));
    assert!(doc["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        doc["requests"][1],
        json!({
            "method": "PUT",
            "url": format!("{}/order/certificate/1002/revoke", server.uri()),
            "headers": {"x-dc-devkey": "<secret:api_key>", "content-type": "application/json"},
            "body": {"comments": "key compromised", "revocation_reason": "keyCompromise"},
            "ids": ["1002"]
        })
    );
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[tokio::test]
async fn apply_sends_exactly_the_planned_requests_with_the_current_key() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1001", "1002"]).await;
    accept_revokes(&server).await;
    let doc = read_plan(&plan);

    let cmd = digicert(&env, &server, APPLY_KEY);
    let out = run(apply(
        cmd,
        &plan,
        &["--yes", "-o", "json", "--concurrency", "1"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    for (req, planned) in reqs.iter().zip(doc["requests"].as_array().unwrap()) {
        assert_eq!(req.method.as_str(), planned["method"]);
        assert_eq!(
            format!("{}{}", server.uri(), req.url.path()),
            planned["url"]
        );
        assert_eq!(req.url.query(), None);
        assert_eq!(
            req.body,
            serde_json::to_vec(&planned["body"]).unwrap(),
            "the body is the planned one, byte for byte"
        );
        assert_eq!(
            req.body, br#"{"comments":"key compromised","revocation_reason":"keyCompromise"}"#,
            "as the operation itself sends it"
        );
        assert_eq!(header(req, "x-dc-devkey"), Some(APPLY_KEY));
        assert_eq!(header(req, "content-type"), Some("application/json"));
    }
    let report = json(&out);
    assert_eq!(report["provider"], "digicert");
    assert_eq!(report["operation"], "orders.revoke");
    assert_eq!(report["summary"]["succeeded"], 2);
    let lines = journal_lines(&env);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines.iter().all(|l| l["plan"] == doc["digest"]));
    assert!(!stderr(&out).contains(APPLY_KEY) && !stdout(&out).contains(APPLY_KEY));
}

#[tokio::test]
async fn a_bearer_token_is_a_template_in_the_plan_and_the_current_token_when_applied() {
    let (env, server) = (Env::new(), server().await);
    let plan = env.path("disable.json");
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_BCDIPLOMA_BASE_URL", server.uri())
        .env("CERTCTL_BCDIPLOMA_TOKEN", "tok-planned")
        .args(["bcdiploma", "certificates", "disable", "k1", "k2"])
        .arg("--plan-out")
        .arg(&plan);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(!text.contains("tok-planned"));
    assert_eq!(
        read_plan(&plan)["requests"][0]["headers"]["authorization"],
        "Bearer <secret:token>"
    );

    respond(&server, "PUT", "/admin/keys", ResponseTemplate::new(200)).await;
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_BCDIPLOMA_BASE_URL", server.uri())
        .env("CERTCTL_BCDIPLOMA_TOKEN", "tok-now");
    let out = run(apply(cmd, &plan, &[])).await;
    assert_eq!(
        code(&out),
        0,
        "not irreversible: no confirmation\n{}",
        stderr(&out)
    );
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(header(&reqs[0], "authorization"), Some("Bearer tok-now"));
    assert_eq!(reqs[0].body, br#"{"ids":["k1","k2"],"enable":false}"#);
}

#[tokio::test]
async fn an_edited_plan_is_refused_and_nothing_is_sent() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1001"]).await;
    accept_revokes(&server).await;
    let mut doc = read_plan(&plan);
    doc["requests"][0]["body"]["comments"] = "key compromisee".into();
    write_plan(&plan, &doc, false);
    let out = run(apply(digicert(&env, &server, APPLY_KEY), &plan, &["--yes"])).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("changed"), "{}", stderr(&out));
    assert!(received(&server).await.is_empty());

    // An unknown version is refused too, whatever its digest.
    let mut doc = read_plan(&plan);
    doc["certctl_plan"] = 2.into();
    write_plan(&plan, &doc, true);
    let out = run(apply(digicert(&env, &server, APPLY_KEY), &plan, &["--yes"])).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn an_expired_plan_is_refused_and_nothing_is_sent() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1001"]).await;
    accept_revokes(&server).await;
    let mut doc = read_plan(&plan);
    doc["created"] = "2026-01-01T00:00:00Z".into();
    write_plan(&plan, &doc, true);
    let out = run(apply(digicert(&env, &server, APPLY_KEY), &plan, &["--yes"])).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--max-age"), "{}", stderr(&out));

    let fresh = plan_revoke(&env, &server, &["1001"]).await;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let args = ["--yes", "--max-age", "1s"];
    let out = run(apply(digicert(&env, &server, APPLY_KEY), &fresh, &args)).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_retargeted_or_foreign_plan_is_refused_and_nothing_is_sent() {
    let (env, server, elsewhere) = (Env::new(), server().await, server().await);
    let plan = plan_revoke(&env, &server, &["1001"]).await;
    accept_revokes(&server).await;
    accept_revokes(&elsewhere).await;
    let out = run(apply(
        digicert(&env, &elsewhere, APPLY_KEY),
        &plan,
        &["--yes"],
    ))
    .await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains(&elsewhere.uri()), "{}", stderr(&out));

    // A request URL outside the base URL, digest recomputed: refused as well.
    let mut doc = read_plan(&plan);
    let foreign = format!(
        "{}.evil.example/order/certificate/1001/revoke",
        server.uri()
    );
    doc["requests"][0]["url"] = foreign.into();
    write_plan(&plan, &doc, true);
    let out = run(apply(digicert(&env, &server, APPLY_KEY), &plan, &["--yes"])).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));

    // So is a credential written into the plan.
    let mut doc = read_plan(&plan);
    doc["requests"][0]["url"] = format!("{}/order/certificate/1001/revoke", server.uri()).into();
    doc["requests"][0]["headers"]["x-dc-devkey"] = PLAN_KEY.into();
    write_plan(&plan, &doc, true);
    let out = run(apply(digicert(&env, &server, APPLY_KEY), &plan, &["--yes"])).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(!stderr(&out).contains(PLAN_KEY));

    assert!(received(&server).await.is_empty());
    assert!(received(&elsewhere).await.is_empty());
}

#[tokio::test]
async fn apply_of_an_irreversible_plan_needs_yes_without_a_terminal() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1001"]).await;
    accept_revokes(&server).await;
    let out = run(apply(digicert(&env, &server, APPLY_KEY), &plan, &[])).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn apply_dry_run_prints_the_plan_redacted_and_sends_nothing() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1001"]).await;
    let out = run(apply(
        digicert(&env, &server, APPLY_KEY),
        &plan,
        &["--dry-run", "-o", "json"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["requests"][0]["headers"]["x-dc-devkey"], "<redacted>");
    assert!(received(&server).await.is_empty());
    assert!(journal_lines(&env).is_empty());
}

#[tokio::test]
async fn an_applied_plan_with_a_failed_item_resumes_with_only_that_item() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1001", "1002", "1003"]).await;
    respond(
        &server,
        "PUT",
        "/order/certificate/1002/revoke",
        ResponseTemplate::new(400).set_body_raw(
            fixture("digicert/error_invalid_request.json"),
            "application/json",
        ),
    )
    .await;
    accept_revokes(&server).await;
    let out = run(apply(
        digicert(&env, &server, APPLY_KEY),
        &plan,
        &["--yes", "-o", "json"],
    ))
    .await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let run_id = json(&out)["run_id"].as_str().unwrap().to_string();

    server.reset().await;
    accept_revokes(&server).await;
    let out = run(apply(
        digicert(&env, &server, APPLY_KEY),
        &plan,
        &["--yes", "-o", "json", "--resume", &run_id],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].url.path(), "/order/certificate/1002/revoke");
    let doc = json(&out);
    assert_eq!(doc["summary"]["skipped"], 2);
    assert_eq!(doc["summary"]["succeeded"], 1);

    // Another plan of the same operation does not continue this run.
    server.reset().await;
    let other = plan_revoke(&env, &server, &["1002", "1004"]).await;
    let out = run(apply(
        digicert(&env, &server, APPLY_KEY),
        &other,
        &["--yes", "--resume", &run_id],
    ))
    .await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("same plan"), "{}", stderr(&out));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn an_interrupted_apply_resume_counts_each_item_once() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1001", "1002", "1003"]).await;
    respond(
        &server,
        "PUT",
        "/order/certificate/1001/revoke",
        ResponseTemplate::new(201).set_body_raw(
            fixture("digicert/revoke_request_pending.json"),
            "application/json",
        ),
    )
    .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            fixture("digicert/error_invalid_request.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let out = run(apply(
        digicert(&env, &server, APPLY_KEY),
        &plan,
        &["--yes", "-o", "json", "--concurrency", "1"],
    ))
    .await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let run_id = json(&out)["run_id"].as_str().unwrap().to_string();

    // The resume sends 1002 (slowly answered) and is cut before 1003 leaves.
    server.reset().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_raw(
                    fixture("digicert/revoke_request_pending.json"),
                    "application/json",
                )
                .set_delay(Duration::from_millis(1500)),
        )
        .mount(&server)
        .await;
    let mut cmd = env.process();
    cmd.env("CERTCTL_DIGICERT_BASE_URL", server.uri())
        .env("CERTCTL_DIGICERT_API_KEY", APPLY_KEY)
        .args(["--yes", "-o", "json", "--concurrency", "1", "apply"])
        .arg(&plan)
        .args(["--resume", &run_id])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("spawn certctl");
    let started = std::time::Instant::now();
    while received(&server).await.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20), "nothing sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait"))
        .await
        .expect("join");
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(
        doc["summary"],
        serde_json::json!({"total": 3, "succeeded": 1, "failed": 0, "unknown": 0, "skipped": 1}),
        "{doc}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn a_sandbox_plan_applies_with_sandbox_only() {
    let env = Env::new();
    let plan = env.path("sandbox.json");
    let mut cmd = env.cmd();
    cmd.args(["--sandbox", "bcdiploma", "certificates", "disable"])
        .args(["--campaign", "demo-campaign", "--plan-out"])
        .arg(&plan);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = read_plan(&plan);
    assert_eq!(doc["base_url"], "sandbox");
    assert_eq!(doc["requests"][0]["url"], "/bcdiploma/admin/keys");

    let out = run(apply(env.cmd(), &plan, &["--yes"])).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--sandbox"), "{}", stderr(&out));

    let mut cmd = env.cmd();
    cmd.arg("--sandbox");
    let out = run(apply(cmd, &plan, &["--yes", "-o", "json"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["succeeded"], 1);

    // A plan of configured hosts is not applied to the emulator.
    let server = server().await;
    let real = plan_revoke(&env, &server, &["1001"]).await;
    let mut cmd = digicert(&env, &server, APPLY_KEY);
    cmd.arg("--sandbox");
    let out = run(apply(cmd, &real, &["--yes"])).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[tokio::test]
async fn plan_out_is_refused_where_nothing_changes() {
    let (env, server) = (Env::new(), server().await);
    let plan = env.path("read.json");
    let mut cmd = digicert(&env, &server, PLAN_KEY);
    cmd.args(["digicert", "requests", "show", "1", "--plan-out"])
        .arg(&plan);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(!plan.exists());
    let mut cmd = env.cmd();
    cmd.args(["journal", "list", "--plan-out"]).arg(&plan);
    assert_eq!(code(&run(cmd).await), 2);
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_plan_is_applied_with_its_own_profile_only() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1001"]).await;
    accept_revokes(&server).await;
    let mut cmd = digicert(&env, &server, APPLY_KEY);
    cmd.args(["--profile", "prod"]);
    let out = run(apply(cmd, &plan, &["--yes"])).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("`default`"), "{}", stderr(&out));
    assert!(received(&server).await.is_empty());

    // The file's default profile is another one: the plan's own is used.
    let config = env.config(&format!(
        "default_profile = \"prod\"\n\n[profiles.prod.digicert]\nbase_url = \"https://www.digicert.com/services/v2\"\n\n[profiles.default.digicert]\nbase_url = \"{}\"\n",
        server.uri()
    ));
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_CONFIG", &config)
        .env("CERTCTL_DIGICERT_API_KEY", APPLY_KEY);
    let out = run(apply(cmd, &plan, &["--yes"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn max_items_guards_an_applied_plan_and_a_resumed_run() {
    let (env, server) = (Env::new(), server().await);
    accept_revokes(&server).await;
    let plan = plan_revoke(&env, &server, &["1001", "1002", "1003"]).await;
    let journal = env.path("journal.ndjson");
    let mut cmd = digicert(&env, &server, APPLY_KEY);
    cmd.env("CERTCTL_JOURNAL", &journal)
        .args(["--max-items", "2", "--yes", "apply"])
        .arg(&plan);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("holds 3 items"), "{}", stderr(&out));
    assert!(received(&server).await.is_empty());
    assert!(!journal.exists(), "nothing journaled");

    // A run of three, then its resume with two left over a limit of one.
    let mut cmd = digicert(&env, &server, APPLY_KEY);
    cmd.env("CERTCTL_JOURNAL", &journal)
        .args(argv("-o json --yes digicert orders revoke 1001"))
        .args(["--comment", "c"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let run_id = json(&out)["run_id"].as_str().unwrap().to_owned();
    let lines = std::fs::read_to_string(&journal).unwrap().lines().count();
    let mut cmd = digicert(&env, &server, APPLY_KEY);
    cmd.env("CERTCTL_JOURNAL", &journal)
        .args(["--max-items", "1", "--yes", "digicert", "orders", "revoke"])
        .args([
            "1001",
            "1002",
            "1003",
            "--comment",
            "c",
            "--resume",
            &run_id,
        ]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("holds 2 items"), "{}", stderr(&out));
    assert_eq!(received(&server).await.len(), 1, "only the first run sent");
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap().lines().count(),
        lines
    );
}

#[tokio::test]
async fn apply_resume_reads_the_unknown_items_back_before_sending() {
    let (env, server) = (Env::new(), server().await);
    let plan = plan_revoke(&env, &server, &["1003", "1004"]).await;
    // Both revokes are answered with an undocumented 200: unknown.
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let out = run(apply(
        digicert(&env, &server, APPLY_KEY),
        &plan,
        &["--yes", "-o", "json"],
    ))
    .await;
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let run_id = json(&out)["run_id"].as_str().unwrap().to_string();

    // Order 1003 shows only a rejected revoke request, 1004 a pending one: only
    // 1003 is sent again, with no --retry-unknown.
    server.reset().await;
    for (id, answer) in [
        ("1003", "digicert/order_issued_revoke_rejected.json"),
        ("1004", "digicert/order_revoke_pending.json"),
    ] {
        respond(
            &server,
            "GET",
            format!("/order/certificate/{id}"),
            ResponseTemplate::new(200).set_body_raw(fixture(answer), "application/json"),
        )
        .await;
    }
    accept_revokes(&server).await;
    let out = run(apply(
        digicert(&env, &server, APPLY_KEY),
        &plan,
        &["--yes", "-o", "json", "--resume", &run_id],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["summary"]["skipped"], 1);
    assert_eq!(doc["summary"]["succeeded"], 1);
    let puts: Vec<String> = received(&server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(puts, ["/order/certificate/1003/revoke"]);
    for req in received(&server).await {
        assert_eq!(header(&req, "x-dc-devkey"), Some(APPLY_KEY));
    }
}
