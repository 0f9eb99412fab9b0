//! Building blocks shared by the JSON mappings of the contract types.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{self, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::rfc3339;

/// A timestamp field: whole Unix seconds in Rust, RFC 3339 text in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rfc3339(pub(crate) i64);

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&rfc3339::format_timestamp(self.0))
    }
}

impl<'de> Deserialize<'de> for Rfc3339 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(Rfc3339Visitor)
    }
}

struct Rfc3339Visitor;

impl Visitor<'_> for Rfc3339Visitor {
    type Value = Rfc3339;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an RFC 3339 UTC timestamp such as 2025-10-18T10:30:00Z")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Rfc3339, E> {
        rfc3339::parse_timestamp(text)
            .map(Rfc3339)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
    }
}

/// Serialises a field whose value must be a finite number, because JSON has
/// no representation for NaN or infinity.
pub(crate) fn serialize_finite<S: SerializeStruct>(
    state: &mut S,
    key: &'static str,
    value: f64,
) -> Result<(), S::Error> {
    if !value.is_finite() {
        return Err(ser::Error::custom(format_args!(
            "`{key}` must be a finite number"
        )));
    }
    state.serialize_field(key, &value)
}

/// Serialises an optional field, leaving the key out when the value is absent.
pub(crate) fn serialize_optional<S: SerializeStruct, T: Serialize>(
    state: &mut S,
    key: &'static str,
    value: Option<&T>,
) -> Result<(), S::Error> {
    match value {
        Some(value) => state.serialize_field(key, value),
        None => state.skip_field(key),
    }
}

/// Serialises an optional timestamp field, leaving the key out when absent.
pub(crate) fn serialize_optional_timestamp<S: SerializeStruct>(
    state: &mut S,
    key: &'static str,
    value: Option<i64>,
) -> Result<(), S::Error> {
    serialize_optional(state, key, value.map(Rfc3339).as_ref())
}
