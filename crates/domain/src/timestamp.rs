//! Points in time.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use cloudvelous_contract::rfc3339;

/// A point in time as whole seconds since the Unix epoch, UTC, the
/// precision of every timestamp in the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// Creates a timestamp from whole seconds since the Unix epoch.
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Timestamp(seconds)
    }

    /// Returns the whole seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Reads the system clock, rounding down to a whole second.
    pub fn now() -> Self {
        let seconds = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
            Err(error) => {
                let before = error.duration();
                let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                let partial = i64::from(before.subsec_nanos() > 0);
                whole.saturating_add(partial).saturating_neg()
            }
        };
        Timestamp(seconds)
    }

    /// Formats the timestamp as RFC 3339 in UTC, such as
    /// `2025-10-18T10:30:00Z`.
    pub fn to_rfc3339(self) -> String {
        rfc3339::format_timestamp(self.0)
    }

    /// Parses the form that [`Timestamp::to_rfc3339`] writes. Returns `None`
    /// for any other text, including fractions of seconds and offsets other
    /// than `Z`.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        rfc3339::parse_timestamp(text).map(Timestamp)
    }
}

/// Writes the RFC 3339 form.
impl fmt::Display for Timestamp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_seconds_with_z() {
        let timestamp = Timestamp::from_unix_seconds(1_760_783_400);
        assert_eq!(timestamp.to_rfc3339(), "2025-10-18T10:30:00Z");
        assert_eq!(timestamp.to_string(), "2025-10-18T10:30:00Z");
        assert_eq!(timestamp.unix_seconds(), 1_760_783_400);
    }

    #[test]
    fn parse_round_trips() {
        let timestamp = Timestamp::from_unix_seconds(1_760_783_400);
        assert_eq!(
            Timestamp::parse_rfc3339(&timestamp.to_rfc3339()),
            Some(timestamp)
        );
        assert_eq!(Timestamp::parse_rfc3339("2025-10-18T10:30:00.123Z"), None);
    }

    #[test]
    fn now_is_after_2025() {
        assert!(Timestamp::now() > Timestamp::from_unix_seconds(1_735_689_600));
    }
}
