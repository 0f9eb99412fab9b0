//! The texts the bench scores: the `text` column of every `*.tsv` file of a
//! directory of human-rated sentiment corpora.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Most characters of a text that `POST /api/analyze` accepts.
const MAX_TEXT_CHARS: usize = 10_000;

/// The texts of one corpus file.
pub struct Corpus {
    /// File name without `.tsv`, such as `tweets`.
    pub name: String,
    /// Texts in file order.
    pub texts: Vec<String>,
}

/// Texts of every corpus, and how many rows were left out.
pub struct Texts {
    /// Corpora in file-name order.
    pub corpora: Vec<Corpus>,
    /// Rows whose text the API would reject: blank or over 10,000
    /// characters.
    pub skipped: usize,
}

impl Texts {
    /// Returns every text, corpus after corpus.
    pub fn all(&self) -> Vec<&str> {
        self.corpora
            .iter()
            .flat_map(|corpus| corpus.texts.iter().map(String::as_str))
            .collect()
    }
}

/// Reads the third column (`text`) of every `*.tsv` file in `dir`, after
/// its header line, keeping at most `limit` texts per file when given.
pub fn load(dir: &Path, limit: Option<usize>) -> Result<Texts> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read the directory {}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<std::io::Result<_>>()?;
    files.retain(|path| path.extension().is_some_and(|extension| extension == "tsv"));
    files.sort();
    if files.is_empty() {
        bail!("{} holds no *.tsv file", dir.display());
    }

    let mut texts = Texts {
        corpora: Vec::new(),
        skipped: 0,
    };
    for file in files {
        let (corpus, skipped) = load_file(&file, limit)?;
        texts.corpora.push(corpus);
        texts.skipped += skipped;
    }
    Ok(texts)
}

fn load_file(path: &Path, limit: Option<usize>) -> Result<(Corpus, usize)> {
    let content = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read {}", path.display()))?;
    let mut texts = Vec::new();
    let mut skipped = 0;
    for (index, line) in content.lines().enumerate().skip(1) {
        let mut columns = line.splitn(3, '\t');
        let Some(text) = columns.nth(2) else {
            bail!(
                "{} line {}: fewer than 3 columns",
                path.display(),
                index + 1
            );
        };
        if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
            skipped += 1;
            continue;
        }
        texts.push(text.to_owned());
        if limit.is_some_and(|limit| texts.len() >= limit) {
            break;
        }
    }
    let name = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((Corpus { name, texts }, skipped))
}
