//! Handler for `GET /api/analytics/sentiment?lead_id=`: the tone and topics
//! of a stored lead's notes, computed by the text-analysis engine.

use bytes::Bytes;
use cloudvelous_contract::{Sentiment, SentimentReport};
use cloudvelous_domain::{FieldError, LeadId, Timestamp};
use cloudvelous_engine::entities::{extract, topic_names};
use cloudvelous_http_kit::{ApiError, RequestId, json_response};
use cloudvelous_storage::{Database, storage_failure};
use http::{Response, StatusCode};

use crate::COMPONENT;
use crate::date_range::percent_decode;

/// The one query parameter of the endpoint.
const LEAD_ID: &str = "lead_id";

/// Reads `lead_id` from `query`, loads the live lead and returns `200` with
/// the sentiment report of its notes, or `404` when the id is malformed or
/// names no live lead.
pub(crate) async fn sentiment_report(
    query: Option<&str>,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let raw_id = lead_id_parameter(query.unwrap_or_default()).map_err(ApiError::Validation)?;
    let id = LeadId::parse(&raw_id).ok_or_else(|| lead_not_found(&raw_id))?;

    let lead = database
        .find_lead_by_id(&id)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?
        .ok_or_else(|| lead_not_found(id.as_str()))?;

    let report = build_report(lead.id, lead.notes.as_deref(), Timestamp::now());
    Ok(json_response(StatusCode::OK, &report, request_id))
}

/// Returns the percent-decoded value of the only parameter, `lead_id`.
///
/// # Errors
///
/// Returns one [`FieldError`] per problem: a missing or empty `lead_id`,
/// one sent more than once or badly percent-encoded, and each other
/// parameter.
fn lead_id_parameter(query: &str) -> Result<String, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut lead_id = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(raw_name).unwrap_or_else(|| raw_name.to_owned());
        if name != LEAD_ID {
            let message = "is not a query parameter of this endpoint. Use lead_id";
            errors.push(FieldError::new(name, message));
        } else if lead_id.is_some() {
            errors.push(FieldError::new(LEAD_ID, "must appear at most once"));
        } else {
            match percent_decode(raw_value) {
                Some(value) => lead_id = Some(value),
                None => errors.push(FieldError::new(
                    LEAD_ID,
                    "is not valid percent-encoded UTF-8",
                )),
            }
        }
    }

    match lead_id {
        _ if !errors.is_empty() => Err(errors),
        None => Err(vec![FieldError::new(LEAD_ID, "is required")]),
        Some(value) if value.is_empty() => Err(vec![FieldError::new(LEAD_ID, "must not be empty")]),
        Some(value) => Ok(value),
    }
}

/// Builds the report of a lead's notes as of `now`. A lead without notes,
/// or whose notes hold no word, emoticon or emoji, is `neutral` with
/// confidence 0 and no topics.
fn build_report(lead_id: String, notes: Option<&str>, now: Timestamp) -> SentimentReport {
    let (sentiment, confidence, entities) = match notes {
        Some(notes) => {
            let analysis = cloudvelous_engine::sentiment::analyze(notes);
            let topics = topic_names(&extract(notes));
            (analysis.label, analysis.confidence, topics)
        }
        None => (Sentiment::Neutral, 0.0, Vec::new()),
    };
    SentimentReport {
        lead_id,
        sentiment,
        confidence,
        entities,
        analysis_date: now.unix_seconds(),
    }
}

fn lead_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Lead '{id}' not found"))
}
