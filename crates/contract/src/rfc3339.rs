//! Conversion between Unix time and the RFC 3339 text that the API uses:
//! timestamps as `2025-10-18T10:30:00Z` (UTC, whole seconds) and dates as
//! `2025-10-18`.
//!
//! The calendar arithmetic is the proleptic Gregorian algorithm from Howard
//! Hinnant's "chrono-Compatible Low-Level Date Algorithms".

const SECONDS_PER_DAY: i64 = 86_400;

/// Formats whole Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
///
/// Years outside 0000–9999, which RFC 3339 cannot express, are written in
/// the ISO 8601 expanded form with a sign, such as `+10000-01-01T00:00:00Z`.
pub fn format_timestamp(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = unix_seconds.rem_euclid(SECONDS_PER_DAY);
    let hour = second_of_day / 3600;
    let minute = second_of_day % 3600 / 60;
    let second = second_of_day % 60;
    format!("{}T{hour:02}:{minute:02}:{second:02}Z", format_date(days))
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into whole Unix seconds.
///
/// Only the exact form that [`format_timestamp`] writes for years 0000–9999
/// is accepted: upper-case `T` and `Z`, no fraction and no offset. Returns
/// `None` for any other text and for dates or times that do not exist, such
/// as `2024-02-30` or a leap second.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let bytes: &[u8; 20] = text.as_bytes().try_into().ok()?;
    let [date @ .., b'T', h1, h2, b':', m1, m2, b':', s1, s2, b'Z'] = bytes else {
        return None;
    };
    let days = parse_date(std::str::from_utf8(date).ok()?)?;
    let hour = parse_digits(&[*h1, *h2])?;
    let minute = parse_digits(&[*m1, *m2])?;
    let second = parse_digits(&[*s1, *s2])?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second)
}

/// Formats a day, counted from 1970-01-01, as `YYYY-MM-DD`.
///
/// Years outside 0000–9999 are written in the ISO 8601 expanded form, as in
/// [`format_timestamp`].
pub fn format_date(unix_day: i64) -> String {
    let (year, month, day) = civil_from_days(unix_day);
    if (0..=9999).contains(&year) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:+05}-{month:02}-{day:02}")
    }
}

/// Parses `YYYY-MM-DD` into a day counted from 1970-01-01.
///
/// Returns `None` unless the text is exactly four, two and two ASCII digits
/// separated by hyphens and names a date that exists.
pub fn parse_date(text: &str) -> Option<i64> {
    let bytes: &[u8; 10] = text.as_bytes().try_into().ok()?;
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = bytes else {
        return None;
    };
    let year = parse_digits(&[*y1, *y2, *y3, *y4])?;
    let month = parse_digits(&[*m1, *m2])?;
    let day = parse_digits(&[*d1, *d2])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn parse_digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0_i64, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + i64::from(byte - b'0'))
    })
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Returns the day number, counted from 1970-01-01, of a Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Returns the Gregorian `(year, month, day)` of a day counted from 1970-01-01.
fn civil_from_days(unix_day: i64) -> (i64, i64, i64) {
    let shifted = unix_day + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_whole_seconds_with_z() {
        assert_eq!(format_timestamp(1_760_783_400), "2025-10-18T10:30:00Z");
    }

    #[test]
    fn formats_epoch_and_negative_seconds() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn formats_leap_day() {
        assert_eq!(format_timestamp(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn formats_years_beyond_rfc3339_with_sign() {
        assert_eq!(format_timestamp(253_402_300_800), "+10000-01-01T00:00:00Z");
        assert_eq!(format_date(-719_529), "-0001-12-31");
    }

    #[test]
    fn handles_extreme_seconds_without_overflow() {
        assert!(format_timestamp(i64::MAX).ends_with('Z'));
        assert!(format_timestamp(i64::MIN).ends_with('Z'));
    }

    #[test]
    fn parse_round_trips_every_day_of_four_centuries() {
        for day in -146_097..146_097 {
            let seconds = day * SECONDS_PER_DAY + 45_296;
            let text = format_timestamp(seconds);
            assert_eq!(parse_timestamp(&text), Some(seconds), "{text}");
        }
    }

    #[test]
    fn parse_rejects_impossible_dates_and_times() {
        for text in [
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-10T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }

    #[test]
    fn parse_rejects_other_forms() {
        for text in [
            "2024-01-01t00:00:00z",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T00:00:00.5Z",
            "2024-01-01 00:00:00Z",
            "+2024-01-01T00:00:00Z",
            "２０２４-01-01T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }

    #[test]
    fn parse_date_accepts_leap_day_only_in_leap_years() {
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("1900-02-29"), None);
        assert_eq!(parse_date("2000-02-29"), Some(11_016));
    }
}
