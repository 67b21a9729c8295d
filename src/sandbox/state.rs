//! The emulator's whole mutable state behind one lock: each provider's data (seeded
//! by its own module), the fault PRNG, the rate windows and the `/_sandbox/stats`
//! counters.
//!
//! One lock keeps every request's effects atomic and the fault sequence in arrival
//! order; handlers are synchronous and short, so contention is no concern.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use super::api::{Call, Emulation, Resp};
use super::faults::{Fault, Faults, Limiter, Rng};
use super::stats::Stats;
use crate::registry::{PROVIDERS, ProviderId};

/// Everything that changes while the emulator runs.
pub(super) struct World {
    rng: Rng,
    limiters: HashMap<ProviderId, Limiter>,
    pub(super) stats: Stats,
    /// Each provider's emulation, indexed like [`PROVIDERS`].
    apis: Vec<Box<dyn Emulation>>,
}

impl World {
    /// A world of the emulations `apis` (indexed like [`PROVIDERS`]) with a fault
    /// sequence seeded by `seed`; `limits` is the window scale when `--limits` is on.
    pub(super) fn new(apis: Vec<Box<dyn Emulation>>, seed: u64, limits: Option<f64>) -> Self {
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
            apis,
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

    /// Answers a call to `provider` past faults and limits.
    pub(super) fn handle(&mut self, provider: ProviderId, call: &Call<'_>) -> Resp {
        self.apis[provider.index()].handle(call, &mut self.stats)
    }

    /// An error answer in `provider`'s documented shape.
    pub(super) fn error(&self, provider: ProviderId, status: StatusCode, message: &str) -> Resp {
        self.apis[provider.index()].error(status, message)
    }

    /// `provider`'s 429 answer.
    pub(super) fn too_many(&self, provider: ProviderId, retry_after_secs: u64) -> Resp {
        self.apis[provider.index()].too_many(retry_after_secs)
    }
}
