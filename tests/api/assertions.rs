//! Checks of the parts every response shares: status, `Content-Type`,
//! `Content-Length`, `X-Request-Id`, and the error envelope
//! `{"error": {"code", "message", "details", "timestamp", "request_id"}}`.

use crate::support::TestResponse;
use http::StatusCode;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Keys of the error envelope's `error` object.
const ERROR_KEYS: [&str; 5] = ["code", "details", "message", "request_id", "timestamp"];

/// Message of every `401` envelope, whichever check failed.
pub const UNAUTHORIZED_MESSAGE: &str = "Invalid or missing credentials";

/// `WWW-Authenticate` of every `401` (RFC 6750, section 3).
pub const BEARER_CHALLENGE: &str = r#"Bearer realm="cloudvelous", error="invalid_token""#;

impl TestResponse {
    /// Asserts the status and the headers every JSON response carries, and
    /// returns the parsed body.
    pub fn expect_json(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        self.expect_json_headers();
        self.json()
    }

    /// Asserts a whole error response: the status, the headers every
    /// response carries, and the envelope with `code`, a non-empty
    /// `message`, `details` entries of `field` and `message`, a whole-second
    /// UTC `timestamp`, and a `request_id` equal to `X-Request-Id`.
    /// Returns the `error` object.
    pub fn expect_error(&self, status: StatusCode, code: &str) -> Map<String, Value> {
        let body = self.expect_json(status);
        assert_eq!(
            key_set(&body),
            BTreeSet::from(["error"]),
            "envelope keys: {body}"
        );
        let Some(error) = body.get("error").and_then(Value::as_object) else {
            panic!("`error` is not an object: {body}");
        };
        let keys: BTreeSet<&str> = error.keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(ERROR_KEYS), "error keys: {body}");

        assert_eq!(error["code"], code, "code: {body}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "message is a non-empty string: {body}");
        let Some(details) = error["details"].as_array() else {
            panic!("`details` is not an array: {body}");
        };
        for detail in details {
            assert_detail(detail);
        }
        let timestamp = error["timestamp"].as_str().unwrap_or_default();
        assert_timestamp(timestamp);
        assert_eq!(
            error["request_id"].as_str(),
            Some(self.request_id()),
            "request_id: {body}"
        );
        error.clone()
    }

    /// Asserts an error response whose `details` is empty, as it is for every
    /// error that concerns no field, and returns the `error` object.
    pub fn expect_plain_error(&self, status: StatusCode, code: &str) -> Map<String, Value> {
        let error = self.expect_error(status, code);
        assert_eq!(
            error["details"],
            Value::Array(Vec::new()),
            "details: {error:?}"
        );
        error
    }

    /// Asserts a whole `401`: the `UNAUTHORIZED` envelope with the one
    /// message that does not say which check failed, and the bearer
    /// challenge in `WWW-Authenticate`.
    pub fn expect_unauthorized(&self) {
        let error = self.expect_plain_error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        assert_eq!(error["message"], UNAUTHORIZED_MESSAGE, "message: {error:?}");
        assert_eq!(
            self.header("www-authenticate"),
            Some(BEARER_CHALLENGE),
            "WWW-Authenticate; headers: {:?}",
            self.headers
        );
    }

    /// Asserts a whole `403` with the `FORBIDDEN` envelope.
    pub fn expect_forbidden(&self) {
        self.expect_plain_error(StatusCode::FORBIDDEN, "FORBIDDEN");
    }

    /// Asserts that neither the body nor any header value contains `secret`.
    pub fn expect_omits(&self, secret: &str) {
        assert!(
            !self.text().contains(secret),
            "the response body contains a credential: {}",
            self.text()
        );
        for (name, value) in &self.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(
                !value.contains(secret),
                "header {name} contains a credential"
            );
        }
    }

    /// Asserts `RateLimit-Limit`, `RateLimit-Remaining` and
    /// `RateLimit-Reset` (in seconds).
    pub fn expect_rate_headers(&self, limit: u64, remaining: u64, reset: u64) {
        let expected = [limit, remaining, reset].map(|value| value.to_string());
        let actual = ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]
            .map(|name| self.header(name).map(str::to_string));
        assert_eq!(
            actual,
            expected.map(Some),
            "RateLimit-Limit, -Remaining, -Reset; status {}",
            self.status
        );
    }

    /// Asserts a whole `429`: the `RATE_LIMITED` envelope, the RateLimit
    /// headers with nothing remaining, and `Retry-After` equal to
    /// `RateLimit-Reset`.
    pub fn expect_rate_limited(&self, limit: u64, retry_after: u64) {
        self.expect_plain_error(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
        self.expect_rate_headers(limit, 0, retry_after);
        let expected = retry_after.to_string();
        assert_eq!(
            self.header("retry-after"),
            Some(expected.as_str()),
            "Retry-After"
        );
    }

    /// Returns the `X-Request-Id` header, asserting that it is present.
    pub fn request_id(&self) -> &str {
        self.header("x-request-id")
            .unwrap_or_else(|| panic!("X-Request-Id is missing: {:?}", self.headers))
    }

    /// Asserts `Content-Type: application/json` (any parameters),
    /// `Content-Length` equal to the body length, and a well-formed
    /// `X-Request-Id`.
    fn expect_json_headers(&self) {
        let content_type = self.header("content-type").unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        assert!(
            media_type.eq_ignore_ascii_case("application/json"),
            "Content-Type {content_type:?}; headers: {:?}",
            self.headers
        );
        self.expect_length_and_request_id();
    }

    /// Asserts `Content-Length` equal to the body length and an
    /// `X-Request-Id` that is either generated or a valid client id.
    fn expect_length_and_request_id(&self) {
        let length = self.header("content-length");
        assert_eq!(
            length,
            Some(self.body.len().to_string().as_str()),
            "Content-Length; headers: {:?}",
            self.headers
        );
        let id = self.request_id();
        assert!(is_valid_client_request_id(id), "X-Request-Id {id:?}");
    }

    /// Returns the methods listed in `Allow`, asserting that the header is present.
    pub fn allowed_methods(&self) -> BTreeSet<String> {
        let allow = self
            .header("allow")
            .unwrap_or_else(|| panic!("Allow is missing: {:?}", self.headers));
        allow
            .split(',')
            .map(|method| method.trim().to_string())
            .filter(|method| !method.is_empty())
            .collect()
    }
}

/// Asserts one `details` entry: `field` and `message` strings, and an
/// optional `existing_lead_id` string.
fn assert_detail(detail: &Value) {
    let keys = key_set(detail);
    let allowed = BTreeSet::from(["existing_lead_id", "field", "message"]);
    assert!(
        keys.contains("field") && keys.contains("message"),
        "detail keys: {detail}"
    );
    assert!(keys.is_subset(&allowed), "detail keys: {detail}");
    for key in keys {
        assert!(
            detail[key].is_string(),
            "detail {key} is a string: {detail}"
        );
    }
}

/// Returns the keys of a JSON object, or none for any other value.
pub fn key_set(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Checks whether `id` has the generated form: `req_` followed by ASCII letters and
/// digits.
pub fn is_generated_request_id(id: &str) -> bool {
    id.strip_prefix("req_").is_some_and(|suffix| {
        !suffix.is_empty() && suffix.bytes().all(|byte| byte.is_ascii_alphanumeric())
    })
}

/// Checks whether `id` matches `^[A-Za-z0-9_-]{1,64}$`, the client ids that are
/// reused as sent. Generated ids match it too.
pub fn is_valid_client_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

/// Asserts that `text` is an RFC 3339 UTC timestamp with whole seconds and
/// `Z`, such as `2025-10-18T10:30:00Z`.
pub fn assert_timestamp(text: &str) {
    assert!(
        unix_seconds(text).is_some(),
        "timestamp {text:?} is not YYYY-MM-DDTHH:MM:SSZ"
    );
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into seconds since the Unix epoch; `None`
/// for any other form, fractional seconds and offsets included.
pub fn unix_seconds(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let separators = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ];
    if bytes.len() != 20
        || separators
            .iter()
            .any(|&(index, separator)| bytes[index] != separator)
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<i64> {
        let digits = text.get(from..to)?;
        digits
            .bytes()
            .all(|byte| byte.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date, by Howard Hinnant's
/// `days_from_civil` algorithm.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[test]
fn unix_seconds_reads_whole_second_utc() {
    assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(unix_seconds("2025-10-18T10:30:00Z"), Some(1_760_783_400));
    assert_eq!(unix_seconds("2024-02-29T23:59:59Z"), Some(1_709_251_199));
    for text in [
        "2025-10-18T10:30:00.5Z",
        "2025-10-18T10:30:00+00:00",
        "2025-10-18 10:30:00Z",
        "2025-02-29T10:30:00Z",
        "2025-10-18T24:00:00Z",
        "+025-10-18T10:30:00Z",
        "",
    ] {
        assert_eq!(unix_seconds(text), None, "{text:?}");
    }
}
