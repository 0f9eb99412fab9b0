use super::*;

/// 2024-03-15 counted from 1970-01-01.
const TODAY: i64 = 19_797;

fn day(text: &str) -> i64 {
    parse_date(text).unwrap()
}

fn range(query: &str) -> Result<DateRange, Vec<FieldError>> {
    DateRange::from_query(Some(query), TODAY)
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|error| error.field.as_str()).collect()
}

#[test]
fn both_dates_give_inclusive_range() {
    assert_eq!(
        range("date_from=2024-01-01&date_to=2024-01-31"),
        Ok(DateRange {
            first_day: day("2024-01-01"),
            last_day: day("2024-01-31"),
        })
    );
}

#[test]
fn no_dates_give_thirty_days_ending_today() {
    let expected = DateRange {
        first_day: TODAY - 29,
        last_day: TODAY,
    };
    assert_eq!(DateRange::from_query(None, TODAY), Ok(expected));
    assert_eq!(range(""), Ok(expected));
}

#[test]
fn one_date_spans_thirty_days() {
    assert_eq!(
        range("date_from=2024-02-01"),
        Ok(DateRange {
            first_day: day("2024-02-01"),
            last_day: day("2024-03-01"),
        })
    );
    assert_eq!(
        range("date_to=2024-03-01"),
        Ok(DateRange {
            first_day: day("2024-02-01"),
            last_day: day("2024-03-01"),
        })
    );
}

#[test]
fn leap_day_is_valid_only_in_leap_years() {
    assert!(range("date_from=2024-02-29&date_to=2024-02-29").is_ok());
    let errors = range("date_from=2023-02-29&date_to=2023-03-01").unwrap_err();
    assert_eq!(fields(&errors), ["date_from"]);
}

#[test]
fn invalid_dates_are_reported_per_field() {
    let errors = range("date_from=2024-02-30&date_to=2024-13-01").unwrap_err();
    assert_eq!(fields(&errors), ["date_from", "date_to"]);
    assert_eq!(errors[0].message, INVALID_DATE);
}

#[test]
fn malformed_dates_are_invalid() {
    for value in [
        "",
        "2024-1-01",
        "2024-01-01T00:00:00Z",
        "20240101",
        " 2024-01-01",
        "2024-01-01%20",
        "２０２４-01-01",
        "%zz",
    ] {
        let errors = range(&format!("date_from={value}")).unwrap_err();
        assert_eq!(fields(&errors), ["date_from"], "{value:?}");
    }
}

#[test]
fn parameter_without_value_is_invalid() {
    let errors = range("date_to").unwrap_err();
    assert_eq!(fields(&errors), ["date_to"]);
}

#[test]
fn percent_encoded_date_is_decoded() {
    assert_eq!(
        range("date%5Ffrom=2024%2D01%2D01&date_to=2024-01-02"),
        Ok(DateRange {
            first_day: day("2024-01-01"),
            last_day: day("2024-01-02"),
        })
    );
}

#[test]
fn from_after_to_is_rejected() {
    let errors = range("date_from=2024-02-02&date_to=2024-02-01").unwrap_err();
    assert_eq!(fields(&errors), ["date_from"]);
}

#[test]
fn range_of_max_days_is_accepted() {
    let range = range("date_from=2020-01-01&date_to=2024-12-31").unwrap();
    assert_eq!(range.last_day - range.first_day + 1, MAX_RANGE_DAYS);
}

#[test]
fn range_over_max_days_is_rejected() {
    let errors = range("date_from=2020-01-01&date_to=2025-01-01").unwrap_err();
    assert_eq!(fields(&errors), ["date_to"]);
}

#[test]
fn unknown_and_repeated_parameters_are_rejected() {
    let errors = range("date_from=2024-01-01&limit=5&date_from=2024-01-02&from=x").unwrap_err();
    assert_eq!(fields(&errors), ["limit", "date_from", "from"]);
}

#[test]
fn parameter_names_are_case_sensitive() {
    let errors = range("Date_From=2024-01-01").unwrap_err();
    assert_eq!(fields(&errors), ["Date_From"]);
}

#[test]
fn empty_pairs_are_ignored() {
    assert!(range("&date_from=2024-01-01&&").is_ok());
}

#[test]
fn ends_beyond_expressible_dates_are_rejected() {
    let errors = range("date_from=9999-12-31").unwrap_err();
    assert_eq!(fields(&errors), ["date_from"]);
    assert_eq!(
        errors[0].message,
        "must be 9999-12-02 or earlier when date_to is absent"
    );

    let errors = range("date_to=0000-01-05").unwrap_err();
    assert_eq!(fields(&errors), ["date_to"]);
    assert_eq!(
        errors[0].message,
        "must be 0000-01-30 or later when date_from is absent"
    );
}

#[test]
fn expressible_day_bounds_match_calendar() {
    assert_eq!(day("0000-01-01"), FIRST_EXPRESSIBLE_DAY);
    assert_eq!(day("9999-12-31"), LAST_EXPRESSIBLE_DAY);
}

#[test]
fn percent_decode_handles_escapes_and_plus() {
    assert_eq!(percent_decode("a%2Db+c").as_deref(), Some("a-b c"));
    assert_eq!(percent_decode("%e2%82%ac").as_deref(), Some("€"));
    assert_eq!(percent_decode("%"), None);
    assert_eq!(percent_decode("%4"), None);
    assert_eq!(percent_decode("%ff"), None);
}
