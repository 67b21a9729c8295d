//! `certctl reconcile` and the read-back `--resume` does first: for every row of the
//! read-back table (README, "When a run is cut or its outcome is unknown"), the
//! read that reaches the provider, how its answer settles the item, the journal
//! lines it leaves, the report and the exit code.

use serde_json::{Value, json};
use wiremock::matchers::{body_json as body_is, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const KEY: &str = DIGICERT.secret;
const RUN: &str = "01JB0000000000000000000000";
const TEMPLATE: &str = "64c9f080-2314-4f02-a43c-923d83e8e444";
const ORIGIN_ID: &str = "0e1c0000-0000-4000-8000-000000000001";

/// A journal whose run `RUN` of `operation` was killed with `ids` in flight: `sent`
/// lines and no `done`; `extra` adds fields to each line (`,"template":"..."`).
fn killed_run(env: &Env, provider: &str, operation: &str, ids: &[&str], extra: &str) {
    let lines: String = ids
        .iter()
        .map(|id| {
            format!(
                "{{\"run_id\":\"{RUN}\",\"time\":\"2026-01-10T10:00:00.000Z\",\"phase\":\"sent\",\"profile\":\"default\",\"provider\":\"{provider}\",\"operation\":\"{operation}\",\"ids\":[\"{id}\"]{extra},\"idempotent\":false}}\n"
            )
        })
        .collect();
    env.file("journal.ndjson", &lines);
}

/// The journal's lines after the test.
fn journal_lines(env: &Env) -> Vec<Value> {
    std::fs::read_to_string(env.path("journal.ndjson"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line"))
        .collect()
}

/// certctl with every provider pointed at `server` and the test journal.
fn certctl(env: &Env, server: &MockServer) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    for account in [&DIGICERT, &ORIGIN, &SERTIFIKA] {
        account.point(&mut cmd, &server.uri());
    }
    cmd.env("CERTCTL_JOURNAL", env.path("journal.ndjson"))
        .args(argv("--rate 0 --retries 0"));
    cmd
}

/// The lines of stderr that are failure sentences.
fn sentences(out: &std::process::Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.starts_with("certctl: error:"))
        .map(str::to_string)
        .collect()
}

/// The items of a reconcile report by ID: (outcome, evidence).
fn settled(report: &Value) -> Vec<(String, String, String)> {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap_or_default().to_string(),
                i["outcome"].as_str().unwrap_or_default().to_string(),
                i["evidence"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn outcome_of<'a>(items: &'a [(String, String, String)], id: &str) -> (&'a str, &'a str) {
    let (_, outcome, evidence) = items
        .iter()
        .find(|(i, _, _)| i == id)
        .unwrap_or_else(|| panic!("no item {id} in {items:?}"));
    (outcome, evidence)
}

#[tokio::test]
async fn digicert_orders_are_settled_from_their_status_and_revoke_requests() {
    let (env, server) = (Env::new(), server().await);
    killed_run(
        &env,
        "digicert",
        "orders.revoke",
        &["1001", "1002", "1003", "1004", "1005"],
        "",
    );
    answer(
        &server,
        "GET",
        "/order/certificate/1001",
        200,
        Some("digicert/order_revoked.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/order/certificate/1002",
        200,
        Some("digicert/order_revoke_pending.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/order/certificate/1003",
        200,
        Some("digicert/order_issued_revoke_rejected.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/order/certificate/1004",
        200,
        Some("digicert/order_issued_no_revoke.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/order/certificate/1005",
        404,
        Some("digicert/error_order_not_found.json"),
    )
    .await;
    let out = certctl(&env, &server)
        .args(["-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["outcome"], "settled");
    assert_eq!(report["reconciles"], RUN);
    assert_eq!(report["operation"], "orders.revoke");
    assert_eq!(
        report["summary"],
        json!({"total": 5, "applied": 2, "not_applied": 3, "unknown": 0})
    );
    let items = settled(&report);
    assert_eq!(
        outcome_of(&items, "1001"),
        ("applied", "order 1001 is revoked")
    );
    assert_eq!(
        outcome_of(&items, "1002"),
        ("applied", "revoke request 9124 is pending")
    );
    let (o, e) = outcome_of(&items, "1003");
    assert_eq!(o, "not_applied");
    assert!(e.contains("rejected"), "{e}");
    assert_eq!(
        outcome_of(&items, "1004"),
        ("not_applied", "order 1004 is issued with no revoke request")
    );
    assert_eq!(outcome_of(&items, "1005").0, "not_applied");
    for req in received(&server).await {
        assert_eq!(req.method.as_str(), "GET", "reconcile only reads");
        assert_eq!(header(&req, "x-dc-devkey"), Some(KEY));
    }

    // One `done` line per settled item, in a run of the chain marked as a reconcile.
    let lines = journal_lines(&env);
    let done: Vec<&Value> = lines.iter().filter(|l| l["phase"] == "done").collect();
    assert_eq!(done.len(), 5);
    for line in &done {
        assert_eq!(line["reconcile"], true);
        assert_eq!(line["resumes"], RUN);
        assert_eq!(line["run_id"], report["run_id"]);
        let applied = ["1001", "1002"].contains(&line["ids"][0].as_str().unwrap());
        assert_eq!(
            line["outcome"],
            if applied { "succeeded" } else { "failed" }
        );
        assert_eq!(
            line["reconciled"],
            if applied { "applied" } else { "not_applied" }
        );
    }
    let missing = done.iter().find(|l| l["ids"][0] == "1005").unwrap();
    assert_eq!(missing["error_kind"], "not_found");

    // `journal show` and `journal list` tell the settled outcomes and the run apart.
    let show = certctl(&env, &server)
        .args(["-o", "json", "journal", "show", RUN])
        .output()
        .unwrap();
    let shown = json(&show);
    let item = |id: &str| {
        shown
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(item("1001")["outcome"], "succeeded");
    assert_eq!(item("1001")["reconciled"], "applied");
    assert_eq!(item("1004")["outcome"], "failed");
    assert_eq!(item("1004")["reconciled"], "not_applied");
    let list = certctl(&env, &server)
        .args(["-o", "json", "journal", "list"])
        .output()
        .unwrap();
    let runs = json(&list);
    let run = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["run_id"] == report["run_id"])
        .unwrap();
    assert_eq!(run["reconcile"], true);
    assert_eq!(run["operation"], "orders.revoke");
    assert_eq!(
        (run["succeeded"].as_u64(), run["failed"].as_u64()),
        (Some(2), Some(3))
    );
    let text = certctl(&env, &server)
        .args(["journal", "list"])
        .output()
        .unwrap();
    assert!(
        stdout(&text).contains("orders.revoke reconcile"),
        "{}",
        stdout(&text)
    );

    // Reconciling again finds nothing left to read.
    let again = certctl(&env, &server)
        .args(["-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert_eq!(json(&again)["summary"]["total"], 0);
}

#[tokio::test]
async fn a_bare_404_or_a_failing_read_leaves_the_item_unknown_and_exits_7() {
    let (env, server) = (Env::new(), server().await);
    killed_run(
        &env,
        "digicert",
        "orders.revoke",
        &["1001", "1002", "1003"],
        "",
    );
    respond(
        &server,
        "GET",
        "/order/certificate/1001",
        ResponseTemplate::new(404).set_body_string("<html>Not Found</html>"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/order/certificate/1002",
        500,
        Some("digicert/error_server.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/order/certificate/1003",
        404,
        Some("digicert/error_object_route_not_found.json"),
    )
    .await;
    let out = certctl(&env, &server)
        .args(["-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["outcome"], "unknown");
    assert_eq!(report["summary"]["unknown"], 3);
    for (_, outcome, evidence) in settled(&report) {
        assert_eq!(outcome, "unknown");
        assert!(evidence.starts_with("the read failed"), "{evidence}");
    }
    // Nothing was settled, so nothing was journaled.
    assert!(journal_lines(&env).iter().all(|l| l["phase"] == "sent"));
    let said = sentences(&out);
    assert_eq!(said.len(), 1, "{}", stderr(&out));
    assert!(
        said[0].contains("3 of 3 unknown item(s) are still unknown"),
        "{}",
        said[0]
    );
    assert!(
        stderr(&out).contains(&format!("journal show {RUN} --unknown")),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn refused_credentials_exit_4_and_settle_nothing() {
    let (env, server) = (Env::new(), server().await);
    killed_run(&env, "digicert", "orders.revoke", &["1001"], "");
    answer(
        &server,
        "GET",
        "/order/certificate/1001",
        403,
        Some("digicert/error_invalid_key.json"),
    )
    .await;
    let out = certctl(&env, &server)
        .args(["-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["unknown"], 1);
    assert!(stderr(&out).contains("api_key"), "{}", stderr(&out));
    assert!(journal_lines(&env).iter().all(|l| l["phase"] == "sent"));
}

#[tokio::test]
async fn an_unknown_run_id_is_a_usage_error_and_a_dry_run_prints_the_reads() {
    let (env, server) = (Env::new(), server().await);
    killed_run(&env, "digicert", "orders.revoke", &["1001", "1002"], "");
    let out = certctl(&env, &server)
        .args(["reconcile", "01JZZZZZZZZZZZZZZZZZZZZZZZ"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("has no run"), "{}", stderr(&out));

    let out = certctl(&env, &server)
        .args(["--dry-run", "-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let dry = json(&out);
    let urls: Vec<&str> = dry["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            format!("{}/order/certificate/1001", server.uri()),
            format!("{}/order/certificate/1002", server.uri())
        ]
    );
    assert!(!stdout(&out).contains(KEY), "the key is redacted");
    assert!(
        received(&server).await.is_empty(),
        "a dry run sends nothing"
    );
    assert_eq!(journal_lines(&env).len(), 2, "and journals nothing");
}

#[tokio::test]
async fn digicert_certificates_are_found_by_id_or_serial_then_their_order_is_read() {
    let (env, server) = (Env::new(), server().await);
    killed_run(
        &env,
        "digicert",
        "certificates.revoke",
        &["2001", "2004"],
        "",
    );
    Mock::given(method("GET"))
        .and(path("/order/certificate"))
        .and(query_param("filters[certificate_id]", "2001"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("digicert/orders_listing_certificate_revoked.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/order/certificate"))
        .and(query_param("filters[certificate_id]", "2004"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("digicert/orders_listing_certificate_issued.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    answer(
        &server,
        "GET",
        "/order/certificate/1004",
        200,
        Some("digicert/order_issued_no_revoke.json"),
    )
    .await;
    let out = certctl(&env, &server)
        .args(["-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let items = settled(&json(&out));
    assert_eq!(
        outcome_of(&items, "2001"),
        ("applied", "certificate 2001 is revoked")
    );
    let (o, e) = outcome_of(&items, "2004");
    assert_eq!(o, "not_applied");
    assert!(e.contains("certificate 2004 is not revoked"), "{e}");

    // Named by serial (the journal says so): the list is filtered by serial number.
    let (env, server) = (Env::new(), crate::common::server().await);
    killed_run(
        &env,
        "digicert",
        "certificates.revoke",
        &["0A:1B:2C:3D:00:00:07:D4"],
        ",\"by\":\"serial\"",
    );
    Mock::given(method("GET"))
        .and(path("/order/certificate"))
        .and(query_param("filters[serial_number]", "0a1b2c3d000007d4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("digicert/orders_listing_certificate_issued.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    answer(
        &server,
        "GET",
        "/order/certificate/1004",
        200,
        Some("digicert/order_revoke_pending.json"),
    )
    .await;
    let out = certctl(&env, &server)
        .args(["-o", "ndjson", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = ndjson(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "0A:1B:2C:3D:00:00:07:D4");
    assert_eq!(lines[0]["outcome"], "applied");
    assert_eq!(lines[1]["type"], "summary");
    assert_eq!(lines[1]["summary"]["applied"], 1);
}

#[tokio::test]
async fn origin_items_are_settled_by_search_or_by_their_batch_result() {
    let (env, server) = (Env::new(), crate::common::server().await);
    let gone = "0e1c0000-0000-4000-8000-000000000002";
    let lines = format!(
        "{{\"run_id\":\"{RUN}\",\"time\":\"2026-01-10T10:00:00.000Z\",\"phase\":\"sent\",\"profile\":\"default\",\"provider\":\"origin\",\"operation\":\"certifications.delete\",\"ids\":[\"{ORIGIN_ID}\",\"{gone}\"],\"idempotent\":false}}\n"
    );
    env.file("journal.ndjson", &lines);
    let search = |id: &str| {
        json!({"locale": "en", "pageNumber": 1, "pageSize": 100,
               "searchCriteria": [{"name": "ORIGINID", "value": id}]})
    };
    Mock::given(method("POST"))
        .and(path("/connect/v1/certifications/search"))
        .and(body_is(search(ORIGIN_ID)))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("origin/search_found.json"), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/connect/v1/certifications/search"))
        .and(body_is(search(gone)))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("origin/search_empty.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let out = certctl(&env, &server)
        .args(["-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let items = settled(&json(&out));
    assert_eq!(
        outcome_of(&items, ORIGIN_ID),
        ("not_applied", "the certification is still there")
    );
    assert_eq!(
        outcome_of(&items, gone),
        ("applied", "no certification with this originId")
    );
    for req in received(&server).await {
        assert_eq!(
            header(&req, "authorization"),
            Some(format!("Bearer {}", ORIGIN.secret).as_str())
        );
    }

    // A batch whose result URL was answered is settled by that result; an item
    // given by externalId has no read and stays unknown.
    let (env, server) = (Env::new(), crate::common::server().await);
    let batch = |n: u32| {
        format!(
            "{}/connect/v1/result/certifications_delete/batch/b{n}",
            server.uri()
        )
    };
    let line = |ids: &str, extra: &str| {
        format!(
            "{{\"run_id\":\"{RUN}\",\"time\":\"2026-01-10T10:00:00.000Z\",\"phase\":\"done\",\"profile\":\"default\",\"provider\":\"origin\",\"operation\":\"certifications.delete\",\"ids\":[{ids}]{extra},\"http_status\":200,\"outcome\":\"unknown\",\"error_kind\":\"transient\"}}\n"
        )
    };
    let text = line(
        "\"o-1\",\"o-2\"",
        &format!(",\"callback\":\"{}\"", batch(1)),
    ) + &line("\"o-3\"", &format!(",\"callback\":\"{}\"", batch(2)))
        + &line("\"o-4\"", &format!(",\"callback\":\"{}\"", batch(3)))
        + &line("\"EXT-9\"", ",\"external\":true")
        + &line(
            "\"o-5\"",
            ",\"callback\":\"http://elsewhere.example/batch/b4\"",
        );
    env.file("journal.ndjson", &text);
    answer(
        &server,
        "GET",
        "/connect/v1/result/certifications_delete/batch/b1",
        200,
        Some("origin/result_done.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/connect/v1/result/certifications_delete/batch/b2",
        200,
        Some("origin/result_error.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/connect/v1/result/certifications_delete/batch/b3",
        200,
        Some("origin/result_pending.json"),
    )
    .await;
    let out = certctl(&env, &server)
        .args(["-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let items = settled(&json(&out));
    assert_eq!(outcome_of(&items, "o-1").0, "applied");
    assert_eq!(outcome_of(&items, "o-2").0, "applied");
    assert_eq!(outcome_of(&items, "o-3").0, "not_applied");
    let (o, e) = outcome_of(&items, "o-4");
    assert_eq!(o, "unknown");
    assert!(e.contains("still pending"), "{e}");
    let (o, e) = outcome_of(&items, "EXT-9");
    assert_eq!(o, "unknown");
    assert!(e.contains("externalId"), "{e}");
    let (o, e) = outcome_of(&items, "o-5");
    assert_eq!(o, "unknown");
    assert!(e.contains("not on the configured Origin host"), "{e}");
    assert_eq!(
        received(&server).await.len(),
        3,
        "one read per batch on the host"
    );
}

#[tokio::test]
async fn sertifika_rows_are_settled_from_the_template_holders_in_one_read() {
    let (env, server) = (Env::new(), server().await);
    killed_run(
        &env,
        "sertifika",
        "certificates.issue",
        &["John.Doe@Example.com", "jane@example.com"],
        &format!(",\"template\":\"{TEMPLATE}\""),
    );
    answer(
        &server,
        "GET",
        &format!("/api/v1.0/certificate/{TEMPLATE}/user"),
        200,
        Some("sertifika/template_users.json"),
    )
    .await;
    let out = certctl(&env, &server)
        .args(["reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("John.Doe@Example.com  applied"), "{text}");
    assert!(text.contains("jane@example.com      not_applied"), "{text}");
    assert!(
        text.contains("1 applied, 1 not applied, 0 unknown of 2"),
        "{text}"
    );
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1, "one read per template");
    assert_eq!(header(&reqs[0], "authorization"), Some(SERTIFIKA.secret));
}

#[tokio::test]
async fn resume_reads_back_first_then_skips_the_applied_and_sends_the_rest() {
    let (env, server) = (Env::new(), server().await);
    killed_run(
        &env,
        "digicert",
        "orders.revoke",
        &["1001", "1004", "1006"],
        "",
    );
    answer(
        &server,
        "GET",
        "/order/certificate/1001",
        200,
        Some("digicert/order_revoked.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/order/certificate/1004",
        200,
        Some("digicert/order_issued_no_revoke.json"),
    )
    .await;
    respond(
        &server,
        "GET",
        "/order/certificate/1006",
        ResponseTemplate::new(503),
    )
    .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(
            fixture("digicert/revoke_request_pending.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    // --no-reconcile: the old way, everything unknown is held.
    let out = certctl(&env, &server)
        .args(argv("-o json --yes digicert orders revoke 1001 1004 1006"))
        .args(["--comment", "c", "--resume", RUN, "--no-reconcile"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["unknown"], 3);
    assert!(received(&server).await.is_empty(), "no read, no revoke");

    let out = certctl(&env, &server)
        .args(argv("-o json --yes digicert orders revoke 1001 1004 1006"))
        .args(["--comment", "c", "--resume", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        report["summary"],
        json!({"total": 3, "succeeded": 1, "failed": 0, "unknown": 1, "skipped": 1})
    );
    let puts: Vec<String> = received(&server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(
        puts,
        ["/order/certificate/1004/revoke"],
        "only the order not applied"
    );
    // The resumed run journals what it read back in its own lines.
    let run_id = report["run_id"].as_str().unwrap();
    let own: Vec<Value> = journal_lines(&env)
        .into_iter()
        .filter(|l| l["run_id"] == run_id && l.get("reconciled").is_some())
        .collect();
    assert_eq!(own.len(), 2, "{own:?}");
    assert!(
        own.iter()
            .all(|l| l["resumes"] == RUN && l.get("reconcile").is_none())
    );
}

#[tokio::test]
async fn many_orders_are_read_from_the_lists_unless_the_lists_are_longer() {
    let ids: Vec<String> = (1001..1061).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let page = |key: &str, entries: Value, total: u64| json!({key: entries, "page": {"total": total, "limit": 1000, "offset": 0}});
    // 60 unknown orders, a revoke request list of one page, one revoked order.
    let (env, server) = (Env::new(), server().await);
    killed_run(&env, "digicert", "orders.revoke", &refs, "");
    let requests = json!([
        {"id": 9001, "type": "revoke", "status": "pending", "order": {"id": 1001}},
        {"id": 9002, "type": "revoke", "status": "rejected", "order": {"id": 1002}},
        {"id": 9003, "type": "new_request", "status": "pending", "order": {"id": 1003}},
        {"id": 9004, "type": "revoke", "status": "approved", "order": {"id": 4242}}
    ]);
    Mock::given(method("GET"))
        .and(path("/request"))
        .and(query_param("filters[type]", "revoke"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page("requests", requests, 4)))
        .mount(&server)
        .await;
    let revoked = json!([{"id": 1004, "status": "revoked", "certificate": {"id": 2004, "status": "revoked"}}]);
    Mock::given(method("GET"))
        .and(path("/order/certificate"))
        .and(query_param("filters[status]", "revoked"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page("orders", revoked, 1)))
        .mount(&server)
        .await;
    let out = certctl(&env, &server)
        .args(["-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let items = settled(&json(&out));
    assert_eq!(items.len(), 60);
    assert_eq!(
        outcome_of(&items, "1001"),
        ("applied", "revoke request 9001 is pending")
    );
    assert_eq!(outcome_of(&items, "1002").0, "not_applied");
    assert_eq!(outcome_of(&items, "1003").0, "not_applied");
    assert_eq!(
        outcome_of(&items, "1004"),
        ("applied", "order 1004 is revoked")
    );
    assert_eq!(received(&server).await.len(), 2, "two pages for 60 orders");

    // When the lists would take more requests than the orders, each order is read.
    let (env, server) = (Env::new(), crate::common::server().await);
    killed_run(&env, "digicert", "orders.revoke", &refs, "");
    respond(
        &server,
        "GET",
        "/request",
        ResponseTemplate::new(200).set_body_json(page("requests", json!([]), 250_000)),
    )
    .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(r"^/order/certificate/\d+$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("digicert/order_issued_no_revoke.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let out = certctl(&env, &server)
        .args(["-o", "json", "reconcile", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["not_applied"], 60);
    assert_eq!(
        received(&server).await.len(),
        61,
        "one list page, then each order"
    );
}

#[tokio::test]
async fn resuming_another_operation_reads_nothing_back() {
    let (env, server) = (Env::new(), server().await);
    killed_run(&env, "digicert", "orders.revoke", &["1001"], "");
    let out = certctl(&env, &server)
        .args(argv("--yes digicert certificates revoke 2001 --comment c"))
        .args(["--resume", RUN])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("only continues the same operation"),
        "{}",
        stderr(&out)
    );
    assert!(
        received(&server).await.is_empty(),
        "nothing read, nothing sent"
    );
}
