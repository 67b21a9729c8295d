//! ID lists: positional arguments and `--from FILE` / `--from -`, streamed.
//!
//! IDs are trimmed; blank lines and `#` comments are skipped; duplicates are dropped
//! with a warning naming them. To find duplicates only a 16-byte fingerprint of each
//! distinct ID is kept (two foldhash hashes with independent seeds: two distinct IDs
//! of a million pass for one about once in 10^27 runs), never the list itself, in one
//! ordered open-addressing table that stays 89 to 95% full and grows in place by 1/16
//! at a time: a million distinct IDs on standard input cost about 17 MiB. A file's
//! table is sized from the file's size up front, 80% full. A regular file is read twice:
//! once to check every ID (so a bad line stops the run before anything is sent),
//! count them and note where the duplicates are (a second thread reads, checks and
//! fingerprints while the first looks the fingerprints up), once to stream them, skipping
//! those places (a file changed in between is refused before any of it is sent). Standard input cannot be read twice, so it is
//! checked as it streams, unless it is a terminal.
//!
//! With `--resume RUN_ID`, the IDs that run completed (or holds back) are passed
//! over here, after deduplication and before any adapter batches them, so a resumed
//! bulk run's requests carry only what is left to do, whatever the batch size. Each
//! passed-over ID still comes down the stream, as a [`Passed`] value, in its place:
//! the engine counts, reports and journals it from there. What to pass over is asked
//! of a [`Skip`] the command passes to [`open`] (the engine's resume state implements
//! it), so this module knows nothing of the journal.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};

mod dedup;
mod file;
mod lines;

use dedup::Dedup;
use file::from_file;
use lines::Lines;

/// What `--resume` decides for an ID, as the input needs to know it.
pub trait Skip: Send + Sync {
    /// Whether `id` is done already and will not be sent (for counts and previews).
    fn settled(&self, id: &str) -> bool;
    /// Whether `id` is sent, or why it is not.
    fn decide(&self, id: &str) -> Decision;
}

/// What `--resume` does with one ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it: never sent, failed, not sent, or unknown and safe to send again.
    Send,
    /// It succeeded earlier in the chain: count it as skipped.
    Skip,
    /// Unknown and not safe to send twice: report it unknown again for the user to
    /// check, unless `--retry-unknown`.
    Hold,
}

/// An ID `--resume` passed over, in its place in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passed {
    /// It succeeded earlier in the chain.
    Skipped(String),
    /// Its outcome is unknown and it is not safe to send twice.
    Held(String),
}

/// One entry of an ID list: an ID to send, or one `--resume` passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// An ID to send.
    Send(String),
    /// An ID not to send, and why.
    Passed(Passed),
}

/// The `--resume` filter of one ID list, if any.
#[derive(Clone, Default)]
pub struct Resumed(Option<Arc<dyn Skip>>);

impl Resumed {
    /// Filters through `skip`; `None` sends every ID.
    pub fn new(skip: Option<Arc<dyn Skip>>) -> Resumed {
        Resumed(skip)
    }

    fn settled(&self, id: &str) -> bool {
        self.0.as_ref().is_some_and(|s| s.settled(id))
    }

    /// The entry of `id`: to send, or passed over.
    fn list(&self, id: String) -> Listed {
        match self.0.as_ref().map_or(Decision::Send, |s| s.decide(&id)) {
            Decision::Send => Listed::Send(id),
            Decision::Skip => Listed::Passed(Passed::Skipped(id)),
            Decision::Hold => Listed::Passed(Passed::Held(id)),
        }
    }
}

/// How many IDs a confirmation prompt names.
pub const PREVIEW: usize = 5;

/// Checks one ID; the message names what is wrong with it.
pub type Check = fn(&str) -> std::result::Result<(), String>;

/// An ID that passes any check.
pub fn any_id(_: &str) -> std::result::Result<(), String> {
    Ok(())
}

/// A stream of distinct, checked IDs, with their count when it is known up front.
pub struct Ids {
    /// The IDs in input order, each checked and to send or passed over by
    /// `--resume`; an `Err` ends the stream.
    pub iter: Box<dyn Iterator<Item = Result<Listed>> + Send>,
    /// How many distinct IDs there are, when known before sending.
    pub count: Option<usize>,
    /// The first few IDs, for the confirmation prompt.
    pub preview: Vec<String>,
}

impl Ids {
    /// The IDs to send, in input order: a list opened without `--resume` (a read's)
    /// has no other kind.
    pub fn into_sent(self) -> impl Iterator<Item = Result<String>> {
        self.iter.filter_map(|listed| match listed {
            Ok(Listed::Send(id)) => Some(Ok(id)),
            Ok(Listed::Passed(_)) => None,
            Err(e) => Some(Err(e)),
        })
    }
}

/// Opens the ID list from positional arguments and an optional `--from` source;
/// `resumed` drops what an earlier run of the chain completed.
pub fn open(args: Vec<String>, from: Option<&Path>, check: Check, resumed: Resumed) -> Result<Ids> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    for a in &args {
        check(a).map_err(Error::usage)?;
    }
    match from {
        None => {
            let mut dedup = Dedup::new();
            let ids: Vec<String> = args.into_iter().filter(|id| dedup.first(id)).collect();
            from_vec(ids, resumed)
        }
        Some(p) if p == Path::new("-") => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                let reader = Lines::new(Box::new(std::io::stdin()), "standard input".into());
                let mut ids = args;
                for line in reader {
                    ids.push(line?);
                }
                let mut dedup = Dedup::new();
                let mut checked = Vec::new();
                for id in ids {
                    check(&id).map_err(Error::usage)?;
                    if dedup.first(&id) {
                        checked.push(id);
                    }
                }
                from_vec(checked, resumed)
            } else {
                let reader = Lines::new(Box::new(std::io::stdin()), "standard input".into());
                let preview = args
                    .iter()
                    .filter(|id| !resumed.settled(id))
                    .take(PREVIEW)
                    .cloned()
                    .collect();
                let mut dedup = Dedup::new();
                let iter = args.into_iter().map(Ok).chain(reader.map(move |line| {
                    let id = line?;
                    check(&id).map_err(|m| Error::usage(format!("standard input: {m}")))?;
                    Ok(id)
                }));
                let iter = iter
                    .filter(move |r| r.as_ref().map_or(true, |id| dedup.first(id)))
                    .map(move |r| r.map(|id| resumed.list(id)));
                Ok(Ids {
                    iter: Box::new(iter),
                    count: None,
                    preview,
                })
            }
        }
        Some(path) => from_file(args, path.to_path_buf(), check, resumed),
    }
}

fn from_vec(ids: Vec<String>, resumed: Resumed) -> Result<Ids> {
    if ids.is_empty() {
        return Err(no_ids());
    }
    Ok(Ids {
        count: Some(ids.iter().filter(|id| !resumed.settled(id)).count()),
        preview: ids
            .iter()
            .filter(|id| !resumed.settled(id))
            .take(PREVIEW)
            .cloned()
            .collect(),
        iter: Box::new(ids.into_iter().map(move |id| Ok(resumed.list(id)))),
    })
}

fn no_ids() -> Error {
    Error::usage("no IDs were given")
        .hint("name them as arguments or give a file with --from FILE (- for standard input)")
}

#[cfg(test)]
mod tests {
    use super::dedup::*;
    use super::lines::*;
    use super::*;
    use std::io::Read;
    use std::io::Write;

    fn collect(ids: Ids) -> Vec<String> {
        ids.into_sent().map(|r| r.unwrap()).collect()
    }

    /// A `--resume` that skips `b` and holds `c` back.
    struct Resumes;

    impl Skip for Resumes {
        fn settled(&self, id: &str) -> bool {
            id == "b"
        }
        fn decide(&self, id: &str) -> Decision {
            match id {
                "b" => Decision::Skip,
                "c" => Decision::Hold,
                _ => Decision::Send,
            }
        }
    }

    #[test]
    fn resumed_ids_come_down_the_stream_as_values_in_their_place() {
        let resumed = || Resumed::new(Some(Arc::new(Resumes)));
        let want = [
            Listed::Send("a".into()),
            Listed::Passed(Passed::Skipped("b".into())),
            Listed::Passed(Passed::Held("c".into())),
            Listed::Send("d".into()),
        ];
        let args = || ["a", "b", "c", "d", "b"].map(String::from).to_vec();
        let ids = open(args(), None, any_id, resumed()).unwrap();
        assert_eq!(
            (ids.count, ids.preview.clone()),
            (Some(3), vec!["a".into(), "c".into(), "d".into()])
        );
        let listed: Vec<Listed> = ids.iter.map(|r| r.unwrap()).collect();
        assert_eq!(listed, want);
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "c\nd\nb").unwrap();
        let ids = open(args()[..2].to_vec(), Some(f.path()), any_id, resumed()).unwrap();
        let listed: Vec<Listed> = ids.iter.map(|r| r.unwrap()).collect();
        assert_eq!(listed, want);
    }

    #[test]
    fn arguments_are_trimmed_and_deduplicated() {
        let ids = open(
            vec![" a ".into(), "b".into(), "a".into()],
            None,
            any_id,
            Resumed::default(),
        )
        .unwrap();
        assert_eq!(ids.count, Some(2));
        assert_eq!(collect(ids), ["a", "b"]);
    }

    #[test]
    fn files_skip_comments_and_blank_lines() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "# header\n\n k1 \nk2\r\nk1\n\nk3").unwrap();
        let ids = open(
            vec!["k0".into()],
            Some(f.path()),
            any_id,
            Resumed::default(),
        )
        .unwrap();
        assert_eq!(ids.count, Some(4));
        assert_eq!(ids.preview, ["k0", "k1", "k2", "k3"]);
        assert_eq!(collect(ids), ["k0", "k1", "k2", "k3"]);
    }

    fn lines_of(bytes: &[u8]) -> Vec<Result<String>> {
        Lines::new(Box::new(std::io::Cursor::new(bytes.to_vec())), "t".into()).collect()
    }

    #[test]
    fn lines_are_trimmed_like_str_trim() {
        let text = "a\r\n\u{a0}b\u{2003}\n\u{b}c\u{b}\n \u{2003}# comment\n\u{3000}\n\t d e \nlast";
        let got: Vec<String> = lines_of(text.as_bytes())
            .into_iter()
            .map(|l| l.unwrap())
            .collect();
        assert_eq!(got, ["a", "b", "c", "d e", "last"]);
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_read_whole() {
        let long = "k".repeat(3 * CHUNK + 7);
        let text = format!("first\n{long}\n{long}x");
        let got: Vec<String> = lines_of(text.as_bytes())
            .into_iter()
            .map(|l| l.unwrap())
            .collect();
        assert_eq!(got, ["first".to_string(), long.clone(), format!("{long}x")]);
    }

    #[test]
    fn lines_split_across_reads_are_whole() {
        // A reader that hands over three bytes at a time.
        struct Trickle(std::io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(3);
                self.0.read(&mut buf[..n])
            }
        }
        let text = "alpha\nbeta\n\n# c\ngamma\n".as_bytes().to_vec();
        let lines = Lines::new(Box::new(Trickle(std::io::Cursor::new(text))), "t".into());
        let got: Vec<String> = lines.map(|l| l.unwrap()).collect();
        assert_eq!(got, ["alpha", "beta", "gamma"]);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_named_by_its_number() {
        let got = lines_of(b"ok\n# caf\xe9 (Latin-1, skipped)\nbad\xff\nnever");
        assert_eq!(got[0].as_ref().unwrap(), "ok");
        let err = got[1].as_ref().unwrap_err();
        assert!(
            err.to_string().contains("line 3 of t is not valid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn a_file_changed_between_the_passes_sends_none_of_its_ids() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "k1\nk1\nk2").unwrap();
        let ids = open(vec![], Some(f.path()), any_id, Resumed::default()).unwrap();
        assert_eq!(ids.count, Some(2));
        std::fs::write(f.path(), "k1\nk2\nk3\n").unwrap();
        let streamed: Vec<Result<String>> = ids.into_sent().collect();
        assert_eq!(streamed.len(), 1, "one error, then nothing");
        let err = streamed[0].as_ref().unwrap_err();
        assert!(
            err.to_string().contains("changed after it was checked"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_line_fails_before_streaming() {
        fn digits(s: &str) -> std::result::Result<(), String> {
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then_some(())
                .ok_or(format!("`{s}` is not a number"))
        }
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "1\n2\nx3").unwrap();
        let err = open(vec![], Some(f.path()), digits, Resumed::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("`x3` is not a number"), "{err}");
    }

    #[test]
    fn duplicates_are_found_wherever_they_land() {
        let mut dedup = Dedup::new();
        let fresh = (0..20_000)
            .filter(|i| dedup.first(&format!("key-{}", i % 10_000)))
            .count();
        assert_eq!(fresh, 10_000);
        assert_eq!(dedup.table.len, 10_000);
        assert_laid_out(&dedup.table);
        // Every sixteenth of the home slots holds some.
        let table = &dedup.table;
        assert!(
            table.slots[..table.homes]
                .chunks(table.homes / 16)
                .take(16)
                .all(|c| c.iter().any(|&s| s != 0)),
            "fingerprints should spread over the table"
        );
    }

    /// Every fingerprint of `table` in order, each at or after its home, no free slot
    /// between its home and it.
    fn assert_laid_out(table: &Table) {
        let mut last = 0;
        for (i, &s) in table.slots.iter().enumerate() {
            if s == 0 {
                continue;
            }
            assert!(s > last, "slot {i} is out of order");
            let home = Table::home(s, table.homes);
            assert!(home <= i, "slot {i} is before its home {home}");
            assert!(
                table.slots[home..i].iter().all(|&t| t != 0),
                "gap before {i}"
            );
            last = s;
        }
        assert_eq!(table.slots.iter().filter(|&&s| s != 0).count(), table.len);
    }

    /// Fingerprints spread over the whole range: a multiplicative sequence.
    fn spread(n: u128) -> impl Iterator<Item = u128> {
        (1..=n).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835) | 1)
    }

    #[test]
    fn the_set_grows_and_keeps_every_fingerprint() {
        let mut dedup = Dedup::new();
        for f in spread(50_000) {
            assert!(dedup.insert(f));
        }
        for f in spread(50_000) {
            assert!(!dedup.insert(f), "{f:#x} was lost");
        }
        let table = &dedup.table;
        assert!(table.homes > 50_000, "the table grew");
        assert!(table.len * 100 <= table.homes * MAX_LOAD_PERCENT + 100);
        assert_laid_out(table);
    }

    #[test]
    fn a_reserved_table_keeps_what_it_held_and_grows_past_the_estimate() {
        let mut dedup = Dedup::new();
        for f in spread(3_000) {
            assert!(dedup.insert(f));
        }
        dedup.reserve(10_000);
        assert!(dedup.table.homes >= 12_500);
        assert_laid_out(&dedup.table);
        for f in spread(30_000) {
            dedup.insert(f);
        }
        assert_eq!(dedup.table.len, 30_000);
        assert_laid_out(&dedup.table);
        assert!(spread(30_000).all(|f| !dedup.insert(f)));
    }

    #[test]
    fn fingerprints_crowding_the_last_homes_spill_and_grow() {
        // All homed at the last slot: the tail fills, then the table grows until
        // they fit.
        let mut dedup = Dedup::new();
        for i in 0..2_000u128 {
            assert!(dedup.insert(u128::MAX - i));
        }
        for i in 0..2_000u128 {
            assert!(!dedup.insert(u128::MAX - i));
        }
        assert_eq!(dedup.table.len, 2_000);
        assert_laid_out(&dedup.table);
    }

    #[test]
    fn the_fingerprint_zero_is_remembered_apart() {
        let mut dedup = Dedup::new();
        assert!(dedup.insert(0));
        assert!(!dedup.insert(0));
        assert!(dedup.insert(1));
        assert!(!dedup.insert(1));
        assert!(dedup.insert(u128::MAX));
        assert!(!dedup.insert(u128::MAX));
        assert!(dedup.zero);
        assert_eq!(dedup.table.len, 2);
    }

    #[test]
    fn two_million_distinct_ids_are_never_taken_for_duplicates() {
        let mut dedup = Dedup::new();
        let mut id = String::new();
        for i in 0..2_000_000u32 {
            id.clear();
            std::fmt::Write::write_fmt(&mut id, format_args!("KEY{i:07}")).unwrap();
            assert!(dedup.first(&id), "{id} taken for a duplicate");
        }
        assert!(!dedup.first("KEY0000000"));
        assert!(!dedup.first("KEY1999999"));
    }

    #[test]
    fn a_long_file_sized_from_its_first_lines_still_finds_every_duplicate() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        for i in 0..5_000 {
            writeln!(f, "id-{i}").unwrap();
        }
        // Past the sample: longer lines, and duplicates of the first IDs.
        for i in 0..5_000 {
            writeln!(
                f,
                "a-much-longer-id-than-the-first-ones-{i}\nid-{}",
                i % 2_000
            )
            .unwrap();
        }
        let ids = open(vec![], Some(f.path()), any_id, Resumed::default()).unwrap();
        assert_eq!(ids.count, Some(10_000));
        let got = collect(ids);
        assert_eq!(got.len(), 10_000);
        assert_eq!(got[4_999], "id-4999");
        assert_eq!(got[5_000], "a-much-longer-id-than-the-first-ones-0");
    }

    #[test]
    fn empty_lists_are_usage_errors() {
        let err = open(vec!["  ".into()], None, any_id, Resumed::default())
            .err()
            .unwrap();
        assert_eq!(err.kind(), crate::error::ErrorKind::Usage);
        let f = tempfile::NamedTempFile::new().unwrap();
        assert!(open(vec![], Some(f.path()), any_id, Resumed::default()).is_err());
        assert!(
            open(
                vec![],
                Some(Path::new("/nonexistent/ids")),
                any_id,
                Resumed::default()
            )
            .is_err()
        );
    }
}
