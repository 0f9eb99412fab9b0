//! Handler for `POST /api/analyze`: sentiment, entities and summary of a
//! text.

use bytes::Bytes;
use cloudvelous_contract::AnalysisType;
use cloudvelous_domain::FieldError;
use cloudvelous_http_kit::{ApiError, MAX_AI_JSON_BODY, RequestId, json_response, read_json_body};
use http::{HeaderMap, Response, StatusCode};
use serde_json::{Map, Value};
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use crate::fields::{body_object, optional_string, reject_unknown_fields, required_text};
use crate::timing::{add_engine_timing, timed};

/// Fields of the request body.
const FIELDS: [&str; 2] = ["text", "analysis_type"];

const INVALID_ANALYSIS_TYPE: &str = "must be one of: sentiment, entities, summary, full";

/// A validated `POST /api/analyze` body.
#[derive(Debug)]
struct AnalyzeRequest {
    /// The text exactly as sent.
    text: String,
}

impl AnalyzeRequest {
    /// Parses the body `{"text", "analysis_type"}`, collecting every field
    /// error. `text` is required. `analysis_type` is optional and must name
    /// an [`AnalysisType`] when present. It is checked but does not narrow
    /// the response, which always has every part, as the API document's
    /// example does for `sentiment`.
    fn from_json(value: &Value) -> Result<AnalyzeRequest, Vec<FieldError>> {
        let object = body_object(value)?;
        let mut errors = Vec::new();

        let text = required_text(object, "text", &mut errors);
        check_analysis_type(object, &mut errors);
        reject_unknown_fields(object, &FIELDS, "", &mut errors);

        match text {
            Some(text) if errors.is_empty() => Ok(AnalyzeRequest { text }),
            _ => Err(errors),
        }
    }
}

fn check_analysis_type(object: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let field = "analysis_type";
    let Some(raw) = optional_string(object, field, field, errors) else {
        return;
    };
    if AnalysisType::parse(raw).is_none() {
        errors.push(FieldError::new(field, INVALID_ANALYSIS_TYPE));
    }
}

/// Reads and validates the body, analyses the text and returns `200` with
/// the sentiment, confidence, entities and summary.
pub(crate) async fn analyze_text(
    headers: &HeaderMap,
    body: IncomingRequestBody,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let json = read_json_body(headers, body, MAX_AI_JSON_BODY).await?;
    let request = AnalyzeRequest::from_json(&json).map_err(ApiError::Validation)?;

    let (analysis, elapsed) = timed(|| cloudvelous_engine::analyze(&request.text));

    let mut response = json_response(StatusCode::OK, &analysis, request_id);
    add_engine_timing(&mut response, elapsed);
    Ok(response)
}
