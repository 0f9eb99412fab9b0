//! Phone numbers.

use std::fmt;

use crate::field::InvalidValue;

/// A phone number matching `^\+?[1-9][0-9]{1,14}$`: an optional `+`, then
/// 2 to 15 ASCII digits of which the first is not `0`, as in E.164.
///
/// The number is not trimmed, and digits from other scripts, such as
/// Arabic-Indic or full-width digits, are rejected.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a phone number.
    ///
    /// # Errors
    ///
    /// Rejects anything that does not match `^\+?[1-9][0-9]{1,14}$`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const INVALID: InvalidValue = InvalidValue::new(
            "must be 2 to 15 digits (0-9) with an optional leading +, and must not start with 0",
        );
        let digits = raw.strip_prefix('+').unwrap_or(raw);
        let is_valid = (2..=15).contains(&digits.len())
            && digits.bytes().all(|byte| byte.is_ascii_digit())
            && !digits.starts_with('0');
        if !is_valid {
            return Err(INVALID);
        }
        Ok(PhoneNumber(raw.to_owned()))
    }

    /// Returns the number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the number as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Prints only the last two digits, because a phone number is personal data.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last_two = self.0.get(self.0.len().saturating_sub(2)..).unwrap_or("");
        write!(formatter, "PhoneNumber(\"***{last_two}\")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_numbers_at_limits() {
        for raw in [
            "+1234567890",
            "1234567890",
            "12",
            "+12",
            "123456789012345",
            "+123456789012345",
        ] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn rejects_wrong_lengths() {
        for raw in ["", "+", "1", "+1", "1234567890123456", "+1234567890123456"] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn rejects_leading_zero() {
        assert!(PhoneNumber::parse("0123456").is_err());
        assert!(PhoneNumber::parse("+0123456").is_err());
    }

    #[test]
    fn rejects_non_ascii_digits() {
        for raw in ["+١٢٣٤٥٦٧", "１２３", "+۱۲۳۴۵", "12३4"] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn rejects_separators_and_whitespace() {
        for raw in [
            "+1 234 567",
            "123-456",
            "(123)456",
            " +123456",
            "+123456 ",
            "++123",
            "12+3",
        ] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn debug_hides_all_but_last_two_digits() {
        let phone = PhoneNumber::parse("+1234567890").unwrap();
        assert_eq!(format!("{phone:?}"), "PhoneNumber(\"***90\")");
    }
}
