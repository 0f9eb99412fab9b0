//! Free-text fields of a lead: the person's name, the company and notes.
//!
//! Lengths are counted in Unicode scalar values, so a name of 100 accented
//! or CJK characters fits although it takes more than 100 bytes.

use std::fmt;

use crate::characters::{is_invisible, is_private_use_or_noncharacter};
use crate::field::InvalidValue;

const MAX_NAME_CHARS: usize = 100;
const MAX_COMPANY_CHARS: usize = 100;
const MAX_NOTES_CHARS: usize = 1000;

const EMPTY: InvalidValue = InvalidValue::new("must not be empty");
const INVISIBLE_OR_CONTROL: InvalidValue =
    InvalidValue::new("must not contain invisible or control characters");
const PRIVATE_USE: InvalidValue =
    InvalidValue::new("must not contain private-use characters or noncharacters");
const NO_LETTER_OR_DIGIT: InvalidValue = InvalidValue::new("must contain a letter or digit");

fn exceeds(text: &str, max_chars: usize) -> bool {
    text.chars().nth(max_chars).is_some()
}

/// Parses a single-line text that is trimmed and must keep at least one
/// letter or digit.
///
/// Control characters, line and paragraph separators and the invisible
/// format characters of [`is_invisible`] are rejected, and so are
/// private-use characters and noncharacters. Zero-width joiners, combining
/// marks and variation selectors are kept, but a text made only of them has
/// no letter or digit and is rejected.
fn parse_line(raw: &str, max_chars: usize, too_long: InvalidValue) -> Result<String, InvalidValue> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(EMPTY);
    }
    if exceeds(text, max_chars) {
        return Err(too_long);
    }
    if text.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(INVISIBLE_OR_CONTROL);
    }
    if text.chars().any(is_private_use_or_noncharacter) {
        return Err(PRIVATE_USE);
    }
    if !text.chars().any(char::is_alphanumeric) {
        return Err(NO_LETTER_OR_DIGIT);
    }
    Ok(text.to_owned())
}

/// A person's name: 1 to 100 characters after trimming surrounding
/// whitespace, with at least one letter or digit and without control or
/// invisible characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name, trimming surrounding whitespace.
    ///
    /// # Errors
    ///
    /// Rejects a name that is empty after trimming, longer than 100
    /// characters or without a letter or digit. Also rejects a name that
    /// contains a control character such as a line break, an invisible
    /// format character such as a zero-width space or bidirectional
    /// override, a private-use character or a noncharacter.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const TOO_LONG: InvalidValue = InvalidValue::new("must be at most 100 characters");
        parse_line(raw, MAX_NAME_CHARS, TOO_LONG).map(PersonName)
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the name as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Prints only the length, because a name is personal data.
impl fmt::Debug for PersonName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "PersonName(<{} characters>)",
            self.0.chars().count()
        )
    }
}

/// A company name: 1 to 100 characters after trimming surrounding
/// whitespace, under the same character rules as [`PersonName`].
///
/// A company that is empty or only whitespace is rejected rather than
/// stored as an empty string. A client without a company leaves the field
/// out.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompanyName(String);

impl CompanyName {
    /// Parses a company name, trimming surrounding whitespace.
    ///
    /// # Errors
    ///
    /// Rejects a name that is empty after trimming, longer than 100
    /// characters, or that breaks the character rules of
    /// [`PersonName::parse`].
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const TOO_LONG: InvalidValue = InvalidValue::new("must be at most 100 characters");
        parse_line(raw, MAX_COMPANY_CHARS, TOO_LONG).map(CompanyName)
    }

    /// Returns the company name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the company name as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Free-text notes about a lead: at most 1000 characters, stored exactly as
/// sent.
///
/// Notes are not trimmed and may be empty. Tabs and line breaks are allowed;
/// other control characters are rejected.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Notes(String);

impl Notes {
    /// Parses notes.
    ///
    /// # Errors
    ///
    /// Rejects notes longer than 1000 characters, or that contain a control
    /// character other than tab, line feed or carriage return.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if exceeds(raw, MAX_NOTES_CHARS) {
            return Err(InvalidValue::new("must be at most 1000 characters"));
        }
        let is_forbidden = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
        if raw.chars().any(is_forbidden) {
            return Err(InvalidValue::new(
                "must not contain control characters other than tabs and line breaks",
            ));
        }
        Ok(Notes(raw.to_owned()))
    }

    /// Returns the notes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the notes as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Prints only the length, because notes may hold personal data.
impl fmt::Debug for Notes {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Notes(<{} characters>)", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_trimmed() {
        let name = PersonName::parse("  John Doe \t").unwrap();
        assert_eq!(name.as_str(), "John Doe");
        assert_eq!(name.into_inner(), "John Doe");
    }

    #[test]
    fn name_counts_characters_not_bytes() {
        let hundred = "é".repeat(100);
        assert_eq!(PersonName::parse(&hundred).unwrap().as_str(), hundred);
        let hundred_cjk = "名".repeat(100);
        assert!(PersonName::parse(&hundred_cjk).is_ok());

        let error = PersonName::parse(&"é".repeat(101)).unwrap_err();
        assert_eq!(error.message(), "must be at most 100 characters");
    }

    #[test]
    fn name_length_is_measured_after_trimming() {
        let padded = format!("  {}  ", "a".repeat(100));
        assert_eq!(PersonName::parse(&padded).unwrap().as_str().len(), 100);
    }

    #[test]
    fn name_rejects_empty_and_whitespace_only() {
        for raw in ["", "   ", "\t\n", "\u{3000}"] {
            assert_eq!(
                PersonName::parse(raw).unwrap_err().message(),
                "must not be empty",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn name_rejects_control_characters() {
        for raw in ["John\nDoe", "John\u{0}Doe", "John\u{7f}", "John\u{85}Doe"] {
            assert_eq!(
                PersonName::parse(raw).unwrap_err().message(),
                "must not contain invisible or control characters",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn name_rejects_invisible_characters() {
        for raw in [
            "John\u{2028}Doe",
            "John\u{2029}Doe",
            "John\u{202E}eoD",
            "\u{202A}John",
            "John\u{2066}Doe\u{2069}",
            "Jo\u{200B}hn",
            "John\u{200B}",
            "\u{FEFF}John",
            "Jo\u{00AD}hn",
            "Jo\u{2060}hn",
            "John\u{200F}",
            "\u{3164}",
        ] {
            assert_eq!(
                PersonName::parse(raw).unwrap_err().message(),
                "must not contain invisible or control characters",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn name_rejects_private_use_and_noncharacters() {
        for raw in [
            "John\u{E000}",
            "\u{F0000}Doe",
            "John\u{FDD0}",
            "John\u{FFFE}",
            "John\u{1FFFF}",
        ] {
            assert_eq!(
                PersonName::parse(raw).unwrap_err().message(),
                "must not contain private-use characters or noncharacters",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn name_requires_letter_or_digit() {
        for raw in [
            "\u{0301}\u{0301}",
            "\u{200D}",
            "\u{200C}\u{200D}",
            "\u{FE0F}",
            "-",
            "...",
        ] {
            assert_eq!(
                PersonName::parse(raw).unwrap_err().message(),
                "must contain a letter or digit",
                "{raw:?}"
            );
        }
        assert!(PersonName::parse("7").is_ok());
        assert!(PersonName::parse("O'Brien-Smith").is_ok());
    }

    #[test]
    fn name_keeps_joiners_and_combining_marks() {
        for raw in [
            "Jose\u{0301}",
            "\u{0646}\u{0627}\u{0645}\u{0647}\u{200C}\u{0627}\u{06CC}",
            "\u{0915}\u{094D}\u{200D}\u{0937}",
            "Ana \u{1F469}\u{200D}\u{1F4BB}",
            "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} Scot",
        ] {
            assert_eq!(PersonName::parse(raw).unwrap().as_str(), raw, "{raw:?}");
        }
    }

    #[test]
    fn name_debug_hides_value() {
        let name = PersonName::parse("John Doe").unwrap();
        let debug = format!("{name:?}");
        assert!(!debug.contains("John"), "{debug}");
    }

    #[test]
    fn company_is_trimmed_and_limited() {
        assert_eq!(
            CompanyName::parse(" Acme Corp ").unwrap().as_str(),
            "Acme Corp"
        );
        assert!(CompanyName::parse(&"x".repeat(100)).is_ok());
        assert_eq!(
            CompanyName::parse(&"x".repeat(101)).unwrap_err().message(),
            "must be at most 100 characters"
        );
    }

    #[test]
    fn company_rejects_invisible_and_symbol_only() {
        assert_eq!(
            CompanyName::parse("Acme\u{202E}proC")
                .unwrap_err()
                .message(),
            "must not contain invisible or control characters"
        );
        assert_eq!(
            CompanyName::parse("Acme\u{2028}Corp")
                .unwrap_err()
                .message(),
            "must not contain invisible or control characters"
        );
        assert_eq!(
            CompanyName::parse("Acme\u{E001}").unwrap_err().message(),
            "must not contain private-use characters or noncharacters"
        );
        assert_eq!(
            CompanyName::parse("\u{200B}\u{200B}")
                .unwrap_err()
                .message(),
            "must not contain invisible or control characters"
        );
        assert_eq!(
            CompanyName::parse("&&").unwrap_err().message(),
            "must contain a letter or digit"
        );
        assert_eq!(CompanyName::parse("3M").unwrap().as_str(), "3M");
    }

    #[test]
    fn company_rejects_empty_after_trimming() {
        assert_eq!(
            CompanyName::parse("  ").unwrap_err().message(),
            "must not be empty"
        );
    }

    #[test]
    fn notes_are_kept_as_sent() {
        let raw = "  Line one\n\tLine two\r\n";
        assert_eq!(Notes::parse(raw).unwrap().as_str(), raw);
        assert_eq!(Notes::parse("").unwrap().into_inner(), "");
    }

    #[test]
    fn notes_limit_is_1000_characters() {
        assert!(Notes::parse(&"ü".repeat(1000)).is_ok());
        assert_eq!(
            Notes::parse(&"ü".repeat(1001)).unwrap_err().message(),
            "must be at most 1000 characters"
        );
    }

    #[test]
    fn notes_reject_other_control_characters() {
        assert!(Notes::parse("bell\u{7}").is_err());
        assert!(Notes::parse("nul\u{0}").is_err());
    }
}
