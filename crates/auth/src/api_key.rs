//! API keys: their format, generation and hash.

use std::fmt;

use cloudvelous_domain::random_alphanumeric;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::failure::AuthFailure;

/// Text every API key starts with.
pub const API_KEY_PREFIX: &str = "ak_";
/// Minimum number of letters and digits after the prefix that
/// [`ApiKey::parse`] accepts.
pub const MIN_API_KEY_LENGTH: usize = 16;
/// Maximum number of letters and digits after the prefix that
/// [`ApiKey::parse`] accepts.
pub const MAX_API_KEY_LENGTH: usize = 128;
/// Number of letters and digits after the prefix of a generated key: 62^32
/// is about 2^190 possibilities.
pub const GENERATED_API_KEY_LENGTH: usize = 32;

/// An API key: `ak_` followed by ASCII letters and digits.
///
/// `Debug` prints `ApiKey([redacted])` and there is no `Display`, so the key
/// reaches a response or a log line only through [`ApiKey::expose`].
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Generates a key: `ak_` and 32 random ASCII letters and digits.
    ///
    /// # Errors
    ///
    /// Returns the generator's error when the system cannot provide random
    /// bytes.
    pub fn generate() -> Result<ApiKey, getrandom::Error> {
        let random = random_alphanumeric(GENERATED_API_KEY_LENGTH)?;
        Ok(ApiKey(format!("{API_KEY_PREFIX}{random}")))
    }

    /// Parses a key sent by a client: `ak_` and 16 to 128 ASCII letters and
    /// digits. The prefix is case-sensitive.
    ///
    /// # Errors
    ///
    /// Returns [`AuthFailure::MalformedApiKey`] for any other text.
    pub fn parse(text: &str) -> Result<ApiKey, AuthFailure> {
        let body = text
            .strip_prefix(API_KEY_PREFIX)
            .ok_or(AuthFailure::MalformedApiKey)?;
        let valid = (MIN_API_KEY_LENGTH..=MAX_API_KEY_LENGTH).contains(&body.len())
            && body.bytes().all(|byte| byte.is_ascii_alphanumeric());
        if valid {
            Ok(ApiKey(text.to_owned()))
        } else {
            Err(AuthFailure::MalformedApiKey)
        }
    }

    /// Returns the SHA-256 digest of the whole key, prefix included: the only
    /// form in which keys are stored.
    ///
    /// A generated key has 190 bits of entropy, so an unsalted fast hash
    /// cannot be reversed by guessing.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }

    /// Returns the key text. Use it only to show a new key to its creator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("ApiKey([redacted])")
    }
}

/// Compares two byte strings, such as key hashes, in time that does not
/// depend on where they differ. Strings of different lengths are unequal.
pub fn hashes_equal(left: &[u8], right: &[u8]) -> bool {
    left.ct_eq(right).into()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn generated_key_has_prefix_and_32_alphanumerics() {
        let key = ApiKey::generate().unwrap();
        let body = key.expose().strip_prefix("ak_").unwrap();

        assert_eq!(body.len(), 32);
        assert!(body.bytes().all(|byte| byte.is_ascii_alphanumeric()));
        assert_eq!(ApiKey::parse(key.expose()).unwrap().hash(), key.hash());
    }

    #[test]
    fn generated_keys_differ() {
        let keys: HashSet<String> = (0..100)
            .map(|_| ApiKey::generate().unwrap().expose().to_owned())
            .collect();

        assert_eq!(keys.len(), 100);
    }

    #[test]
    fn parse_accepts_16_to_128_alphanumerics() {
        for length in [16, 17, 32, 127, 128] {
            let text = format!("ak_{}", "aZ9".repeat(50).get(..length).unwrap());
            let key = ApiKey::parse(&text).unwrap();
            assert_eq!(key.expose(), text);
        }
    }

    #[test]
    fn parse_accepts_documented_example() {
        assert!(ApiKey::parse("ak_1234567890abcdef").is_ok());
    }

    #[test]
    fn parse_rejects_wrong_prefix() {
        for text in [
            "sk_1234567890abcdef",
            "AK_1234567890abcdef",
            "Ak_1234567890abcdef",
            "ak-1234567890abcdef",
            "ak1234567890abcdef0",
            "1234567890abcdefgh",
            " ak_1234567890abcdef",
        ] {
            assert_eq!(
                ApiKey::parse(text).unwrap_err(),
                AuthFailure::MalformedApiKey,
                "{text}"
            );
        }
    }

    #[test]
    fn parse_rejects_bad_length() {
        for length in [0, 1, 15, 129, 500] {
            let text = format!("ak_{}", "a".repeat(length));
            assert_eq!(
                ApiKey::parse(&text).unwrap_err(),
                AuthFailure::MalformedApiKey,
                "{length}"
            );
        }
    }

    #[test]
    fn parse_rejects_non_alphanumerics() {
        for text in [
            "ak_1234567890abcde_",
            "ak_1234567890abcde-",
            "ak_1234567890abcdef ",
            "ak_1234567890 abcdef",
            "ak_1234567890abcdé",
            "ak_１234567890abcdef",
            "ak_1234567890abcdef\n",
            "ak_1234567890abcdef=",
        ] {
            assert_eq!(
                ApiKey::parse(text).unwrap_err(),
                AuthFailure::MalformedApiKey,
                "{text:?}"
            );
        }
    }

    #[test]
    fn hash_is_sha256_of_full_key_text() {
        let key = ApiKey::parse("ak_1234567890abcdef").unwrap();
        // `printf %s ak_1234567890abcdef | sha256sum`
        let expected = "cd142574c982bd8592790edb621ab57d889211fc3353b4dd8afed0f67d9e4c3f";

        assert_eq!(hex(&key.hash()), expected);
        assert_eq!(
            key.hash(),
            <[u8; 32]>::from(Sha256::digest(b"ak_1234567890abcdef"))
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = ApiKey::parse("ak_1234567890abcdef").unwrap();

        assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
    }

    #[test]
    fn hashes_equal_compares_contents_and_length() {
        let first = ApiKey::parse("ak_1234567890abcdef").unwrap().hash();
        let second = ApiKey::parse("ak_1234567890abcdeg").unwrap().hash();

        assert!(hashes_equal(&first, &first));
        assert!(hashes_equal(&first, &first.clone()));
        assert!(!hashes_equal(&first, &second));
        assert!(!hashes_equal(&first, &first[..31]));
        assert!(!hashes_equal(&first[..31], &first));
        assert!(hashes_equal(&[], &[]));
        assert!(!hashes_equal(&[], &first));
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}
