//! Bounds of the creation-time filters `created_from` and `created_to`.
//!
//! A bound is either a date, `YYYY-MM-DD`, meaning the whole UTC day, or an
//! RFC 3339 date-time such as `2025-10-18T10:30:00Z` or
//! `2025-10-18T12:30:00.5+02:00`. Both bounds are inclusive. Lead times are
//! whole seconds, so a lower bound with a fraction starts at the next whole
//! second and an upper bound with a fraction ends at the whole second
//! before it. Whether the range is reversed is decided on the values as
//! sent, so a range within one second, such as `…15.5Z` to `…15.7Z`, is
//! valid and, once rounded, contains no lead time.

use std::cmp::Ordering;

use cloudvelous_contract::rfc3339::parse_date;

use crate::Timestamp;
use crate::field::InvalidValue;

const SECONDS_PER_DAY: i64 = 86_400;

const INVALID_BOUND: InvalidValue = InvalidValue::new(
    "must be a date such as 2025-10-18 or an RFC 3339 date-time such as 2025-10-18T10:30:00Z",
);

/// A point in time as the client wrote it, before rounding to whole seconds.
#[derive(Debug, PartialEq, Eq)]
enum Bound {
    /// A whole UTC day, by its number counted from 1970-01-01.
    Day(i64),
    /// An exact instant.
    Instant(ExactInstant),
}

/// An instant with every fraction digit the client sent.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ExactInstant {
    /// Unix seconds, rounded down.
    seconds: i64,
    /// Decimal digits of the fraction of a second, without trailing zeros,
    /// so that equal fractions have equal digits.
    fraction: String,
}

impl ExactInstant {
    fn whole(seconds: i64) -> ExactInstant {
        ExactInstant {
            seconds,
            fraction: String::new(),
        }
    }

    fn has_fraction(&self) -> bool {
        !self.fraction.is_empty()
    }
}

impl Ord for ExactInstant {
    /// Compares the seconds, then the fraction digits as strings. Without
    /// trailing zeros, string order is the order of the fractions' values:
    /// `"5" < "51" < "6"` as 0.5 < 0.51 < 0.6.
    fn cmp(&self, other: &Self) -> Ordering {
        self.seconds
            .cmp(&other.seconds)
            .then_with(|| self.fraction.cmp(&other.fraction))
    }
}

impl PartialOrd for ExactInstant {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A parsed `created_from` bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerBound {
    /// The first whole second in the range.
    first_second: Timestamp,
    /// The start of the range as sent.
    start: ExactInstant,
}

impl LowerBound {
    /// Returns the first whole second in the range, which the lead filter
    /// uses.
    pub fn first_second(&self) -> Timestamp {
        self.first_second
    }
}

/// A parsed `created_to` bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpperBound {
    /// The last whole second in the range.
    last_second: Timestamp,
    /// The end of the range as sent.
    end: RangeEnd,
}

/// End of a range, as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
enum RangeEnd {
    /// The range includes this instant, from a date-time bound.
    Through(ExactInstant),
    /// The range ends just before this instant, the start of the day after
    /// a date bound.
    Before(ExactInstant),
}

impl UpperBound {
    /// Returns the last whole second in the range, which the lead filter
    /// uses.
    pub fn last_second(&self) -> Timestamp {
        self.last_second
    }

    /// Returns whether the range ends before `from` starts, comparing the
    /// values as sent. Equal instants make a valid range of one instant.
    pub fn ends_before(&self, from: &LowerBound) -> bool {
        match &self.end {
            RangeEnd::Through(end) => *end < from.start,
            RangeEnd::Before(end) => *end <= from.start,
        }
    }
}

/// Parses the `created_from` bound, which starts at the first second of a
/// date or at a date-time. Its first whole second is rounded up.
///
/// # Errors
///
/// Returns the rule when `text` is neither form or names a date or time that
/// does not exist.
pub fn parse_lower_bound(text: &str) -> Result<LowerBound, InvalidValue> {
    let start = match parse_bound(text)? {
        Bound::Day(day) => ExactInstant::whole(day * SECONDS_PER_DAY),
        Bound::Instant(instant) => instant,
    };
    let first_second = start.seconds + i64::from(start.has_fraction());
    Ok(LowerBound {
        first_second: Timestamp::from_unix_seconds(first_second),
        start,
    })
}

/// Parses the `created_to` bound, which ends with the last second of a date
/// or at a date-time. Its last whole second is rounded down.
///
/// # Errors
///
/// Returns the rule when `text` is neither form or names a date or time that
/// does not exist.
pub fn parse_upper_bound(text: &str) -> Result<UpperBound, InvalidValue> {
    let (last_second, end) = match parse_bound(text)? {
        Bound::Day(day) => {
            let next_day = (day + 1) * SECONDS_PER_DAY;
            (
                next_day - 1,
                RangeEnd::Before(ExactInstant::whole(next_day)),
            )
        }
        Bound::Instant(instant) => (instant.seconds, RangeEnd::Through(instant)),
    };
    Ok(UpperBound {
        last_second: Timestamp::from_unix_seconds(last_second),
        end,
    })
}

fn parse_bound(text: &str) -> Result<Bound, InvalidValue> {
    if let Some(day) = parse_date(text) {
        return Ok(Bound::Day(day));
    }
    parse_date_time(text).ok_or(INVALID_BOUND)
}

/// Parses RFC 3339 `date-time`: a date, `T`, `HH:MM:SS`, an optional
/// fraction, and `Z` or a `+HH:MM` / `-HH:MM` offset. RFC 3339 section 5.6
/// allows a lower-case `t` and `z`. Leap seconds (`:60`) are rejected,
/// because the Unix time of stored leads never contains one.
fn parse_date_time(text: &str) -> Option<Bound> {
    let date = text.get(..10)?;
    let rest = text.get(10..)?;
    let day = parse_date(date)?;
    let rest = rest.strip_prefix(['T', 't'])?;

    let (time, rest) = (rest.get(..8)?, rest.get(8..)?);
    let second_of_day = parse_time_of_day(time)?;

    let (fraction, offset) = match rest.strip_prefix('.') {
        Some(fraction_and_offset) => {
            let digits = fraction_and_offset
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction_and_offset.len());
            if digits == 0 {
                return None;
            }
            let (fraction, offset) = fraction_and_offset.split_at(digits);
            (fraction.trim_end_matches('0'), offset)
        }
        None => ("", rest),
    };
    let offset_seconds = parse_offset(offset)?;

    Some(Bound::Instant(ExactInstant {
        seconds: day * SECONDS_PER_DAY + second_of_day - offset_seconds,
        fraction: fraction.to_owned(),
    }))
}

/// Parses `HH:MM:SS` into seconds since midnight.
fn parse_time_of_day(text: &str) -> Option<i64> {
    let bytes: &[u8; 8] = text.as_bytes().try_into().ok()?;
    let [h1, h2, b':', m1, m2, b':', s1, s2] = bytes else {
        return None;
    };
    let hour = two_digits(*h1, *h2)?;
    let minute = two_digits(*m1, *m2)?;
    let second = two_digits(*s1, *s2)?;
    (hour <= 23 && minute <= 59 && second <= 59).then_some(hour * 3600 + minute * 60 + second)
}

/// Parses `Z`, `z`, `+HH:MM` or `-HH:MM` into seconds east of UTC.
fn parse_offset(text: &str) -> Option<i64> {
    if text == "Z" || text == "z" {
        return Some(0);
    }
    let bytes: &[u8; 6] = text.as_bytes().try_into().ok()?;
    let [sign, h1, h2, b':', m1, m2] = bytes else {
        return None;
    };
    let hours = two_digits(*h1, *h2)?;
    let minutes = two_digits(*m1, *m2)?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    let magnitude = hours * 3600 + minutes * 60;
    match sign {
        b'+' => Some(magnitude),
        b'-' => Some(-magnitude),
        _ => None,
    }
}

fn two_digits(tens: u8, ones: u8) -> Option<i64> {
    (tens.is_ascii_digit() && ones.is_ascii_digit())
        .then(|| i64::from(tens - b'0') * 10 + i64::from(ones - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-10-18T00:00:00Z.
    const DAY_START: i64 = 1_760_745_600;

    fn lower(text: &str) -> i64 {
        parse_lower_bound(text)
            .unwrap()
            .first_second()
            .unix_seconds()
    }

    fn upper(text: &str) -> i64 {
        parse_upper_bound(text)
            .unwrap()
            .last_second()
            .unix_seconds()
    }

    fn ends_before(to: &str, from: &str) -> bool {
        let from = parse_lower_bound(from).unwrap();
        parse_upper_bound(to).unwrap().ends_before(&from)
    }

    #[test]
    fn date_covers_whole_utc_day() {
        assert_eq!(lower("2025-10-18"), DAY_START);
        assert_eq!(upper("2025-10-18"), DAY_START + 86_399);
    }

    #[test]
    fn date_time_in_utc() {
        assert_eq!(lower("2025-10-18T10:30:00Z"), DAY_START + 37_800);
        assert_eq!(upper("2025-10-18T10:30:00Z"), DAY_START + 37_800);
        assert_eq!(lower("2025-10-18t10:30:00z"), DAY_START + 37_800);
    }

    #[test]
    fn offsets_convert_to_utc() {
        assert_eq!(lower("2025-10-18T12:30:00+02:00"), DAY_START + 37_800);
        assert_eq!(lower("2025-10-18T05:00:00-05:30"), DAY_START + 37_800);
        assert_eq!(lower("2025-10-18T10:30:00-00:00"), DAY_START + 37_800);
        assert_eq!(upper("2025-10-18T00:30:00+01:00"), DAY_START - 1_800);
    }

    #[test]
    fn fractions_round_inwards() {
        assert_eq!(lower("2025-10-18T10:30:00.001Z"), DAY_START + 37_801);
        assert_eq!(upper("2025-10-18T10:30:00.999Z"), DAY_START + 37_800);
        assert_eq!(lower("2025-10-18T10:30:00.000Z"), DAY_START + 37_800);
    }

    #[test]
    fn order_compares_values_as_sent() {
        let cases = [
            ("2025-10-18T10:30:00.5Z", "2025-10-18T10:30:00.7Z", false),
            ("2025-10-18T10:30:00.5Z", "2025-10-18T10:30:00.5Z", false),
            ("2025-10-18T10:30:00.5Z", "2025-10-18T10:30:00.500Z", false),
            ("2025-10-18T10:30:00.51Z", "2025-10-18T10:30:00.6Z", false),
            ("2025-10-18T10:30:00.7Z", "2025-10-18T10:30:00.5Z", true),
            ("2025-10-18T10:30:00.6Z", "2025-10-18T10:30:00.51Z", true),
            ("2025-10-18T10:30:00.0001Z", "2025-10-18T10:30:00Z", true),
            ("2025-10-18T10:30:00.999Z", "2025-10-18T10:30:01Z", false),
            ("2025-10-18T10:30:01Z", "2025-10-18T10:30:00.999Z", true),
            (
                "2025-10-18T12:30:00.5+02:00",
                "2025-10-18T10:30:00.4Z",
                true,
            ),
            ("2025-10-18T23:59:59.9Z", "2025-10-18", false),
            ("2025-10-19T00:00:00Z", "2025-10-18", true),
            ("2025-10-18", "2025-10-18", false),
            ("2025-10-18", "2025-10-18T00:00:00Z", false),
            ("2025-10-18", "2025-10-17T23:59:59.999Z", true),
        ];
        for (from, to, reversed) in cases {
            assert_eq!(ends_before(to, from), reversed, "{from} to {to}");
        }
    }

    #[test]
    fn range_within_one_second_rounds_to_nothing() {
        let from = lower("2025-10-18T10:30:00.5Z");
        let to = upper("2025-10-18T10:30:00.7Z");
        assert_eq!(from, DAY_START + 37_801);
        assert_eq!(to, DAY_START + 37_800);
    }

    #[test]
    fn rejects_other_forms() {
        for text in [
            "",
            "2025-10-18T10:30:00",
            "2025-10-18 10:30:00Z",
            "2025-10-18T10:30Z",
            "2025-10-18T10:30:00.Z",
            "2025-10-18T10:30:00+0200",
            "2025-10-18T10:30:00+24:00",
            "2025-10-18T10:30:60Z",
            "2025-10-18T24:00:00Z",
            "2025-02-30",
            "2025-10-18Z",
            "18-10-2025",
            "2025-1-18",
            "１２３４-10-18",
            "2025-10-18T10:30:00Zjunk",
            "now",
        ] {
            assert_eq!(parse_lower_bound(text), Err(INVALID_BOUND), "{text:?}");
            assert_eq!(parse_upper_bound(text), Err(INVALID_BOUND), "{text:?}");
        }
    }

    #[test]
    fn rejects_multibyte_text_without_panicking() {
        for text in ["2025-10-1８", "2025-10-18Tü0:30:00Z", "ééééééééééé"] {
            assert!(parse_lower_bound(text).is_err(), "{text:?}");
        }
    }
}
