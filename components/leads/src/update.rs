//! `PATCH /api/leads/{id}`: new values for a lead's editable fields and
//! status.

use bytes::Bytes;
use cloudvelous_auth::{Grants, Scope};
use cloudvelous_contract::LeadStatus;
use cloudvelous_domain::{
    FieldError, LeadId, LeadPatch, Timestamp, is_status_transition_allowed, reject_query_parameters,
};
use cloudvelous_events::{Budget, publish_pending};
use cloudvelous_gateway::Caller;
use cloudvelous_http_kit::{ApiError, MAX_JSON_BODY, RequestId, json_response, read_json_body};
use cloudvelous_storage::{Database, LeadUpdate, storage_failure};
use http::request::Parts;
use http::{Response, StatusCode};
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use crate::COMPONENT;
use crate::leads::lead_not_found;

/// Applies the JSON body to the live lead `id` and returns `200` with the
/// whole lead, as `GET /api/leads/{id}` shows it.
///
/// The checks run in this order: query parameters (`422`), the body as for
/// `POST /api/leads` (`415`, `413`, `400`), its fields (`422`), then the
/// id. A malformed id therefore gets the same `404` as an unknown one. A
/// status that the transition table forbids is `422` unless the caller's
/// grants include `admin`, and an email whose comparison key another live
/// lead has is `409`. Neither writes anything.
///
/// A status change names the caller as `updated_by` in its
/// `lead.status_updated` event. `Idempotency-Key` is ignored.
pub(crate) async fn update_lead(
    id: &str,
    request: &Parts,
    body: IncomingRequestBody,
    database: &Database,
    caller: &Caller,
    grants: Grants,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    reject_query_parameters(request.uri.query()).map_err(ApiError::Validation)?;
    let json = read_json_body(&request.headers, body, MAX_JSON_BODY).await?;
    let patch = LeadPatch::from_json(&json).map_err(ApiError::Validation)?;
    let id = LeadId::parse(id).ok_or_else(|| lead_not_found(id))?;

    let is_admin = grants.allows(Scope::Admin);
    let is_allowed = |from, to| is_admin || is_status_transition_allowed(from, to);
    let update = database
        .update_lead(
            &id,
            &patch,
            Timestamp::now(),
            &caller.event_actor(),
            is_allowed,
        )
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;

    let lead = match update {
        LeadUpdate::Updated { lead, .. } => lead,
        LeadUpdate::NotFound => return Err(lead_not_found(id.as_str())),
        LeadUpdate::StatusRejected { current } => {
            let requested = patch.status.unwrap_or(current);
            return Err(rejected_transition(current, requested));
        }
    };
    // A status change commits its event with the lead. Publishing it, and
    // any event still pending, is best effort: a failure leaves them for
    // the next retry point and is logged there.
    publish_pending(COMPONENT, database, Budget::AFTER_WRITE, request_id).await;

    Ok(json_response(StatusCode::OK, &lead, request_id))
}

fn rejected_transition(current: LeadStatus, requested: LeadStatus) -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        "status",
        format!("cannot move a lead from {current} to {requested}"),
    )])
}
