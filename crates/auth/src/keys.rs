//! The RSA public keys that verify tokens, parsed from one PEM key or a JWKS
//! document.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use crate::failure::{AuthFailure, ConfigError};
use crate::rs256::{self, KeyError, MAX_MODULUS_BITS, MIN_MODULUS_BITS, RsaPublicKey};
/// Maximum length of a key id or PEM label repeated in an error message, in
/// characters.
const MAX_ECHOED_CHARS: usize = 64;

/// The RSA public keys that verify RS256 tokens.
///
/// A set parsed from one PEM key verifies every token, with or without
/// `kid`. A set parsed from JWKS chooses the key whose `kid` equals the
/// token's, and verifies a token without `kid` only when it contains exactly
/// one key.
#[derive(Clone, Debug)]
pub struct KeySet {
    source: KeySource,
    keys: Vec<VerificationKey>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeySource {
    Pem,
    Jwks,
}

#[derive(Clone, Debug)]
struct VerificationKey {
    kid: Option<String>,
    key: DecodingKey,
}

impl KeySet {
    /// Parses the configured keys: one PEM public key (`-----BEGIN PUBLIC
    /// KEY-----` or `-----BEGIN RSA PUBLIC KEY-----`) or a JWKS document
    /// (`{"keys": [...]}`). Surrounding whitespace is ignored, and an empty
    /// value returns `None`, which disables JWT authentication.
    ///
    /// JWKS entries that are not RSA keys, whose `use` is not `sig`, whose
    /// `alg` is not `RS256`, or whose `key_ops` lack `verify` are skipped.
    ///
    /// # Errors
    ///
    /// Returns a [`ConfigError`] for anything else that cannot be used: a
    /// private key or certificate, invalid PEM or JSON, a malformed JWKS
    /// entry, duplicate key ids, an RSA modulus outside 2048 to 4096 bits,
    /// or a JWKS without any usable key. It is also an error when another
    /// `jsonwebtoken` cryptography backend than this crate's RS256 verifier
    /// was installed in the process.
    pub fn parse(text: &str) -> Result<Option<KeySet>, ConfigError> {
        rs256::install_provider().map_err(ConfigError::new)?;
        let text = text.trim();
        if text.is_empty() {
            Ok(None)
        } else if text.starts_with("-----BEGIN ") {
            parse_pem(text).map(Some)
        } else if text.starts_with('{') {
            parse_jwks(text).map(Some)
        } else {
            Err(ConfigError::new(
                "the value is neither a PEM public key (-----BEGIN PUBLIC KEY-----) \
                 nor a JWKS JSON document ({\"keys\": [...]})",
            ))
        }
    }

    /// Returns the key that verifies a token whose header has `kid`.
    pub(crate) fn select(&self, kid: Option<&str>) -> Result<&DecodingKey, AuthFailure> {
        let chosen = match (self.source, kid, self.keys.as_slice()) {
            (KeySource::Pem, _, [only]) => Some(only),
            (KeySource::Jwks, None, [only]) => Some(only),
            (KeySource::Jwks, None, _) => return Err(AuthFailure::MissingKeyId),
            (_, Some(kid), keys) => keys.iter().find(|key| key.kid.as_deref() == Some(kid)),
            (KeySource::Pem, None, _) => None,
        };
        chosen.map(|key| &key.key).ok_or(AuthFailure::UnknownKeyId)
    }
}

fn parse_pem(text: &str) -> Result<KeySet, ConfigError> {
    check_pem_label(text)?;
    if text.matches("-----BEGIN ").count() > 1 {
        return Err(ConfigError::new(
            "the value contains more than one PEM block; give several keys as a JWKS document",
        ));
    }

    let pem_key = DecodingKey::from_rsa_pem(text.as_bytes())
        .map_err(|_| ConfigError::new("the PEM block is not a valid RSA public key"))?;
    // `from_rsa_pem` keeps the PKCS#1 `RSAPublicKey` DER, extracted from the
    // SubjectPublicKeyInfo for a `PUBLIC KEY` block.
    let der = pem_key
        .try_get_as_bytes()
        .map_err(|_| ConfigError::new("the PEM block is not a valid RSA public key"))?;
    let key = validated_rsa_key(der)
        .map_err(|problem| ConfigError::new(format!("the PEM key {problem}")))?;

    Ok(KeySet {
        source: KeySource::Pem,
        keys: vec![VerificationKey { kid: None, key }],
    })
}

fn check_pem_label(text: &str) -> Result<(), ConfigError> {
    let first_line = text.lines().next().unwrap_or_default().trim_end();
    let label = first_line
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.strip_suffix("-----"))
        .unwrap_or_default();
    match label {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => Ok(()),
        label if label.contains("PRIVATE KEY") => Err(ConfigError::new(format!(
            "the PEM block is a {}; configure only the public key",
            shorten(label)
        ))),
        "" => Err(ConfigError::new("the PEM header line is malformed")),
        label => Err(ConfigError::new(format!(
            "the PEM block is a {}; expected a PUBLIC KEY or RSA PUBLIC KEY",
            shorten(label)
        ))),
    }
}

fn parse_jwks(text: &str) -> Result<KeySet, ConfigError> {
    let document: Value = serde_json::from_str(text).map_err(|error| {
        ConfigError::new(format!(
            "the value is not valid JSON (error at line {}, column {})",
            error.line(),
            error.column()
        ))
    })?;
    let Some(entries) = document.get("keys").and_then(Value::as_array) else {
        return Err(ConfigError::new("the JWKS document has no \"keys\" array"));
    };

    let mut keys: Vec<VerificationKey> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let Some(key) = parse_jwk(entry).map_err(|problem| {
            ConfigError::new(format!(
                "JWKS key {}: {problem}",
                describe_entry(index, entry)
            ))
        })?
        else {
            continue;
        };
        if key.kid.is_some() && keys.iter().any(|existing| existing.kid == key.kid) {
            return Err(ConfigError::new(format!(
                "JWKS key {}: its kid is used by an earlier key",
                describe_entry(index, entry)
            )));
        }
        keys.push(key);
    }

    if keys.is_empty() {
        return Err(ConfigError::new(
            "the JWKS document has no RSA key usable for RS256 signatures",
        ));
    }
    Ok(KeySet {
        source: KeySource::Jwks,
        keys,
    })
}

/// Parses one JWKS entry. Returns `None` for a key that is well formed but
/// not meant for RS256 signatures.
fn parse_jwk(entry: &Value) -> Result<Option<VerificationKey>, String> {
    let Some(fields) = entry.as_object() else {
        return Err("is not a JSON object".to_owned());
    };
    let Some(key_type) = optional_string(fields, "kty")? else {
        return Err("has no kty".to_owned());
    };
    let usable = key_type == "RSA"
        && optional_string(fields, "use")?.is_none_or(|usage| usage == "sig")
        && optional_string(fields, "alg")?.is_none_or(|algorithm| algorithm == "RS256")
        && allows_verify(fields)?;
    if !usable {
        return Ok(None);
    }

    let kid = optional_string(fields, "kid")?.map(str::to_owned);
    let modulus = base64url_field(fields, "n")?;
    let exponent = base64url_field(fields, "e")?;
    let key = validated_rsa_key(&pkcs1_public_key_der(&modulus, &exponent))?;
    Ok(Some(VerificationKey { kid, key }))
}

fn optional_string<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, String> {
    match fields.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(format!("{name} is not a string")),
    }
}

/// Tells whether the optional `key_ops` member (RFC 7517) permits
/// verification.
fn allows_verify(fields: &Map<String, Value>) -> Result<bool, String> {
    match fields.get("key_ops") {
        None => Ok(true),
        Some(Value::Array(operations)) => {
            Ok(operations.iter().any(|operation| operation == "verify"))
        }
        Some(_) => Err("key_ops is not an array".to_owned()),
    }
}

fn base64url_field(fields: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let Some(encoded) = optional_string(fields, name)? else {
        return Err(format!("has no {name}"));
    };
    URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| format!("{name} is not unpadded base64url"))
}

/// Checks a PKCS#1 `RSAPublicKey` with the RSA implementation that verifies
/// tokens, so that a key that could never verify anything is reported at
/// configuration time.
fn validated_rsa_key(pkcs1_der: &[u8]) -> Result<DecodingKey, String> {
    let key = RsaPublicKey::from_pkcs1_der(pkcs1_der).map_err(|error| match error {
        KeyError::Malformed => "is not a valid RSA public key".to_owned(),
        KeyError::Modulus { bits } => format!(
            "is not a valid RSA public key for RS256: it has a {bits}-bit modulus, \
             and RS256 needs an odd modulus of {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS} bits"
        ),
        KeyError::Exponent => "is not a valid RSA public key: its public exponent must be \
             odd, at least 3 and at most 64 bits long"
            .to_owned(),
    })?;
    Ok(DecodingKey::from_rsa_raw_components(
        &key.modulus_bytes(),
        &key.exponent_bytes(),
    ))
}

fn strip_leading_zeros(big_endian: &[u8]) -> &[u8] {
    let start = big_endian
        .iter()
        .position(|&byte| byte != 0)
        .unwrap_or(big_endian.len());
    big_endian.get(start..).unwrap_or_default()
}

/// Encodes `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent
/// INTEGER }` (PKCS #1, RFC 8017) in DER.
fn pkcs1_public_key_der(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    let mut body = der_unsigned_integer(modulus);
    body.extend(der_unsigned_integer(exponent));
    der_element(0x30, &body)
}

fn der_unsigned_integer(big_endian: &[u8]) -> Vec<u8> {
    let magnitude = strip_leading_zeros(big_endian);
    let mut content = Vec::with_capacity(magnitude.len() + 1);
    // DER integers are signed, so a magnitude whose top bit is set needs a
    // leading zero byte, and zero itself is one zero byte.
    if magnitude.first().is_none_or(|&first| first & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(magnitude);
    der_element(0x02, &content)
}

fn der_element(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut element = vec![tag];
    match u8::try_from(content.len()) {
        Ok(short_length) if short_length < 0x80 => element.push(short_length),
        _ => {
            // Long form: 0x80 plus the count of length bytes (at most 8),
            // then the length in big-endian order.
            let length_bytes = content.len().to_be_bytes();
            let length = strip_leading_zeros(&length_bytes);
            element.push(0x80 | length.len() as u8);
            element.extend_from_slice(length);
        }
    }
    element.extend_from_slice(content);
    element
}

fn describe_entry(index: usize, entry: &Value) -> String {
    match entry.get("kid").and_then(Value::as_str) {
        Some(kid) => format!("{index} (kid {:?})", shorten(kid)),
        None => index.to_string(),
    }
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHOED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
