//! Handlers for `POST /api/leads` and `GET /api/leads/{id}`.

use bytes::Bytes;
use cloudvelous_contract::{IntakeStatus, LeadAcknowledgement};
use cloudvelous_domain::{LeadId, NewLead, Timestamp};
use cloudvelous_http_kit::{ApiError, MAX_JSON_BODY, RequestId, json_response, read_json_body};
use cloudvelous_storage::{Database, storage_failure};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use crate::COMPONENT;

/// Message of the acknowledgement that `POST /api/leads` returns.
const CREATED_MESSAGE: &str = "Lead created successfully";

/// Validates and stores a new lead with status `new`, then returns `201`
/// with the acknowledgement and the lead's `Location`.
pub(crate) async fn create_lead(
    headers: &HeaderMap,
    body: IncomingRequestBody,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let json = read_json_body(headers, body, MAX_JSON_BODY).await?;
    let new_lead = NewLead::from_json(&json).map_err(ApiError::Validation)?;

    // `getrandom::Error` implements `std::error::Error` only with its `std`
    // feature, so the cause is kept as text.
    let id = LeadId::generate().map_err(|error| {
        ApiError::Internal(anyhow::anyhow!("generating a lead id failed: {error}"))
    })?;
    let lead = database
        .insert_lead(new_lead, id, Timestamp::now())
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;

    let location = HeaderValue::try_from(format!("/api/leads/{}", lead.id)).map_err(|error| {
        ApiError::Internal(anyhow::Error::new(error).context("building the Location header failed"))
    })?;
    let acknowledgement = LeadAcknowledgement {
        id: lead.id,
        status: IntakeStatus::Pending,
        created_at: lead.created_at,
        message: CREATED_MESSAGE.to_owned(),
    };
    let mut response = json_response(StatusCode::CREATED, &acknowledgement, request_id);
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// Returns the stored lead with `id`, or `404` when the id is malformed or
/// no live lead has it.
pub(crate) async fn get_lead(
    id: &str,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let not_found = || ApiError::NotFound(format!("Lead '{id}' not found"));
    let id = LeadId::parse(id).ok_or_else(not_found)?;

    let lead = database
        .find_lead_by_id(&id)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?
        .ok_or_else(not_found)?;

    Ok(json_response(StatusCode::OK, &lead, request_id))
}
