//! The promise under faults, proven against the emulator: a change is never applied
//! twice, a report never calls "failed" what may have happened, and a cut run can
//! always be finished with `--resume`.
//!
//! Two bulk runs are exercised: DigiCert order revokes (not safe to send twice) and
//! BCdiploma disables over the 10,000 bulk keys (safe to send twice). The chaos test
//! runs them through injected faults and resumes the chain until nothing failed; the
//! kill test cuts them with SIGKILL (and SIGINT, SIGTERM) at points spread over the
//! run and resumes until done. `GET /_sandbox/stats` is the oracle: how many state
//! changes each item received.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

/// One of the two bulk operations under test.
#[derive(Clone, Copy)]
struct Bulk {
    /// The operation's arguments after the global options.
    args: &'static [&'static str],
    /// The request whose count `/_sandbox/stats` keeps (`"PUT /..."`).
    stats_request: &'static str,
    /// The prefix of an item's key in the stats' `changes`.
    change_key: &'static str,
    /// Whether sending it twice is harmless.
    idempotent: bool,
}

const ORDERS: Bulk = Bulk {
    args: &["digicert", "orders", "revoke", "--comment", "chaos"],
    stats_request: "PUT /digicert/services/v2/order/certificate/",
    change_key: "digicert:order:",
    idempotent: false,
};

const KEYS: Bulk = Bulk {
    args: &["bcdiploma", "certificates", "disable"],
    stats_request: "PUT /bcdiploma/admin/keys",
    change_key: "bcdiploma:",
    idempotent: true,
};

fn order_ids(n: usize) -> Vec<String> {
    ready_orders(n)
}

fn bulk_keys() -> Vec<String> {
    (1..=10_000).map(|i| format!("BULKKEY{i:05}")).collect()
}

/// A test bench: an emulator, a journal and the ID file of one bulk run.
struct Bench {
    env: Env,
    sandbox: Sandbox,
    journal: PathBuf,
    ids_file: PathBuf,
    ids: Vec<String>,
    bulk: Bulk,
}

impl Bench {
    fn new(bulk: Bulk, ids: Vec<String>, faults: &[&str]) -> Bench {
        let env = Env::new();
        let sandbox = Sandbox::spawn(faults);
        let journal = env.path("journal.ndjson");
        let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
        let ids_file = env.file("ids.txt", &text);
        Bench {
            env,
            sandbox,
            journal,
            ids_file,
            ids,
            bulk,
        }
    }

    /// The bulk command: `global` options before the operation, `tail` after it.
    fn command(&self, global: &[&str], tail: &[&str]) -> Command {
        let mut cmd = self.env.process();
        cmd.env("CERTCTL_JOURNAL", &self.journal);
        for (name, value) in self.sandbox.env_vars() {
            cmd.env(name, value);
        }
        cmd.args(argv("-o json --yes --concurrency 8 --timeout 10s"))
            .args(global)
            .args(self.bulk.args)
            .arg("--from")
            .arg(&self.ids_file)
            .args(tail)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, global: &[&str], tail: &[&str]) -> Output {
        self.command(global, tail).output().expect("run certctl")
    }

    /// How many requests of the bulk operation reached the emulator so far.
    fn requests(&self) -> u64 {
        let stats = self.sandbox.stats();
        stats["requests"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| k.starts_with(self.bulk.stats_request))
                    .filter_map(|(_, v)| v.as_u64())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Every item's number of state changes.
    fn changes(&self) -> HashMap<String, u64> {
        let stats = self.sandbox.stats();
        self.ids
            .iter()
            .map(|id| {
                let n = stats["changes"][format!("{}{id}", self.bulk.change_key)]
                    .as_u64()
                    .unwrap_or(0);
                (id.clone(), n)
            })
            .collect()
    }

    /// The newest run in the journal.
    fn last_run(&self) -> String {
        let mut cmd = self.env.process();
        cmd.env("CERTCTL_JOURNAL", &self.journal)
            .args(["-o", "json", "journal", "list", "--limit", "1"]);
        let out = cmd.output().expect("journal list");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        json(&out)[0]["run_id"]
            .as_str()
            .expect("a run in the journal")
            .to_string()
    }

    /// `journal show RUN_ID --unknown`: the IDs left unknown, one per line.
    fn unknown(&self, run_id: &str) -> BTreeSet<String> {
        let mut cmd = self.env.process();
        cmd.env("CERTCTL_JOURNAL", &self.journal)
            .args(["journal", "show", run_id, "--unknown"]);
        let out = cmd.output().expect("journal show");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stdout(&out).lines().map(str::to_string).collect()
    }

    /// Every line of the journal parses, but for a torn last line.
    fn assert_journal_parses(&self) {
        let text = std::fs::read_to_string(&self.journal).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let parsed = serde_json::from_str::<Value>(line);
            assert!(
                parsed.is_ok() || i + 1 == lines.len(),
                "journal line {} does not parse: {line}",
                i + 1
            );
        }
    }

    /// Resumes the chain of `run_id` until a run reports nothing failed; returns the
    /// last report. Every run's exit code must match its report.
    fn resume_until_done(&self, mut run_id: String, mut report: Value) -> Value {
        for _ in 0..12 {
            if report["summary"]["failed"] == 0 && report["interrupted"] != true {
                return report;
            }
            let out = self.run(&["--rate", "0"], &["--resume", &run_id]);
            report = json(&out);
            assert_code_matches(&out, &report);
            run_id = report["run_id"].as_str().expect("run_id").to_string();
        }
        panic!("still failing after 12 resumes: {report}");
    }

    /// What the emulator says, held against what the final report and the journal say.
    fn assert_applied_once(&self, last: &Value) {
        let changes = self.changes();
        let twice: Vec<(&String, &u64)> = changes.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "applied more than once: {twice:?}");
        let run_id = last["run_id"].as_str().expect("run_id");
        let unknown = self.unknown(run_id);
        let reported_unknown: BTreeSet<String> = last["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["outcome"] == "unknown")
            .map(|i| i["id"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            unknown, reported_unknown,
            "journal show --unknown vs report"
        );
        for id in &self.ids {
            if !unknown.contains(id) {
                assert_eq!(changes[id], 1, "{id} is done, so it changed exactly once");
            }
        }
        if self.bulk.idempotent {
            assert!(
                unknown.is_empty(),
                "idempotent items are never left unknown"
            );
        }
    }
}

/// The exit code a report implies (README, "Exit codes").
fn assert_code_matches(out: &Output, report: &Value) {
    let s = &report["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    let expected = if report["interrupted"] == true {
        130
    } else if n("unknown") > 0 {
        7
    } else if n("failed") == 0 {
        0
    } else if n("succeeded") > 0 {
        3
    } else {
        code(out)
    };
    assert_eq!(code(out), expected, "{report}\n{}", stderr(out));
    if expected != 0 {
        assert!(
            stderr(out).contains("certctl: error:"),
            "a failure says so on stderr: {}",
            stderr(out)
        );
    }
    let items = report["items"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(
        n("succeeded") + n("failed") + n("unknown"),
        items,
        "the summary counts the items: {s}"
    );
}

/// Faults on every kind of request, a fixed seed; the chain is resumed until nothing
/// failed, and the emulator proves no item was changed twice.
#[test]
fn faults_never_apply_a_change_twice_and_resume_finishes_the_run() {
    let faults = [
        "--faults",
        "reset-after=0.2,503=0.1,429=0.1,reset=0.05",
        "--seed",
        "14",
    ];
    for (bulk, ids) in [(ORDERS, order_ids(1000)), (KEYS, bulk_keys())] {
        let bench = Bench::new(bulk, ids, &faults);
        let out = bench.run(&["--rate", "0"], &[]);
        let report = json(&out);
        assert_code_matches(&out, &report);
        assert_eq!(report["summary"]["total"], bench.ids.len() as u64);
        if !bulk.idempotent {
            assert!(
                report["summary"]["unknown"].as_u64().unwrap_or(0) > 0,
                "reset-after must leave some revokes unknown: {}",
                report["summary"]
            );
        }
        let run_id = report["run_id"].as_str().expect("run_id").to_string();
        let last = bench.resume_until_done(run_id, report);
        bench.assert_applied_once(&last);
        bench.assert_journal_parses();
    }
}

/// The sandbox template the Sertifika rows are issued from, and its one property.
const TEMPLATE: &str = "64c9f080-2314-4f02-a43c-923d83e8e555";

const ROWS: Bulk = Bulk {
    args: &[
        "sertifika",
        "certificates",
        "issue",
        "--template",
        TEMPLATE,
        "--batch-size",
        "10",
    ],
    stats_request: "POST /sertifika/api/v1.0/certificate",
    change_key: "sertifika:",
    idempotent: false,
};

/// `n` seeded orders that are issued with no request yet (their ID does not end in
/// 0, 5 or 9): revoking each is possible, and any revoke request found on one was
/// filed by the run, so the emulator's count of changes is an exact oracle.
fn issued_orders(n: usize) -> Vec<String> {
    (10_001u64..)
        .filter(|id| !matches!(id % 10, 0 | 5 | 9))
        .take(n)
        .map(|id| id.to_string())
        .collect()
}

/// The emulator's key of a user's award of the template.
fn award_key(email: &str) -> String {
    use md5::{Digest, Md5};
    let code: String = Md5::digest(email.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{TEMPLATE}:{code}")
}

impl Bench {
    /// Resumes the chain until a run reports nothing failed and nothing unknown,
    /// each resume reading the unknown items back first; returns the last report.
    fn resume_until_settled(&self, mut run_id: String, mut report: Value) -> Value {
        for _ in 0..12 {
            let s = &report["summary"];
            if s["failed"] == 0 && s["unknown"] == 0 && report["interrupted"] != true {
                return report;
            }
            let out = self.run(&["--rate", "0"], &["--resume", &run_id]);
            report = json(&out);
            assert_code_matches(&out, &report);
            run_id = report["run_id"].as_str().expect("run_id").to_string();
        }
        panic!("still failing or unknown after 12 resumes: {report}");
    }

    /// Every item's latest outcome across the chain of `run_id`, from the journal.
    fn chain_outcomes(&self, run_id: &str) -> HashMap<String, String> {
        let mut cmd = self.env.process();
        cmd.env("CERTCTL_JOURNAL", &self.journal)
            .args(["-o", "json", "journal", "show", run_id]);
        let out = cmd.output().expect("journal show");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        json(&out)
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                (
                    i["id"].as_str().unwrap_or_default().to_string(),
                    i["outcome"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

/// Faults that drop connections after the change was applied (`reset-after`), before
/// it (`reset`) and refusals (503), on 1,000 DigiCert order revokes and 200 Sertifika
/// rows: resuming reads the unknown items back from the emulator first, so the chain
/// ends with nothing unknown and nothing applied twice, and every item the journal
/// calls succeeded changed exactly once at the emulator (the others not at all).
#[test]
fn resume_settles_every_unknown_item_by_asking_the_provider() {
    let faults = [
        "--faults",
        "reset-after=0.2,503=0.1,reset=0.05",
        "--seed",
        "24",
    ];
    let emails: Vec<String> = (1..=200)
        .map(|i| format!("chaos{i:03}@example.org"))
        .collect();
    let csv: String = std::iter::once("name,surname,email,prop:alias_1434977890001\n".to_string())
        .chain(emails.iter().map(|e| format!("Ada,Lovelace,{e},v\n")))
        .collect();
    for (bulk, ids) in [(ORDERS, issued_orders(1000)), (ROWS, emails.clone())] {
        let bench = Bench::new(bulk, ids, &faults);
        if bulk.change_key == ROWS.change_key {
            std::fs::write(&bench.ids_file, &csv).expect("rows");
        }
        let out = bench.run(&["--rate", "0"], &[]);
        let first = json(&out);
        assert_code_matches(&out, &first);
        let unknown_before = first["summary"]["unknown"].as_u64().unwrap_or(0);
        assert!(
            unknown_before > 0,
            "reset-after leaves some unknown: {}",
            first["summary"]
        );
        let root = first["run_id"].as_str().expect("run_id").to_string();
        let last = bench.resume_until_settled(root.clone(), first);
        assert_eq!(last["summary"]["unknown"], 0, "{}", last["summary"]);
        let stats = bench.sandbox.stats();
        let changes = |id: &str| {
            let key = if bulk.change_key == ROWS.change_key {
                format!("sertifika:{}", award_key(id))
            } else {
                format!("{}{id}", bulk.change_key)
            };
            stats["changes"][key].as_u64().unwrap_or(0)
        };
        let outcomes = bench.chain_outcomes(&root);
        let mut twice = 0;
        for id in &bench.ids {
            let n = changes(id);
            twice += u64::from(n > 1);
            let expected = if outcomes[id] == "succeeded" { 1 } else { 0 };
            assert_eq!(
                n, expected,
                "{id}: journal says {}, emulator counted {n}",
                outcomes[id]
            );
        }
        assert_eq!(twice, 0);
        assert!(
            outcomes.values().all(|o| o == "succeeded"),
            "every item is done"
        );
        eprintln!(
            "reconcile chaos {}: {} items, faults {}, unknown before {unknown_before}, after 0, applied twice {twice}",
            bulk.args[0],
            bench.ids.len(),
            faults[1]
        );
        bench.assert_journal_parses();
    }
}

/// Starts the bulk run and stops it with `signal` once `after` requests reached the
/// emulator.
fn cut(bench: &Bench, after: u64, signal: &str, rate: &str) -> Output {
    let mut child = spawn_to_files(&bench.env, bench.command(&["--rate", rate], &[]), "cut");
    let started = Instant::now();
    while bench.requests() < after && started.elapsed() < Duration::from_secs(60) {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        // Each look at the stats costs the emulator a few milliseconds: look gently.
        std::thread::sleep(Duration::from_millis(30));
    }
    let pid = child.id().to_string();
    let _ = Command::new("kill").args([signal, &pid]).status();
    let status = child.wait().expect("wait certctl");
    Output {
        status,
        stdout: std::fs::read(bench.env.path("cut.out")).unwrap_or_default(),
        stderr: std::fs::read(bench.env.path("cut.err")).unwrap_or_default(),
    }
}

/// Spawns `cmd` with its stdout and stderr in `NAME.out` and `NAME.err`: files, not
/// pipes, since a report of 10,000 items would fill a pipe nobody reads yet and
/// stall the run.
fn spawn_to_files(env: &Env, mut cmd: Command, name: &str) -> Child {
    let out = std::fs::File::create(env.path(&format!("{name}.out"))).expect("stdout file");
    let err = std::fs::File::create(env.path(&format!("{name}.err"))).expect("stderr file");
    cmd.stdout(out).stderr(err).spawn().expect("spawn certctl")
}

/// Cut at 10 or more points spread over each run, by SIGKILL, SIGINT and SIGTERM,
/// then resumed until done: the journal always parses, nothing is applied twice,
/// idempotent runs end all succeeded, the others succeeded or unknown.
#[test]
fn a_run_cut_at_any_point_is_finished_by_resume_and_nothing_is_applied_twice() {
    // (bulk, IDs, requests in a whole run, pace of the cut run)
    let runs = [
        (ORDERS, order_ids(300), 300u64, "150"),
        (KEYS, bulk_keys(), 100u64, "50"),
    ];
    let mut trials = 0;
    for (bulk, ids, requests, rate) in runs {
        let points = 12u64;
        for k in 0..points {
            let after = 1 + k * (requests - 2) / (points - 1);
            let signal = match k % 6 {
                4 => "-INT",
                5 => "-TERM",
                _ => "-KILL",
            };
            let bench = Bench::new(bulk, ids.clone(), &[]);
            let out = cut(&bench, after, signal, rate);
            bench.assert_journal_parses();
            if signal != "-KILL" && code(&out) == 130 {
                // One JSON document on stdout, saying it was interrupted.
                let report = json(&out);
                assert_eq!(report["interrupted"], true, "{report}");
                assert_eq!(report["summary"]["total"], ids.len() as u64);
            }
            let first = bench.last_run();
            let last = bench.resume_until_done(first, Value::Null);
            bench.assert_applied_once(&last);
            bench.assert_journal_parses();
            trials += 1;
        }
    }
    assert_eq!(trials, 24);
}

/// A paced run against a slow provider, killed outright at six points: requests wait
/// for the pacer and for a free `--concurrency` slot, and none of those waiting is
/// journaled `sent`, so the items the journal then holds as unknown are only
/// requests the emulator received, at most one per slot. Resuming settles them by
/// reading them back, and nothing is applied twice.
#[test]
fn after_a_kill_the_unknown_items_are_only_requests_that_reached_the_emulator() {
    let ids = issued_orders(60);
    let (mut held, mut false_unknown) = (0usize, 0usize);
    // (pace of the cut run, requests received before the kill). Paced at 10 a
    // second, requests wait for the pacer; unpaced, the 300 ms answers keep all 8
    // slots busy and requests wait for a slot. Each kill follows an arrival by
    // less than the time to the next departure: a request is journaled in the
    // instant it leaves, and this test is about the ones still waiting.
    let cuts = [
        ("10", 3),
        ("10", 8),
        ("10", 14),
        ("0", 8),
        ("0", 16),
        ("0", 24),
    ];
    for (rate, after) in cuts {
        let bench = Bench::new(ORDERS, ids.clone(), &["--faults", "slow=1:300ms"]);
        cut(&bench, after, "-KILL", rate);
        bench.assert_journal_parses();
        let run = bench.last_run();
        let unknown = bench.unknown(&run);
        // Requests written just before the kill may still wait in the emulator's
        // socket buffers: let it read them before asking what it received.
        std::thread::sleep(Duration::from_millis(100));
        let stats = bench.sandbox.stats();
        let received = |id: &str| {
            stats["requests"][format!("{}{id}/revoke", ORDERS.stats_request)]
                .as_u64()
                .unwrap_or(0)
        };
        let never_sent: Vec<&String> = unknown.iter().filter(|id| received(id) == 0).collect();
        assert!(
            never_sent.is_empty(),
            "held but never received: {never_sent:?}"
        );
        assert!(
            !unknown.is_empty() && unknown.len() <= 8,
            "in flight, at most one per slot: {unknown:?}"
        );
        held += unknown.len();
        false_unknown += never_sent.len();
        let last = bench.resume_until_settled(run, Value::Null);
        assert_eq!(last["summary"]["unknown"], 0, "{}", last["summary"]);
        bench.assert_applied_once(&last);
    }
    eprintln!(
        "kill -9 of paced runs: {} kills, {held} items held unknown, {false_unknown} false unknowns",
        cuts.len()
    );
}

/// 10,000 unknown order revokes (8,000 applied and cut off by `reset-after`, 2,000
/// never sent, among them seeded orders with revoke requests of every status and
/// orders in every status) are read back through the account's revoke requests and
/// revoked orders in a few pages, and each is settled as reading its order shows.
#[test]
fn many_unknown_revokes_are_read_from_the_lists_as_each_order_shows() {
    let env = Env::new();
    let sandbox = Sandbox::spawn(&[
        "--faults",
        "reset-after=1",
        "--seed",
        "5",
        "--orders",
        "15000",
    ]);
    let journal = env.path("journal.ndjson");
    let sent = issued_orders(8_000);
    let ids_file = env.file("ids.txt", &(sent.join("\n") + "\n"));
    let certctl = |journal: &PathBuf, args: &[&str]| {
        let mut cmd = env.process();
        cmd.env("CERTCTL_JOURNAL", journal)
            .envs(sandbox.env_vars())
            .args(["-o", "json", "--rate", "0", "--concurrency", "8"])
            .args(args)
            .stdin(Stdio::null());
        cmd.output().expect("run certctl")
    };
    let from = ids_file.to_string_lossy().into_owned();
    let out = certctl(
        &journal,
        &[
            "--yes",
            "digicert",
            "orders",
            "revoke",
            "--comment",
            "c",
            "--from",
            &from,
        ],
    );
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    let run = json(&out)["run_id"].as_str().expect("run_id").to_string();
    assert_eq!(json(&out)["summary"]["unknown"], 8_000);
    // 2,000 more, journaled as sent by a run killed before they left.
    let taken: BTreeSet<&String> = sent.iter().collect();
    let never: Vec<String> = (10_001u64..)
        .map(|id| id.to_string())
        .filter(|id| !taken.contains(id))
        .take(2_000)
        .collect();
    let mut text = std::fs::read_to_string(&journal).expect("journal");
    for id in &never {
        text.push_str(&format!(
            "{{\"run_id\":\"{run}\",\"time\":\"2026-01-10T10:00:00.000Z\",\"phase\":\"sent\",\"profile\":\"default\",\"provider\":\"digicert\",\"operation\":\"orders.revoke\",\"ids\":[\"{id}\"],\"idempotent\":false}}\n"
        ));
    }
    std::fs::write(&journal, &text).expect("journal");
    let each_journal = env.path("journal-each.ndjson");
    std::fs::write(&each_journal, &text).expect("journal copy");

    let requests = || -> u64 {
        sandbox.stats()["requests"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0)
    };
    let outcomes = |out: &Output| -> HashMap<String, String> {
        assert_eq!(code(out), 0, "{}", stderr(out));
        json(out)["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                (
                    i["id"].as_str().unwrap_or_default().to_string(),
                    i["outcome"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let before = requests();
    let listed = outcomes(&certctl(&journal, &["reconcile", &run]));
    let listed_requests = requests() - before;
    let before = requests();
    let each = outcomes(&certctl(
        &each_journal,
        &["reconcile", &run, "--one-by-one"],
    ));
    let each_requests = requests() - before;
    assert_eq!(listed.len(), 10_000);
    assert_eq!(listed, each, "the lists and the orders tell the same");
    assert!(listed_requests <= 200, "{listed_requests} requests");
    assert_eq!(each_requests, 10_000);
    let applied = listed.values().filter(|o| *o == "applied").count();
    assert!(applied > 8_000 && applied < 10_000, "{applied} applied");
    eprintln!(
        "reconcile of 10,000 unknown revokes: {listed_requests} requests through the lists, {each_requests} one by one, {applied} applied, same results"
    );
}

/// A history of `runs` one-item BCdiploma runs, as the journal holds them, a second
/// apart from 2024 on; one in seven failed.
fn history(runs: u64) -> String {
    let mut text = String::new();
    for n in 0..runs {
        let time = humantime::format_rfc3339_millis(
            std::time::UNIX_EPOCH + Duration::from_secs(1_704_067_200 + n),
        );
        let head = format!(
            "{{\"run_id\":\"01H{n:023}\",\"time\":\"{time}\",\"phase\":\"PHASE\",\"profile\":\"default\",\"provider\":\"bcdiploma\",\"operation\":\"certificates.disable\",\"ids\":[\"HISTORY{n}\"]"
        );
        let done = if n % 7 == 3 {
            ",\"http_status\":400,\"outcome\":\"failed\",\"error_kind\":\"invalid_input\""
        } else {
            ",\"http_status\":200,\"outcome\":\"succeeded\""
        };
        text.push_str(&head.replace("PHASE", "sent"));
        text.push_str(",\"idempotent\":true}\n");
        text.push_str(&head.replace("PHASE", "done"));
        text.push_str(done);
        text.push_str("}\n");
    }
    text
}

/// What `journal list` answers for `journal`, and `journal show` for its newest run
/// and for each of `runs`, as one JSON value.
fn journal_answers(env: &Env, journal: &PathBuf, runs: &[&str]) -> Value {
    let run = |args: &str| {
        let mut cmd = env.process();
        cmd.env("CERTCTL_JOURNAL", journal).args(argv(args));
        let out = cmd.output().expect("run certctl");
        assert_eq!(code(&out), 0, "{args}: {}", stderr(&out));
        json(&out)
    };
    let list = run("-o json journal list --limit 100000");
    let newest = list[0]["run_id"].as_str().expect("a run").to_string();
    let shown: Vec<Value> = runs
        .iter()
        .map(|r| run(&format!("-o json journal show {r}")))
        .collect();
    serde_json::json!({
        "list": list,
        "newest": run(&format!("-o json journal show {newest}")),
        "shown": shown,
    })
}

/// Two runs writing to one journal at once, their lines interleaved: `journal list`
/// and `journal show` of each answer through the index as for a copy of the
/// journal with no index, and as each run reported.
#[test]
fn runs_writing_one_journal_at_once_are_each_answered_whole() {
    let faults = ["--faults", "slow=1:3ms"];
    let keys = Bench::new(KEYS, bulk_keys(), &faults);
    let mut orders = Bench::new(ORDERS, order_ids(240), &faults);
    orders.journal = keys.journal.clone();
    std::fs::write(&keys.journal, history(200)).expect("write the history");
    let spawn = |bench: &Bench, tail: &[&str], name: &str| {
        spawn_to_files(&keys.env, bench.command(&["--rate", "0"], tail), name)
    };
    let mut first = spawn(&orders, &[], "orders");
    let mut second = spawn(&keys, &["--batch-size", "10"], "keys");
    first.wait().expect("wait certctl");
    second.wait().expect("wait certctl");
    let report = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(keys.env.path(name)).expect("report"))
            .expect("a JSON report")
    };
    let (orders_report, keys_report) = (report("orders.out"), report("keys.out"));
    let text = std::fs::read_to_string(&keys.journal).expect("read the journal");
    let run_of = |line: &str| {
        serde_json::from_str::<Value>(line).expect("a journal line")["run_id"]
            .as_str()
            .map(str::to_string)
    };
    let runs: Vec<Option<String>> = text.lines().skip(400).map(run_of).collect();
    let switches = runs.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        switches >= 10,
        "the two runs' lines hardly interleave ({switches} switches)"
    );
    let ids = [
        orders_report["run_id"].as_str().expect("run_id"),
        keys_report["run_id"].as_str().expect("run_id"),
    ];
    let copy = keys.env.path("copy.ndjson");
    std::fs::copy(&keys.journal, &copy).expect("copy the journal");
    let got = journal_answers(&keys.env, &keys.journal, &ids);
    assert_eq!(got, journal_answers(&keys.env, &copy, &ids));
    for (shown, report) in got["shown"]
        .as_array()
        .expect("shown")
        .iter()
        .zip([&orders_report, &keys_report])
    {
        let items = shown.as_array().expect("the run's items");
        let succeeded = items.iter().filter(|i| i["outcome"] == "succeeded").count();
        assert_eq!(succeeded as u64, report["summary"]["succeeded"], "{shown}");
        assert_eq!(items.len() as u64, report["summary"]["total"], "{shown}");
    }
}

/// Spawns `cmd` with its output in files and kills it (SIGKILL) `after` later, or
/// lets it end if it ends first.
fn kill_after(env: &Env, cmd: Command, after: Duration) {
    let mut child = spawn_to_files(env, cmd, "killed");
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

/// The journal's index is a cache a kill cannot turn into a wrong answer. Over a
/// history of 2,000 runs, bulk runs of both operations are killed (SIGKILL) at
/// points spread over their lives, from reading the IDs to journaling their
/// requests (the last ones may end first), and after each a `journal list` is
/// killed too, while it builds the index anew (every third round removes it) or
/// extends it with the killed run's lines. After each round every byte the journal
/// held before is still there, and `journal list` and `journal show` answer through
/// the index what they answer for a copy of the journal that has no index beside
/// it, read whole.
#[test]
fn a_kill_at_any_point_leaves_the_index_answering_as_the_journal_does() {
    let faults = ["--faults", "slow=1:8ms"];
    let keys = Bench::new(KEYS, bulk_keys(), &faults);
    let mut orders = Bench::new(ORDERS, order_ids(240), &faults);
    orders.journal = keys.journal.clone();
    std::fs::write(&keys.journal, history(2_000)).expect("write the history");
    let index = keys.journal.with_file_name("journal.ndjson.index");
    let answers =
        |journal: &PathBuf| journal_answers(&keys.env, journal, &["01H00000000000000000000010"]);
    // (when the run is killed, when the `journal list` after it is), in ms.
    let kills = [
        (0, 30),
        (5, 0),
        (10, 15),
        (20, 5),
        (35, 45),
        (50, 10),
        (70, 60),
        (95, 20),
        (125, 80),
        (160, 2),
        (200, 40),
        (260, 25),
        (330, 120),
    ];
    let mut rounds = 0;
    for (k, (run_ms, list_ms)) in kills.into_iter().enumerate() {
        let before = std::fs::read(&keys.journal).expect("read the journal");
        let bench = if k % 2 == 0 { &orders } else { &keys };
        kill_after(
            &keys.env,
            bench.command(&["--rate", "0"], &[]),
            Duration::from_millis(run_ms),
        );
        if k % 3 == 1 {
            // The index gone: the next command builds it from the whole file.
            let _ = std::fs::remove_file(&index);
        }
        let mut list = keys.env.process();
        list.env("CERTCTL_JOURNAL", &keys.journal)
            .args(argv("-o json journal list --limit 5"));
        kill_after(&keys.env, list, Duration::from_millis(list_ms));
        let now = std::fs::read(&keys.journal).expect("read the journal");
        assert!(
            now.starts_with(&before),
            "the kill at {run_ms} ms lost bytes the journal held"
        );
        keys.assert_journal_parses();
        let dir = keys.env.path(&format!("copy{k}"));
        std::fs::create_dir_all(&dir).expect("copy dir");
        let copy = dir.join("journal.ndjson");
        std::fs::copy(&keys.journal, &copy).expect("copy the journal");
        let truth = answers(&copy);
        assert_eq!(
            answers(&keys.journal),
            truth,
            "after kills at {run_ms} ms (run) and {list_ms} ms (list), the index answers otherwise than the journal"
        );
        assert!(index.exists(), "the index was not rebuilt");
        rounds += 1;
    }
    assert_eq!(rounds, kills.len());
}

/// `journal prune --archive` killed (SIGKILL) at points spread over its work, each
/// time on the same journal and archive: the journal is either the one before or
/// the pruned one, never a mix; the archive always reads whole (every gzip member
/// complete) and holds what it held, with or without the moved lines; no line is
/// lost from both; and the journal still answers `journal list`.
#[test]
fn a_prune_killed_at_any_point_leaves_journal_and_archive_whole() {
    let env = Env::new();
    let journal = env.path("journal.ndjson");
    let archive = env.path("old.ndjson.gz");
    let recent = humantime::format_rfc3339_millis(
        std::time::SystemTime::now() - Duration::from_secs(86_400),
    );
    let kept_run = format!(
        "{{\"run_id\":\"01JZ0000000000000000000000\",\"time\":\"{recent}\",\"phase\":\"sent\",\"profile\":\"default\",\"provider\":\"bcdiploma\",\"operation\":\"certificates.disable\",\"ids\":[\"NEW\"],\"idempotent\":true}}\n"
    );
    let pristine = history(6_000) + &kept_run;
    let first_member = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"{\"archived\":\"before\"}\n").expect("gzip");
        gz.finish().expect("gzip")
    };
    let read_archive = || -> String {
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::MultiGzDecoder::new(
                std::fs::File::open(&archive).expect("open the archive"),
            ),
            &mut text,
        )
        .expect("the archive reads whole");
        text
    };
    let prune = || {
        let mut cmd = env.process();
        cmd.env("CERTCTL_JOURNAL", &journal)
            .args(["journal", "prune", "--before", "90d", "--archive"])
            .arg(&archive)
            .stdin(Stdio::null());
        cmd
    };
    let list = || {
        let mut cmd = env.process();
        cmd.env("CERTCTL_JOURNAL", &journal)
            .args(argv("-o json journal list --limit 100000"));
        let out = cmd.output().expect("journal list");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        json(&out).as_array().map_or(0, Vec::len)
    };
    let restore = || {
        std::fs::write(&journal, &pristine).expect("write the journal");
        std::fs::write(&archive, &first_member).expect("write the archive");
    };
    // What a prune left alone makes of them.
    restore();
    let out = prune().output().expect("prune");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let pruned_journal = std::fs::read_to_string(&journal).expect("journal");
    assert_eq!(pruned_journal, kept_run);
    let moved = pristine.strip_suffix(kept_run.as_str()).expect("history");
    let full_archive = format!("{{\"archived\":\"before\"}}\n{moved}");
    assert_eq!(read_archive(), full_archive);

    let (mut untouched, mut done) = (0, 0);
    for ms in [0u64, 5, 15, 30, 50, 80, 120, 170, 230, 300, 400, 550] {
        restore();
        kill_after(&env, prune(), Duration::from_millis(ms));
        let now = std::fs::read_to_string(&journal).expect("journal");
        let archived = read_archive();
        if now == pristine {
            untouched += 1;
            assert!(
                archived == full_archive || archived == "{\"archived\":\"before\"}\n",
                "killed at {ms} ms, the archive holds part of the moved lines"
            );
            assert_eq!(list(), 6_001, "killed at {ms} ms");
        } else {
            done += 1;
            assert_eq!(now, kept_run, "killed at {ms} ms, the journal is a mix");
            assert_eq!(archived, full_archive, "killed at {ms} ms, lines were lost");
            assert_eq!(list(), 1, "killed at {ms} ms");
        }
    }
    eprintln!(
        "prune killed 12 times: {untouched} left the journal as it was, {done} after it was pruned"
    );
}
