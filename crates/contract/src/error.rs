//! JSON mapping of the error envelope.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::{Rfc3339, serialize_optional};
use crate::{ErrorBody, ErrorCode, ErrorDetail, ErrorEnvelope};

/// `existing_lead_id` appears only when present.
impl Serialize for ErrorDetail {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("ErrorDetail", 3)?;
        state.serialize_field("field", &self.field)?;
        state.serialize_field("message", &self.message)?;
        serialize_optional(
            &mut state,
            "existing_lead_id",
            self.existing_lead_id.as_ref(),
        )?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorDetailJson {
    field: String,
    message: String,
    existing_lead_id: Option<String>,
}

impl<'de> Deserialize<'de> for ErrorDetail {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = ErrorDetailJson::deserialize(deserializer)?;
        Ok(ErrorDetail {
            field: json.field,
            message: json.message,
            existing_lead_id: json.existing_lead_id,
        })
    }
}

/// `details` is always an array, empty when the error concerns no field.
impl Serialize for ErrorBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("ErrorBody", 5)?;
        state.serialize_field("code", &self.code)?;
        state.serialize_field("message", &self.message)?;
        state.serialize_field("details", &self.details)?;
        state.serialize_field("timestamp", &Rfc3339(self.timestamp))?;
        state.serialize_field("request_id", &self.request_id)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorBodyJson {
    code: ErrorCode,
    message: String,
    details: Vec<ErrorDetail>,
    timestamp: Rfc3339,
    request_id: String,
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = ErrorBodyJson::deserialize(deserializer)?;
        Ok(ErrorBody {
            code: json.code,
            message: json.message,
            details: json.details,
            timestamp: json.timestamp.0,
            request_id: json.request_id,
        })
    }
}

impl Serialize for ErrorEnvelope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("ErrorEnvelope", 1)?;
        state.serialize_field("error", &self.error)?;
        state.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorEnvelopeJson {
    error: ErrorBody,
}

impl<'de> Deserialize<'de> for ErrorEnvelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = ErrorEnvelopeJson::deserialize(deserializer)?;
        Ok(ErrorEnvelope { error: json.error })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn validation_envelope_serializes_details() {
        let envelope = ErrorEnvelope {
            error: ErrorBody {
                code: ErrorCode::ValidationError,
                message: "Invalid input data".into(),
                details: vec![ErrorDetail {
                    field: "email".into(),
                    message: "Invalid email format".into(),
                    existing_lead_id: None,
                }],
                timestamp: 1_760_783_400,
                request_id: "req_123456789".into(),
            },
        };
        let value = serde_json::to_value(&envelope).unwrap();
        assert_eq!(
            value,
            json!({
                "error": {
                    "code": "VALIDATION_ERROR",
                    "message": "Invalid input data",
                    "details": [
                        {"field": "email", "message": "Invalid email format"}
                    ],
                    "timestamp": "2025-10-18T10:30:00Z",
                    "request_id": "req_123456789"
                }
            })
        );
        assert_eq!(
            serde_json::from_value::<ErrorEnvelope>(value).unwrap(),
            envelope
        );
    }

    #[test]
    fn envelope_without_details_has_empty_array() {
        let envelope = ErrorEnvelope {
            error: ErrorBody {
                code: ErrorCode::NotFound,
                message: "Lead not found".into(),
                details: Vec::new(),
                timestamp: 0,
                request_id: "req_1".into(),
            },
        };
        let text = serde_json::to_string(&envelope).unwrap();
        assert_eq!(
            text,
            r#"{"error":{"code":"NOT_FOUND","message":"Lead not found","details":[],"timestamp":"1970-01-01T00:00:00Z","request_id":"req_1"}}"#
        );
    }

    #[test]
    fn conflict_detail_carries_existing_lead_id() {
        let detail = ErrorDetail {
            field: "email".into(),
            message: "A lead with this email address already exists".into(),
            existing_lead_id: Some("lead_abc".into()),
        };
        assert_eq!(
            serde_json::to_value(&detail).unwrap(),
            json!({
                "field": "email",
                "message": "A lead with this email address already exists",
                "existing_lead_id": "lead_abc"
            })
        );
    }
}
