//! Pacing: keep every request inside the provider's documented windows, or space
//! requests evenly at `--rate N`.
//!
//! A bulk run that provokes 429s is slower and noisier than one that never does, so
//! the default is to stay inside each window the provider documents (a sliding log
//! of send times, one check per window). `--concurrency` is bounded elsewhere; this
//! only decides *when* the next request may start.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

pub use crate::registry::Window;

/// How requests to one provider are paced.
#[derive(Debug, Clone, PartialEq)]
pub enum Pace {
    /// No pacing: only `--concurrency` bounds the run.
    Unlimited,
    /// One request every this long (`--rate N`).
    Even(Duration),
    /// Stay inside every window at once (the documented budgets).
    Windows(Vec<Window>),
}

impl Pace {
    /// `--rate N`: N requests per second, evenly spaced; 0 is unlimited.
    pub fn per_second(rate: f64) -> Pace {
        if rate <= 0.0 {
            Pace::Unlimited
        } else {
            Pace::Even(Duration::from_secs_f64(1.0 / rate))
        }
    }

    /// The same pace with every window's period multiplied by `scale`: the
    /// sandbox's scaled-down windows (`CERTCTL_SANDBOX_LIMIT_SCALE`).
    pub fn scaled(self, scale: f64) -> Pace {
        match self {
            Pace::Windows(windows) => Pace::Windows(
                windows
                    .into_iter()
                    .map(|w| Window::new(w.limit, w.period.mul_f64(scale)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// The least time `requests` requests take at this pace: what a user waits for
    /// when pacing, not the network, bounds a bulk run.
    pub fn least_time(&self, requests: u64) -> Duration {
        let gaps = requests.saturating_sub(1);
        match self {
            Pace::Unlimited => Duration::ZERO,
            Pace::Even(interval) => {
                interval.saturating_mul(u32::try_from(gaps).unwrap_or(u32::MAX))
            }
            Pace::Windows(windows) => windows
                .iter()
                .map(|w| {
                    let full = gaps / u64::from(w.limit.max(1));
                    w.period
                        .saturating_mul(u32::try_from(full).unwrap_or(u32::MAX))
                })
                .max()
                .unwrap_or(Duration::ZERO),
        }
    }

    /// The documented budget; none means unlimited.
    pub fn windows(windows: &[Window]) -> Pace {
        if windows.is_empty() {
            Pace::Unlimited
        } else {
            Pace::Windows(windows.to_vec())
        }
    }
}

/// Hands out send slots according to a [`Pace`]; shared by every task of a run.
#[derive(Debug)]
pub struct Pacer {
    pace: Pace,
    state: Mutex<State>,
    /// The longest a released request took to leave, in microseconds: a request not
    /// safe to send twice has its journal line synced between the two, and every
    /// window is widened by this much so that the server, which sees the requests
    /// that much later, still finds each window within its limit.
    late_us: AtomicU64,
}

#[derive(Debug)]
struct State {
    next: Option<Instant>,
    sent: VecDeque<Instant>,
}

impl Pacer {
    /// A pacer that starts with an empty history.
    pub fn new(pace: Pace) -> Self {
        Pacer {
            pace,
            state: Mutex::new(State {
                next: None,
                sent: VecDeque::new(),
            }),
            late_us: AtomicU64::new(0),
        }
    }

    /// Notes that a request released by [`Pacer::acquire`] left `by` later (its
    /// journal line was being synced meanwhile); capped at a second.
    pub fn left_late(&self, by: Duration) {
        let us = u64::try_from(by.min(Duration::from_secs(1)).as_micros()).unwrap_or(0);
        self.late_us.fetch_max(us, Ordering::Relaxed);
    }

    /// Waits until one more request may start, and counts it as started.
    pub async fn acquire(&self) {
        match &self.pace {
            Pace::Unlimited => {}
            Pace::Even(interval) => {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                let at = state.next.map_or(now, |n| n.max(now));
                state.next = Some(at + *interval);
                tokio::time::sleep_until(at).await;
            }
            Pace::Windows(windows) => {
                let mut state = self.state.lock().await;
                loop {
                    let now = Instant::now();
                    let late = Duration::from_micros(self.late_us.load(Ordering::Relaxed));
                    match earliest_start(&state.sent, windows, now, late) {
                        Some(at) if at > now => tokio::time::sleep_until(at).await,
                        _ => break,
                    }
                }
                let now = Instant::now();
                state.sent.push_back(now);
                let keep = windows.iter().map(|w| w.limit as usize).max().unwrap_or(0);
                while state.sent.len() > keep {
                    state.sent.pop_front();
                }
            }
        }
    }
}

/// A margin added to each window, because the server sees a request a little after
/// certctl counts it; without it a request sent exactly one period later could land
/// inside the server's window.
fn margin(period: Duration) -> Duration {
    period / 100 + Duration::from_millis(5)
}

/// When the next request may start without exceeding any window, given the start
/// times of earlier requests (oldest first) and how much later than its start a
/// request may leave (`late`). `None` when it may start now.
fn earliest_start(
    sent: &VecDeque<Instant>,
    windows: &[Window],
    now: Instant,
    late: Duration,
) -> Option<Instant> {
    let mut at: Option<Instant> = None;
    for w in windows {
        let limit = w.limit as usize;
        if limit == 0 || sent.len() < limit {
            continue;
        }
        // The request `limit` places back must have left the window.
        let blocker = sent[sent.len() - limit];
        let free = blocker + w.period + margin(w.period) + late;
        if free > now {
            at = Some(at.map_or(free, |a| a.max(free)));
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn least_time_follows_the_strictest_window() {
        let bcdiploma = Pace::Windows(vec![
            Window::new(100, Duration::from_secs(5)),
            Window::new(500, Duration::from_secs(60)),
        ]);
        assert_eq!(bcdiploma.least_time(100), Duration::ZERO);
        assert_eq!(bcdiploma.least_time(1000), Duration::from_secs(60));
        assert_eq!(
            Pace::per_second(10.0).least_time(11),
            Duration::from_secs(1)
        );
        assert_eq!(Pace::Unlimited.least_time(1_000_000), Duration::ZERO);
    }

    #[test]
    fn zero_rate_is_unlimited() {
        assert_eq!(Pace::per_second(0.0), Pace::Unlimited);
        assert_eq!(Pace::per_second(4.0), Pace::Even(ms(250)));
        assert_eq!(Pace::windows(&[]), Pace::Unlimited);
    }

    #[test]
    fn a_full_window_blocks_until_its_oldest_request_leaves() {
        let t0 = Instant::now();
        let windows = [Window::new(2, ms(1000))];
        let mut sent = VecDeque::new();
        let none = Duration::ZERO;
        assert_eq!(earliest_start(&sent, &windows, t0, none), None);
        sent.push_back(t0);
        assert_eq!(earliest_start(&sent, &windows, t0, none), None);
        sent.push_back(t0 + ms(100));
        let at = earliest_start(&sent, &windows, t0 + ms(200), none).unwrap();
        assert_eq!(at, t0 + ms(1000) + margin(ms(1000)));
        // Requests that leave up to 30 ms after their start widen the window so.
        let at = earliest_start(&sent, &windows, t0 + ms(200), ms(30)).unwrap();
        assert_eq!(at, t0 + ms(1030) + margin(ms(1000)));
    }

    #[test]
    fn the_strictest_window_wins() {
        let t0 = Instant::now();
        let windows = [Window::new(1, ms(100)), Window::new(3, ms(10_000))];
        let sent: VecDeque<_> = [t0, t0 + ms(200), t0 + ms(400)].into_iter().collect();
        let at = earliest_start(&sent, &windows, t0 + ms(450), Duration::ZERO).unwrap();
        assert_eq!(at, t0 + ms(10_000) + margin(ms(10_000)));
    }

    #[tokio::test(start_paused = true)]
    async fn even_pacing_spaces_requests() {
        let pacer = Pacer::new(Pace::per_second(10.0));
        let start = Instant::now();
        for _ in 0..5 {
            pacer.acquire().await;
        }
        assert_eq!(Instant::now() - start, ms(400));
    }

    /// The issue #9 goal in virtual time: 1,500 DigiCert requests stay inside both
    /// documented windows (100 per 5 s, 1,000 per 5 min) and take at most 5 % longer
    /// than the 320 s those windows allow at best (ten bursts of 100 five seconds
    /// apart, then five more from the moment the first request leaves the 5-minute
    /// window).
    #[tokio::test(start_paused = true)]
    async fn digicert_budget_paces_1500_requests_within_5_percent_of_the_fastest() {
        let budget = crate::registry::ProviderId::Digicert.info().budget;
        let pacer = Pacer::new(Pace::windows(budget));
        let start = Instant::now();
        let mut sent = Vec::with_capacity(1500);
        for _ in 0..1500 {
            pacer.acquire().await;
            sent.push(Instant::now() - start);
        }
        for w in budget {
            let n = w.limit as usize;
            for i in n..sent.len() {
                assert!(
                    sent[i] - sent[i - n] >= w.period,
                    "request {i} breaks the {w} window: {:?} after request {}",
                    sent[i] - sent[i - n],
                    i - n
                );
            }
        }
        let fastest = Duration::from_secs(320);
        let took = sent[1499];
        assert!(took >= fastest, "{took:?}");
        assert!(
            took.as_secs_f64() <= fastest.as_secs_f64() * 1.05,
            "{took:?} is more than 5 % over {fastest:?}"
        );
    }

    #[test]
    fn scaling_shrinks_only_window_periods() {
        let pace = Pace::windows(&[Window::new(100, Duration::from_secs(5))]).scaled(0.01);
        assert_eq!(pace, Pace::Windows(vec![Window::new(100, ms(50))]));
        assert_eq!(Pace::per_second(4.0).scaled(0.01), Pace::Even(ms(250)));
    }

    #[tokio::test(start_paused = true)]
    async fn windows_pace_a_burst() {
        let pacer = Pacer::new(Pace::windows(&[Window::new(3, ms(1000))]));
        let start = Instant::now();
        for _ in 0..7 {
            pacer.acquire().await;
        }
        let elapsed = Instant::now() - start;
        assert!(elapsed >= ms(2000) && elapsed < ms(2100), "{elapsed:?}");
    }
}
