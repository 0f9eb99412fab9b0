//! Email addresses.
//!
//! The accepted form is a practical subset of RFC 5322 `addr-spec`. The
//! local part is an ASCII `dot-atom`, without quoted strings or comments.
//! The domain is a host name whose labels are ASCII letters, digits and
//! hyphens, or internationalised labels in Unicode, which RFC 6531 allows in
//! SMTP. Domain literals such as `[192.0.2.1]` are rejected.
//!
//! Internationalised domains go through UTS #46 processing (the `idna`
//! crate) to their ASCII form, the `xn--` Punycode labels that DNS uses.
//! Length limits and the comparison key use that form, so every spelling of
//! one domain counts the same.

use std::fmt;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use crate::characters::is_invisible;
use crate::field::InvalidValue;

/// Limit on the whole address from RFC 5321 section 4.5.3.1.3 (a 256-octet
/// path minus its angle brackets), counted with the domain in ASCII form.
const MAX_ADDRESS_CHARS: usize = 254;
/// RFC 5321 section 4.5.3.1.1.
const MAX_LOCAL_PART: usize = 64;
/// RFC 1035 section 2.3.4, counted in ASCII form.
const MAX_LABEL: usize = 63;
/// Maximum number of input characters that become one character of the
/// ASCII form.
///
/// UTS #46 maps every character that it does not delete to at least one
/// character. NFC then joins at most four code points into one, because no
/// character of Unicode 14.0 has a canonical decomposition longer than four
/// (U+1FAF is one of four). Punycode spends at least one ASCII character per
/// code point. So input longer than this factor times a limit breaks the
/// limit, and it is rejected before the costlier processing.
const MAX_INPUT_CHARS_PER_ASCII_CHAR: usize = 4;

const INVALID: InvalidValue = InvalidValue::new("must be a valid email address");
const TOO_LONG: InvalidValue = InvalidValue::new("must be at most 254 characters");
const INVISIBLE_CHARACTERS: InvalidValue = InvalidValue::new(
    "must be a valid email address: invisible characters such as zero-width spaces are not allowed",
);
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
pub struct Email {
    /// The trimmed address as sent.
    address: String,
    /// The domain in lower-case ASCII form, with `xn--` Punycode labels.
    ascii_domain: String,
}

impl Email {
    /// Parses an address after trimming surrounding whitespace.
    ///
    /// The local part before the `@` is 1 to 64 ASCII `atext` characters
    /// (RFC 5322 section 3.2.3) in dot-separated runs, so `+tag`
    /// sub-addresses are valid. The domain has at least two labels. An ASCII
    /// label follows the letter-digit-hyphen rule, and a label with non-ASCII
    /// characters may contain letters, digits and marks of any script.
    ///
    /// The domain must pass UTS #46 processing to ASCII with the STD3 rules,
    /// hyphen checks and no transitional mapping. That rejects invalid
    /// `xn--` labels, other labels with `--` in the third and fourth
    /// positions, characters that IDNA disallows, and labels that break the
    /// bidi or joiner rules. Each label is at most 63 characters and the
    /// whole address at most 254, both counted with the domain in that ASCII
    /// form. The last label must not consist only of numerals of any script
    /// (`char::is_numeric`), which rules out bare IP addresses.
    ///
    /// Invisible characters such as a zero-width space, soft hyphen,
    /// byte-order mark or bidirectional control are rejected anywhere in the
    /// address, as is any character that UTS #46 would silently delete from
    /// the domain, such as a variation selector.
    ///
    /// # Errors
    ///
    /// Returns the first rule that the address breaks.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let address = raw.trim();
        if exceeds(address, MAX_INPUT_CHARS_PER_ASCII_CHAR * MAX_ADDRESS_CHARS) {
            return Err(TOO_LONG);
        }
        if address.chars().any(is_invisible) {
            return Err(INVISIBLE_CHARACTERS);
        }
        let (local_part, domain) = address.split_once('@').ok_or(INVALID)?;
        validate_local_part(local_part)?;
        let ascii_domain = validate_domain(domain)?;
        if local_part.len() + "@".len() + ascii_domain.len() > MAX_ADDRESS_CHARS {
            return Err(TOO_LONG);
        }
        Ok(Email {
            address: address.to_owned(),
            ascii_domain,
        })
    }

    /// Returns the address.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// Returns the address as an owned string.
    pub fn into_inner(self) -> String {
        self.address
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
    /// The key is the local part in lower case, `@`, and the domain in its
    /// lower-case ASCII form, so `bücher.de`, `xn--bcher-kva.de` and the
    /// full-width or decomposed spellings of `bücher.de` give one key. For
    /// `gmail.com` and `googlemail.com`, which deliver to the same mailbox
    /// whatever the dots in the local part and whatever follows a `+`, the
    /// key also drops those and uses `gmail.com` as the domain. A local part
    /// that starts with `+` has no mailbox name to keep, so its key keeps the
    /// whole local part without dots, and `+a@gmail.com` and `+b@gmail.com`
    /// stay two addresses.
    pub fn comparison_key(&self) -> String {
        let (local_part, _) = self.split();
        let local_part = local_part.to_ascii_lowercase();
        let domain = self.ascii_domain.as_str();
        if domain != "gmail.com" && domain != "googlemail.com" {
            return format!("{local_part}@{domain}");
        }
        let mailbox = match local_part.split_once('+') {
            Some((name, _)) if !name.is_empty() => name,
            _ => local_part.as_str(),
        };
        let mailbox: String = mailbox.chars().filter(|&c| c != '.').collect();
        format!("{mailbox}@gmail.com")
    }

    fn split(&self) -> (&str, &str) {
        self.address.split_once('@').unwrap_or((&self.address, ""))
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Email({:?})", self.redacted())
    }
}

fn exceeds(text: &str, max_chars: usize) -> bool {
    text.chars().nth(max_chars).is_some()
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

/// Validates the domain as sent and returns its ASCII form.
fn validate_domain(domain: &str) -> Result<String, InvalidValue> {
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
    if top_level.chars().all(char::is_numeric) {
        return Err(DOMAIN_NUMERIC_TOP_LEVEL);
    }

    let ascii_domain = to_ascii(domain)?;
    let ascii_labels: Vec<&str> = ascii_domain.split('.').collect();
    if ascii_labels.iter().any(|label| label.len() > MAX_LABEL) {
        return Err(DOMAIN_LABEL_TOO_LONG);
    }
    // Probing each character costs a UTS #46 run, so it waits until the
    // length checks have bounded the domain.
    if domain
        .chars()
        .any(|c| !c.is_ascii() && is_deleted_by_uts46(c))
    {
        return Err(INVISIBLE_CHARACTERS);
    }
    // DNS resolves the ASCII form, so the rule is checked there too, in case
    // a character that `char::is_numeric` does not cover maps to digits.
    let ascii_top_level = ascii_labels.last().copied().unwrap_or_default();
    if ascii_top_level.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(DOMAIN_NUMERIC_TOP_LEVEL);
    }
    Ok(ascii_domain)
}

/// Checks the characters, hyphens and a first length bound of one label as
/// sent. The exact length check needs the ASCII form.
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
    if exceeds(label, MAX_INPUT_CHARS_PER_ASCII_CHAR * MAX_LABEL) {
        return Err(DOMAIN_LABEL_TOO_LONG);
    }
    Ok(())
}

/// Converts a domain to its ASCII form with UTS #46: case-folded, mapped,
/// NFC-normalised and Punycode-encoded label by label.
///
/// The STD3 rules allow only letters, digits and hyphens after mapping, so
/// a full-width `＿` is rejected like `_`. Hyphen checking rejects `--` in
/// the third and fourth positions of a label that is not a valid `xn--`
/// label. Length is checked by the caller, which reports it per label.
fn to_ascii(domain: &str) -> Result<String, InvalidValue> {
    Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .map(|ascii| ascii.into_owned())
        .map_err(|_| INVALID)
}

/// Tells whether UTS #46 maps `c` to nothing, as it does for variation
/// selectors and the combining grapheme joiner. Such a character would
/// vanish from the ASCII form while staying in the stored address.
fn is_deleted_by_uts46(c: char) -> bool {
    // A lone character may be invalid on its own, such as a combining mark
    // at the start of a label, so it follows a letter that maps to itself.
    let probe = format!("a{c}");
    let (mapped, _) =
        Uts46::new().to_unicode(probe.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
    mapped == "a"
}

/// Tells whether `c` may appear in an internationalised domain label as
/// sent.
///
/// ASCII characters must be letters, digits or hyphens. Scripts such as
/// Devanagari need combining marks, which `char::is_alphanumeric` rejects,
/// so any other non-ASCII character passes this check and is left to UTS
/// #46. The exceptions are whitespace, control characters, and the full
/// stops that UTS #46 maps to a dot, which would change how the domain
/// splits into labels.
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
        assert!(Email::parse("user@пример.рф").is_ok());
        assert!(Email::parse("user@straße.de").is_ok());
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
    fn address_limit_counts_ascii_form_of_domain() {
        // "a" * 55 + "ü" is 56 characters and "xn--" + "a" * 55 + "-" + 3
        // Punycode digits, 63 characters, in ASCII form.
        let label = format!("{}ü", "a".repeat(55));
        let domain = format!("{label}.{label}.{label}.de");
        assert_eq!(domain.chars().count(), 173);

        let at_limit = format!("{}@{domain}", "l".repeat(59));
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{}@{domain}", "l".repeat(60));
        assert!(over.chars().count() < 254);
        assert_eq!(message(&over), TOO_LONG.message());
    }

    #[test]
    fn label_limit_counts_composed_form() {
        // 32 decomposed "ü" are 64 characters as sent but 32 characters
        // after NFC, and "xn--tdaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" in ASCII.
        let decomposed = "u\u{0308}".repeat(32);
        let email = Email::parse(&format!("user@{decomposed}.de")).unwrap();
        assert_eq!(
            email.comparison_key(),
            format!("user@{}.de", to_ascii(&"ü".repeat(32)).unwrap())
        );

        let over = format!("user@{}u\u{0308}.de", "a".repeat(58));
        assert_eq!(message(&over), DOMAIN_LABEL_TOO_LONG.message());
    }

    #[test]
    fn rejects_huge_input_before_mapping() {
        let label = "ü".repeat(4 * 63 + 1);
        assert_eq!(
            message(&format!("user@{label}.de")),
            DOMAIN_LABEL_TOO_LONG.message()
        );
        let huge = format!("user@{}.de", "ü.".repeat(600));
        assert_eq!(message(&huge), TOO_LONG.message());
    }

    #[test]
    fn rejects_invisible_characters_anywhere() {
        for invisible in [
            '\u{200B}', '\u{00AD}', '\u{2060}', '\u{FEFF}', '\u{202A}', '\u{202B}', '\u{202C}',
            '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200E}',
        ] {
            for raw in [
                format!("jo{invisible}hn@example.com"),
                format!("john@exa{invisible}mple.com"),
                format!("john@bü{invisible}cher.de"),
                format!("john@example.com{invisible}"),
                format!("{invisible}john@example.com"),
                format!(" john@example.com{invisible} "),
            ] {
                assert_eq!(message(&raw), INVISIBLE_CHARACTERS.message(), "{raw:?}");
            }
        }
    }

    #[test]
    fn rejects_characters_that_uts46_deletes() {
        for raw in [
            "user@exa\u{FE0F}mple.com",
            "user@bu\u{034F}cher.de",
            "user@example.co\u{180B}m",
            "user@b\u{E0100}ücher.de",
        ] {
            assert_eq!(message(raw), INVISIBLE_CHARACTERS.message(), "{raw:?}");
        }
        assert!(is_deleted_by_uts46('\u{FE0F}'));
        assert!(!is_deleted_by_uts46('ü'));
        assert!(!is_deleted_by_uts46('\u{0308}'));
        assert!(!is_deleted_by_uts46('\u{200D}'));
    }

    #[test]
    fn rejects_domains_that_uts46_rejects() {
        for raw in [
            "user@xn--zz.com",
            "user@xn--a.com",
            "user@xn--abc.com",
            "user@ab--cd.com",
            "user@example.xn--zz",
            "user@ab--ü.de",
            "user@exa\u{FF3F}mple.com",
            "user@a\u{200D}b.com",
            "user@\u{0308}bc.de",
        ] {
            assert_eq!(message(raw), INVALID.message(), "{raw:?}");
        }
    }

    #[test]
    fn rejects_numeric_top_level_in_any_script() {
        for raw in [
            "user@example.123",
            "user@example.\u{FF11}\u{FF12}\u{FF13}",
            "user@example.\u{0661}\u{0662}\u{0663}",
            "user@example.\u{0967}\u{0968}",
            "user@example.\u{2460}\u{2461}",
        ] {
            assert_eq!(message(raw), DOMAIN_NUMERIC_TOP_LEVEL.message(), "{raw:?}");
        }
        assert!(Email::parse("user@123.example.com").is_ok());
        assert!(Email::parse("user@example.c0m").is_ok());
    }

    #[test]
    fn keeps_unicode_spellings_as_sent() {
        for raw in [
            "user@ｂüｃｈｅｒ.de",
            "user@bu\u{0308}cher.de",
            "user@BÜCHER.de",
        ] {
            assert_eq!(Email::parse(&format!(" {raw}\t")).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn comparison_key_uses_ascii_domain() {
        for raw in [
            "user@bücher.de",
            "user@bu\u{0308}cher.de",
            "user@xn--bcher-kva.de",
            "user@ｂüｃｈｅｒ.de",
            "USER@BÜCHER.DE",
            "user@XN--BCHER-KVA.de",
        ] {
            let email = Email::parse(raw).unwrap();
            assert_eq!(email.comparison_key(), "user@xn--bcher-kva.de", "{raw:?}");
        }
    }

    #[test]
    fn comparison_key_folds_gmail_after_mapping() {
        let email = Email::parse("John.Doe+x@ｇｍａｉｌ.com").unwrap();
        assert_eq!(email.comparison_key(), "johndoe@gmail.com");
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

    #[test]
    fn comparison_key_keeps_gmail_tag_without_name() {
        for (raw, key) in [
            ("+a@gmail.com", "+a@gmail.com"),
            ("+B@googlemail.com", "+b@gmail.com"),
            ("+a.b+c@gmail.com", "+ab+c@gmail.com"),
            ("++x@gmail.com", "++x@gmail.com"),
            ("a+@gmail.com", "a@gmail.com"),
        ] {
            let email = Email::parse(raw).unwrap();
            assert_eq!(email.comparison_key(), key, "{raw}");
        }
        let first = Email::parse("+a@gmail.com").unwrap();
        let second = Email::parse("+b@gmail.com").unwrap();
        assert_ne!(first.comparison_key(), second.comparison_key());
    }
}
