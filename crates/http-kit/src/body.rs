//! Reading JSON request bodies.

use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;

use crate::error::ApiError;
use crate::strict_json;

/// Size limit of a JSON request body on most routes: 64 KiB.
pub const MAX_JSON_BODY: usize = 64 * 1024;
/// Size limit of a JSON request body on the text-analysis routes, which
/// carry up to 10,000 characters of text: 256 KiB.
pub const MAX_AI_JSON_BODY: usize = 256 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Checks the media type and size of a request body and parses it as JSON.
///
/// The checks run in this order:
/// 1. `Content-Type` must be `application/json`, in any letter case and with
///    any parameters such as `charset=utf-8`; a missing, repeated or other
///    type is `415 UNSUPPORTED_MEDIA_TYPE`.
/// 2. A body longer than `limit` bytes is `413 PAYLOAD_TOO_LARGE`.
/// 3. One leading UTF-8 byte-order mark is skipped. The rest must be valid
///    UTF-8 holding exactly one JSON value, without lone surrogate escapes,
///    duplicate object keys at any depth, or nesting deeper than 32 arrays
///    and objects. Otherwise the result is `400 BAD_REQUEST`, with a message
///    that names the problem and its line and column but does not echo the
///    body.
///
/// # Errors
///
/// Returns [`ApiError::UnsupportedMediaType`], [`ApiError::PayloadTooLarge`]
/// or [`ApiError::BadRequest`] as described above.
pub fn parse_json_body(headers: &HeaderMap, body: &[u8], limit: usize) -> Result<Value, ApiError> {
    if !is_json_content_type(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    if body.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
    }

    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|error| {
        let (line, column) = line_and_column(body, error.valid_up_to());
        invalid_json(format_args!("invalid UTF-8 at line {line} column {column}"))
    })?;
    strict_json::parse(text).map_err(invalid_json)
}

/// Reads a JSON request body and parses it as [`parse_json_body`] does,
/// checking the media type first (`415`), then the size (`413`), then the
/// JSON itself (`400`).
///
/// The body is read only up to `limit` bytes. A `Content-Length` above
/// `limit` is rejected before any byte is read. A body without one is cut
/// off as soon as it grows past `limit`, so an oversized upload is never
/// buffered whole.
///
/// # Errors
///
/// Returns [`ApiError::UnsupportedMediaType`], [`ApiError::PayloadTooLarge`]
/// or [`ApiError::BadRequest`], the last also when reading the body fails.
pub async fn read_json_body<B>(
    headers: &HeaderMap,
    body: B,
    limit: usize,
) -> Result<Value, ApiError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if !is_json_content_type(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    if declared_length(headers).is_some_and(|length| length > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
    }

    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => {
            return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
        }
        Err(error) => {
            return Err(ApiError::BadRequest(format!(
                "Failed to read the request body: {error}"
            )));
        }
    };
    parse_json_body(headers, &bytes, limit)
}

/// Reads the `Content-Length` value, or `None` when the header is absent or
/// not a number. The cap on the bytes read applies either way.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn invalid_json(reason: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("Request body must be valid JSON: {reason}"))
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let media_type = value.split(';').next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case("application/json")
}

/// Returns the 1-based line and column of the byte at `offset`, counting
/// columns in bytes as `serde_json` does.
fn line_and_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = 1 + before.iter().filter(|&&byte| byte == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |newline| newline + 1);
    (line, offset - line_start + 1)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use serde_json::json;

    use super::*;

    fn json_headers(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    fn bad_request_message(body: &[u8]) -> String {
        match parse_json_body(&json_headers("application/json"), body, MAX_JSON_BODY) {
            Err(ApiError::BadRequest(message)) => message,
            other => panic!("expected BadRequest, got {other:?}"),
        }
    }

    #[test]
    fn accepts_json_content_types() {
        for content_type in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "APPLICATION/JSON;charset=UTF-8",
            "application/json ; foo=bar",
        ] {
            let value = parse_json_body(&json_headers(content_type), b"{}", MAX_JSON_BODY);
            assert_eq!(value.unwrap(), json!({}), "{content_type}");
        }
    }

    #[test]
    fn rejects_other_content_types() {
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/jsonx",
            "application/vnd.api+json",
            "",
            "json",
        ] {
            let result = parse_json_body(&json_headers(content_type), b"{}", MAX_JSON_BODY);
            assert!(
                matches!(result, Err(ApiError::UnsupportedMediaType)),
                "{content_type}"
            );
        }
    }

    #[test]
    fn rejects_missing_or_repeated_content_type() {
        let result = parse_json_body(&HeaderMap::new(), b"{}", MAX_JSON_BODY);
        assert!(matches!(result, Err(ApiError::UnsupportedMediaType)));

        let mut headers = json_headers("application/json");
        headers.append(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let result = parse_json_body(&headers, b"{}", MAX_JSON_BODY);
        assert!(matches!(result, Err(ApiError::UnsupportedMediaType)));
    }

    #[test]
    fn checks_content_type_before_size() {
        let body = vec![b' '; MAX_JSON_BODY + 1];
        let result = parse_json_body(&json_headers("text/plain"), &body, MAX_JSON_BODY);
        assert!(matches!(result, Err(ApiError::UnsupportedMediaType)));
    }

    #[test]
    fn accepts_body_of_exactly_the_limit() {
        let mut body = b"\"".to_vec();
        body.resize(MAX_JSON_BODY - 1, b'a');
        body.push(b'"');
        assert_eq!(body.len(), MAX_JSON_BODY);
        let value = parse_json_body(&json_headers("application/json"), &body, MAX_JSON_BODY);
        assert!(value.is_ok());
    }

    #[test]
    fn rejects_body_one_byte_over_the_limit() {
        for limit in [MAX_JSON_BODY, MAX_AI_JSON_BODY] {
            let body = vec![b' '; limit + 1];
            let result = parse_json_body(&json_headers("application/json"), &body, limit);
            assert!(
                matches!(result, Err(ApiError::PayloadTooLarge { limit_bytes }) if limit_bytes == limit),
                "{limit}"
            );
        }
    }

    #[test]
    fn skips_one_byte_order_mark() {
        let value = parse_json_body(
            &json_headers("application/json"),
            b"\xEF\xBB\xBF{\"a\": 1}",
            MAX_JSON_BODY,
        );
        assert_eq!(value.unwrap(), json!({"a": 1}));

        let message = bad_request_message(b"\xEF\xBB\xBF\xEF\xBB\xBF{}");
        assert!(
            message.starts_with("Request body must be valid JSON: "),
            "{message}"
        );
    }

    #[test]
    fn rejects_invalid_utf8_with_position() {
        let message = bad_request_message(b"{\"a\":\n \"\xFF\"}");
        assert_eq!(
            message,
            "Request body must be valid JSON: invalid UTF-8 at line 2 column 3"
        );
    }

    #[test]
    fn rejects_lone_surrogate() {
        let message = bad_request_message(br#"{"name": "\ud800"}"#);
        assert!(
            message.starts_with("Request body must be valid JSON: "),
            "{message}"
        );
        assert!(message.contains("line 1 column"), "{message}");
    }

    #[test]
    fn rejects_nested_duplicate_keys_with_position() {
        let message = bad_request_message(br#"{"lead": {"email": "a", "email": "b"}}"#);
        assert!(
            message.starts_with(
                "Request body must be valid JSON: duplicate key \"email\" at line 1 column"
            ),
            "{message}"
        );
    }

    #[test]
    fn depth_limit_is_32() {
        let headers = json_headers("application/json");
        let accepted = format!("{}{}", "[".repeat(32), "]".repeat(32));
        assert!(parse_json_body(&headers, accepted.as_bytes(), MAX_JSON_BODY).is_ok());

        let rejected = format!("{}{}", "[".repeat(33), "]".repeat(33));
        let message = bad_request_message(rejected.as_bytes());
        assert_eq!(
            message,
            "Request body must be valid JSON: nesting deeper than 32 levels at line 1 column 34"
        );
    }

    #[test]
    fn rejects_trailing_garbage_and_empty_body() {
        let message = bad_request_message(b"{} {}");
        assert_eq!(
            message,
            "Request body must be valid JSON: trailing characters at line 1 column 4"
        );
        let message = bad_request_message(b"");
        assert!(
            message.starts_with("Request body must be valid JSON: EOF"),
            "{message}"
        );
    }

    #[test]
    fn rejects_number_out_of_float_range() {
        for body in [&br#"{"name": 1e400}"#[..], b"-1e400", b"[1, 2e999]"] {
            let message = bad_request_message(body);
            assert!(
                message.starts_with("Request body must be valid JSON: number out of range"),
                "{message}"
            );
        }
        let headers = json_headers("application/json");
        let underflow = parse_json_body(&headers, b"1e-400", MAX_JSON_BODY).unwrap();
        assert_eq!(underflow, json!(0.0));
    }

    #[test]
    fn message_does_not_echo_body() {
        let message = bad_request_message(b"{\"a\": secret-token-value}");
        assert!(!message.contains("secret"), "{message}");
    }

    #[test]
    fn line_and_column_count_from_one() {
        assert_eq!(line_and_column(b"abc", 0), (1, 1));
        assert_eq!(line_and_column(b"ab\ncd", 4), (2, 2));
    }

    #[test]
    fn declared_length_reads_the_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(declared_length(&headers), None);
        headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("65537"),
        );
        assert_eq!(declared_length(&headers), Some(65_537));
        headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("-1"),
        );
        assert_eq!(declared_length(&headers), None);
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
        }
    }

    fn read(
        content_type: Option<&'static str>,
        body: &'static [u8],
        limit: usize,
    ) -> Result<Value, ApiError> {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type {
            headers.insert(CONTENT_TYPE, http::HeaderValue::from_static(value));
        }
        let body = http_body_util::Full::new(Bytes::from_static(body));
        block_on(read_json_body(&headers, body, limit))
    }

    #[test]
    fn read_json_body_checks_media_type_before_size() {
        let error = read(Some("text/plain"), &[b'x'; 100], 10).unwrap_err();
        assert!(matches!(error, ApiError::UnsupportedMediaType), "{error:?}");
    }

    #[test]
    fn read_json_body_caps_the_bytes_read() {
        let error = read(Some("application/json"), &[b' '; 100], 10).unwrap_err();
        assert!(
            matches!(error, ApiError::PayloadTooLarge { limit_bytes: 10 }),
            "{error:?}"
        );
    }

    #[test]
    fn read_json_body_parses_json() {
        let value = read(Some("application/json"), br#"{"a":1}"#, 10).unwrap();
        assert_eq!(value, serde_json::json!({"a": 1}));
    }
}
