//! Rule-based valence scoring in the manner of VADER (Hutto & Gilbert 2014).
//!
//! Each sentiment word starts from its lexicon valence (-4 to +4). Capitals,
//! intensifiers and dampeners in the three words before it, negations
//! earlier in its clause, and a "but" in its sentence then adjust it, and
//! exclamation and question marks amplify the total. The learned model in
//! [`super::model`] uses these scores as features.

use crate::lexicon;
use crate::text::{Token, TokenKind, collapse_repeats};

/// Valence added to a word written in capitals inside otherwise mixed-case text.
const SHOUT_BOOST: f32 = 0.733;
/// Factor applied to a word reversed by a negation.
const NEGATION_FACTOR: f32 = -0.74;
/// Factor for sentiment before a "but" in the same sentence.
const BEFORE_CONTRAST: f32 = 0.5;
/// Factor for sentiment after a "but" in the same sentence.
const AFTER_CONTRAST: f32 = 1.5;
/// Emphasis added per exclamation mark, for at most four of them.
const EXCLAMATION_BOOST: f32 = 0.292;
/// Emphasis added per question mark when there are two or three of them.
const QUESTION_BOOST: f32 = 0.18;
/// Constant of the compound normalisation `x / sqrt(x² + α)`.
const NORMALIZATION_ALPHA: f32 = 15.0;
/// How far back a negation or modifier reaches, in tokens.
const REACH: usize = 3;

/// Rule-based scores of one text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleScores {
    /// Adjusted valence of each token, zero for tokens without sentiment.
    pub valences: Vec<f32>,
    /// Whether each token sits after a negation in the same clause.
    pub negated: Vec<bool>,
    /// Sum of the adjusted valences plus punctuation emphasis.
    pub total: f32,
    /// `total` squashed into [-1, 1].
    pub compound: f32,
    /// Sum of the positive adjusted valences.
    pub positive: f32,
    /// Sum of the magnitudes of the negative adjusted valences.
    pub negative: f32,
    /// Positive evidence before contrast weighting, for telling mixed texts.
    pub plain_positive: f32,
    /// Negative evidence before contrast weighting, for telling mixed texts.
    pub plain_negative: f32,
    /// Number of exclamation marks, at most four counted.
    pub exclamations: u32,
    /// Number of question marks.
    pub questions: u32,
    /// Sum of the valences of emoji and emoticons.
    pub symbols: f32,
    /// Share of tokens written in capitals.
    pub shouted_share: f32,
}

/// Scores a tokenised text.
pub fn score(text: &str, tokens: &[Token<'_>]) -> RuleScores {
    let base: Vec<f32> = tokens.iter().map(base_valence).collect();
    let negated = negation_scope(tokens);
    let shouting = has_mixed_case(tokens);

    let mut valences = vec![0.0; tokens.len()];
    let mut symbols = 0.0;
    for index in 0..tokens.len() {
        if base[index] == 0.0 || is_silenced(tokens, &base, index) {
            continue;
        }
        let mut valence = base[index];
        if shouting && tokens[index].is_shouted() {
            valence += SHOUT_BOOST * valence.signum();
        }
        valence += modifier_shift(tokens, &base, index, shouting) * valence.signum();
        valence *= negation_factor(tokens, index);
        if tokens[index].kind != TokenKind::Word {
            symbols += valence;
        }
        valences[index] = valence;
    }

    let (plain_positive, plain_negative) = split_polarity(&valences);
    apply_contrast(tokens, &mut valences);
    let (positive, negative) = split_polarity(&valences);

    let exclamations = text.chars().filter(|&c| c == '!' || c == '！').count() as u32;
    let questions = text.chars().filter(|&c| c == '?' || c == '？').count() as u32;
    let sum: f32 = valences.iter().sum();
    let total = sum + emphasis(exclamations, questions) * sum.signum();
    let shouted = tokens.iter().filter(|token| token.is_shouted()).count();

    RuleScores {
        valences,
        negated,
        total,
        compound: squash(total),
        positive,
        negative,
        plain_positive,
        plain_negative,
        exclamations: exclamations.min(4),
        questions,
        symbols,
        shouted_share: shouted as f32 / tokens.len().max(1) as f32,
    }
}

/// Maps a valence sum into [-1, 1].
pub fn squash(total: f32) -> f32 {
    (total / (total * total + NORMALIZATION_ALPHA).sqrt()).clamp(-1.0, 1.0)
}

/// Returns the lexicon valence of a token, trying shortened spellings of
/// elongated words ("loooove").
pub fn base_valence(token: &Token<'_>) -> f32 {
    match token.kind {
        TokenKind::Emoji => token
            .text
            .chars()
            .next()
            .and_then(lexicon::emoji_valence)
            .unwrap_or(0.0),
        TokenKind::Emoticon => lexicon::word_valence(&token.lower).unwrap_or(0.0),
        TokenKind::Word => lexicon::word_valence(&token.lower)
            .or_else(|| collapse_repeats(&token.lower, 2).and_then(|w| lexicon::word_valence(&w)))
            .or_else(|| collapse_repeats(&token.lower, 1).and_then(|w| lexicon::word_valence(&w)))
            .unwrap_or(0.0),
    }
}

/// Tells whether a token's own valence gives way to the word it modifies:
/// a modifier or negation before a sentiment word ("pretty good", "no
/// problems"), or "kind" in "kind of".
fn is_silenced(tokens: &[Token<'_>], base: &[f32], index: usize) -> bool {
    let word = tokens[index].lower.as_str();
    let next_has_sentiment = (index + 1..tokens.len().min(index + 1 + REACH))
        .take_while(|&next| !tokens[next - 1].ends_clause)
        .any(|next| base[next] != 0.0);
    if lexicon::modifier_shift(word).is_some() && next_has_sentiment {
        return true;
    }
    if lexicon::is_negator(word) && next_has_sentiment {
        return true;
    }
    word == "kind" && tokens.get(index + 1).is_some_and(|next| next.lower == "of")
}

/// Sums the shifts of the modifiers among the three tokens before a
/// sentiment word, fading with distance.
fn modifier_shift(tokens: &[Token<'_>], base: &[f32], index: usize, shouting: bool) -> f32 {
    let mut shift = 0.0;
    for distance in 1..=REACH.min(index) {
        let before = &tokens[index - distance];
        if before.ends_sentence {
            break;
        }
        let Some(mut step) = lexicon::modifier_shift(&before.lower) else {
            continue;
        };
        if base[index - distance] != 0.0 && !is_silenced(tokens, base, index - distance) {
            continue;
        }
        if shouting && before.is_shouted() {
            step += SHOUT_BOOST * step.signum();
        }
        shift += step * [1.0, 0.95, 0.9][distance - 1];
    }
    shift
}

/// Returns the factor that negations before a word apply to it: each
/// negation in the three tokens before it, within its clause, reverses and
/// weakens it. "Never so good" intensifies instead, and "at least" and
/// "without doubt" do not negate.
fn negation_factor(tokens: &[Token<'_>], index: usize) -> f32 {
    let mut factor = 1.0;
    for distance in 1..=REACH.min(index) {
        let before = &tokens[index - distance];
        if before.ends_clause {
            break;
        }
        let word = before.lower.as_str();
        let next = tokens[index - distance + 1].lower.as_str();
        if word == "never" && distance > 1 && (next == "so" || next == "this") {
            factor *= 1.25;
        } else if word == "without" && next == "doubt" {
            continue;
        } else if lexicon::is_negator(word) {
            factor *= NEGATION_FACTOR;
        } else if word == "least" && distance == 1 {
            let at = index >= 2 && tokens[index - 2].lower == "at";
            if !at {
                factor *= NEGATION_FACTOR;
            }
        }
    }
    factor
}

/// Marks the tokens that follow a negation up to the end of its clause.
fn negation_scope(tokens: &[Token<'_>]) -> Vec<bool> {
    let mut negated = vec![false; tokens.len()];
    let mut active = false;
    for (index, token) in tokens.iter().enumerate() {
        negated[index] = active;
        if lexicon::is_negator(&token.lower) {
            active = true;
        }
        if token.ends_clause {
            active = false;
        }
    }
    negated
}

/// Halves the sentiment before a "but" and raises the sentiment after it,
/// within the sentence that contains it.
fn apply_contrast(tokens: &[Token<'_>], valences: &mut [f32]) {
    let mut sentence_start = 0;
    for index in 0..tokens.len() {
        let last_of_sentence = tokens[index].ends_sentence || index + 1 == tokens.len();
        if !last_of_sentence {
            continue;
        }
        let sentence = sentence_start..index + 1;
        if let Some(pivot) = sentence.clone().find(|&i| tokens[i].lower == "but") {
            for i in sentence {
                match i.cmp(&pivot) {
                    std::cmp::Ordering::Less => valences[i] *= BEFORE_CONTRAST,
                    std::cmp::Ordering::Greater => valences[i] *= AFTER_CONTRAST,
                    std::cmp::Ordering::Equal => {}
                }
            }
        }
        sentence_start = index + 1;
    }
}

fn split_polarity(valences: &[f32]) -> (f32, f32) {
    let positive = valences.iter().filter(|v| **v > 0.0).sum();
    let negative = -valences.iter().filter(|v| **v < 0.0).sum::<f32>();
    (positive, negative)
}

/// Emphasis from exclamation and question marks, added in the direction of
/// the text's sentiment.
fn emphasis(exclamations: u32, questions: u32) -> f32 {
    let exclaim = exclamations.min(4) as f32 * EXCLAMATION_BOOST;
    let question = match questions {
        0 | 1 => 0.0,
        2 | 3 => questions as f32 * QUESTION_BOOST,
        _ => 0.96,
    };
    exclaim + question
}

/// Capitals count as emphasis only when the text also has words in lower
/// case: a text written all in capitals shouts nothing in particular.
fn has_mixed_case(tokens: &[Token<'_>]) -> bool {
    let words = tokens.iter().filter(|token| token.kind == TokenKind::Word);
    let (mut shouted, mut plain) = (false, false);
    for token in words {
        if token.is_shouted() {
            shouted = true;
        } else if token.text.chars().any(char::is_lowercase) {
            plain = true;
        }
    }
    shouted && plain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize;

    fn compound(text: &str) -> f32 {
        score(text, &tokenize(text)).compound
    }

    #[test]
    fn negation_reverses_sentiment() {
        assert!(compound("The service is good") > 0.3);
        assert!(compound("The service is not good") < 0.0);
        assert!(compound("not bad at all") > 0.0);
        assert!(compound("no problems at all") > 0.0);
    }

    #[test]
    fn negation_stops_at_clause_end() {
        assert!(compound("not really, it was great") > 0.3);
    }

    #[test]
    fn intensifiers_and_dampeners_shift_sentiment() {
        let plain = compound("the demo was good");
        assert!(compound("the demo was very good") > plain);
        assert!(compound("the demo was slightly good") < plain);
    }

    #[test]
    fn contrast_weighs_the_second_clause() {
        assert!(compound("The product is good, but the support was awful") < 0.0);
        assert!(compound("The support was awful, but the product is good") > 0.0);
    }

    #[test]
    fn capitals_and_exclamations_amplify() {
        let plain = compound("this is great");
        assert!(compound("this is GREAT") > plain);
        assert!(compound("this is great!!!") > plain);
    }

    #[test]
    fn emoticons_and_emoji_count() {
        assert!(compound("meeting tomorrow :)") > 0.2);
        assert!(compound("meeting tomorrow :(") < -0.2);
        assert!(compound("meeting tomorrow 😍") > 0.2);
        assert!(compound("meeting tomorrow 😢") < -0.2);
    }

    #[test]
    fn elongated_words_are_found() {
        assert!(compound("loooove it") > 0.3);
    }
}
