//! VADER's timing, measured by `scripts/bench-vader.py` in a Python process
//! on the same texts.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use spin_test_host::workspace_root;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The vaderSentiment release whose figures the engine is compared with.
const EXPECTED_VERSION: &str = "3.3.2";

/// What the script prints.
#[derive(Deserialize)]
struct ScriptOutput {
    version: String,
    python: String,
    texts: usize,
    pass_seconds: Vec<f64>,
}

/// VADER's timed passes over the texts.
pub struct VaderTimes {
    /// The installed vaderSentiment version.
    pub version: String,
    /// The Python version that ran it.
    pub python: String,
    /// Duration of each timed pass over all texts.
    pub passes: Vec<Duration>,
}

/// Runs `scripts/bench-vader.py` with `python`, sends it `texts` and
/// returns its timed passes.
pub fn measure(python: &str, texts: &[&str], passes: usize) -> Result<VaderTimes> {
    let script = workspace_root().join("scripts/bench-vader.py");
    let mut child = Command::new(python)
        .arg(&script)
        .arg("--passes")
        .arg(passes.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("failed to start {python} {}", script.display()))?;

    let input = serde_json::to_vec(texts)?;
    child
        .stdin
        .take()
        .context("the script's standard input is not piped")?
        .write_all(&input)
        .context("failed to send the texts to the VADER script")?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "the VADER script failed ({}); install VADER with `pip install vaderSentiment=={EXPECTED_VERSION}`",
            output.status
        );
    }

    let result: ScriptOutput = serde_json::from_slice(&output.stdout)
        .context("the VADER script printed no valid JSON result")?;
    if result.texts != texts.len() {
        bail!(
            "the VADER script scored {} texts instead of {}",
            result.texts,
            texts.len()
        );
    }
    if result.version != EXPECTED_VERSION {
        bail!(
            "vaderSentiment {} is installed, but the comparison needs {EXPECTED_VERSION}",
            result.version
        );
    }
    Ok(VaderTimes {
        version: result.version,
        python: result.python,
        passes: result
            .pass_seconds
            .into_iter()
            .map(Duration::from_secs_f64)
            .collect(),
    })
}
