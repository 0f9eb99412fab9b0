//! JSON responses and the error envelope.

use std::io::Write as _;

use bytes::Bytes;
use cloudvelous_contract::{ErrorBody, ErrorEnvelope};
use cloudvelous_domain::Timestamp;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Response, StatusCode};
use serde::Serialize;

use crate::echo_limits::{cap_details, cap_text};
use crate::error::{ApiError, join_methods};
use crate::request_id::{REQUEST_ID_HEADER, RequestId};

const APPLICATION_JSON: &str = "application/json";
/// The challenge that every `401` carries (RFC 6750 section 3).
const BEARER_CHALLENGE: &str = r#"Bearer realm="cloudvelous", error="invalid_token""#;
/// Seconds a client should wait before retrying after a `503`. The backing
/// services recover within that time when they are only busy, such as a
/// database locked by another writer.
const SERVICE_UNAVAILABLE_RETRY_SECONDS: u64 = 1;

/// Builds a JSON response with `Content-Type: application/json`,
/// `Content-Length` and `X-Request-Id`.
///
/// If `body` fails to serialise, which only happens for values that JSON
/// cannot express such as a NaN confidence, the response is the
/// `500 INTERNAL_ERROR` envelope instead and the failure is logged to
/// stderr. Callers should therefore log the returned response's status.
pub fn json_response<T: Serialize>(
    status: StatusCode,
    body: &T,
    request_id: &RequestId,
) -> Response<Bytes> {
    match serde_json::to_vec(body) {
        Ok(bytes) => build(status, Bytes::from(bytes), request_id),
        Err(error) => {
            log_serialization_failure(request_id, &error);
            let error = ApiError::Internal(anyhow::Error::new(error));
            error_response(&error, request_id, Timestamp::now())
        }
    }
}

/// Builds the error envelope
/// `{"error": {"code", "message", "details", "timestamp", "request_id"}}`
/// with `Content-Type`, `Content-Length` and `X-Request-Id`, plus `Allow` on
/// `405`, `Retry-After` on `429` and `503` (`1` on the latter) and
/// `WWW-Authenticate` on `401`.
///
/// Because messages and details can quote client input, the `message` and
/// each detail's `field` and `message` are cut at 200 characters, ending
/// in `…`. At most 50 details are sent. When there are more, the 50th is
/// for the field `body` and counts the ones left out.
///
/// An [`ApiError::Internal`] shows only `Internal server error`; log its
/// cause with [`log_request`](crate::log_request).
pub fn error_response(error: &ApiError, request_id: &RequestId, now: Timestamp) -> Response<Bytes> {
    let envelope = ErrorEnvelope {
        error: ErrorBody {
            code: error.code(),
            message: cap_text(error.to_string()),
            details: cap_details(error.details()),
            timestamp: now.unix_seconds(),
            request_id: request_id.as_str().to_owned(),
        },
    };
    let (status, body) = match serde_json::to_vec(&envelope) {
        Ok(bytes) => (error.status(), Bytes::from(bytes)),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            fallback_body(request_id, now),
        ),
    };
    let mut response = build(status, body, request_id);

    let headers = response.headers_mut();
    match error {
        ApiError::MethodNotAllowed { allow } => {
            if let Ok(value) = HeaderValue::from_str(&join_methods(allow)) {
                headers.insert(ALLOW, value);
            }
        }
        ApiError::RateLimited {
            retry_after_seconds,
        } => {
            headers.insert(RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
        }
        ApiError::Unauthorized => {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(BEARER_CHALLENGE));
        }
        ApiError::ServiceUnavailable(_) => {
            headers.insert(
                RETRY_AFTER,
                HeaderValue::from(SERVICE_UNAVAILABLE_RETRY_SECONDS),
            );
        }
        _ => {}
    }
    response
}

/// Builds the `OPTIONS` response: `200` with an empty body, `Allow`,
/// `Content-Length: 0` and `X-Request-Id`. A `204` must not carry
/// `Content-Length` (RFC 9110, section 8.6), so the status is `200`.
pub fn options_response(allow: &[Method], request_id: &RequestId) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&join_methods(allow)) {
        headers.insert(ALLOW, value);
    }
    headers.insert(CONTENT_LENGTH, HeaderValue::from(0));
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

fn build(status: StatusCode, body: Bytes, request_id: &RequestId) -> Response<Bytes> {
    let length = body.len();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    // Request ids contain only letters, digits, `_` and `-`, which are
    // always valid header characters.
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Writes an internal-error envelope without serde, for the case where
/// serialising the real envelope fails. Neither the request id nor the
/// timestamp needs escaping.
fn fallback_body(request_id: &RequestId, now: Timestamp) -> Bytes {
    Bytes::from(format!(
        r#"{{"error":{{"code":"INTERNAL_ERROR","message":"Internal server error","details":[],"timestamp":"{now}","request_id":"{request_id}"}}}}"#
    ))
}

fn log_serialization_failure(request_id: &RequestId, error: &serde_json::Error) {
    let line = serde_json::json!({
        "level": "error",
        "request_id": request_id.as_str(),
        "message": "failed to serialise response body",
        "error": error.to_string(),
    });
    // A log line that cannot be written has nowhere else to go.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use cloudvelous_contract::{ErrorCode, ErrorDetail};
    use cloudvelous_domain::FieldError;
    use http::Method;
    use serde_json::{Value, json};

    use super::*;

    const NOW: i64 = 1_760_783_400;

    fn request_id() -> RequestId {
        let mut headers = http::HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("req_123456789"));
        RequestId::from_headers(&headers)
    }

    fn render(error: &ApiError) -> (Response<Bytes>, Value) {
        let response = error_response(error, &request_id(), Timestamp::from_unix_seconds(NOW));
        let body = serde_json::from_slice(response.body()).unwrap();
        (response, body)
    }

    fn header<'a>(response: &'a Response<Bytes>, name: &str) -> Option<&'a str> {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap())
    }

    fn assert_common_headers(response: &Response<Bytes>) {
        assert_eq!(header(response, "content-type"), Some("application/json"));
        assert_eq!(header(response, "x-request-id"), Some("req_123456789"));
        let length: usize = header(response, "content-length").unwrap().parse().unwrap();
        assert_eq!(length, response.body().len());
    }

    fn envelope(code: &str, message: &str, details: Value) -> Value {
        json!({
            "error": {
                "code": code,
                "message": message,
                "details": details,
                "timestamp": "2025-10-18T10:30:00Z",
                "request_id": "req_123456789"
            }
        })
    }

    const ALLOW_GET_POST: &[Method] = &[Method::GET, Method::POST];

    fn every_error() -> Vec<(ApiError, u16, &'static str, &'static str)> {
        vec![
            (
                ApiError::BadRequest("Request body must be valid JSON: EOF".into()),
                400,
                "BAD_REQUEST",
                "Request body must be valid JSON: EOF",
            ),
            (
                ApiError::Unauthorized,
                401,
                "UNAUTHORIZED",
                "Invalid or missing credentials",
            ),
            (
                ApiError::Forbidden("Requires scope write:leads".into()),
                403,
                "FORBIDDEN",
                "Requires scope write:leads",
            ),
            (
                ApiError::NotFound("Lead not found".into()),
                404,
                "NOT_FOUND",
                "Lead not found",
            ),
            (
                ApiError::MethodNotAllowed {
                    allow: ALLOW_GET_POST,
                },
                405,
                "METHOD_NOT_ALLOWED",
                "Method not allowed. This resource accepts GET, POST",
            ),
            (
                ApiError::Conflict {
                    message: "A lead with this email address already exists".into(),
                    details: Vec::new(),
                },
                409,
                "CONFLICT",
                "A lead with this email address already exists",
            ),
            (
                ApiError::PayloadTooLarge { limit_bytes: 65536 },
                413,
                "PAYLOAD_TOO_LARGE",
                "Request body exceeds 65536 bytes",
            ),
            (
                ApiError::UnsupportedMediaType,
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "Content-Type must be application/json",
            ),
            (
                ApiError::Validation(Vec::new()),
                422,
                "VALIDATION_ERROR",
                "Invalid input data",
            ),
            (
                ApiError::RateLimited {
                    retry_after_seconds: 17,
                },
                429,
                "RATE_LIMITED",
                "Rate limit exceeded. Retry after 17 seconds",
            ),
            (
                ApiError::Internal(anyhow::anyhow!("database file is locked")),
                500,
                "INTERNAL_ERROR",
                "Internal server error",
            ),
            (
                ApiError::ServiceUnavailable("The database is unavailable".into()),
                503,
                "SERVICE_UNAVAILABLE",
                "The database is unavailable",
            ),
        ]
    }

    #[test]
    fn every_error_has_status_code_and_envelope() {
        let errors = every_error();
        assert_eq!(errors.len(), ErrorCode::ALL.len());
        for (error, status, code, message) in errors {
            assert_eq!(error.status().as_u16(), status, "{code}");
            assert_eq!(error.code().as_str(), code);
            let (response, body) = render(&error);
            assert_eq!(response.status().as_u16(), status, "{code}");
            assert_common_headers(&response);
            assert_eq!(body, envelope(code, message, json!([])), "{code}");
        }
    }

    #[test]
    fn validation_error_lists_field_details() {
        let error = ApiError::from(vec![
            FieldError::new("email", "must be a valid email address"),
            FieldError::new("source", "is required"),
        ]);
        let (response, body) = render(&error);
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body,
            envelope(
                "VALIDATION_ERROR",
                "Invalid input data",
                json!([
                    {"field": "email", "message": "must be a valid email address"},
                    {"field": "source", "message": "is required"}
                ])
            )
        );
    }

    #[test]
    fn conflict_carries_existing_lead_id() {
        let error = ApiError::Conflict {
            message: "A lead with this email address already exists".into(),
            details: vec![ErrorDetail {
                field: "email".into(),
                message: "is already used by another lead".into(),
                existing_lead_id: Some("lead_abc".into()),
            }],
        };
        let (_, body) = render(&error);
        assert_eq!(
            body["error"]["details"],
            json!([{
                "field": "email",
                "message": "is already used by another lead",
                "existing_lead_id": "lead_abc"
            }])
        );
    }

    #[test]
    fn method_not_allowed_sets_allow_header() {
        let (response, _) = render(&ApiError::MethodNotAllowed {
            allow: ALLOW_GET_POST,
        });
        assert_eq!(header(&response, "allow"), Some("GET, POST"));
    }

    #[test]
    fn rate_limited_sets_retry_after() {
        let (response, _) = render(&ApiError::RateLimited {
            retry_after_seconds: 17,
        });
        assert_eq!(header(&response, "retry-after"), Some("17"));
    }

    #[test]
    fn service_unavailable_sets_retry_after() {
        let (response, _) = render(&ApiError::ServiceUnavailable(
            "The database is unavailable".into(),
        ));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header(&response, "retry-after"), Some("1"));
    }

    #[test]
    fn long_message_is_cut() {
        let error = ApiError::BadRequest(format!(
            "Request body must be valid JSON: {}",
            "x".repeat(10_000)
        ));
        let (_, body) = render(&error);
        let message = body["error"]["message"].as_str().unwrap();
        assert_eq!(message.chars().count(), 200);
        assert!(
            message.starts_with("Request body must be valid JSON: x"),
            "{message}"
        );
        assert!(message.ends_with('…'), "{message}");
    }

    #[test]
    fn many_details_are_capped() {
        let errors: Vec<FieldError> = (0..5_000)
            .map(|index| FieldError::new(format!("{index:04}{}", "k".repeat(500)), "unknown field"))
            .collect();
        let (response, body) = render(&ApiError::Validation(errors));
        let details = body["error"]["details"].as_array().unwrap();
        assert_eq!(details.len(), 50);
        let first = details[0]["field"].as_str().unwrap();
        assert_eq!(first.chars().count(), 200);
        assert!(first.starts_with("0000k"), "{first}");
        assert_eq!(
            details[49],
            json!({"field": "body", "message": "4951 more errors were left out"})
        );
        assert!(
            response.body().len() < 16 * 1024,
            "{}",
            response.body().len()
        );
    }

    #[test]
    fn unauthorized_sets_bearer_challenge() {
        let (response, _) = render(&ApiError::Unauthorized);
        assert_eq!(
            header(&response, "www-authenticate"),
            Some(r#"Bearer realm="cloudvelous", error="invalid_token""#)
        );
    }

    #[test]
    fn other_errors_set_no_extra_headers() {
        let (response, _) = render(&ApiError::NotFound("Lead not found".into()));
        for name in ["allow", "retry-after", "www-authenticate"] {
            assert_eq!(header(&response, name), None, "{name}");
        }
    }

    #[test]
    fn internal_error_hides_cause() {
        let error = ApiError::Internal(
            anyhow::anyhow!("SELECT * FROM leads failed").context("loading lead"),
        );
        let (response, _) = render(&error);
        let text = std::str::from_utf8(response.body()).unwrap();
        assert!(!text.contains("SELECT"), "{text}");
        assert!(!text.contains("loading"), "{text}");
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn json_response_sets_headers() {
        let response = json_response(StatusCode::CREATED, &json!({"id": "lead_1"}), &request_id());
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_common_headers(&response);
        assert_eq!(response.body().as_ref(), br#"{"id":"lead_1"}"#);
    }

    #[test]
    fn json_response_turns_serialization_failure_into_500() {
        let response = json_response(StatusCode::OK, &non_string_key_map(), &request_id());
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_common_headers(&response);
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["error"]["code"], json!("INTERNAL_ERROR"));
    }

    /// Returns a map with a non-string key, which JSON cannot express.
    fn non_string_key_map() -> std::collections::BTreeMap<Vec<u8>, u8> {
        std::collections::BTreeMap::from([(vec![1], 1)])
    }

    #[test]
    fn fallback_body_is_a_valid_envelope() {
        let body = fallback_body(&request_id(), Timestamp::from_unix_seconds(NOW));
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            envelope("INTERNAL_ERROR", "Internal server error", json!([]))
        );
    }
}
