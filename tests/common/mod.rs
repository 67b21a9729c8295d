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
        let mut cmd = assert_cmd::Command::cargo_bin("certctl").expect("binary");
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

/// stdout parsed as one JSON document.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        )
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
