//! Which failures are retried, and how long to wait before the next try.
//!
//! Retrying is only safe when the request cannot have been applied twice: any
//! request whose connection never opened or that was refused with a 429 (the server
//! turns it away before processing it), and idempotent requests after a timeout or a
//! 502/503/504. A non-idempotent request (Sertifika issuing, the Origin delete, the
//! DigiCert revokes) that may have been processed is never sent again.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

/// The longest wait certctl accepts from a `Retry-After` header.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// What happened on one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The connection could not be opened: nothing reached the server.
    ConnectFailed,
    /// The server's TLS certificate failed verification: a configuration problem.
    Tls,
    /// The request may have reached the server (timeout, reset mid-way).
    Lost,
    /// The server answered with this status.
    Status(u16),
}

/// Whether another try is allowed after `attempt`.
pub fn should_retry(attempt: Attempt, idempotent: bool) -> bool {
    match attempt {
        Attempt::ConnectFailed => true,
        Attempt::Tls => false,
        Attempt::Lost => idempotent,
        // A 429 is a refusal before processing: nothing was applied, so even a
        // non-idempotent request may go again (DigiCert answers 429 with no
        // Retry-After and expects clients to back off and retry).
        Attempt::Status(429) => true,
        Attempt::Status(s) => idempotent && matches!(s, 502..=504),
    }
}

/// How long to wait before a retry, and what decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    /// The wait.
    pub wait: Duration,
    /// What decided it, as the notice of a long wait says: `Retry-After`,
    /// `Retry-After, capped` or `backoff`.
    pub source: &'static str,
}

/// The wait before try number `retry` (1 for the first retry): the server's
/// `Retry-After` when it gave one (capped at five minutes), otherwise exponential
/// backoff from `base` with up to 50% random jitter, so parallel workers spread out.
pub fn delay(retry: u32, base: Duration, retry_after: Option<&str>) -> Delay {
    if let Some(wait) = retry_after.and_then(parse_retry_after) {
        return Delay {
            wait: wait.min(MAX_RETRY_AFTER),
            source: if wait > MAX_RETRY_AFTER {
                "Retry-After, capped"
            } else {
                "Retry-After"
            },
        };
    }
    let exp = base.saturating_mul(1u32 << retry.saturating_sub(1).min(10));
    let capped = exp.min(Duration::from_secs(60));
    let jitter = capped.mul_f64(random_fraction() * 0.5);
    Delay {
        wait: capped + jitter,
        source: "backoff",
    }
}

/// Reads `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // A number of seconds too large for u64 is still "wait a long time": the cap.
        return Some(
            value
                .parse::<u64>()
                .map_or(MAX_RETRY_AFTER, Duration::from_secs),
        );
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A random number in [0, 1) from the standard library's randomly keyed hasher.
fn random_fraction() -> f64 {
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_failures_retry() {
        assert!(should_retry(Attempt::ConnectFailed, false));
        assert!(!should_retry(Attempt::Lost, false));
        assert!(should_retry(Attempt::Lost, true));
        for s in [502, 503, 504] {
            assert!(should_retry(Attempt::Status(s), true), "{s}");
            assert!(!should_retry(Attempt::Status(s), false), "{s}");
        }
        for s in [200, 400, 401, 404, 500] {
            assert!(!should_retry(Attempt::Status(s), true), "{s}");
        }
    }

    #[test]
    fn a_429_is_retried_even_when_not_idempotent() {
        assert!(should_retry(Attempt::Status(429), true));
        assert!(should_retry(Attempt::Status(429), false));
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let base = Duration::from_millis(100);
        let wait = |after: &str| delay(1, base, Some(after)).wait;
        assert_eq!(wait("2"), Duration::from_secs(2));
        assert_eq!(delay(1, base, Some("2")).source, "Retry-After");
        assert_eq!(wait("100000"), MAX_RETRY_AFTER);
        assert_eq!(wait("300"), MAX_RETRY_AFTER);
        assert_eq!(delay(1, base, Some("300")).source, "Retry-After");
        assert_eq!(wait("301"), MAX_RETRY_AFTER);
        assert_eq!(delay(1, base, Some("301")).source, "Retry-After, capped");
        assert_eq!(wait("99999999999999999999999999"), MAX_RETRY_AFTER);
        let far = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(86_400));
        assert_eq!(wait(&far), MAX_RETRY_AFTER);
        let date = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(10));
        assert_eq!(wait(&date), Duration::ZERO);
    }

    #[test]
    fn backoff_grows_with_bounded_jitter() {
        let base = Duration::from_millis(100);
        for retry in 1..5u32 {
            let d = delay(retry, base, None).wait;
            let floor = base * (1 << (retry - 1));
            assert!(d >= floor && d <= floor.mul_f64(1.5), "{retry}: {d:?}");
        }
        assert!(delay(1, base, Some("soon")).wait >= base);
        assert_eq!(delay(1, base, Some("soon")).source, "backoff");
    }
}
