//! The emulator's whole mutable state behind one lock: each provider's data (seeded
//! by its own module), the fault PRNG, the rate windows and the `/_sandbox/stats`
//! counters.
//!
//! One lock keeps every request's effects atomic and the fault sequence in arrival
//! order; handlers are synchronous and short, so contention is no concern.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::faults::{Fault, Faults, Limiter, Rng};
use super::{bcdiploma, digicert, origin, sertifika};
use crate::registry::{PROVIDERS, ProviderId};

/// Everything that changes while the emulator runs.
pub(super) struct World {
    rng: Rng,
    limiters: HashMap<ProviderId, Limiter>,
    pub(super) stats: Stats,
    pub(super) bcdiploma: bcdiploma::State,
    pub(super) origin: origin::State,
    pub(super) digicert: digicert::State,
    pub(super) sertifika: sertifika::State,
}

impl World {
    /// A freshly seeded world; `limits` is the window scale when `--limits` is on.
    pub(super) fn new(seed: u64, limits: Option<f64>) -> Self {
        // The documented windows of the registry: what certctl paces to is what the
        // emulator enforces.
        let limiters = limits
            .map(|scale| {
                PROVIDERS
                    .iter()
                    .filter(|p| !p.budget.is_empty())
                    .map(|p| (p.id, Limiter::new(p.budget, scale)))
                    .collect()
            })
            .unwrap_or_default();
        World {
            rng: Rng::new(seed),
            limiters,
            stats: Stats::default(),
            bcdiploma: bcdiploma::State::seed(),
            origin: origin::State::seed(),
            digicert: digicert::State::seed(),
            sertifika: sertifika::State::seed(),
        }
    }

    pub(super) fn draw(&mut self, faults: &Faults, mutating: bool) -> Option<Fault> {
        faults.draw(&mut self.rng, mutating)
    }

    /// Pass the request through the provider's windows, if it has any.
    pub(super) fn admit(&mut self, provider: ProviderId, now: Instant) -> Result<(), Duration> {
        self.limiters
            .get_mut(&provider)
            .map_or(Ok(()), |l| l.admit(now))
    }
}

/// Counters behind `GET /_sandbox/stats`, so a test can prove what arrived and that
/// nothing was applied twice.
#[derive(Debug, Default)]
pub(super) struct Stats {
    requests: BTreeMap<String, u64>,
    changes: BTreeMap<String, u64>,
}

impl Stats {
    /// Count an arrived API request, keyed `METHOD /path` (no query).
    pub(super) fn request(&mut self, key: &str) {
        *self.requests.entry(key.to_owned()).or_default() += 1;
    }

    /// Count one real state transition of an item (`bcdiploma:KEY`,
    /// `digicert:order:1001`, ...). Re-applying a state an item already has is no
    /// change.
    pub(super) fn change(&mut self, item: String) {
        *self.changes.entry(item).or_default() += 1;
    }

    pub(super) fn to_json(&self) -> Value {
        json!({ "requests": self.requests, "changes": self.changes })
    }
}
