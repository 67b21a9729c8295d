//! DigiCert CertCentral: the exact requests of every command, the answers of the
//! documented statuses and errors, retries, pacing, dry run and confirmation.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const KEY: &str = DIGICERT.secret;

/// certctl pointed at `server` with the test API key.
fn certctl(env: &Env, server: &MockServer) -> assert_cmd::Command {
    DIGICERT.cmd(env, &server.uri())
}

/// Checks the headers every DigiCert request carries.
fn assert_headers(req: &wiremock::Request) {
    assert_eq!(header(req, "x-dc-devkey"), Some(KEY));
    assert_eq!(header(req, "content-type"), Some("application/json"));
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(&format!("digicert/{name}"))).expect("fixture JSON")
}

#[tokio::test]
async fn orders_revoke_sends_one_put_per_order_and_reports_the_revoke_request() {
    let (env, server) = (Env::new(), server().await);
    for id in ["1001", "1002"] {
        let at = format!("/order/certificate/{id}/revoke");
        answer(
            &server,
            "PUT",
            &at,
            201,
            Some("digicert/revoke_request_pending.json"),
        )
        .await;
    }
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("-o json --yes digicert orders revoke 1001 1002"))
        .args(["--comment", "key compromised"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let mut reqs = received(&server).await;
    reqs.sort_by_key(|r| r.url.path().to_string());
    assert_eq!(reqs.len(), 2);
    for (req, id) in reqs.iter().zip(["1001", "1002"]) {
        assert_eq!(req.method.as_str(), "PUT");
        assert_eq!(req.url.path(), format!("/order/certificate/{id}/revoke"));
        assert_eq!(req.url.query(), None);
        assert_headers(req);
        assert_eq!(body_json(req), json!({"comments": "key compromised"}));
    }

    let doc = json(&out);
    assert_eq!(doc["provider"], "digicert");
    assert_eq!(doc["operation"], "orders.revoke");
    assert_eq!(doc["outcome"], "succeeded");
    assert_eq!(doc["summary"]["succeeded"], 2);
    let items = doc["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    for item in items {
        assert_eq!(item["outcome"], "succeeded");
        assert_eq!(
            item["response"],
            fixture_json("revoke_request_pending.json")
        );
    }
}

#[tokio::test]
async fn text_mode_shows_the_revoke_request_id_and_status() {
    let (env, server) = (Env::new(), server().await);
    let at = "/order/certificate/1001/revoke";
    answer(
        &server,
        "PUT",
        at,
        201,
        Some("digicert/revoke_request_pending.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("--yes digicert orders revoke 1001 --comment c"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1001  id=1 status=pending"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn certificate_revoke_sends_reason_as_the_api_spells_it() {
    let (env, server) = (Env::new(), server().await);
    answer(
        &server,
        "PUT",
        "/certificate/3001/revoke",
        201,
        Some("digicert/revoke_request_pending.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("-o json --yes digicert certificates revoke 3001"))
        .args(["--comment", "replaced", "--reason", "affiliation-changed"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method.as_str(), "PUT");
    assert_headers(&reqs[0]);
    assert_eq!(
        body_json(&reqs[0]),
        json!({"comments": "replaced", "revocation_reason": "affiliationChanged"})
    );
    let doc = json(&out);
    assert_eq!(doc["operation"], "certificates.revoke");
    assert_eq!(doc["items"][0]["response"]["status"], "pending");
}

#[tokio::test]
async fn skip_approval_is_sent_and_a_204_succeeds_without_a_response() {
    let (env, server) = (Env::new(), server().await);
    answer(&server, "PUT", "/certificate/3001/revoke", 204, None).await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("-o json --yes digicert certificates revoke 3001"))
        .args(argv(
            "--comment leaked --reason key-compromise --skip-approval",
        ));
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert_eq!(
        body_json(&reqs[0]),
        json!({"comments": "leaked", "revocation_reason": "keyCompromise", "skip_approval": true})
    );
    let item = &json(&out)["items"][0];
    assert_eq!(item["outcome"], "succeeded");
    assert!(item.get("response").is_none(), "{item}");
}

#[tokio::test]
async fn approve_and_reject_put_the_status_and_need_no_confirmation() {
    let (env, server) = (Env::new(), server().await);
    answer(&server, "PUT", "/request/198/status", 204, None).await;
    let cases: [(&[&str], Value); 3] = [
        (&["approve", "198"], json!({"status": "approved"})),
        (
            &["approve", "198", "--comment", "checked"],
            json!({"status": "approved", "processor_comment": "checked"}),
        ),
        (
            &["reject", "198", "--comment", "mistake"],
            json!({"status": "rejected", "processor_comment": "mistake"}),
        ),
    ];
    for (i, (args, body)) in cases.iter().enumerate() {
        // No --yes: stdin is not a terminal, and these are not irreversible.
        let mut cmd = certctl(&env, &server);
        cmd.args(["-o", "json", "digicert", "requests"]).args(*args);
        let out = run(cmd).await;
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        let reqs = received(&server).await;
        assert_eq!(reqs.len(), i + 1);
        let req = &reqs[i];
        assert_eq!(req.method.as_str(), "PUT");
        assert_eq!(req.url.path(), "/request/198/status");
        assert_headers(req);
        assert_eq!(&body_json(req), body, "{args:?}");
        let doc = json(&out);
        let name = if args[0] == "approve" {
            "requests.approve"
        } else {
            "requests.reject"
        };
        assert_eq!(doc["operation"], name);
        assert_eq!(doc["items"][0]["outcome"], "succeeded");
    }
}

#[tokio::test]
async fn requests_show_prints_a_table_or_the_provider_json() {
    let (env, server) = (Env::new(), server().await);
    answer(
        &server,
        "GET",
        "/request/198",
        200,
        Some("digicert/request_detail.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/request/199",
        200,
        Some("digicert/request_detail.json"),
    )
    .await;

    let mut cmd = certctl(&env, &server);
    cmd.args(["digicert", "requests", "show", "198"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "ID",
            "TYPE",
            "STATUS",
            "DATE",
            "ORDER",
            "REQUESTER",
            "COMMENTS"
        ]
    );
    for part in [
        "198",
        "revoke",
        "pending",
        "1001",
        "j.white@fakeaddy.com",
        "Key compromised",
    ] {
        assert!(lines[1].contains(part), "{part}: {text}");
    }
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method.as_str(), "GET");
    assert_eq!(reqs[0].url.path(), "/request/198");
    assert_headers(&reqs[0]);
    assert!(reqs[0].body.is_empty());

    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "json", "digicert", "requests", "show", "198"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out), fixture_json("request_detail.json"));

    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "json", "digicert", "requests", "show", "198", "199"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let detail = fixture_json("request_detail.json");
    assert_eq!(json(&out), json!([detail, detail]));
}

#[tokio::test]
async fn requests_show_of_a_missing_request_is_exit_5() {
    let (env, server) = (Env::new(), server().await);
    answer(
        &server,
        "GET",
        "/request/404",
        404,
        Some("digicert/error_not_found.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["digicert", "requests", "show", "404"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 5);
    assert!(stderr(&out).contains("request 404"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("could not be found"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_400_reports_every_code_and_message() {
    let (env, server) = (Env::new(), server().await);
    let at = "/order/certificate/1001/revoke";
    answer(
        &server,
        "PUT",
        at,
        400,
        Some("digicert/error_invalid_request.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv(
        "-o json --yes digicert orders revoke 1001 --comment c",
    ));
    let out = run(cmd).await;
    assert_eq!(code(&out), 1);
    let error = &json(&out)["items"][0]["error"];
    assert_eq!(error["kind"], "rejected");
    assert_eq!(error["http_status"], 400);
    assert_eq!(error["code"], "invalid_status, missing_param");
    assert_eq!(
        error["message"],
        "The order is not in a state that allows revocation.; comments is required."
    );
}

#[tokio::test]
async fn a_refused_api_key_is_exit_4() {
    let (env, server) = (Env::new(), server().await);
    let at = "/order/certificate/1001/revoke";
    answer(
        &server,
        "PUT",
        at,
        403,
        Some("digicert/error_invalid_key.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv(
        "-o json --yes digicert orders revoke 1001 --comment c",
    ));
    let out = run(cmd).await;
    assert_eq!(code(&out), 4);
    let error = &json(&out)["items"][0]["error"];
    assert_eq!(error["kind"], "auth");
    assert_eq!(error["http_status"], 403);
    assert_eq!(error["code"], "access_denied|access_denied_invalid_key");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("refused the API key"), "{message}");
    assert!(message.contains("api_key"), "{message}");
    assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));

    // A read says it in the sentence on stderr.
    answer(
        &server,
        "GET",
        "/request/198",
        403,
        Some("digicert/error_invalid_key.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["digicert", "requests", "show", "198"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("api_key"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("access_denied|access_denied_invalid_key"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));
}

#[tokio::test]
async fn the_one_object_form_of_errors_is_reported() {
    let (env, server) = (Env::new(), server().await);
    let at = "/order/certificate/1001/revoke";
    answer(
        &server,
        "PUT",
        at,
        404,
        Some("digicert/error_object_route_not_found.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("-o json --yes digicert orders revoke 1001"))
        .args(["--comment", "c"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let error = &json(&out)["items"][0]["error"];
    assert_eq!(error["kind"], "not_found");
    assert_eq!(error["http_status"], 404);
    assert_eq!(error["code"], "not_found|route");
    assert_eq!(error["message"], "The requested route was not found.");

    answer(
        &server,
        "GET",
        "/request/7",
        404,
        Some("digicert/error_object_route_not_found.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["digicert", "requests", "show", "7"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 5);
    assert!(
        stderr(&out).contains("The requested route was not found."),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("{"), "{}", stderr(&out));
}

#[tokio::test]
async fn orders_revoke_sends_reason_and_skip_approval_and_a_204_succeeds() {
    let (env, server) = (Env::new(), server().await);
    answer(&server, "PUT", "/order/certificate/1001/revoke", 204, None).await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("-o json --yes digicert orders revoke 1001"))
        .args([
            "--comment",
            "domain sold",
            "--reason",
            "cessation-of-operation",
            "--skip-approval",
        ]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method.as_str(), "PUT");
    assert_eq!(reqs[0].url.path(), "/order/certificate/1001/revoke");
    assert_headers(&reqs[0]);
    assert_eq!(
        String::from_utf8_lossy(&reqs[0].body),
        r#"{"comments":"domain sold","revocation_reason":"cessationOfOperation","skip_approval":true}"#
    );
    let item = &json(&out)["items"][0];
    assert_eq!(item["outcome"], "succeeded");
    assert!(item.get("response").is_none(), "{item}");
}

#[tokio::test]
async fn certificates_revoke_by_serial_puts_the_lowercase_serial_without_colons() {
    let (env, server) = (Env::new(), server().await);
    for serial in ["0a1b2c3d4e5f", "7"] {
        answer(
            &server,
            "PUT",
            &format!("/certificate/{serial}/revoke"),
            201,
            Some("digicert/revoke_request_pending.json"),
        )
        .await;
    }
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "json", "--yes", "digicert", "certificates", "revoke"])
        .args(["--by", "serial", "0A:1B:2C:3D:4E:5F", "7", "--comment", "c"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert!(reqs.iter().all(|r| r.url.query().is_none()));
    assert!(reqs.iter().all(|r| r.method.as_str() == "PUT"));
    let mut paths: Vec<&str> = reqs.iter().map(|r| r.url.path()).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["/certificate/0a1b2c3d4e5f/revoke", "/certificate/7/revoke"]
    );
    let doc = json(&out);
    let mut ids: Vec<&str> = doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["0A:1B:2C:3D:4E:5F", "7"]);
}

#[tokio::test]
async fn a_bad_serial_or_a_serial_without_by_serial_is_exit_2_before_any_request() {
    let (env, server) = (Env::new(), server().await);
    let too_long = "f".repeat(41);
    let cases: [&[&str]; 5] = [
        &["--by", "serial", "7", "0x1b"],
        &["--by", "serial", "0a::1b"],
        &["--by", "serial", "0g"],
        &["--by", "serial", &too_long],
        &["0a1b"],
    ];
    for args in cases {
        let mut cmd = certctl(&env, &server);
        cmd.args(["--yes", "digicert", "certificates", "revoke"])
            .args(args)
            .args(["--comment", "c"]);
        let out = run(cmd).await;
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let bad = args.last().copied().unwrap_or_default();
        assert!(
            stderr(&out).contains(&format!("`{bad}` is not a")),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    let file = env.file(
        "serials.txt",
        "0a1b
not-hex
",
    );
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("--yes digicert certificates revoke --by serial"))
        .arg("--from")
        .arg(&file)
        .args(["--comment", "c"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("`not-hex`"), "{}", stderr(&out));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_2xx_that_is_not_the_documented_answer_is_an_invalid_response() {
    let pending = fixture("digicert/revoke_request_pending.json");
    let cases: [(&str, u16, String, &str); 7] = [
        (
            "orders",
            200,
            fixture("digicert/revoke_ok_html.html"),
            "text/html",
        ),
        (
            "orders",
            201,
            fixture("digicert/revoke_truncated.json"),
            "application/json",
        ),
        ("orders", 201, String::new(), "application/json"),
        (
            "certificates",
            201,
            fixture("digicert/revoke_array.json"),
            "application/json",
        ),
        (
            "certificates",
            201,
            fixture("digicert/revoke_object_without_id.json"),
            "application/json",
        ),
        ("certificates", 299, pending.clone(), "application/json"),
        ("orders", 200, pending, "application/json"),
    ];
    for (noun, status, body, mime) in cases {
        let (env, server) = (Env::new(), server().await);
        let at = if noun == "orders" {
            "/order/certificate/1001/revoke"
        } else {
            "/certificate/1001/revoke"
        };
        respond(
            &server,
            "PUT",
            at,
            ResponseTemplate::new(status).set_body_raw(body.clone(), mime),
        )
        .await;
        let mut cmd = certctl(&env, &server);
        cmd.args(["-o", "json", "--yes", "digicert", noun, "revoke", "1001"])
            .args(["--comment", "c"]);
        let out = run(cmd).await;
        let case = format!("{noun} {status} {body:?}");
        assert_ne!(code(&out), 0, "{case}");
        // Never re-sent: the revoke may have been filed.
        assert_eq!(received(&server).await.len(), 1, "{case}");
        let error = &json(&out)["items"][0]["error"];
        assert_eq!(error["kind"], "invalid_response", "{case}: {error}");
        assert_eq!(error["http_status"], status, "{case}: {error}");
        assert_ne!(json(&out)["items"][0]["outcome"], "succeeded", "{case}");
    }
}

#[tokio::test]
async fn the_emulator_takes_a_serial_where_an_id_goes() {
    let env = Env::new();
    let mut cmd = env.cmd();
    cmd.args(argv("--sandbox -o json --yes digicert certificates"))
        .args(["revoke", "--by", "serial", "0A:1B:2C:3D:00:00:4E:27"])
        .args(["--comment", "c", "--skip-approval"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["items"][0]["outcome"], "succeeded");

    let mut cmd = env.cmd();
    cmd.args(["--sandbox", "-o", "json", "--yes", "digicert", "orders"])
        .args(argv("revoke 10007 --comment c --reason superseded"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        json(&out)["items"][0]["response"]["revocation_reason"],
        "superseded"
    );
}

#[tokio::test]
async fn a_404_is_exit_5() {
    let (env, server) = (Env::new(), server().await);
    answer(
        &server,
        "PUT",
        "/certificate/3001/revoke",
        404,
        Some("digicert/error_not_found.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv(
        "-o json --yes digicert certificates revoke 3001 --comment c",
    ));
    let out = run(cmd).await;
    assert_eq!(code(&out), 5);
    let error = &json(&out)["items"][0]["error"];
    assert_eq!(error["kind"], "not_found");
    assert_eq!(error["code"], "not_found");
}

#[tokio::test]
async fn a_429_without_retry_after_is_retried_then_succeeds() {
    let (env, server) = (Env::new(), server().await);
    let at = "/order/certificate/1001/revoke";
    respond_first(
        &server,
        "PUT",
        at,
        ResponseTemplate::new(429).set_body_raw(
            fixture("digicert/error_limit_exceeded.json"),
            "application/json",
        ),
        1,
    )
    .await;
    answer(
        &server,
        "PUT",
        at,
        201,
        Some("digicert/revoke_request_pending.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv(
        "-o json --yes digicert orders revoke 1001 --comment c",
    ));
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(received(&server).await.len(), 2);
    assert_eq!(json(&out)["items"][0]["response"]["id"], 1);
}

#[tokio::test]
async fn a_500_is_not_resent_and_is_temporary() {
    let (env, server) = (Env::new(), server().await);
    let at = "/order/certificate/1001/revoke";
    answer(&server, "PUT", at, 500, Some("digicert/error_server.json")).await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv(
        "-o json --yes digicert orders revoke 1001 --comment c",
    ));
    let out = run(cmd).await;
    assert_eq!(code(&out), 6);
    assert_eq!(received(&server).await.len(), 1);
    let error = &json(&out)["items"][0]["error"];
    assert_eq!(error["kind"], "transient");
    assert_eq!(error["code"], "internal_error");
}

#[tokio::test]
async fn a_gateway_error_to_a_revoke_is_unknown_not_failed() {
    for status in [502, 504] {
        let (env, server) = (Env::new(), server().await);
        answer(
            &server,
            "PUT",
            "/order/certificate/1001/revoke",
            status,
            None,
        )
        .await;
        answer(&server, "PUT", "/order/certificate/1002/revoke", 503, None).await;
        let mut cmd = certctl(&env, &server);
        cmd.args(argv(
            "-o json --yes --retries 0 digicert orders revoke 1001 1002 --comment c",
        ));
        let out = run(cmd).await;
        assert_eq!(code(&out), 7, "{status}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["items"][0]["outcome"], "unknown", "{status}: {doc}");
        assert_eq!(
            doc["items"][1]["outcome"], "failed",
            "503 is a refusal: {doc}"
        );
        assert_eq!(received(&server).await.len(), 2, "{status}: nothing resent");
    }
}

#[tokio::test]
async fn one_success_and_one_404_is_partial() {
    let (env, server) = (Env::new(), server().await);
    answer(
        &server,
        "PUT",
        "/order/certificate/1001/revoke",
        201,
        Some("digicert/revoke_request_pending.json"),
    )
    .await;
    answer(
        &server,
        "PUT",
        "/order/certificate/1002/revoke",
        404,
        Some("digicert/error_not_found.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("-o json --yes digicert orders revoke 1001 1002"))
        .args(["--comment", "c"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 3);
    let doc = json(&out);
    assert_eq!(doc["outcome"], "partial");
    assert_eq!(doc["summary"]["succeeded"], 1);
    assert_eq!(doc["summary"]["failed"], 1);
    let items = doc["items"].as_array().expect("items");
    let by_id = |id: &str| {
        items
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_id("1001")["outcome"], "succeeded");
    assert_eq!(by_id("1001")["response"]["status"], "pending");
    assert_eq!(by_id("1002")["outcome"], "failed");
    assert_eq!(by_id("1002")["error"]["kind"], "not_found");
    assert_eq!(by_id("1002")["error"]["http_status"], 404);
}

#[tokio::test]
async fn a_non_integer_id_is_a_usage_error_before_any_request() {
    let (env, server) = (Env::new(), server().await);
    for args in [
        &["orders", "revoke", "1001", "10x2", "--comment", "c"][..],
        &["certificates", "revoke", "0", "--comment", "c"][..],
        &["certificates", "revoke", "0a1b", "--comment", "c"][..],
        &["requests", "show", "abc"][..],
        &["requests", "approve", "1.5"][..],
    ] {
        let mut cmd = certctl(&env, &server);
        cmd.args(["--yes", "digicert"]).args(args);
        let out = run(cmd).await;
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("positive integers"),
            "{}",
            stderr(&out)
        );
    }
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("--yes digicert orders revoke 1001 10x2 --comment c"));
    let out = run(cmd).await;
    assert!(stderr(&out).contains("`10x2`"), "{}", stderr(&out));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_missing_comment_is_a_usage_error() {
    let (env, server) = (Env::new(), server().await);
    for args in [
        &["orders", "revoke", "1001"][..],
        &["certificates", "revoke", "3001"][..],
        &["requests", "reject", "198"][..],
        &["orders", "revoke", "1001", "--comment", "  "][..],
    ] {
        let mut cmd = certctl(&env, &server);
        cmd.args(["--yes", "digicert"]).args(args);
        let out = run(cmd).await;
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains("--comment"), "{}", stderr(&out));
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn dry_run_prints_the_requests_with_the_key_redacted() {
    let (env, server) = (Env::new(), server().await);
    let mut cmd = certctl(&env, &server);
    cmd.args(argv(
        "-o json --dry-run digicert certificates revoke 3001 3002",
    ))
    .args(["--comment", "c", "--reason", "superseded"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["operation"], "certificates.revoke");
    let first = &doc["requests"][0];
    assert_eq!(first["method"], "PUT");
    assert_eq!(
        first["url"],
        format!("{}/certificate/3001/revoke", server.uri())
    );
    assert_eq!(
        first["headers"],
        json!({"x-dc-devkey": "<redacted>", "content-type": "application/json"})
    );
    assert_eq!(
        first["body"],
        json!({"comments": "c", "revocation_reason": "superseded"})
    );
    assert_eq!(doc["requests"].as_array().map(Vec::len), Some(2));

    let mut cmd = certctl(&env, &server);
    cmd.args(["--dry-run", "digicert", "requests", "show", "198", "199"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("GET {}/request/198", server.uri())),
        "{text}"
    );
    assert!(
        text.contains(&format!("GET {}/request/199", server.uri())),
        "{text}"
    );
    assert!(text.contains("x-dc-devkey: <redacted>"), "{text}");
    assert!(text.contains("content-type: application/json"), "{text}");

    assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn the_api_key_never_shows_even_at_vvv() {
    let (env, server) = (Env::new(), server().await);
    answer(
        &server,
        "PUT",
        "/order/certificate/1001/revoke",
        201,
        Some("digicert/revoke_request_pending.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/request/198",
        403,
        Some("digicert/error_invalid_key.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("-vvv --yes digicert orders revoke 1001 --comment c"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("x-dc-devkey: <redacted>"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));

    let mut cmd = certctl(&env, &server);
    cmd.args(["-vvv", "digicert", "requests", "show", "198"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refused the API key"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));
}

#[tokio::test]
async fn revokes_without_yes_on_a_non_terminal_send_nothing() {
    let (env, server) = (Env::new(), server().await);
    for args in [
        &["orders", "revoke", "1001", "--comment", "c"][..],
        &["certificates", "revoke", "3001", "--comment", "c"][..],
    ] {
        let mut cmd = certctl(&env, &server);
        cmd.arg("digicert").args(args);
        let out = run(cmd).await;
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn rate_spaces_the_requests() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(
            fixture("digicert/revoke_request_pending.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let ids: Vec<String> = (1..=10).map(|i| (1000 + i).to_string()).collect();
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("-o json --yes --rate 20 digicert orders revoke"))
        .args(&ids)
        .args(["--comment", "c"]);
    let started = Instant::now();
    let out = run(cmd).await;
    let elapsed = started.elapsed();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(received(&server).await.len(), 10);
    // Ten requests at 20 per second: nine gaps of 50 ms at least.
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
}

#[tokio::test]
async fn requests_show_prints_what_it_found_and_names_what_it_did_not() {
    let (env, server) = (Env::new(), server().await);
    answer(
        &server,
        "GET",
        "/request/198",
        200,
        Some("digicert/request_detail.json"),
    )
    .await;
    answer(
        &server,
        "GET",
        "/request/404",
        404,
        Some("digicert/error_not_found.json"),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "json", "digicert", "requests", "show", "198", "404"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 3);
    assert_eq!(json(&out), json!([fixture_json("request_detail.json")]));
    assert!(stderr(&out).contains("request 404"), "{}", stderr(&out));
}
