//! Lead identifiers.

use std::fmt;

use crate::random::random_alphanumeric;

const PREFIX: &str = "lead_";
/// Random characters after the prefix: 62^24 is about 2^143 possibilities.
const RANDOM_LENGTH: usize = 24;
/// Maximum length of an identifier that [`LeadId::parse`] accepts, prefix
/// included.
const MAX_LENGTH: usize = 64;

/// A lead identifier: `lead_` followed by ASCII letters and digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeadId(String);

impl LeadId {
    /// Generates a new identifier: `lead_` and 24 random ASCII letters and
    /// digits.
    ///
    /// # Errors
    ///
    /// Returns the generator's error when the system cannot provide random
    /// bytes.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let random = random_alphanumeric(RANDOM_LENGTH)?;
        Ok(LeadId(format!("{PREFIX}{random}")))
    }

    /// Parses an identifier matching `^lead_[a-zA-Z0-9]+$` of at most 64
    /// characters, such as one taken from a URL path. Returns `None` for
    /// anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        let suffix = raw.strip_prefix(PREFIX)?;
        let is_valid = !suffix.is_empty()
            && raw.len() <= MAX_LENGTH
            && suffix.bytes().all(|byte| byte.is_ascii_alphanumeric());
        is_valid.then(|| LeadId(raw.to_owned()))
    }

    /// Returns the identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the identifier as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for LeadId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_id_has_prefix_and_24_alphanumerics() {
        let id = LeadId::generate().unwrap();
        let suffix = id.as_str().strip_prefix("lead_").unwrap();
        assert_eq!(suffix.len(), 24);
        assert!(suffix.bytes().all(|byte| byte.is_ascii_alphanumeric()));
        assert_eq!(LeadId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn generated_ids_differ() {
        assert_ne!(LeadId::generate().unwrap(), LeadId::generate().unwrap());
    }

    #[test]
    fn parse_accepts_short_id() {
        let id = LeadId::parse("lead_123456").unwrap();
        assert_eq!(id.to_string(), "lead_123456");
        assert_eq!(id.into_inner(), "lead_123456");
    }

    #[test]
    fn parse_limit_is_64_characters() {
        let at_limit = format!("lead_{}", "a".repeat(59));
        assert!(LeadId::parse(&at_limit).is_some());
        let over = format!("lead_{}", "a".repeat(60));
        assert!(LeadId::parse(&over).is_none());
    }

    #[test]
    fn parse_rejects_other_forms() {
        for raw in [
            "",
            "lead_",
            "lead",
            "LEAD_abc",
            "lead_abc-def",
            "lead_abc def",
            "lead_abc/",
            "xlead_abc",
            "lead_ａｂｃ",
            " lead_abc",
        ] {
            assert!(LeadId::parse(raw).is_none(), "{raw:?}");
        }
    }
}
