//! Email addresses.
//!
//! The accepted form is a practical subset of RFC 5322 `addr-spec`. The
//! local part is an ASCII `dot-atom`, without quoted strings or comments.
//! The domain is a host name whose labels are ASCII letters, digits and
//! hyphens, or internationalised labels in Unicode, which RFC 6531 allows in
//! SMTP. Domain literals such as `[192.0.2.1]` are rejected.

use std::fmt;

use crate::field::InvalidValue;

mod punycode;

/// Limit on the whole address from RFC 5321 section 4.5.3.1.3 (a 256-octet
/// path minus its angle brackets), counted in characters of the stored form.
const MAX_ADDRESS_CHARS: usize = 254;
/// RFC 5321 section 4.5.3.1.1.
const MAX_LOCAL_PART: usize = 64;
/// RFC 1035 section 2.3.4.
const MAX_LABEL: usize = 63;

const INVALID: InvalidValue = InvalidValue::new("must be a valid email address");
const TOO_LONG: InvalidValue = InvalidValue::new("must be at most 254 characters");
const QUOTED_LOCAL_PART: InvalidValue =
    InvalidValue::new("must be a valid email address: quoted text before the @ is not supported");
const LOCAL_PART_TOO_LONG: InvalidValue = InvalidValue::new(
    "must be a valid email address: the part before the @ must be at most 64 characters",
);
const LOCAL_PART_DOTS: InvalidValue = InvalidValue::new(
    "must be a valid email address: the part before the @ must not start or end with a dot or contain two dots in a row",
);
const LOCAL_PART_CHARACTERS: InvalidValue = InvalidValue::new(
    "must be a valid email address: the part before the @ may contain only ASCII letters, digits, dots and !#$%&'*+-/=?^_`{|}~",
);
const DOMAIN_LABEL_COUNT: InvalidValue = InvalidValue::new(
    "must be a valid email address: the domain must have at least two parts, such as example.com",
);
const DOMAIN_LABEL_EMPTY: InvalidValue = InvalidValue::new(
    "must be a valid email address: the domain must not start or end with a dot or contain two dots in a row",
);
const DOMAIN_LABEL_TOO_LONG: InvalidValue = InvalidValue::new(
    "must be a valid email address: each part of the domain must be at most 63 characters",
);
const DOMAIN_LABEL_HYPHEN: InvalidValue = InvalidValue::new(
    "must be a valid email address: a part of the domain must not start or end with a hyphen",
);
const DOMAIN_LABEL_CHARACTERS: InvalidValue = InvalidValue::new(
    "must be a valid email address: the domain may contain only letters, digits, hyphens and dots",
);
const DOMAIN_NUMERIC_TOP_LEVEL: InvalidValue = InvalidValue::new(
    "must be a valid email address: the last part of the domain must not be all digits",
);

/// An email address, stored as the client sent it apart from surrounding
/// whitespace.
///
/// `Debug` prints the [`redacted`](Email::redacted) form and there is no
/// `Display`, so that log lines do not carry full addresses by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address after trimming surrounding whitespace.
    ///
    /// The local part before the `@` is 1 to 64 ASCII `atext` characters
    /// (RFC 5322 section 3.2.3) in dot-separated runs, so `+tag`
    /// sub-addresses are valid. The domain has at least two labels. An ASCII
    /// label follows the letter-digit-hyphen rule, and a label with non-ASCII
    /// characters may contain letters and digits of any script. A label is at
    /// most 63 characters, where a Unicode label is measured in its ASCII
    /// form `xn--` plus Punycode (RFC 3492) as IDNA would send it; the label
    /// is not case-folded or normalised first. The last label must not be
    /// all digits, which rules out bare IP addresses. The whole trimmed
    /// address is at most 254 characters.
    ///
    /// # Errors
    ///
    /// Returns the first rule that the address breaks.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let address = raw.trim();
        if address.chars().nth(MAX_ADDRESS_CHARS).is_some() {
            return Err(TOO_LONG);
        }
        let (local_part, domain) = address.split_once('@').ok_or(INVALID)?;
        validate_local_part(local_part)?;
        validate_domain(domain)?;
        Ok(Email(address.to_owned()))
    }

    /// Returns the address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the address as an owned string.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// Returns the address with all but the first character of the local
    /// part masked, such as `j***@example.com`, for log lines.
    pub fn redacted(&self) -> String {
        let (local_part, domain) = self.split();
        let first = local_part.chars().next().unwrap_or('*');
        format!("{first}***@{domain}")
    }

    /// Returns the key under which two addresses count as the same person.
    ///
    /// The key is the address in lower case. For `gmail.com` and
    /// `googlemail.com`, which deliver to the same mailbox whatever the dots
    /// in the local part and whatever follows a `+`, the key also drops
    /// those and uses `gmail.com` as the domain.
    pub fn comparison_key(&self) -> String {
        let lowered = self.0.to_lowercase();
        let Some((local_part, domain)) = lowered.split_once('@') else {
            return lowered;
        };
        if domain != "gmail.com" && domain != "googlemail.com" {
            return lowered;
        }
        let mailbox = local_part.split('+').next().unwrap_or(local_part);
        let mailbox: String = mailbox.chars().filter(|&c| c != '.').collect();
        format!("{mailbox}@gmail.com")
    }

    fn split(&self) -> (&str, &str) {
        self.0.split_once('@').unwrap_or((&self.0, ""))
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Email({:?})", self.redacted())
    }
}

/// RFC 5322 `atext`: the characters allowed in a dot-atom besides dots.
fn is_atext(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&byte)
}

fn validate_local_part(local_part: &str) -> Result<(), InvalidValue> {
    if local_part.is_empty() {
        return Err(INVALID);
    }
    if local_part.starts_with('"') {
        return Err(QUOTED_LOCAL_PART);
    }
    if !local_part
        .bytes()
        .all(|byte| byte == b'.' || is_atext(byte))
    {
        return Err(LOCAL_PART_CHARACTERS);
    }
    if local_part.len() > MAX_LOCAL_PART {
        return Err(LOCAL_PART_TOO_LONG);
    }
    if local_part.split('.').any(str::is_empty) {
        return Err(LOCAL_PART_DOTS);
    }
    Ok(())
}

fn validate_domain(domain: &str) -> Result<(), InvalidValue> {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.iter().any(|label| label.is_empty()) {
        return Err(if domain.is_empty() {
            INVALID
        } else {
            DOMAIN_LABEL_EMPTY
        });
    }
    for label in &labels {
        validate_label(label)?;
    }
    if labels.len() < 2 {
        return Err(DOMAIN_LABEL_COUNT);
    }
    let top_level = labels.last().copied().unwrap_or_default();
    if top_level.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(DOMAIN_NUMERIC_TOP_LEVEL);
    }
    Ok(())
}

fn validate_label(label: &str) -> Result<(), InvalidValue> {
    if label.starts_with('-') || label.ends_with('-') {
        return Err(DOMAIN_LABEL_HYPHEN);
    }
    if label.is_ascii() {
        if !label
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        {
            return Err(DOMAIN_LABEL_CHARACTERS);
        }
        if label.len() > MAX_LABEL {
            return Err(DOMAIN_LABEL_TOO_LONG);
        }
        return Ok(());
    }
    if !label.chars().all(is_unicode_label_char) {
        return Err(DOMAIN_LABEL_CHARACTERS);
    }
    // The ASCII form is never shorter than the label itself, so a long label
    // is rejected before encoding it.
    if label.chars().nth(MAX_LABEL).is_some() {
        return Err(DOMAIN_LABEL_TOO_LONG);
    }
    match punycode::encoded_len(label) {
        Some(encoded) if "xn--".len() + encoded <= MAX_LABEL => Ok(()),
        _ => Err(DOMAIN_LABEL_TOO_LONG),
    }
}

/// Tells whether `c` may appear in an internationalised domain label.
///
/// ASCII characters must be letters, digits or hyphens. Scripts such as
/// Devanagari need combining marks, which `char::is_alphanumeric` rejects,
/// so any other non-ASCII character is accepted. The exceptions are
/// whitespace, control characters, and the full stops that IDNA (UTS 46)
/// maps to a dot.
fn is_unicode_label_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '-';
    }
    !c.is_whitespace() && !c.is_control() && !matches!(c, '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(raw: &str) -> &'static str {
        Email::parse(raw).unwrap_err().message()
    }

    /// Builds an address of exactly `total` characters, 195 to 256, from a
    /// 64-character local part and a domain of two 63-character labels and a
    /// shorter one.
    fn address_of_length(total: usize) -> String {
        let label = "a".repeat(63);
        let last_label = "b".repeat(total - 64 - 1 - 2 * 64);
        let address = format!("{}@{label}.{label}.{last_label}", "l".repeat(64));
        assert_eq!(address.chars().count(), total);
        address
    }

    #[test]
    fn accepts_common_addresses() {
        for raw in [
            "john@example.com",
            "John.Doe@Example.COM",
            "user+tag@example.com",
            "a@b.co",
            "o'brien@example.ie",
            "x_y-z@sub.domain.example.org",
            "1234@example.com",
        ] {
            assert!(Email::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn keeps_address_as_sent_after_trimming() {
        let email = Email::parse("  John.Doe+news@Example.com \n").unwrap();
        assert_eq!(email.as_str(), "John.Doe+news@Example.com");
    }

    #[test]
    fn rejects_misplaced_dots_in_local_part() {
        for raw in [".a@x.com", "a.@x.com", "a..b@x.com"] {
            assert_eq!(message(raw), LOCAL_PART_DOTS.message(), "{raw}");
        }
    }

    #[test]
    fn rejects_quoted_local_part() {
        assert_eq!(
            message("\"john doe\"@example.com"),
            QUOTED_LOCAL_PART.message()
        );
        assert_eq!(message("\"j\"@example.com"), QUOTED_LOCAL_PART.message());
    }

    #[test]
    fn rejects_missing_parts_and_bad_characters() {
        assert_eq!(message("john.example.com"), INVALID.message());
        assert_eq!(message("@example.com"), INVALID.message());
        assert_eq!(message("john@"), INVALID.message());
        assert_eq!(message(""), INVALID.message());
        assert_eq!(
            message("a@b@example.com"),
            DOMAIN_LABEL_CHARACTERS.message()
        );
        assert_eq!(
            message("jo hn@example.com"),
            LOCAL_PART_CHARACTERS.message()
        );
        assert_eq!(message("jöhn@example.com"), LOCAL_PART_CHARACTERS.message());
        assert_eq!(
            message("john(x)@example.com"),
            LOCAL_PART_CHARACTERS.message()
        );
        assert_eq!(
            message("john@exa_mple.com"),
            DOMAIN_LABEL_CHARACTERS.message()
        );
        assert_eq!(
            message("john@[192.0.2.1]"),
            DOMAIN_LABEL_CHARACTERS.message()
        );
    }

    #[test]
    fn local_part_limit_is_64() {
        let at_limit = format!("{}@example.com", "a".repeat(64));
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{}@example.com", "a".repeat(65));
        assert_eq!(message(&over), LOCAL_PART_TOO_LONG.message());
    }

    #[test]
    fn address_limit_is_254() {
        assert!(Email::parse(&address_of_length(254)).is_ok());
        assert_eq!(message(&address_of_length(255)), TOO_LONG.message());
    }

    #[test]
    fn address_limit_ignores_surrounding_whitespace() {
        let padded = format!("   {}   ", address_of_length(254));
        assert!(Email::parse(&padded).is_ok());
    }

    #[test]
    fn label_limit_is_63() {
        let at_limit = format!("john@{}.com", "a".repeat(63));
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("john@{}.com", "a".repeat(64));
        assert_eq!(message(&over), DOMAIN_LABEL_TOO_LONG.message());
    }

    #[test]
    fn rejects_bad_domain_shapes() {
        assert_eq!(message("john@localhost"), DOMAIN_LABEL_COUNT.message());
        assert_eq!(message("john@.example.com"), DOMAIN_LABEL_EMPTY.message());
        assert_eq!(message("john@example.com."), DOMAIN_LABEL_EMPTY.message());
        assert_eq!(message("john@example..com"), DOMAIN_LABEL_EMPTY.message());
        assert_eq!(message("john@-example.com"), DOMAIN_LABEL_HYPHEN.message());
        assert_eq!(message("john@example-.com"), DOMAIN_LABEL_HYPHEN.message());
        assert_eq!(
            message("john@192.0.2.1"),
            DOMAIN_NUMERIC_TOP_LEVEL.message()
        );
    }

    #[test]
    fn accepts_unicode_and_punycode_domains() {
        let unicode = Email::parse("user@bücher.de").unwrap();
        assert_eq!(unicode.as_str(), "user@bücher.de");
        assert!(Email::parse("user@xn--bcher-kva.de").is_ok());
        assert!(Email::parse("user@例え.jp").is_ok());
        assert!(Email::parse("user@मेल.भारत").is_ok());
    }

    #[test]
    fn unicode_label_limit_uses_ascii_form() {
        // "xn--" plus the Punycode of 58 "a" and one "ü" is 4 + 58 + 1 + 3 = 66.
        let over = format!("user@{}ü.de", "a".repeat(58));
        assert_eq!(message(&over), DOMAIN_LABEL_TOO_LONG.message());
        let at_limit = format!("user@{}ü.de", "a".repeat(55));
        assert!(Email::parse(&at_limit).is_ok());
    }

    #[test]
    fn rejects_unicode_separators_and_spaces_in_domain() {
        assert_eq!(
            message("user@bücher。de"),
            DOMAIN_LABEL_CHARACTERS.message()
        );
        assert_eq!(
            message("user@bü cher.de"),
            DOMAIN_LABEL_CHARACTERS.message()
        );
        assert_eq!(
            message("user@bü\u{00A0}cher.de"),
            DOMAIN_LABEL_CHARACTERS.message()
        );
    }

    #[test]
    fn redacted_masks_local_part() {
        let email = Email::parse("john@example.com").unwrap();
        assert_eq!(email.redacted(), "j***@example.com");
        let debug = format!("{email:?}");
        assert!(!debug.contains("john"), "{debug}");
        assert!(debug.contains("j***@example.com"), "{debug}");
    }

    #[test]
    fn comparison_key_lowercases() {
        let email = Email::parse("John.Doe@Example.COM").unwrap();
        assert_eq!(email.comparison_key(), "john.doe@example.com");
        let tagged = Email::parse("john+news@example.com").unwrap();
        assert_eq!(tagged.comparison_key(), "john+news@example.com");
    }

    #[test]
    fn comparison_key_folds_gmail_dots_and_tags() {
        for raw in [
            "John.Doe+news@gmail.com",
            "johndoe@GMAIL.com",
            "j.o.h.n.d.o.e@googlemail.com",
        ] {
            let email = Email::parse(raw).unwrap();
            assert_eq!(email.comparison_key(), "johndoe@gmail.com", "{raw}");
        }
    }
}
