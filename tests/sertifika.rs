//! Sertifika Merkezi against wiremock: the exact requests (paths with company and
//! userCode, the bare `authorization` token), read tables and JSON, issuing from a
//! CSV (checked against the template first, per-row outcomes), revoking, dry runs.

use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::*;

const TOKEN: &str = SERTIFIKA.secret;
const COMPANY: &str = SERTIFIKA.extra[0].1;
const TID: &str = "64c9f080-2314-4f02-a43c-923d83e8e444";
/// python3 -c 'import hashlib; print(hashlib.md5(b"jane.doe@example.com").hexdigest())'
const JANE_CODE: &str = "0cba00ca3da1b283a57287bcceb17e35";
/// python3 -c 'import hashlib; print(hashlib.md5(b"john.doe@example.com").hexdigest())'
const JOHN_CODE: &str = "8eb1b522f60d11fa897de1dc6351b7e8";

/// certctl pointed at `server`, with no retries.
fn cmd(env: &Env, server: &MockServer) -> assert_cmd::Command {
    let mut cmd = SERTIFIKA.cmd(env, &server.uri());
    cmd.args(["--retries", "0"]);
    cmd
}

/// Answers `verb at` with `status` and a Sertifika fixture.
async fn answer_with(server: &MockServer, verb: &str, at: &str, status: u16, name: &str) {
    answer(server, verb, at, status, Some(&format!("sertifika/{name}"))).await;
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(&format!("sertifika/{name}"))).expect("fixture JSON")
}

/// The path of a Sertifika fixture, as a command-line argument.
fn sertifika_fixture(name: &str) -> String {
    fixture_path(&format!("sertifika/{name}"))
        .display()
        .to_string()
}

/// Every request carried exactly the token, with no scheme.
fn assert_token(requests: &[wiremock::Request]) {
    for r in requests {
        assert_eq!(header(r, "authorization"), Some(TOKEN), "{}", r.url);
    }
}

fn paths(requests: &[wiremock::Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

#[tokio::test]
async fn templates_list_sends_the_company_and_prints_a_table() {
    let server = server().await;
    let at = format!("/api/v1.0/company/{COMPANY}/certificate");
    answer_with(&server, "GET", &at, 200, "templates.json").await;
    let env = Env::new();

    let mut c = cmd(&env, &server);
    c.args(["sertifika", "templates", "list", "-vvv"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["ID", "NAME"]
    );
    assert!(lines[1].starts_with(&format!("{TID}  ")), "{text}");
    assert!(lines[1].ends_with("Advancity Test Sertifikası"), "{text}");
    assert!(!text.contains(TOKEN) && !stderr(&out).contains(TOKEN));

    let mut c = cmd(&env, &server);
    c.args(["sm", "templates", "list", "-o", "json"]);
    let out = run(c).await;
    assert_eq!(json(&out), fixture_json("templates.json"));

    let requests = received(&server).await;
    assert_eq!(paths(&requests), [format!("GET {at}"), format!("GET {at}")]);
    assert_token(&requests);
}

#[tokio::test]
async fn templates_show_lists_property_keys() {
    let server = server().await;
    let at = format!("/api/v1.0/certificate/{TID}");
    answer_with(&server, "GET", &at, 200, "template_detail.json").await;
    let env = Env::new();
    let mut c = cmd(&env, &server);
    c.args(["sm", "templates", "show", TID]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("template {TID}")), "{text}");
    assert!(text.contains("PROPERTY KEY"), "{text}");
    assert!(text.contains("alias_1434977880189") && text.contains("alias_1434977884195"));
    let requests = received(&server).await;
    assert_eq!(paths(&requests), [format!("GET {at}")]);
    assert_token(&requests);
}

#[tokio::test]
async fn users_are_addressed_by_the_md5_of_the_normalised_email() {
    let server = server().await;
    answer_with(
        &server,
        "GET",
        &format!("/api/v1.0/company/{COMPANY}/user/"),
        200,
        "users.json",
    )
    .await;
    answer_with(
        &server,
        "GET",
        &format!("/api/v1.0/company/{COMPANY}/user/{JANE_CODE}"),
        200,
        "users.json",
    )
    .await;
    let env = Env::new();

    let mut c = cmd(&env, &server);
    c.args(["sm", "users", "list"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["NAME", "SURNAME", "EMAIL"]
    );
    assert!(text.contains("Yılmaz") && text.contains("ayse.yilmaz@example.com"));

    let mut c = cmd(&env, &server);
    c.args(["sm", "users", "show", "  Jane.DOE@Example.com "]);
    assert_eq!(code(&run(c).await), 0);
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "sm -o json users show --user-code {JANE_CODE}"
    )));
    let out = run(c).await;
    assert_eq!(json(&out), fixture_json("users.json"));

    let requests = received(&server).await;
    assert_eq!(
        paths(&requests),
        [
            format!("GET /api/v1.0/company/{COMPANY}/user/"),
            format!("GET /api/v1.0/company/{COMPANY}/user/{JANE_CODE}"),
            format!("GET /api/v1.0/company/{COMPANY}/user/{JANE_CODE}"),
        ]
    );
    assert_token(&requests);
}

#[tokio::test]
async fn certificates_list_has_three_forms() {
    let server = server().await;
    answer_with(
        &server,
        "GET",
        &format!("/api/v1.0/user/{JOHN_CODE}/certificate"),
        200,
        "user_certificates.json",
    )
    .await;
    answer_with(
        &server,
        "GET",
        &format!("/api/v1.0/certificate/{TID}/user"),
        200,
        "template_users.json",
    )
    .await;
    answer_with(
        &server,
        "GET",
        &format!("/api/v1.0/certificate/{TID}/user/{JOHN_CODE}"),
        200,
        "template_users.json",
    )
    .await;
    let env = Env::new();

    let mut c = cmd(&env, &server);
    c.args(argv("sm certificates list --email John.Doe@example.com"));
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("CONNECTION ID"), "{}", stdout(&out));
    assert!(stdout(&out).contains("04335e89-c46e-4310-b41a-923d83e8e444"));

    let mut c = cmd(&env, &server);
    c.args(["sm", "certificates", "list", "--template", TID]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("CREATED") && text.contains("Aug 31 2015 11:42AM"),
        "{text}"
    );

    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "sm -o json certificates list --template {TID} --user-code {JOHN_CODE}"
    )));
    let out = run(c).await;
    assert_eq!(json(&out), fixture_json("template_users.json"));

    let requests = received(&server).await;
    assert_eq!(
        paths(&requests),
        [
            format!("GET /api/v1.0/user/{JOHN_CODE}/certificate"),
            format!("GET /api/v1.0/certificate/{TID}/user"),
            format!("GET /api/v1.0/certificate/{TID}/user/{JOHN_CODE}"),
        ]
    );
    assert_token(&requests);
}

#[tokio::test]
async fn read_errors_map_to_exit_codes() {
    let server = server().await;
    respond(
        &server,
        "GET",
        format!("/api/v1.0/company/{COMPANY}/certificate"),
        ResponseTemplate::new(401)
            .set_body_json(json!({"Message": "Authorization has been denied for this request."})),
    )
    .await;
    respond(
        &server,
        "GET",
        format!("/api/v1.0/certificate/{TID}"),
        ResponseTemplate::new(404),
    )
    .await;
    let env = Env::new();

    let mut c = cmd(&env, &server);
    c.args(["sm", "templates", "list"]);
    let out = run(c).await;
    assert_eq!(code(&out), 4);
    assert!(
        stderr(&out).contains("Authorization has been denied"),
        "{}",
        stderr(&out)
    );

    let mut c = cmd(&env, &server);
    c.args(["sm", "templates", "show", TID]);
    assert_eq!(code(&run(c).await), 5);

    // Bad values are refused before any request, naming them.
    for args in [
        &["sm", "templates", "show", "64c9f080-2314"][..],
        &["sm", "users", "show", "jane doe@example.com"][..],
        &["sm", "users", "show", "--user-code", "xyz"][..],
        &[
            "sm",
            "--yes",
            "certificates",
            "revoke",
            "--template",
            TID,
            "john.doe@example.com",
            "not-an-email",
        ][..],
    ] {
        let mut c = cmd(&env, &server);
        c.args(args);
        let out = run(c).await;
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let bad = args.iter().rev().find(|a| !a.starts_with('-')).unwrap();
        assert!(
            stderr(&out).contains(bad.trim()),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(received(&server).await.len(), 2);

    // company_id is asked for only where it is needed.
    let mut c = env.cmd();
    c.env("CERTCTL_SERTIFIKA_BASE_URL", server.uri())
        .env("CERTCTL_SERTIFIKA_TOKEN", TOKEN)
        .args(["sm", "templates", "list"]);
    let out = run(c).await;
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("company_id"), "{}", stderr(&out));
}

async fn issue_server(result_fixture: &str) -> MockServer {
    let server = server().await;
    answer_with(
        &server,
        "GET",
        &format!("/api/v1.0/certificate/{TID}"),
        200,
        "template_detail.json",
    )
    .await;
    answer_with(
        &server,
        "POST",
        "/api/v1.0/certificate/",
        200,
        result_fixture,
    )
    .await;
    server
}

#[tokio::test]
async fn issue_posts_the_rows_with_turkish_characters_intact() {
    let server = issue_server("issue_all_success.json").await;
    let env = Env::new();
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "-o json sm certificates issue --template {TID} --from"
    )))
    .arg(sertifika_fixture("issue_ok.csv"));
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["operation"], "certificates.issue");
    assert_eq!(report["summary"]["succeeded"], 3);
    let ids: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "ayse.yilmaz@example.com",
            "cagri.gunes@example.com",
            "ismail.ozturk@example.com"
        ]
    );

    let requests = received(&server).await;
    assert_eq!(
        paths(&requests),
        [
            format!("GET /api/v1.0/certificate/{TID}"),
            "POST /api/v1.0/certificate/".to_string()
        ]
    );
    assert_token(&requests);
    let post = &requests[1];
    assert_eq!(header(post, "content-type"), Some("application/json"));
    // The bytes on the wire are UTF-8, not escapes.
    let raw = String::from_utf8(post.body.clone()).expect("UTF-8 body");
    assert!(
        raw.contains("Öğr. Gör. Şükrü Çelik") && raw.contains("İsmail"),
        "{raw}"
    );
    let k1 = "alias_1434977880189";
    let k2 = "alias_1434977884195";
    assert_eq!(
        body_json(post),
        json!({"certificateItem": [
            {"id": TID, "Name": "Ayşe", "Surname": "Yılmaz", "Email": "ayse.yilmaz@example.com",
             "Hour": 1.5, "Point": 90, "Educator": "Öğr. Gör. Şükrü Çelik",
             "Properties": [{"key": k1, "value": "İleri Düzey"}, {"key": k2, "value": "Ağustos 2025"}],
             "metaTag": [{"value": "istanbul"}, {"value": "çevrimiçi"}]},
            {"id": TID, "Name": "Çağrı", "Surname": "Güneş", "Email": "cagri.gunes@example.com",
             "Hour": 2, "Point": 85,
             "Properties": [{"key": k1, "value": "Başlangıç"}, {"key": k2, "value": "Eylül 2025"}]},
            {"id": TID, "Name": "İsmail", "Surname": "Öztürk", "Email": "ismail.ozturk@example.com",
             "Properties": [{"key": k1, "value": "Orta"}, {"key": k2, "value": "Ekim 2025"}],
             "metaTag": [{"value": "ankara"}]}
        ]})
    );
}

#[tokio::test]
async fn issue_batches_follow_batch_size() {
    let server = issue_server("issue_mixed.json").await;
    let env = Env::new();
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "-o json sm certificates issue --template {TID} --batch-size 2 --from"
    )))
    .arg(sertifika_fixture("issue_ok.csv"));
    let out = run(c).await;
    // Each answer lists three rows for a batch of two or one: unreadable, never
    // guessed, and since issuing is not safe to repeat, unknown.
    let report = json(&out);
    assert!(
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["error"]["kind"] == "invalid_response" && i["outcome"] == "unknown"),
        "{report}"
    );
    assert_eq!(code(&out), 7);
    let posts: Vec<usize> = received(&server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| body_json(r)["certificateItem"].as_array().unwrap().len())
        .collect();
    assert_eq!(posts, [2, 1]);
}

#[tokio::test]
async fn issue_reports_each_row_of_a_mixed_answer() {
    let server = issue_server("issue_mixed.json").await;
    let env = Env::new();
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "-o json sm certificates issue --template {TID} --from"
    )))
    .arg(sertifika_fixture("issue_ok.csv"));
    let out = run(c).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["outcome"], "partial");
    let items = report["items"].as_array().unwrap();
    assert_eq!(items[0]["outcome"], "succeeded");
    assert_eq!(items[0]["response"], "1-success-ayse.yilmaz@example.com");
    assert_eq!(items[1]["id"], "cagri.gunes@example.com");
    assert_eq!(items[1]["outcome"], "failed");
    assert_eq!(items[1]["error"]["kind"], "rejected");
    assert_eq!(
        items[1]["error"]["message"],
        "2-error-cagri.gunes@example.com-User could not be created"
    );
    assert_eq!(items[2]["outcome"], "succeeded");
    // Not idempotent: one POST, never repeated.
    assert_eq!(
        received(&server)
            .await
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_bad_csv_is_refused_with_every_mistake_and_nothing_posted() {
    let server = issue_server("issue_all_success.json").await;
    let env = Env::new();
    let mut c = cmd(&env, &server);
    c.args(["sm", "certificates", "issue", "--template", TID, "--from"])
        .arg(sertifika_fixture("issue_three_mistakes.csv"));
    let out = run(c).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("prop:alias_nope"), "{err}");
    assert!(err.contains("line 3: `name` is empty"), "{err}");
    assert!(
        err.contains("line 4: `hour` is not a number: `bir`"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    let requests = received(&server).await;
    assert_eq!(
        paths(&requests),
        [format!("GET /api/v1.0/certificate/{TID}")]
    );
}

#[tokio::test]
async fn issue_dry_runs_send_nothing() {
    let server = issue_server("issue_all_success.json").await;
    let env = Env::new();
    let template_file = env.file("template.json", &fixture("sertifika/template_detail.json"));

    // Without --template-file: the CSV's own shape, and a note that the template check was skipped.
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "-n -o json sm certificates issue --template {TID} --from"
    )))
    .arg(sertifika_fixture("issue_ok.csv"));
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["dry_run"], true);
    let requests = report["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["method"], "POST");
    assert_eq!(
        requests[0]["url"],
        format!("{}/api/v1.0/certificate/", server.uri())
    );
    assert_eq!(requests[0]["headers"]["authorization"], "<redacted>");
    assert_eq!(requests[0]["body"]["certificateItem"][0]["Name"], "Ayşe");
    assert!(
        report["notes"][0]
            .as_str()
            .unwrap()
            .contains("template check was skipped"),
        "{report}"
    );
    assert!(!stdout(&out).contains(TOKEN));

    // With --template-file: checked against it, no note.
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "--dry-run -o json sm certificates issue --template {TID} --from"
    )))
    .arg(sertifika_fixture("issue_ok.csv"))
    .arg("--template-file")
    .arg(&template_file);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(json(&out).get("notes").is_none());

    // ... and a file that does not fit it is refused.
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "--dry-run sm certificates issue --template {TID} --from"
    )))
    .arg(sertifika_fixture("issue_three_mistakes.csv"))
    .arg("--template-file")
    .arg(&template_file);
    let out = run(c).await;
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("prop:alias_nope"), "{}", stderr(&out));

    // Text mode prints the POST and the note.
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "--dry-run sm certificates issue --template {TID} --from"
    )))
    .arg(sertifika_fixture("issue_ok.csv"));
    let out = run(c).await;
    let text = stdout(&out);
    assert!(
        text.contains(&format!("POST {}/api/v1.0/certificate/", server.uri())),
        "{text}"
    );
    assert!(text.contains("template check was skipped"), "{text}");

    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn revoke_reads_the_bare_string_answers() {
    let server = server().await;
    answer_with(
        &server,
        "DELETE",
        &format!("/api/v1.0/certificate/{TID}/user/{JOHN_CODE}"),
        200,
        "revoke_deleted.json",
    )
    .await;
    answer_with(
        &server,
        "DELETE",
        &format!("/api/v1.0/certificate/{TID}/user/{JANE_CODE}"),
        200,
        "revoke_undefined.json",
    )
    .await;
    let env = Env::new();

    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "-o json --yes sm certificates revoke --template {TID}"
    )))
    .arg(" John.Doe@Example.com ");
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["operation"], "certificates.revoke");
    assert_eq!(report["items"][0]["id"], "John.Doe@Example.com");
    assert_eq!(
        report["items"][0]["response"],
        format!("userCode : '{JOHN_CODE}' is deleted")
    );

    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "-o json --yes sm certificates revoke --template {TID} --user-code {JANE_CODE}"
    )));
    let out = run(c).await;
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert_eq!(json(&out)["items"][0]["error"]["kind"], "not_found");

    // Without --yes and no terminal: nothing is sent.
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "sm certificates revoke --template {TID} john.doe@example.com"
    )));
    assert_eq!(code(&run(c).await), 2);

    let requests = received(&server).await;
    assert_eq!(
        paths(&requests),
        [
            format!("DELETE /api/v1.0/certificate/{TID}/user/{JOHN_CODE}"),
            format!("DELETE /api/v1.0/certificate/{TID}/user/{JANE_CODE}"),
        ]
    );
    assert_token(&requests);
}

#[tokio::test]
async fn revoke_several_is_partial_when_one_was_not_there() {
    let server = server().await;
    answer_with(
        &server,
        "DELETE",
        &format!("/api/v1.0/certificate/{TID}/user/{JOHN_CODE}"),
        200,
        "revoke_deleted.json",
    )
    .await;
    answer_with(
        &server,
        "DELETE",
        &format!("/api/v1.0/certificate/{TID}/user/{JANE_CODE}"),
        200,
        "revoke_undefined.json",
    )
    .await;
    let env = Env::new();
    let list = env.file("emails.txt", "# to revoke\njane.doe@example.com\n");
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "--yes sm certificates revoke --template {TID} john.doe@example.com --from"
    )))
    .arg(&list);
    let out = run(c).await;
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("succeeded  john.doe@example.com"), "{text}");
    assert!(
        text.contains("failed     jane.doe@example.com  not_found"),
        "{text}"
    );
}

#[tokio::test]
async fn revoke_all_reports_the_answer() {
    let server = server().await;
    answer_with(
        &server,
        "DELETE",
        &format!("/api/v1.0/certificate/{TID}/user"),
        200,
        "revoke_all.json",
    )
    .await;
    let env = Env::new();
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "-o json --yes sm certificates revoke --template {TID} --all"
    )));
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["items"][0]["id"], TID);
    assert_eq!(
        report["items"][0]["response"],
        fixture_json("revoke_all.json")
    );
    let requests = received(&server).await;
    assert_eq!(
        paths(&requests),
        [format!("DELETE /api/v1.0/certificate/{TID}/user")]
    );
    assert_token(&requests);

    // A dry run prints the DELETE and sends nothing more.
    let mut c = cmd(&env, &server);
    c.args(argv(&format!(
        "-n sm certificates revoke --template {TID} --all"
    )));
    let out = run(c).await;
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains(&format!(
        "DELETE {}/api/v1.0/certificate/{TID}/user",
        server.uri()
    )));
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn a_malformed_csv_is_exit_2_naming_the_line_before_any_request() {
    let cases = [
        (
            "issue_ragged_more_fields.csv",
            "line 2 has 6 field(s) where the header (line 1) has 4",
        ),
        (
            "issue_ragged_fewer_fields.csv",
            "line 3 has 2 field(s) where the header (line 1) has 4",
        ),
        (
            "issue_bad_quoting.csv",
            "line 2: text follows the closing quote of field 2",
        ),
        (
            "issue_unclosed_quote.csv",
            "line 3: a quoted field is never closed",
        ),
        (
            "issue_no_email_column.csv",
            "line 1: the header has no `email` column",
        ),
        (
            "issue_no_name_column.csv",
            "line 1: the header has no `name` column",
        ),
        ("issue_latin1.csv", "line 3 is not valid UTF-8 text"),
        ("issue_empty.csv", "the file is empty"),
    ];
    for (file, expected) in cases {
        let server = issue_server("issue_all_success.json").await;
        let env = Env::new();
        for dry_run in [false, true] {
            let mut c = cmd(&env, &server);
            if dry_run {
                c.arg("--dry-run");
            }
            c.args(["sm", "certificates", "issue", "--template", TID, "--from"])
                .arg(sertifika_fixture(file));
            let out = run(c).await;
            assert_eq!(code(&out), 2, "{file}: {}", stderr(&out));
            let err = stderr(&out);
            assert!(err.contains(expected), "{file}: {err}");
            assert!(err.contains("nothing was sent"), "{file}: {err}");
            assert!(!err.contains("panicked"), "{file}: {err}");
            assert_eq!(stdout(&out), "", "{file}");
        }
        assert!(received(&server).await.is_empty(), "{file}");
    }
}

#[tokio::test]
async fn a_2xx_issue_answer_that_is_not_200_with_the_message_list_is_an_invalid_response() {
    for (status, body) in [
        (201, fixture("sertifika/issue_all_success.json")),
        (200, "<html><body>OK</body></html>".to_string()),
        (204, String::new()),
    ] {
        let server = server().await;
        answer_with(
            &server,
            "GET",
            &format!("/api/v1.0/certificate/{TID}"),
            200,
            "template_detail.json",
        )
        .await;
        respond(
            &server,
            "POST",
            "/api/v1.0/certificate/",
            ResponseTemplate::new(status).set_body_raw(body.clone(), "text/html"),
        )
        .await;
        let env = Env::new();
        let mut c = cmd(&env, &server);
        c.args(argv(&format!(
            "-o json sm certificates issue --template {TID}"
        )))
        .arg("--from")
        .arg(sertifika_fixture("issue_ok.csv"));
        let out = run(c).await;
        assert_ne!(code(&out), 0, "{status} {body}");
        let report = json(&out);
        for item in report["items"].as_array().expect("items") {
            assert_eq!(
                item["error"]["kind"], "invalid_response",
                "{status}: {item}"
            );
            assert_eq!(item["error"]["http_status"], status, "{status}: {item}");
        }
        // Issuing is never re-sent.
        let posts = received(&server)
            .await
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .count();
        assert_eq!(posts, 1, "{status}");
    }
}

#[tokio::test]
async fn a_revoke_answer_that_is_not_the_documented_one_is_an_invalid_response() {
    let one = format!("/api/v1.0/certificate/{TID}/user/{JOHN_CODE}");
    let all = format!("/api/v1.0/certificate/{TID}/user");
    let cases = [
        (one.as_str(), 204, String::new()),
        (one.as_str(), 200, "\"OK\"".to_string()),
        (one.as_str(), 202, fixture("sertifika/revoke_deleted.json")),
        (all.as_str(), 204, String::new()),
        (all.as_str(), 200, "{\"status\":\"OK\"}".to_string()),
        (all.as_str(), 201, fixture("sertifika/revoke_all.json")),
    ];
    for (at, status, body) in cases {
        let server = server().await;
        respond(
            &server,
            "DELETE",
            at,
            ResponseTemplate::new(status).set_body_raw(body.clone(), "application/json"),
        )
        .await;
        let env = Env::new();
        let mut c = cmd(&env, &server);
        c.args(["-o", "json", "--yes", "sm", "certificates", "revoke"])
            .args(["--template", TID]);
        if at == all {
            c.arg("--all");
        } else {
            c.arg("john.doe@example.com");
        }
        let out = run(c).await;
        let case = format!("{at} {status} {body:?}");
        assert_ne!(code(&out), 0, "{case}");
        let error = &json(&out)["items"][0]["error"];
        assert_eq!(error["kind"], "invalid_response", "{case}: {error}");
        assert_eq!(error["http_status"], status, "{case}: {error}");
    }
}
