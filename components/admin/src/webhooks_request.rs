//! The body of `POST /api/admin/webhooks`.

use cloudvelous_contract::EventType;
use cloudvelous_domain::FieldError;
use cloudvelous_events::target::check_target;
use serde_json::{Map, Value};

/// Fields that a client may send, in the order their errors are reported.
const CLIENT_FIELDS: [&str; 2] = ["url", "event_types"];

/// Unknown field names longer than this are shortened in error details, so
/// that a response never echoes a huge key.
const MAX_ECHOED_FIELD_CHARS: usize = 64;

/// A validated request to create a webhook subscription.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NewWebhookRequest {
    /// Target URL in normalised form.
    pub(crate) url: String,
    /// Event types to deliver, in the order sent, without repeats.
    pub(crate) event_types: Vec<EventType>,
}

impl NewWebhookRequest {
    /// Parses the JSON body, collecting every field error.
    ///
    /// The body must be an object with a string `url` that passes the
    /// target checks (internal hosts only with `allow_private`) and a
    /// non-empty array `event_types` of event type names. A type sent twice
    /// is kept once. Any other field is rejected.
    ///
    /// # Errors
    ///
    /// Returns one [`FieldError`] per problem: `url`, then `event_types` or
    /// one entry per bad element such as `event_types[1]`, then unknown
    /// fields sorted by name. A body that is not an object gives a single
    /// error for the field `body`.
    pub(crate) fn from_json(
        value: &Value,
        allow_private: bool,
    ) -> Result<NewWebhookRequest, Vec<FieldError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![FieldError::new("body", "must be a JSON object")]);
        };
        let mut errors = Vec::new();

        let url = parse_url(object.get("url"), allow_private).map_err(|error| errors.push(error));
        let event_types =
            parse_event_types(object.get("event_types")).map_err(|found| errors.extend(found));
        reject_unknown_fields(object, &mut errors);

        match (url, event_types) {
            (Ok(url), Ok(event_types)) if errors.is_empty() => {
                Ok(NewWebhookRequest { url, event_types })
            }
            _ => Err(errors),
        }
    }
}

fn parse_url(value: Option<&Value>, allow_private: bool) -> Result<String, FieldError> {
    let invalid = |message: &str| FieldError::new("url", message);
    let raw = match value {
        None => return Err(invalid("is required")),
        Some(Value::String(text)) => text,
        Some(Value::Null) => return Err(invalid("must not be null")),
        Some(_) => return Err(invalid("must be a string")),
    };
    check_target(raw.trim(), allow_private)
        .map(|url| url.to_string())
        .map_err(|error| invalid(&error.to_string()))
}

fn parse_event_types(value: Option<&Value>) -> Result<Vec<EventType>, Vec<FieldError>> {
    let invalid = |message: &str| vec![FieldError::new("event_types", message)];
    let elements = match value {
        None => return Err(invalid("is required")),
        Some(Value::Array(elements)) => elements,
        Some(Value::Null) => return Err(invalid("must not be null")),
        Some(_) => return Err(invalid("must be an array of event type names")),
    };
    if elements.is_empty() {
        return Err(invalid("must not be empty"));
    }

    let mut event_types = Vec::with_capacity(elements.len());
    let mut errors = Vec::new();
    for (index, element) in elements.iter().enumerate() {
        match parse_event_type(element) {
            Ok(event_type) if event_types.contains(&event_type) => {}
            Ok(event_type) => event_types.push(event_type),
            Err(message) => {
                errors.push(FieldError::new(format!("event_types[{index}]"), message));
            }
        }
    }
    if errors.is_empty() {
        Ok(event_types)
    } else {
        Err(errors)
    }
}

fn parse_event_type(element: &Value) -> Result<EventType, String> {
    let Value::String(name) = element else {
        return Err("must be a string".to_owned());
    };
    EventType::parse(name).ok_or_else(|| {
        let known: Vec<&str> = EventType::ALL.iter().map(|kind| kind.as_str()).collect();
        format!("must be one of: {}", known.join(", "))
    })
}

fn reject_unknown_fields(object: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let mut unknown: Vec<&String> = object
        .keys()
        .filter(|key| !CLIENT_FIELDS.contains(&key.as_str()))
        .collect();
    unknown.sort();
    for field in unknown {
        errors.push(FieldError::new(shorten(field), "unknown field"));
    }
}

/// Shortens a client-sent field name for echoing, marking the cut with `…`.
fn shorten(field: &str) -> String {
    match field.char_indices().nth(MAX_ECHOED_FIELD_CHARS) {
        Some((cut, _)) => format!("{}…", field.get(..cut).unwrap_or_default()),
        None => field.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors_of(value: Value) -> Vec<(String, String)> {
        NewWebhookRequest::from_json(&value, false)
            .unwrap_err()
            .into_iter()
            .map(|error| (error.field, error.message))
            .collect()
    }

    fn pair(field: &str, message: &str) -> (String, String) {
        (field.to_owned(), message.to_owned())
    }

    #[test]
    fn parses_url_and_event_types() {
        let request = NewWebhookRequest::from_json(
            &json!({
                "url": " https://Hooks.Example.com/cv ",
                "event_types": ["lead.status_updated", "lead.created", "lead.created"],
            }),
            false,
        )
        .unwrap();

        assert_eq!(request.url, "https://hooks.example.com/cv");
        assert_eq!(
            request.event_types,
            [EventType::LeadStatusUpdated, EventType::LeadCreated]
        );
    }

    #[test]
    fn rejects_missing_fields() {
        assert_eq!(
            errors_of(json!({})),
            [
                pair("url", "is required"),
                pair("event_types", "is required")
            ]
        );
    }

    #[test]
    fn rejects_private_target_unless_allowed() {
        let body = json!({"url": "http://127.0.0.1:9000/hook", "event_types": ["lead.created"]});

        let errors = errors_of(body.clone());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "url");
        assert!(errors[0].1.contains("loopback"), "{}", errors[0].1);

        let allowed = NewWebhookRequest::from_json(&body, true).unwrap();
        assert_eq!(allowed.url, "http://127.0.0.1:9000/hook");
    }

    #[test]
    fn rejects_bad_event_types_per_element() {
        assert_eq!(
            errors_of(json!({
                "url": "https://hooks.example.com/",
                "event_types": ["lead.created", "lead.deleted", 7],
            })),
            [
                pair(
                    "event_types[1]",
                    "must be one of: lead.created, lead.status_updated"
                ),
                pair("event_types[2]", "must be a string"),
            ]
        );
    }

    #[test]
    fn rejects_wrong_types_empty_list_and_unknown_fields() {
        assert_eq!(
            errors_of(json!({"url": 5, "event_types": [], "secret": "x"})),
            [
                pair("url", "must be a string"),
                pair("event_types", "must not be empty"),
                pair("secret", "unknown field"),
            ]
        );
    }

    #[test]
    fn rejects_non_object_body() {
        assert_eq!(
            errors_of(json!(["https://hooks.example.com/"])),
            [pair("body", "must be a JSON object")]
        );
    }
}
