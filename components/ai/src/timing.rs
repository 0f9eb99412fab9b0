//! The `Server-Timing` header that reports how long the engine took.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response};

/// `Server-Timing` (W3C Server Timing): metrics of the server's work on a
/// request, each with its duration in milliseconds.
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// Name of the metric for the engine's work, excluding authentication,
/// rate limiting, body parsing, storage and serialisation.
const ENGINE_METRIC: &str = "engine";

/// Runs `work` and returns its result with the time it took on the
/// monotonic clock.
pub(crate) fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = work();
    (result, started.elapsed())
}

/// Adds `Server-Timing: engine;dur=<milliseconds>`, with microsecond
/// precision, to a successful `response`. An error response, such as the
/// `500` of a result that failed to serialise, gets none.
pub(crate) fn add_engine_timing(response: &mut Response<Bytes>, elapsed: Duration) {
    if !response.status().is_success() {
        return;
    }
    let milliseconds = elapsed.as_secs_f64() * 1000.0;
    let value = format!("{ENGINE_METRIC};dur={milliseconds:.3}");
    // The value contains only ASCII letters, digits, `;`, `=` and `.`.
    if let Ok(value) = HeaderValue::try_from(value) {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
}
