//! The range of UTC days that `GET /api/analytics/leads` reports on, read
//! from the `date_from` and `date_to` query parameters.

use cloudvelous_contract::rfc3339::{format_date, parse_date};
use cloudvelous_domain::FieldError;

/// Days in the range when the query gives at most one of its ends.
pub(crate) const DEFAULT_RANGE_DAYS: i64 = 30;

/// Most days a range may span, both ends included: five years, two of them
/// leap years.
pub(crate) const MAX_RANGE_DAYS: i64 = 1_827;

/// 0000-01-01 and 9999-12-31 counted from 1970-01-01: the first and last
/// days that `YYYY-MM-DD` can express.
const FIRST_EXPRESSIBLE_DAY: i64 = -719_528;
const LAST_EXPRESSIBLE_DAY: i64 = 2_932_896;

const INVALID_DATE: &str = "must be a date in the form YYYY-MM-DD that exists, such as 2024-01-31";

/// An inclusive range of UTC days, counted from 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DateRange {
    /// The day `date_from` names.
    pub(crate) first_day: i64,
    /// The day `date_to` names.
    pub(crate) last_day: i64,
}

/// The values of the query parameters, percent-decoded.
#[derive(Default)]
struct DateParameters {
    date_from: Option<String>,
    date_to: Option<String>,
}

impl DateRange {
    /// Reads the range from a request's query string, with `today` as the
    /// current UTC day.
    ///
    /// Without dates the range is the 30 days ending today. With only one
    /// date, the other end lies 29 days after `date_from` or before
    /// `date_to`.
    ///
    /// # Errors
    ///
    /// Returns one [`FieldError`] per problem: each unknown, repeated or
    /// badly percent-encoded parameter, each date that does not exist, and,
    /// when both dates are valid, a `date_from` after `date_to` or a range
    /// of more than [`MAX_RANGE_DAYS`] days.
    pub(crate) fn from_query(
        query: Option<&str>,
        today: i64,
    ) -> Result<DateRange, Vec<FieldError>> {
        let mut errors = Vec::new();
        let parameters = read_parameters(query.unwrap_or_default(), &mut errors);
        let date_from = parse_parameter("date_from", parameters.date_from, &mut errors);
        let date_to = parse_parameter("date_to", parameters.date_to, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }

        let range = resolve_range(date_from, date_to, today)?;
        check_range(range)?;
        Ok(range)
    }
}

/// Splits the query string into parameters and keeps the two dates,
/// recording an error for every other parameter.
fn read_parameters(query: &str, errors: &mut Vec<FieldError>) -> DateParameters {
    let mut parameters = DateParameters::default();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(name) = percent_decode(raw_name) else {
            errors.push(FieldError::new(
                raw_name,
                "is not a valid percent-encoded UTF-8 parameter name",
            ));
            continue;
        };
        let slot = match name.as_str() {
            "date_from" => &mut parameters.date_from,
            "date_to" => &mut parameters.date_to,
            _ => {
                errors.push(FieldError::new(
                    name,
                    "is not a query parameter of this endpoint. Use date_from and date_to",
                ));
                continue;
            }
        };
        if slot.is_some() {
            errors.push(FieldError::new(name, "must appear at most once"));
            continue;
        }
        match percent_decode(raw_value) {
            Some(value) => *slot = Some(value),
            None => errors.push(FieldError::new(name, INVALID_DATE)),
        }
    }
    parameters
}

/// Parses a date parameter into its day number. A missing parameter is
/// `None` without an error.
fn parse_parameter(name: &str, value: Option<String>, errors: &mut Vec<FieldError>) -> Option<i64> {
    let day = parse_date(value.as_deref()?);
    if day.is_none() {
        errors.push(FieldError::new(name, INVALID_DATE));
    }
    day
}

/// Fills in the ends the query left out.
fn resolve_range(
    date_from: Option<i64>,
    date_to: Option<i64>,
    today: i64,
) -> Result<DateRange, Vec<FieldError>> {
    let span = DEFAULT_RANGE_DAYS - 1;
    let (first_day, last_day) = match (date_from, date_to) {
        (Some(first), Some(last)) => (first, last),
        (Some(first), None) if first + span > LAST_EXPRESSIBLE_DAY => {
            let latest = format_date(LAST_EXPRESSIBLE_DAY - span);
            let message = format!("must be {latest} or earlier when date_to is absent");
            return Err(vec![FieldError::new("date_from", message)]);
        }
        (Some(first), None) => (first, first + span),
        (None, Some(last)) if last - span < FIRST_EXPRESSIBLE_DAY => {
            let earliest = format_date(FIRST_EXPRESSIBLE_DAY + span);
            let message = format!("must be {earliest} or later when date_from is absent");
            return Err(vec![FieldError::new("date_to", message)]);
        }
        (None, Some(last)) => (last - span, last),
        (None, None) => (today - span, today),
    };
    Ok(DateRange {
        first_day,
        last_day,
    })
}

fn check_range(range: DateRange) -> Result<(), Vec<FieldError>> {
    if range.first_day > range.last_day {
        return Err(vec![FieldError::new(
            "date_from",
            "must be on or before date_to",
        )]);
    }
    if range.last_day - range.first_day + 1 > MAX_RANGE_DAYS {
        let message = format!(
            "must be at most {} days after date_from, so that the range spans at most {MAX_RANGE_DAYS} days",
            MAX_RANGE_DAYS - 1
        );
        return Err(vec![FieldError::new("date_to", message)]);
    }
    Ok(())
}

/// Decodes `%XX` escapes and `+` (a space in form encoding). Returns `None`
/// for a malformed escape or bytes that are not UTF-8.
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut input = text.bytes();
    while let Some(byte) = input.next() {
        match byte {
            b'%' => {
                let high = hex_value(input.next()?)?;
                let low = hex_value(input.next()?)?;
                bytes.push(high << 4 | low);
            }
            b'+' => bytes.push(b' '),
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests;
