//! Writes the VADER word and emoji lexicons as sorted static tables.
//!
//! The `vader_sentiment` crate keeps its lexicons in hash maps built at run
//! time. Sorting them here makes the tables deterministic and lets the engine
//! look words up by binary search without any start-up cost, which matters
//! inside a Spin component that starts fresh for every request.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() {
    let words = word_valences();
    let emoji = emoji_valences(&words);

    let mut source = String::new();
    source.push_str("/// VADER word valences, keyed by lower-case word, sorted by key.\n");
    source.push_str("pub static WORD_VALENCES: &[(&str, f32)] = &[\n");
    for (word, valence) in &words {
        writeln!(source, "    ({word:?}, {valence:?}_f32),").unwrap();
    }
    source.push_str("];\n\n");
    source.push_str("/// Valence of single-character emoji, sorted by character.\n");
    source.push_str("pub static EMOJI_VALENCES: &[(char, f32)] = &[\n");
    for (emoji, valence) in &emoji {
        writeln!(source, "    ({emoji:?}, {valence:?}_f32),").unwrap();
    }
    source.push_str("];\n");

    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    fs::write(Path::new(&out_dir).join("lexicon.rs"), source).expect("OUT_DIR is writable");
    println!("cargo::rerun-if-changed=build.rs");
}

/// Reads the word lexicon, lower-casing keys. When two entries differ only
/// in case, the one already in lower case wins.
fn word_valences() -> BTreeMap<String, f32> {
    let mut entries: Vec<(&str, f64)> = vader_sentiment::LEXICON
        .iter()
        .map(|(word, valence)| (&***word, *valence))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));

    let mut words = BTreeMap::new();
    for (word, valence) in entries {
        let key = word.to_lowercase();
        let is_lower = key == word;
        if is_lower || !words.contains_key(&key) {
            words.insert(key, valence as f32);
        }
    }
    words
}

/// Scores each single-character emoji by the sum of the word valences of its
/// English description, as VADER does when it replaces an emoji by its
/// description ("smiling face with heart-eyes").
fn emoji_valences(words: &BTreeMap<String, f32>) -> BTreeMap<char, f32> {
    let mut emoji = BTreeMap::new();
    for (symbol, description) in vader_sentiment::EMOJI_LEXICON.iter() {
        let mut chars = symbol.chars();
        let (Some(first), None) = (chars.next(), chars.next()) else {
            continue;
        };
        let valence: f32 = description
            .split(|c: char| c.is_whitespace() || c == '-')
            .filter_map(|word| words.get(&word.to_lowercase()))
            .sum();
        if valence != 0.0 {
            emoji.insert(first, valence);
        }
    }
    emoji
}
