//! Shared helpers: a certctl command with a clean environment, config files,
//! fixtures and wiremock servers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use tempfile::TempDir;
use wiremock::MockServer;

/// A fresh home, config and state directory for one test.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Self {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// certctl with an empty environment but for a temp HOME and XDG dirs.
    pub fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.process())
    }

    /// The same certctl as a `std::process::Command`, for tests that spawn it to
    /// signal, kill or read it while it runs.
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("certctl"));
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("RUST_BACKTRACE", "0")
            .env("NO_COLOR", "1")
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd
    }

    /// Writes a config file with mode 0600 and returns its path.
    pub fn config(&self, text: &str) -> PathBuf {
        let path = self.path("certctl.toml");
        std::fs::write(&path, text).expect("write config");
        set_mode(&path, 0o600);
        path
    }

    /// Writes a file in the test's directory.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write file");
        path
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Runs a command off the async runtime (wiremock serves on it meanwhile).
pub async fn run(mut cmd: assert_cmd::Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run certctl"))
        .await
        .expect("join")
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// stdout parsed as one JSON document, checked against the schema of its shape
/// (see [`schema_of`]), so that every test reading JSON output also checks the
/// published output contract.
pub fn json(out: &Output) -> Value {
    let value = parse_json(out);
    assert_valid(&value, schema_of(&value), out);
    value
}

/// stdout parsed as one JSON document and checked against `schema`, a file of
/// `schemas/` such as `operation.json`.
pub fn json_valid(out: &Output, schema: &str) -> Value {
    let value = parse_json(out);
    assert_valid(&value, schema, out);
    value
}

/// stdout as NDJSON: every line one JSON object, checked against the schema its
/// `type` (and shape) names; a line without `type` fails.
pub fn ndjson(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| {
                panic!(
                    "an NDJSON line is not JSON ({e}): {line}\nstderr:\n{}",
                    stderr(out)
                )
            });
            let schema = line_schema_of(&value)
                .unwrap_or_else(|| panic!("an NDJSON line without a known type: {line}"));
            assert_valid(&value, schema, out);
            value
        })
        .collect()
}

/// The file of `schemas/` that describes a JSON document of this shape: an operation
/// report has `run_id` and `items`, a dry run `"dry_run": true`; `check`, `journal`,
/// `config show` and `version` are told by their fields; anything else is a read
/// command's provider data.
pub fn schema_of(value: &Value) -> &'static str {
    let has = |v: &Value, keys: &[&str]| keys.iter().all(|k| v.get(k).is_some());
    match value {
        Value::Object(_) if has(value, &["reconciles", "items"]) => "reconcile.json",
        Value::Object(_) if has(value, &["run_id", "items"]) => "operation.json",
        Value::Object(_) if value["dry_run"] == true => "dry-run.json",
        Value::Object(_) if has(value, &["version", "commit", "build_date"]) => "version.json",
        Value::Object(_) if value["config"].get("source").is_some() => "config-show.json",
        Value::Object(_) if has(value, &["pruned", "kept_unknown"]) => "journal-prune.json",
        Value::Array(rows) => match rows.first() {
            Some(r) if has(r, &["check", "result", "detail"]) => "check.json",
            Some(r) if has(r, &["run_id", "not_sent"]) => "journal-list.json",
            Some(r) if has(r, &["id", "error_kind", "sent", "done"]) => "journal-show.json",
            _ => "read.json",
        },
        _ => "read.json",
    }
}

/// The schema of one NDJSON line, by its `type`: a read command's element wrapped in
/// `data`, an operation's item or summary, a dry run's request or summary.
pub fn line_schema_of(line: &Value) -> Option<&'static str> {
    match line["type"].as_str()? {
        "item" if line.get("data").is_some() => Some("read-line.json"),
        "item" if line.get("evidence").is_some() => Some("reconcile-line.json"),
        "summary" if line.get("reconciles").is_some() => Some("reconcile-line.json"),
        "item" => Some("operation-line.json"),
        "request" => Some("dry-run-line.json"),
        "summary" if line["dry_run"] == true => Some("dry-run-line.json"),
        "summary" if line.get("run_id").is_none() => Some("list-line.json"),
        "summary" => Some("operation-line.json"),
        _ => None,
    }
}

/// Why `value` does not satisfy `schema` (a file of `schemas/`), if it does not.
pub fn validate(value: &Value, schema: &str) -> Result<(), String> {
    let contract = contract();
    let index = contract
        .index
        .get(schema)
        .unwrap_or_else(|| panic!("no schema {schema} in schemas/"));
    contract
        .schemas
        .validate(value, *index)
        .map_err(|e| format!("{e:#}"))
}

fn assert_valid(value: &Value, schema: &str, out: &Output) {
    if let Err(why) = validate(value, schema) {
        panic!(
            "stdout does not follow schemas/{schema}:\n{why}\nstdout:\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        );
    }
}

fn parse_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

/// Every schema of `schemas/`, compiled once for the test binary (compiling checks
/// each against the draft 2020-12 meta-schema).
pub struct Contract {
    schemas: boon::Schemas,
    /// Schema file name to its compiled index.
    pub index: std::collections::BTreeMap<String, boon::SchemaIndex>,
}

/// The compiled schemas; panics, naming the file, if one does not compile.
pub fn contract() -> &'static Contract {
    static CONTRACT: std::sync::OnceLock<Contract> = std::sync::OnceLock::new();
    CONTRACT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        let mut index = std::collections::BTreeMap::new();
        for entry in std::fs::read_dir(&dir).expect("schemas/") {
            let path = entry.expect("schemas/ entry").path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let loc = path.to_str().expect("a UTF-8 path");
            let compiled = compiler
                .compile(loc, &mut schemas)
                .unwrap_or_else(|e| panic!("{} does not compile: {e:#}", path.display()));
            let name = path.file_name().expect("a file name").to_string_lossy();
            index.insert(name.into_owned(), compiled);
        }
        Contract { schemas, index }
    })
}

/// A fixture file's text, from `fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

pub async fn server() -> MockServer {
    MockServer::start().await
}

/// The requests the server received, as (method, path+query, body JSON or null).
pub async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

pub fn body_json(req: &wiremock::Request) -> Value {
    serde_json::from_slice(&req.body).unwrap_or(Value::Null)
}

pub fn header<'a>(req: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The path of a fixture file.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A `certctl sandbox serve` child process on a free loopback port; killed on drop.
pub struct Sandbox {
    child: std::process::Child,
    pub base: String,
}

impl Sandbox {
    pub fn spawn(extra: &[&str]) -> Sandbox {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("certctl"))
            .args(["sandbox", "serve", "--listen", &addr])
            .args(extra)
            .env("RUST_BACKTRACE", "0")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn sandbox");
        for _ in 0..200 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Sandbox {
            child,
            base: format!("http://{addr}"),
        }
    }

    /// Environment variables pointing every provider at this emulator.
    pub fn env(&self, cmd: &mut assert_cmd::Command) {
        for (name, value) in self.env_vars() {
            cmd.env(name, value);
        }
    }

    /// The variables [`Sandbox::env`] sets, for a `std::process::Command`.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        let base = &self.base;
        vec![
            ("CERTCTL_BCDIPLOMA_BASE_URL", format!("{base}/bcdiploma")),
            ("CERTCTL_BCDIPLOMA_TOKEN", "sandbox-token".into()),
            ("CERTCTL_ORIGIN_BASE_URL", format!("{base}/origin")),
            ("CERTCTL_ORIGIN_TOKEN", "sandbox-token".into()),
            (
                "CERTCTL_DIGICERT_BASE_URL",
                format!("{base}/digicert/services/v2"),
            ),
            ("CERTCTL_DIGICERT_API_KEY", "sandbox-token".into()),
            ("CERTCTL_SERTIFIKA_BASE_URL", format!("{base}/sertifika")),
            ("CERTCTL_SERTIFIKA_TOKEN", "sandbox-token".into()),
            ("CERTCTL_SERTIFIKA_COMPANY_ID", "sandbox-company".into()),
        ]
    }

    /// `GET /_sandbox/stats`, over a plain TCP connection.
    pub fn stats(&self) -> Value {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect sandbox");
        write!(
            stream,
            "GET /_sandbox/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("read");
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("stats not JSON ({e}): {text}"))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first `n` orders of the emulator's seed that are issued and carry no request:
/// those whose ID does not end in 0, 5 or 9 (see the README's "Use in CI"). 2,000
/// orders (the default) hold 1,400 of them.
pub fn ready_orders(n: usize) -> Vec<String> {
    (10_001u64..)
        .filter(|id| !matches!(id % 10, 0 | 5 | 9))
        .take(n)
        .map(|id| id.to_string())
        .collect()
}

/// The words of a command line written as one string (`"-o json --yes digicert
/// orders revoke 1001"`), for the arguments that hold no space.
pub fn argv(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// A provider's account as the tests give it to certctl, in the environment: its
/// base URL's variable, its secret and its other settings.
pub struct Account {
    /// The variable of its base URL.
    pub base_var: &'static str,
    /// The variable of its secret.
    pub secret_var: &'static str,
    /// The secret.
    pub secret: &'static str,
    /// Its other settings (Sertifika's company).
    pub extra: &'static [(&'static str, &'static str)],
}

pub const BCDIPLOMA: Account = Account {
    base_var: "CERTCTL_BCDIPLOMA_BASE_URL",
    secret_var: "CERTCTL_BCDIPLOMA_TOKEN",
    secret: "bcd-secret-token-123",
    extra: &[],
};

pub const ORIGIN: Account = Account {
    base_var: "CERTCTL_ORIGIN_BASE_URL",
    secret_var: "CERTCTL_ORIGIN_TOKEN",
    secret: "origin-secret-token-42",
    extra: &[],
};

pub const DIGICERT: Account = Account {
    base_var: "CERTCTL_DIGICERT_BASE_URL",
    secret_var: "CERTCTL_DIGICERT_API_KEY",
    secret: "dc-test-key-5f1a2b3c",
    extra: &[],
};

pub const SERTIFIKA: Account = Account {
    base_var: "CERTCTL_SERTIFIKA_BASE_URL",
    secret_var: "CERTCTL_SERTIFIKA_TOKEN",
    secret: "sm-token-Zq81",
    extra: &[("CERTCTL_SERTIFIKA_COMPANY_ID", "acme-co")],
};

impl Account {
    /// Points `cmd` at this account, served at `base`.
    pub fn point<'c>(
        &self,
        cmd: &'c mut assert_cmd::Command,
        base: &str,
    ) -> &'c mut assert_cmd::Command {
        cmd.env(self.base_var, base)
            .env(self.secret_var, self.secret);
        for (name, value) in self.extra {
            cmd.env(name, value);
        }
        cmd
    }

    /// certctl pointed at this account, served at `base`.
    pub fn cmd(&self, env: &Env, base: &str) -> assert_cmd::Command {
        let mut cmd = env.cmd();
        self.point(&mut cmd, base);
        cmd
    }

    /// Asserts the secret shows in neither stdout nor stderr.
    pub fn no_secret(&self, out: &Output) {
        let who = self.secret_var;
        assert!(
            !stdout(out).contains(self.secret),
            "{who}: secret in stdout"
        );
        assert!(
            !stderr(out).contains(self.secret),
            "{who}: secret in stderr"
        );
    }
}

/// Answers `verb at` on `server` with `status` and the fixture `body` (a path under
/// `fixtures/`), or no body.
pub async fn answer(
    server: &MockServer,
    verb: &str,
    at: impl Into<String>,
    status: u16,
    body: Option<&str>,
) {
    let mut template = wiremock::ResponseTemplate::new(status);
    if let Some(name) = body {
        template = template.set_body_raw(fixture(name), "application/json");
    }
    wiremock::Mock::given(wiremock::matchers::method(verb))
        .and(wiremock::matchers::path(at))
        .respond_with(template)
        .mount(server)
        .await;
}

/// Answers every `verb at` on `server` with `template` (once any [`respond_first`]
/// of the same request has run out).
pub async fn respond(
    server: &MockServer,
    verb: &str,
    at: impl Into<String>,
    template: wiremock::ResponseTemplate,
) {
    wiremock::Mock::given(wiremock::matchers::method(verb))
        .and(wiremock::matchers::path(at))
        .respond_with(template)
        .with_priority(2)
        .mount(server)
        .await;
}

/// Answers the first `times` requests `verb at` on `server` with `template`, before
/// any [`respond`] to the same request.
pub async fn respond_first(
    server: &MockServer,
    verb: &str,
    at: impl Into<String>,
    template: wiremock::ResponseTemplate,
    times: u64,
) {
    wiremock::Mock::given(wiremock::matchers::method(verb))
        .and(wiremock::matchers::path(at))
        .respond_with(template)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
}
