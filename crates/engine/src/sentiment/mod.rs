//! Sentiment of a text: label, signed score and calibrated confidence.
//!
//! A rule-based pass in the manner of VADER scores the sentiment words, and
//! a ridge regression trained on human-rated sentences turns those scores
//! and the text's words into the final score.

pub mod features;
pub mod model;
mod rules;
mod weights;

use cloudvelous_contract::Sentiment;

use crate::text::{Token, tokenize};

pub use model::Polarity;

/// Evidence of each polarity (in lexicon valence units, before contrast
/// weighting) that both sides must reach for a text to be `mixed`.
const MIXED_MIN_EVIDENCE: f64 = 1.5;
/// The weaker polarity must carry at least this share of the stronger one's
/// evidence for a text to be `mixed`.
const MIXED_MIN_BALANCE: f64 = 0.5;

/// Sentiment of one text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentimentAnalysis {
    /// Label for the API: the polarity, or `mixed` when both polarities are strong.
    pub label: Sentiment,
    /// Three-class polarity of `score`.
    pub polarity: Polarity,
    /// Signed score in [-1, 1]: the predicted mean human rating divided by four.
    pub score: f64,
    /// Confidence in `label`, from 0 to 1.
    pub confidence: f64,
    /// Confidence in `polarity`, from 0 to 1: the calibrated probability
    /// that people would rate the text with that polarity.
    pub polarity_confidence: f64,
}

/// Analyses the sentiment of a text with the shipped weights.
pub fn analyze(text: &str) -> SentimentAnalysis {
    analyze_tokens(text, &tokenize(text))
}

/// Analyses the sentiment of a text already split into `tokens`.
pub(crate) fn analyze_tokens(text: &str, tokens: &[Token<'_>]) -> SentimentAnalysis {
    let features = features::extract_from_tokens(text, tokens);
    if features.token_count == 0 {
        return SentimentAnalysis {
            label: Sentiment::Neutral,
            polarity: Polarity::Neutral,
            score: 0.0,
            confidence: 0.0,
            polarity_confidence: 0.0,
        };
    }
    let prediction = model::predict(&features, &model::ShippedWeights);
    let score = prediction.score;
    let polarity = Polarity::of(score);
    let polarity_confidence = prediction.confidence;

    let positive = f64::from(features.rules.plain_positive);
    let negative = f64::from(features.rules.plain_negative);
    let (label, confidence) = match mixed_confidence(positive, negative) {
        Some(confidence) => (Sentiment::Mixed, confidence),
        None => (label_of(polarity), polarity_confidence),
    };
    SentimentAnalysis {
        label,
        polarity,
        score,
        confidence,
        polarity_confidence,
    }
}

fn label_of(polarity: Polarity) -> Sentiment {
    match polarity {
        Polarity::Positive => Sentiment::Positive,
        Polarity::Negative => Sentiment::Negative,
        Polarity::Neutral => Sentiment::Neutral,
    }
}

/// Returns a confidence when both polarities are strong and comparable.
///
/// NOTE: the human-rated corpora have no `mixed` class, so this confidence
/// is a heuristic (higher for stronger, more even evidence, from 0.5 to 0.9)
/// rather than a calibrated probability.
fn mixed_confidence(positive: f64, negative: f64) -> Option<f64> {
    let weaker = positive.min(negative);
    let stronger = positive.max(negative);
    if weaker < MIXED_MIN_EVIDENCE || weaker < MIXED_MIN_BALANCE * stronger {
        return None;
    }
    let balance = weaker / stronger;
    let strength = 1.0 - (-weaker / 3.0).exp();
    Some((0.5 + 0.4 * balance * strength).clamp(0.5, 0.9))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn praise_is_confidently_positive() {
        let analysis =
            analyze("I love your product! The pricing is great and support is excellent.");
        assert_eq!(analysis.label, Sentiment::Positive);
        assert!(analysis.score > 0.5, "{analysis:?}");
        assert!(analysis.confidence >= 0.85, "{analysis:?}");
    }

    #[test]
    fn complaint_is_negative() {
        let analysis = analyze("The onboarding was a disaster and nobody answers our tickets.");
        assert_eq!(analysis.label, Sentiment::Negative);
        assert!(analysis.score < -0.05);
    }

    #[test]
    fn contrast_of_strong_opinions_is_mixed() {
        let analysis = analyze("The product is great, but the support was awful.");
        assert_eq!(analysis.label, Sentiment::Mixed);
        assert!(analysis.confidence >= 0.5 && analysis.confidence <= 0.9);
    }

    #[test]
    fn negated_problems_are_not_negative() {
        assert_ne!(
            analyze("No problems at all with the rollout.").polarity,
            Polarity::Negative
        );
        assert_eq!(
            analyze("The migration was not bad.").polarity,
            Polarity::Positive
        );
    }

    #[test]
    fn plain_statement_is_neutral() {
        let analysis = analyze("The meeting is scheduled for Tuesday at 10.");
        assert_eq!(analysis.label, Sentiment::Neutral);
    }

    #[test]
    fn text_without_words_is_neutral_with_no_confidence() {
        let analysis = analyze(" ... ");
        assert_eq!(analysis.label, Sentiment::Neutral);
        assert_eq!(analysis.confidence, 0.0);
    }

    #[test]
    fn scores_stay_in_range() {
        for text in [
            "!!!!!!!!",
            "GREAT GREAT GREAT",
            "😡😡😡😡😡😡",
            "no no no not never",
        ] {
            let analysis = analyze(text);
            assert!((-1.0..=1.0).contains(&analysis.score), "{text}");
            assert!((0.0..=1.0).contains(&analysis.confidence), "{text}");
        }
    }
}
