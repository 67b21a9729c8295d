//! How a finished run ends for the user: its exit code and the one sentence on
//! stderr that says what failed and what to do, decided here and nowhere else for
//! every operation (see "Exit codes" in the README).

use crate::error::{Error, ErrorKind, ExitStatus, ItemError};
use crate::report::{Summary, describe};

/// How an operation ended: what the exit code and the closing sentence come from.
#[derive(Debug)]
pub struct Ended {
    /// The name of the provider it ran against.
    pub provider: &'static str,
    /// The setting holding that provider's credential (`token`, `api_key`), named
    /// when the credential was refused.
    pub secret_key: &'static str,
    /// The operation's name.
    pub operation: &'static str,
    /// The counts.
    pub summary: Summary,
    /// The first failed item in input order, if any failed.
    pub first_failure: Option<(String, ItemError)>,
    /// The first unknown item in input order, if any is unknown.
    pub first_unknown: Option<(String, ItemError)>,
    /// Whether Ctrl-C or SIGTERM cut the run.
    pub interrupted: bool,
    /// Whether nothing was sent.
    pub dry_run: bool,
    /// The run's identifier (none for a dry run).
    pub run_id: Option<String>,
    /// Whether the run was journaled, so that `--resume` can continue it.
    pub journaled: bool,
    /// What stopped the run before its end (a bad ID further down the input, a
    /// journal that could not be written) when some items are unknown: the exit
    /// code stays 7, and this is said besides.
    pub stopped_by: Option<Error>,
}

impl Ended {
    /// A run of `operation` that has not ended yet.
    pub fn new(provider: &'static str, secret_key: &'static str, operation: &'static str) -> Ended {
        Ended {
            provider,
            secret_key,
            operation,
            summary: Summary::default(),
            first_failure: None,
            first_unknown: None,
            interrupted: false,
            dry_run: false,
            run_id: None,
            journaled: false,
            stopped_by: None,
        }
    }

    /// How the run ended for a script: interrupted, else unknown when any item is,
    /// success when none failed, partial when some succeeded, else failed as the
    /// first failure in input order.
    pub fn status(&self) -> ExitStatus {
        if self.interrupted {
            return ExitStatus::Failed(ErrorKind::Interrupted);
        }
        if self.summary.unknown > 0 {
            return ExitStatus::Unknown;
        }
        match (
            self.summary.failed,
            self.summary.succeeded,
            &self.first_failure,
        ) {
            (0, _, _) => ExitStatus::Success,
            (_, s, _) if s > 0 => ExitStatus::Partial,
            (_, _, Some((_, e))) => ExitStatus::Failed(e.kind),
            (_, _, None) => ExitStatus::Failed(ErrorKind::Rejected),
        }
    }

    /// The sentence for stderr when the run did not fully succeed, and the hint
    /// that says what to do; `None` when there is nothing to say.
    pub fn sentence(&self) -> Option<(String, Option<String>)> {
        let s = &self.summary;
        let what = format!("{} {}", self.provider, self.operation);
        let run = self.run_id.as_deref().unwrap_or("-");
        let resume = |extra: &str| {
            if self.journaled {
                format!("run the same command again with --resume {run}{extra}")
            } else {
                "the journal is off for this profile, so --resume cannot pick up where this run stopped".to_string()
            }
        };
        let journal_ref = if self.journaled {
            format!(" (run {run}; certctl journal show {run})")
        } else {
            format!(" (run {run})")
        };
        if self.interrupted {
            let done = s.succeeded + s.failed + s.unknown + s.skipped;
            return Some((
                format!(
                    "{what}: interrupted after {done} of {} items{journal_ref}",
                    s.total
                ),
                Some(format!("to finish it, {}", resume(""))),
            ));
        }
        if s.unknown > 0 {
            let (id, e) = self.first_unknown.as_ref()?;
            let others = if s.unknown > 1 {
                format!(" and {} more", s.unknown - 1)
            } else {
                String::new()
            };
            return Some((
                format!(
                    "{what}: the outcome of {} of {} items is unknown, they may have been applied: {id}{others}: {}{journal_ref}",
                    s.unknown,
                    s.total,
                    describe(e)
                ),
                Some(if self.journaled {
                    format!(
                        "{}: it first asks the provider what happened to them and sends only what was not applied; those it cannot tell about are held back (`certctl journal show {run} --unknown` lists them to check by hand)",
                        resume("")
                    )
                } else {
                    "check them at the provider before running anything again: running them again could apply them twice".to_string()
                }),
            ));
        }
        if s.failed == 0 {
            return None;
        }
        let (id, e) = self.first_failure.as_ref()?;
        let failed_too = match s.failed {
            1 => None,
            2 => Some("1 other failed too".to_string()),
            n => Some(format!("{} others failed too", n - 1)),
        };
        let succeeded = match s.succeeded {
            0 => None,
            n if s.failed + n == s.total && s.failed == 1 => Some("the others succeeded".into()),
            n if s.failed + n == s.total => Some("the rest succeeded".into()),
            n => Some(format!("{n} succeeded")),
        };
        let others: Vec<String> = failed_too.into_iter().chain(succeeded).collect();
        let others = if others.is_empty() {
            String::new()
        } else {
            format!("; {}", others.join(", "))
        };
        let hint = match e.kind {
            ErrorKind::Auth if e.http_status.is_none() => Some(
                "check base_url, any proxy in HTTPS_PROXY, and that the CA that signed the provider's certificate is trusted (SSL_CERT_FILE)".to_string(),
            ),
            ErrorKind::Auth | ErrorKind::Config => {
                let key = self.secret_key;
                Some(format!(
                    "check the `{key}` setting of the {} provider (`certctl config show` says where it comes from; CERTCTL_{}_{} overrides it)",
                    self.provider,
                    self.provider.to_uppercase(),
                    key.to_uppercase()
                ))
            }
            ErrorKind::Transient => Some(format!("this is temporary: {}", resume(""))),
            _ if s.succeeded > 0 => Some(format!(
                "after fixing the failed items, {} to send only those",
                resume("")
            )),
            _ => None,
        };
        Some((
            format!(
                "{what}: {} of {} items failed: {id}: {}{others}{journal_ref}",
                s.failed,
                s.total,
                describe(e)
            ),
            hint,
        ))
    }
}

#[cfg(test)]
impl Ended {
    /// A DigiCert revoke run that ended with these counts, journaled as run `R1`:
    /// the first failure (order 1001, HTTP 404) of `kind`, the first unknown 1002.
    pub(crate) fn sample(succeeded: u64, failed: u64, unknown: u64, kind: ErrorKind) -> Ended {
        let mut e = Ended::new("digicert", "api_key", "orders.revoke");
        e.summary = Summary {
            total: succeeded + failed + unknown,
            succeeded,
            failed,
            unknown,
            skipped: 0,
        };
        e.run_id = Some("R1".into());
        e.journaled = true;
        if failed > 0 {
            e.first_failure = Some(("1001".into(), ItemError::new(kind, "no").status(404)));
        }
        if unknown > 0 {
            e.first_unknown = Some((
                "1002".into(),
                ItemError::new(ErrorKind::Transient, "dropped"),
            ));
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(succeeded: u64, failed: u64, unknown: u64, kind: ErrorKind) -> Ended {
        Ended::sample(succeeded, failed, unknown, kind)
    }

    /// Every way a run can end, its exit code, and whether stderr gets a sentence.
    #[test]
    fn exit_codes_and_sentences_follow_the_contract() {
        use ErrorKind::*;
        let table = [
            (ended(3, 0, 0, Rejected), 0, false),
            (ended(2, 1, 0, NotFound), 3, true),
            (ended(0, 2, 0, NotFound), 5, true),
            (ended(0, 1, 0, Auth), 4, true),
            (ended(0, 1, 0, Transient), 6, true),
            (ended(0, 1, 0, Rejected), 1, true),
            (ended(0, 1, 0, InvalidResponse), 1, true),
            (ended(1, 1, 1, NotFound), 7, true),
            (ended(0, 0, 1, NotFound), 7, true),
        ];
        for (i, (e, code, speaks)) in table.iter().enumerate() {
            assert_eq!(e.status().code(), *code, "row {i}");
            assert_eq!(e.sentence().is_some(), *speaks, "row {i}");
        }
        let mut cut = ended(1, 0, 1, Rejected);
        cut.interrupted = true;
        assert_eq!(cut.status().code(), 130);
        let (sentence, hint) = cut.sentence().unwrap();
        assert!(sentence.contains("interrupted"), "{sentence}");
        assert!(hint.unwrap().contains("--resume R1"));
    }

    #[test]
    fn sentences_name_the_first_item_and_what_to_do() {
        let (s, hint) = ended(2, 1, 0, ErrorKind::NotFound).sentence().unwrap();
        assert!(s.starts_with("digicert orders.revoke: 1 of 3 items failed: 1001: not_found (HTTP 404): no; the others succeeded"), "{s}");
        assert!(s.contains("certctl journal show R1"), "{s}");
        assert!(hint.unwrap().contains("--resume R1"));
        let (_, hint) = ended(0, 1, 0, ErrorKind::Auth).sentence().unwrap();
        assert!(hint.unwrap().contains("`api_key`"));
        let (s, hint) = ended(1, 0, 2, ErrorKind::Rejected).sentence().unwrap();
        assert!(s.contains("2 of 3 items is unknown"), "{s}");
        assert!(s.contains("1002 and 1 more"), "{s}");
        let hint = hint.unwrap();
        assert!(hint.contains("journal show R1 --unknown"), "{hint}");
        assert!(
            hint.contains("--resume R1: it first asks the provider"),
            "{hint}"
        );
    }

    #[test]
    fn the_other_items_are_counted_in_plain_words() {
        let phrase = |succeeded, failed, skipped| {
            let mut e = ended(succeeded, failed, 0, ErrorKind::NotFound);
            e.summary.skipped = skipped;
            e.summary.total += skipped;
            let (s, _) = e.sentence().unwrap();
            let (_, rest) = s.split_once("(HTTP 404): no").unwrap();
            rest.split(" (run").next().unwrap().to_string()
        };
        assert_eq!(phrase(0, 1, 0), "");
        assert_eq!(phrase(2, 1, 0), "; the others succeeded");
        assert_eq!(phrase(0, 2, 0), "; 1 other failed too");
        assert_eq!(phrase(0, 3, 0), "; 2 others failed too");
        assert_eq!(phrase(4, 2, 0), "; 1 other failed too, the rest succeeded");
        assert_eq!(phrase(2, 1, 3), "; 2 succeeded");
        assert_eq!(phrase(2, 3, 3), "; 2 others failed too, 2 succeeded");
    }
}
