//! Reading the fields of a lead's JSON body, shared by the submission of a
//! new lead ([`NewLead`](crate::NewLead)) and the update of a stored one
//! ([`LeadPatch`](crate::LeadPatch)), so both apply the same rules to the
//! same field.

use serde_json::{Map, Value};

use crate::field::{FieldError, InvalidValue};

/// Message for a field whose value only the server sets.
pub(crate) const SET_BY_SERVER: &str = "is set by the server";

/// Unknown field names longer than this are shortened in error details, so
/// that a response never echoes a huge key.
const MAX_ECHOED_FIELD_CHARS: usize = 64;
/// Unknown fields reported one by one. The rest share one error for the
/// field `body`, so that a body of many tiny keys cannot produce a response
/// several times its size.
const MAX_REPORTED_UNKNOWN_FIELDS: usize = 20;

/// Returns the string value of `field`: `Ok(None)` when the field is
/// missing, an error when it is `null` or not a string.
fn string_field<'a>(
    object: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, FieldError> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(Value::Null) => Err(FieldError::new(field, "must not be null")),
        Some(_) => Err(FieldError::new(field, "must be a string")),
    }
}

/// Parses `field` when it is present. A missing field is `None`. `null`,
/// another JSON type or a value that `parse` rejects adds an error.
pub(crate) fn optional<T>(
    object: &Map<String, Value>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let parsed = string_field(object, field).and_then(|text| {
        text.map(parse)
            .transpose()
            .map_err(|error| error.for_field(field))
    });
    parsed.unwrap_or_else(|error| {
        errors.push(error);
        None
    })
}

/// Parses `field`, adding an error when it is missing or when
/// [`optional`] rejects it.
pub(crate) fn required<T>(
    object: &Map<String, Value>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    if !object.contains_key(field) {
        errors.push(FieldError::new(field, "is required"));
        return None;
    }
    optional(object, field, parse, errors)
}

/// Parses a field that `null` clears: a missing field is `None`, `null` is
/// `Some(None)` and a valid string is `Some(Some(value))`. Another JSON type
/// or a value that `parse` rejects adds an error and returns `None`.
pub(crate) fn clearable<T>(
    object: &Map<String, Value>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    errors: &mut Vec<FieldError>,
) -> Option<Option<T>> {
    match object.get(field) {
        Some(Value::Null) => Some(None),
        _ => optional(object, field, parse, errors).map(Some),
    }
}

/// Adds an error for each field of `object` that the body may not contain.
///
/// Each field of `rejected` that is present gets its message, in the order
/// of `rejected`. Every other field missing from `accepted` is unknown:
/// the first 20 by name get one error each, named at most 64 characters
/// long, and one more error for the field `body` counts the rest.
pub(crate) fn reject_extra_fields(
    object: &Map<String, Value>,
    accepted: &[&str],
    rejected: &[(&str, &str)],
    errors: &mut Vec<FieldError>,
) {
    for (field, message) in rejected {
        if object.contains_key(*field) {
            errors.push(FieldError::new(*field, *message));
        }
    }

    let is_rejected = |key: &str| rejected.iter().any(|(field, _)| *field == key);
    let mut unknown: Vec<&String> = object
        .keys()
        .filter(|key| !accepted.contains(&key.as_str()))
        .filter(|key| !is_rejected(key))
        .collect();
    unknown.sort();
    for field in unknown.iter().take(MAX_REPORTED_UNKNOWN_FIELDS) {
        errors.push(FieldError::new(shorten(field), "unknown field"));
    }
    let unreported = unknown.len().saturating_sub(MAX_REPORTED_UNKNOWN_FIELDS);
    if unreported > 0 {
        let noun = if unreported == 1 { "field" } else { "fields" };
        errors.push(FieldError::new(
            "body",
            format!("{unreported} more unknown {noun}"),
        ));
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

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn parse_word(raw: &str) -> Result<String, InvalidValue> {
        if raw.chars().all(char::is_alphabetic) {
            Ok(raw.to_owned())
        } else {
            Err(InvalidValue::new("must contain letters only"))
        }
    }

    #[test]
    fn clearable_reads_missing_null_and_value() {
        let body = object(json!({"cleared": null, "set": "abc"}));
        let mut errors = Vec::new();

        let missing = clearable(&body, "missing", parse_word, &mut errors);
        let cleared = clearable(&body, "cleared", parse_word, &mut errors);
        let set = clearable(&body, "set", parse_word, &mut errors);

        assert_eq!(missing, None);
        assert_eq!(cleared, Some(None));
        assert_eq!(set, Some(Some("abc".to_owned())));
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn clearable_rejects_wrong_type_and_invalid_value() {
        let body = object(json!({"number": 5, "digits": "123"}));
        let mut errors = Vec::new();

        let number = clearable(&body, "number", parse_word, &mut errors);
        let digits = clearable(&body, "digits", parse_word, &mut errors);

        assert_eq!(number, None);
        assert_eq!(digits, None);
        assert_eq!(
            errors,
            [
                FieldError::new("number", "must be a string"),
                FieldError::new("digits", "must contain letters only"),
            ]
        );
    }

    #[test]
    fn rejected_fields_come_in_given_order() {
        let body = object(json!({"b": 1, "a": 2, "zz": 3, "kept": 4}));
        let mut errors = Vec::new();

        reject_extra_fields(
            &body,
            &["kept"],
            &[("b", "is fixed"), ("a", SET_BY_SERVER)],
            &mut errors,
        );

        assert_eq!(
            errors,
            [
                FieldError::new("b", "is fixed"),
                FieldError::new("a", SET_BY_SERVER),
                FieldError::new("zz", "unknown field"),
            ]
        );
    }
}
