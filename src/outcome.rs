//! How a command ended, as data: what `main` turns into the exit status and the
//! sentence on stderr (see "Exit codes" in the README), for every command alike.
//!
//! Commands return `Result<Outcome>`: what it did, or the `Err` that says why it
//! failed (after printing what it could, or before it could report anything). A
//! run's own end (failed or unknown items) is in its [`Outcome::Ran`]. [`conclude`]
//! is the only place either becomes an [`ExitStatus`].

use std::io::Write;

use crate::engine::Ended;
use crate::error::{Error, ErrorKind, ExitStatus};

/// How a command ended.
#[derive(Debug)]
pub enum Outcome {
    /// Everything asked was done (also: a dry run, a read, a passing check).
    Success,
    /// An operation ran and reported; its end decides the code and the sentence.
    Ran(Box<Ended>),
    /// Some of what was asked succeeded and some failed; the sentence says what
    /// failed.
    Partial(String),
    /// Some changes may or may not have been applied and nothing could tell: the
    /// sentence says which, the hint what to do.
    Unsettled(String, Option<String>),
}

impl Outcome {
    /// An operation's end.
    pub fn ran(ended: Ended) -> Outcome {
        Outcome::Ran(Box::new(ended))
    }

    /// How it ended for a script.
    pub fn status(&self) -> ExitStatus {
        match self {
            Outcome::Success => ExitStatus::Success,
            Outcome::Ran(ended) => ended.status(),
            Outcome::Partial(_) => ExitStatus::Partial,
            Outcome::Unsettled(..) => ExitStatus::Unknown,
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
    /// say. A run stopped by an error with items unknown says both.
    pub fn sentences(&self) -> Vec<(String, Option<String>)> {
        match self {
            Outcome::Success => Vec::new(),
            Outcome::Ran(ended) => ended
                .stopped_by
                .iter()
                .map(said)
                .chain(ended.sentence())
                .collect(),
            Outcome::Partial(s) => vec![(s.clone(), None)],
            Outcome::Unsettled(s, hint) => vec![(s.clone(), hint.clone())],
        }
    }
}

/// An error's sentence and hint.
fn said(e: &Error) -> (String, Option<String>) {
    (e.to_string(), e.hint_text().map(str::to_string))
}

/// How a command's result ends for a script (what `--metrics-file` records too).
pub fn status(result: &crate::error::Result<Outcome>) -> ExitStatus {
    ending(result).0
}

/// How a command's result ends the process: its exit status and the sentences for
/// stderr. A failure says its error, except a closed stdout pipe: the reader went
/// away, nobody failed.
fn ending(result: &crate::error::Result<Outcome>) -> (ExitStatus, Vec<(String, Option<String>)>) {
    match result {
        Ok(outcome) => (outcome.status(), outcome.sentences()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => (ExitStatus::Success, Vec::new()),
        Err(e) => (ExitStatus::Failed(e.kind()), vec![said(e)]),
    }
}

/// Says on stderr what failed, if anything did, and returns the exit status: the
/// one place a command's end becomes what a script sees. The sentence is printed
/// whatever `-q` and `-o` say: stdout holds the report alone.
pub fn conclude(result: crate::error::Result<Outcome>) -> ExitStatus {
    let (status, sentences) = ending(&result);
    let mut err = std::io::stderr().lock();
    for (sentence, hint) in sentences {
        let _ = writeln!(err, "certctl: error: {sentence}");
        if let Some(hint) = hint {
            let _ = writeln!(err, "  hint: {hint}");
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;

    fn ran(succeeded: u64, failed: u64, unknown: u64, interrupted: bool) -> Result<Outcome> {
        let mut e = Ended::sample(succeeded, failed, unknown, ErrorKind::NotFound);
        e.interrupted = interrupted;
        Ok(Outcome::ran(e))
    }

    fn failed(e: Error) -> Result<Outcome> {
        Err(e)
    }

    /// Every way a command ends, its exit code, and whether stderr gets a sentence.
    #[test]
    fn every_end_has_its_code_and_sentence() {
        let table: Vec<(Result<Outcome>, u8, bool)> = vec![
            (Ok(Outcome::Success), 0, false),
            (ran(2, 0, 0, false), 0, false),
            (ran(1, 1, 0, false), 3, true),
            (ran(0, 2, 0, false), 5, true),
            (ran(1, 0, 1, false), 7, true),
            (ran(1, 1, 1, true), 130, true),
            (
                Ok(Outcome::Partial("1 of 2 requests failed".into())),
                3,
                true,
            ),
            (
                Ok(Outcome::Unsettled("2 items still unknown".into(), None)),
                7,
                true,
            ),
            (failed(Error::usage("bad")), 2, true),
            (failed(Error::config("no key")), 4, true),
            (failed(Error::new(ErrorKind::Transient, "down")), 6, true),
            (failed(Error::new(ErrorKind::Interrupted, "cut")), 130, true),
            (failed(Error::broken_pipe()), 0, false),
        ];
        for (i, (result, code, speaks)) in table.iter().enumerate() {
            let (status, sentences) = ending(result);
            assert_eq!(status.code(), *code, "row {i}: {result:?}");
            assert_eq!(!sentences.is_empty(), *speaks, "row {i}: {result:?}");
        }
        let mut stopped = Ended::sample(1, 0, 1, ErrorKind::NotFound);
        stopped.stopped_by = Some(Error::usage("line 9 is not an order ID"));
        let (status, sentences) = ending(&Ok(Outcome::ran(stopped)));
        assert_eq!(status, ExitStatus::Unknown);
        assert_eq!(sentences.len(), 2);
    }
}
