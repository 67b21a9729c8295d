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

/// What `--version` prints: the version, then the build's commit, date and target.
fn version_line() -> String {
    format!(
        "certctl {} (commit {}, built {}, {})\n",
        env!("CARGO_PKG_VERSION"),
        env!("CERTCTL_COMMIT"),
        env!("CERTCTL_BUILD_DATE"),
        env!("CERTCTL_TARGET")
    )
}

#[tokio::test]
async fn version_names_the_binary_and_the_build() {
    let env = Env::new();
    let expected = version_line();
    // The fast path (`--version` alone), the short form and clap's own answer (when
    // other flags come first) agree, and so does `certctl version`.
    for args in [
        &["--version"][..],
        &["-V"][..],
        &["-q", "--version"][..],
        &["version"][..],
    ] {
        let mut c = env.cmd();
        c.args(args);
        let out = run(c).await;
        assert_eq!(code(&out), 0, "{args:?}");
        assert_eq!(stdout(&out), expected, "{args:?}");
    }
    let commit = env!("CERTCTL_COMMIT");
    assert!(
        commit == "unknown" || commit.chars().all(|c| c.is_ascii_hexdigit()),
        "{commit}"
    );
    let date = env!("CERTCTL_BUILD_DATE");
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{date}"
    );
}

#[tokio::test]
async fn version_as_json() {
    let env = Env::new();
    let mut c = env.cmd();
    c.args(["version", "-o", "json"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0);
    assert_eq!(
        json(&out),
        serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "commit": env!("CERTCTL_COMMIT"),
            "build_date": env!("CERTCTL_BUILD_DATE"),
            "target": env!("CERTCTL_TARGET"),
        })
    );
}

#[test]
fn version_flag_is_only_at_the_top_level() {
    let env = Env::new();
    let top = help(&env, &[]);
    assert!(top.contains("--version"), "{top}");
    for path in commands(&env) {
        let text = help(&env, &path);
        assert!(!text.contains("--version"), "{path:?}:\n{text}");
    }
    let out = env.cmd().args(["config", "path", "-V"]).output().unwrap();
    assert_eq!(code(&out), 2);
}

/// `certctl PATH... --help` at 80 columns.
fn help(env: &Env, path: &[String]) -> String {
    let out = env
        .cmd()
        .env("COLUMNS", "80")
        .args(path)
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{path:?}: {}", stderr(&out));
    stdout(&out)
}

/// Every command path below the top level, groups and leaves, read from the
/// `Commands:` sections of `--help` as a user would find them.
fn commands(env: &Env) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut queue = vec![Vec::new()];
    while let Some(path) = queue.pop() {
        let text = help(env, &path);
        let names = text
            .lines()
            .skip_while(|l| *l != "Commands:")
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| *name != "help");
        for name in names {
            let mut sub = path.clone();
            sub.push(name.to_string());
            queue.push(sub.clone());
            found.push(sub);
        }
    }
    found
}

/// The lines of the EXAMPLES section of a help text.
fn example_lines(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| *l != "EXAMPLES:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

#[test]
fn every_command_has_examples_that_80_columns_do_not_break() {
    let env = Env::new();
    let mut paths = commands(&env);
    paths.push(Vec::new());
    for path in paths {
        let text = help(&env, &path);
        let lines = example_lines(&text);
        assert!(!lines.is_empty(), "{path:?} has no examples:\n{text}");
        let mut continued = false;
        for line in lines {
            assert!(line.chars().count() <= 80, "{path:?}: {line}");
            if continued {
                assert!(line.starts_with("      "), "{path:?}: {line}");
            } else {
                let command = line.trim_start().trim_start_matches("$EDITOR \"$(");
                assert!(
                    line.starts_with("  ") && command.starts_with("certctl "),
                    "{path:?}: an example line is split or is not a command: {line}"
                );
            }
            continued = line.ends_with(" \\");
        }
        assert!(
            !continued,
            "{path:?}: the last example ends in a continuation"
        );
    }
}

#[test]
fn every_operation_lists_the_exit_codes() {
    let env = Env::new();
    let leaves: Vec<Vec<String>> = commands(&env)
        .into_iter()
        .filter(|p| {
            ["bcdiploma", "digicert", "origin", "sertifika"].contains(&p[0].as_str())
                && p.len() == 3
        })
        .collect();
    assert!(leaves.len() >= 12, "{leaves:?}");
    for path in leaves.iter().chain([&vec!["check".to_string()], &vec![]]) {
        let text = help(&env, path);
        let table = text
            .split("EXIT CODES:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{path:?} has no exit codes:\n{text}"));
        let codes: Vec<&str> = table
            .lines()
            .map_while(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(
            codes,
            ["0", "1", "2", "3", "4", "5", "6", "7", "130"],
            "{path:?}"
        );
    }
}

#[test]
fn the_man_page_names_every_provider_command() {
    let env = Env::new();
    let out = env.cmd().arg("man").output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.starts_with(".TH certctl 1 "), "{}", &page[..200]);
    let leaves = commands(&env).into_iter().filter(|p| {
        ["bcdiploma", "digicert", "origin", "sertifika"].contains(&p[0].as_str()) && p.len() == 3
    });
    let mut named = 0;
    for path in leaves {
        let entry = format!("\\fBcertctl {}\\fR", path.join(" ").replace('-', "\\-"));
        assert!(page.contains(&entry), "{entry} is not in the man page");
        named += 1;
    }
    assert!(named >= 12);
}

#[test]
fn quiet_and_verbose_together_are_a_usage_error() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["-q", "-v", "config", "path"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn log_colour_follows_color_and_no_color() {
    let env = Env::new();
    // A readable file holding a credential draws a WARN line.
    let config = env.config("[profiles.default.bcdiploma]\ntoken = \"t\"\n");
    set_mode(&config, 0o644);
    let warn = |args: &[&str], vars: &[(&str, &str)]| {
        let mut c = env.cmd();
        c.env_remove("NO_COLOR").arg("-c").arg(&config);
        for (k, v) in vars {
            c.env(k, v);
        }
        let out = c.args(args).args(["config", "show"]).output().unwrap();
        let text = stderr(&out);
        assert!(text.contains("WARN"), "{text}");
        text.contains("\x1b[")
    };
    assert!(warn(&["--color", "always"], &[]));
    assert!(warn(&[], &[("CERTCTL_COLOR", "always")]));
    assert!(!warn(&["--color", "never"], &[]));
    // Not a terminal: auto means none, whether NO_COLOR is set or not.
    assert!(!warn(&[], &[]));
    assert!(!warn(&[], &[("NO_COLOR", "1")]));
    let out = env
        .cmd()
        .args(["--color", "sometimes", "config", "path"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
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
