//! Help, version and completions: what a new user sees first.

use crate::common::*;

#[tokio::test]
async fn help_has_examples_and_global_options() {
    let env = Env::new();
    let mut c = env.cmd();
    c.arg("--help");
    let out = run(c).await;
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.contains("Global Options"), "{text}");
    assert!(text.contains("EXAMPLES"), "{text}");
    let mut c = env.cmd();
    c.args(["bcdiploma", "certificates", "delete", "--help"]);
    let out = run(c).await;
    assert!(stdout(&out).contains("EXAMPLES"), "{}", stdout(&out));
}

#[tokio::test]
async fn version_names_the_binary() {
    let env = Env::new();
    let mut c = env.cmd();
    c.arg("--version");
    let out = run(c).await;
    assert_eq!(code(&out), 0);
    let expected = format!("certctl {}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(stdout(&out), expected);
    // The short form and clap's own answer (when other flags come first) agree.
    for args in [&["-V"][..], &["-q", "--version"][..]] {
        let mut c = env.cmd();
        c.args(args);
        let out = run(c).await;
        assert_eq!(code(&out), 0, "{args:?}");
        assert_eq!(stdout(&out), expected, "{args:?}");
    }
}

#[tokio::test]
async fn completions_for_every_shell() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let mut c = env.cmd();
        c.args(["completions", shell]);
        let out = run(c).await;
        assert_eq!(code(&out), 0, "{shell}");
        assert!(stdout(&out).contains("certctl"), "{shell}");
    }
    let mut c = env.cmd();
    c.args(["completions", "tcsh"]);
    assert_eq!(code(&run(c).await), 2);
}

#[tokio::test]
async fn a_closed_stdout_pipe_is_not_an_error() {
    let env = Env::new();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("certctl"))
        .args(["completions", "bash"])
        .env("RUST_BACKTRACE", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    drop(env);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
