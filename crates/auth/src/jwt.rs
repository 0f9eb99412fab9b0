//! RS256 JWT verification.
//!
//! `jsonwebtoken` runs the RS256 signature check, with this crate's
//! verifier installed as its cryptography backend, and nothing else. This
//! module parses the header and the claims and checks every rule itself,
//! because the time must come from the caller's clock. Another reason is that
//! `jsonwebtoken` releases before 10.3.0 let an `exp` or `nbf` of the wrong
//! JSON type pass unchecked (its changelog, "type confusion with exp/nbf").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Number, Value};

use crate::failure::AuthFailure;
use crate::keys::KeySet;
use crate::scope::Grants;

/// Maximum token length, in bytes. Longer tokens are rejected before any
/// decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The claims a token must carry to be accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtSettings {
    /// Required value of `iss`, compared exactly.
    pub issuer: String,
    /// Value that `aud` must equal or, as an array, contain.
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
}

/// The identity and permissions carried by a valid token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The `sub` claim: a non-empty string without control characters.
    pub subject: String,
    /// The scopes granted by the `scope` and `role` claims.
    pub grants: Grants,
}

/// Verifies an RS256 JWT and returns its subject and grants.
///
/// The token is accepted only if all of these hold:
/// - it is at most [`MAX_TOKEN_BYTES`] long and has three base64url segments;
/// - the header's `alg` is exactly `RS256` and it has no `crit` parameter;
/// - its `kid` selects a key of `keys` (see [`KeySet`]) whose signature
///   verifies;
/// - `iss` equals `settings.issuer`;
/// - `aud` equals `settings.audience` or is an array of strings containing
///   it;
/// - `exp` is a JSON number and `now_unix_seconds <= exp + leeway`;
/// - `nbf`, when present, is a JSON number and
///   `now_unix_seconds >= nbf - leeway`;
/// - `sub` is a non-empty string without control characters.
///
/// # Errors
///
/// Returns the [`AuthFailure`] of the first check that fails.
pub fn verify_jwt(
    token: &str,
    keys: &KeySet,
    settings: &JwtSettings,
    now_unix_seconds: i64,
) -> Result<VerifiedToken, AuthFailure> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthFailure::TokenTooLong);
    }

    let (signing_input, signature) = token.rsplit_once('.').ok_or(AuthFailure::MalformedToken)?;
    let (header, payload) = signing_input
        .split_once('.')
        .ok_or(AuthFailure::MalformedToken)?;
    if payload.contains('.') {
        return Err(AuthFailure::MalformedToken);
    }

    let kid = read_header(header)?;
    let key = keys.select(kid.as_deref())?;
    verify_signature(signing_input, signature, key)?;
    let claims = read_claims(payload)?;

    check_issuer(claims.get("iss"), &settings.issuer)?;
    check_audience(claims.get("aud"), &settings.audience)?;
    check_validity_period(&claims, settings.leeway_seconds, now_unix_seconds)?;
    let subject = read_subject(claims.get("sub"))?;
    let grants = Grants::from_claim_parts(claims.get("scope"), claims.get("role"));
    Ok(VerifiedToken { subject, grants })
}

/// Decodes and checks the header segment, and returns its `kid`.
fn read_header(segment: &str) -> Result<Option<String>, AuthFailure> {
    let Value::Object(fields) = decode_json_segment(segment)? else {
        return Err(AuthFailure::MalformedToken);
    };

    // RFC 7515, section 4.1.11: a recipient must reject a token whose `crit`
    // lists an extension it does not implement, and this verifier
    // implements none.
    if fields.contains_key("crit") {
        return Err(AuthFailure::CriticalHeader);
    }
    if fields.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(AuthFailure::UnsupportedAlgorithm);
    }
    match fields.get("kid") {
        None => Ok(None),
        Some(Value::String(kid)) => Ok(Some(kid.clone())),
        Some(_) => Err(AuthFailure::MalformedToken),
    }
}

/// Checks the RS256 signature of `header.payload`.
fn verify_signature(
    signing_input: &str,
    signature: &str,
    key: &DecodingKey,
) -> Result<(), AuthFailure> {
    // `verify` finds its cryptography backend through a process-wide default
    // and panics without one. A `KeySet` exists only after `KeySet::parse`
    // installed this crate's RS256 backend, so the call cannot panic here.
    match jsonwebtoken::crypto::verify(signature, signing_input.as_bytes(), key, Algorithm::RS256) {
        Ok(true) => Ok(()),
        Ok(false) => Err(AuthFailure::InvalidSignature),
        // The signature is not base64url, or the key does not fit RS256.
        Err(_) => Err(AuthFailure::MalformedToken),
    }
}

/// Decodes the payload segment of a token whose signature has been verified.
fn read_claims(segment: &str) -> Result<Map<String, Value>, AuthFailure> {
    match decode_json_segment(segment) {
        Ok(Value::Object(claims)) => Ok(claims),
        _ => Err(AuthFailure::MalformedClaims),
    }
}

fn decode_json_segment(segment: &str) -> Result<Value, AuthFailure> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthFailure::MalformedToken)?;
    serde_json::from_slice(&bytes).map_err(|_| AuthFailure::MalformedToken)
}

fn check_issuer(issuer: Option<&Value>, expected: &str) -> Result<(), AuthFailure> {
    match issuer {
        Some(Value::String(issuer)) if issuer == expected => Ok(()),
        _ => Err(AuthFailure::InvalidIssuer),
    }
}

fn check_audience(audience: Option<&Value>, expected: &str) -> Result<(), AuthFailure> {
    let accepted = match audience {
        Some(Value::String(audience)) => audience == expected,
        Some(Value::Array(audiences)) => {
            audiences.iter().all(Value::is_string)
                && audiences.iter().any(|audience| audience == expected)
        }
        _ => false,
    };
    if accepted && !expected.is_empty() {
        Ok(())
    } else {
        Err(AuthFailure::InvalidAudience)
    }
}

fn check_validity_period(
    claims: &Map<String, Value>,
    leeway_seconds: u64,
    now_unix_seconds: i64,
) -> Result<(), AuthFailure> {
    let now = i128::from(now_unix_seconds);
    let leeway = i128::from(leeway_seconds);

    // A NumericDate may have a fraction (RFC 7519). `now` is a
    // whole second, so rounding `exp` down and `nbf` up gives the same
    // result as comparing the exact values.
    let expires_at = match claims.get("exp") {
        Some(Value::Number(exp)) => whole_seconds(exp, f64::floor),
        _ => return Err(AuthFailure::InvalidExpiry),
    };
    if now > expires_at.saturating_add(leeway) {
        return Err(AuthFailure::Expired);
    }

    match claims.get("nbf") {
        None => Ok(()),
        Some(Value::Number(nbf)) if now >= whole_seconds(nbf, f64::ceil).saturating_sub(leeway) => {
            Ok(())
        }
        Some(Value::Number(_)) => Err(AuthFailure::NotYetValid),
        Some(_) => Err(AuthFailure::InvalidNotBefore),
    }
}

/// Converts a JSON number of seconds to an integer, rounding a fraction with
/// `round`. Values beyond the range of `i128` saturate.
fn whole_seconds(number: &Number, round: fn(f64) -> f64) -> i128 {
    if let Some(seconds) = number.as_i64() {
        i128::from(seconds)
    } else if let Some(seconds) = number.as_u64() {
        i128::from(seconds)
    } else {
        // `as` saturates on overflow. JSON has no NaN or infinity, so the
        // fallback 0.0 is never used for a parsed claim.
        round(number.as_f64().unwrap_or(0.0)) as i128
    }
}

fn read_subject(subject: Option<&Value>) -> Result<String, AuthFailure> {
    match subject {
        Some(Value::String(subject))
            if !subject.is_empty() && !subject.chars().any(char::is_control) =>
        {
            Ok(subject.clone())
        }
        _ => Err(AuthFailure::InvalidSubject),
    }
}

#[cfg(test)]
mod tests;
