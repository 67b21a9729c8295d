//! `certctl check`: a host that refuses the credential fails the check, whether or
//! not the API has a read-only request to prove it; what cannot be verified says so.

use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const TOKEN: &str = "check-token-7d1e";

/// A server that answers `status` to every request.
async fn answering(status: u16) -> MockServer {
    let server = server().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// certctl with every provider pointed at `server` and given the test credential.
fn certctl(env: &Env, server: &MockServer) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    for provider in ["BCDIPLOMA", "ORIGIN", "SERTIFIKA"] {
        cmd.env(format!("CERTCTL_{provider}_BASE_URL"), server.uri())
            .env(format!("CERTCTL_{provider}_TOKEN"), TOKEN);
    }
    cmd.env("CERTCTL_DIGICERT_BASE_URL", server.uri())
        .env("CERTCTL_DIGICERT_API_KEY", TOKEN)
        .env("CERTCTL_SERTIFIKA_COMPANY_ID", "acme");
    cmd
}

/// The row of `check` named `check` in a JSON answer.
fn row<'a>(rows: &'a Value, check: &str) -> &'a Value {
    rows.as_array()
        .and_then(|rows| rows.iter().find(|r| r["check"] == check))
        .unwrap_or_else(|| panic!("no {check} row in {rows}"))
}

#[tokio::test]
async fn a_host_refusing_the_token_fails_the_check_of_bcdiploma_and_origin() {
    for status in [401, 403] {
        for provider in ["bcdiploma", "origin"] {
            let (env, server) = (Env::new(), answering(status).await);
            let mut cmd = certctl(&env, &server);
            cmd.args(["check", provider]);
            let out = run(cmd).await;
            assert_eq!(code(&out), 4, "{provider} {status}: {}", stdout(&out));
            let text = stdout(&out);
            assert!(text.contains("credentials"), "{text}");
            assert!(text.contains("token setting"), "{text}");
            assert!(text.contains("failed"), "{text}");
            // The failure also says so in one sentence on stderr.
            let err = stderr(&out);
            let said: Vec<&str> = err
                .lines()
                .filter(|l| l.starts_with("certctl: error: check "))
                .collect();
            assert_eq!(said.len(), 1, "{err}");
            assert!(said[0].contains(provider), "{}", said[0]);

            let mut cmd = certctl(&env, &server);
            cmd.args(["-o", "json", "check", provider]);
            let out = run(cmd).await;
            assert_eq!(code(&out), 4);
            let rows = json(&out);
            let credentials = row(&rows, "credentials");
            assert_eq!(credentials["ok"], false, "{rows}");
            assert_eq!(credentials["kind"], "auth", "{rows}");
            assert!(!stdout(&out).contains(TOKEN) && !stderr(&out).contains(TOKEN));

            // The probe carried the token, so the refusal was of the token.
            let reqs = received(&server).await;
            assert_eq!(reqs.len(), 2, "{provider}");
            for req in &reqs {
                assert_eq!(req.method.as_str(), "GET");
                let expected = format!("Bearer {TOKEN}");
                assert_eq!(header(req, "authorization"), Some(expected.as_str()));
            }
        }
    }
}

#[tokio::test]
async fn an_unverifiable_credential_passes_but_says_it_was_not_verified() {
    for provider in ["bcdiploma", "origin"] {
        let (env, server) = (Env::new(), answering(404).await);
        let mut cmd = certctl(&env, &server);
        cmd.args(["-o", "json", "check", provider]);
        let out = run(cmd).await;
        assert_eq!(code(&out), 0, "{provider}: {}", stdout(&out));
        let rows = json(&out);
        let credentials = row(&rows, "credentials");
        assert_eq!(credentials["result"], "not verified", "{rows}");
        assert!(
            credentials["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("not verified")),
            "{rows}"
        );
        assert_eq!(row(&rows, "reachable")["ok"], true, "{rows}");

        let mut cmd = certctl(&env, &server);
        cmd.args(["check", provider]);
        let out = run(cmd).await;
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains("not verified"), "{}", stdout(&out));
    }
}

#[tokio::test]
async fn digicert_and_sertifika_refusals_are_exit_4() {
    for provider in ["digicert", "sertifika"] {
        let (env, server) = (Env::new(), answering(401).await);
        let mut cmd = certctl(&env, &server);
        cmd.args(["-o", "json", "check", provider]);
        let out = run(cmd).await;
        assert_eq!(code(&out), 4, "{provider}: {}", stdout(&out));
        let rows = json(&out);
        assert_eq!(row(&rows, "credentials")["kind"], "auth", "{rows}");
        let setting = if provider == "digicert" {
            "api_key setting"
        } else {
            "token setting"
        };
        assert!(stdout(&out).contains(setting), "{rows}");
    }
}

#[tokio::test]
async fn the_sertifika_probe_encodes_the_company_as_one_path_segment() {
    let (env, server) = (Env::new(), answering(200).await);
    let mut cmd = certctl(&env, &server);
    cmd.env("CERTCTL_SERTIFIKA_COMPANY_ID", "my co/1?x#y%z şti")
        .args(["-o", "json", "check", "sertifika"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].url.path(),
        "/api/v1.0/company/my%20co%2F1%3Fx%23y%25z%20%C5%9Fti/certificate"
    );
    assert_eq!(reqs[0].url.query(), None);
    assert_eq!(header(&reqs[0], "authorization"), Some(TOKEN));
}

#[tokio::test]
async fn a_dry_run_check_prints_one_document_and_contacts_nobody() {
    let (env, server) = (Env::new(), answering(200).await);
    let mut cmd = certctl(&env, &server);
    cmd.args(["-n", "-o", "json", "check"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rows = json(&out);
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
    let reachable: Vec<&Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["check"] == "reachable")
        .collect();
    assert_eq!(reachable.len(), 4, "{rows}");
    for r in reachable {
        assert!(
            r["detail"].as_str().unwrap().contains("would send GET"),
            "{r}"
        );
    }
    assert!(!stdout(&out).contains(TOKEN));
    assert!(received(&server).await.is_empty());
}
