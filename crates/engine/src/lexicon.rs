//! Word lists behind the rule-based sentiment scores.
//!
//! Word and emoji valences come from the VADER lexicon (Hutto & Gilbert 2014,
//! ICWSM-14), on a scale from -4 to +4. The build script turns it into sorted
//! tables, so every lookup is a binary search over static data.

mod generated {
    include!(concat!(env!("OUT_DIR"), "/lexicon.rs"));
}

use crate::hash_table::{self, Slot};

/// [`generated::WORD_VALENCES`] as a hash table.
static WORD_TABLE: [Slot; hash_table::slot_count(generated::WORD_VALENCES.len())] =
    hash_table::build(generated::WORD_VALENCES);

/// Valence added to a sentiment word by an intensifier such as "very".
pub const BOOST: f32 = 0.293;

/// Valence removed from a sentiment word by a dampener such as "slightly".
pub const DAMPEN: f32 = -0.293;

/// Words that strengthen the sentiment word after them, sorted.
static INTENSIFIERS: &[&str] = &[
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormously",
    "entirely",
    "especially",
    "exceptionally",
    "extra",
    "extremely",
    "fabulously",
    "freaking",
    "fricking",
    "frigging",
    "fucking",
    "fully",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredibly",
    "insanely",
    "intensely",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "real",
    "really",
    "remarkably",
    "seriously",
    "so",
    "substantially",
    "super",
    "thoroughly",
    "too",
    "totally",
    "tremendously",
    "truly",
    "unbelievably",
    "unusually",
    "utterly",
    "very",
    "way",
    "wildly",
];

/// Words that weaken the sentiment word after them, sorted.
static DAMPENERS: &[&str] = &[
    "almost",
    "barely",
    "fairly",
    "hardly",
    "kinda",
    "less",
    "little",
    "marginally",
    "mildly",
    "moderately",
    "occasionally",
    "partly",
    "pretty",
    "rather",
    "scarcely",
    "slightly",
    "somewhat",
    "sorta",
];

/// Words that reverse the sentiment word after them, sorted. Contractions
/// ending in "n't" (and their apostrophe-free spellings) are recognised
/// separately by [`is_negator`].
static NEGATORS: &[&str] = &[
    "aint", "arent", "cannot", "cant", "couldnt", "didnt", "doesnt", "dont", "hadnt", "hasnt",
    "havent", "isnt", "lack", "lacks", "mightnt", "mustnt", "neednt", "neither", "never", "no",
    "nobody", "none", "nor", "not", "nothing", "nowhere", "rarely", "seldom", "shouldnt", "wasnt",
    "werent", "without", "wont", "wouldnt",
];

/// Words that VADER scores as sentiment but that sales text uses as plain
/// nouns ("customer support"), sorted.
static SALES_NOUNS: &[&str] = &["support", "supported", "supporting", "supports"];

/// Returns the VADER valence of a lower-case word or emoticon.
pub fn word_valence(word: &str) -> Option<f32> {
    if SALES_NOUNS.binary_search(&word).is_ok() {
        return None;
    }
    hash_table::get(&WORD_TABLE, word)
}

/// Returns the valence of an emoji, from the words of its description.
pub fn emoji_valence(symbol: char) -> Option<f32> {
    let table = generated::EMOJI_VALENCES;
    table
        .binary_search_by(|(key, _)| key.cmp(&symbol))
        .ok()
        .map(|index| table[index].1)
}

/// Returns how much a modifier word shifts the valence of the sentiment word
/// after it: positive for intensifiers, negative for dampeners.
pub fn modifier_shift(word: &str) -> Option<f32> {
    if INTENSIFIERS.binary_search(&word).is_ok() {
        Some(BOOST)
    } else if DAMPENERS.binary_search(&word).is_ok() {
        Some(DAMPEN)
    } else {
        None
    }
}

/// Tells whether a lower-case word reverses the polarity of what follows.
pub fn is_negator(word: &str) -> bool {
    NEGATORS.binary_search(&word).is_ok() || word.ends_with("n't")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted() {
        for list in [INTENSIFIERS, DAMPENERS, NEGATORS, SALES_NOUNS] {
            assert!(list.windows(2).all(|pair| pair[0] < pair[1]), "{list:?}");
        }
    }

    #[test]
    fn lexicon_has_words_and_emoticons() {
        assert!(word_valence("love").unwrap() > 2.0);
        assert!(word_valence("awful").unwrap() < -1.5);
        assert!(word_valence(":)").unwrap() > 1.0);
        assert_eq!(word_valence("pricing"), None);
    }

    #[test]
    fn emoji_carry_valence() {
        assert!(emoji_valence('😀').unwrap() > 0.0);
        assert!(emoji_valence('😢').unwrap() < 0.0);
    }

    #[test]
    fn contractions_negate() {
        assert!(is_negator("don't"));
        assert!(is_negator("never"));
        assert!(!is_negator("know"));
    }
}
