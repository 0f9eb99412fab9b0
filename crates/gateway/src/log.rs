//! Log lines about admission decisions that the request line does not
//! show: why credentials failed, and degraded backends.

use std::io::Write as _;

use cloudvelous_domain::Timestamp;
use cloudvelous_http_kit::RequestId;
use serde::Serialize;

/// The request a log line belongs to.
pub(crate) struct LogContext {
    request_id: Option<String>,
}

impl LogContext {
    /// Creates the context of the request with `request_id`, the id that its
    /// request line and response carry.
    pub(crate) fn new(request_id: &RequestId) -> LogContext {
        LogContext {
            request_id: Some(request_id.as_str().to_owned()),
        }
    }
}

#[derive(Serialize)]
struct EventLine<'a> {
    level: &'static str,
    timestamp: String,
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caller: Option<&'a str>,
    detail: &'a str,
}

/// Logs at `info` why a request's credentials were rejected. `reason` names
/// the failed check and must never contain the credential.
pub(crate) fn log_authentication_failure(context: &LogContext, reason: &str) {
    write_line(context, "info", "authentication_failed", None, reason);
}

/// Logs at `warn` that the Redis limiter failed and SQLite decided instead.
pub(crate) fn log_limiter_fallback(context: &LogContext, caller: &str, error: &str) {
    write_line(
        context,
        "warn",
        "rate_limiter_fallback_to_sqlite",
        Some(caller),
        error,
    );
}

/// Logs at `warn` why the database failed an admission check, because the
/// `503` or `500` response leaves the cause out.
pub(crate) fn log_storage_failure(context: &LogContext, error: &str) {
    write_line(context, "warn", "admission_storage_failed", None, error);
}

/// Logs at `warn` that writing an API key's last-used time failed. The
/// request goes on, because the time is bookkeeping.
pub(crate) fn log_touch_failure(context: &LogContext, key_id: &str, error: &str) {
    write_line(
        context,
        "warn",
        "api_key_last_used_update_failed",
        Some(key_id),
        error,
    );
}

fn write_line(
    context: &LogContext,
    level: &'static str,
    event: &'static str,
    caller: Option<&str>,
    detail: &str,
) {
    let line = EventLine {
        level,
        timestamp: Timestamp::now().to_rfc3339(),
        source: "gateway",
        request_id: context.request_id.as_deref(),
        event,
        caller,
        detail,
    };
    let Ok(text) = serde_json::to_string(&line) else {
        return;
    };
    // Stderr is the only log sink, so a line that fails to write is dropped.
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_carries_request_id() {
        let request_id = RequestId::from_headers(&http::HeaderMap::new());
        let context = LogContext::new(&request_id);
        assert_eq!(context.request_id.as_deref(), Some(request_id.as_str()));
    }

    #[test]
    fn event_line_shape() {
        let line = EventLine {
            level: "warn",
            timestamp: "2025-10-18T10:30:00Z".into(),
            source: "gateway",
            request_id: Some("req_1"),
            event: "rate_limiter_fallback_to_sqlite",
            caller: Some("key_0123456789abcdef"),
            detail: "no reply within 1000 ms",
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"level":"warn","timestamp":"2025-10-18T10:30:00Z","source":"gateway","request_id":"req_1","event":"rate_limiter_fallback_to_sqlite","caller":"key_0123456789abcdef","detail":"no reply within 1000 ms"}"#
        );
    }

    #[test]
    fn lines_write_without_panicking() {
        let context = LogContext::new(&RequestId::from_headers(&http::HeaderMap::new()));
        log_authentication_failure(&context, "api key not found");
        log_limiter_fallback(&context, "bootstrap", "connection refused");
        log_touch_failure(&context, "key_0123456789abcdef", "database is locked");
        log_storage_failure(&context, "database is locked");
    }
}
