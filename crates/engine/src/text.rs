//! Tokenisation with character offsets.
//!
//! Offsets count Unicode scalar values, as the API's entity offsets do. The
//! tokeniser never fails: any string, including control characters and
//! combining marks, yields a (possibly empty) token list.

use crate::lexicon;

/// Kind of content of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters, digits and inner apostrophes, hyphens or dots.
    Word,
    /// A text emoticon found in the lexicon, such as `:)` or `<3`.
    Emoticon,
    /// One emoji character.
    Emoji,
}

/// One token of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token<'a> {
    /// The token as written.
    pub text: &'a str,
    /// Lower-case form with typographic apostrophes made plain.
    pub lower: String,
    /// Offset of the first character.
    pub start: usize,
    /// Offset one past the last character.
    pub end: usize,
    /// Kind of token.
    pub kind: TokenKind,
    /// Whether a comma, semicolon, colon, dash or bracket follows, which
    /// ends the reach of a negation.
    pub ends_clause: bool,
    /// Whether a full stop, question mark, exclamation mark or line break
    /// follows.
    pub ends_sentence: bool,
}

impl Token<'_> {
    /// Tells whether the token is written in capitals, with at least two
    /// letters so that "I" and "A" do not count.
    pub fn is_shouted(&self) -> bool {
        let mut letters = 0;
        for c in self.text.chars() {
            if c.is_lowercase() {
                return false;
            }
            if c.is_uppercase() {
                letters += 1;
            }
        }
        letters >= 2
    }
}

/// A character of the input with its byte position.
#[derive(Clone, Copy)]
struct Scalar {
    byte: usize,
    value: char,
}

/// Splits a text into tokens.
pub fn tokenize(text: &str) -> Vec<Token<'_>> {
    let scalars: Vec<Scalar> = text
        .char_indices()
        .map(|(byte, value)| Scalar { byte, value })
        .collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < scalars.len() {
        if scalars[index].value.is_whitespace() {
            if is_line_break(scalars[index].value) {
                mark_sentence_end(&mut tokens);
            }
            index += 1;
            continue;
        }
        let chunk_end = (index..scalars.len())
            .find(|&i| scalars[i].value.is_whitespace())
            .unwrap_or(scalars.len());
        split_chunk(text, &scalars, index, chunk_end, &mut tokens);
        index = chunk_end;
    }
    tokens
}

/// Splits one whitespace-free chunk into emoticon, emoji and word tokens.
fn split_chunk<'a>(
    text: &'a str,
    scalars: &[Scalar],
    start: usize,
    end: usize,
    tokens: &mut Vec<Token<'a>>,
) {
    let chunk = slice(text, scalars, start, end);
    if end - start >= 2 && !chunk.chars().all(char::is_alphanumeric) {
        let lower = normalize(chunk);
        if lexicon::word_valence(&lower).is_some() && !lower.chars().any(char::is_alphabetic)
            || is_letter_emoticon(&lower)
        {
            tokens.push(make_token(text, scalars, start, end, TokenKind::Emoticon));
            return;
        }
    }

    let mut index = start;
    while index < end {
        let value = scalars[index].value;
        if is_word_char(value) {
            let word_end = word_end(scalars, index, end);
            tokens.push(make_token(text, scalars, index, word_end, TokenKind::Word));
            index = word_end;
        } else if is_emoji(value) {
            tokens.push(make_token(
                text,
                scalars,
                index,
                index + 1,
                TokenKind::Emoji,
            ));
            index += 1;
        } else {
            mark_punctuation(value, tokens);
            index += 1;
        }
    }
}

/// Emoticons that contain letters, such as `:D` or `xD`, which the word
/// splitter would otherwise break apart.
fn is_letter_emoticon(lower: &str) -> bool {
    lower.chars().any(|c| !c.is_alphanumeric())
        && lower.chars().any(char::is_alphabetic)
        && lexicon::word_valence(lower).is_some()
        && lower.chars().count() <= 4
}

/// Finds where a word that starts at `start` ends: letters, digits and marks,
/// with apostrophes, hyphens, dots and commas allowed between them.
fn word_end(scalars: &[Scalar], start: usize, end: usize) -> usize {
    let mut index = start + 1;
    while index < end {
        let value = scalars[index].value;
        if is_word_char(value) {
            index += 1;
            continue;
        }
        let joins = matches!(value, '\'' | '’' | '-' | '.' | ',' | '_' | '&')
            && index + 1 < end
            && is_word_char(scalars[index + 1].value);
        let numeric_comma = value != ',' || scalars[index - 1].value.is_ascii_digit();
        if joins && numeric_comma {
            index += 2;
        } else {
            break;
        }
    }
    index
}

fn is_word_char(value: char) -> bool {
    value.is_alphanumeric() || is_combining_mark(value)
}

/// Combining diacritical marks belong to the letter before them.
fn is_combining_mark(value: char) -> bool {
    matches!(value as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Tells whether a character is an emoji: pictographs and the symbols that
/// the emoji lexicon scores.
fn is_emoji(value: char) -> bool {
    matches!(value as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF)
        || lexicon::emoji_valence(value).is_some()
}

fn is_line_break(value: char) -> bool {
    matches!(value, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn mark_punctuation(value: char, tokens: &mut [Token<'_>]) {
    match value {
        '.' | '!' | '?' | '…' | '。' | '！' | '？' => mark_sentence_end(tokens),
        ',' | ';' | ':' | '(' | ')' | '[' | ']' | '—' | '–' | '-' | '"' | '“' | '”' => {
            if let Some(last) = tokens.last_mut() {
                last.ends_clause = true;
            }
        }
        _ => {}
    }
}

fn mark_sentence_end(tokens: &mut [Token<'_>]) {
    if let Some(last) = tokens.last_mut() {
        last.ends_clause = true;
        last.ends_sentence = true;
    }
}

fn make_token<'a>(
    text: &'a str,
    scalars: &[Scalar],
    start: usize,
    end: usize,
    kind: TokenKind,
) -> Token<'a> {
    let written = slice(text, scalars, start, end);
    Token {
        text: written,
        lower: normalize(written),
        start,
        end,
        kind,
        ends_clause: false,
        ends_sentence: false,
    }
}

fn slice<'a>(text: &'a str, scalars: &[Scalar], start: usize, end: usize) -> &'a str {
    let from = scalars[start].byte;
    let to = scalars.get(end).map_or(text.len(), |scalar| scalar.byte);
    &text[from..to]
}

/// Lower-cases a word and replaces typographic apostrophes by `'`.
pub fn normalize(word: &str) -> String {
    // ASCII has no typographic apostrophes, and its lower case is ASCII.
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == '’' || c == '‘' { '\'' } else { c })
        .collect()
}

/// Shortens runs of three or more equal letters to `keep` letters, so that
/// "sooooo" can be found as "so" and "goooood" as "good".
pub fn collapse_repeats(word: &str, keep: usize) -> Option<String> {
    if !has_run_longer_than(word, keep.max(2)) {
        return None;
    }
    let chars: Vec<char> = word.chars().collect();
    let mut collapsed = String::with_capacity(word.len());
    let mut changed = false;
    let mut index = 0;
    while index < chars.len() {
        let run = chars[index..]
            .iter()
            .take_while(|&&c| c == chars[index])
            .count();
        let kept = if run >= 3 { keep.min(run) } else { run };
        changed |= kept != run;
        collapsed.extend(std::iter::repeat_n(chars[index], kept));
        index += run;
    }
    changed.then_some(collapsed)
}

/// Tells whether `word` repeats one character more than `limit` times in a
/// row.
fn has_run_longer_than(word: &str, limit: usize) -> bool {
    let mut previous = None;
    let mut run = 0;
    for c in word.chars() {
        run = if previous == Some(c) { run + 1 } else { 1 };
        if run > limit {
            return true;
        }
        previous = Some(c);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        tokenize(text).into_iter().map(|token| token.text).collect()
    }

    #[test]
    fn splits_words_and_punctuation() {
        assert_eq!(
            words("I love it!!! Don't stop, ok?"),
            ["I", "love", "it", "Don't", "stop", "ok"]
        );
    }

    #[test]
    fn keeps_emoticons_and_emoji() {
        let tokens = tokenize("great :) 😀x");
        assert_eq!(tokens[1].kind, TokenKind::Emoticon);
        assert_eq!(tokens[2].kind, TokenKind::Emoji);
        assert_eq!(tokens[2].start, 9);
        assert_eq!(tokens[3].text, "x");
    }

    #[test]
    fn offsets_count_characters() {
        let tokens = tokenize("héllo wörld");
        assert_eq!((tokens[1].start, tokens[1].end), (6, 11));
    }

    #[test]
    fn numbers_keep_separators() {
        assert_eq!(
            words("$50,000 for 1.5k users, 3, 4"),
            ["50,000", "for", "1.5k", "users", "3", "4"]
        );
    }

    #[test]
    fn marks_clause_and_sentence_ends() {
        let tokens = tokenize("good, but bad. Next");
        assert!(tokens[0].ends_clause);
        assert!(!tokens[0].ends_sentence);
        assert!(tokens[2].ends_sentence);
    }

    #[test]
    fn collapses_elongated_words() {
        assert_eq!(collapse_repeats("sooooo", 1).as_deref(), Some("so"));
        assert_eq!(collapse_repeats("goooood", 2).as_deref(), Some("good"));
        assert_eq!(collapse_repeats("good", 1), None);
    }
}
