//! Webhook signatures as the Standard Webhooks specification defines them.
//!
//! A request carries `webhook-id` (the event id), `webhook-timestamp` (Unix
//! seconds) and `webhook-signature: v1,<base64 of HMAC-SHA256>`, computed
//! over `{id}.{timestamp}.{body}` with the exact body bytes sent. The key is
//! the secret after its `whsec_` prefix, base64-decoded.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Random bytes in a generated secret's key.
pub const SECRET_KEY_BYTES: usize = 32;

/// Name of the header with the event id.
pub const ID_HEADER: &str = "webhook-id";

/// Name of the header with the Unix time of the attempt, in seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";

/// Name of the header with the signature.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// A stored secret that is not `whsec_` and base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSecret;

impl std::fmt::Display for InvalidSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("the signing secret is not `whsec_` followed by base64")
    }
}

impl std::error::Error for InvalidSecret {}

/// Generates a secret: `whsec_` and the base64 of 32 random bytes.
///
/// # Errors
///
/// Returns the generator's error when the system cannot provide random
/// bytes.
pub fn generate_secret() -> Result<String, getrandom::Error> {
    let mut key = [0_u8; SECRET_KEY_BYTES];
    getrandom::fill(&mut key)?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// Decodes the key bytes of a `whsec_` secret.
///
/// # Errors
///
/// Fails when the prefix is missing, the rest is not base64, or the key is
/// empty.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, InvalidSecret> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).ok_or(InvalidSecret)?;
    let key = STANDARD.decode(encoded).map_err(|_| InvalidSecret)?;
    if key.is_empty() {
        return Err(InvalidSecret);
    }
    Ok(key)
}

/// Returns the `webhook-signature` value for a request with the event id
/// `id`, the Unix time `timestamp` and the body `body`, signed with `key`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector published with the Standard Webhooks reference
    /// libraries: secret, message id, timestamp, body and signature.
    const EXAMPLE_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const EXAMPLE_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const EXAMPLE_TIMESTAMP: i64 = 1_614_265_330;
    const EXAMPLE_BODY: &str = r#"{"test": 2432232314}"#;
    const EXAMPLE_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signature_matches_reference_example() {
        let key = secret_key(EXAMPLE_SECRET).unwrap();

        let signature = sign(&key, EXAMPLE_ID, EXAMPLE_TIMESTAMP, EXAMPLE_BODY.as_bytes());

        assert_eq!(signature, EXAMPLE_SIGNATURE);
    }

    #[test]
    fn signature_changes_with_each_part() {
        let key = secret_key(EXAMPLE_SECRET).unwrap();
        let body = EXAMPLE_BODY.as_bytes();
        let base = sign(&key, EXAMPLE_ID, EXAMPLE_TIMESTAMP, body);

        assert_ne!(sign(&key, "msg_other", EXAMPLE_TIMESTAMP, body), base);
        assert_ne!(sign(&key, EXAMPLE_ID, EXAMPLE_TIMESTAMP + 1, body), base);
        assert_ne!(sign(&key, EXAMPLE_ID, EXAMPLE_TIMESTAMP, b"{}"), base);
        assert_ne!(
            sign(b"other key", EXAMPLE_ID, EXAMPLE_TIMESTAMP, body),
            base
        );
    }

    #[test]
    fn generated_secret_round_trips() {
        let secret = generate_secret().unwrap();

        assert!(secret.starts_with("whsec_"), "{secret}");
        assert_eq!(secret_key(&secret).unwrap().len(), SECRET_KEY_BYTES);
        assert_ne!(generate_secret().unwrap(), secret);
    }

    #[test]
    fn malformed_secrets_are_rejected() {
        for secret in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_",
            "whsec_not base64!",
        ] {
            assert_eq!(secret_key(secret), Err(InvalidSecret), "{secret}");
        }
    }
}
