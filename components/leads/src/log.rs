//! Warning lines about backing services, beside the request line that
//! `log_request` writes.

use std::fmt::Display;
use std::io::Write as _;

use cloudvelous_domain::Timestamp;
use cloudvelous_http_kit::RequestId;
use serde::Serialize;

use crate::COMPONENT;

#[derive(Serialize)]
struct ServiceFailureLine<'a> {
    level: &'static str,
    timestamp: String,
    component: &'static str,
    request_id: &'a str,
    service: &'a str,
    error: String,
}

/// Writes one JSON line to stderr saying why `service` (`database` or
/// `queue`) failed during the request, in the field layout of the request
/// lines.
///
/// `error` must not contain secrets: Redis addresses, which may carry a
/// password, are never passed here.
pub(crate) fn log_service_failure(request_id: &RequestId, service: &str, error: &dyn Display) {
    let line = ServiceFailureLine {
        level: "warn",
        timestamp: Timestamp::now().to_rfc3339(),
        component: COMPONENT,
        request_id: request_id.as_str(),
        service,
        error: error.to_string(),
    };
    let Ok(text) = serde_json::to_string(&line) else {
        return;
    };
    // Stderr is the only log sink, so a line that fails to write is dropped.
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
