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
        cmd.args([
            "-o",
            "json",
            "--yes",
            "--concurrency",
            "8",
            "--timeout",
            "10s",
        ])
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

/// The exit code a report implies (SPEC §10).
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

/// Starts the bulk run and stops it with `signal` once `after` requests reached the
/// emulator.
fn cut(bench: &Bench, after: u64, signal: &str, rate: &str) -> Output {
    // Files, not pipes: a report of 10,000 items would fill a pipe nobody reads yet
    // and stall the run.
    let (out_path, err_path) = (bench.env.path("stdout"), bench.env.path("stderr"));
    let out_file = std::fs::File::create(&out_path).expect("stdout file");
    let err_file = std::fs::File::create(&err_path).expect("stderr file");
    let mut child: Child = bench
        .command(&["--rate", rate], &[])
        .stdout(out_file)
        .stderr(err_file)
        .spawn()
        .expect("spawn certctl");
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
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: std::fs::read(&err_path).unwrap_or_default(),
    }
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
