//! Handler for `POST /api/classify-lead`: size class, priority, next action,
//! tags and signals of a lead.

use bytes::Bytes;
use cloudvelous_contract::CompanySize;
use cloudvelous_domain::{FieldError, LeadId};
use cloudvelous_engine::lead::{LeadContext, LeadInput, StoredLead, classify};
use cloudvelous_http_kit::{ApiError, MAX_AI_JSON_BODY, RequestId, json_response, read_json_body};
use cloudvelous_storage::{Database, storage_failure};
use http::{HeaderMap, Response, StatusCode};
use serde_json::{Map, Value};
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use crate::COMPONENT;
use crate::fields::{body_object, optional_string, reject_unknown_fields, required_text};
use crate::timing::{add_engine_timing, timed};

/// Fields of the request body.
const FIELDS: [&str; 3] = ["lead_id", "text_content", "context"];
/// Fields of the `context` object.
const CONTEXT_FIELDS: [&str; 2] = ["company_size", "industry"];
/// Most characters of `context.industry` after trimming.
const MAX_INDUSTRY_CHARS: usize = 100;

const INVALID_LEAD_ID: &str =
    "must be a lead id: lead_ followed by ASCII letters and digits, at most 64 characters";
const INVALID_COMPANY_SIZE: &str = "must be one of: small, medium, large, enterprise";

/// A validated `POST /api/classify-lead` body.
#[derive(Debug)]
struct ClassifyRequest {
    lead_id: Option<LeadId>,
    text: String,
    context: LeadContext,
}

impl ClassifyRequest {
    /// Parses the body `{"lead_id", "text_content", "context"}`, collecting
    /// every field error. `text_content` is required. `lead_id` and
    /// `context` are optional but must not be `null`. `context` may hold
    /// `company_size` and `industry`, and no other field.
    fn from_json(value: &Value) -> Result<ClassifyRequest, Vec<FieldError>> {
        let object = body_object(value)?;
        let mut errors = Vec::new();

        let lead_id = parse_lead_id(object, &mut errors);
        let text = required_text(object, "text_content", &mut errors);
        let context = parse_context(object, &mut errors);
        reject_unknown_fields(object, &FIELDS, "", &mut errors);

        match text {
            Some(text) if errors.is_empty() => Ok(ClassifyRequest {
                lead_id,
                text,
                context,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_lead_id(object: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<LeadId> {
    let raw = optional_string(object, "lead_id", "lead_id", errors)?;
    let id = LeadId::parse(raw);
    if id.is_none() {
        errors.push(FieldError::new("lead_id", INVALID_LEAD_ID));
    }
    id
}

fn parse_context(object: &Map<String, Value>, errors: &mut Vec<FieldError>) -> LeadContext {
    let mut context = LeadContext::default();
    let context_object = match object.get("context") {
        None => return context,
        Some(Value::Object(context_object)) => context_object,
        Some(Value::Null) => {
            errors.push(FieldError::new("context", "must not be null"));
            return context;
        }
        Some(_) => {
            errors.push(FieldError::new("context", "must be a JSON object"));
            return context;
        }
    };

    let size = optional_string(
        context_object,
        "company_size",
        "context.company_size",
        errors,
    );
    if let Some(size) = size {
        context.company_size = CompanySize::parse(size);
        if context.company_size.is_none() {
            errors.push(FieldError::new(
                "context.company_size",
                INVALID_COMPANY_SIZE,
            ));
        }
    }

    let industry = optional_string(context_object, "industry", "context.industry", errors);
    if let Some(industry) = industry.map(str::trim) {
        let length = industry.chars().count();
        if (1..=MAX_INDUSTRY_CHARS).contains(&length) {
            context.industry = Some(industry.to_owned());
        } else {
            let message =
                format!("must be 1 to {MAX_INDUSTRY_CHARS} characters long after trimming");
            errors.push(FieldError::new("context.industry", message));
        }
    }

    reject_unknown_fields(context_object, &CONTEXT_FIELDS, "context.", errors);
    context
}

/// Reads and validates the body, loads the stored lead that `lead_id`
/// names, classifies the lead and returns `200` with the classification
/// and its signals.
///
/// A `lead_id` that names no live lead is echoed back, and the text and
/// context alone decide.
pub(crate) async fn classify_lead(
    headers: &HeaderMap,
    body: IncomingRequestBody,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let json = read_json_body(headers, body, MAX_AI_JSON_BODY).await?;
    let request = ClassifyRequest::from_json(&json).map_err(ApiError::Validation)?;

    let stored = match &request.lead_id {
        Some(id) => find_stored_lead(id, database, request_id).await?,
        None => None,
    };
    let input = LeadInput {
        lead_id: request.lead_id.map(LeadId::into_inner),
        text: request.text,
        context: request.context,
        stored,
    };

    let (classification, elapsed) = timed(|| classify(&input));

    let mut response = json_response(StatusCode::OK, &classification, request_id);
    add_engine_timing(&mut response, elapsed);
    Ok(response)
}

/// Loads the parts of the live lead with `id` that bear on classification,
/// or `None` when there is no such lead.
async fn find_stored_lead(
    id: &LeadId,
    database: &Database,
    request_id: &RequestId,
) -> Result<Option<StoredLead>, ApiError> {
    let lead = database
        .find_lead_by_id(id)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    Ok(lead.map(|lead| StoredLead {
        source: lead.source,
        email: lead.email,
        company: lead.company,
    }))
}
