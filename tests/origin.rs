//! Origin: certification deletes (sync, async, `--wait`) and `results show`, against
//! wiremock: the exact requests, the ERROR state at any HTTP status, no re-send of
//! the non-idempotent delete, and callbacks refused off the configured host.

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const TOKEN: &str = ORIGIN.secret;
const DELETE: &str = "/equinox/connect/v1/certifications/delete";
const ASYNC_DELETE: &str = "/equinox/connect/v1/async/certifications/delete";
const BATCH: &str = "1c8a06b6-45be-4e68-9e2d-5c1f075e6ca2";
const RESULT: &str =
    "/equinox/connect/v1/result/certifications_delete/batch/1c8a06b6-45be-4e68-9e2d-5c1f075e6ca2";

fn base(server: &MockServer) -> String {
    format!("{}/equinox", server.uri())
}

/// certctl pointed at `server` with the Origin token, as `certctl -o json ARGS`.
fn origin(env: &Env, server: &MockServer, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = ORIGIN.cmd(env, &base(server));
    cmd.args(["-o", "json", "origin"]).args(args);
    cmd
}

fn delete(env: &Env, server: &MockServer, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = origin(env, server, &["certifications", "delete", "--yes"]);
    cmd.args(args);
    cmd
}

/// An answer with `status` and an Origin fixture's body.
fn reply(status: u16, fixture_name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        fixture(&format!("origin/{fixture_name}")),
        "application/json",
    )
}

/// The async answer whose callback points at `callback_base`.
fn accepted(callback_base: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        fixture("origin/async_accepted.json").replace("{{BASE}}", callback_base),
        "application/json",
    )
}

fn no_secret(out: &std::process::Output) {
    ORIGIN.no_secret(out);
}

#[tokio::test]
async fn sync_delete_sends_the_documented_request() {
    let server = server().await;
    respond(&server, "POST", DELETE, reply(200, "sync_success.json")).await;
    let env = Env::new();
    let mut cmd = delete(&env, &server, &["id-1", "id-2"]);
    cmd.arg("-vvv");
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    no_secret(&out);
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url.path(), DELETE);
    assert_eq!(req.url.query(), None);
    assert_eq!(
        header(req, "authorization"),
        Some("Bearer origin-secret-token-42")
    );
    assert_eq!(header(req, "content-type"), Some("application/json"));
    assert_eq!(
        body_json(req),
        json!({"certifications": [{"originId": "id-1"}, {"originId": "id-2"}]})
    );
    let doc = json(&out);
    assert_eq!(doc["provider"], "origin");
    assert_eq!(doc["operation"], "certifications.delete");
    assert_eq!(doc["outcome"], "succeeded");
    assert_eq!(doc["summary"]["succeeded"], 2);
    assert_eq!(doc["items"][0]["id"], "id-1");
    assert_eq!(doc["items"][0]["response"]["result"], "Delete completed.");
}

#[tokio::test]
async fn external_ids_are_sent_as_external_id() {
    let server = server().await;
    respond(&server, "POST", DELETE, reply(200, "sync_success.json")).await;
    let env = Env::new();
    let out = run(delete(&env, &server, &["mine-1", "mine-2", "--external"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert_eq!(
        body_json(&reqs[0]),
        json!({"certifications": [{"externalId": "mine-1"}, {"externalId": "mine-2"}]})
    );
}

#[tokio::test]
async fn ids_go_in_batches_of_batch_size() {
    let server = server().await;
    respond(&server, "POST", DELETE, reply(200, "sync_success.json")).await;
    let env = Env::new();
    let ids: String = (0..250).map(|i| format!("cert-{i}\n")).collect();
    let file = env.file("ids.txt", &ids);
    let file = file.to_string_lossy().into_owned();
    let out = run(delete(&env, &server, &["--from", &file])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut sizes: Vec<usize> = received(&server)
        .await
        .iter()
        .map(|r| {
            body_json(r)["certifications"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(json(&out)["summary"]["succeeded"], 250);
}

#[tokio::test]
async fn an_error_state_is_a_rejection_at_any_status() {
    for status in [200u16, 400, 500] {
        let server = server().await;
        respond(
            &server,
            "POST",
            DELETE,
            reply(status, "error_validation.json"),
        )
        .await;
        let env = Env::new();
        let out = run(delete(&env, &server, &["id-1"])).await;
        assert_eq!(code(&out), 1, "HTTP {status}: {}", stderr(&out));
        assert_eq!(received(&server).await.len(), 1, "HTTP {status}");
        let doc = json(&out);
        assert_eq!(doc["outcome"], "failed");
        let error = &doc["items"][0]["error"];
        assert_eq!(error["kind"], "rejected");
        assert_eq!(error["http_status"], status);
        assert_eq!(error["code"], "CE00001");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("CE00001 - Connect request failed validation."),
            "{message}"
        );
        assert!(message.contains("certifications[1] require one originId or externalId."));
        assert!(message.contains("certifications[2] require one originId or externalId."));
    }
}

#[tokio::test]
async fn not_authorized_is_exit_4() {
    let server = server().await;
    respond(
        &server,
        "POST",
        DELETE,
        reply(200, "error_not_authorized.json"),
    )
    .await;
    let env = Env::new();
    let out = run(delete(&env, &server, &["id-1"])).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let error = &json(&out)["items"][0]["error"];
    assert_eq!(error["kind"], "auth");
    assert_eq!(error["code"], "CE00002");
}

#[tokio::test]
async fn an_answer_without_status_leaves_the_delete_unknown() {
    let server = server().await;
    respond(
        &server,
        "POST",
        DELETE,
        ResponseTemplate::new(200).set_body_json(json!({"result": {}})),
    )
    .await;
    let env = Env::new();
    let out = run(delete(&env, &server, &["id-1"])).await;
    // A 200 that is not the documented success: the delete may have happened.
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["outcome"], "unknown");
    assert_eq!(report["summary"]["unknown"], 1);
    assert_eq!(report["items"][0]["outcome"], "unknown");
    assert_eq!(report["items"][0]["error"]["kind"], "invalid_response");
    assert!(
        stderr(&out).contains("it first asks the provider what happened"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_non_json_error_is_reported_unread() {
    let server = server().await;
    respond(
        &server,
        "POST",
        DELETE,
        ResponseTemplate::new(500).set_body_raw("<html>oops</html>", "text/html"),
    )
    .await;
    let env = Env::new();
    let out = run(delete(&env, &server, &["id-1"])).await;
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let error = &json(&out)["items"][0]["error"];
    assert_eq!(error["kind"], "transient");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("HTML page"),
        "{error}"
    );
}

#[tokio::test]
async fn the_delete_is_never_resent_after_a_503() {
    let server = server().await;
    respond(&server, "POST", DELETE, ResponseTemplate::new(503)).await;
    let env = Env::new();
    let out = run(delete(&env, &server, &["id-1"])).await;
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn async_alone_reports_the_pooling_callback() {
    let server = server().await;
    respond(&server, "POST", ASYNC_DELETE, accepted(&base(&server))).await;
    let env = Env::new();
    let out = run(delete(&env, &server, &["id-1", "--async"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert_eq!(
        reqs.len(),
        1,
        "the callback must not be polled without --wait"
    );
    assert_eq!(
        body_json(&reqs[0]),
        json!({"certifications": [{"originId": "id-1"}]})
    );
    let doc = json(&out);
    assert_eq!(
        doc["items"][0]["response"],
        json!({"poolingCallback": format!("{}{RESULT}", server.uri())})
    );
}

#[tokio::test]
async fn async_wait_polls_through_pending_to_the_result() {
    let server = server().await;
    respond(&server, "POST", ASYNC_DELETE, accepted(&base(&server))).await;
    respond_first(&server, "GET", RESULT, reply(200, "result_pending.json"), 2).await;
    respond(&server, "GET", RESULT, reply(200, "result_done.json")).await;
    let env = Env::new();
    let out = run(delete(
        &env,
        &server,
        &["id-1", "id-2", "--async", "--wait"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    no_secret(&out);
    let reqs = received(&server).await;
    let methods: Vec<&str> = reqs.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["POST", "GET", "GET", "GET"]);
    for poll in &reqs[1..] {
        assert_eq!(poll.url.path(), RESULT);
        assert_eq!(
            header(poll, "authorization"),
            Some("Bearer origin-secret-token-42")
        );
    }
    let doc = json(&out);
    assert_eq!(doc["summary"]["succeeded"], 2);
    assert_eq!(doc["items"][1]["response"]["executionStatus"], "COMPLETED");
    assert_eq!(doc["items"][1]["response"]["batchId"], BATCH);
}

#[tokio::test]
async fn async_wait_gives_up_at_the_wait_timeout() {
    let server = server().await;
    respond(&server, "POST", ASYNC_DELETE, accepted(&base(&server))).await;
    respond(&server, "GET", RESULT, reply(200, "result_pending.json")).await;
    let env = Env::new();
    let args = ["id-1", "--async", "--wait", "--wait-timeout", "1500ms"];
    let out = run(delete(&env, &server, &args)).await;
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let error = &json(&out)["items"][0]["error"];
    assert_eq!(error["kind"], "transient");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains(RESULT), "{message}");
    assert!(message.contains("results show"), "{message}");
}

#[tokio::test]
async fn a_callback_on_another_host_is_never_requested() {
    let server = server().await;
    let foreign = MockServer::start().await;
    respond(
        &server,
        "POST",
        ASYNC_DELETE,
        accepted(&format!("{}/equinox", foreign.uri())),
    )
    .await;
    Mock::given(method("GET"))
        .respond_with(reply(200, "result_done.json"))
        .mount(&foreign)
        .await;
    let env = Env::new();
    let out = run(delete(&env, &server, &["id-1", "--async", "--wait"])).await;
    // Origin accepted (queued) the delete; that certctl refuses to follow its
    // callback leaves the outcome open: unknown, never "failed" (a resume would
    // send the delete again).
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    assert_eq!(json(&out)["items"][0]["outcome"], "unknown");
    assert_eq!(json(&out)["items"][0]["error"]["kind"], "refused");
    assert!(received(&foreign).await.is_empty());
    assert_eq!(received(&server).await.len(), 1);

    let url = format!("{}{RESULT}", foreign.uri());
    let out = run(origin(&env, &server, &["results", "show", &url])).await;
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not on the configured Origin host"),
        "{}",
        stderr(&out)
    );
    assert!(received(&foreign).await.is_empty());
}

#[tokio::test]
async fn results_show_gets_a_batch_id_result() {
    let server = server().await;
    respond(&server, "GET", RESULT, reply(200, "result_done.json")).await;
    let env = Env::new();
    let out = run(origin(&env, &server, &["results", "show", BATCH])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method.as_str(), "GET");
    assert_eq!(reqs[0].url.path(), RESULT);
    assert_eq!(
        header(&reqs[0], "authorization"),
        Some("Bearer origin-secret-token-42")
    );
    let provider: Value =
        serde_json::from_str(&fixture("origin/result_done.json")).unwrap_or(Value::Null);
    assert_eq!(json(&out), provider);

    let mut cmd = env.cmd();
    cmd.env("CERTCTL_ORIGIN_BASE_URL", base(&server))
        .env("CERTCTL_ORIGIN_TOKEN", TOKEN)
        .args([
            "origin",
            "results",
            "show",
            &format!("{}{RESULT}", server.uri()),
        ]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("SUCCESS") && text.contains("COMPLETED"),
        "{text}"
    );
}

#[tokio::test]
async fn results_show_reports_an_error_state() {
    let server = server().await;
    respond(&server, "GET", RESULT, reply(400, "error_validation.json")).await;
    let env = Env::new();
    let out = run(origin(&env, &server, &["results", "show", BATCH])).await;
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(json(&out)["status"]["state"], "ERROR");
    assert!(stderr(&out).contains("CE00001"), "{}", stderr(&out));
}

#[tokio::test]
async fn dry_run_prints_the_requests_and_sends_nothing() {
    let server = server().await;
    let env = Env::new();
    let mut cmd = origin(&env, &server, &["certifications", "delete", "a", "b"]);
    cmd.args(["--dry-run", "--async"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    no_secret(&out);
    assert!(received(&server).await.is_empty());
    let doc = json(&out);
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["operation"], "certifications.delete");
    assert_eq!(
        doc["requests"],
        json!([{
            "method": "POST",
            "url": format!("{}{ASYNC_DELETE}", server.uri()),
            "headers": {"authorization": "<redacted>", "content-type": "application/json"},
            "body": {"certifications": [{"originId": "a"}, {"originId": "b"}]}
        }])
    );
}

#[tokio::test]
async fn results_show_waits_while_pending() {
    let server = server().await;
    respond_first(&server, "GET", RESULT, reply(200, "result_pending.json"), 1).await;
    respond(&server, "GET", RESULT, reply(200, "result_done.json")).await;
    let env = Env::new();
    let out = run(origin(&env, &server, &["results", "show", BATCH, "--wait"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(received(&server).await.len(), 2);
    assert_eq!(json(&out)["result"]["executionStatus"], "COMPLETED");
}

#[tokio::test]
async fn results_show_wait_gives_up_at_the_wait_timeout() {
    let server = server().await;
    respond(&server, "GET", RESULT, reply(200, "result_pending.json")).await;
    let env = Env::new();
    let args = [
        "results",
        "show",
        BATCH,
        "--wait",
        "--wait-timeout",
        "1200ms",
    ];
    let out = run(origin(&env, &server, &args)).await;
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(stderr(&out).contains("still pending"), "{}", stderr(&out));
}
