//! Idempotency keys of `POST /api/leads` and the digests derived from them.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::field::InvalidValue;

/// Longest accepted key, in bytes.
const MAX_KEY_BYTES: usize = 255;

const INVALID_KEY: InvalidValue =
    InvalidValue::new("must be 1 to 255 visible ASCII characters, without spaces");

/// The value of an `Idempotency-Key` header: 1 to 255 visible ASCII
/// characters (`!` to `~`).
///
/// The whole value is the key, so a quoted value such as `"abc"` is a
/// different key from `abc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses a header value.
    ///
    /// # Errors
    ///
    /// Returns the rule when the value is empty, longer than 255 bytes, or
    /// contains a byte outside `!` to `~`, such as a space or a control
    /// character.
    pub fn parse(raw: &[u8]) -> Result<Self, InvalidValue> {
        let valid = !raw.is_empty()
            && raw.len() <= MAX_KEY_BYTES
            && raw.iter().all(|byte| byte.is_ascii_graphic());
        if !valid {
            return Err(INVALID_KEY);
        }
        let text = std::str::from_utf8(raw).map_err(|_| INVALID_KEY)?;
        Ok(IdempotencyKey(text.to_owned()))
    }

    /// Returns the key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the SHA-256 digest that names this key of `caller` in
    /// storage, so that two callers' keys never meet. `caller` is the
    /// caller's stable id, such as an API key id.
    pub fn scope_digest(&self, caller: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(b"cloudvelous idempotency key v1");
        hasher.update((caller.len() as u64).to_be_bytes());
        hasher.update(caller.as_bytes());
        hasher.update(self.0.as_bytes());
        hasher.finalize().into()
    }
}

/// Returns the SHA-256 digest of a request body's JSON value, written
/// compactly with object keys in sorted order, so that whitespace and key
/// order do not make two bodies differ.
pub fn body_fingerprint(body: &Value) -> [u8; 32] {
    let mut canonical = Vec::new();
    write_canonical(body, &mut canonical);
    let mut hasher = Sha256::new();
    hasher.update(b"cloudvelous request body v1");
    hasher.update(&canonical);
    hasher.finalize().into()
}

/// Writes `value` as compact JSON with the keys of every object sorted by
/// their UTF-8 bytes, whatever order the map keeps them in.
fn write_canonical(value: &Value, output: &mut Vec<u8>) {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(&String, &Value)> = object.iter().collect();
            entries.sort_unstable_by(|left, right| left.0.cmp(right.0));
            output.push(b'{');
            for (position, (key, item)) in entries.into_iter().enumerate() {
                if position > 0 {
                    output.push(b',');
                }
                write_scalar(&Value::String(key.clone()), output);
                output.push(b':');
                write_canonical(item, output);
            }
            output.push(b'}');
        }
        Value::Array(items) => {
            output.push(b'[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    output.push(b',');
                }
                write_canonical(item, output);
            }
            output.push(b']');
        }
        scalar => write_scalar(scalar, output),
    }
}

/// Writes a string, number, boolean or `null` as `serde_json` does. Writing
/// to a `Vec` cannot fail, and `serde_json` serialises every scalar value.
fn write_scalar(value: &Value, output: &mut Vec<u8>) {
    let _ = serde_json::to_writer(output, value);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn accepts_visible_ascii() {
        for raw in [
            "a",
            "8e03978e-40d5-43e8-bc93-6894a57f9324",
            "\"quoted\"",
            "!~",
        ] {
            assert_eq!(IdempotencyKey::parse(raw.as_bytes()).unwrap().as_str(), raw);
        }
        let longest = "k".repeat(255);
        assert!(IdempotencyKey::parse(longest.as_bytes()).is_ok());
    }

    #[test]
    fn rejects_other_values() {
        let too_long = "k".repeat(256);
        for raw in [
            &b""[..],
            b"with space",
            b"tab\there",
            b"\x7f",
            "ü".as_bytes(),
            too_long.as_bytes(),
        ] {
            assert_eq!(IdempotencyKey::parse(raw), Err(INVALID_KEY), "{raw:?}");
        }
    }

    #[test]
    fn scope_digest_separates_callers_and_keys() {
        let key = IdempotencyKey::parse(b"abc").unwrap();
        let other = IdempotencyKey::parse(b"bcabc").unwrap();
        assert_ne!(key.scope_digest("bootstrap"), key.scope_digest("key_1"));
        assert_ne!(key.scope_digest("bc"), other.scope_digest(""));
        assert_eq!(key.scope_digest("key_1"), key.scope_digest("key_1"));
    }

    #[test]
    fn fingerprint_ignores_whitespace_and_key_order() {
        let first: Value = serde_json::from_str(r#"{"name": "A", "email": "a@b.co"}"#).unwrap();
        let second: Value = serde_json::from_str(r#"{"email":"a@b.co","name":"A"}"#).unwrap();
        assert_eq!(body_fingerprint(&first), body_fingerprint(&second));
        assert_ne!(
            body_fingerprint(&first),
            body_fingerprint(&json!({"name": "B", "email": "a@b.co"}))
        );
    }

    #[test]
    fn canonical_form_sorts_nested_keys() {
        let value: Value =
            serde_json::from_str(r#"{"b": [{"y": 1, "x": "é"}], "a": null}"#).unwrap();
        let mut output = Vec::new();
        write_canonical(&value, &mut output);
        assert_eq!(
            String::from_utf8(output).unwrap(),
            r#"{"a":null,"b":[{"x":"é","y":1}]}"#
        );
    }
}
