//! `Idempotency-Key` on `POST /api/leads`: a repeated request gets the first
//! request's response instead of creating a second lead.
//!
//! Keys belong to the caller (API key id, bootstrap key or JWT subject) and
//! are kept 24 hours from the first request. A claim row in SQLite decides
//! which request runs, because `spin:key-value@3.0.0`, the interface behind
//! `spin_sdk::key_value`, has no compare-and-swap. (`wasi:keyvalue/atomics`
//! has one, but the wasmtime test host does not provide it.) The finished
//! response (status, headers without `X-Request-Id`, and body bytes) goes to
//! the key-value store `default`, tagged with the claim's random token. A
//! request with the same key then gets:
//!
//! - the stored response, byte for byte, when the first one finished and the
//!   body is the same JSON value, marked with `Idempotent-Replayed: true`;
//! - `422` when the body differs;
//! - `409` while the first one still runs;
//! - `422`, whatever the body, once the lead that the first request created
//!   or collided with is erased. Erasure drops the body digest, which could
//!   confirm a guess of the erased data, so the key matches no body until it
//!   expires.
//!
//! Responses with a `5xx` status are not stored, and their claim is released
//! so that a retry runs again.
//!
//! NOTE: a claim that is not finished after 60 seconds counts as abandoned
//! and may be taken over. If the first request is in fact still running,
//! both may then store a response, and the later one wins. A retry with the
//! same body still cannot create a second lead, because the unique index on
//! the email comparison key rejects it.

use bytes::Bytes;
use cloudvelous_contract::Lead;
use cloudvelous_domain::{
    FieldError, IdempotencyKey, Timestamp, body_fingerprint, random_alphanumeric,
};
use cloudvelous_gateway::Caller;
use cloudvelous_http_kit::{ApiError, RequestId, error_response, log_service_failure};
use cloudvelous_storage::{Database, IdempotencyClaim, storage_failure};
use http::{HeaderMap, HeaderName, HeaderValue, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spin_sdk::key_value::Store;

use crate::{COMPONENT, leads};

/// Request header that carries the key.
const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// Response header that marks a replayed response.
const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Request id header, which is the one stored header that each response
/// sets anew.
const REQUEST_ID_HEADER: &str = "x-request-id";
/// Prefix of the key-value keys of stored responses.
const RECORD_PREFIX: &str = "idempotency:";
/// Expired claims, with their stored responses, deleted per request.
const PURGE_BATCH: u32 = 10;
/// Random characters of a claim token.
const TOKEN_LENGTH: usize = 24;
/// Name of the key-value store in log lines.
const STORE_SERVICE: &str = "idempotency store";

/// Reads the `Idempotency-Key` header, if sent.
///
/// # Errors
///
/// `400` when the header is sent more than once, or its value is not 1 to
/// 255 visible ASCII characters.
pub(crate) fn key_from_headers(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be sent at most once".to_owned(),
        ));
    }
    IdempotencyKey::parse(value.as_bytes())
        .map(Some)
        .map_err(|error| ApiError::BadRequest(format!("Idempotency-Key {}", error.message())))
}

/// Creates the lead of `json` once per `key` of `caller`, replaying the
/// first response to later requests with the same key and body.
pub(crate) async fn create_once(
    key: &IdempotencyKey,
    caller: &Caller,
    json: &Value,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let claim = Claim {
        scope: key.scope_digest(&caller.rate_limit_id()),
        token: new_token()?,
    };
    let fingerprint = body_fingerprint(json);
    let store = open_store(request_id).await?;
    let now = Timestamp::now();
    purge_expired(database, &store, now, request_id).await;

    let outcome = database
        .claim_idempotency_key(&claim.scope, &fingerprint, &claim.token, now)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    let stored_token = match outcome {
        IdempotencyClaim::Acquired => {
            return claim.run(json, database, &store, request_id).await;
        }
        IdempotencyClaim::InFlight => return Err(in_flight()),
        IdempotencyClaim::OtherBody => return Err(other_body()),
        IdempotencyClaim::Erased => return Err(erased_key()),
        IdempotencyClaim::Completed { token } => token,
    };

    if let Some(record) = load_record(&store, &claim.scope, request_id).await
        && record.token == stored_token
    {
        return record.into_response(request_id);
    }
    // The stored response is gone, such as after the key-value store was
    // reset. Running the request again is safe, because a lead that the
    // first run created makes this one a duplicate.
    let taken_over = database
        .take_over_idempotency_key(&claim.scope, &stored_token, &fingerprint, &claim.token, now)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    if !taken_over {
        return Err(in_flight());
    }
    claim.run(json, database, &store, request_id).await
}

/// A claim that this request owns.
struct Claim {
    /// Digest of the caller and the key.
    scope: [u8; 32],
    /// Random token of this claim.
    token: String,
}

impl Claim {
    /// Creates the lead and stores the response for replays, unless it is a
    /// `5xx`, whose claim is released instead.
    async fn run(
        &self,
        json: &Value,
        database: &Database,
        store: &Store,
        request_id: &RequestId,
    ) -> Result<Response<Bytes>, ApiError> {
        let outcome = leads::store_lead(json, database, request_id).await;
        let lead_id = linked_lead_id(&outcome);
        let response = match outcome.and_then(|lead| leads::created_response(&lead, request_id)) {
            Ok(response) => response,
            Err(error) if error.status().is_server_error() => {
                self.release(database, request_id).await;
                return Err(error);
            }
            // A client error is rendered here, once, so that the response
            // sent now and the one stored for replays are the same bytes,
            // timestamp and request id included. Its request log line then
            // shows the status without the error code.
            Err(error) => error_response(&error, request_id, Timestamp::now()),
        };

        self.record(&response, lead_id.as_deref(), database, store, request_id)
            .await;
        Ok(response)
    }

    /// Stores `response` and marks the claim finished. When the response
    /// cannot be stored, the claim is released, so that a retry runs again
    /// instead of waiting out the lease.
    async fn record(
        &self,
        response: &Response<Bytes>,
        lead_id: Option<&str>,
        database: &Database,
        store: &Store,
        request_id: &RequestId,
    ) {
        let stored = match StoredResponse::capture(&self.token, response) {
            Some(record) => save_record(store, &self.scope, &record).await,
            None => Err("the response body is not UTF-8".to_owned()),
        };
        if let Err(error) = stored {
            log_service_failure(COMPONENT, request_id, STORE_SERVICE, &error);
            self.release(database, request_id).await;
            return;
        }

        let completed = database
            .complete_idempotency_key(&self.scope, &self.token, lead_id, Timestamp::now())
            .await;
        match completed {
            Ok(true) => {}
            Ok(false) => log_service_failure(
                COMPONENT,
                request_id,
                STORE_SERVICE,
                &"another request took the idempotency key over before this one finished",
            ),
            Err(error) => log_service_failure(COMPONENT, request_id, "database", &error),
        }
    }

    async fn release(&self, database: &Database, request_id: &RequestId) {
        let released = database
            .release_idempotency_key(&self.scope, &self.token)
            .await;
        if let Err(error) = released {
            log_service_failure(COMPONENT, request_id, "database", &error);
        }
    }
}

/// Returns the lead that a request created or collided with, so that
/// erasing that lead also erases the digest of this request's body.
fn linked_lead_id(outcome: &Result<Lead, ApiError>) -> Option<String> {
    match outcome {
        Ok(lead) => Some(lead.id.clone()),
        Err(ApiError::Conflict { details, .. }) => details
            .iter()
            .find_map(|detail| detail.existing_lead_id.clone()),
        Err(_) => None,
    }
}

fn in_flight() -> ApiError {
    ApiError::Conflict {
        message:
            "A request with this Idempotency-Key is still in progress. Retry after it finishes"
                .to_owned(),
        details: Vec::new(),
    }
}

fn other_body() -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        "Idempotency-Key",
        "was already used with a different request body. Use a new key for a new request",
    )])
}

fn erased_key() -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        "Idempotency-Key",
        "was used by a request whose lead data has since been erased. Use a new key for a new request",
    )])
}

fn new_token() -> Result<String, ApiError> {
    random_alphanumeric(TOKEN_LENGTH).map_err(|error| {
        ApiError::Internal(anyhow::anyhow!(
            "generating an idempotency claim token failed: {error}"
        ))
    })
}

async fn open_store(request_id: &RequestId) -> Result<Store, ApiError> {
    Store::open_default().await.map_err(|error| {
        log_service_failure(COMPONENT, request_id, STORE_SERVICE, &error);
        ApiError::ServiceUnavailable(
            "The idempotency store is temporarily unavailable. Retry later, or send the request without Idempotency-Key"
                .to_owned(),
        )
    })
}

/// Deletes a few expired claims and their stored responses. A failure is
/// logged and does not fail the request, because the next request retries.
async fn purge_expired(database: &Database, store: &Store, now: Timestamp, request_id: &RequestId) {
    let purged = match database
        .purge_expired_idempotency_keys(now, PURGE_BATCH)
        .await
    {
        Ok(purged) => purged,
        Err(error) => {
            log_service_failure(COMPONENT, request_id, "database", &error);
            return;
        }
    };
    for scope in purged {
        if let Err(error) = store.delete(record_key(&scope)).await {
            log_service_failure(COMPONENT, request_id, STORE_SERVICE, &error);
        }
    }
}

/// Returns the key-value key of the response stored for `scope`: the prefix
/// and the digest in lower-case hexadecimal.
fn record_key(scope: &[u8; 32]) -> String {
    let mut key = String::with_capacity(RECORD_PREFIX.len() + 64);
    key.push_str(RECORD_PREFIX);
    for byte in scope {
        key.push_str(&format!("{byte:02x}"));
    }
    key
}

/// A response as the key-value store keeps it, in JSON.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct StoredResponse {
    /// Token of the claim that stored it.
    token: String,
    /// HTTP status code.
    status: u16,
    /// Header names and values in the order sent, without `X-Request-Id`.
    headers: Vec<(String, String)>,
    /// The body, which is always JSON text.
    body: String,
}

impl StoredResponse {
    /// Captures `response` for the claim `token`. Returns `None` when the
    /// body or a header value is not UTF-8, which the handlers never send.
    fn capture(token: &str, response: &Response<Bytes>) -> Option<StoredResponse> {
        let mut headers = Vec::new();
        for (name, value) in response.headers() {
            if name.as_str() == REQUEST_ID_HEADER {
                continue;
            }
            headers.push((name.as_str().to_owned(), value.to_str().ok()?.to_owned()));
        }
        Some(StoredResponse {
            token: token.to_owned(),
            status: response.status().as_u16(),
            headers,
            body: String::from_utf8(response.body().to_vec()).ok()?,
        })
    }

    /// Rebuilds the response with this request's `X-Request-Id` and
    /// `Idempotent-Replayed: true`.
    fn into_response(self, request_id: &RequestId) -> Result<Response<Bytes>, ApiError> {
        let mut builder = Response::builder().status(self.status);
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder
            .header(REQUEST_ID_HEADER, request_id.as_str())
            .header(
                HeaderName::from_static(REPLAYED_HEADER),
                HeaderValue::from_static("true"),
            )
            .body(Bytes::from(self.body))
            .map_err(|error| {
                ApiError::Internal(
                    anyhow::Error::new(error).context("rebuilding a stored response failed"),
                )
            })
    }
}

async fn save_record(
    store: &Store,
    scope: &[u8; 32],
    record: &StoredResponse,
) -> Result<(), String> {
    let bytes = serde_json::to_vec(record).map_err(|error| error.to_string())?;
    store
        .set(record_key(scope), bytes)
        .await
        .map_err(|error| error.to_string())
}

/// Reads the response stored for `scope`. A read failure or a record that
/// does not decode is logged and reads as missing, so that the request
/// runs again.
async fn load_record(
    store: &Store,
    scope: &[u8; 32],
    request_id: &RequestId,
) -> Option<StoredResponse> {
    let bytes = match store.get(record_key(scope)).await {
        Ok(bytes) => bytes?,
        Err(error) => {
            log_service_failure(COMPONENT, request_id, STORE_SERVICE, &error);
            return None;
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(record) => Some(record),
        Err(error) => {
            log_service_failure(COMPONENT, request_id, STORE_SERVICE, &error);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                IDEMPOTENCY_KEY_HEADER,
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn missing_header_means_no_key() {
        assert_eq!(key_from_headers(&HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn header_value_is_the_key() {
        let key = key_from_headers(&headers(&["order-42"])).unwrap().unwrap();
        assert_eq!(key.as_str(), "order-42");
    }

    #[test]
    fn repeated_or_invalid_header_is_bad_request() {
        for values in [&["a", "b"][..], &["with space"], &[""]] {
            let error = key_from_headers(&headers(values)).unwrap_err();
            assert!(
                matches!(error, ApiError::BadRequest(_)),
                "{values:?}: {error:?}"
            );
        }
    }

    #[test]
    fn record_key_is_hex_digest() {
        let key = record_key(&[0xab; 32]);
        assert_eq!(key, format!("idempotency:{}", "ab".repeat(32)));
    }

    #[test]
    fn stored_response_round_trips_without_request_id() {
        let response = Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .header("content-length", "2")
            .header("location", "/api/leads/lead_abc")
            .header(REQUEST_ID_HEADER, "req_first")
            .body(Bytes::from_static(b"{}"))
            .unwrap();

        let record = StoredResponse::capture("token1", &response).unwrap();
        assert!(
            record
                .headers
                .iter()
                .all(|(name, _)| name != REQUEST_ID_HEADER)
        );
        let bytes = serde_json::to_vec(&record).unwrap();
        let decoded: StoredResponse = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(decoded, record);

        let request_id = RequestId::from_headers(&HeaderMap::new());
        let replay = decoded.into_response(&request_id).unwrap();
        assert_eq!(replay.status(), StatusCode::CREATED);
        assert_eq!(replay.body().as_ref(), b"{}");
        assert_eq!(replay.headers()["location"], "/api/leads/lead_abc");
        assert_eq!(replay.headers()["content-length"], "2");
        assert_eq!(replay.headers()[REQUEST_ID_HEADER], request_id.as_str());
        assert_eq!(replay.headers()[REPLAYED_HEADER], "true");
    }

    #[test]
    fn linked_lead_of_conflict_is_existing_lead() {
        let conflict = ApiError::Conflict {
            message: "duplicate".into(),
            details: vec![cloudvelous_contract::ErrorDetail {
                field: "email".into(),
                message: "taken".into(),
                existing_lead_id: Some("lead_existing".into()),
            }],
        };
        assert_eq!(
            linked_lead_id(&Err(conflict)).as_deref(),
            Some("lead_existing")
        );
        assert_eq!(linked_lead_id(&Err(ApiError::Validation(Vec::new()))), None);
    }
}
