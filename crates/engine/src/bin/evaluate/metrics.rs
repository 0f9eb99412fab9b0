//! Agreement between predicted scores and human ratings.

use cloudvelous_engine::sentiment::Polarity;

/// Figures for one set of predictions.
#[derive(Clone, Copy)]
pub struct Figures {
    /// Pearson correlation of scores with targets.
    pub pearson: f64,
    /// Share of texts whose three-class polarity matches the target's.
    pub accuracy: f64,
    /// Mean over the three classes of each class's F1.
    pub macro_f1: f64,
    /// Mean squared difference between each label's confidence and whether
    /// the label was right (lower is better).
    pub brier: f64,
}

/// Computes the figures of predictions `(score, confidence)` against targets.
pub fn figures(targets: &[f64], predictions: &[(f64, f64)]) -> Figures {
    let scores: Vec<f64> = predictions.iter().map(|(score, _)| *score).collect();
    let truth: Vec<Polarity> = targets.iter().map(|&t| Polarity::of(t)).collect();
    let guess: Vec<Polarity> = scores.iter().map(|&s| Polarity::of(s)).collect();
    let correct = truth.iter().zip(&guess).filter(|(t, g)| t == g).count();
    let brier = predictions
        .iter()
        .zip(truth.iter().zip(&guess))
        .map(|((_, confidence), (t, g))| (confidence - f64::from(u8::from(t == g))).powi(2))
        .sum::<f64>();
    let count = targets.len().max(1) as f64;
    Figures {
        pearson: pearson(targets, &scores),
        accuracy: correct as f64 / count,
        macro_f1: macro_f1(&truth, &guess),
        brier: brier / count,
    }
}

/// Pearson correlation, 0 when either side is constant.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let count = a.len() as f64;
    let mean_a = a.iter().sum::<f64>() / count;
    let mean_b = b.iter().sum::<f64>() / count;
    let (mut covariance, mut var_a, mut var_b) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        covariance += (x - mean_a) * (y - mean_b);
        var_a += (x - mean_a).powi(2);
        var_b += (y - mean_b).powi(2);
    }
    let denominator = (var_a * var_b).sqrt();
    if denominator > 0.0 {
        covariance / denominator
    } else {
        0.0
    }
}

fn macro_f1(truth: &[Polarity], guess: &[Polarity]) -> f64 {
    let classes = [Polarity::Negative, Polarity::Neutral, Polarity::Positive];
    let total: f64 = classes
        .iter()
        .map(|&class| {
            let hits = |t: bool, g: bool| {
                truth
                    .iter()
                    .zip(guess)
                    .filter(|(a, b)| (**a == class) == t && (**b == class) == g)
                    .count()
            };
            let true_positive = hits(true, true);
            let false_positive = hits(false, true);
            let false_negative = hits(true, false);
            let denominator = 2 * true_positive + false_positive + false_negative;
            if true_positive == 0 {
                0.0
            } else {
                2.0 * true_positive as f64 / denominator as f64
            }
        })
        .sum();
    total / classes.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_predictions_score_one() {
        let targets = [0.5, -0.5, 0.0, 0.7];
        let predictions: Vec<(f64, f64)> = targets.iter().map(|&t| (t, 1.0)).collect();
        let figures = figures(&targets, &predictions);
        assert!((figures.pearson - 1.0).abs() < 1e-12);
        assert_eq!(figures.accuracy, 1.0);
        assert_eq!(figures.macro_f1, 1.0);
        assert_eq!(figures.brier, 0.0);
    }

    #[test]
    fn missing_class_counts_zero_f1() {
        let truth = [Polarity::Positive, Polarity::Negative, Polarity::Neutral];
        let guess = [Polarity::Positive, Polarity::Negative, Polarity::Positive];
        let f1 = macro_f1(&truth, &guess);
        assert!((f1 - (2.0 / 3.0 + 1.0 + 0.0) / 3.0).abs() < 1e-12);
    }
}
