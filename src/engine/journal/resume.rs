//! What `--resume` sends again: each item's latest state across the chain of runs,
//! kept as 16-byte fingerprints so resuming a million-item run costs megabytes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use md5::{Digest, Md5};

use super::read::{Chain, State};
use crate::engine::reconcile::Settled;
use crate::error::{Error, ErrorKind, ItemError, Result};
pub use crate::input::Decision as Plan;
use crate::input::Passed;

/// What `--resume` makes of a request: send it whole, or not at all, with what
/// becomes of its items.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Send it.
    Send,
    /// Send nothing of it: its items, each skipped, held back, or (see
    /// [`Resume::admit_unit`]) entangled.
    Withheld {
        /// Items passed over (skipped or held back), in the request's order.
        passed: Vec<Passed>,
        /// Items to send that share the request with done or unknown ones.
        entangled: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Succeeded,
    Unknown,
    Other,
}

/// What `--resume RUN_ID` knows of a chain of runs: which items succeeded and which
/// are unknown, keyed by a 16-byte fingerprint of each ID (as the input reader
/// deduplicates), so resuming a million-item run costs megabytes.
///
/// Any run of a chain may be named: the whole chain is read, each item's latest
/// state deciding, and the new run joins the chain (its lines carry `resumes` =
/// [`Resume::root`]), so a run can be resumed again and again until every item is done.
#[derive(Debug)]
pub struct Resume {
    run_id: String,
    root: String,
    provider: String,
    operation: String,
    /// The profile the chain's first run used: the account it changed.
    profile: String,
    /// The digest of the plan the chain's first run applied, if it applied one.
    plan: Option<String>,
    seen: HashMap<u128, Seen>,
    idempotent: OnceLock<bool>,
    retry_unknown: bool,
    /// Unknown items read back from the provider before sending, for the new run's
    /// journal lines.
    reconciled: Vec<(String, Settled)>,
}

/// The 16 bytes that stand for an ID in memory.
pub(super) fn fingerprint(id: &str) -> u128 {
    let digest = Md5::digest(id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest);
    u128::from_le_bytes(bytes)
}

impl Resume {
    /// Reads the chain of run `run_id` from the journal at `path`. With
    /// `retry_unknown`, unknown items of a non-idempotent operation are sent again
    /// (the operator checked them). A run the journal does not hold is a usage error.
    pub fn load(path: &Path, run_id: &str, retry_unknown: bool) -> Result<Resume> {
        let Some(chain) = Chain::find(path, run_id)? else {
            return Err(Error::usage(format!(
                "--resume {run_id}: the journal {} has no run `{run_id}`",
                path.display()
            ))
            .hint("`certctl journal list` shows the recorded runs (with --sandbox, the sandbox's runs)"));
        };
        let (provider, operation, profile) = match chain.first() {
            Some(r) => (r.provider.clone(), r.operation.clone(), r.profile.clone()),
            None => (String::new(), String::new(), String::new()),
        };
        let mut seen = HashMap::new();
        let mut plan = None;
        chain.replay(path, false, |e| {
            if e.run_id == chain.root && plan.is_none() {
                plan.clone_from(&e.plan);
            }
            for id in &e.ids {
                let key = fingerprint(id);
                let prev = seen.get(&key).map(|s| match s {
                    Seen::Succeeded => State::Succeeded,
                    Seen::Unknown => State::Unknown,
                    Seen::Other => State::Failed,
                });
                let state = match State::after(prev, e) {
                    Some(State::Succeeded) => Seen::Succeeded,
                    Some(State::Unknown) => Seen::Unknown,
                    _ => Seen::Other,
                };
                seen.insert(key, state);
            }
        })?;
        Ok(Resume {
            run_id: run_id.to_string(),
            root: chain.root,
            provider,
            operation,
            profile,
            plan,
            seen,
            idempotent: OnceLock::new(),
            retry_unknown,
            reconciled: Vec::new(),
        })
    }

    /// The provider and operation of the chain, as its first run recorded them.
    pub fn operation(&self) -> (&str, &str) {
        (&self.provider, &self.operation)
    }

    /// Whether any item of the chain is unknown.
    pub fn has_unknown(&self) -> bool {
        self.seen.values().any(|s| *s == Seen::Unknown)
    }

    /// Takes what reading the provider back showed of unknown items: applied ones
    /// are then skipped as done, not-applied ones sent again, the others held as
    /// before. The settled ones are kept for the new run's journal lines.
    pub fn settle(&mut self, items: Vec<(String, Settled)>) {
        let mut kept = Vec::new();
        for (id, state) in items {
            let seen = match state {
                Settled::Applied(_) => Seen::Succeeded,
                Settled::NotApplied { .. } => Seen::Other,
                Settled::Unknown(_) => continue,
            };
            self.seen.insert(fingerprint(&id), seen);
            kept.push((id, state));
        }
        self.reconciled.extend(kept);
    }

    /// The items settled by [`Resume::settle`], for the journal.
    pub fn reconciled(&self) -> &[(String, Settled)] {
        &self.reconciled
    }

    /// The run named with `--resume`.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The first run of the chain, which the new run's lines name in `resumes`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Checks the operation is the one the chain ran and learns whether it may be
    /// sent twice; another provider or operation is a usage error.
    pub fn attach(&self, provider: &str, operation: &str, idempotent: bool) -> Result<()> {
        if provider != self.provider || operation != self.operation {
            return Err(Error::usage(format!(
                "--resume {}: that run was {} {}, not {provider} {operation}; --resume only continues the same operation",
                self.run_id, self.provider, self.operation
            )));
        }
        let _ = self.idempotent.set(idempotent);
        Ok(())
    }

    /// Checks that the run continues against the account the chain changed: the same
    /// IDs under another profile are another account's items, which the chain's
    /// record says nothing about.
    pub fn check_profile(&self, profile: &str) -> Result<()> {
        if profile == self.profile {
            return Ok(());
        }
        Err(Error::usage(format!(
            "--resume {}: that run used the profile `{}`, not `{profile}`; --resume only continues a run against the same account",
            self.run_id, self.profile
        ))
        .hint(format!("add -p {} to continue it", self.profile)))
    }

    /// Checks that a plan being applied with `--resume` is the plan the chain
    /// applied: continuing another plan's run would skip and resend by the wrong list.
    pub fn check_plan(&self, digest: &str) -> Result<()> {
        if self.plan.as_deref() == Some(digest) {
            return Ok(());
        }
        let what = match &self.plan {
            Some(other) => format!("applied the plan {other}"),
            None => "did not apply a plan".to_string(),
        };
        Err(Error::usage(format!(
            "--resume {}: that run {what}, not this plan {digest}; --resume only continues the same plan",
            self.run_id
        )))
    }

    /// What to do with `id`. Before [`Resume::attach`], an unknown item is sent
    /// (the engine checks it again per request once it knows the operation).
    pub fn plan(&self, id: &str) -> Plan {
        match self.seen.get(&fingerprint(id)) {
            Some(Seen::Succeeded) => Plan::Skip,
            Some(Seen::Unknown) if self.idempotent.get() == Some(&false) && !self.retry_unknown => {
                Plan::Hold
            }
            _ => Plan::Send,
        }
    }

    /// Whether `id` succeeded earlier in the chain (it will not be sent).
    pub fn is_settled(&self, id: &str) -> bool {
        self.plan(id) == Plan::Skip
    }

    /// Whether a request over `ids` is sent. A request cannot be split (a plan's
    /// batches are fixed): when some of its items need sending and others are done
    /// or unknown, it goes whole only if the operation is safe to send twice;
    /// otherwise nothing of it is sent, its items to send are entangled (reported
    /// failed: make a request for them alone) and the others skipped or held.
    pub fn admit_unit(&self, ids: &[String]) -> Admission {
        let plans: Vec<Plan> = ids.iter().map(|id| self.plan(id)).collect();
        let to_send = plans.iter().filter(|p| **p == Plan::Send).count();
        if to_send == plans.len() || (to_send > 0 && self.idempotent.get() != Some(&false)) {
            return Admission::Send;
        }
        let (mut passed, mut entangled) = (Vec::new(), Vec::new());
        for (id, plan) in ids.iter().zip(plans) {
            match plan {
                Plan::Send => entangled.push(id.clone()),
                Plan::Skip => passed.push(Passed::Skipped(id.clone())),
                Plan::Hold => passed.push(Passed::Held(id.clone())),
            }
        }
        Admission::Withheld { passed, entangled }
    }

    /// Why an item that shares its request with done or unknown ones was not sent
    /// (see [`Resume::admit_unit`]).
    pub fn entangled_error(&self) -> ItemError {
        ItemError::new(
            ErrorKind::Refused,
            "not sent: its request also carries items that succeeded or whose outcome is unknown, and this operation is not safe to send twice; send it on its own (a new plan, or the operation with this ID)",
        )
    }

    /// Why a held-back item stays unknown.
    pub fn held_error(&self) -> ItemError {
        ItemError::new(
            ErrorKind::Transient,
            format!(
                "not sent: its outcome is unknown since chain {} (the change may have been applied) and this operation is not safe to send twice; check it at the provider, then resume with --retry-unknown to send it",
                self.root
            ),
        )
    }
}

impl crate::input::Skip for Resume {
    fn settled(&self, id: &str) -> bool {
        self.is_settled(id)
    }

    fn decide(&self, id: &str) -> Plan {
        self.plan(id)
    }
}
