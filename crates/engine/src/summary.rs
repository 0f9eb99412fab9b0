//! One-sentence summaries of at most 200 characters.
//!
//! A summary names the tone, the kind of message and its main topics, as in
//! "Highly positive feedback about product, pricing, and support". A text
//! without recognised topics is summarised by its tone and its first
//! sentence, shortened at a word boundary.

use cloudvelous_contract::{Entity, Sentiment};

use crate::entities::is_topic;
use crate::sentiment::SentimentAnalysis;

/// Maximum length of a summary in characters.
pub const MAX_SUMMARY_CHARS: usize = 200;
/// Number of topics a summary names at most.
const MAX_TOPICS: usize = 3;

/// Writes the summary of a text from its analysis.
pub fn summarize(text: &str, sentiment: &SentimentAnalysis, entities: &[Entity]) -> String {
    let tone = tone(sentiment);
    let kind = message_kind(text, sentiment);
    let topics = topics(entities);
    let summary = if topics.is_empty() {
        let opening = first_sentence(text);
        if opening.is_empty() {
            format!("{tone} {kind} with no text to summarise")
        } else {
            format!("{tone} {kind}: \"{opening}\"")
        }
    } else {
        format!("{tone} {kind} about {}", join_topics(&topics))
    };
    shorten(&summary, MAX_SUMMARY_CHARS)
}

fn tone(sentiment: &SentimentAnalysis) -> &'static str {
    match sentiment.label {
        Sentiment::Mixed => "Mixed",
        Sentiment::Neutral => "Neutral",
        Sentiment::Positive if sentiment.score >= 0.5 => "Highly positive",
        Sentiment::Positive => "Positive",
        Sentiment::Negative if sentiment.score <= -0.5 => "Strongly negative",
        Sentiment::Negative => "Negative",
    }
}

/// Names the kind of message: an inquiry asks, a complaint is negative,
/// anything else is feedback.
fn message_kind(text: &str, sentiment: &SentimentAnalysis) -> &'static str {
    let lower = text.to_lowercase();
    let asks = text.contains('?')
        || [
            "interested in",
            "looking for",
            "would like",
            "could you",
            "can you",
            "please send",
        ]
        .iter()
        .any(|phrase| lower.contains(phrase));
    if sentiment.label == Sentiment::Negative {
        "complaint"
    } else if asks {
        "inquiry"
    } else {
        "feedback"
    }
}

fn topics(entities: &[Entity]) -> Vec<String> {
    let mut topics: Vec<String> = Vec::new();
    for entity in entities.iter().filter(|entity| is_topic(entity)) {
        let topic = clean(&entity.text).to_lowercase();
        if !topic.is_empty() && !topics.contains(&topic) && topics.len() < MAX_TOPICS {
            topics.push(topic);
        }
    }
    topics
}

/// Joins topics as "a", "a and b" or "a, b, and c".
fn join_topics(topics: &[String]) -> String {
    match topics {
        [] => String::new(),
        [one] => one.clone(),
        [one, two] => format!("{one} and {two}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// The first sentence of a text, with control characters and runs of
/// whitespace turned into single spaces.
fn first_sentence(text: &str) -> String {
    let cleaned = clean(text);
    let end = cleaned
        .char_indices()
        .find(|(_, c)| matches!(c, '.' | '!' | '?'))
        .map_or(cleaned.len(), |(index, _)| index);
    cleaned[..end].trim().to_owned()
}

fn clean(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cuts a text to at most `limit` characters at a word boundary, ending in
/// `…` when cut. A quotation cut short keeps its closing mark.
fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let quoted = text.ends_with('"');
    let budget = limit - if quoted { 2 } else { 1 };
    let mut cut: String = text.chars().take(budget).collect();
    if let Some(space) = cut.rfind(' ').filter(|&space| space > budget / 2) {
        cut.truncate(space);
    }
    cut.push('…');
    if quoted {
        cut.push('"');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{entities, sentiment};

    fn summary_of(text: &str) -> String {
        summarize(text, &sentiment::analyze(text), &entities::extract(text))
    }

    #[test]
    fn document_example_names_topics() {
        assert_eq!(
            summary_of("I love your product! The pricing is great and support is excellent."),
            "Highly positive feedback about product, pricing, and support"
        );
    }

    #[test]
    fn text_without_topics_quotes_first_sentence() {
        let summary = summary_of("Please call me back tomorrow. Thanks!");
        assert!(
            summary.ends_with(": \"Please call me back tomorrow\""),
            "{summary}"
        );
    }

    #[test]
    fn long_text_is_cut_to_limit() {
        let text = "word ".repeat(3000);
        let summary = summary_of(&text);
        assert!(summary.chars().count() <= MAX_SUMMARY_CHARS);
        assert!(summary.ends_with("…\""));
    }

    #[test]
    fn control_characters_do_not_reach_the_summary() {
        let summary = summary_of("hello\u{0}\u{7}\tthere\nfriend");
        assert!(!summary.chars().any(char::is_control), "{summary:?}");
    }
}
