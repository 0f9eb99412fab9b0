//! Reading request bodies with a size cap.

use bytes::Bytes;
use cloudvelous_http_kit::ApiError;
use http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

/// Reads the whole request body, stopping as soon as it grows past `limit`
/// bytes.
///
/// A `Content-Length` above `limit` is rejected before any byte is read, so
/// an oversized upload gets `413` instead of being buffered.
pub(crate) async fn read_capped(
    headers: &HeaderMap,
    body: IncomingRequestBody,
    limit: usize,
) -> Result<Bytes, ApiError> {
    if declared_length(headers).is_some_and(|length| length > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
    }

    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => {
            Err(ApiError::PayloadTooLarge { limit_bytes: limit })
        }
        Err(error) => Err(ApiError::BadRequest(format!(
            "Failed to read the request body: {error}"
        ))),
    }
}

/// Returns the `Content-Length` value, or `None` when the header is absent
/// or not a number. The cap on the bytes read applies either way.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers_with_length(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn declared_length_parses_number() {
        assert_eq!(declared_length(&headers_with_length("65537")), Some(65_537));
    }

    #[test]
    fn declared_length_absent_or_malformed_is_none() {
        assert_eq!(declared_length(&HeaderMap::new()), None);
        assert_eq!(declared_length(&headers_with_length("ten")), None);
        assert_eq!(declared_length(&headers_with_length("-1")), None);
    }
}
