//! The journal (README, "When a run is cut or its outcome is unknown"): well-formed durable lines for every state-changing
//! request, nothing for dry runs or with `journal = false`, a refused run when it
//! cannot be written, clean interruption, `--resume`, and `journal list`/`show`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use wiremock::{MockServer, ResponseTemplate};

use crate::common::*;

const TOKEN: &str = "journal-secret-token-5e1f";

async fn keys_server(delay: Duration) -> MockServer {
    let server = server().await;
    respond(
        &server,
        "PUT",
        "/admin/keys",
        ResponseTemplate::new(200)
            .set_body_raw("{}", "application/json")
            .set_delay(delay),
    )
    .await;
    server
}

fn disable(env: &Env, server: &MockServer, ids: &[String], extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_BCDIPLOMA_BASE_URL", server.uri())
        .env("CERTCTL_BCDIPLOMA_TOKEN", TOKEN)
        .args(["-o", "json", "--rate", "0", "--retries", "0"])
        .args(["bcdiploma", "certificates", "disable"])
        .args(extra)
        .args(ids);
    cmd
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("key-{i:03}")).collect()
}

/// Every line of the journal, each parsed (a line that does not parse fails the test).
fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("journal");
    assert!(text.ends_with('\n'), "the journal ends with a whole line");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

fn ids_of(line: &Value) -> Vec<String> {
    line["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_string())
        .collect()
}

/// Checks the shape of every line, and a `sent` before each `done`; returns each
/// ID's last state (`sent`, or its done outcome).
fn check_lines(lines: &[Value], run_id: &str) -> HashMap<String, String> {
    let mut state: HashMap<String, String> = HashMap::new();
    for line in lines {
        assert_eq!(line["run_id"], run_id, "{line}");
        assert_eq!(line["provider"], "bcdiploma");
        assert_eq!(line["operation"], "certificates.disable");
        assert_eq!(line["profile"], "default");
        let time = line["time"].as_str().expect("time");
        assert!(humantime::parse_rfc3339(time).is_ok(), "{time}");
        for id in ids_of(line) {
            match line["phase"].as_str() {
                Some("sent") => {
                    assert!(state.insert(id, "sent".into()).is_none(), "sent twice");
                }
                Some("done") => {
                    assert!(line.get("http_status").is_some(), "{line}");
                    let outcome = line["outcome"].as_str().expect("outcome");
                    let before = state.insert(id.clone(), outcome.into());
                    assert_eq!(before.as_deref(), Some("sent"), "done before sent: {id}");
                }
                other => panic!("phase {other:?}"),
            }
        }
    }
    state
}

fn journal_env(env: &Env, cmd: &mut assert_cmd::Command) -> std::path::PathBuf {
    let path = env.path("j/journal.ndjson");
    cmd.env("CERTCTL_JOURNAL", &path);
    path
}

#[tokio::test]
async fn a_bulk_run_writes_one_sent_and_one_done_per_request() {
    let env = Env::new();
    let server = keys_server(Duration::ZERO).await;
    let ids = keys(10);
    let mut cmd = disable(&env, &server, &ids, &["--batch-size", "3", "-vvv"]);
    let path = journal_env(&env, &mut cmd);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let run_id = json(&out)["run_id"].as_str().expect("run_id").to_string();
    let lines = lines(&path);
    assert_eq!(lines.len(), 8, "4 requests: 4 sent + 4 done");
    let state = check_lines(&lines, &run_id);
    assert_eq!(state.len(), 10);
    assert!(state.values().all(|s| s == "succeeded"));
    let done = lines.iter().find(|l| l["phase"] == "done").expect("done");
    assert_eq!(done["http_status"], 200);
    let text = std::fs::read_to_string(&path).expect("journal");
    assert!(!text.contains(TOKEN), "no secret in the journal");
    assert!(!text.contains("enable"), "no request body in the journal");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn the_default_journal_is_in_the_state_dir() {
    let env = Env::new();
    let server = keys_server(Duration::ZERO).await;
    let out = run(disable(&env, &server, &keys(2), &[])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let path = env.path("state/certctl/journal.ndjson");
    let run_id = json(&out)["run_id"].as_str().expect("run_id").to_string();
    check_lines(&lines(&path), &run_id);
}

#[tokio::test]
async fn journal_false_and_dry_runs_write_nothing() {
    let env = Env::new();
    let server = keys_server(Duration::ZERO).await;
    let config = env.config("[profiles.default]\njournal = false\n");
    let mut cmd = disable(&env, &server, &keys(3), &[]);
    cmd.env("CERTCTL_CONFIG", &config);
    let path = journal_env(&env, &mut cmd);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(received(&server).await.len(), 1);

    let mut cmd = disable(&env, &server, &keys(3), &["--dry-run"]);
    journal_env(&env, &mut cmd);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!path.exists(), "nothing journaled");
    assert!(!env.path("state").exists(), "no default journal either");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn an_unwritable_journal_stops_the_run_before_any_request() {
    let env = Env::new();
    let server = keys_server(Duration::ZERO).await;
    let dir = env.path("a-directory");
    std::fs::create_dir(&dir).expect("dir");
    for target in [Path::new("/proc/nope/journal"), dir.as_path()] {
        let mut cmd = disable(&env, &server, &keys(3), &[]);
        cmd.env("CERTCTL_JOURNAL", target);
        let out = run(cmd).await;
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&target.display().to_string()), "{err}");
        assert!(
            err.contains("journal = false") && err.contains("CERTCTL_JOURNAL"),
            "{err}"
        );
    }
    assert!(received(&server).await.is_empty(), "nothing was sent");
}

/// How many times each key reached the server.
async fn sends(server: &MockServer) -> HashMap<String, usize> {
    let mut count = HashMap::new();
    for req in received(server).await {
        for id in body_json(&req)["ids"].as_array().into_iter().flatten() {
            *count
                .entry(id.as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    count
}

/// Starts a slow bulk disable, sends `signal` once a few requests arrived, and
/// returns its output and journal path.
async fn cut_short(env: &Env, server: &MockServer, ids: &[String], signal: &str) -> Output {
    let mut cmd = env.process();
    cmd.env("CERTCTL_JOURNAL", env.path("j/journal.ndjson"))
        .env("CERTCTL_BCDIPLOMA_BASE_URL", server.uri())
        .env("CERTCTL_BCDIPLOMA_TOKEN", TOKEN)
        .args(argv("-o json --rate 0 --retries 0 --concurrency 2"))
        .args(["bcdiploma", "certificates", "disable", "--batch-size", "1"])
        .args(ids)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("spawn certctl");
    let pid = child.id().to_string();
    let started = std::time::Instant::now();
    while received(server).await.len() < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no requests arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = std::process::Command::new("kill")
        .args([signal, &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait"))
        .await
        .expect("join")
}

fn resume(env: &Env, server: &MockServer, ids: &[String], run_id: &str) -> assert_cmd::Command {
    let mut cmd = disable(
        env,
        server,
        ids,
        &[
            "--batch-size",
            "1",
            "--concurrency",
            "2",
            "--resume",
            run_id,
        ],
    );
    journal_env(env, &mut cmd);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_finishes_in_flight_requests_and_resume_sends_the_rest_once() {
    let env = Env::new();
    let server = keys_server(Duration::from_millis(150)).await;
    let ids = keys(24);
    let out = cut_short(&env, &server, &ids, "-INT").await;
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["interrupted"], true);
    let run_id = report["run_id"].as_str().expect("run_id").to_string();
    let journal = env.path("j/journal.ndjson");
    let state = check_lines(&lines(&journal), &run_id);
    assert!(
        state.values().all(|s| s != "sent"),
        "every request sent has its outcome: {state:?}"
    );
    let succeeded: HashSet<&String> = state
        .iter()
        .filter(|(_, s)| *s == "succeeded")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        report["summary"]["succeeded"].as_u64(),
        Some(succeeded.len() as u64)
    );
    assert!(succeeded.len() < ids.len(), "the run was cut short");
    for (id, s) in &state {
        if s == "not_sent" {
            assert!(!sends(&server).await.contains_key(id), "{id} was not sent");
        }
    }

    let out = run(resume(&env, &server, &ids, &run_id)).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        report["summary"]["skipped"].as_u64(),
        Some(succeeded.len() as u64)
    );
    assert_eq!(report["summary"]["total"].as_u64(), Some(ids.len() as u64));
    assert_eq!(
        report["summary"]["succeeded"].as_u64(),
        Some((ids.len() - succeeded.len()) as u64)
    );
    let sends = sends(&server).await;
    for id in &ids {
        assert_eq!(
            sends.get(id),
            Some(&1),
            "{id} reached the server exactly once"
        );
    }
    // The new run journals only what it sent, and names the first run of its chain.
    let new_id = report["run_id"].as_str().expect("run_id");
    assert_ne!(new_id, run_id);
    let lines = lines(&journal);
    let new_lines: Vec<&Value> = lines.iter().filter(|l| l["run_id"] == new_id).collect();
    let sent: usize = new_lines
        .iter()
        .filter(|l| l["phase"] == "sent")
        .map(|l| ids_of(l).len())
        .sum();
    assert_eq!(sent, ids.len() - succeeded.len());
    assert!(new_lines.iter().all(|l| l["resumes"] == run_id));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_leaves_whole_lines_and_resume_resends_unknown_idempotent_items() {
    let env = Env::new();
    let server = keys_server(Duration::from_millis(150)).await;
    let ids = keys(24);
    let out = cut_short(&env, &server, &ids, "-KILL").await;
    assert_eq!(out.status.code(), None, "killed by the signal");
    let journal = env.path("j/journal.ndjson");
    let lines = lines(&journal);
    let run_id = lines[0]["run_id"].as_str().expect("run_id").to_string();
    let state = check_lines(&lines, &run_id);
    let succeeded: HashSet<String> = state
        .iter()
        .filter(|(_, s)| *s == "succeeded")
        .map(|(id, _)| id.clone())
        .collect();
    assert!(
        state.values().any(|s| s == "sent"),
        "some items are unknown"
    );

    let show = {
        let mut cmd = env.cmd();
        journal_env(&env, &mut cmd);
        cmd.args(["-o", "json", "journal", "show", &run_id]);
        run(cmd).await
    };
    assert_eq!(code(&show), 0, "{}", stderr(&show));
    let shown = json(&show);
    let unknown = shown
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["outcome"] == "unknown")
        .count();
    assert_eq!(unknown, state.values().filter(|s| *s == "sent").count());

    let out = run(resume(&env, &server, &ids, &run_id)).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        report["summary"]["skipped"].as_u64(),
        Some(succeeded.len() as u64)
    );
    assert_eq!(report["summary"]["total"].as_u64(), Some(ids.len() as u64));
    let sends = sends(&server).await;
    for id in &ids {
        let n = sends.get(id).copied().unwrap_or(0);
        if succeeded.contains(id) {
            assert_eq!(n, 1, "{id} succeeded before: not sent again");
        } else {
            assert!((1..=2).contains(&n), "{id} sent {n} times");
        }
    }
}

#[tokio::test]
async fn resume_refuses_another_operation_profile_or_unknown_run() {
    let env = Env::new();
    let server = keys_server(Duration::ZERO).await;
    let journal = env.file("journal.ndjson", &fixture("journal/two-runs.ndjson"));
    let mut cmd = disable(
        &env,
        &server,
        &keys(2),
        &["--resume", "01JB0000000000000000000000"],
    );
    cmd.env("CERTCTL_JOURNAL", &journal);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("certificates.delete"),
        "{}",
        stderr(&out)
    );

    let mut cmd = disable(&env, &server, &keys(2), &["--resume", "01NOPE"]);
    cmd.env("CERTCTL_JOURNAL", &journal);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("01NOPE"), "{}", stderr(&out));
    assert!(received(&server).await.is_empty());

    // The run changed the account of profile `prod`: another profile is refused.
    let ids: Vec<String> = ["k1", "k2", "k3", "k4"].map(String::from).to_vec();
    let mut cmd = disable(
        &env,
        &server,
        &ids,
        &["--resume", "01JA0000000000000000000000"],
    );
    cmd.env("CERTCTL_JOURNAL", &journal);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("`prod`"), "{}", stderr(&out));
    assert!(received(&server).await.is_empty());

    // k1 succeeded, k2 failed, k3 unknown (disable is idempotent: sent again).
    let config = env.config("[profiles.prod.bcdiploma]\ntoken = \"from-the-environment\"\n");
    let mut cmd = disable(
        &env,
        &server,
        &ids,
        &["-p", "prod", "--resume", "01JA0000000000000000000000"],
    );
    cmd.env("CERTCTL_JOURNAL", &journal)
        .env("CERTCTL_CONFIG", &config);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["skipped"], 1);
    assert_eq!(report["summary"]["succeeded"], 3);
    assert_eq!(report["summary"]["total"], 4);
    let reqs = received(&server).await;
    assert_eq!(
        body_json(&reqs[0])["ids"],
        serde_json::json!(["k2", "k3", "k4"])
    );
}

fn journal_cmd(env: &Env, args: &[&str]) -> assert_cmd::Command {
    let journal = env.file("journal.ndjson", &fixture("journal/two-runs.ndjson"));
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_JOURNAL", journal).args(args);
    cmd
}

#[tokio::test]
async fn journal_list_shows_runs_newest_first() {
    let env = Env::new();
    let out = run(journal_cmd(&env, &["-o", "json", "journal", "list"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("unreadable line"), "{}", stderr(&out));
    let runs = json(&out);
    assert_eq!(runs[0]["run_id"], "01JB0000000000000000000000");
    assert_eq!(runs[0]["succeeded"], 2);
    let a = &runs[1];
    assert_eq!(a["operation"], "certificates.disable");
    assert_eq!(a["profile"], "prod");
    assert_eq!(
        (
            a["succeeded"].as_u64(),
            a["failed"].as_u64(),
            a["unknown"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );

    let out = run(journal_cmd(&env, &["journal", "list", "--limit", "1"])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("RUN ID"), "{text}");
    assert!(text.contains("01JB0000000000000000000000"), "{text}");
    assert!(!text.contains("01JA0000000000000000000000"), "{text}");

    let empty = Env::new();
    let mut cmd = empty.cmd();
    cmd.args(["-o", "json", "journal", "list"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out), serde_json::json!([]));
}

#[tokio::test]
async fn journal_show_lists_every_item_with_unknown_ones() {
    let env = Env::new();
    let run_id = "01JA0000000000000000000000";
    let out = run(journal_cmd(
        &env,
        &["-o", "json", "journal", "show", run_id],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let items = json(&out);
    let outcomes: Vec<(&str, &str)> = items
        .as_array()
        .expect("array")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap_or(""),
                i["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("k1", "succeeded"), ("k2", "failed"), ("k3", "unknown")]
    );
    assert_eq!(items[1]["http_status"], 400);
    assert_eq!(items[1]["error_kind"], "rejected");

    let out = run(journal_cmd(&env, &["journal", "show", run_id])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("1 succeeded, 1 failed, 1 unknown"), "{text}");
    let k3 = text.lines().find(|l| l.starts_with("k3")).expect("k3 row");
    assert!(k3.contains("unknown"), "{text}");

    let out = run(journal_cmd(&env, &["journal", "show", "01NOPE"])).await;
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(stderr(&out).contains("01NOPE"), "{}", stderr(&out));
}

/// A journal line as certctl writes it.
fn journal_line(run: &str, time: &str, phase: &str, ids: &[&str], extra: &str) -> String {
    let ids: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
    format!(
        "{{\"run_id\":\"{run}\",\"time\":\"{time}\",\"phase\":\"{phase}\",\"profile\":\"default\",\"provider\":\"digicert\",\"operation\":\"orders.revoke\",\"ids\":[{}]{extra}}}\n",
        ids.join(",")
    )
}

/// `--dry-run journal prune` says what a prune would remove, with the counts the
/// prune then gives, and changes neither the journal nor the archive.
#[tokio::test]
async fn prune_under_dry_run_counts_what_it_would_remove_and_changes_nothing() {
    let env = Env::new();
    let old = "2020-01-01T00:00:00.000Z";
    let ok = ",\"http_status\":201,\"outcome\":\"succeeded\"";
    let (a, b, c) = (
        "01JA0000000000000000000000",
        "01JB0000000000000000000000",
        "01JC0000000000000000000000",
    );
    // a and its resume b go (three lines), c stays: its item 2 is unknown.
    let text = [
        journal_line(a, old, "sent", &["1", "2"], ""),
        journal_line(a, old, "done", &["1"], ok),
        journal_line(c, old, "sent", &["2"], ""),
        journal_line(b, old, "done", &["2"], &format!(",\"resumes\":\"{a}\"{ok}")),
    ]
    .concat();
    let journal = env.file("journal.ndjson", &text);
    let archive = env.path("old.ndjson.gz");
    let prune = |dry_run: bool, format: &str| {
        let mut cmd = env.cmd();
        cmd.env("CERTCTL_JOURNAL", &journal);
        if dry_run {
            cmd.arg("--dry-run");
        }
        cmd.args([
            "-o",
            format,
            "journal",
            "prune",
            "--before",
            "90d",
            "--archive",
        ])
        .arg(&archive);
        cmd
    };
    let out = run(prune(true, "json")).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let dry = json_valid(&out, "journal-prune.json");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        dry["pruned"],
        serde_json::json!({"chains": 1, "runs": 2, "lines": 3})
    );
    assert_eq!(dry["kept_unknown"], serde_json::json!([c]));
    assert!(stderr(&out).contains(&format!("would keep the chain of run {c}")));
    let out = run(prune(true, "text")).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("would move 1 chain(s) (2 run(s), 3 line(s))")
            && stdout(&out).contains("--dry-run: nothing changed"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), text);
    assert!(!archive.exists(), "a dry run wrote the archive");

    let out = run(prune(false, "json")).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let done = json_valid(&out, "journal-prune.json");
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["pruned"], dry["pruned"]);
    assert_eq!(gunzip(&archive).lines().count(), 3);
}

/// An `--archive` that cannot be written, or that is the journal or a file kept
/// beside it, is refused before anything is read (exit 2, saying what to do); a
/// prune that fails while writing changes neither file and leaves no temporary file
/// behind.
#[tokio::test]
async fn a_prune_that_cannot_archive_changes_nothing_and_leaves_no_temporary_file() {
    let env = Env::new();
    let old = "2020-01-01T00:00:00.000Z";
    let text = journal_line(
        "01JA0000000000000000000000",
        old,
        "done",
        &["1"],
        ",\"http_status\":201,\"outcome\":\"succeeded\"",
    );
    let journal = env.file("journal.ndjson", &text);
    let prune = |archive: &Path| {
        let mut cmd = env.cmd();
        cmd.env("CERTCTL_JOURNAL", &journal)
            .args(["journal", "prune", "--before", "90d", "--archive"])
            .arg(archive);
        cmd
    };
    let missing = env.path("no-such-dir").join("old.ndjson.gz");
    let out = run(prune(&missing)).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not exist") && stderr(&out).contains("hint:"),
        "{}",
        stderr(&out)
    );
    let out = run(prune(env.dir.path())).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
    // The journal itself, or its index, would be overwritten with the moved lines
    // (the journal's old lines lost): refused, both files as they were.
    let mut list = env.cmd();
    list.env("CERTCTL_JOURNAL", &journal)
        .args(argv("journal list"));
    assert_eq!(code(&run(list).await), 0);
    let index = env.path("journal.ndjson.index");
    let index_before = std::fs::read(&index).unwrap();
    for archive in [&journal, &index, &env.path("journal.ndjson.prune")] {
        let out = run(prune(archive)).await;
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("is the journal or a file certctl keeps beside it"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), text);
    assert_eq!(std::fs::read(&index).unwrap(), index_before);
    // A file that is not gzip would end up a mix no reader could take apart.
    let plain = env.file("notes.txt", "my notes\n");
    let out = run(prune(&plain)).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("other than gzip"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), "my notes\n");
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), text);

    // The archive's temporary file cannot be created: the journal's is already
    // written by then, and goes too.
    let archive = env.path("old.ndjson.gz");
    std::fs::create_dir(env.path("old.ndjson.gz.prune")).unwrap();
    let out = run(prune(&archive)).await;
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("it is unchanged"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), text);
    assert!(!archive.exists());
    assert!(!env.path("journal.ndjson.prune").exists());
}

/// A journal path that cannot be read says so in one sentence, with what to do.
#[tokio::test]
async fn an_unreadable_journal_says_what_to_do() {
    let env = Env::new();
    for args in ["journal list", "journal show 01JA0000000000000000000000"] {
        let mut cmd = env.cmd();
        cmd.env("CERTCTL_JOURNAL", env.dir.path()).args(argv(args));
        let out = run(cmd).await;
        assert_eq!(code(&out), 1, "{args}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("cannot read the journal") && err.contains("hint: "),
            "{args}: {err}"
        );
    }
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(path).expect("archive")),
        &mut text,
    )
    .expect("gzip");
    text
}

#[tokio::test]
async fn prune_removes_whole_old_chains_and_keeps_those_with_unknown_items() {
    let env = Env::new();
    let old = "2020-01-01T00:00:00.000Z";
    let recent = humantime::format_rfc3339_millis(
        std::time::SystemTime::now() - Duration::from_secs(86_400),
    )
    .to_string();
    let ok = ",\"http_status\":201,\"outcome\":\"succeeded\"";
    let (a, b, c, d, e) = (
        "01JA0000000000000000000000",
        "01JB0000000000000000000000",
        "01JC0000000000000000000000",
        "01JD0000000000000000000000",
        "01JE0000000000000000000000",
    );
    // a and its resume b: old and settled, they go. c: old but 2 is unknown (sent,
    // no outcome), kept. d: old, but resumed by e yesterday, kept with its chain.
    let gone = [
        journal_line(a, old, "sent", &["1"], ""),
        journal_line(
            a,
            old,
            "done",
            &["1"],
            ",\"http_status\":500,\"outcome\":\"failed\"",
        ),
        journal_line(b, old, "sent", &["1"], &format!(",\"resumes\":\"{a}\"")),
        journal_line(b, old, "done", &["1"], &format!(",\"resumes\":\"{a}\"{ok}")),
    ];
    let kept = [
        journal_line(c, old, "sent", &["2"], ""),
        "{\"run_id\":\"01JC0000000000000000000000\",\"ti\n".to_string(),
        journal_line(d, old, "sent", &["3"], ""),
        journal_line(
            d,
            old,
            "done",
            &["3"],
            ",\"http_status\":null,\"outcome\":\"unknown\"",
        ),
        journal_line(
            e,
            &recent,
            "done",
            &["3"],
            &format!(",\"resumes\":\"{d}\"{ok}"),
        ),
    ];
    let text = [
        gone[0].clone(),
        kept[0].clone(),
        gone[1].clone(),
        kept[1].clone(),
        gone[2].clone(),
        kept[2].clone(),
        gone[3].clone(),
        kept[3].clone(),
        kept[4].clone(),
    ]
    .concat();
    let journal = env.file("journal.ndjson", &text);
    let archive = env.path("old.ndjson.gz");
    let prune = |extra: &[&str]| {
        let mut cmd = env.cmd();
        cmd.env("CERTCTL_JOURNAL", &journal)
            .args(["journal", "prune", "--before", "90d"])
            .args(extra);
        cmd
    };
    let mut cmd = prune(&["--archive", archive.to_str().unwrap()]);
    cmd.args(["-o", "json"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json_valid(&out, "journal-prune.json");
    assert_eq!(
        report["pruned"],
        serde_json::json!({"chains": 1, "runs": 2, "lines": 4})
    );
    assert_eq!(report["kept_unknown"], serde_json::json!([c]));
    assert!(stderr(&out).contains(c), "{}", stderr(&out));
    assert!(!stderr(&out).contains(d), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), kept.concat());
    assert_eq!(gunzip(&archive), gone.concat());

    // Nothing else is old and settled; list and show read the new journal.
    let out = run(prune(&[])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("nothing to prune"),
        "{}",
        stdout(&out)
    );
    let mut list = env.cmd();
    list.env("CERTCTL_JOURNAL", &journal)
        .args(["-o", "json", "journal", "list"]);
    let runs: Vec<String> = json(&run(list).await)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(runs, [e, d, c]);

    // Once c's item is settled, it goes too: into the same archive, after a and b.
    let settled = journal_line(c, old, "done", &["2"], ok);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap()
        .write_all(settled.as_bytes())
        .unwrap();
    let out = run(prune(&["--archive", archive.to_str().unwrap()])).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("moved 1 chain(s) (1 run(s), 2 line(s))"),
        "{}",
        stdout(&out)
    );
    assert_eq!(gunzip(&archive), gone.concat() + &kept[0] + &settled);
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap(),
        kept[1..].concat()
    );

    // A cut-off before 1970: nothing is that old.
    let mut cmd = env.cmd();
    cmd.env("CERTCTL_JOURNAL", &journal)
        .args(argv("journal prune --before 99999999999d"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("nothing to prune") && stdout(&out).contains("1970-01-01"),
        "{}",
        stdout(&out)
    );

    // No journal: nothing to do.
    let empty = Env::new();
    let mut cmd = empty.cmd();
    cmd.args(["journal", "prune", "--before", "1d"]);
    assert_eq!(code(&run(cmd).await), 0);
}
