//! How a command ended, as data: the one value `main` turns into the exit code and
//! the sentence on stderr (SPEC §10), for every command alike.
//!
//! Commands return `Result<Outcome>`: an expected end (a run with failed items, a
//! check that did not pass) is an [`Outcome`], not an `Err`; an `Err` is a command
//! that stopped before it could report anything. [`conclude`] is the only place
//! either becomes an exit code, as uv's `ExitStatus` is.

use std::io::Write;

use crate::engine::Ended;
use crate::error::{Error, ErrorKind};

/// How a command ended.
#[derive(Debug)]
pub enum Outcome {
    /// Everything asked was done (also: a dry run, a read, a passing check).
    Success,
    /// An operation ran and reported; its end decides the code and the sentence.
    Ran(Box<Ended>),
    /// Some of what was asked succeeded and some failed (exit 3); the sentence says
    /// what failed.
    Partial(String),
    /// It failed after printing what it could: the error's kind decides the code.
    Failed(Error),
    /// Some changes may or may not have been applied and nothing could tell (exit
    /// 7): the sentence says which, the hint what to do.
    Unsettled(String, Option<String>),
}

impl Outcome {
    /// An operation's end.
    pub fn ran(ended: Ended) -> Outcome {
        Outcome::Ran(Box::new(ended))
    }

    /// The process exit code of SPEC §10.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Ran(ended) => ended.exit_code(),
            Outcome::Partial(_) => 3,
            Outcome::Failed(e) => e.kind().exit_code(),
            Outcome::Unsettled(..) => 7,
        }
    }

    /// The items' counts: an operation's summary, zeros for any other end.
    pub fn summary(&self) -> crate::report::Summary {
        match self {
            Outcome::Ran(ended) => ended.summary,
            _ => crate::report::Summary::default(),
        }
    }

    /// The sentences for stderr, each with its hint; none when there is nothing to
    /// say (a success, or a closed stdout pipe: the reader went away, nobody
    /// failed). A run stopped by an error with items unknown says both.
    pub fn sentences(&self) -> Vec<(String, Option<String>)> {
        let said = |e: &Error| (e.to_string(), e.hint_text().map(str::to_string));
        match self {
            Outcome::Success => Vec::new(),
            Outcome::Ran(ended) => ended
                .stopped_by
                .iter()
                .map(said)
                .chain(ended.sentence())
                .collect(),
            Outcome::Partial(s) => vec![(s.clone(), None)],
            Outcome::Failed(e) if e.kind() == ErrorKind::BrokenPipe => Vec::new(),
            Outcome::Failed(e) => vec![said(e)],
            Outcome::Unsettled(s, hint) => vec![(s.clone(), hint.clone())],
        }
    }
}

/// Says on stderr what failed, if anything did, and returns the exit code: the one
/// place a command's end becomes what a script sees. The sentence is printed
/// whatever `-q` and `-o` say: stdout holds the report alone.
pub fn conclude(result: crate::error::Result<Outcome>) -> u8 {
    let outcome = result.unwrap_or_else(Outcome::Failed);
    let mut err = std::io::stderr().lock();
    for (sentence, hint) in outcome.sentences() {
        let _ = writeln!(err, "certctl: error: {sentence}");
        if let Some(hint) = hint {
            let _ = writeln!(err, "  hint: {hint}");
        }
    }
    outcome.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(succeeded: u64, failed: u64, unknown: u64, interrupted: bool) -> Outcome {
        let mut e = Ended::sample(succeeded, failed, unknown, ErrorKind::NotFound);
        e.interrupted = interrupted;
        Outcome::ran(e)
    }

    /// Every way a command ends, its exit code, and whether stderr gets a sentence.
    #[test]
    fn every_end_has_its_code_and_sentence() {
        let table: Vec<(Outcome, u8, bool)> = vec![
            (Outcome::Success, 0, false),
            (ran(2, 0, 0, false), 0, false),
            (ran(1, 1, 0, false), 3, true),
            (ran(0, 2, 0, false), 5, true),
            (ran(1, 0, 1, false), 7, true),
            (ran(1, 1, 1, true), 130, true),
            (Outcome::Partial("1 of 2 requests failed".into()), 3, true),
            (
                Outcome::Unsettled("2 items still unknown".into(), None),
                7,
                true,
            ),
            (Outcome::Failed(Error::usage("bad")), 2, true),
            (Outcome::Failed(Error::config("no key")), 4, true),
            (
                Outcome::Failed(Error::new(ErrorKind::Transient, "down")),
                6,
                true,
            ),
            (
                Outcome::Failed(Error::new(ErrorKind::Interrupted, "cut")),
                130,
                true,
            ),
            (Outcome::Failed(Error::broken_pipe()), 0, false),
        ];
        for (i, (outcome, code, speaks)) in table.iter().enumerate() {
            assert_eq!(outcome.exit_code(), *code, "row {i}: {outcome:?}");
            assert_eq!(
                !outcome.sentences().is_empty(),
                *speaks,
                "row {i}: {outcome:?}"
            );
        }
        let mut stopped = Ended::sample(1, 0, 1, ErrorKind::NotFound);
        stopped.stopped_by = Some(Error::usage("line 9 is not an order ID"));
        let stopped = Outcome::ran(stopped);
        assert_eq!(stopped.exit_code(), 7);
        assert_eq!(stopped.sentences().len(), 2);
    }
}
