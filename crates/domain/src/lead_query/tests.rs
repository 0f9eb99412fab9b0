//! Parsing of the `GET /api/leads` query string.

use super::*;
use crate::lead_status::INVALID_STATUS;

fn parse(query: &str) -> Result<LeadQuery, Vec<FieldError>> {
    LeadQuery::parse(Some(query))
}

fn error_fields(query: &str) -> Vec<(String, String)> {
    parse(query)
        .unwrap_err()
        .into_iter()
        .map(|error| (error.field, error.message))
        .collect()
}

fn pair(field: &str, message: &str) -> (String, String) {
    (field.to_owned(), message.to_owned())
}

#[test]
fn empty_query_lists_everything() {
    for query in [None, Some(""), Some("&&")] {
        let parsed = LeadQuery::parse(query).unwrap();
        assert_eq!(parsed.filter, LeadFilter::default());
        assert_eq!(parsed.limit, DEFAULT_PAGE_SIZE);
        assert_eq!(parsed.cursor, None);
    }
}

#[test]
fn parses_every_parameter() {
    let parsed = parse(
        "status=qualified&source=referral&email=Dana.Reyes%40Example.COM\
         &created_from=2025-10-01&created_to=2025-10-31T12:00:00Z&limit=7&cursor=abc",
    )
    .unwrap();

    assert_eq!(parsed.filter.status, Some(LeadStatus::Qualified));
    assert_eq!(parsed.filter.source, Some(LeadSource::Referral));
    assert_eq!(
        parsed.filter.email_key.as_deref(),
        Some("dana.reyes@example.com")
    );
    assert_eq!(
        parsed.filter.created_from,
        Some(Timestamp::from_unix_seconds(1_759_276_800))
    );
    assert_eq!(
        parsed.filter.created_to,
        Some(Timestamp::from_unix_seconds(1_761_912_000))
    );
    assert_eq!(parsed.limit, 7);
    assert_eq!(parsed.cursor.as_deref(), Some("abc"));
}

#[test]
fn email_filter_uses_comparison_key() {
    let parsed = parse("email=J.O.H.N.Doe%2Bnews@Gmail.com").unwrap();
    assert_eq!(
        parsed.filter.email_key.as_deref(),
        Some("johndoe@gmail.com")
    );
}

#[test]
fn literal_plus_in_email_is_sub_address() {
    let parsed = parse("email=jane+crm@example.com").unwrap();
    assert_eq!(
        parsed.filter.email_key.as_deref(),
        Some("jane+crm@example.com")
    );
}

#[test]
fn limit_bounds() {
    assert_eq!(parse("limit=1").unwrap().limit, 1);
    assert_eq!(parse("limit=200").unwrap().limit, 200);
    assert_eq!(parse("limit=007").unwrap().limit, 7);
    for limit in [
        "0",
        "201",
        "-1",
        "+5",
        "5.0",
        "1e2",
        "",
        "abc",
        "99999999999999999999",
        "%205",
    ] {
        assert_eq!(
            error_fields(&format!("limit={limit}")),
            vec![pair("limit", INVALID_LIMIT.message())],
            "limit={limit}"
        );
    }
}

#[test]
fn enums_match_case_sensitively() {
    assert_eq!(
        error_fields("status=New&source=Website"),
        vec![
            pair("status", INVALID_STATUS.message()),
            pair("source", INVALID_SOURCE.message()),
        ]
    );
    assert_eq!(
        error_fields("status=pending"),
        vec![pair("status", INVALID_STATUS.message())]
    );
}

#[test]
fn invalid_email_is_reported() {
    let errors = error_fields("email=not-an-email");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "email");
}

#[test]
fn invalid_dates_are_reported() {
    let errors = error_fields("created_from=2024-02-30&created_to=yesterday");
    let fields: Vec<&str> = errors.iter().map(|(field, _)| field.as_str()).collect();
    assert_eq!(fields, ["created_from", "created_to"]);
}

#[test]
fn reversed_range_is_rejected() {
    assert_eq!(
        error_fields("created_from=2025-10-19&created_to=2025-10-18"),
        vec![pair("created_to", "must not be before created_from")]
    );
    assert!(parse("created_from=2025-10-18&created_to=2025-10-18").is_ok());
    assert!(parse("created_from=2025-10-18T10:00:00Z&created_to=2025-10-18T10:00:00Z").is_ok());
    assert_eq!(
        error_fields("created_from=2025-10-18T10:00:00.7Z&created_to=2025-10-18T10:00:00.5Z"),
        vec![pair("created_to", "must not be before created_from")]
    );
}

#[test]
fn range_within_one_second_is_valid() {
    for query in [
        "created_from=2025-10-18T10:00:15.5Z&created_to=2025-10-18T10:00:15.7Z",
        "created_from=2025-10-18T10:00:15.5Z&created_to=2025-10-18T10:00:15.5Z",
        "created_from=2025-10-18T23:59:59.5Z&created_to=2025-10-18",
    ] {
        let filter = parse(query).unwrap().filter;
        let (Some(from), Some(to)) = (filter.created_from, filter.created_to) else {
            panic!("{query}: both bounds are set in {filter:?}");
        };
        assert!(from > to, "{query}: no whole second lies in the range");
    }
}

#[test]
fn unknown_and_repeated_parameters_are_reported() {
    assert_eq!(
        error_fields("status=new&page=2&status=lost&status=new&sort=name"),
        vec![
            pair("status", "must be given at most once"),
            pair("page", "unknown query parameter"),
            pair("sort", "unknown query parameter"),
        ]
    );
}

#[test]
fn names_match_exactly() {
    assert_eq!(
        error_fields("Status=new&limit =5"),
        vec![
            pair("Status", "unknown query parameter"),
            pair("limit ", "unknown query parameter"),
        ]
    );
}

#[test]
fn undecodable_values_are_reported() {
    assert_eq!(
        error_fields("status=%E0%A4"),
        vec![pair("status", "must be valid percent-encoded UTF-8")]
    );
}

#[test]
fn undecodable_cursor_is_kept_as_sent() {
    let parsed = parse("cursor=%FF%zz").unwrap();
    assert_eq!(parsed.cursor.as_deref(), Some("%FF%zz"));
    assert_eq!(PARAMETERS[CURSOR], "cursor");
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors = error_fields("limit=0&status=x&source=y&extra=1");
    let fields: Vec<&str> = errors.iter().map(|(field, _)| field.as_str()).collect();
    assert_eq!(fields, ["status", "source", "limit", "extra"]);
}

#[test]
fn filter_digest_depends_on_every_field() {
    let base = LeadFilter::default();
    let variants = [
        LeadFilter {
            status: Some(LeadStatus::New),
            ..LeadFilter::default()
        },
        LeadFilter {
            source: Some(LeadSource::Email),
            ..LeadFilter::default()
        },
        LeadFilter {
            email_key: Some("a@example.com".into()),
            ..LeadFilter::default()
        },
        LeadFilter {
            email_key: Some(String::new()),
            ..LeadFilter::default()
        },
        LeadFilter {
            created_from: Some(Timestamp::from_unix_seconds(0)),
            ..LeadFilter::default()
        },
        LeadFilter {
            created_to: Some(Timestamp::from_unix_seconds(0)),
            ..LeadFilter::default()
        },
    ];
    let mut digests = std::collections::HashSet::from([base.digest()]);
    for variant in &variants {
        assert!(digests.insert(variant.digest()), "{variant:?}");
    }
    assert_eq!(base.digest(), LeadFilter::default().digest());
}
