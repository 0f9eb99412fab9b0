//! Spacing of webhook retries: exponential backoff with jitter.

use std::time::Duration;

/// How often and how far apart a failed delivery is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Maximum attempts per delivery, the first included.
    pub max_attempts: u32,
    /// Delay before the second attempt, before jitter.
    pub base_delay: Duration,
    /// Largest delay between two attempts, before jitter.
    pub max_delay: Duration,
}

/// A retry setting that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicyError(pub String);

impl std::fmt::Display for RetryPolicyError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for RetryPolicyError {}

impl RetryPolicy {
    /// Eight attempts, 10 seconds apart at first and doubling up to an hour:
    /// the last one about 21 minutes after the first, before jitter.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_secs(10),
        max_delay: Duration::from_secs(3_600),
    };

    /// Builds a policy from setting values: attempts from 1 to 100, and
    /// delays in milliseconds from 1 to one day with the base no larger
    /// than the maximum.
    pub fn new(
        max_attempts: u32,
        base_delay_ms: u64,
        max_delay_ms: u64,
    ) -> Result<RetryPolicy, RetryPolicyError> {
        const ONE_DAY_MS: u64 = 86_400_000;
        if !(1..=100).contains(&max_attempts) {
            return Err(RetryPolicyError(format!(
                "the attempt count {max_attempts} is outside 1 to 100"
            )));
        }
        for (name, value) in [("base", base_delay_ms), ("maximum", max_delay_ms)] {
            if !(1..=ONE_DAY_MS).contains(&value) {
                return Err(RetryPolicyError(format!(
                    "the {name} retry delay {value} ms is outside 1 ms to one day"
                )));
            }
        }
        if base_delay_ms > max_delay_ms {
            return Err(RetryPolicyError(format!(
                "the base retry delay {base_delay_ms} ms exceeds the maximum {max_delay_ms} ms"
            )));
        }
        Ok(RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(base_delay_ms),
            max_delay: Duration::from_millis(max_delay_ms),
        })
    }

    /// Checks whether a delivery with `attempts_made` failed attempts gets
    /// another.
    pub fn allows_retry(&self, attempts_made: u32) -> bool {
        attempts_made < self.max_attempts
    }

    /// Returns the delay after failed attempt number `attempt` (from 1).
    ///
    /// The ceiling is `base_delay × 2^(attempt − 1)`, capped at `max_delay`,
    /// and the delay is its upper half chosen by `random`: half the ceiling
    /// plus `random` times the other half. `random` must lie in `[0, 1)`.
    /// The jitter keeps deliveries that failed together, such as during a
    /// target's outage, from all retrying at the same moment.
    pub fn delay_after(&self, attempt: u32, random: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1_u32 << exponent)
            .min(self.max_delay);
        let half = ceiling / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(5, 1_000, 5_000).unwrap()
    }

    #[test]
    fn delays_double_up_to_maximum() {
        let ceilings: Vec<Duration> = (1..=5)
            .map(|attempt| policy().delay_after(attempt, 0.999_999))
            .map(|delay| Duration::from_millis(delay.as_millis().div_ceil(10) as u64 * 10))
            .collect();

        assert_eq!(
            ceilings,
            [1_000, 2_000, 4_000, 5_000, 5_000].map(Duration::from_millis)
        );
    }

    #[test]
    fn jitter_keeps_upper_half() {
        assert_eq!(policy().delay_after(2, 0.0), Duration::from_millis(1_000));
        assert_eq!(policy().delay_after(2, 0.5), Duration::from_millis(1_500));
    }

    #[test]
    fn large_attempt_numbers_stay_at_maximum() {
        assert_eq!(
            policy().delay_after(1_000, 0.0),
            Duration::from_millis(2_500)
        );
    }

    #[test]
    fn attempts_stop_at_maximum() {
        assert!(policy().allows_retry(4));
        assert!(!policy().allows_retry(5));
    }

    #[test]
    fn unusable_settings_are_rejected() {
        assert!(RetryPolicy::new(0, 1_000, 5_000).is_err());
        assert!(RetryPolicy::new(101, 1_000, 5_000).is_err());
        assert!(RetryPolicy::new(3, 0, 5_000).is_err());
        assert!(RetryPolicy::new(3, 6_000, 5_000).is_err());
        assert!(RetryPolicy::new(3, 1_000, 86_400_001).is_err());
    }

    #[test]
    fn default_policy_is_valid() {
        let default = RetryPolicy::DEFAULT;
        let built = RetryPolicy::new(
            default.max_attempts,
            default.base_delay.as_millis() as u64,
            default.max_delay.as_millis() as u64,
        );

        assert_eq!(built, Ok(default));
    }
}
