//! One structured log line per request.

use std::io::Write as _;

use cloudvelous_domain::Timestamp;
use http::{Method, StatusCode};
use serde::Serialize;

use crate::error::ApiError;
use crate::request_id::RequestId;

/// Paths longer than this are cut in log lines.
const MAX_LOGGED_PATH_CHARS: usize = 256;

#[derive(Serialize)]
struct RequestLine<'a> {
    level: &'static str,
    timestamp: String,
    component: &'a str,
    request_id: &'a str,
    method: &'a str,
    path: &'a str,
    status: u16,
    duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct ServiceFailureLine<'a> {
    level: &'static str,
    timestamp: String,
    component: &'a str,
    request_id: &'a str,
    service: &'a str,
    error: String,
}

/// Writes one `warn` line to stderr saying why `service` (`database`,
/// `queue` or `rate limiter`) failed during a request, beside the request
/// line, because a `503` envelope and its request line leave the cause out.
///
/// `error` must not contain secrets: Redis addresses, which may carry a
/// password, are never passed here.
pub fn log_service_failure(
    component: &str,
    request_id: &RequestId,
    service: &str,
    error: &dyn std::fmt::Display,
) {
    let line = ServiceFailureLine {
        level: "warn",
        timestamp: Timestamp::now().to_rfc3339(),
        component,
        request_id: request_id.as_str(),
        service,
        error: error.to_string(),
    };
    write_json_line(&line);
}

/// Writes `line` as one JSON line on stderr, the only log sink; a line that
/// cannot be written is dropped.
fn write_json_line(line: &impl Serialize) {
    let Ok(text) = serde_json::to_string(line) else {
        return;
    };
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Writes one JSON line to stderr describing a finished request.
///
/// The line has `level` (`info` below status 500, `error` from 500 up),
/// `timestamp`, `component`, `request_id`, `method`, `path` without the
/// query string and cut at 256 characters, `status` and `duration_ms`. When
/// `error` is given it adds `error_code`, and for a 5xx also `error`: the
/// cause chain of an [`ApiError::Internal`] or the message of any other
/// error.
///
/// Bodies, header values and query strings are never logged. The cause
/// chain is logged as written, so code that builds an internal error must
/// keep tokens and email addresses out of its context messages.
pub fn log_request(
    component: &str,
    request_id: &RequestId,
    method: &Method,
    path: &str,
    status: StatusCode,
    duration_ms: u64,
    error: Option<&ApiError>,
) {
    let line = RequestLine {
        level: if status.is_server_error() {
            "error"
        } else {
            "info"
        },
        timestamp: Timestamp::now().to_rfc3339(),
        component,
        request_id: request_id.as_str(),
        method: method.as_str(),
        path: loggable_path(path),
        status: status.as_u16(),
        duration_ms,
        error_code: error.map(|error| error.code().as_str()),
        error: error
            .filter(|_| status.is_server_error())
            .map(describe_cause),
    };
    write_json_line(&line);
}

/// Strips the query string and cuts the path at a character boundary.
fn loggable_path(path: &str) -> &str {
    let without_query = path.split('?').next().unwrap_or_default();
    match without_query.char_indices().nth(MAX_LOGGED_PATH_CHARS) {
        Some((cut, _)) => without_query.get(..cut).unwrap_or_default(),
        None => without_query,
    }
}

/// Returns the cause chain of an internal error, such as
/// `loading lead: database is locked`, or the client message of any other
/// error.
fn describe_cause(error: &ApiError) -> String {
    match error {
        ApiError::Internal(cause) => format!("{cause:#}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_loses_query_string() {
        assert_eq!(
            loggable_path("/api/leads?email=john@example.com"),
            "/api/leads"
        );
        assert_eq!(loggable_path("/health"), "/health");
    }

    #[test]
    fn long_path_is_cut_at_character_boundary() {
        let path = format!("/{}", "é".repeat(300));
        let logged = loggable_path(&path);
        assert_eq!(logged.chars().count(), MAX_LOGGED_PATH_CHARS);
    }

    #[test]
    fn internal_cause_chain_is_described() {
        let error =
            ApiError::Internal(anyhow::anyhow!("database is locked").context("loading lead"));
        assert_eq!(describe_cause(&error), "loading lead: database is locked");
    }

    #[test]
    fn request_line_shape() {
        let error = ApiError::Internal(anyhow::anyhow!("database is locked"));
        let line = RequestLine {
            level: "error",
            timestamp: "2025-10-18T10:30:00Z".into(),
            component: "leads",
            request_id: "req_1",
            method: "POST",
            path: loggable_path("/api/leads?x=1"),
            status: 500,
            duration_ms: 12,
            error_code: Some(error.code().as_str()),
            error: Some(describe_cause(&error)),
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"level":"error","timestamp":"2025-10-18T10:30:00Z","component":"leads","request_id":"req_1","method":"POST","path":"/api/leads","status":500,"duration_ms":12,"error_code":"INTERNAL_ERROR","error":"database is locked"}"#
        );
    }

    #[test]
    fn log_request_writes_without_panicking() {
        let request_id = RequestId::generate();
        log_request(
            "leads",
            &request_id,
            &Method::GET,
            "/health",
            StatusCode::OK,
            1,
            None,
        );
        let error = ApiError::NotFound("Lead not found".into());
        log_request(
            "leads",
            &request_id,
            &Method::GET,
            "/api/leads/lead_x",
            StatusCode::NOT_FOUND,
            1,
            Some(&error),
        );
    }
}
