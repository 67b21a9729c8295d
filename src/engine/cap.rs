//! `--max-items N`: an operation whose ID list holds more than N items is refused
//! before anything is sent, confirmed, journaled or planned.
//!
//! A list counted up front (arguments, a file, a plan) is judged by its count. A
//! list streamed from standard input is read to its end first: its units are held
//! (at most N items' worth, since more is a refusal) and the run goes on with them,
//! so nothing leaves before the whole list is known to fit.

use super::operation::{Operation, Step};
use crate::error::{Error, Result};

/// The limit and how the user set it, for the refusal's sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaxItems {
    /// At most this many items.
    pub limit: u64,
    /// Where it comes from, as the user wrote it (`--max-items 50`,
    /// `CERTCTL_MAX_ITEMS=50`, `max_items = 50 in the profile prod`).
    pub named: String,
}

impl MaxItems {
    /// The refusal of a target whose size cannot be counted (`--campaign`, `--all`).
    pub fn refuse_whole(&self, option: &str) -> Error {
        Error::usage(format!(
            "{option} cannot be counted beforehand, so {} refuses it: nothing was sent",
            self.named
        ))
        .hint(format!(
            "list the items instead (they are then counted), or run without {}",
            self.named
        ))
    }

    /// `op` if its ID list holds at most the limit; else the refusal, which says
    /// how many items it holds.
    pub fn check(&self, mut op: Operation) -> Result<Operation> {
        if let Some(count) = op.count {
            return match u64::try_from(count) {
                Ok(count) if count <= self.limit => Ok(op),
                _ => Err(self.refuse(&op, count as u64)),
            };
        }
        let mut held: Vec<Step> = Vec::new();
        let (mut count, mut requests) = (0u64, 0usize);
        for step in op.units.by_ref() {
            let step = step?;
            if let Step::Send(unit) = &step {
                count += unit.ids.len() as u64;
                requests += 1;
            }
            if count <= self.limit {
                held.push(step);
            }
        }
        if count > self.limit {
            return Err(self.refuse(&op, count));
        }
        op.count = usize::try_from(count).ok();
        op.requests = Some(requests);
        if op.preview.is_empty() {
            op.preview = held
                .iter()
                .filter_map(|step| match step {
                    Step::Send(unit) => Some(unit.ids.iter()),
                    Step::Passed(_) => None,
                })
                .flatten()
                .take(crate::input::PREVIEW)
                .cloned()
                .collect();
        }
        op.units = Box::new(held.into_iter().map(Ok));
        Ok(op)
    }

    fn refuse(&self, op: &Operation, count: u64) -> Error {
        Error::usage(format!(
            "{} {}: the ID list holds {count} items, more than {} allows: nothing was sent",
            op.spec.provider.name(),
            op.spec.name,
            self.named
        ))
        .hint("check what selected them; if all of them are meant, raise the limit")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Unit;
    use crate::engine::request::{Method, Request};
    use crate::registry::ProviderId;

    static SPEC: crate::engine::Spec = crate::engine::Spec {
        provider: ProviderId::Digicert,
        name: "orders.revoke",
        irreversible: true,
        idempotent: false,
        judge: |_, _, _| crate::engine::Verdict::All(Ok(None)),
        read_back: None,
        locate: |_| crate::engine::reconcile::Locator::default(),
        follow: None,
    };

    fn op(ids: &[&str], counted: bool) -> Operation {
        let units: Vec<Unit> = ids
            .iter()
            .map(|id| Unit {
                ids: vec![(*id).to_owned()],
                request: Request::new(Method::Put, format!("https://x/{id}")),
            })
            .collect();
        let count = counted.then_some(units.len());
        let account = crate::engine::Account {
            base: "https://x".into(),
            secret: crate::secret::Secret::new("k"),
        };
        let mut op = Operation::new(&SPEC, account, units.into_iter().map(|u| Ok(Step::Send(u))));
        op.count = count;
        op
    }

    fn limit(n: u64) -> MaxItems {
        MaxItems {
            limit: n,
            named: format!("--max-items {n}"),
        }
    }

    #[test]
    fn counted_lists_are_judged_by_their_count() {
        assert!(limit(2).check(op(&["1", "2"], true)).is_ok());
        let e = limit(1).check(op(&["1", "2"], true)).err().unwrap();
        assert_eq!(e.kind(), crate::error::ErrorKind::Usage);
        assert!(
            e.to_string()
                .contains("holds 2 items, more than --max-items 1"),
            "{e}"
        );
    }

    #[test]
    fn streamed_lists_are_read_whole_first() {
        let e = limit(2)
            .check(op(&["1", "2", "3", "4"], false))
            .err()
            .unwrap();
        assert!(e.to_string().contains("holds 4 items"), "{e}");
        let checked = limit(3).check(op(&["1", "2", "3"], false)).ok().unwrap();
        assert_eq!(checked.count, Some(3));
        assert_eq!(checked.preview, ["1", "2", "3"]);
        let ids: Vec<String> = checked
            .units
            .map(|u| u.ok().unwrap().unit().ids.concat())
            .collect();
        assert_eq!(ids, ["1", "2", "3"]);
    }
}
