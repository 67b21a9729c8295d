//! `--dry-run` and `--plan-out`: the requests of an operation printed (and with a
//! plan recorder, written to a plan file), nothing sent.

use super::journal::Admission;
use super::{Ended, Engine, Operation, Step, plan};
use crate::error::{Error, Result, io_error};
use crate::input::Passed;
use crate::output::DryRun;
use crate::report::Summary;

impl Engine {
    /// `--plan-out FILE`: a dry run of `op` that also writes its requests to the
    /// plan file `out` names, for review and a later `certctl apply`.
    pub fn plan(&self, op: Operation, out: plan::Out) -> Result<Ended> {
        if let Some(resume) = &self.resume {
            resume.attach(op.spec.provider.name(), op.spec.name, op.spec.idempotent)?;
        }
        let info = op.spec.provider.info();
        let ended = Ended::new(info.name, info.secret_key, op.spec.name);
        self.dry_run(op, ended, Some(plan::Recorder::new(out)))
    }

    /// Prints the requests of `op` without sending them; with a `recorder`, also
    /// writes them as a plan once they are all known (and only if there are any).
    pub(super) fn dry_run(
        &self,
        op: Operation,
        mut ended: Ended,
        mut recorder: Option<plan::Recorder>,
    ) -> Result<Ended> {
        let mut printer =
            DryRun::start(self.format, op.spec.provider.name(), op.spec.name).map_err(io_error)?;
        let mut count = 0u64;
        let mut notes = op.notes;
        let (mut skipped, mut held, mut entangled) = (0u64, 0u64, 0u64);
        for step in op.units {
            let (passed, also) = match step? {
                Step::Passed(p) => (vec![p], Vec::new()),
                Step::Send(unit) => match self.resume.as_ref().map(|r| r.admit_unit(&unit.ids)) {
                    None | Some(Admission::Send) => {
                        count += unit.ids.len() as u64;
                        printer.request(&unit.request).map_err(io_error)?;
                        if let Some(recorder) = recorder.as_mut() {
                            recorder.record(&unit)?;
                        }
                        continue;
                    }
                    Some(Admission::Withheld { passed, entangled }) => (passed, entangled),
                },
            };
            for p in passed {
                match p {
                    Passed::Skipped(_) => skipped += 1,
                    Passed::Held(_) => held += 1,
                }
            }
            entangled += also.len() as u64;
        }
        if let Some(recorder) = recorder.filter(|_| count > 0) {
            let path = recorder.path().display().to_string();
            let digest = recorder.write(op.spec.provider.name(), op.spec.name)?;
            if op.wait.is_some() {
                notes.push(format!("a plan does not keep --wait: `certctl apply` reports each batch's pooling callback, to follow with `{}`", op.spec.follow.unwrap_or("certctl")));
            }
            notes.push(format!(
                "plan written to {path} ({count} item(s), digest {digest}): review it, then send exactly these requests with `certctl apply {path}`"
            ));
        }
        if let Some(resume) = &self.resume {
            notes.push(format!(
                "--resume {}: {skipped} item(s) skipped (they succeeded earlier in its chain), {held} held back (their outcome is unknown and this operation is not safe to send twice; --retry-unknown sends them), {entangled} not sent because their request also carries done or unknown items",
                resume.run_id(),
            ));
            count += skipped + held + entangled;
        }
        printer.finish(&notes).map_err(io_error)?;
        if count == 0 {
            return Err(Error::usage("no IDs were given"));
        }
        ended.dry_run = true;
        ended.summary = Summary {
            total: count,
            ..Summary::default()
        };
        Ok(ended)
    }
}
