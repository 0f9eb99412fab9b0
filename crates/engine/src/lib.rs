//! Deterministic text analysis for the Cloudvelous AI routes.
//!
//! The engine needs no network and no model download: its word lists and
//! learned weights are compiled in, and it builds for native targets and
//! `wasm32-wasip2` alike. The same input always gives the same output, since
//! no result depends on hash-map order, randomness or the clock.
//!
//! - [`sentiment`] scores a text's tone.
//! - [`entities`] finds typed spans such as products, money and dates.
//! - [`summary`] writes a one-sentence summary.
//! - [`lead`] classifies a sales lead from its message, context and record.

pub mod entities;
mod hash_table;
pub mod lead;
mod lexicon;
pub mod sentiment;
pub mod summary;
mod text;

use cloudvelous_contract::TextAnalysis;

/// Analyses a text: sentiment, entities and summary.
pub fn analyze(text: &str) -> TextAnalysis {
    let tokens = text::tokenize(text);
    let sentiment = sentiment::analyze_tokens(text, &tokens);
    let entities = entities::extract_from_tokens(text, &tokens);
    let summary = summary::summarize(text, &sentiment, &entities);
    TextAnalysis {
        sentiment: sentiment.label,
        confidence: sentiment.confidence,
        entities,
        summary,
    }
}
