//! BCdiploma end to end against wiremock: exact requests, batching, errors, exit codes.

use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

const TOKEN: &str = BCDIPLOMA.secret;
const KEY1: &str = "12DC1EBEFDC201FF016C34680C411E85C3EBEB190F1C175327426A4F799A5834cUxBYXA3Q1pzcmh4OUJRV2Z3YVRhbjRCeG00SU9DNnFjYmMvbFk4MUFMeW5qZFlK";
const KEY2: &str = "EE064BB1D32EA96869818860B42C5499B9562B9A35D0C99E9F58E6578D87E5B1WWg2YzJEVFNobS9BZmIyNGYzWkU1aVF5V3lEUEtOS0J3UDlMODd5bFlXektlNnNh";

/// certctl pointed at `server`, unpaced, with JSON output.
fn cmd(env: &Env, server: &wiremock::MockServer) -> assert_cmd::Command {
    let mut c = BCDIPLOMA.cmd(env, &server.uri());
    c.args(argv("--rate 0 -o json"));
    c
}

#[tokio::test]
async fn delete_sends_keys_as_a_json_array_with_bearer_token() {
    let (env, server) = (Env::new(), server().await);
    respond(&server, "DELETE", "/admin/keys", ResponseTemplate::new(200)).await;
    let mut c = cmd(&env, &server);
    c.args(["--yes", "bcdiploma", "certificates", "delete", KEY1, KEY2]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        header(&reqs[0], "authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(header(&reqs[0], "content-type"), Some("application/json"));
    assert!(header(&reqs[0], "user-agent").is_some_and(|ua| ua.starts_with("certctl/")));
    assert_eq!(body_json(&reqs[0]), json!([KEY1, KEY2]));
    let doc = json(&out);
    assert_eq!(doc["provider"], "bcdiploma");
    assert_eq!(doc["operation"], "certificates.delete");
    assert_eq!(doc["dry_run"], false);
    assert_eq!(doc["outcome"], "succeeded");
    assert_eq!(
        doc["summary"],
        json!({"total": 2, "succeeded": 2, "failed": 0, "unknown": 0, "skipped": 0})
    );
    assert_eq!(doc["items"][0], json!({"id": KEY1, "outcome": "succeeded"}));
    assert!(doc["run_id"].as_str().is_some_and(|id| id.len() == 26));
}

#[tokio::test]
async fn keys_go_in_batches_of_batch_size() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .and(path("/admin/keys"))
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&server)
        .await;
    let keys: String = (0..250).map(|i| format!("key-{i:04}\n")).collect();
    let file = env.file("keys.txt", &keys);
    let mut c = cmd(&env, &server);
    c.args(["bcdiploma", "certificates", "disable", "--from"])
        .arg(&file);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut sizes: Vec<usize> = received(&server)
        .await
        .iter()
        .map(|r| {
            let b = body_json(r);
            assert_eq!(b["enable"], false);
            b["ids"].as_array().map_or(0, Vec::len)
        })
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [50, 100, 100]);
    assert_eq!(json(&out)["summary"]["succeeded"], 250);
}

#[tokio::test]
async fn ids_from_a_file_are_trimmed_commented_and_deduplicated() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let mut c = cmd(&env, &server);
    c.args(["bcdiploma", "certificates", "enable", "--from"])
        .arg(fixture_path("bcdiploma/keys.txt"));
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reqs = received(&server).await;
    assert_eq!(
        body_json(&reqs[0]),
        json!({"ids": [KEY1, KEY2], "enable": true})
    );
    assert!(
        stderr(&out).contains("duplicate ID dropped") && stderr(&out).contains(KEY1),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn ids_from_standard_input() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let mut c = cmd(&env, &server);
    c.args(["bcdiploma", "certificates", "disable", "k0", "--from", "-"])
        .write_stdin("k1\n\n# c\nk2\n");
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        body_json(&received(&server).await[0])["ids"],
        json!(["k0", "k1", "k2"])
    );
}

#[tokio::test]
async fn campaign_disable_is_one_request_and_keys_with_campaign_carry_both() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let mut c = cmd(&env, &server);
    c.args(argv(
        "bcdiploma certificates disable --campaign demo-campaign",
    ));
    assert_eq!(code(&run(c).await), 0);
    let mut c = cmd(&env, &server);
    c.args(argv(
        "bcdiploma certificates enable k1 --campaign demo-campaign",
    ));
    assert_eq!(code(&run(c).await), 0);
    let reqs = received(&server).await;
    assert_eq!(
        body_json(&reqs[0]),
        json!({"campaignId": "demo-campaign", "enable": false})
    );
    assert_eq!(
        body_json(&reqs[1]),
        json!({"ids": ["k1"], "campaignId": "demo-campaign", "enable": true})
    );
}

#[tokio::test]
async fn delete_history_encodes_the_campaign_and_expects_204() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("DELETE"))
        .and(path("/admin/campaign"))
        .and(query_param("campaignId", "camp 1/&x"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let mut c = cmd(&env, &server);
    c.args(argv("--yes bcdiploma campaigns delete-history"))
        .arg("camp 1/&x");
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["operation"], "campaigns.delete_history");
    let url = received(&server).await[0].url.clone();
    assert_eq!(url.query(), Some("campaignId=camp+1%2F%26x"));
}

/// Each status the API can answer, with the exit code and error kind it must give.
#[tokio::test]
async fn error_statuses_map_to_exit_codes_and_kinds() {
    let cases: [(u16, &str, i32, &str); 7] = [
        (400, "bcdiploma/error_unknown_key.json", 1, "rejected"),
        (401, "bcdiploma/error_unauthorized.json", 4, "auth"),
        (403, "bcdiploma/error_forbidden.json", 4, "auth"),
        (404, "bcdiploma/error_unknown_key.json", 5, "not_found"),
        (429, "bcdiploma/error_unknown_key.json", 6, "transient"),
        (500, "bcdiploma/error_gateway.html", 6, "transient"),
        (503, "bcdiploma/error_gateway.html", 6, "transient"),
    ];
    for (status, body, exit, kind) in cases {
        let (env, server) = (Env::new(), server().await);
        Mock::given(method("PUT"))
            .respond_with(
                ResponseTemplate::new(status).set_body_raw(fixture(body), "application/json"),
            )
            .mount(&server)
            .await;
        let mut c = cmd(&env, &server);
        c.args(argv("--retries 0 bcdiploma certificates disable k1"));
        let out = run(c).await;
        assert_eq!(code(&out), exit, "status {status}: {}", stderr(&out));
        let doc = json(&out);
        let err = &doc["items"][0]["error"];
        assert_eq!(err["kind"], kind, "status {status}");
        assert_eq!(err["http_status"], status, "status {status}");
        assert_eq!(doc["outcome"], "failed");
        if body.ends_with(".json") {
            let message: serde_json::Value = serde_json::from_str(&fixture(body)).unwrap();
            assert_eq!(err["message"], message["message"], "status {status}");
        } else {
            assert!(
                !err["message"].as_str().unwrap().contains("<html>"),
                "status {status}"
            );
        }
    }
}

#[tokio::test]
async fn a_redirect_is_refused_not_followed() {
    let (env, server) = (Env::new(), server().await);
    let other = server_other().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/admin/keys", other.uri())),
        )
        .mount(&server)
        .await;
    let mut c = cmd(&env, &server);
    c.args(["bcdiploma", "certificates", "disable", "k1"]);
    let out = run(c).await;
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(json(&out)["items"][0]["error"]["kind"], "refused");
    assert!(
        received(&other).await.is_empty(),
        "the redirect target was contacted"
    );
}

async fn server_other() -> wiremock::MockServer {
    server().await
}

#[tokio::test]
async fn retries_after_503_and_after_429_with_retry_after() {
    for (status, retry_after) in [(503u16, None), (429, Some("1"))] {
        let (env, server) = (Env::new(), server().await);
        let mut first = ResponseTemplate::new(status);
        if let Some(v) = retry_after {
            first = first.insert_header("retry-after", v);
        }
        Mock::given(method("PUT"))
            .respond_with(first)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(200))
            .with_priority(2)
            .mount(&server)
            .await;
        let mut c = cmd(&env, &server);
        c.args(["bcdiploma", "certificates", "disable", "k1"]);
        let started = std::time::Instant::now();
        let out = run(c).await;
        assert_eq!(code(&out), 0, "{status}: {}", stderr(&out));
        assert_eq!(received(&server).await.len(), 2, "{status}");
        if retry_after.is_some() {
            assert!(
                started.elapsed() >= std::time::Duration::from_millis(950),
                "Retry-After not honoured"
            );
        }
    }
}

#[tokio::test]
async fn no_retry_after_500() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let mut c = cmd(&env, &server);
    c.args(["bcdiploma", "certificates", "disable", "k1"]);
    let out = run(c).await;
    assert_eq!(code(&out), 6);
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn mixed_batches_are_partial() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            fixture("bcdiploma/error_unknown_key.json"),
            "application/json",
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    let mut c = cmd(&env, &server);
    c.args(argv(
        "--concurrency 1 bcdiploma certificates disable --batch-size 2 a b c",
    ));
    let out = run(c).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["outcome"], "partial");
    assert_eq!(
        doc["summary"],
        json!({"total": 3, "succeeded": 2, "failed": 1, "unknown": 0, "skipped": 0})
    );
    assert_eq!(doc["items"][2]["id"], "c");
    assert_eq!(doc["items"][2]["outcome"], "failed");
}

#[tokio::test]
async fn dry_run_prints_exact_requests_and_sends_nothing() {
    let (env, server) = (Env::new(), server().await);
    let mut c = cmd(&env, &server);
    c.args(argv(
        "--dry-run bcdiploma certificates delete k1 k2 --batch-size 1",
    ));
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(received(&server).await.is_empty());
    let doc = json(&out);
    assert_eq!(
        doc,
        json!({"dry_run": true, "provider": "bcdiploma", "operation": "certificates.delete", "requests": [
            {"method": "DELETE", "url": format!("{}/admin/keys", server.uri()),
             "headers": {"authorization": "<redacted>", "content-type": "application/json"}, "body": ["k1"]},
            {"method": "DELETE", "url": format!("{}/admin/keys", server.uri()),
             "headers": {"authorization": "<redacted>", "content-type": "application/json"}, "body": ["k2"]}
        ]})
    );
    let mut c = cmd(&env, &server);
    c.args(argv("-o text -n bcdiploma campaigns delete-history c1"));
    let out = run(c).await;
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains(&format!(
        "DELETE {}/admin/campaign?campaignId=c1",
        server.uri()
    )));
    assert!(!stdout(&out).contains(TOKEN));
}

#[tokio::test]
async fn ndjson_streams_items_then_a_summary() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let mut c = cmd(&env, &server);
    c.args(argv(
        "-o ndjson bcdiploma certificates disable a b --batch-size 1",
    ));
    let out = run(c).await;
    assert_eq!(code(&out), 0);
    let lines = ndjson(&out);
    assert_eq!(lines.len(), 3);
    assert!(
        lines[..2]
            .iter()
            .all(|l| l["type"] == "item" && l["outcome"] == "succeeded")
    );
    assert_eq!(lines[2]["type"], "summary");
    assert_eq!(lines[2]["summary"]["succeeded"], 2);
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let (env, server) = (Env::new(), server().await);
    let cases: [&[&str]; 4] = [
        &["bcdiploma", "certificates", "disable"],
        &[
            "bcdiploma",
            "certificates",
            "disable",
            "--from",
            "/nonexistent/keys.txt",
        ],
        &[
            "bcdiploma",
            "certificates",
            "disable",
            "k1",
            "--batch-size",
            "0",
        ],
        &[
            "--concurrency",
            "0",
            "bcdiploma",
            "certificates",
            "disable",
            "k1",
        ],
    ];
    for args in cases {
        let mut c = cmd(&env, &server);
        c.args(args);
        let out = run(c).await;
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_missing_token_names_the_ways_to_set_it() {
    let env = Env::new();
    let mut c = env.cmd();
    c.args(["bcdiploma", "certificates", "disable", "k1"]);
    let out = run(c).await;
    assert_eq!(code(&out), 4);
    let err = stderr(&out);
    for way in ["token", "token_file", "CERTCTL_BCDIPLOMA_TOKEN"] {
        assert!(err.contains(way), "{way} missing from: {err}");
    }
}

#[tokio::test]
async fn an_unreachable_host_is_temporary() {
    let env = Env::new();
    let mut c = env.cmd();
    c.env("CERTCTL_BCDIPLOMA_BASE_URL", "http://127.0.0.1:9")
        .env("CERTCTL_BCDIPLOMA_TOKEN", TOKEN)
        .args(argv(
            "--retries 0 -o json bcdiploma certificates disable k1",
        ));
    let out = run(c).await;
    assert_eq!(code(&out), 6);
    assert_eq!(json(&out)["items"][0]["error"]["kind"], "transient");
}
