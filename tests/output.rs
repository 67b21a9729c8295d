//! The output contract: the JSON Schemas of `schemas/` compile and can fail, every
//! `-o json` output is one compact line, every NDJSON line has a `type`, and text
//! output honours `-q` and shows a batch's shared answer once.

use serde_json::json;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

/// certctl against the emulator built into this run, with no rate limit.
fn sandboxed(env: &Env, args: &[&str]) -> assert_cmd::Command {
    let mut c = env.cmd();
    c.args(["--sandbox", "--rate", "0"]).args(args);
    c
}

/// certctl with BCdiploma pointed at `server`.
fn bcdiploma(env: &Env, server: &wiremock::MockServer) -> assert_cmd::Command {
    let mut c = env.cmd();
    c.env("CERTCTL_BCDIPLOMA_BASE_URL", server.uri())
        .env("CERTCTL_BCDIPLOMA_TOKEN", "bcd-token")
        .args(["--rate", "0"]);
    c
}

#[test]
fn every_schema_compiles_and_the_readme_names_it() {
    let contract = contract();
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    assert!(contract.index.len() >= 11, "{:?}", contract.index.keys());
    for name in contract.index.keys() {
        assert!(
            readme.contains(&format!("schemas/{name}")),
            "README.md does not name schemas/{name}"
        );
    }
}

/// What a broken document gets wrong, and how it is broken.
type Breakage = (&'static str, fn(&mut serde_json::Value));

#[test]
fn a_broken_report_fails_its_schema() {
    let good = json!({
        "provider": "bcdiploma", "operation": "certificates.disable", "profile": "default",
        "dry_run": false, "run_id": "01JD5Z3N4W8Q6T2R9V7X1Y3B5C",
        "items": [
            {"id": "k1", "outcome": "succeeded", "response": {"message": "1 certificates disabled."}},
            {"id": "k2", "outcome": "failed", "error": {"kind": "rejected", "http_status": 400, "message": "no"}}
        ],
        "summary": {"total": 2, "succeeded": 1, "failed": 1, "unknown": 0, "skipped": 0},
        "outcome": "partial", "interrupted": false
    });
    assert_eq!(validate(&good, "operation.json"), Ok(()));
    let breakages: [Breakage; 7] = [
        ("no run_id", |d| {
            d.as_object_mut().unwrap().remove("run_id");
        }),
        ("an unknown run outcome", |d| d["outcome"] = json!("ok")),
        ("a failed item without its error", |d| {
            d["items"][1].as_object_mut().unwrap().remove("error");
        }),
        ("a succeeded item with an error", |d| {
            d["items"][0]["error"] = json!({"kind": "auth", "message": "x"});
        }),
        ("an error kind outside the list", |d| {
            d["items"][1]["error"]["kind"] = json!("teapot")
        }),
        ("a field nobody documented", |d| d["extra"] = json!(1)),
        ("a negative count", |d| d["summary"]["failed"] = json!(-1)),
    ];
    for (what, breaks) in breakages {
        let mut doc = good.clone();
        breaks(&mut doc);
        assert!(validate(&doc, "operation.json").is_err(), "{what} passed");
    }
    let leaked = json!({"dry_run": true, "provider": "digicert", "operation": "orders.revoke",
        "requests": [{"method": "PUT", "url": "https://h/order/certificate/1/revoke",
                      "headers": {"x-dc-devkey": "the-real-key"}}]});
    assert!(
        validate(&leaked, "dry-run.json").is_err(),
        "a shown secret passed"
    );
    let untyped =
        json!({"id": "k1", "outcome": "succeeded", "run_id": "01JD5Z3N4W8Q6T2R9V7X1Y3B5C"});
    assert!(validate(&untyped, "operation-line.json").is_err());
    assert_eq!(line_schema_of(&untyped), None);
}

/// Every `-o json` output: one compact line, then a newline.
fn assert_one_compact_line(out: &std::process::Output, what: &str) {
    let text = stdout(out);
    assert!(text.ends_with('\n'), "{what}: {text:?}");
    assert_eq!(text.lines().count(), 1, "{what}: {text}");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(text.trim_end(), value.to_string(), "{what}: not compact");
}

#[tokio::test]
async fn every_json_output_is_one_compact_line_that_follows_its_schema() {
    let env = Env::new();
    let cases: [(&[&str], &str); 8] = [
        (&["version"], "version.json"),
        (&["config", "show"], "config-show.json"),
        (&["check"], "check.json"),
        (&["sertifika", "templates", "list"], "read.json"),
        (
            &[
                "--dry-run",
                "digicert",
                "orders",
                "revoke",
                "10001",
                "--comment",
                "c",
            ],
            "dry-run.json",
        ),
        (
            &[
                "--yes",
                "digicert",
                "orders",
                "revoke",
                "10001",
                "--comment",
                "c",
            ],
            "operation.json",
        ),
        (&["journal", "list"], "journal-list.json"),
        (
            &[
                "bcdiploma",
                "certificates",
                "disable",
                "--campaign",
                "demo-campaign",
            ],
            "operation.json",
        ),
    ];
    for (args, schema) in cases {
        let mut c = sandboxed(&env, &["-o", "json"]);
        c.args(args);
        let out = run(c).await;
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert_one_compact_line(&out, &format!("{args:?}"));
        let value = json_valid(&out, schema);
        assert_eq!(schema_of(&value), schema, "{args:?}: shape told wrongly");
    }
    let mut c = sandboxed(&env, &["-o", "json", "journal", "list"]);
    c.args(["--limit", "1"]);
    let run_id = json(&run(c).await)[0]["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(sandboxed(&env, &["-o", "json", "journal", "show", &run_id])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_one_compact_line(&out, "journal show");
    assert_eq!(
        schema_of(&json_valid(&out, "journal-show.json")),
        "journal-show.json"
    );
}

#[tokio::test]
async fn every_ndjson_line_has_a_type_and_follows_its_schema() {
    let env = Env::new();
    let cases: [(&[&str], &[&str]); 5] = [
        (&["sertifika", "templates", "list"], &["item"]),
        (&["check"], &["item"]),
        (&["version"], &["item"]),
        (
            &[
                "--dry-run",
                "bcdiploma",
                "certificates",
                "disable",
                "k1",
                "k2",
                "--batch-size",
                "1",
            ],
            &["request", "request", "summary"],
        ),
        (
            &[
                "--yes",
                "digicert",
                "orders",
                "revoke",
                "10001",
                "10002",
                "--comment",
                "c",
            ],
            &["item", "item", "summary"],
        ),
    ];
    for (args, types) in cases {
        let mut c = sandboxed(&env, &["-o", "ndjson"]);
        c.args(args);
        let out = run(c).await;
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        let lines = ndjson(&out);
        let seen: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
        if types == ["item"] {
            assert!(
                !seen.is_empty() && seen.iter().all(|t| *t == "item"),
                "{args:?}: {seen:?}"
            );
        } else {
            assert_eq!(seen, types, "{args:?}");
        }
    }
    // A provider's own `type` field survives: the element is wrapped, not changed.
    let out = run(sandboxed(
        &env,
        &["-o", "ndjson", "digicert", "requests", "show", "1"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = ndjson(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["type"], "item");
    assert_eq!(lines[0]["data"]["id"], 1);
    assert_eq!(lines[0]["data"]["type"], "revoke");
}

/// A BCdiploma server answering 400 for the key `bad` and 200 with a message for
/// every other batch.
async fn disable_server() -> wiremock::MockServer {
    let server = server().await;
    Mock::given(method("PUT"))
        .and(body_string_contains("\"bad\""))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"message": "Unknown certificate key: bad"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"message": "certificates disabled."})),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn quiet_text_keeps_failures_and_the_summary_only() {
    let (env, server) = (Env::new(), disable_server().await);
    let keys = ["k1", "bad", "k2"];
    let mut c = bcdiploma(&env, &server);
    c.args(argv("-q bcdiploma certificates disable --batch-size 1"))
        .args(keys);
    let out = run(c).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("failed     bad  rejected (HTTP 400)"),
        "{text}"
    );
    assert!(lines[1].contains("2 succeeded, 1 failed"), "{text}");

    let mut c = bcdiploma(&env, &server);
    c.args(["bcdiploma", "certificates", "disable", "--batch-size", "1"])
        .args(keys);
    let loud = stdout(&run(c).await);
    assert_eq!(
        loud.lines().filter(|l| l.starts_with("succeeded")).count(),
        2,
        "{loud}"
    );

    // -q changes nothing in JSON and NDJSON.
    for format in ["json", "ndjson"] {
        let mut c = bcdiploma(&env, &server);
        c.args(["-q", "-o", format, "bcdiploma", "certificates", "disable"])
            .args(["--batch-size", "1"])
            .args(keys);
        let out = run(c).await;
        let succeeded = if format == "json" {
            json(&out)["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["outcome"] == "succeeded")
                .count()
        } else {
            ndjson(&out)
                .iter()
                .filter(|l| l["type"] == "item" && l["outcome"] == "succeeded")
                .count()
        };
        assert_eq!(succeeded, 2, "{format}");
    }
}

#[tokio::test]
async fn a_batch_shows_its_answer_once() {
    let (env, server) = (Env::new(), disable_server().await);
    let keys: Vec<String> = (1..=10).map(|n| format!("key{n}")).collect();
    for (batch, messages) in [("10", 1), ("5", 2), ("1", 10)] {
        let mut c = bcdiploma(&env, &server);
        c.args([
            "bcdiploma",
            "certificates",
            "disable",
            "--batch-size",
            batch,
        ])
        .args(&keys);
        let out = run(c).await;
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let text = stdout(&out);
        let items: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("succeeded"))
            .collect();
        assert_eq!(items.len(), 10, "{text}");
        assert_eq!(
            text.matches("message=certificates disabled.").count(),
            messages,
            "batches of {batch}:\n{text}"
        );
        // The answer sits on the first line of each batch.
        assert!(
            items[0].ends_with("message=certificates disabled."),
            "{text}"
        );
    }
    // JSON keeps the answer on every item: each item stands alone there.
    let mut c = bcdiploma(&env, &server);
    c.args(["-o", "json", "bcdiploma", "certificates", "disable"])
        .args(&keys);
    let doc = json(&run(c).await);
    let items = doc["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|i| i["response"]["message"] == "certificates disabled.")
    );
}
