//! Handlers for `POST /api/leads`, `GET /api/leads/{id}` and
//! `DELETE /api/leads/{id}`.

use bytes::Bytes;
use cloudvelous_contract::{IntakeStatus, Lead, LeadAcknowledgement};
use cloudvelous_domain::{LeadId, NewLead, Timestamp, reject_query_parameters};
use cloudvelous_events::{Budget, publish_pending};
use cloudvelous_gateway::Caller;
use cloudvelous_http_kit::{
    ApiError, MAX_JSON_BODY, RequestId, json_response, log_service_failure, read_json_body,
};
use cloudvelous_storage::{Database, LeadErasure, storage_failure};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde_json::Value;
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use crate::{COMPONENT, idempotency};

/// Message of the acknowledgement that `POST /api/leads` returns.
const CREATED_MESSAGE: &str = "Lead created successfully";

/// Validates and stores a new lead with status `new`, then returns `201`
/// with the acknowledgement and the lead's `Location`.
///
/// With an `Idempotency-Key` header, a repeated request gets the first
/// request's response instead (see [`idempotency`]). The key is checked
/// before the body is read.
pub(crate) async fn create_lead(
    headers: &HeaderMap,
    body: IncomingRequestBody,
    database: &Database,
    caller: &Caller,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let idempotency_key = idempotency::key_from_headers(headers)?;
    let json = read_json_body(headers, body, MAX_JSON_BODY).await?;

    let response = match idempotency_key {
        None => {
            let lead = store_lead(&json, database, request_id).await?;
            created_response(&lead, request_id)
        }
        Some(key) => idempotency::create_once(&key, caller, &json, database, request_id).await,
    };
    if response.is_ok() {
        // The lead's event is committed with it. Publishing it, and any
        // event still pending, is best effort: a failure leaves them for the
        // next retry point and is logged there.
        publish_pending(COMPONENT, database, Budget::AFTER_WRITE, request_id).await;
    }
    response
}

/// Validates the JSON body of a new lead and stores it.
pub(crate) async fn store_lead(
    json: &Value,
    database: &Database,
    request_id: &RequestId,
) -> Result<Lead, ApiError> {
    let new_lead = NewLead::from_json(json).map_err(ApiError::Validation)?;

    // `getrandom::Error` implements `std::error::Error` only with its `std`
    // feature, so the cause is kept as text.
    let id = LeadId::generate().map_err(|error| {
        ApiError::Internal(anyhow::anyhow!("generating a lead id failed: {error}"))
    })?;
    database
        .insert_lead(new_lead, id, Timestamp::now())
        .await
        .map_err(storage_failure(COMPONENT, request_id))
}

/// Builds the `201` acknowledgement of a stored lead, with `Location`.
pub(crate) fn created_response(
    lead: &Lead,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let location = HeaderValue::try_from(format!("/api/leads/{}", lead.id)).map_err(|error| {
        ApiError::Internal(anyhow::Error::new(error).context("building the Location header failed"))
    })?;
    let acknowledgement = LeadAcknowledgement {
        id: lead.id.clone(),
        status: IntakeStatus::Pending,
        created_at: lead.created_at,
        message: CREATED_MESSAGE.to_owned(),
    };
    let mut response = json_response(StatusCode::CREATED, &acknowledgement, request_id);
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// Returns the stored lead with `id`, or `404` when the id is malformed or
/// no live lead has it. Any query parameter is `422`, checked first.
pub(crate) async fn get_lead(
    id: &str,
    query: Option<&str>,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    reject_query_parameters(query).map_err(ApiError::Validation)?;
    let id = LeadId::parse(id).ok_or_else(|| lead_not_found(id))?;

    let lead = database
        .find_lead_by_id(&id)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?
        .ok_or_else(|| lead_not_found(id.as_str()))?;

    Ok(json_response(StatusCode::OK, &lead, request_id))
}

/// Erases the personal data of the live lead with `id` and returns `204`,
/// or `404` when the id is malformed, unknown or already deleted. Any query
/// parameter is `422`, checked first, and erases nothing.
///
/// The lead's status, source and creation time stay for aggregate counts.
/// A failed WAL checkpoint after the erasure is logged and does not fail
/// the request, because the erasure itself is committed.
pub(crate) async fn delete_lead(
    id: &str,
    query: Option<&str>,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    reject_query_parameters(query).map_err(ApiError::Validation)?;
    let id = LeadId::parse(id).ok_or_else(|| lead_not_found(id))?;

    let erasure = database
        .erase_lead(&id, Timestamp::now())
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    match erasure {
        LeadErasure::NotFound => return Err(lead_not_found(id.as_str())),
        LeadErasure::Erased { checkpoint: Ok(()) } => {}
        LeadErasure::Erased {
            checkpoint: Err(error),
        } => {
            let problem = format!(
                "lead {id} is erased, but old page versions stay in the WAL file until the next checkpoint: {error}"
            );
            log_service_failure(COMPONENT, request_id, "database", &problem);
        }
    }
    // Every write is a retry point for events still pending.
    publish_pending(COMPONENT, database, Budget::AFTER_WRITE, request_id).await;

    // A `204` carries neither a body nor `Content-Length` (RFC 9110,
    // section 8.6).
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header("x-request-id", request_id.as_str())
        .body(Bytes::new())
        .map_err(|error| ApiError::Internal(anyhow::Error::new(error)))
}

/// Builds the `404` for a lead id that is malformed, unknown or deleted.
pub(crate) fn lead_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Lead '{id}' not found"))
}
