//! The confirmation asked before an irreversible operation.

use std::io::{IsTerminal, Write};

use super::{Engine, Operation};
use crate::error::{Error, Result};

impl Engine {
    /// Asks before an irreversible operation; only `y` or `yes` goes on.
    ///
    /// The answer is read from standard input when it is a terminal. When it is not
    /// (IDs piped in with `--from -`) but someone watches stderr, it is read from the
    /// controlling terminal, `/dev/tty`, as git and rm do. Otherwise nobody can answer:
    /// a usage error naming `--yes`.
    pub(super) fn confirm(&self, op: &Operation) -> Result<()> {
        let what = format!(
            "{} {} on {} item(s) with profile `{}`",
            op.spec.provider.name(),
            op.spec.name,
            op.count
                .map_or_else(|| "an unknown number of".to_string(), |n| n.to_string()),
            self.profile
        );
        let mut terminal: Option<Box<dyn std::io::BufRead>> = if std::io::stdin().is_terminal() {
            Some(Box::new(std::io::stdin().lock()))
        } else if std::io::stderr().is_terminal() {
            std::fs::File::open("/dev/tty")
                .ok()
                .map(|tty| Box::new(std::io::BufReader::new(tty)) as Box<dyn std::io::BufRead>)
        } else {
            None
        };
        let Some(answers) = terminal.as_mut() else {
            return Err(Error::usage(format!("{what} is irreversible and needs confirmation, but standard input is not a terminal and no terminal is there to answer on"))
                .hint("run again with --yes to confirm, or --dry-run to see the requests first"));
        };
        let mut stderr = std::io::stderr().lock();
        let mut preview = op.preview.join(", ");
        if op.count.is_some_and(|n| n > op.preview.len()) {
            preview.push_str(", ...");
        }
        let plan = self
            .plan
            .as_ref()
            .map(|digest| format!(" from the plan {digest}"))
            .unwrap_or_default();
        let _ = write!(
            stderr,
            "About to run {what}{plan}: {preview}\nThis cannot be undone. Proceed? [y/N] "
        );
        let _ = stderr.flush();
        let mut answer = String::new();
        answers
            .read_line(&mut answer)
            .map_err(|e| Error::usage(format!("cannot read the answer: {e}")))?;
        match answer.trim().to_lowercase().as_str() {
            "y" | "yes" => Ok(()),
            _ => Err(Error::usage("not confirmed: nothing was sent")),
        }
    }
}
