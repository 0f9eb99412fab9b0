use http::{HeaderValue, StatusCode};
use serde_json::Value;

use super::*;

const NOW: i64 = 1_760_783_400;

fn request_id() -> RequestId {
    let mut headers = HeaderMap::new();
    headers.insert("x-request-id", HeaderValue::from_static("req_gateway1"));
    RequestId::from_headers(&headers)
}

fn render(rejection: &Rejection) -> (Response<Bytes>, Value) {
    let response = rejection.response(&request_id(), Timestamp::from_unix_seconds(NOW));
    let body = serde_json::from_slice(response.body()).unwrap();
    (response, body)
}

fn header<'a, B>(response: &'a Response<B>, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap())
}

fn exhausted() -> RateLimitState {
    RateLimitState {
        limit: 20,
        remaining: 0,
        reset_seconds: 37,
    }
}

#[test]
fn unauthorized_is_401_with_challenge() {
    let (response, body) = render(&Rejection::unauthorized());

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    assert_eq!(body["error"]["request_id"], "req_gateway1");
    assert!(
        header(&response, "www-authenticate")
            .unwrap()
            .starts_with("Bearer realm=\"cloudvelous\"")
    );
    assert_eq!(header(&response, "ratelimit-limit"), None);
}

#[test]
fn forbidden_names_required_scope() {
    let (response, body) = render(&Rejection::forbidden(Scope::WriteLeads));

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    assert_eq!(body["error"]["message"], "Requires scope write:leads");
    assert_eq!(header(&response, "ratelimit-limit"), None);
}

#[test]
fn rate_limited_carries_retry_after_and_budget() {
    let rejection = Rejection::rate_limited(exhausted());
    let (response, body) = render(&rejection);

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert_eq!(header(&response, "retry-after"), Some("37"));
    assert_eq!(header(&response, "ratelimit-limit"), Some("20"));
    assert_eq!(header(&response, "ratelimit-remaining"), Some("0"));
    assert_eq!(header(&response, "ratelimit-reset"), Some("37"));
    assert_eq!(rejection.rate(), Some(&exhausted()));
}

#[test]
fn locked_database_is_503() {
    let error = cloudvelous_storage::StorageError::Unavailable("database is locked".into());
    let rejection = Rejection::storage(error);
    let (response, body) = render(&rejection);

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE");
    assert!(!response.body().windows(6).any(|window| window == b"locked"));
}

#[test]
fn into_error_keeps_error() {
    let error = Rejection::forbidden(Scope::Admin).into_error();
    assert!(matches!(error, ApiError::Forbidden(_)), "{error:?}");
}

#[test]
fn admission_adds_rate_limit_headers() {
    let admission = Admission {
        caller: Caller::Bootstrap,
        grants: Grants::all(),
        rate: Some(RateLimitState {
            limit: 100,
            remaining: 99,
            reset_seconds: 60,
        }),
    };
    let mut response = Response::new(Bytes::new());
    admission.apply(&mut response);

    assert_eq!(header(&response, "ratelimit-limit"), Some("100"));
    assert_eq!(header(&response, "ratelimit-remaining"), Some("99"));
    assert_eq!(header(&response, "ratelimit-reset"), Some("60"));
}

#[test]
fn unlimited_admission_adds_nothing() {
    let admission = Admission {
        caller: Caller::Bootstrap,
        grants: Grants::all(),
        rate: None,
    };
    let mut response = Response::new(Bytes::new());
    admission.apply(&mut response);

    assert!(response.headers().is_empty());
}
