//! Misbehaviour on purpose: the `--faults` spec and its draws, the seeded PRNG that
//! makes them reproducible, and the sliding rate windows of `--limits`.
//!
//! Nothing here knows HTTP; the pipeline in `mod.rs` turns a drawn `Fault` or a full
//! window into the provider's answer.

use std::collections::VecDeque;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Probabilities of each injected failure, parsed from a spec such as
/// `429=0.1,503=0.05,500=0.02,reset=0.02,slow=0.05:3s,reset-after=0.05`. The default
/// injects nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    too_many: f64,
    unavailable: f64,
    internal: f64,
    reset: f64,
    slow: f64,
    slow_delay: Duration,
    reset_after: f64,
}

/// Why a `--faults` spec was refused, as one sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FaultsError(String);

impl FromStr for Faults {
    type Err = FaultsError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut faults = Faults::default();
        let mut seen = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let err = |why: &str| FaultsError(format!("invalid fault `{part}`: {why}."));
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| err("expected NAME=PROBABILITY, as in 503=0.05"))?;
            let name = name.trim();
            if seen.contains(&name) {
                return Err(err("this fault is given twice"));
            }
            seen.push(name);
            let (probability, delay) = match value.split_once(':') {
                Some((p, d)) => (p, Some(d.trim())),
                None => (value, None),
            };
            let probability: f64 = probability
                .trim()
                .parse()
                .ok()
                .filter(|p: &f64| (0.0..=1.0).contains(p))
                .ok_or_else(|| err("the probability must be a number from 0 to 1"))?;
            if delay.is_some() && name != "slow" {
                return Err(err("only `slow` takes a delay"));
            }
            let slot = match name {
                "429" => &mut faults.too_many,
                "503" => &mut faults.unavailable,
                "500" => &mut faults.internal,
                "reset" => &mut faults.reset,
                "reset-after" => &mut faults.reset_after,
                "slow" => {
                    let delay =
                        delay.ok_or_else(|| err("`slow` needs a delay, as in slow=0.05:3s"))?;
                    faults.slow_delay = humantime::parse_duration(delay)
                        .map_err(|_| err("the delay must be a duration such as 500ms or 3s"))?;
                    &mut faults.slow
                }
                _ => {
                    return Err(err(
                        "known faults are 429, 503, 500, reset, slow and reset-after",
                    ));
                }
            };
            *slot = probability;
        }
        if faults.total() > 1.0 + 1e-9 {
            return Err(FaultsError(format!(
                "invalid fault spec `{spec}`: the probabilities add up to more than 1."
            )));
        }
        Ok(faults)
    }
}

/// One injected failure for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// 429 in the provider's shape.
    TooMany,
    /// 503 in the provider's shape.
    Unavailable,
    /// 500 in the provider's shape.
    Internal,
    /// Close the connection before handling the request.
    Reset,
    /// Handle the request, then wait this long before answering.
    Slow(Duration),
    /// Handle a state-changing request, then close the connection with no answer.
    ResetAfter,
}

impl Faults {
    fn total(&self) -> f64 {
        self.too_many + self.unavailable + self.internal + self.reset + self.slow + self.reset_after
    }

    /// Draw this request's fault: exactly one PRNG step per request whatever the
    /// outcome, so a seed fixes the whole sequence. `reset-after` spares requests
    /// that change nothing (`mutating == false`).
    pub(super) fn draw(&self, rng: &mut Rng, mutating: bool) -> Option<Fault> {
        let x = rng.next_f64();
        let table = [
            (self.too_many, Fault::TooMany),
            (self.unavailable, Fault::Unavailable),
            (self.internal, Fault::Internal),
            (self.reset, Fault::Reset),
            (self.slow, Fault::Slow(self.slow_delay)),
            (self.reset_after, Fault::ResetAfter),
        ];
        let mut edge = 0.0;
        for (probability, fault) in table {
            edge += probability;
            if x < edge {
                return (fault != Fault::ResetAfter || mutating).then_some(fault);
            }
        }
        None
    }
}

/// splitmix64: tiny, seedable, and good enough to pick faults.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A provider's set of sliding windows (at most `max` requests in any `period`).
#[derive(Debug)]
pub(super) struct Limiter {
    windows: Vec<(usize, Duration, VecDeque<Instant>)>,
}

impl Limiter {
    /// The windows of a provider's budget, every period multiplied by `scale`.
    pub(super) fn new(budget: &[crate::registry::Window], scale: f64) -> Self {
        let windows = budget
            .iter()
            .map(|w| (w.limit as usize, w.period.mul_f64(scale), VecDeque::new()))
            .collect();
        Limiter { windows }
    }

    /// Count a request at `now`, or refuse it with the time until every full window
    /// has room again. A refused request is not counted.
    pub(super) fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        let mut wait = Duration::ZERO;
        for (max, period, hits) in &mut self.windows {
            while hits
                .front()
                .is_some_and(|&t| now.duration_since(t) >= *period)
            {
                hits.pop_front();
            }
            if hits.len() >= *max
                && let Some(&oldest) = hits.front()
            {
                wait = wait.max(*period - now.duration_since(oldest));
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for (_, _, hits) in &mut self.windows {
            hits.push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example() {
        let faults: Faults = "429=0.1,503=0.05,500=0.02,reset=0.02,slow=0.05:3s,reset-after=0.05"
            .parse()
            .unwrap();
        assert_eq!(faults.too_many, 0.1);
        assert_eq!(faults.slow_delay, Duration::from_secs(3));
        assert_eq!(faults.reset_after, 0.05);
        assert_eq!("".parse::<Faults>().unwrap(), Faults::default());
    }

    #[test]
    fn refuses_bad_specs_with_a_sentence() {
        for bad in [
            "404=0.1",
            "429",
            "429=2",
            "slow=0.1",
            "503=0.1:3s",
            "429=0.6,503=0.6",
            "500=0.1,500=0.1",
        ] {
            let err = bad.parse::<Faults>().unwrap_err().to_string();
            assert!(err.ends_with('.'), "{bad}: {err}");
        }
    }

    #[test]
    fn reset_after_spares_reads() {
        let faults: Faults = "reset-after=1".parse().unwrap();
        let mut rng = Rng::new(1);
        assert_eq!(faults.draw(&mut rng, false), None);
        assert_eq!(faults.draw(&mut rng, true), Some(Fault::ResetAfter));
    }

    #[test]
    fn window_refuses_then_frees() {
        let mut limiter = Limiter::new(
            &[crate::registry::Window::new(2, Duration::from_secs(1))],
            1.0,
        );
        let t0 = Instant::now();
        assert!(limiter.admit(t0).is_ok());
        assert!(limiter.admit(t0).is_ok());
        let wait = limiter.admit(t0 + Duration::from_millis(400)).unwrap_err();
        assert_eq!(wait, Duration::from_millis(600));
        assert!(limiter.admit(t0 + Duration::from_secs(1)).is_ok());
    }
}
