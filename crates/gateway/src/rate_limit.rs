//! Rate-limit state of a caller and the `RateLimit-*` headers that report
//! it.

use cloudvelous_storage::RateDecision;
use http::{HeaderMap, HeaderName, HeaderValue};

/// Length of the rolling window in which at most the limit of requests is
/// admitted, in milliseconds.
pub const WINDOW_MS: i64 = 60_000;

/// `RateLimit-Limit`: the number of requests admitted per window.
pub const RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
/// `RateLimit-Remaining`: the requests the caller may still send in the
/// current window.
pub const RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
/// `RateLimit-Reset`: seconds until the oldest admission in the window ages
/// out.
pub const RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// A caller's budget after a rate-limit check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitState {
    /// Requests admitted per window.
    pub limit: u32,
    /// Requests the caller may still send in the window: the limit minus
    /// the admissions in the window, this request included when admitted.
    pub remaining: u32,
    /// Seconds until the oldest admission in the window ages out, rounded
    /// up and at least 1, or 0 when the window is empty.
    pub reset_seconds: u64,
}

impl RateLimitState {
    /// Computes the state that `decision` leaves for a caller with `limit`,
    /// at `now_ms` in Unix milliseconds.
    ///
    /// NOTE: after the limit is lowered, a window can hold more admissions
    /// than the new limit. A slot then frees only when several of them have
    /// aged out, but the reset still counts down to the oldest one.
    pub fn from_decision(limit: u32, decision: &RateDecision, now_ms: i64) -> RateLimitState {
        RateLimitState {
            limit,
            remaining: limit.saturating_sub(decision.count_in_window),
            reset_seconds: reset_seconds(decision.oldest_at_ms, now_ms),
        }
    }

    /// Sets the three `RateLimit-*` headers, replacing any earlier values.
    pub fn apply_to(&self, headers: &mut HeaderMap) {
        headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from(self.limit));
        headers.insert(RATE_LIMIT_REMAINING, HeaderValue::from(self.remaining));
        headers.insert(RATE_LIMIT_RESET, HeaderValue::from(self.reset_seconds));
    }
}

/// Returns the whole seconds, rounded up, until the admission at
/// `oldest_at_ms` leaves the window, or 0 when the window is empty.
///
/// The result is at least 1 for a non-empty window and at most the window
/// length, which also bounds it when the oldest admission was recorded by a
/// clock ahead of `now_ms`.
pub fn reset_seconds(oldest_at_ms: Option<i64>, now_ms: i64) -> u64 {
    let Some(oldest_at_ms) = oldest_at_ms else {
        return 0;
    };
    let until_reset_ms = oldest_at_ms
        .saturating_add(WINDOW_MS)
        .saturating_sub(now_ms)
        .clamp(1, WINDOW_MS);
    // The clamp keeps the value in 1..=WINDOW_MS, so it is positive.
    u64::try_from(until_reset_ms).map_or(1, |milliseconds| milliseconds.div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: i64 = 1_760_783_400_000;

    fn decision(admitted: bool, count_in_window: u32, oldest_at_ms: Option<i64>) -> RateDecision {
        RateDecision {
            admitted,
            count_in_window,
            oldest_at_ms,
        }
    }

    #[test]
    fn empty_window_resets_in_zero_seconds() {
        assert_eq!(reset_seconds(None, NOW_MS), 0);
    }

    #[test]
    fn admission_now_resets_in_full_window() {
        assert_eq!(reset_seconds(Some(NOW_MS), NOW_MS), 60);
    }

    #[test]
    fn reset_rounds_up_to_whole_seconds() {
        assert_eq!(reset_seconds(Some(NOW_MS - 100), NOW_MS), 60);
        assert_eq!(reset_seconds(Some(NOW_MS - 1_000), NOW_MS), 59);
        assert_eq!(reset_seconds(Some(NOW_MS - 1_001), NOW_MS), 59);
        assert_eq!(reset_seconds(Some(NOW_MS - 58_999), NOW_MS), 2);
        assert_eq!(reset_seconds(Some(NOW_MS - 59_000), NOW_MS), 1);
    }

    #[test]
    fn reset_is_at_least_one_second() {
        assert_eq!(reset_seconds(Some(NOW_MS - 59_999), NOW_MS), 1);
        assert_eq!(reset_seconds(Some(NOW_MS - WINDOW_MS), NOW_MS), 1);
        assert_eq!(reset_seconds(Some(NOW_MS - 3_600_000), NOW_MS), 1);
    }

    #[test]
    fn reset_with_future_oldest_is_capped() {
        assert_eq!(reset_seconds(Some(NOW_MS + 30_000), NOW_MS), 60);
    }

    #[test]
    fn reset_survives_extreme_times() {
        assert_eq!(reset_seconds(Some(i64::MAX), i64::MIN), 60);
        assert_eq!(reset_seconds(Some(i64::MIN), i64::MAX), 1);
    }

    #[test]
    fn admitted_request_counts_against_remaining() {
        let state = RateLimitState::from_decision(100, &decision(true, 1, Some(NOW_MS)), NOW_MS);
        assert_eq!(
            state,
            RateLimitState {
                limit: 100,
                remaining: 99,
                reset_seconds: 60,
            }
        );
    }

    #[test]
    fn last_admitted_request_leaves_nothing() {
        let state =
            RateLimitState::from_decision(20, &decision(true, 20, Some(NOW_MS - 12_500)), NOW_MS);
        assert_eq!(state.remaining, 0);
        assert_eq!(state.reset_seconds, 48);
    }

    #[test]
    fn rejection_above_lowered_limit_leaves_nothing() {
        let state =
            RateLimitState::from_decision(10, &decision(false, 25, Some(NOW_MS - 40_000)), NOW_MS);
        assert_eq!(state.remaining, 0);
        assert_eq!(state.reset_seconds, 20);
    }

    #[test]
    fn headers_carry_state() {
        let state = RateLimitState {
            limit: 100,
            remaining: 42,
            reset_seconds: 17,
        };
        let mut headers = HeaderMap::new();
        headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from_static("1"));
        state.apply_to(&mut headers);

        assert_eq!(headers.get("RateLimit-Limit").unwrap(), "100");
        assert_eq!(headers.get("RateLimit-Remaining").unwrap(), "42");
        assert_eq!(headers.get("RateLimit-Reset").unwrap(), "17");
        assert_eq!(headers.get_all("ratelimit-limit").iter().count(), 1);
    }
}
