//! The journal: an append-only NDJSON record of every state-changing request, read
//! back by `certctl journal` and by `--resume`.
//!
//! A run appends one `"phase":"sent"` line per request, made durable (written and
//! fdatasync'ed) before the request leaves, and `"phase":"done"` lines once its
//! outcome is known. A unit whose items ended differently gets one `done` line per
//! outcome group (same outcome, error kind and HTTP status), each naming its IDs;
//! the outcome is `succeeded`, `failed` or `unknown`. Besides those, a `done` line
//! may say `not_sent` (journaled as about to go, but the run stopped first),
//! `skipped` (a resumed run found it done) or `unknown` with `"held":true` (a resumed
//! run held it back unsent). Lines carry IDs, never a request body or a credential.
//!
//! A resumed run is a run of its own whose every line carries `"resumes"`: the first
//! run of its chain. Reading a chain ([`Chain`]) replays the lines of all its runs in
//! file order, so each item's latest state decides what `--resume` does with it and
//! what `journal show` says of it.
//!
//! One writer thread owns the file: it gathers every line queued while it was busy
//! into one `write` of whole lines on an `O_APPEND` file (so concurrent certctl
//! processes never interleave partial lines) and one fdatasync, which is what makes
//! a bulk run with the journal cost little more than one without. `done` lines are
//! synced with the next batch, at least every second, and at the end of the run.
//!
//! Reading never goes through the whole file: [`index`] keeps, beside the journal, where
//! each run's lines are (a cache, rebuilt from the journal when missing or stale), so
//! `journal list`, `journal show` and `--resume` read only the lines of the runs they
//! answer about, however long the history. Each run notes its own lines in it as it
//! finishes; lines it could not note are indexed by the next reader.
//!
//! The engine decides when lines are written; [`mod@file`] owns the file and its format
//! (paths, [`file::Entry`], [`file::parse_line`]); [`writer`] appends, [`index`] locates,
//! [`read`] answers `journal list`/`show`, [`resume`] decides what `--resume` sends, and
//! [`mod@prune`] removes old chains.

mod file;
mod index;
mod prune;
mod read;
mod resume;
mod writer;

pub use file::path;

pub use prune::prune;
#[cfg(test)]
use read::runs;
pub use read::{Chain, chain_items, no_such_run, recent, unknown_items};
pub use resume::{Admission, Resume};
pub use writer::{Durable, RunInfo, SentLog, Writer};

#[cfg(test)]
mod tests {
    use super::file::*;
    use super::resume::Plan;
    use super::*;
    use crate::error::{ErrorKind, ItemError};
    use crate::input::Passed;
    use crate::report::ItemResult;
    use std::io::Write;
    use std::path::PathBuf;

    fn info(run: &str, resumes: Option<&str>, idempotent: bool) -> RunInfo {
        RunInfo {
            run_id: run.into(),
            profile: "default".into(),
            provider: "digicert",
            operation: "orders.revoke",
            idempotent,
            resumes: resumes.map(String::from),
            plan: None,
            locator: Default::default(),
            reconcile: false,
        }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn ok() -> ItemResult {
        ItemResult::Succeeded(None)
    }

    fn failed(status: u16) -> ItemResult {
        ItemResult::Failed(ItemError::new(ErrorKind::Rejected, "no").status(status))
    }

    fn unknown() -> ItemResult {
        ItemResult::Unknown(ItemError::new(ErrorKind::Transient, "dropped").maybe_applied())
    }

    #[tokio::test]
    async fn lines_are_written_read_and_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/certctl/journal.ndjson");
        let w = Writer::open(path.clone(), info("R1", None, false)).unwrap();
        let (a, b, c, d) = (ids(&["a"]), ids(&["b", "c"]), ids(&["d"]), ids(&["e"]));
        w.sent([a.as_slice(), b.as_slice(), c.as_slice(), d.as_slice()])
            .await
            .unwrap()
            .unwrap();
        w.done(&a, Some(201), &[ok()], None);
        w.done(&b, Some(400), &[ok(), failed(400)], None);
        w.not_sent([d.as_slice()]);
        w.finish().await.unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        // A partial line left by a killed process is skipped, and the next writer
        // starts on a fresh line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"run_id\":\"R0\",\"ti")
            .unwrap();
        let list = runs(&path).unwrap();
        let r1 = list.iter().find(|r| r.run_id == "R1").unwrap();
        assert_eq!(
            (r1.items, r1.succeeded, r1.failed, r1.unknown, r1.not_sent),
            (5, 2, 1, 1, 1)
        );

        // R2 resumes R1: `d` (sent, no outcome) is held, `c` and `e` are sent again.
        let resume = Resume::load(&path, "R1", false).unwrap();
        assert!(
            resume
                .attach("digicert", "certificates.revoke", false)
                .is_err()
        );
        resume.attach("digicert", "orders.revoke", false).unwrap();
        use Plan::*;
        let plans: Vec<Plan> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|id| resume.plan(id))
            .collect();
        assert_eq!(plans, [Skip, Skip, Send, Hold, Send, Send]);
        assert_eq!(resume.root(), "R1");
        let w = Writer::open(path.clone(), info("R2", Some("R1"), false)).unwrap();
        let (c, e) = (ids(&["c"]), ids(&["e"]));
        w.not_sent_by_resume(&ids(&["a", "b"]), &ids(&["d"]));
        w.sent([c.as_slice(), e.as_slice()]).await.unwrap().unwrap();
        w.done(&c, Some(201), &[ok()], None);
        w.done(&e, None, &[unknown()], None);
        w.finish().await.unwrap();

        // Resuming R2 (or R1) reads the whole chain: only `d` and `e` are left, both
        // unknown, held unless --retry-unknown.
        for named in ["R1", "R2"] {
            let resume = Resume::load(&path, named, false).unwrap();
            resume.attach("digicert", "orders.revoke", false).unwrap();
            let plans: Vec<Plan> = ["a", "b", "c", "d", "e"]
                .iter()
                .map(|id| resume.plan(id))
                .collect();
            assert_eq!(plans, [Skip, Skip, Skip, Hold, Hold], "{named}");
            assert_eq!(resume.root(), "R1");
        }
        let retry = Resume::load(&path, "R2", true).unwrap();
        retry.attach("digicert", "orders.revoke", false).unwrap();
        assert_eq!(retry.plan("d"), Send);
        assert_eq!(
            retry.admit_unit(&ids(&["a"])),
            Admission::Withheld {
                passed: vec![Passed::Skipped("a".into())],
                entangled: Vec::new()
            }
        );

        let chain = Chain::find(&path, "R2").unwrap().unwrap();
        assert_eq!(chain.root, "R1");
        assert_eq!(chain.runs.len(), 2);
        let items = chain_items(&path, &chain).unwrap();
        let shown: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.id.as_str(), i.outcome.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("a", "succeeded"),
                ("b", "succeeded"),
                ("c", "succeeded"),
                ("d", "unknown"),
                ("e", "unknown")
            ]
        );
        assert_eq!(items[2].run_id, "R2");
        let list = runs(&path).unwrap();
        let r2 = list.iter().find(|r| r.run_id == "R2").unwrap();
        assert_eq!(r2.resumes.as_deref(), Some("R1"));
        assert_eq!(
            (r2.items, r2.succeeded, r2.unknown, r2.skipped),
            (5, 1, 2, 2)
        );
        assert!(Chain::find(&path, "nope").unwrap().is_none());
        assert_eq!(
            Resume::load(&path, "nope", false).unwrap_err().kind(),
            ErrorKind::Usage
        );
    }

    #[tokio::test]
    async fn a_request_mixing_done_and_failed_items_goes_whole_only_when_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        let w = Writer::open(path.clone(), info("R1", None, false)).unwrap();
        let (a, b) = (ids(&["a"]), ids(&["b"]));
        w.sent([a.as_slice(), b.as_slice()]).await.unwrap().unwrap();
        w.done(&a, Some(201), &[ok()], None);
        w.done(&b, Some(400), &[failed(400)], None);
        w.finish().await.unwrap();
        let batch = ids(&["a", "b"]);
        let strict = Resume::load(&path, "R1", false).unwrap();
        strict.attach("digicert", "orders.revoke", false).unwrap();
        assert_eq!(
            strict.admit_unit(&batch),
            Admission::Withheld {
                passed: vec![Passed::Skipped("a".into())],
                entangled: ids(&["b"])
            },
            "a would be applied twice"
        );
        let lenient = Resume::load(&path, "R1", false).unwrap();
        lenient.attach("digicert", "orders.revoke", true).unwrap();
        assert_eq!(
            lenient.admit_unit(&batch),
            Admission::Send,
            "safe to send twice: sent whole"
        );
    }

    #[tokio::test]
    async fn a_resume_that_sent_nothing_can_itself_be_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        let w = Writer::open(path.clone(), info("R1", None, false)).unwrap();
        let a = ids(&["a"]);
        w.sent([a.as_slice()]).await.unwrap().unwrap();
        w.finish().await.unwrap();
        let w = Writer::open(path.clone(), info("R2", Some("R1"), false)).unwrap();
        w.not_sent_by_resume(&[], &a);
        w.finish().await.unwrap();
        let resume = Resume::load(&path, "R2", false).unwrap();
        resume.attach("digicert", "orders.revoke", false).unwrap();
        assert_eq!(resume.plan("a"), Plan::Hold);
    }

    #[test]
    fn older_journals_chain_through_resume_of() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        let line = |run: &str, phase: &str, extra: &str| {
            format!(
                "{{\"run_id\":\"{run}\",\"time\":\"2026-01-01T00:00:0{}Z\",\"phase\":\"{phase}\",\"profile\":\"p\",\"provider\":\"digicert\",\"operation\":\"orders.revoke\",\"ids\":[\"x\"]{extra}}}\n",
                &run[1..]
            )
        };
        let text = line("R1", "sent", "")
            + &line("R2", "sent", ",\"resume_of\":\"R1\"")
            + &line("R3", "sent", ",\"resume_of\":\"R2\"")
            + &line(
                "R3",
                "done",
                ",\"outcome\":\"succeeded\",\"http_status\":201",
            );
        std::fs::write(&path, text).unwrap();
        let chain = Chain::find(&path, "R3").unwrap().unwrap();
        assert_eq!(chain.root, "R1");
        assert_eq!(chain.runs.len(), 3);
        let resume = Resume::load(&path, "R1", false).unwrap();
        resume.attach("digicert", "orders.revoke", false).unwrap();
        assert_eq!(resume.plan("x"), Plan::Skip);
    }

    #[test]
    fn unknown_items_are_resent_when_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        std::fs::write(
            &path,
            "{\"run_id\":\"R\",\"time\":\"t\",\"phase\":\"sent\",\"provider\":\"p\",\"operation\":\"o\",\"ids\":[\"x\"]}\n",
        )
        .unwrap();
        let resume = Resume::load(&path, "R", false).unwrap();
        assert_eq!(resume.plan("x"), Plan::Send);
        resume.attach("p", "o", true).unwrap();
        assert_eq!(resume.plan("x"), Plan::Send);
        assert_eq!(resume.admit_unit(&ids(&["x"])), Admission::Send);
    }

    /// Three runs written by certctl (the second resumes the first) and what each
    /// chain holds, for the index tests.
    async fn three_runs(path: &std::path::Path) {
        let w = Writer::open(path.to_path_buf(), info("R1", None, false)).unwrap();
        let (a, b, c) = (ids(&["a"]), ids(&["b"]), ids(&["c"]));
        w.sent([a.as_slice(), b.as_slice(), c.as_slice()])
            .await
            .unwrap()
            .unwrap();
        w.done(&a, Some(201), &[ok()], None);
        w.done(&b, Some(400), &[failed(400)], None);
        w.finish().await.unwrap();
        let w = Writer::open(path.to_path_buf(), info("R2", Some("R1"), false)).unwrap();
        w.not_sent_by_resume(&ids(&["a"]), &ids(&["c"]));
        w.sent([b.as_slice()]).await.unwrap().unwrap();
        w.done(&b, Some(201), &[ok()], None);
        w.finish().await.unwrap();
        let w = Writer::open(path.to_path_buf(), info("R3", None, false)).unwrap();
        let d = ids(&["d"]);
        w.sent([d.as_slice()]).await.unwrap().unwrap();
        w.done(&d, Some(201), &[ok()], None);
        w.finish().await.unwrap();
    }

    /// What `journal list` and `journal show` of every run answer, as JSON.
    fn answers(path: &std::path::Path) -> serde_json::Value {
        let list = recent(path, 100).unwrap();
        let mut shown = serde_json::Map::new();
        for run in &list {
            let chain = Chain::find(path, &run.run_id).unwrap().unwrap();
            let items = chain_items(path, &chain).unwrap();
            shown.insert(run.run_id.clone(), serde_json::to_value(items).unwrap());
        }
        serde_json::json!({ "list": list, "show": shown })
    }

    /// The answers from a full read of the journal: the index removed first.
    fn truth(path: &std::path::Path) -> serde_json::Value {
        let index = index::index_path(path);
        let saved = std::fs::read(&index).ok();
        let _ = std::fs::remove_file(&index);
        let full = serde_json::to_value(runs(path).unwrap()).unwrap();
        let answers = answers(path);
        assert_eq!(answers["list"], full, "the index's list is the full read's");
        if let Some(bytes) = saved {
            std::fs::write(&index, bytes).unwrap();
        }
        answers
    }

    fn edit(path: &std::path::Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains(from), "{from}");
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    #[tokio::test]
    async fn the_index_is_kept_by_each_run_and_answers_like_a_full_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        three_runs(&path).await;
        let first = answers(&path);
        assert!(index::index_path(&path).exists());
        assert_eq!(first["list"].as_array().unwrap().len(), 3);
        assert_eq!(first["show"]["R2"], first["show"]["R1"]);
        assert_eq!(first["show"]["R1"][2]["outcome"], "unknown");
        assert_eq!(first, truth(&path));
        // Read again, nothing to index; a run notes its own lines (one record and a
        // commit) and the next read finds the index covering the journal.
        let before = std::fs::read(index::index_path(&path)).unwrap();
        assert_eq!(answers(&path), first);
        assert_eq!(std::fs::read(index::index_path(&path)).unwrap(), before);
        let w = Writer::open(path.clone(), info("R4", Some("R3"), false)).unwrap();
        w.not_sent_by_resume(&ids(&["d"]), &[]);
        w.finish().await.unwrap();
        let after = std::fs::read(index::index_path(&path)).unwrap();
        assert_eq!(after.len(), before.len() + 128);
        let got = answers(&path);
        assert_eq!(std::fs::read(index::index_path(&path)).unwrap(), after);
        assert_eq!(got["show"]["R4"], got["show"]["R3"]);
        assert_eq!(got, truth(&path));
    }

    #[test]
    fn the_latest_runs_are_those_a_full_read_lists_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        // 400 runs, times out of file order and with ties, some spread over two
        // segments of the index (indexed, then continued).
        let line = |run: usize, second: usize| {
            format!(
                "{{\"run_id\":\"R{run:03}\",\"time\":\"2026-01-01T00:{:02}:{:02}.000Z\",\"phase\":\"sent\",\"provider\":\"p\",\"operation\":\"o\",\"ids\":[\"x{run}\"]}}\n",
                second / 60,
                second % 60
            )
        };
        let mut text = String::new();
        for run in 0..200 {
            text += &line(run, (run * 7919) % 600);
        }
        std::fs::write(&path, &text).unwrap();
        assert_eq!(recent(&path, 3).unwrap().len(), 3);
        for run in 200..400 {
            text += &line(run, (run * 7919) % 600);
            text += &line(run - 200, 599);
        }
        std::fs::write(&path, &text).unwrap();
        let all = serde_json::to_value(runs(&path).unwrap()).unwrap();
        for limit in [1, 5, 20, 150, 400, 500] {
            let got = serde_json::to_value(recent(&path, limit).unwrap()).unwrap();
            let want: Vec<serde_json::Value> = all
                .as_array()
                .unwrap()
                .iter()
                .take(limit)
                .cloned()
                .collect();
            assert_eq!(got, serde_json::Value::Array(want), "limit {limit}");
        }
    }

    #[tokio::test]
    async fn a_stale_or_damaged_index_never_gives_a_wrong_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        let index_file = index::index_path(&path);
        three_runs(&path).await;
        answers(&path);
        let pristine = std::fs::read(&path).unwrap();
        let restore = |index: &[u8]| {
            std::fs::write(&path, &pristine).unwrap();
            std::fs::write(&index_file, index).unwrap();
        };
        let good_index = std::fs::read(&index_file).unwrap();

        // Lines appended with no index update (a kill between line and index, or an
        // older certctl): they are read.
        let extra = "{\"run_id\":\"R4\",\"time\":\"2030-01-01T00:00:00.000Z\",\"phase\":\"sent\",\"profile\":\"p\",\"provider\":\"digicert\",\"operation\":\"orders.revoke\",\"ids\":[\"x\"]}\n";
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(extra.as_bytes())
            .unwrap();
        let got = answers(&path);
        assert_eq!(got["list"][0]["run_id"], "R4");
        assert_eq!(got, truth(&path));

        // Edited by hand: an outcome changed (another length), then one of the same
        // length, then a line removed.
        restore(&good_index);
        edit(&path, "\"outcome\":\"failed\"", "\"outcome\":\"succeeded\"");
        let got = answers(&path);
        assert_eq!(got, truth(&path));
        assert_eq!(got["list"][2]["failed"], 0);
        restore(&good_index);
        std::thread::sleep(std::time::Duration::from_millis(20));
        edit(&path, "\"http_status\":400", "\"http_status\":409");
        let got = answers(&path);
        assert_eq!(got["show"]["R1"][1]["http_status"], 201);
        assert_eq!(got, truth(&path));
        restore(&good_index);
        let text = String::from_utf8(pristine.clone()).unwrap();
        let kept: Vec<&str> = text.lines().filter(|l| !l.contains("\"R3\"")).collect();
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
        let got = answers(&path);
        assert_eq!(got["list"].as_array().unwrap().len(), 2);
        assert_eq!(got, truth(&path));

        // Truncated by hand, mid-line and then to nothing.
        restore(&good_index);
        let len = pristine.len() as u64;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len / 2)
            .unwrap();
        assert_eq!(answers(&path), truth(&path));
        restore(&good_index);
        std::fs::write(&path, "").unwrap();
        assert_eq!(answers(&path)["list"], serde_json::json!([]));

        // Replaced by another journal of the same length.
        restore(&good_index);
        let swapped = text.replace("\"R1\"", "\"Q1\"").replace("\"R3\"", "\"Q3\"");
        std::fs::write(&path, &swapped).unwrap();
        let got = answers(&path);
        assert!(got["show"].get("Q3").is_some(), "{got}");
        assert_eq!(got, truth(&path));

        // The index damaged: cut mid-record, garbage past its last commit, a record
        // overwritten, another format, emptied, removed.
        let expected = {
            restore(&good_index);
            truth(&path)
        };
        let mut damaged: Vec<Vec<u8>> = Vec::new();
        damaged.push(good_index[..good_index.len() - 10].to_vec());
        damaged.push([good_index.clone(), vec![7u8; 64 * 3]].concat());
        let mut flipped = good_index.clone();
        flipped[64 + 20] ^= 0xff;
        damaged.push(flipped);
        let mut other = good_index.clone();
        other[3] = b'X';
        damaged.push(other);
        damaged.push(Vec::new());
        for bytes in damaged {
            restore(&bytes);
            assert_eq!(answers(&path), expected);
        }
        std::fs::remove_file(&index_file).unwrap();
        assert_eq!(answers(&path), expected);
        // Each time the index was rebuilt whole: as long as the one a fresh build made.
        assert_eq!(std::fs::read(&index_file).unwrap().len(), good_index.len());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn prune_waits_for_a_writing_run_and_loses_none_of_its_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.ndjson");
        std::fs::write(
            &path,
            "{\"run_id\":\"OLD\",\"time\":\"2020-01-01T00:00:00Z\",\"phase\":\"done\",\"provider\":\"p\",\"operation\":\"o\",\"ids\":[\"x\"],\"outcome\":\"succeeded\"}\n",
        )
        .unwrap();
        let w = Writer::open(path.clone(), info("NEW", None, false)).unwrap();
        let a = ids(&["a"]);
        w.sent([a.as_slice()]).await.unwrap().unwrap();
        let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
        let pruning = {
            let path = path.clone();
            std::thread::spawn(move || prune(&path, cutoff, None, false))
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!pruning.is_finished(), "prune waits for the run");
        w.done(&a, Some(201), &[ok()], None);
        w.finish().await.unwrap();
        let pruned = pruning.join().unwrap().unwrap();
        assert_eq!((pruned.chains, pruned.runs, pruned.lines), (1, 1, 1));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("OLD"), "{text}");
        assert_eq!(text.lines().filter(|l| l.contains("\"NEW\"")).count(), 2);
        // The next run appends to the new file.
        let w = Writer::open(path.clone(), info("NEXT", None, false)).unwrap();
        w.not_sent_by_resume(&a, &[]);
        w.finish().await.unwrap();
        let list = recent(&path, 10).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            serde_json::to_value(runs(&path).unwrap()).unwrap()
        );
    }

    #[test]
    fn sandbox_runs_have_a_journal_of_their_own() {
        let prod = path(false).unwrap();
        let sandbox = path(true).unwrap();
        assert_ne!(prod, sandbox);
        assert_eq!(prod.parent(), sandbox.parent());
        assert!(
            sandbox
                .file_name()
                .unwrap()
                .to_string_lossy()
                .contains("-sandbox")
        );
    }

    #[test]
    fn an_unwritable_journal_is_refused() {
        let err = Writer::open(PathBuf::from("/proc/nope/journal"), info("R", None, true))
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::Refused);
        assert!(err.hint_text().unwrap().contains("journal = false"));
    }
}
