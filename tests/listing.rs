//! Choosing targets: `digicert orders list`, `orders show`, `requests list`, `-o ids`
//! and `--max-items`, against wiremock (the exact requests and pages) and the
//! emulator (a filter's selection, end to end).

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const KEY: &str = DIGICERT.secret;

/// certctl pointed at `server` with the test API key.
fn certctl(env: &Env, server: &MockServer) -> assert_cmd::Command {
    DIGICERT.cmd(env, &server.uri())
}

/// A page of `count` orders numbered from `first`, announcing `total`.
fn orders_page(first: u64, count: u64, total: u64, offset: u64) -> Value {
    let orders: Vec<Value> = (first..first + count)
        .map(|id| json!({"id": id, "status": "issued", "certificate": {"common_name": format!("o{id}.example.com")}}))
        .collect();
    json!({"orders": orders, "page": {"total": total, "limit": 1000, "offset": offset}})
}

/// Answers the order list's page at `offset` with `body`.
async fn page_at(server: &MockServer, offset: u64, body: Value) {
    Mock::given(method("GET"))
        .and(path("/order/certificate"))
        .and(query_param("offset", offset.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// The list requests that reached the server, as their query pairs.
async fn list_queries(server: &MockServer) -> Vec<Vec<(String, String)>> {
    received(server)
        .await
        .iter()
        .map(|r| r.url.query_pairs().into_owned().collect())
        .collect()
}

fn ids(out: &std::process::Output) -> Vec<u64> {
    stdout(out)
        .lines()
        .map(|l| {
            l.parse()
                .unwrap_or_else(|_| panic!("not an ID line: {l:?}"))
        })
        .collect()
}

#[tokio::test]
async fn each_filter_has_its_query_parameter() {
    let (env, server) = (Env::new(), server().await);
    page_at(&server, 0, orders_page(1, 1, 1, 0)).await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "ids", "digicert", "orders", "list"])
        .args(["--status", "issued", "--common-name", "www.example.com"])
        .args(["--domain", "example.com", "--search", "shop & co"])
        .args(["--product", "ssl_plus", "--container", "14"])
        .args(["--serial", "0A:1B:2C", "--certificate-id", "104"])
        .args(["--expires-before", "2027-01-31"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "1\n");
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].url.path(), "/order/certificate");
    assert_eq!(header(&reqs[0], "x-dc-devkey"), Some(KEY));
    let pairs: Vec<(String, String)> = reqs[0].url.query_pairs().into_owned().collect();
    let expected = [
        ("filters[status]", "issued"),
        ("filters[common_name]", "www.example.com"),
        ("filters[domain_name]", "example.com"),
        ("filters[search]", "%shop & co"),
        ("filters[product_name_id]", "ssl_plus"),
        ("filters[container_id]", "14"),
        ("filters[serial_number]", "0a1b2c"),
        ("filters[certificate_id]", "104"),
        ("filters[valid_till]", "<2027-01-31"),
        ("limit", "1000"),
        ("offset", "0"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(pairs, expected);
}

#[tokio::test]
async fn repeated_statuses_are_indexed_and_bad_filters_send_nothing() {
    let (env, server) = (Env::new(), server().await);
    page_at(&server, 0, orders_page(1, 0, 0, 0)).await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["digicert", "orders", "list", "--status", "issued"])
        .args(["--status", "revoked"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "(none)\n");
    let queries = list_queries(&server).await;
    assert_eq!(
        queries[0][..2],
        [
            ("filters[status][0]".into(), "issued".into()),
            ("filters[status][1]".into(), "revoked".into())
        ]
    );
    for bad in [
        &["--expires-before", "31/01/2027"][..],
        &["--serial", "xyz"][..],
        &["--container", "abc"][..],
        &["--common-name", " "][..],
        &["--limit", "0"][..],
    ] {
        let mut cmd = certctl(&env, &server);
        cmd.args(["digicert", "orders", "list"]).args(bad);
        let out = run(cmd).await;
        assert_eq!(code(&out), 2, "{bad:?}: {}", stderr(&out));
    }
    assert_eq!(received(&server).await.len(), 1, "bad filters sent nothing");
}

#[tokio::test]
async fn three_pages_are_read_up_to_the_total_and_printed_in_order() {
    let (env, server) = (Env::new(), server().await);
    page_at(&server, 0, orders_page(1, 1000, 2500, 0)).await;
    // The second page answers last: the pages are still printed in order.
    Mock::given(method("GET"))
        .and(path("/order/certificate"))
        .and(query_param("offset", "1000"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(orders_page(1001, 1000, 2500, 1000))
                .set_delay(std::time::Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    page_at(&server, 2000, orders_page(2001, 500, 2500, 2000)).await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "ids", "digicert", "orders", "list"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ids(&out), (1..=2500).collect::<Vec<u64>>());
    let mut offsets: Vec<String> = list_queries(&server)
        .await
        .iter()
        .map(|q| q.iter().find(|(k, _)| k == "offset").unwrap().1.clone())
        .collect();
    offsets.sort();
    assert_eq!(offsets, ["0", "1000", "2000"]);

    // The same list as one JSON array and as NDJSON lines with a summary.
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "json", "digicert", "orders", "list"]);
    let out = run(cmd).await;
    let array = json_valid(&out, "list.json");
    assert_eq!(array.as_array().unwrap().len(), 2500);
    assert_eq!(array[2499]["id"], 2500);
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "ndjson", "digicert", "orders", "list"]);
    let out = run(cmd).await;
    let lines = ndjson(&out);
    for line in &lines {
        validate(line, "list-line.json").unwrap();
    }
    assert_eq!(lines.len(), 2501);
    assert_eq!(lines[0]["data"]["id"], 1);
    assert_eq!(lines[2500], json!({"type": "summary", "total": 2500}));
}

#[tokio::test]
async fn a_wrong_total_stops_at_the_short_page() {
    let (env, server) = (Env::new(), server().await);
    page_at(&server, 0, orders_page(1, 1000, 5000, 0)).await;
    page_at(&server, 1000, orders_page(1001, 10, 5000, 1000)).await;
    page_at(&server, 2000, orders_page(0, 0, 5000, 2000)).await;
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("--concurrency 1 -o ids digicert orders list"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ids(&out).len(), 1010);
    assert_eq!(
        received(&server).await.len(),
        2,
        "nothing asked past the short page"
    );
}

#[tokio::test]
async fn limit_stops_after_n_objects() {
    let (env, server) = (Env::new(), server().await);
    for offset in [0, 1000, 2000] {
        page_at(&server, offset, orders_page(offset + 1, 1000, 3000, offset)).await;
    }
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "ids", "digicert", "orders", "list", "--limit", "1500"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(ids(&out), (1..=1500).collect::<Vec<u64>>());
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn quirks_of_the_live_api_pass_through() {
    let (env, server) = (Env::new(), server().await);
    respond(
        &server,
        "GET",
        "/order/certificate",
        ResponseTemplate::new(200).set_body_raw(
            fixture("digicert/orders_list_quirks.json"),
            "application/json",
        ),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "json", "digicert", "orders", "list"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let listed = json_valid(&out, "list.json");
    let fixture: Value =
        serde_json::from_str(&fixture("digicert/orders_list_quirks.json")).unwrap();
    assert_eq!(
        listed, fixture["orders"],
        "objects are passed on as they came"
    );
    let mut cmd = certctl(&env, &server);
    cmd.args(["digicert", "orders", "list"]);
    let out = run(cmd).await;
    let text = stdout(&out);
    assert!(text.starts_with("ID"), "{text}");
    assert!(
        text.contains("needs_csr"),
        "unknown statuses shown as they come: {text}"
    );
    assert!(text.contains("shop.example.com"), "{text}");
}

#[tokio::test]
async fn requests_list_filters_and_reads_one_page_without_page() {
    let (env, server) = (Env::new(), server().await);
    respond(
        &server,
        "GET",
        "/request",
        ResponseTemplate::new(200).set_body_raw(
            fixture("digicert/requests_list_without_page.json"),
            "application/json",
        ),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "ids", "digicert", "requests", "list"])
        .args(["--status", "pending", "--type", "revoke"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "198\n199\n");
    let queries = list_queries(&server).await;
    assert_eq!(queries.len(), 1, "no page: one request");
    let expected: Vec<(String, String)> = [
        ("filters[status]", "pending"),
        ("filters[type]", "revoke"),
        ("limit", "1000"),
        ("offset", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(queries[0], expected);
    let mut cmd = certctl(&env, &server);
    cmd.args(["digicert", "requests", "list", "--type", "other"]);
    assert_eq!(code(&run(cmd).await), 2);
    let mut cmd = certctl(&env, &server);
    cmd.args(["digicert", "requests", "list"]);
    let out = run(cmd).await;
    let header_line = stdout(&out).lines().next().unwrap_or_default().to_owned();
    assert_eq!(
        header_line.split_whitespace().collect::<Vec<_>>(),
        ["ID", "DATE", "TYPE", "STATUS", "ORDER", "ID"]
    );
}

#[tokio::test]
async fn orders_show_prints_an_object_or_an_array_and_404_is_exit_5() {
    let (env, server) = (Env::new(), server().await);
    for id in ["123456", "123457"] {
        respond(
            &server,
            "GET",
            format!("/order/certificate/{id}"),
            ResponseTemplate::new(200)
                .set_body_raw(fixture("digicert/order_detail.json"), "application/json"),
        )
        .await;
    }
    respond(
        &server,
        "GET",
        "/order/certificate/9",
        ResponseTemplate::new(404).set_body_raw(
            fixture("digicert/error_order_not_found.json"),
            "application/json",
        ),
    )
    .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["-o", "json", "digicert", "orders", "show", "123456"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["requests"][0]["status"], "pending");
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("-o json digicert orders show 123456 123457"));
    let out = run(cmd).await;
    assert_eq!(json(&out).as_array().map(Vec::len), Some(2));
    let mut cmd = certctl(&env, &server);
    cmd.args(["digicert", "orders", "show", "9"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(stderr(&out).contains("order 9"), "{}", stderr(&out));
}

#[tokio::test]
async fn ids_output_is_refused_by_commands_that_list_nothing() {
    let (env, server) = (Env::new(), server().await);
    for args in [
        &[
            "digicert",
            "orders",
            "revoke",
            "1",
            "--comment",
            "c",
            "--yes",
        ][..],
        &["digicert", "orders", "show", "1"][..],
        &["digicert", "requests", "show", "1"][..],
        &["version"][..],
        &["journal", "list"][..],
    ] {
        let mut cmd = certctl(&env, &server);
        cmd.args(["-o", "ids"]).args(args);
        let out = run(cmd).await;
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("-o ids"), "{}", stderr(&out));
        assert_eq!(stdout(&out), "");
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn list_dry_run_prints_the_first_page_request_and_sends_nothing() {
    let (env, server) = (Env::new(), server().await);
    let mut cmd = certctl(&env, &server);
    cmd.args(["--dry-run", "-o", "json", "digicert", "orders", "list"])
        .args(["--status", "issued"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["operation"], "orders.list");
    let url = doc["requests"][0]["url"].as_str().unwrap();
    assert!(
        url.ends_with("/order/certificate?filters[status]=issued&limit=1000&offset=0"),
        "{url}"
    );
    assert!(received(&server).await.is_empty());
}

/// The revoke answer of every order, for the --max-items runs that are let through.
async fn revokes_accepted(server: &MockServer) {
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(
            fixture("digicert/revoke_request_pending.json"),
            "application/json",
        ))
        .mount(server)
        .await;
}

fn journal_lines(env: &Env) -> usize {
    std::fs::read_to_string(env.path("journal.ndjson"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[tokio::test]
async fn max_items_refuses_a_longer_list_before_anything_happens() {
    let (env, server) = (Env::new(), server().await);
    revokes_accepted(&server).await;
    let revoke = |limit: Option<&str>| {
        let mut cmd = certctl(&env, &server);
        cmd.env("CERTCTL_JOURNAL", env.path("journal.ndjson"));
        if let Some(n) = limit {
            cmd.args(["--max-items", n]);
        }
        cmd.args(["-o", "json", "--yes", "digicert", "orders", "revoke"])
            .args(["--from", "-", "--comment", "c"])
            .write_stdin("101\n102\n103\n102\n");
        cmd
    };
    let out = run(revoke(Some("2"))).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("holds 3 items") && said.contains("--max-items 2"),
        "{said}"
    );
    assert!(received(&server).await.is_empty());
    assert_eq!(journal_lines(&env), 0, "nothing journaled");

    // At the limit (duplicates are one item), the run goes on.
    let out = run(revoke(Some("3"))).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["succeeded"], 3);
    assert_eq!(received(&server).await.len(), 3);

    // A plan over the limit is not written.
    let plan = env.path("p.json");
    let mut cmd = certctl(&env, &server);
    cmd.args(["--max-items", "1", "digicert", "orders", "revoke", "1", "2"])
        .args(["--comment", "c", "--plan-out"])
        .arg(&plan);
    assert_eq!(code(&run(cmd).await), 2);
    assert!(!plan.exists());

    let mut cmd = certctl(&env, &server);
    cmd.args(argv("--max-items 0 digicert orders revoke 1 --comment c"));
    assert_eq!(code(&run(cmd).await), 2, "zero is a usage error");
}

#[tokio::test]
async fn max_items_comes_from_the_environment_and_the_profile() {
    let (env, server) = (Env::new(), server().await);
    revokes_accepted(&server).await;
    let config = env.config("[profiles.default]\nmax_items = 1\n");
    let mut cmd = certctl(&env, &server);
    cmd.env("CERTCTL_CONFIG", &config)
        .args(argv("--yes digicert orders revoke 1 2 --comment c"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("max_items = 1"), "{}", stderr(&out));

    let mut cmd = certctl(&env, &server);
    cmd.env("CERTCTL_CONFIG", &config)
        .env("CERTCTL_MAX_ITEMS", "2")
        .args(argv("--yes digicert orders revoke 1 2 3 --comment c"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("CERTCTL_MAX_ITEMS=2"),
        "the environment beats the file: {}",
        stderr(&out)
    );
    assert!(received(&server).await.is_empty());

    let mut cmd = certctl(&env, &server);
    cmd.env("CERTCTL_CONFIG", &config)
        .env("CERTCTL_MAX_ITEMS", "2")
        .args(argv("--yes digicert orders revoke 1 2 --comment c"));
    assert_eq!(code(&run(cmd).await), 0);

    let mut cmd = env.cmd();
    cmd.env("CERTCTL_CONFIG", &config)
        .args(["-o", "json", "config", "show"]);
    let shown = json_valid(&run(cmd).await, "config-show.json");
    assert_eq!(shown["max_items"], json!({"value": "1", "source": "file"}));

    let bad = env.config("[profiles.default]\nmax_items = 0\n");
    let mut cmd = certctl(&env, &server);
    cmd.env("CERTCTL_CONFIG", &bad)
        .args(argv("--yes digicert orders revoke 1 --comment c"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("max_items"), "{}", stderr(&out));
}

#[tokio::test]
async fn max_items_refuses_what_cannot_be_counted() {
    let env = Env::new();
    let server = server().await;
    for args in [
        &["bcdiploma", "certificates", "disable", "--campaign", "c1"][..],
        &[
            "bcdiploma",
            "certificates",
            "enable",
            "k1",
            "--campaign",
            "c1",
        ][..],
        &[
            "sertifika",
            "certificates",
            "revoke",
            "--template",
            "64c9f080-2314-4f02-a43c-923d83e8e444",
            "--all",
        ][..],
    ] {
        let mut cmd = env.cmd();
        cmd.env("CERTCTL_BCDIPLOMA_BASE_URL", server.uri())
            .env("CERTCTL_BCDIPLOMA_TOKEN", "t")
            .env("CERTCTL_SERTIFIKA_BASE_URL", server.uri())
            .env("CERTCTL_SERTIFIKA_TOKEN", "t")
            .env("CERTCTL_SERTIFIKA_COMPANY_ID", "c")
            .args(["--yes", "--max-items", "100"])
            .args(args);
        let out = run(cmd).await;
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let option = if args.contains(&"--all") {
            "--all"
        } else {
            "--campaign"
        };
        assert!(stderr(&out).contains(option), "{}", stderr(&out));
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn the_listed_ids_are_the_emulators_selection_across_pages() {
    let env = Env::new();
    let list = |args: &[&str]| {
        let mut cmd = env.cmd();
        cmd.env("CERTCTL_SANDBOX_ORDERS", "2500")
            .args(["--sandbox", "digicert", "orders", "list"])
            .args(args);
        cmd
    };
    let out = run(list(&["-o", "json"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let all = json_valid(&out, "list.json");
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2500, "three pages");
    let selected = |keep: &dyn Fn(&Value) -> bool| -> Vec<u64> {
        all.iter()
            .filter(|o| keep(o))
            .map(|o| o["id"].as_u64().unwrap())
            .collect()
    };
    let cases: [(&[&str], Vec<u64>); 2] = [
        (
            &["--status", "issued", "--status", "expired"],
            selected(&|o| o["status"] == "issued" || o["status"] == "expired"),
        ),
        (
            &["--domain", "example.com", "--status", "issued"],
            selected(&|o| {
                o["status"] == "issued"
                    && o["certificate"]["dns_names"]
                        .as_array()
                        .is_some_and(|names| names.iter().any(|n| n == "example.com"))
            }),
        ),
    ];
    for (filters, expected) in cases {
        assert!(
            !expected.is_empty() && expected.len() < all.len(),
            "{filters:?}"
        );
        let out = run(list(&[&["-o", "ids"], filters].concat())).await;
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(ids(&out), expected, "{filters:?}");
    }
    assert!(
        selected(&|o| o["status"] == "issued" || o["status"] == "expired").len() > 2000,
        "the first case spans three pages"
    );
}

#[test]
fn the_man_page_and_completions_know_the_lists_and_the_cap() {
    let env = Env::new();
    let out = env.cmd().arg("man").output().expect("run certctl");
    let man = stdout(&out);
    for wanted in [
        r"certctl digicert orders list",
        r"certctl digicert orders show",
        r"certctl digicert requests list",
        r"\-\-max\-items",
    ] {
        assert!(man.contains(wanted), "the man page lacks {wanted}");
    }
    let out = env
        .cmd()
        .args(["completions", "bash"])
        .output()
        .expect("run certctl");
    let bash = stdout(&out);
    for wanted in [
        "digicert__subcmd__orders__subcmd__list",
        "digicert__subcmd__orders__subcmd__show",
        "digicert__subcmd__requests__subcmd__list",
        "--max-items",
        "--common-name",
    ] {
        assert!(bash.contains(wanted), "the bash completions lack {wanted}");
    }
}

#[tokio::test]
async fn a_list_cut_by_a_failure_is_still_one_document() {
    let (env, server) = (Env::new(), server().await);
    page_at(&server, 0, orders_page(1, 1000, 2000, 0)).await;
    Mock::given(method("GET"))
        .and(path("/order/certificate"))
        .and(query_param("offset", "1000"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_raw(fixture("digicert/error_server.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let mut cmd = certctl(&env, &server);
    cmd.args(["--retries", "0", "-o", "json", "digicert", "orders", "list"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(stderr(&out).contains("offset 1000"), "{}", stderr(&out));
    assert_eq!(
        json_valid(&out, "list.json").as_array().map(Vec::len),
        Some(1000)
    );
    let mut cmd = certctl(&env, &server);
    cmd.args(argv("--retries 0 -o ndjson digicert orders list"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 6);
    let lines = ndjson(&out);
    assert_eq!(lines.len(), 1000, "no summary line after a failure");
    assert!(lines.iter().all(|l| l["type"] == "item"));
}
