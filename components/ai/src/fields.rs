//! Reading the fields of a JSON request body, with one error per offending
//! field so that a single `422` lists them all.

use cloudvelous_domain::FieldError;
use serde_json::{Map, Value};

/// Most characters, counted in Unicode scalar values, of a text to analyse.
pub(crate) const MAX_TEXT_CHARS: usize = 10_000;

/// Unknown field names longer than this are shortened in error details, so
/// that a response never echoes a huge key.
const MAX_ECHOED_FIELD_CHARS: usize = 64;

/// Unknown fields reported one by one. The rest share one error for the
/// field `body`.
const MAX_REPORTED_UNKNOWN_FIELDS: usize = 20;

/// Returns the body as an object, or the single error for the field `body`.
pub(crate) fn body_object(value: &Value) -> Result<&Map<String, Value>, Vec<FieldError>> {
    value
        .as_object()
        .ok_or_else(|| vec![FieldError::new("body", "must be a JSON object")])
}

/// Reads the optional string `name` of `object`, reported as `field`.
/// Returns `None` when it is absent, and records an error when it is `null`
/// or not a string.
pub(crate) fn optional_string<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match object.get(name)? {
        Value::String(text) => Some(text),
        Value::Null => {
            errors.push(FieldError::new(field, "must not be null"));
            None
        }
        _ => {
            errors.push(FieldError::new(field, "must be a string"));
            None
        }
    }
}

/// Reads the required text to analyse from the field `name`: a string of 1
/// to [`MAX_TEXT_CHARS`] characters with at least one character that is not
/// whitespace. The text is kept exactly as sent.
pub(crate) fn required_text(
    object: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    if !object.contains_key(name) {
        errors.push(FieldError::new(name, "is required"));
        return None;
    }
    let text = optional_string(object, name, name, errors)?;
    match check_text(text) {
        Ok(()) => Some(text.to_owned()),
        Err(message) => {
            errors.push(FieldError::new(name, message));
            None
        }
    }
}

fn check_text(text: &str) -> Result<(), String> {
    let length = text.chars().count();
    if length == 0 {
        return Err(format!("must be 1 to {MAX_TEXT_CHARS} characters long"));
    }
    if length > MAX_TEXT_CHARS {
        return Err(format!(
            "must be at most {MAX_TEXT_CHARS} characters long, but has {length}"
        ));
    }
    if text.trim().is_empty() {
        return Err("must contain a character other than whitespace".to_owned());
    }
    Ok(())
}

/// Records an error for every key of `object` outside `known`, reported as
/// `prefix` followed by the key. Only the first 20 keys in name order are
/// named, each cut at 64 characters, and one error for the field `body`
/// counts the rest.
pub(crate) fn reject_unknown_fields(
    object: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
    errors: &mut Vec<FieldError>,
) {
    let mut unknown: Vec<&String> = object
        .keys()
        .filter(|key| !known.contains(&key.as_str()))
        .collect();
    unknown.sort();
    for key in unknown.iter().take(MAX_REPORTED_UNKNOWN_FIELDS) {
        errors.push(FieldError::new(
            format!("{prefix}{}", shorten(key)),
            "unknown field",
        ));
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
