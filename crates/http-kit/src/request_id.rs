//! Request identifiers, sent back in `X-Request-Id` and in error bodies.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use cloudvelous_domain::random_alphanumeric;

/// Name of the header that carries the request identifier both ways.
pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";
const MAX_CLIENT_ID_LENGTH: usize = 64;
const GENERATED_PREFIX: &str = "req_";
const GENERATED_LENGTH: usize = 20;

/// The identifier of one request: the client's `X-Request-Id` when it is
/// safe to reuse, otherwise a new `req_` identifier.
///
/// Every value matches `^[A-Za-z0-9_-]{1,64}$`, so it can be written into a
/// header or a log line without escaping.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// Reuses a client-sent `X-Request-Id` matching `^[A-Za-z0-9_-]{1,64}$`,
    /// else generates `req_` followed by 20 random ASCII letters and digits.
    ///
    /// When several `X-Request-Id` headers are present, only the first is
    /// considered.
    pub fn from_headers(headers: &http::HeaderMap) -> RequestId {
        let client_id = headers
            .get(REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .filter(|value| is_valid_client_id(value));
        match client_id {
            Some(value) => RequestId(value.to_owned()),
            None => RequestId::generate(),
        }
    }

    /// Generates `req_` followed by 20 random ASCII letters and digits.
    ///
    /// If the system's random generator fails, the characters are derived
    /// from the clock and a process-wide counter instead, which keeps them
    /// distinct within the process but makes them predictable.
    pub fn generate() -> RequestId {
        let suffix = random_alphanumeric(GENERATED_LENGTH)
            .unwrap_or_else(|_| fallback_suffix(GENERATED_LENGTH));
        RequestId(format!("{GENERATED_PREFIX}{suffix}"))
    }

    /// Returns the identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

fn is_valid_client_id(value: &str) -> bool {
    (1..=MAX_CLIENT_ID_LENGTH).contains(&value.len())
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

/// Derives `length` letters and digits from the clock and a counter with the
/// SplitMix64 mixing function.
fn fallback_suffix(length: usize) -> String {
    const ALPHANUMERICS: &[u8; 62] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64);
    let mut state = nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32);
    (0..length)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut mixed = state;
            mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            mixed ^= mixed >> 31;
            let index = (mixed % 62) as usize;
            char::from(ALPHANUMERICS.get(index).copied().unwrap_or(b'0'))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};

    use super::*;

    fn headers_with(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_bytes(value).unwrap());
        headers
    }

    fn assert_generated(id: &RequestId) {
        let suffix = id.as_str().strip_prefix("req_").unwrap();
        assert_eq!(suffix.len(), 20);
        assert!(suffix.bytes().all(|byte| byte.is_ascii_alphanumeric()));
    }

    #[test]
    fn reuses_valid_client_id() {
        for value in ["abc", "req_123456789", "A-b_C", &"x".repeat(64)] {
            let id = RequestId::from_headers(&headers_with(value.as_bytes()));
            assert_eq!(id.as_str(), value);
        }
    }

    #[test]
    fn regenerates_invalid_client_id() {
        let too_long = "x".repeat(65);
        for value in [
            too_long.as_bytes(),
            b"",
            b"has space",
            b"semi;colon",
            b"dot.ted",
            b"\xc3\xa9t\xc3\xa9",
        ] {
            let id = RequestId::from_headers(&headers_with(value));
            assert_generated(&id);
        }
    }

    #[test]
    fn generates_id_without_header() {
        let first = RequestId::from_headers(&HeaderMap::new());
        let second = RequestId::from_headers(&HeaderMap::new());
        assert_generated(&first);
        assert_ne!(first, second);
    }

    #[test]
    fn uses_first_of_repeated_headers() {
        let mut headers = HeaderMap::new();
        headers.append(REQUEST_ID_HEADER, HeaderValue::from_static("first"));
        headers.append(REQUEST_ID_HEADER, HeaderValue::from_static("second"));
        assert_eq!(RequestId::from_headers(&headers).as_str(), "first");
    }

    #[test]
    fn fallback_suffix_is_alphanumeric_and_varies() {
        let first = fallback_suffix(20);
        let second = fallback_suffix(20);
        assert_eq!(first.len(), 20);
        assert!(first.bytes().all(|byte| byte.is_ascii_alphanumeric()));
        assert_ne!(first, second);
    }
}
