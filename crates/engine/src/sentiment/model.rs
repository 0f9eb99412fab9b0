//! The learned sentiment model.
//!
//! A ridge regression over the features of [`super::features`] predicts the
//! mean human rating divided by four. The score blends that prediction with
//! the rule-based compound score, which the regression underweights because
//! its word weights explain part of the training ratings by heart. A
//! logistic model per class calibrates the confidence.
//!
//! The evaluation program (`src/bin/evaluate`) fits the regression and the
//! calibration and writes the shipped weights to `weights.rs`. The blend
//! constants below were chosen by cross-validation on the development
//! corpora (see docs/benchmarks.md).

use super::features::{DENSE_FEATURES, Features};
use super::weights;
use crate::hash_table::{self, Slot};

/// Lower bound of the positive class: a score above it is positive.
pub const POSITIVE_THRESHOLD: f64 = 0.05;
/// Upper bound of the negative class: a score below it is negative.
pub const NEGATIVE_THRESHOLD: f64 = -0.05;
/// Number of calibration inputs per polarity class.
pub const CALIBRATION_INPUTS: usize = 4;
/// Share of the regression's prediction in the score.
const REGRESSION_SHARE: f64 = 0.8;
/// Factor applied to the rule-based compound score before blending: the
/// compound is tuned for short social-media posts and overstates the
/// sentiment of edited prose.
const COMPOUND_SCALE: f64 = 0.7;
/// A text without any sentiment word is neutral when its blended score lies
/// within this distance of zero.
const WORDLESS_NEUTRAL_BAND: f64 = 0.1;
/// Largest magnitude of a score that is forced into the neutral class.
const NEUTRAL_INSIDE: f64 = 0.049;

/// Three-class polarity of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Polarity {
    /// Score below [`NEGATIVE_THRESHOLD`].
    Negative,
    /// Score between the thresholds.
    Neutral,
    /// Score above [`POSITIVE_THRESHOLD`].
    Positive,
}

impl Polarity {
    /// Classes a score in [-1, 1] with the thresholds of Hutto & Gilbert (2014).
    pub fn of(score: f64) -> Self {
        if score > POSITIVE_THRESHOLD {
            Polarity::Positive
        } else if score < NEGATIVE_THRESHOLD {
            Polarity::Negative
        } else {
            Polarity::Neutral
        }
    }

    /// Position of the class in calibration tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Weights of the regression and the calibration.
pub trait Weights {
    /// Intercept of the regression.
    fn bias(&self) -> f64;
    /// Weight of each dense feature, in the order of `DENSE_NAMES`.
    fn dense(&self) -> [f64; DENSE_FEATURES];
    /// Weight of a sparse key, zero when unknown.
    fn sparse(&self, key: &str) -> f64;
    /// Calibration parameters per class: negative, neutral, positive.
    fn calibration(&self) -> &[[f64; CALIBRATION_INPUTS]; 3];
}

/// The weights compiled into the engine.
pub struct ShippedWeights;

/// [`weights::SPARSE`] as a hash table.
static SPARSE_TABLE: [Slot; hash_table::slot_count(weights::SPARSE.len())] =
    hash_table::build(weights::SPARSE);

impl Weights for ShippedWeights {
    fn bias(&self) -> f64 {
        weights::BIAS
    }

    fn dense(&self) -> [f64; DENSE_FEATURES] {
        weights::DENSE.map(|(_, weight)| weight)
    }

    fn sparse(&self, key: &str) -> f64 {
        hash_table::get(&SPARSE_TABLE, key).map_or(0.0, f64::from)
    }

    fn calibration(&self) -> &[[f64; CALIBRATION_INPUTS]; 3] {
        &weights::CALIBRATION
    }
}

/// A scored text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Score in [-1, 1].
    pub score: f64,
    /// Calibrated probability that the score's polarity is right.
    pub confidence: f64,
}

/// Evaluates the regression: the predicted rating divided by four, unclamped.
pub fn regress(features: &Features, weights: &impl Weights) -> f64 {
    let mut rating = weights.bias();
    for (feature, weight) in features.dense.iter().zip(weights.dense()) {
        rating += feature * weight;
    }
    let sparse_value = features.sparse_value();
    for key in &features.sparse {
        rating += weights.sparse(key) * sparse_value;
    }
    rating
}

/// Blends the regression's prediction with the rule-based compound score
/// into the final score in [-1, 1].
pub fn blend(rating: f64, features: &Features) -> f64 {
    let compound = f64::from(features.rules.compound);
    let score = REGRESSION_SHARE * rating + (1.0 - REGRESSION_SHARE) * COMPOUND_SCALE * compound;
    if !score.is_finite() {
        return 0.0;
    }
    if features.has_no_sentiment_words() && score.abs() < WORDLESS_NEUTRAL_BAND {
        return score.clamp(-NEUTRAL_INSIDE, NEUTRAL_INSIDE);
    }
    score.clamp(-1.0, 1.0)
}

/// Scores a text's features.
pub fn predict(features: &Features, weights: &impl Weights) -> Prediction {
    let score = blend(regress(features, weights), features);
    let inputs = calibration_inputs(score, features);
    Prediction {
        score,
        confidence: confidence(&inputs, &weights.calibration()[Polarity::of(score).index()]),
    }
}

/// Inputs of the confidence calibration: an intercept, the distance of the
/// score from the nearest class boundary, whether the text lacks sentiment
/// words, and the text's length on a log scale.
pub fn calibration_inputs(score: f64, features: &Features) -> [f64; CALIBRATION_INPUTS] {
    let margin = match Polarity::of(score) {
        Polarity::Positive => score - POSITIVE_THRESHOLD,
        Polarity::Negative => NEGATIVE_THRESHOLD - score,
        Polarity::Neutral => POSITIVE_THRESHOLD - score.abs(),
    };
    [
        1.0,
        margin * 4.0,
        f64::from(u8::from(features.has_no_sentiment_words())),
        (features.token_count as f64 + 1.0).ln() / 5.0,
    ]
}

/// Evaluates a logistic calibration model, a probability in [0, 1].
pub fn confidence(
    inputs: &[f64; CALIBRATION_INPUTS],
    parameters: &[f64; CALIBRATION_INPUTS],
) -> f64 {
    let logit: f64 = inputs.iter().zip(parameters).map(|(x, w)| x * w).sum();
    let probability = 1.0 / (1.0 + (-logit).exp());
    if probability.is_finite() {
        probability.clamp(0.0, 1.0)
    } else {
        0.5
    }
}
