//! A JSON parser stricter than `serde_json::from_str`: it rejects duplicate
//! object keys and limits nesting depth.
//!
//! `serde_json` keeps the last of duplicate keys, so `{"email": "a",
//! "email": "b"}` would pass a validator that saw one value while another
//! part of the system used the other. Its own nesting limit is 128; a lower
//! limit keeps a hostile body from driving deep recursion in later code.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Maximum nesting depth of arrays and objects. `[[1]]` has depth 2.
pub(crate) const MAX_DEPTH: usize = 32;
/// Duplicate keys longer than this are shortened in error messages.
const MAX_ECHOED_KEY_CHARS: usize = 64;

/// Parses `text` as exactly one JSON value, rejecting duplicate keys at any
/// depth, nesting deeper than [`MAX_DEPTH`] and anything after the value
/// other than whitespace.
///
/// The error's `Display` names the problem and its line and column, and
/// never contains more than a shortened duplicate key from the input.
pub(crate) fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = StrictValue { depth: 0 }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Seed for one value nested inside `depth` arrays or objects.
#[derive(Clone, Copy)]
struct StrictValue {
    depth: usize,
}

impl StrictValue {
    fn enter<E: de::Error>(self) -> Result<StrictValue, E> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(E::custom(format_args!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(StrictValue { depth })
    }
}

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        Number::from_f64(value)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Value, A::Error> {
        let element = self.enter()?;
        let mut values = Vec::new();
        while let Some(value) = sequence.next_element_seed(element)? {
            values.push(value);
        }
        Ok(Value::Array(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let member = self.enter()?;
        let mut object = Map::new();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!(
                    "duplicate key {}",
                    quote_shortened(&key)
                )));
            }
            let value = map.next_value_seed(member)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Quotes a key for an error message, escaping it and cutting it at
/// [`MAX_ECHOED_KEY_CHARS`] characters.
fn quote_shortened(key: &str) -> String {
    let shortened: String = key.chars().take(MAX_ECHOED_KEY_CHARS).collect();
    let ellipsis = if shortened.len() < key.len() {
        "…"
    } else {
        ""
    };
    let quoted = serde_json::to_string(&shortened).unwrap_or_else(|_| String::from("\"\""));
    format!("{quoted}{ellipsis}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn nested_arrays(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    fn nested_objects(depth: usize) -> String {
        format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
    }

    #[test]
    fn parses_ordinary_values() {
        let value = parse(r#" {"a": [1, -2, 3.5, true, null, "x"], "b": {}} "#).unwrap();
        assert_eq!(value, json!({"a": [1, -2, 3.5, true, null, "x"], "b": {}}));
        assert_eq!(parse("42").unwrap(), json!(42));
        assert_eq!(parse("18446744073709551615").unwrap(), json!(u64::MAX));
    }

    #[test]
    fn depth_32_is_accepted_and_33_rejected() {
        assert!(parse(&nested_arrays(MAX_DEPTH)).is_ok());
        assert!(parse(&nested_objects(MAX_DEPTH)).is_ok());

        let error = parse(&nested_arrays(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "nesting deeper than 32 levels at line 1 column 34"
        );
        assert!(parse(&nested_objects(MAX_DEPTH + 1)).is_err());
    }

    #[test]
    fn very_deep_nesting_fails_without_overflow() {
        assert!(parse(&nested_arrays(100_000)).is_err());
    }

    #[test]
    fn rejects_duplicate_keys_at_any_depth() {
        let error = parse(r#"{"email": "a", "email": "b"}"#).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("duplicate key \"email\" at line 1"),
            "{error}"
        );

        let nested = r#"{"a": [{"b": {"c": 1, "c": 2}}]}"#;
        assert!(
            parse(nested)
                .unwrap_err()
                .to_string()
                .contains("duplicate key \"c\"")
        );
    }

    #[test]
    fn duplicate_key_message_is_shortened_and_escaped() {
        let key = "k".repeat(1000);
        let text = format!(r#"{{"{key}": 1, "{key}": 2}}"#);
        let message = parse(&text).unwrap_err().to_string();
        assert!(message.len() < 120, "{message}");
        assert!(message.contains("…"), "{message}");

        let message = parse(r#"{"a\"\n": 1, "a\"\n": 2}"#)
            .unwrap_err()
            .to_string();
        assert!(message.starts_with(r#"duplicate key "a\"\n""#), "{message}");
    }

    #[test]
    fn rejects_trailing_characters() {
        let error = parse(r#"{"a": 1} x"#).unwrap_err();
        assert_eq!(error.to_string(), "trailing characters at line 1 column 10");
        assert!(parse("1 2").is_err());
    }

    #[test]
    fn rejects_lone_surrogates() {
        assert!(parse(r#""\ud800""#).is_err());
        assert!(parse(r#""\udc00""#).is_err());
        assert!(parse(r#"{"\ud800": 1}"#).is_err());
        assert_eq!(parse(r#""\ud83d\ude00""#).unwrap(), json!("😀"));
    }

    #[test]
    fn rejects_empty_and_invalid_text() {
        for text in ["", "   ", "{", "[1,]", "{'a': 1}", "NaN", "1e400"] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }
}
