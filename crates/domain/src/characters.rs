//! Character classes that the text fields reject.
//!
//! Rust's `char` API covers control characters (`Cc`) but not the format
//! characters, private-use characters and noncharacters, so those ranges
//! are listed here.

/// Tells whether `c` renders as nothing or reorders the text around it, so
/// that a value containing it can look like another value.
///
/// The set contains the zero-width and format characters of Unicode that
/// carry no meaning in a name or an address. Among them are the soft
/// hyphen, zero-width space, word joiner, byte-order mark, the line and
/// paragraph separators, and the bidirectional marks, embeddings, overrides
/// and isolates. The full list is in the match below.
///
/// Zero-width joiner and non-joiner (U+200C, U+200D), variation selectors
/// and tag characters are not in the set, because some scripts and emoji
/// sequences need them.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        // Soft hyphen.
        '\u{00AD}'
        // Arabic letter mark.
        | '\u{061C}'
        // Hangul choseong and jungseong fillers.
        | '\u{115F}'..='\u{1160}'
        // Khmer inherent vowels.
        | '\u{17B4}'..='\u{17B5}'
        // Mongolian vowel separator.
        | '\u{180E}'
        // Zero-width space.
        | '\u{200B}'
        // Left-to-right and right-to-left marks.
        | '\u{200E}'..='\u{200F}'
        // Line and paragraph separators, bidi embeddings and overrides.
        | '\u{2028}'..='\u{202E}'
        // Word joiner, invisible operators, bidi isolates, deprecated formats.
        | '\u{2060}'..='\u{206F}'
        // Hangul filler.
        | '\u{3164}'
        // Byte-order mark, also zero-width no-break space.
        | '\u{FEFF}'
        // Halfwidth Hangul filler.
        | '\u{FFA0}'
        // Interlinear annotation controls.
        | '\u{FFF9}'..='\u{FFFB}'
        // Shorthand format controls.
        | '\u{1BCA0}'..='\u{1BCA3}'
        // Musical symbol formatting controls.
        | '\u{1D173}'..='\u{1D17A}'
    )
}

/// Tells whether `c` is a private-use character, whose meaning depends on
/// private agreement, or a noncharacter (U+FDD0 to U+FDEF and the last two
/// code points of every plane), which Unicode reserves for internal use.
pub(crate) fn is_private_use_or_noncharacter(c: char) -> bool {
    let code_point = u32::from(c);
    matches!(
        c,
        '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}'
    ) || (0xFDD0..=0xFDEF).contains(&code_point)
        || code_point & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_covers_format_characters() {
        for c in [
            '\u{00AD}',
            '\u{061C}',
            '\u{200B}',
            '\u{200E}',
            '\u{200F}',
            '\u{2028}',
            '\u{2029}',
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{3164}',
            '\u{FEFF}',
            '\u{FFA0}',
            '\u{1BCA0}',
            '\u{1D173}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn invisible_keeps_joiners_and_selectors() {
        for c in [
            '\u{200C}',
            '\u{200D}',
            '\u{FE0F}',
            '\u{E0067}',
            '\u{E007F}',
            'a',
            ' ',
            'é',
            '名',
        ] {
            assert!(!is_invisible(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn private_use_and_noncharacters_are_detected() {
        for c in [
            '\u{E000}',
            '\u{F8FF}',
            '\u{F0000}',
            '\u{10FFFD}',
            '\u{FDD0}',
            '\u{FDEF}',
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{1FFFE}',
            '\u{10FFFF}',
        ] {
            assert!(is_private_use_or_noncharacter(c), "U+{:04X}", u32::from(c));
        }
        for c in ['a', '\u{FDCF}', '\u{FDF0}', '\u{FFFD}', '\u{1F600}'] {
            assert!(!is_private_use_or_noncharacter(c), "U+{:04X}", u32::from(c));
        }
    }
}
