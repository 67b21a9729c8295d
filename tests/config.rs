//! Configuration as a user meets it: files, profiles, environment, precedence,
//! secrets from files, and the `config` commands.

use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

use crate::common::*;

fn show(env: &Env, args: &[&str]) -> assert_cmd::Command {
    let mut c = env.cmd();
    c.args(args).args(["-o", "json", "config", "show"]);
    c
}

#[tokio::test]
async fn precedence_is_flag_env_file_default() {
    let env = Env::new();
    let conf = env.config(
        "default_profile = \"prod\"\n[profiles.prod.bcdiploma]\nbase_url = \"https://api-cus.bcdiploma.com/\"\ntoken = \"file-token\"\nrate = 5\n\
         [profiles.prod.digicert]\napi_key = \"dc-file\"\n",
    );
    let mut c = show(&env, &["-c", conf.to_str().unwrap(), "--timeout", "2m"]);
    c.env("CERTCTL_BCDIPLOMA_TOKEN", "env-token")
        .env("CERTCTL_RETRIES", "7");
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    let get = |k: &str| {
        (
            doc[k]["value"].as_str().unwrap().to_string(),
            doc[k]["source"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(get("profile"), ("prod".into(), "file".into()));
    assert_eq!(get("timeout"), ("2m".into(), "flag".into()));
    assert_eq!(get("retries"), ("7".into(), "env".into()));
    assert_eq!(get("concurrency"), ("4".into(), "default".into()));
    assert_eq!(get("bcdiploma.token"), ("<redacted>".into(), "env".into()));
    assert_eq!(get("bcdiploma.base_url").1, "file");
    assert_eq!(
        get("bcdiploma.rate"),
        ("5 per second".into(), "file".into())
    );
    assert_eq!(
        get("digicert.api_key"),
        ("<redacted>".into(), "file".into())
    );
    assert_eq!(
        get("origin.base_url"),
        ("https://origin.build/equinox".into(), "default".into())
    );
    let all = stdout(&out);
    assert!(!all.contains("file-token") && !all.contains("env-token") && !all.contains("dc-file"));
}

#[tokio::test]
async fn secrets_from_files_lose_their_trailing_newline() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let secret = env.file("bcd.secret", "from-file-token\n");
    let conf = env.config(&format!(
        "[profiles.default.bcdiploma]\nbase_url = \"{}\"\ntoken_file = \"{}\"\n",
        server.uri(),
        secret.display()
    ));
    let mut c = env.cmd();
    c.args([
        "-c",
        conf.to_str().unwrap(),
        "--rate",
        "0",
        "bcdiploma",
        "certificates",
        "disable",
        "k1",
    ]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        header(&received(&server).await[0], "authorization"),
        Some("Bearer from-file-token")
    );
}

#[tokio::test]
async fn the_environment_beats_the_file_and_the_flag_beats_both() {
    let (env, server) = (Env::new(), server().await);
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let conf = env.config(
        "[profiles.default.bcdiploma]\nbase_url = \"https://unused.example\"\ntoken = \"file-token\"\n[profiles.other.bcdiploma]\ntoken = \"other-token\"\n",
    );
    let mut c = env.cmd();
    c.env("CERTCTL_BCDIPLOMA_BASE_URL", server.uri())
        .env("CERTCTL_PROFILE", "default")
        .args([
            "-c",
            conf.to_str().unwrap(),
            "-p",
            "other",
            "bcdiploma",
            "certificates",
            "disable",
            "k1",
        ]);
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        header(&received(&server).await[0], "authorization"),
        Some("Bearer other-token")
    );
}

#[tokio::test]
async fn config_errors_are_exit_4_with_the_key_named() {
    let env = Env::new();
    let cases = [
        ("[profiles.default.bcdiploma]\ntokn = \"x\"\n", "tokn"),
        ("[profiles.default]\nbcdiplomaa = {}\n", "bcdiplomaa"),
        ("colour = true\n", "colour"),
        ("[profiles.default.bcdiploma\n", "not valid TOML"),
        (
            "[profiles.default.bcdiploma]\nbase_url = \"http://api.bcdiploma.com\"\ntoken = \"t\"\n",
            "loopback",
        ),
    ];
    for (text, needle) in cases {
        let conf = env.config(text);
        let mut c = env.cmd();
        c.args([
            "-c",
            conf.to_str().unwrap(),
            "bcdiploma",
            "certificates",
            "disable",
            "k1",
        ]);
        let out = run(c).await;
        assert_eq!(code(&out), 4, "{text}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(needle),
            "{needle} not in {}",
            stderr(&out)
        );
        assert_eq!(
            stderr(&out)
                .lines()
                .filter(|l| l.starts_with("certctl: error"))
                .count(),
            1
        );
    }
}

#[tokio::test]
async fn an_explicit_missing_config_is_exit_4_but_the_default_path_is_optional() {
    let env = Env::new();
    let mut c = env.cmd();
    c.args(["-c", "/nonexistent/certctl.toml", "config", "show"]);
    assert_eq!(code(&run(c).await), 4);
    let mut c = env.cmd();
    c.args(["config", "show"]);
    assert_eq!(code(&run(c).await), 0);
    let mut c = env.cmd();
    c.args(["-p", "nosuch", "config", "show"]);
    assert_eq!(code(&run(c).await), 4);
}

#[tokio::test]
async fn a_readable_file_with_an_inline_secret_warns() {
    let env = Env::new();
    let conf = env.config("[profiles.default.bcdiploma]\ntoken = \"t\"\n");
    set_mode(&conf, 0o644);
    let mut c = env.cmd();
    c.args(["-c", conf.to_str().unwrap(), "config", "show"]);
    let out = run(c).await;
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
    set_mode(&conf, 0o600);
    let mut c = env.cmd();
    c.args(["-c", conf.to_str().unwrap(), "config", "show"]);
    assert!(!stderr(&run(c).await).contains("chmod"));
}

#[tokio::test]
async fn init_writes_a_private_file_and_refuses_to_overwrite() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let mut c = env.cmd();
    c.args(["config", "path"]);
    let out = run(c).await;
    let path = env.path("config").join("certctl").join("config.toml");
    assert_eq!(stdout(&out).trim(), path.display().to_string());
    let mut c = env.cmd();
    c.args(["config", "init"]);
    assert_eq!(code(&run(c).await), 0);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let mut c = env.cmd();
    c.args(["config", "init"]);
    let out = run(c).await;
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--force"));
    let mut c = env.cmd();
    c.args(["config", "init", "--force"]);
    assert_eq!(code(&run(c).await), 0);
    let mut c = env.cmd();
    c.args(["config", "show"]);
    assert_eq!(code(&run(c).await), 0, "the written file must load");
    // After init, `check` says to fill the file in, not to run init again.
    let mut c = env.cmd();
    c.arg("check");
    let out = run(c).await;
    assert_eq!(code(&out), 4);
    assert!(
        stderr(&out).contains(&format!("edit {}", path.display())),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("config init"), "{}", stderr(&out));
}

#[tokio::test]
async fn init_under_dry_run_prints_the_file_and_writes_nothing() {
    let env = Env::new();
    let path = env.path("config").join("certctl").join("config.toml");
    let mut c = env.cmd();
    c.args(argv("--dry-run config init"));
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!path.exists(), "a dry run wrote {}", path.display());
    assert!(
        stderr(&out).contains(&format!("would write {}", path.display())),
        "{}",
        stderr(&out)
    );
    let printed = stdout(&out);
    let mut c = env.cmd();
    c.args(argv("config init"));
    assert_eq!(code(&run(c).await), 0);
    assert_eq!(printed, std::fs::read_to_string(&path).unwrap());
    // Over an existing file it refuses as the real command does, and changes nothing.
    std::fs::write(&path, "# mine\n").unwrap();
    let mut c = env.cmd();
    c.args(argv("--dry-run config init"));
    let out = run(c).await;
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
}

#[tokio::test]
async fn a_toml_syntax_error_says_what_is_wrong_and_where() {
    let env = Env::new();
    let conf = env.config("default_profile = \"a\"\n[profiles.a.bcdiploma]\ntoken = x\n");
    let mut c = env.cmd();
    c.arg("-c").arg(&conf).args(["config", "show"]);
    let out = run(c).await;
    assert_eq!(code(&out), 4);
    let text = stderr(&out);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("certctl: error: the config file "),
        "{text}"
    );
    assert!(
        first.contains("is not valid TOML at line 3, column 9: "),
        "{text}"
    );
    assert!(first.contains("string values must be quoted"), "{text}");
    // The parser's excerpt follows: the line, and a caret under the spot.
    assert!(text.contains("3 | token = x"), "{text}");
    assert!(text.lines().any(|l| l.trim_end().ends_with('^')), "{text}");
}

#[tokio::test]
async fn an_unknown_profile_names_the_ones_there_are() {
    let env = Env::new();
    let conf = env.config("[profiles.prod.bcdiploma]\ntoken = \"t\"\n[profiles.staging]\n");
    let mut c = env.cmd();
    c.arg("-c")
        .arg(&conf)
        .args(["-p", "nope", "config", "show"]);
    let out = run(c).await;
    assert_eq!(code(&out), 4);
    let text = stderr(&out);
    assert!(text.contains("the profile `nope` is not in"), "{text}");
    assert!(
        text.contains("profiles in the file: prod, staging"),
        "{text}"
    );

    let empty = env.file("empty.toml", "");
    let mut c = env.cmd();
    c.arg("-c")
        .arg(&empty)
        .args(["-p", "nope", "config", "show"]);
    let out = run(c).await;
    assert_eq!(code(&out), 4);
    assert!(
        stderr(&out).contains("has no profile yet"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn the_sandbox_needs_no_profile_of_the_file() {
    let env = Env::new();
    let conf = env.config("[profiles.staging.bcdiploma]\ntoken = \"t\"\n");
    let mut c = env.cmd();
    c.arg("-c").arg(&conf).args(argv(
        "--sandbox -p prod -o json bcdiploma certificates disable --campaign demo-campaign",
    ));
    let out = run(c).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["outcome"], "succeeded");
}
