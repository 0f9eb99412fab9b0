//! Training of the sentiment model: ridge regression by conjugate gradients,
//! logistic calibration by Newton's method, and k-fold cross-validation.
//!
//! Every step is deterministic: samples keep file order, vocabularies are
//! sorted, and sums run in a fixed order.

use std::collections::{BTreeMap, HashMap};

use cloudvelous_engine::sentiment::Polarity;
use cloudvelous_engine::sentiment::features::{DENSE_FEATURES, Features};
use cloudvelous_engine::sentiment::model::{self, CALIBRATION_INPUTS, Prediction, Weights};

/// Settings of the regression.
#[derive(Clone, Copy)]
pub struct Settings {
    /// Number of cross-validation folds.
    pub folds: usize,
    /// Number of inner folds that produce held-out scores for calibration.
    pub inner_folds: usize,
    /// L2 penalty on sparse weights.
    pub sparse_penalty: f64,
    /// L2 penalty on dense weights.
    pub dense_penalty: f64,
    /// Minimum number of training texts a sparse feature must occur in.
    pub min_document_frequency: u32,
    /// Maximum conjugate-gradient iterations.
    pub iterations: usize,
}

/// One training text.
pub struct Sample {
    /// Features of the text.
    pub features: Features,
    /// Mean rating divided by four.
    pub target: f64,
    /// Weight in the loss, so that every corpus counts equally.
    pub weight: f64,
    /// Hash of the text's id, which picks its folds.
    pub id_hash: u64,
}

impl Sample {
    fn fold(&self, folds: usize) -> usize {
        (self.id_hash % folds as u64) as usize
    }

    fn inner_fold(&self, folds: usize, inner_folds: usize) -> usize {
        ((self.id_hash / folds as u64) % inner_folds as u64) as usize
    }
}

/// Hashes an id with 64-bit FNV-1a.
pub fn hash_id(id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A trained model.
pub struct TrainedModel {
    /// Intercept.
    pub bias: f64,
    /// Dense weights.
    pub dense: [f64; DENSE_FEATURES],
    /// Sparse weights by key, sorted.
    pub sparse: BTreeMap<String, f64>,
    /// Calibration parameters per polarity class.
    pub calibration: [[f64; CALIBRATION_INPUTS]; 3],
}

impl Weights for TrainedModel {
    fn bias(&self) -> f64 {
        self.bias
    }

    fn dense(&self) -> [f64; DENSE_FEATURES] {
        self.dense
    }

    fn sparse(&self, key: &str) -> f64 {
        self.sparse.get(key).copied().unwrap_or(0.0)
    }

    fn calibration(&self) -> &[[f64; CALIBRATION_INPUTS]; 3] {
        &self.calibration
    }
}

/// Held-out predictions of every sample: each fold is scored by a model
/// trained on the other folds, whose calibration in turn comes from inner
/// folds of its own training part. Also returns each sample's held-out
/// score, to which the final model's calibration is fitted.
pub fn cross_validate(samples: &[Sample], settings: &Settings) -> Vec<Prediction> {
    let mut predictions = vec![
        Prediction {
            score: 0.0,
            confidence: 0.0
        };
        samples.len()
    ];
    for fold in 0..settings.folds {
        let training: Vec<usize> = (0..samples.len())
            .filter(|&i| samples[i].fold(settings.folds) != fold)
            .collect();
        let model = train_calibrated(samples, &training, settings);
        for (index, sample) in samples.iter().enumerate() {
            if sample.fold(settings.folds) == fold {
                predictions[index] = model::predict(&sample.features, &model);
            }
        }
    }
    predictions
}

/// Trains on all samples, with the calibration fitted to the held-out
/// scores of the cross-validation run.
pub fn train_final(
    samples: &[Sample],
    held_out: &[Prediction],
    settings: &Settings,
) -> TrainedModel {
    let all: Vec<usize> = (0..samples.len()).collect();
    let mut model = fit_regression(samples, &all, settings);
    let scored: Vec<(usize, f64)> = held_out.iter().map(|p| p.score).enumerate().collect();
    model.calibration = fit_calibration(samples, &scored);
    model
}

/// Trains on `training`, with the calibration fitted on inner folds.
fn train_calibrated(samples: &[Sample], training: &[usize], settings: &Settings) -> TrainedModel {
    let mut scored = Vec::with_capacity(training.len());
    for inner in 0..settings.inner_folds {
        let (held, rest): (Vec<usize>, Vec<usize>) = training
            .iter()
            .partition(|&&i| samples[i].inner_fold(settings.folds, settings.inner_folds) == inner);
        let model = fit_regression(samples, &rest, settings);
        for i in held {
            let features = &samples[i].features;
            scored.push((i, model::blend(model::regress(features, &model), features)));
        }
    }
    scored.sort_by_key(|(i, _)| *i);
    let mut model = fit_regression(samples, training, settings);
    model.calibration = fit_calibration(samples, &scored);
    model
}

/// Sparse rows of the design matrix: feature indices and the shared value.
struct SparseRow {
    columns: Vec<u32>,
    value: f64,
}

/// Fits the ridge regression on the samples at `rows`.
fn fit_regression(samples: &[Sample], rows: &[usize], settings: &Settings) -> TrainedModel {
    let vocabulary = build_vocabulary(samples, rows, settings.min_document_frequency);
    let index: HashMap<&str, u32> = vocabulary
        .iter()
        .enumerate()
        .map(|(i, key)| (key.as_str(), i as u32))
        .collect();
    let sparse_rows: Vec<SparseRow> = rows
        .iter()
        .map(|&i| {
            let features = &samples[i].features;
            SparseRow {
                columns: features
                    .sparse
                    .iter()
                    .filter_map(|key| index.get(key.as_str()).copied())
                    .collect(),
                value: features.sparse_value(),
            }
        })
        .collect();
    let system = System {
        samples,
        rows,
        sparse_rows: &sparse_rows,
        vocabulary: vocabulary.len(),
        settings,
    };
    let targets: Vec<f64> = rows.iter().map(|&i| samples[i].target).collect();
    let solution = system.solve(&targets);

    let mut dense = [0.0; DENSE_FEATURES];
    dense.copy_from_slice(&solution[1..=DENSE_FEATURES]);
    let sparse = vocabulary
        .into_iter()
        .zip(&solution[1 + DENSE_FEATURES..])
        .filter(|(_, weight)| weight.abs() >= 1e-4)
        .map(|(key, weight)| (key, *weight))
        .collect();
    TrainedModel {
        bias: solution[0],
        dense,
        sparse,
        calibration: [[0.0; CALIBRATION_INPUTS]; 3],
    }
}

/// Sparse keys that occur in at least `min_count` of the texts at `rows`, sorted.
fn build_vocabulary(samples: &[Sample], rows: &[usize], min_count: u32) -> Vec<String> {
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for &i in rows {
        for key in &samples[i].features.sparse {
            *counts.entry(key.as_str()).or_default() += 1;
        }
    }
    let mut vocabulary: Vec<String> = counts
        .into_iter()
        .filter(|(_, count)| *count >= min_count)
        .map(|(key, _)| key.to_owned())
        .collect();
    vocabulary.sort_unstable();
    vocabulary
}

/// The normal equations `(XᵀWX + Λ) w = XᵀWy` of the weighted ridge
/// regression. Column 0 is the intercept, then the dense features, then
/// the vocabulary.
struct System<'a> {
    samples: &'a [Sample],
    rows: &'a [usize],
    sparse_rows: &'a [SparseRow],
    vocabulary: usize,
    settings: &'a Settings,
}

impl System<'_> {
    fn columns(&self) -> usize {
        1 + DENSE_FEATURES + self.vocabulary
    }

    /// Computes `Xv` for the training rows.
    fn apply(&self, v: &[f64]) -> Vec<f64> {
        self.rows
            .iter()
            .zip(self.sparse_rows)
            .map(|(&i, row)| {
                let dense = &self.samples[i].features.dense;
                let mut value = v[0];
                for (j, x) in dense.iter().enumerate() {
                    value += x * v[1 + j];
                }
                let sparse: f64 = row
                    .columns
                    .iter()
                    .map(|&c| v[1 + DENSE_FEATURES + c as usize])
                    .sum();
                value + sparse * row.value
            })
            .collect()
    }

    /// Computes `Xᵀ W u` for the training rows.
    fn apply_transposed(&self, u: &[f64]) -> Vec<f64> {
        let mut result = vec![0.0; self.columns()];
        for ((&i, row), u) in self.rows.iter().zip(self.sparse_rows).zip(u) {
            let weighted = u * self.samples[i].weight;
            result[0] += weighted;
            for (j, x) in self.samples[i].features.dense.iter().enumerate() {
                result[1 + j] += x * weighted;
            }
            for &c in &row.columns {
                result[1 + DENSE_FEATURES + c as usize] += weighted * row.value;
            }
        }
        result
    }

    fn penalty(&self, column: usize) -> f64 {
        match column {
            0 => 1e-6,
            c if c <= DENSE_FEATURES => self.settings.dense_penalty,
            _ => self.settings.sparse_penalty,
        }
    }

    fn multiply(&self, v: &[f64]) -> Vec<f64> {
        let mut result = self.apply_transposed(&self.apply(v));
        for (column, value) in result.iter_mut().enumerate() {
            *value += self.penalty(column) * v[column];
        }
        result
    }

    /// Solves the system for the given targets by conjugate gradients from zero.
    fn solve(&self, targets: &[f64]) -> Vec<f64> {
        let right = self.apply_transposed(targets);
        let mut solution = vec![0.0; self.columns()];
        let mut residual = right.clone();
        let mut direction = residual.clone();
        let mut residual_norm = dot(&residual, &residual);
        let tolerance = dot(&right, &right) * 1e-12;
        for _ in 0..self.settings.iterations {
            if residual_norm <= tolerance {
                break;
            }
            let product = self.multiply(&direction);
            let step = residual_norm / dot(&direction, &product);
            for ((x, r), (d, p)) in solution
                .iter_mut()
                .zip(residual.iter_mut())
                .zip(direction.iter().zip(&product))
            {
                *x += step * d;
                *r -= step * p;
            }
            let next_norm = dot(&residual, &residual);
            let ratio = next_norm / residual_norm;
            for (d, r) in direction.iter_mut().zip(&residual) {
                *d = r + ratio * *d;
            }
            residual_norm = next_norm;
        }
        solution
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Fits one logistic model per predicted class to whether held-out scores
/// got the class right.
fn fit_calibration(samples: &[Sample], scored: &[(usize, f64)]) -> [[f64; CALIBRATION_INPUTS]; 3] {
    let mut calibration = [[0.0; CALIBRATION_INPUTS]; 3];
    for (class_index, parameters) in calibration.iter_mut().enumerate() {
        let examples: Vec<([f64; CALIBRATION_INPUTS], f64)> = scored
            .iter()
            .filter(|(_, score)| Polarity::of(*score).index() == class_index)
            .map(|&(i, score)| {
                let sample = &samples[i];
                let correct = Polarity::of(score) == Polarity::of(sample.target);
                (
                    model::calibration_inputs(score, &sample.features),
                    f64::from(u8::from(correct)),
                )
            })
            .collect();
        *parameters = fit_logistic(&examples);
    }
    calibration
}

/// Logistic regression by Newton's method with a small L2 penalty.
fn fit_logistic(examples: &[([f64; CALIBRATION_INPUTS], f64)]) -> [f64; CALIBRATION_INPUTS] {
    const N: usize = CALIBRATION_INPUTS;
    let mut weights = [0.0; N];
    for _ in 0..50 {
        let mut gradient = [0.0; N];
        let mut hessian = [[0.0; N]; N];
        for (j, g) in gradient.iter_mut().enumerate() {
            *g = 1e-2 * weights[j];
            hessian[j][j] = 1e-2;
        }
        for (inputs, label) in examples {
            let logit: f64 = inputs.iter().zip(&weights).map(|(x, w)| x * w).sum();
            let p = 1.0 / (1.0 + (-logit).exp());
            for j in 0..N {
                gradient[j] += (p - label) * inputs[j];
                for k in 0..N {
                    hessian[j][k] += p * (1.0 - p) * inputs[j] * inputs[k];
                }
            }
        }
        let step = solve_small(hessian, gradient);
        let mut largest: f64 = 0.0;
        for j in 0..N {
            weights[j] -= step[j];
            largest = largest.max(step[j].abs());
        }
        if largest < 1e-10 {
            break;
        }
    }
    weights
}

/// Solves a small symmetric positive definite system by Gaussian elimination.
fn solve_small<const N: usize>(mut matrix: [[f64; N]; N], mut vector: [f64; N]) -> [f64; N] {
    for pivot in 0..N {
        let pivot_row = matrix[pivot];
        for row in pivot + 1..N {
            let factor = matrix[row][pivot] / pivot_row[pivot];
            for (value, above) in matrix[row].iter_mut().zip(&pivot_row).skip(pivot) {
                *value -= factor * above;
            }
            vector[row] -= factor * vector[pivot];
        }
    }
    let mut solution = [0.0; N];
    for row in (0..N).rev() {
        let known: f64 = (row + 1..N)
            .map(|column| matrix[row][column] * solution[column])
            .sum();
        solution[row] = (vector[row] - known) / matrix[row][row];
    }
    solution
}
