//! Features of a text for the learned sentiment model.
//!
//! Dense features summarise the rule-based scores. Sparse features are the
//! text's words and word pairs, lower-cased, with words after a negation
//! marked as negated. Training and scoring both call [`extract`], so the
//! shipped weights and the evaluation see identical features.

use std::borrow::Cow;

use super::rules::{self, RuleScores};
use crate::text::{Token, TokenKind, collapse_repeats, tokenize};

/// Number of dense features.
pub const DENSE_FEATURES: usize = 20;

/// Names of the dense features, in order, for the weight file.
pub const DENSE_NAMES: [&str; DENSE_FEATURES] = [
    "compound",
    "compound_cubed",
    "positive",
    "negative",
    "balance",
    "mean_valence",
    "exclamations",
    "question",
    "length",
    "shouted_share",
    "symbols",
    "contrast_gap",
    "informal",
    "informal_compound",
    "informal_compound_cubed",
    "no_sentiment_words",
    "informal_positive",
    "informal_negative",
    "informal_exclamations",
    "informal_no_sentiment_words",
];

/// Scale of the sparse features of texts without any sentiment word. The
/// words of such texts predict their rating less reliably.
const SPARSE_GATE: f64 = 0.5;

/// Features of one text.
#[derive(Debug, Clone)]
pub struct Features {
    /// Dense features, in the order of [`DENSE_NAMES`].
    pub dense: [f64; DENSE_FEATURES],
    /// Distinct sparse feature keys, sorted.
    pub sparse: Vec<String>,
    /// The rule-based scores the dense features derive from.
    pub rules: RuleScores,
    /// Number of tokens of the text.
    pub token_count: usize,
}

impl Features {
    /// Tells whether the rule-based pass found no sentiment word at all.
    pub fn has_no_sentiment_words(&self) -> bool {
        self.rules.positive == 0.0 && self.rules.negative == 0.0
    }

    /// Value of each present sparse feature: the keys form a binary vector
    /// scaled to unit length, so long texts do not outweigh short ones.
    pub fn sparse_value(&self) -> f64 {
        let gate = if self.has_no_sentiment_words() {
            SPARSE_GATE
        } else {
            1.0
        };
        if self.sparse.is_empty() {
            0.0
        } else {
            gate / (self.sparse.len() as f64).sqrt()
        }
    }
}

/// Extracts the features of a text.
pub fn extract(text: &str) -> Features {
    extract_from_tokens(text, &tokenize(text))
}

/// Extracts the features of a text already split into `tokens`.
pub(crate) fn extract_from_tokens(text: &str, tokens: &[Token<'_>]) -> Features {
    let rules = rules::score(text, tokens);
    Features {
        dense: dense_features(&rules, tokens.len(), is_informal(text, tokens)),
        sparse: sparse_features(tokens, &rules.negated),
        token_count: tokens.len(),
        rules,
    }
}

fn dense_features(rules: &RuleScores, token_count: usize, informal: bool) -> [f64; DENSE_FEATURES] {
    let informal = f64::from(u8::from(informal));
    let no_sentiment = f64::from(u8::from(rules.positive == 0.0 && rules.negative == 0.0));
    let compound = f64::from(rules.compound);
    let positive = f64::from(rules.positive);
    let negative = f64::from(rules.negative);
    let sum = positive - negative;
    [
        compound,
        compound.powi(3),
        f64::from(rules::squash(rules.positive)),
        f64::from(rules::squash(rules.negative)),
        sum / (positive + negative + 1.0),
        sum / (token_count as f64 + 1.0).sqrt(),
        f64::from(rules.exclamations) / 4.0,
        f64::from(u8::from(rules.questions > 0)),
        (token_count as f64 + 1.0).ln() / 5.0,
        f64::from(rules.shouted_share),
        f64::from(rules::squash(rules.symbols)),
        f64::from(rules::squash(rules.plain_positive - rules.plain_negative)) - compound,
        informal,
        informal * compound,
        informal * compound.powi(3),
        no_sentiment,
        informal * f64::from(rules::squash(rules.positive)),
        informal * f64::from(rules::squash(rules.negative)),
        informal * f64::from(rules.exclamations) / 4.0,
        informal * no_sentiment,
    ]
}

/// Tells whether a text reads like a social-media post: mentions, hashtags,
/// links, emoji, emoticons or internet slang. Such texts rate further from
/// neutral than edited prose with the same words.
fn is_informal(text: &str, tokens: &[Token<'_>]) -> bool {
    const SLANG: &[&str] = &[
        "gonna", "haha", "hahaha", "im", "lmao", "lol", "omg", "rofl", "smh", "u", "ugh", "ur",
        "wanna", "wtf", "yay",
    ];
    text.contains('@')
        || text.contains('#')
        || text.contains("http")
        || text.contains("!!")
        || text.contains("?!")
        || tokens.iter().any(|token| {
            token.kind != TokenKind::Word
                || SLANG.contains(&token.lower.as_str())
                || collapse_repeats(&token.lower, 2).is_some()
        })
}

/// Builds the sorted, distinct sparse keys: `u:term` or `n:term` (negated)
/// per token, and `b:previous term` per pair of tokens in one sentence.
fn sparse_features(tokens: &[Token<'_>], negated: &[bool]) -> Vec<String> {
    let mut keys = Vec::with_capacity(tokens.len() * 2);
    let mut previous: Option<Cow<'_, str>> = None;
    for (token, &negated) in tokens.iter().zip(negated) {
        let term = term(token);
        keys.push(key(if negated { "n:" } else { "u:" }, &[&term]));
        if let Some(previous) = &previous {
            keys.push(key("b:", &[previous, " ", &term]));
        }
        previous = (!token.ends_sentence).then_some(term);
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Concatenates a key from its prefix and parts in one allocation.
fn key(prefix: &str, parts: &[&str]) -> String {
    let length = prefix.len() + parts.iter().map(|part| part.len()).sum::<usize>();
    let mut key = String::with_capacity(length);
    key.push_str(prefix);
    for part in parts {
        key.push_str(part);
    }
    key
}

/// The vocabulary form of a token: numbers become `#`, elongated words are
/// shortened, and emoji and emoticons stay as written.
fn term<'a>(token: &'a Token<'_>) -> Cow<'a, str> {
    if token.kind != TokenKind::Word {
        return Cow::Borrowed(&token.lower);
    }
    if token
        .lower
        .chars()
        .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return Cow::Borrowed("#");
    }
    match collapse_repeats(&token.lower, 2) {
        Some(collapsed) => Cow::Owned(collapsed),
        None => Cow::Borrowed(&token.lower),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_negated_words() {
        let features = extract("not good, fine");
        assert!(features.sparse.contains(&"n:good".to_owned()));
        assert!(features.sparse.contains(&"u:fine".to_owned()));
        assert!(features.sparse.contains(&"b:not good".to_owned()));
    }

    #[test]
    fn bigrams_stop_at_sentence_end() {
        let features = extract("Great. Thanks");
        assert!(!features.sparse.iter().any(|key| key == "b:great thanks"));
    }

    #[test]
    fn empty_text_has_no_sparse_value() {
        let features = extract("   ");
        assert_eq!(features.sparse_value(), 0.0);
        assert!(features.dense.iter().all(|value| value.is_finite()));
    }
}
