//! Reading the rated corpora and the baseline figures beside them.

use std::fs;
use std::path::{Path, PathBuf};

/// One human-rated text.
pub struct RatedText {
    /// Identifier within its corpus.
    pub id: String,
    /// Mean rating divided by four, in [-1, 1].
    pub target: f64,
    /// The text.
    pub text: String,
}

/// One corpus file.
pub struct Corpus {
    /// File name without `.tsv`.
    pub name: String,
    /// The rated texts in file order.
    pub texts: Vec<RatedText>,
}

/// VADER's figures for one corpus, as the directory's README reports them.
#[derive(Clone, Copy)]
pub struct BaselineFigures {
    /// Pearson correlation with the mean ratings.
    pub pearson: f64,
    /// Three-class accuracy.
    pub accuracy: f64,
    /// Three-class macro-averaged F1.
    pub macro_f1: f64,
}

/// Reads every `*.tsv` file of a directory, sorted by name.
pub fn read_corpora(dir: &Path) -> Result<Vec<Corpus>, String> {
    let entries =
        fs::read_dir(dir).map_err(|error| format!("cannot read {}: {error}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "tsv"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("no .tsv files in {}", dir.display()));
    }
    paths.iter().map(|path| read_corpus(path)).collect()
}

fn read_corpus(path: &Path) -> Result<Corpus, String> {
    let content = fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let mut texts = Vec::new();
    for (number, line) in content.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut columns = line.splitn(3, '\t');
        let (Some(id), Some(rating), Some(text)) = (columns.next(), columns.next(), columns.next())
        else {
            return Err(format!(
                "{}:{}: expected 3 tab-separated columns",
                path.display(),
                number + 1
            ));
        };
        let rating: f64 = rating.trim().parse().map_err(|_| {
            format!(
                "{}:{}: invalid mean_rating {rating:?}",
                path.display(),
                number + 1
            )
        })?;
        texts.push(RatedText {
            id: id.to_owned(),
            target: (rating / 4.0).clamp(-1.0, 1.0),
            text: text.to_owned(),
        });
    }
    let name = path
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    Ok(Corpus { name, texts })
}

/// Reads VADER's figures for a corpus from the table in `dir/README.md`:
/// a row whose first cell is the corpus name followed by Pearson r,
/// accuracy and macro-F1. Returns `None` when the file or row is absent.
pub fn baseline_figures(dir: &Path, corpus: &str) -> Option<BaselineFigures> {
    let readme = fs::read_to_string(dir.join("README.md")).ok()?;
    readme.lines().find_map(|line| {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() < 4 || cells[0].trim_matches('`') != corpus {
            return None;
        }
        Some(BaselineFigures {
            pearson: cells[1].parse().ok()?,
            accuracy: cells[2].parse().ok()?,
            macro_f1: cells[3].parse().ok()?,
        })
    })
}
