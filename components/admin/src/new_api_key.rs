//! The body of `POST /api/admin/api-keys`.

use cloudvelous_auth::Scope;
use cloudvelous_domain::FieldError;
use serde_json::{Map, Value};

/// Maximum length of a key name, in Unicode scalar values after trimming.
const MAX_NAME_CHARS: usize = 100;
/// Fields that a client may send, in the order their errors are reported.
const CLIENT_FIELDS: [&str; 2] = ["name", "scopes"];
/// Unknown field names longer than this are shortened in error details, so
/// that a response never echoes a huge key.
const MAX_ECHOED_FIELD_CHARS: usize = 64;

/// A validated request to create an API key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NewApiKeyRequest {
    /// Name of the key, trimmed, 1 to 100 characters without control
    /// characters.
    pub(crate) name: String,
    /// Scopes that the key grants, in the order sent, without repeats.
    pub(crate) scopes: Vec<Scope>,
}

impl NewApiKeyRequest {
    /// Parses the JSON body, collecting every field error.
    ///
    /// The body must be an object with a string `name` and a non-empty array
    /// `scopes` of known scope names, matched case-sensitively. A scope sent
    /// twice is kept once. Any other field is rejected.
    ///
    /// # Errors
    ///
    /// Returns one [`FieldError`] per problem: `name`, then `scopes` or one
    /// entry per bad element such as `scopes[1]`, then unknown fields sorted
    /// by name. A body that is not an object gives a single error for the
    /// field `body`.
    pub(crate) fn from_json(value: &Value) -> Result<Self, Vec<FieldError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![FieldError::new("body", "must be a JSON object")]);
        };
        let mut errors = Vec::new();

        let name = parse_name(object.get("name")).map_err(|error| errors.push(error));
        let scopes = parse_scopes(object.get("scopes")).map_err(|found| errors.extend(found));
        reject_unknown_fields(object, &mut errors);

        match (name, scopes) {
            (Ok(name), Ok(scopes)) if errors.is_empty() => Ok(NewApiKeyRequest { name, scopes }),
            _ => Err(errors),
        }
    }
}

fn parse_name(value: Option<&Value>) -> Result<String, FieldError> {
    let invalid = |message: &str| FieldError::new("name", message);
    let raw = match value {
        None => return Err(invalid("is required")),
        Some(Value::String(text)) => text,
        Some(Value::Null) => return Err(invalid("must not be null")),
        Some(_) => return Err(invalid("must be a string")),
    };

    let name = raw.trim();
    if name.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if name.chars().nth(MAX_NAME_CHARS).is_some() {
        return Err(invalid("must be at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters"));
    }
    Ok(name.to_owned())
}

fn parse_scopes(value: Option<&Value>) -> Result<Vec<Scope>, Vec<FieldError>> {
    let invalid = |message: &str| vec![FieldError::new("scopes", message)];
    let elements = match value {
        None => return Err(invalid("is required")),
        Some(Value::Array(elements)) => elements,
        Some(Value::Null) => return Err(invalid("must not be null")),
        Some(_) => return Err(invalid("must be an array of scope names")),
    };
    if elements.is_empty() {
        return Err(invalid("must not be empty"));
    }

    let mut scopes = Vec::with_capacity(elements.len());
    let mut errors = Vec::new();
    for (index, element) in elements.iter().enumerate() {
        match parse_scope(element) {
            Ok(scope) if scopes.contains(&scope) => {}
            Ok(scope) => scopes.push(scope),
            Err(message) => errors.push(FieldError::new(format!("scopes[{index}]"), message)),
        }
    }
    if errors.is_empty() {
        Ok(scopes)
    } else {
        Err(errors)
    }
}

fn parse_scope(element: &Value) -> Result<Scope, String> {
    let Value::String(name) = element else {
        return Err("must be a string".to_owned());
    };
    Scope::parse(name).ok_or_else(|| {
        let known: Vec<&str> = Scope::ALL.iter().map(|scope| scope.as_str()).collect();
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
        NewApiKeyRequest::from_json(&value)
            .unwrap_err()
            .into_iter()
            .map(|error| (error.field, error.message))
            .collect()
    }

    fn pair(field: &str, message: &str) -> (String, String) {
        (field.to_owned(), message.to_owned())
    }

    #[test]
    fn parses_name_and_scopes() {
        let request = NewApiKeyRequest::from_json(&json!({
            "name": "  CRM sync  ",
            "scopes": ["read:leads", "write:leads", "read:leads"],
        }))
        .unwrap();
        assert_eq!(request.name, "CRM sync");
        assert_eq!(request.scopes, vec![Scope::ReadLeads, Scope::WriteLeads]);
    }

    #[test]
    fn rejects_missing_fields() {
        assert_eq!(
            errors_of(json!({})),
            vec![pair("name", "is required"), pair("scopes", "is required")]
        );
    }

    #[test]
    fn rejects_bad_names() {
        let long = "x".repeat(101);
        for (name, message) in [
            (json!(null), "must not be null"),
            (json!(7), "must be a string"),
            (json!("   "), "must not be empty"),
            (json!(long), "must be at most 100 characters"),
            (json!("a\u{0}b"), "must not contain control characters"),
        ] {
            let errors = errors_of(json!({"name": name, "scopes": ["admin"]}));
            assert_eq!(errors, vec![pair("name", message)], "{name}");
        }
    }

    #[test]
    fn accepts_name_of_100_characters() {
        let name = "é".repeat(100);
        let request =
            NewApiKeyRequest::from_json(&json!({"name": name, "scopes": ["admin"]})).unwrap();
        assert_eq!(request.name, name);
    }

    #[test]
    fn rejects_bad_scope_lists() {
        for (scopes, message) in [
            (json!(null), "must not be null"),
            (json!("read:leads"), "must be an array of scope names"),
            (json!([]), "must not be empty"),
        ] {
            let errors = errors_of(json!({"name": "n", "scopes": scopes}));
            assert_eq!(errors, vec![pair("scopes", message)], "{scopes}");
        }
    }

    #[test]
    fn rejects_unknown_scopes_by_position() {
        let known =
            "must be one of: read:leads, write:leads, read:analytics, write:analytics, admin";
        let errors = errors_of(json!({
            "name": "n",
            "scopes": ["read:leads", "READ:LEADS", 3, "read:leadsx"],
        }));
        assert_eq!(
            errors,
            vec![
                pair("scopes[1]", known),
                pair("scopes[2]", "must be a string"),
                pair("scopes[3]", known),
            ]
        );
    }

    #[test]
    fn rejects_unknown_fields_and_non_objects() {
        let errors = errors_of(json!({"name": "n", "scopes": ["admin"], "key": "ak_x", "id": 1}));
        assert_eq!(
            errors,
            vec![pair("id", "unknown field"), pair("key", "unknown field")]
        );
        assert_eq!(
            errors_of(json!([])),
            vec![pair("body", "must be a JSON object")]
        );
    }
}
