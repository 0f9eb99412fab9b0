//! Handler for `POST /api/test/generate-leads`: creates realistic leads
//! spread over the last 30 UTC days, with varied statuses.

use bytes::Bytes;
use cloudvelous_contract::{LeadSource, LeadStatus};
use cloudvelous_domain::{FieldError, LeadId, NewLead, Timestamp};
use cloudvelous_events::{Budget, publish_pending};
use cloudvelous_http_kit::{ApiError, MAX_JSON_BODY, RequestId, json_response, read_json_body};
use cloudvelous_storage::{
    Database, SECONDS_PER_DAY, StatusChangeOutcome, StorageError, storage_failure, unix_day,
};
use http::{HeaderMap, Response, StatusCode};
use serde::Serialize;
use serde_json::Value;
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use crate::COMPONENT;
use crate::random::SampleRandom;
use crate::sample::{SPREAD_DAYS, final_status, lead_body, source_for};

/// Most leads one request may generate.
const MAX_COUNT: u64 = 1000;

/// Emails tried per lead before a clash with stored leads counts as a
/// failure. A clash needs two equal 8-character random tags on the same
/// name and domain, which has a chance of about 1 in 36^8 per pair.
const EMAIL_ATTEMPTS: usize = 5;

/// Maximum time between a generated lead's creation and its status
/// change: three days, or less when the lead is younger.
const STATUS_DELAY_SECONDS: i64 = 3 * 86_400;

const INVALID_SOURCE: &str = "must be one of: website, social, referral, email, phone";

/// A validated request body.
#[derive(Debug, PartialEq, Eq)]
struct GenerateRequest {
    count: usize,
    source: Option<LeadSource>,
}

/// The `201` body.
#[derive(Serialize)]
struct GeneratedLeads {
    created: usize,
    ids: Vec<String>,
}

/// Creates `count` leads with `POST /api/leads`'s validation and storage,
/// then moves most of them to a later status through the status-change
/// function, and returns `201` with their ids in creation order.
///
/// Each lead is one write transaction and each status change another, so
/// the leads created before a failure stay stored while the response
/// reports the failure.
pub(crate) async fn generate_leads(
    headers: &HeaderMap,
    body: IncomingRequestBody,
    database: &Database,
    updated_by: &str,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let json = read_json_body(headers, body, MAX_JSON_BODY).await?;
    let request = GenerateRequest::from_json(&json).map_err(ApiError::Validation)?;

    let mut random = SampleRandom::from_system().map_err(random_failure)?;
    let now = Timestamp::now();
    let mut ids = Vec::with_capacity(request.count);
    for index in 0..request.count {
        let source = source_for(index, request.source);
        let id = generate_lead(
            database,
            &mut random,
            index,
            source,
            now,
            updated_by,
            request_id,
        )
        .await?;
        ids.push(id.into_inner());
    }

    // The generated leads' events are committed with them; publishing them
    // is best effort, and a failure leaves them for the next retry point.
    publish_pending(COMPONENT, database, Budget::FLUSH, request_id).await;

    let generated = GeneratedLeads {
        created: ids.len(),
        ids,
    };
    Ok(json_response(StatusCode::CREATED, &generated, request_id))
}

/// Stores lead number `index` of a batch and moves it to its final status.
/// The lead is created at a random time from the start of the UTC day 29
/// days before `now` up to `now`, and changed at a random later time that
/// is not after `now`.
async fn generate_lead(
    database: &Database,
    random: &mut SampleRandom,
    index: usize,
    source: LeadSource,
    now: Timestamp,
    updated_by: &str,
    request_id: &RequestId,
) -> Result<LeadId, ApiError> {
    let first_second = (unix_day(now) - (SPREAD_DAYS - 1)) * SECONDS_PER_DAY;
    let age = random_seconds(random, now.unix_seconds() - first_second + 1);
    let created_at = Timestamp::from_unix_seconds(now.unix_seconds() - age);
    let id = insert_generated_lead(database, random, source, created_at, request_id).await?;

    let status = final_status(index);
    if status != LeadStatus::New {
        let delay = random_seconds(random, STATUS_DELAY_SECONDS).min(age);
        let changed_at = Timestamp::from_unix_seconds(created_at.unix_seconds() + delay);
        change_status(database, &id, status, changed_at, updated_by, request_id).await?;
    }
    Ok(id)
}

/// Stores one generated lead with status `new`, drawing a new email when
/// the drawn one matches a stored lead.
async fn insert_generated_lead(
    database: &Database,
    random: &mut SampleRandom,
    source: LeadSource,
    created_at: Timestamp,
    request_id: &RequestId,
) -> Result<LeadId, ApiError> {
    let mut attempt = 1;
    loop {
        let lead = generated_lead(random, source)?;
        let id = LeadId::generate().map_err(random_failure)?;
        match database.insert_lead(lead, id.clone(), created_at).await {
            Ok(_) => return Ok(id),
            Err(StorageError::DuplicateEmail { .. }) if attempt < EMAIL_ATTEMPTS => attempt += 1,
            Err(error @ StorageError::DuplicateEmail { .. }) => {
                let cause = anyhow::Error::new(error).context(format!(
                    "{EMAIL_ATTEMPTS} generated emails matched stored leads"
                ));
                return Err(ApiError::Internal(cause));
            }
            Err(error) => return Err(storage_failure(COMPONENT, request_id)(error)),
        }
    }
}

/// Draws a lead and validates it as `POST /api/leads` does, so generated
/// data never contains what the API would reject.
fn generated_lead(random: &mut SampleRandom, source: LeadSource) -> Result<NewLead, ApiError> {
    let body = lead_body(random, source);
    NewLead::from_json(&body).map_err(|errors| {
        let fields: Vec<String> = errors
            .iter()
            .map(|error| format!("{} {}", error.field, error.message))
            .collect();
        ApiError::Internal(anyhow::anyhow!(
            "a generated lead is invalid: {}",
            fields.join("; ")
        ))
    })
}

/// Moves a freshly generated lead to `status`. A lead deleted in between
/// keeps its row and counts, so it is left as it is.
async fn change_status(
    database: &Database,
    id: &LeadId,
    status: LeadStatus,
    at: Timestamp,
    updated_by: &str,
    request_id: &RequestId,
) -> Result<(), ApiError> {
    let outcome = database
        .change_lead_status(id, status, at, updated_by, |_, _| true)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    match outcome {
        StatusChangeOutcome::Changed(_) | StatusChangeOutcome::NotFound => Ok(()),
        StatusChangeOutcome::Rejected { current } => Err(ApiError::Internal(anyhow::anyhow!(
            "the move of {id} from {current} to {status} was rejected"
        ))),
    }
}

/// Returns a random number of seconds from 0 to `max - 1`.
fn random_seconds(random: &mut SampleRandom, max: i64) -> i64 {
    let bound = u64::try_from(max).unwrap_or(0);
    i64::try_from(random.below(bound)).unwrap_or(0)
}

fn random_failure(error: getrandom::Error) -> ApiError {
    // `getrandom::Error` implements `std::error::Error` only with its `std`
    // feature, so the cause is kept as text.
    ApiError::Internal(anyhow::anyhow!(
        "the system's random generator failed: {error}"
    ))
}

impl GenerateRequest {
    /// Parses `{"count": 1..=1000, "source": "<lead source>"}`, where
    /// `source` is optional but not `null`, collecting every field error.
    fn from_json(value: &Value) -> Result<GenerateRequest, Vec<FieldError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![FieldError::new("body", "must be a JSON object")]);
        };
        let mut errors = Vec::new();

        let count = match object.get("count") {
            None => {
                errors.push(FieldError::new("count", "is required"));
                None
            }
            Some(count) => parse_count(count, &mut errors),
        };
        let source = match object.get("source") {
            None => None,
            Some(source) => parse_source(source, &mut errors),
        };
        let mut unknown: Vec<&String> = object
            .keys()
            .filter(|key| !matches!(key.as_str(), "count" | "source"))
            .collect();
        unknown.sort();
        for key in unknown {
            errors.push(FieldError::new(
                key.as_str(),
                "is not a field of this request",
            ));
        }

        match count {
            Some(count) if errors.is_empty() => Ok(GenerateRequest { count, source }),
            _ => Err(errors),
        }
    }
}

fn parse_count(value: &Value, errors: &mut Vec<FieldError>) -> Option<usize> {
    let count = value
        .as_u64()
        .filter(|count| (1..=MAX_COUNT).contains(count))
        .and_then(|count| usize::try_from(count).ok());
    if count.is_none() {
        errors.push(FieldError::new(
            "count",
            format!("must be an integer from 1 to {MAX_COUNT}"),
        ));
    }
    count
}

fn parse_source(value: &Value, errors: &mut Vec<FieldError>) -> Option<LeadSource> {
    let source = value.as_str().and_then(LeadSource::parse);
    if source.is_none() {
        errors.push(FieldError::new("source", INVALID_SOURCE));
    }
    source
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|error| error.field.as_str()).collect()
    }

    #[test]
    fn count_and_source_are_parsed() {
        assert_eq!(
            GenerateRequest::from_json(&json!({"count": 10, "source": "website"})),
            Ok(GenerateRequest {
                count: 10,
                source: Some(LeadSource::Website),
            })
        );
        assert_eq!(
            GenerateRequest::from_json(&json!({"count": 1000})),
            Ok(GenerateRequest {
                count: 1000,
                source: None,
            })
        );
    }

    #[test]
    fn count_outside_range_or_not_integer_is_rejected() {
        for count in [
            json!(0),
            json!(1001),
            json!(-1),
            json!(2.5),
            json!(10.0),
            json!("10"),
        ] {
            let errors = GenerateRequest::from_json(&json!({ "count": count })).unwrap_err();
            assert_eq!(fields(&errors), ["count"], "{count}");
        }
    }

    #[test]
    fn every_field_error_is_reported() {
        let body = json!({"source": null, "zeta": 1, "alpha": 2});
        let errors = GenerateRequest::from_json(&body).unwrap_err();
        assert_eq!(fields(&errors), ["count", "source", "alpha", "zeta"]);
    }

    #[test]
    fn source_is_case_sensitive() {
        let errors =
            GenerateRequest::from_json(&json!({"count": 1, "source": "Website"})).unwrap_err();
        assert_eq!(fields(&errors), ["source"]);
    }

    #[test]
    fn body_must_be_object() {
        let errors = GenerateRequest::from_json(&json!([1])).unwrap_err();
        assert_eq!(fields(&errors), ["body"]);
    }
}
