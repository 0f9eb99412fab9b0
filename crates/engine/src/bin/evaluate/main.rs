//! Scores the sentiment engine on human-rated corpora and the sales set.
//!
//! Usage: `evaluate [--check] [--folds N] [--sales FILE] [--write-weights FILE] DIR`
//!
//! For every `*.tsv` file of DIR (columns `id`, `mean_rating`, `text`) it
//! prints Pearson r, accuracy, macro-F1 and the Brier score of the label
//! confidences, with VADER's figures from DIR/README.md beside them:
//!
//! - cross-validated: the model is trained on DIR itself, and each text is
//!   scored by weights trained on the folds (chosen by a hash of the id)
//!   that do not contain it;
//! - shipped: the weights compiled into the engine.
//!
//! `--check` exits with status 1 when, on any corpus, either set of figures
//! fails to beat VADER on both Pearson r and macro-F1. `--write-weights`
//! writes weights trained on all of DIR as the engine's `weights.rs`.

mod corpus;
mod metrics;
mod sales;
mod train;
mod weights_file;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use cloudvelous_engine::sentiment::{self, features};
use corpus::{BaselineFigures, Corpus};
use metrics::Figures;
use train::{Sample, Settings};

const SETTINGS: Settings = Settings {
    folds: 5,
    inner_folds: 3,
    sparse_penalty: 0.6,
    dense_penalty: 0.05,
    min_document_frequency: 2,
    iterations: 400,
};

struct Options {
    dir: PathBuf,
    check: bool,
    folds: usize,
    sales: PathBuf,
    write_weights: Option<PathBuf>,
}

fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            eprintln!(
                "usage: evaluate [--check] [--folds N] [--sales FILE] [--write-weights FILE] DIR"
            );
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut dir = None;
    let mut check = false;
    let mut folds = SETTINGS.folds;
    let mut sales = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/sales_messages.json"
    ));
    let mut write_weights = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--folds" => {
                let value = args.next().ok_or("--folds needs a number")?;
                folds = value.parse().ok().filter(|n| *n >= 2).ok_or(format!(
                    "invalid --folds {value:?}: expected an integer of at least 2"
                ))?;
            }
            "--sales" => sales = args.next().ok_or("--sales needs a file")?.into(),
            "--write-weights" => {
                write_weights = Some(args.next().ok_or("--write-weights needs a file")?.into())
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ if dir.is_some() => return Err(format!("unexpected argument {arg:?}")),
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let dir = dir.ok_or("missing corpus directory")?;
    Ok(Options {
        dir,
        check,
        folds,
        sales,
        write_weights,
    })
}

/// Runs the evaluation and returns whether every check passed.
fn run(options: &Options) -> Result<bool, String> {
    let started = Instant::now();
    let corpora = corpus::read_corpora(&options.dir)?;
    let (samples, corpus_of) = build_samples(&corpora);
    let settings = Settings {
        folds: options.folds,
        ..SETTINGS
    };

    let predictions = train::cross_validate(&samples, &settings);
    let held_out: Vec<(f64, f64)> = predictions
        .iter()
        .map(|p| (p.score, p.confidence))
        .collect();
    let shipped: Vec<(f64, f64)> = corpora
        .iter()
        .flat_map(|corpus| &corpus.texts)
        .map(|text| {
            let analysis = sentiment::analyze(&text.text);
            (analysis.score, analysis.polarity_confidence)
        })
        .collect();

    println!(
        "Sentiment on {} ({} texts, {}-fold cross-validation)",
        options.dir.display(),
        samples.len(),
        settings.folds
    );
    let mut passed = true;
    passed &= print_table(
        "cross-validated (trained on this directory, each fold held out)",
        &corpora,
        &options.dir,
        &samples,
        &corpus_of,
        &held_out,
    );
    passed &= print_table(
        "shipped weights (as compiled into the engine)",
        &corpora,
        &options.dir,
        &samples,
        &corpus_of,
        &shipped,
    );

    if let Some(path) = &options.write_weights {
        let model = train::train_final(&samples, &predictions, &settings);
        weights_file::write(path, &model, samples.len())?;
        println!(
            "\nwrote {} sparse weights to {}",
            model.sparse.len(),
            path.display()
        );
    }

    println!();
    passed &= sales::evaluate(&options.sales)?;
    println!("\nelapsed: {:.1} s", started.elapsed().as_secs_f64());

    if options.check && !passed {
        println!("check failed: see the rows marked FAIL above");
    }
    Ok(passed || !options.check)
}

/// Extracts features once, weighting samples so every corpus counts equally.
fn build_samples(corpora: &[Corpus]) -> (Vec<Sample>, Vec<usize>) {
    let total: usize = corpora.iter().map(|corpus| corpus.texts.len()).sum();
    let mut samples = Vec::with_capacity(total);
    let mut corpus_of = Vec::with_capacity(total);
    for (index, corpus) in corpora.iter().enumerate() {
        let weight = total as f64 / (corpora.len() * corpus.texts.len().max(1)) as f64;
        for text in &corpus.texts {
            samples.push(Sample {
                features: features::extract(&text.text),
                target: text.target,
                weight,
                id_hash: train::hash_id(&text.id),
            });
            corpus_of.push(index);
        }
    }
    (samples, corpus_of)
}

/// Prints one table and returns whether every corpus beat VADER on both
/// Pearson r and macro-F1.
fn print_table(
    title: &str,
    corpora: &[Corpus],
    dir: &std::path::Path,
    samples: &[Sample],
    corpus_of: &[usize],
    predictions: &[(f64, f64)],
) -> bool {
    println!("\n{title}");
    println!(
        "| corpus | texts | r | accuracy | macro-F1 | Brier | VADER r | VADER accuracy | VADER macro-F1 | beats VADER |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    let mut passed = true;
    for (index, corpus) in corpora.iter().enumerate() {
        let rows: Vec<usize> = (0..samples.len())
            .filter(|&i| corpus_of[i] == index)
            .collect();
        let targets: Vec<f64> = rows.iter().map(|&i| samples[i].target).collect();
        let scored: Vec<(f64, f64)> = rows.iter().map(|&i| predictions[i]).collect();
        let figures = metrics::figures(&targets, &scored);
        let baseline = corpus::baseline_figures(dir, &corpus.name);
        let verdict = verdict(&figures, baseline);
        passed &= verdict == "yes";
        println!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} | {} | {} |",
            corpus.name,
            rows.len(),
            figures.pearson,
            figures.accuracy,
            figures.macro_f1,
            figures.brier,
            format_baseline(baseline.map(|b| b.pearson)),
            format_baseline(baseline.map(|b| b.accuracy)),
            format_baseline(baseline.map(|b| b.macro_f1)),
            verdict,
        );
    }
    passed
}

fn verdict(figures: &Figures, baseline: Option<BaselineFigures>) -> &'static str {
    match baseline {
        None => "n/a (FAIL)",
        Some(b) if figures.pearson > b.pearson && figures.macro_f1 > b.macro_f1 => "yes",
        Some(_) => "no (FAIL)",
    }
}

fn format_baseline(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}
