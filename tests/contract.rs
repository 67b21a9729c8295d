//! The engine's promises, held for every provider alike: one table of providers, one
//! test per behaviour. A provider's own requests and answers are tested in its own
//! module; what the engine owns (dry run, confirmation, redaction, retries, partial
//! exit) must not depend on which adapter built the operation.

use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

/// What the contract tests need to know of a provider.
struct Provider {
    name: &'static str,
    /// Its account, pointed at the server.
    account: &'static Account,
    /// A state-changing, irreversible operation over two items, one request each.
    op: &'static [&'static str],
    /// The method and path of that operation's requests.
    method: &'static str,
    path: &'static str,
    /// The documented success answer.
    success: fn() -> ResponseTemplate,
}

const TID: &str = "64c9f080-2314-4f02-a43c-923d83e8e444";

const PROVIDERS: [Provider; 4] = [
    Provider {
        name: "bcdiploma",
        account: &BCDIPLOMA,
        op: &[
            "bcdiploma",
            "certificates",
            "delete",
            "K1",
            "K2",
            "--batch-size",
            "1",
        ],
        method: "DELETE",
        path: "^/admin/keys$",
        success: || ResponseTemplate::new(200),
    },
    Provider {
        name: "origin",
        account: &ORIGIN,
        op: &[
            "origin",
            "certifications",
            "delete",
            "o-1",
            "o-2",
            "--batch-size",
            "1",
        ],
        method: "POST",
        path: "^/connect/v1/certifications/delete$",
        success: || {
            ResponseTemplate::new(200)
                .set_body_raw(fixture("origin/sync_success.json"), "application/json")
        },
    },
    Provider {
        name: "digicert",
        account: &DIGICERT,
        op: &[
            "digicert",
            "orders",
            "revoke",
            "11",
            "12",
            "--comment",
            "contract",
        ],
        method: "PUT",
        path: "^/order/certificate/[0-9]+/revoke$",
        success: || {
            ResponseTemplate::new(201).set_body_raw(
                fixture("digicert/revoke_request_pending.json"),
                "application/json",
            )
        },
    },
    Provider {
        name: "sertifika",
        account: &SERTIFIKA,
        op: &[
            "sertifika",
            "certificates",
            "revoke",
            "--template",
            TID,
            "a@example.com",
            "b@example.com",
        ],
        method: "DELETE",
        path: "^/api/v1.0/certificate/[-0-9a-f]+/user/[0-9a-f]+$",
        success: || {
            ResponseTemplate::new(200)
                .set_body_raw("\"userCode : 'c0ffee' is deleted\"", "application/json")
        },
    },
];

impl Provider {
    /// certctl pointed at `server`, `global` options before the operation.
    fn cmd(&self, env: &Env, server: &MockServer, global: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.account.cmd(env, &server.uri());
        cmd.env("CERTCTL_JOURNAL", env.path("journal.ndjson"))
            .args(argv("--rate 0 --concurrency 1 --retries 1"))
            .args(global)
            .args(self.op);
        cmd
    }

    async fn answer(&self, server: &MockServer, template: ResponseTemplate, times: Option<u64>) {
        let mock = Mock::given(method(self.method))
            .and(path_regex(self.path))
            .respond_with(template);
        let mock = match times {
            Some(n) => mock.up_to_n_times(n).with_priority(1),
            None => mock.with_priority(5),
        };
        mock.mount(server).await;
    }
}

fn no_secret(p: &Provider, out: &std::process::Output) {
    p.account.no_secret(out);
}

#[tokio::test]
async fn a_dry_run_prints_every_request_and_sends_nothing() {
    for p in &PROVIDERS {
        let server = server().await;
        let env = Env::new();
        let out = run(p.cmd(&env, &server, &["-n", "-o", "json"])).await;
        assert_eq!(code(&out), 0, "{}: {}", p.name, stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["dry_run"], true, "{}", p.name);
        assert_eq!(doc["provider"], p.name);
        let requests = doc["requests"].as_array().expect("requests");
        assert_eq!(requests.len(), 2, "{}: {doc}", p.name);
        for r in requests {
            assert_eq!(r["method"], p.method, "{}", p.name);
            assert!(r["url"].as_str().unwrap().starts_with(&server.uri()));
            assert!(doc.to_string().contains("<redacted>"), "{}", p.name);
        }
        no_secret(p, &out);
        assert!(received(&server).await.is_empty(), "{}: sent", p.name);
        assert!(
            !env.path("journal.ndjson").exists(),
            "{}: journaled",
            p.name
        );
    }
}

#[tokio::test]
async fn without_yes_and_without_a_terminal_nothing_is_sent() {
    for p in &PROVIDERS {
        let server = server().await;
        p.answer(&server, (p.success)(), None).await;
        let env = Env::new();
        let mut cmd = p.cmd(&env, &server, &["-o", "json"]);
        // An answer on a stdin that is no terminal is no confirmation.
        cmd.write_stdin("y\n");
        let out = run(cmd).await;
        assert_eq!(code(&out), 2, "{}: {}", p.name, stderr(&out));
        assert!(
            stderr(&out).contains("--yes"),
            "{}: {}",
            p.name,
            stderr(&out)
        );
        assert!(received(&server).await.is_empty(), "{}: sent", p.name);
    }
}

#[tokio::test]
async fn the_secret_never_shows_even_at_vvv() {
    for p in &PROVIDERS {
        let server = server().await;
        p.answer(&server, (p.success)(), None).await;
        let env = Env::new();
        let out = run(p.cmd(&env, &server, &["-vvv", "-y", "-o", "json"])).await;
        assert_eq!(code(&out), 0, "{}: {}", p.name, stderr(&out));
        assert!(
            stderr(&out).contains("<redacted>"),
            "{}: headers logged",
            p.name
        );
        no_secret(p, &out);
        let journal = std::fs::read_to_string(env.path("journal.ndjson")).unwrap();
        assert!(
            !journal.contains(p.account.secret),
            "{}: secret in the journal",
            p.name
        );
        let reqs = received(&server).await;
        assert_eq!(reqs.len(), 2, "{}", p.name);
    }
}

#[tokio::test]
async fn a_refused_secret_never_shows_in_any_output_format() {
    for p in &PROVIDERS {
        let server = server().await;
        p.answer(&server, ResponseTemplate::new(401), None).await;
        let env = Env::new();
        for format in ["text", "json", "ndjson"] {
            let out = run(p.cmd(&env, &server, &["-vvv", "-y", "-o", format])).await;
            assert_eq!(code(&out), 4, "{} {format}: {}", p.name, stderr(&out));
            assert!(
                stderr(&out).contains(": <redacted>"),
                "{} {format}: headers logged",
                p.name
            );
            no_secret(p, &out);
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_for_every_provider() {
    for p in &PROVIDERS {
        let server = server().await;
        p.answer(
            &server,
            ResponseTemplate::new(429).insert_header("retry-after", "0"),
            Some(1),
        )
        .await;
        p.answer(&server, (p.success)(), None).await;
        let env = Env::new();
        let out = run(p.cmd(&env, &server, &["-y", "-o", "json"])).await;
        assert_eq!(code(&out), 0, "{}: {}", p.name, stderr(&out));
        assert_eq!(json(&out)["summary"]["succeeded"], 2, "{}", p.name);
        assert_eq!(received(&server).await.len(), 3, "{}: one retry", p.name);
    }
}

#[tokio::test]
async fn one_item_failing_of_two_is_partial_exit_3() {
    for p in &PROVIDERS {
        let server = server().await;
        p.answer(&server, (p.success)(), Some(1)).await;
        p.answer(
            &server,
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"message":"no such item"}"#, "application/json"),
            None,
        )
        .await;
        let env = Env::new();
        let out = run(p.cmd(&env, &server, &["-y", "-o", "json"])).await;
        assert_eq!(code(&out), 3, "{}: {}", p.name, stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["outcome"], "partial", "{}", p.name);
        assert_eq!(doc["summary"]["succeeded"], 1, "{}", p.name);
        assert_eq!(doc["summary"]["failed"], 1, "{}", p.name);
        assert_eq!(
            stderr(&out).matches("certctl: error:").count(),
            1,
            "{}: one sentence: {}",
            p.name,
            stderr(&out)
        );
    }
}
