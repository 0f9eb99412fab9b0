//! Handlers for `POST /api/leads` and `GET /api/leads/{id}`.

use bytes::Bytes;
use cloudvelous_contract::{IntakeStatus, LeadAcknowledgement};
use cloudvelous_domain::{LeadId, NewLead, Timestamp};
use cloudvelous_http_kit::{ApiError, MAX_JSON_BODY, RequestId, json_response, parse_json_body};
use cloudvelous_storage::{Database, StorageError};
use http::{HeaderValue, Response, StatusCode, header};
use spin_sdk::http::Request;

use crate::body;
use crate::log::log_service_failure;

/// Message of the acknowledgement that `POST /api/leads` returns.
const CREATED_MESSAGE: &str = "Lead created successfully";

/// Validates and stores a new lead with status `new`, then returns `201`
/// with the acknowledgement and the lead's `Location`.
pub(crate) async fn create_lead(
    request: Request,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = body::read_capped(&parts.headers, body, MAX_JSON_BODY).await?;
    let json = parse_json_body(&parts.headers, &bytes, MAX_JSON_BODY)?;
    let new_lead = NewLead::from_json(&json).map_err(ApiError::Validation)?;

    // `getrandom::Error` implements `std::error::Error` only with its `std`
    // feature, so the cause is kept as text.
    let id = LeadId::generate().map_err(|error| {
        ApiError::Internal(anyhow::anyhow!("generating a lead id failed: {error}"))
    })?;
    let database = Database::open()
        .await
        .map_err(storage_failure(request_id))?;
    let lead = database
        .insert_lead(new_lead, id, Timestamp::now())
        .await
        .map_err(storage_failure(request_id))?;

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
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let not_found = || ApiError::NotFound(format!("Lead '{id}' not found"));
    let id = LeadId::parse(id).ok_or_else(not_found)?;

    let database = Database::open()
        .await
        .map_err(storage_failure(request_id))?;
    let lead = database
        .find_lead_by_id(&id)
        .await
        .map_err(storage_failure(request_id))?
        .ok_or_else(not_found)?;

    Ok(json_response(StatusCode::OK, &lead, request_id))
}

/// Converts a storage failure into its API error. Neither the `503` envelope
/// nor its request log line carries the cause, so the cause of an
/// unavailable database is logged here.
fn storage_failure(request_id: &RequestId) -> impl FnOnce(StorageError) -> ApiError + '_ {
    move |error| {
        if let StorageError::Unavailable(_) = &error {
            log_service_failure(request_id, "database", &error);
        }
        ApiError::from(error)
    }
}
