//! Writing trained weights as the engine's `weights.rs`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use cloudvelous_engine::sentiment::features::DENSE_NAMES;

use crate::train::TrainedModel;

/// Writes the model as Rust source with sorted sparse weights.
pub fn write(path: &Path, model: &TrainedModel, texts: usize) -> Result<(), String> {
    let mut source = String::new();
    let _ = writeln!(
        source,
        "//! Weights of the learned sentiment model, trained on {texts} human-rated texts."
    );
    source.push_str(
        "//!\n//! Written by the evaluation program's `--write-weights`; do not edit by hand.\n\n",
    );
    source.push_str(
        "use super::features::DENSE_FEATURES;\nuse super::model::CALIBRATION_INPUTS;\n\n",
    );
    source.push_str("/// Intercept of the regression.\n");
    let _ = writeln!(source, "pub const BIAS: f64 = {:?};\n", round(model.bias));
    source.push_str("/// Names and weights of the dense features.\n");
    source.push_str("pub static DENSE: [(&str, f64); DENSE_FEATURES] = [\n");
    for (feature, weight) in DENSE_NAMES.iter().zip(&model.dense) {
        let _ = writeln!(source, "    ({feature:?}, {:?}),", round(*weight));
    }
    source.push_str("];\n\n/// Calibration parameters per class: negative, neutral, positive.\n");
    source.push_str("pub static CALIBRATION: [[f64; CALIBRATION_INPUTS]; 3] = [\n");
    for row in &model.calibration {
        let values: Vec<String> = row.iter().map(|v| format!("{:?}", round(*v))).collect();
        let _ = writeln!(source, "    [{}],", values.join(", "));
    }
    source.push_str("];\n\n/// Weights of the sparse features, sorted by key.\n");
    source.push_str("pub static SPARSE: &[(&str, f32)] = &[\n");
    for (key, weight) in &model.sparse {
        let _ = writeln!(source, "    ({key:?}, {:?}),", *weight as f32);
    }
    source.push_str("];\n");
    fs::write(path, source).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// Rounds to six decimal places, enough for the model's precision.
fn round(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}
