//! Property-style checks over unusual inputs: every text, however odd,
//! yields a well-formed analysis and classification, the same one each time.

use cloudvelous_engine::lead::{self, LeadInput};
use cloudvelous_engine::summary::MAX_SUMMARY_CHARS;

/// Pieces that generated texts are built from: words, punctuation, emoji
/// (with skin tones and joiners), combining marks, control and format
/// characters, right-to-left and CJK text.
const PIECES: &[&str] = &[
    "great",
    "not",
    "bad",
    "BUT",
    "support",
    "pricing",
    "$50k",
    "500+",
    "users",
    "Acme Corp",
    "March 3",
    "!!!",
    "???",
    "...",
    ":)",
    ":-(",
    "<3",
    "😀",
    "😡",
    "👍🏽",
    "👩‍💻",
    "🇩🇪",
    "e\u{301}",
    "\u{0}",
    "\u{7}",
    "\u{1b}[31m",
    "\u{200b}",
    "\u{feff}",
    "\u{202e}",
    "\t",
    "\n",
    "\r\n",
    " ",
    "مرحبا",
    "שלום",
    "日本語",
    "ß",
    "İ",
    "\u{10ffff}",
    "\u{fffd}",
    "@",
    "#",
    "+1 555",
    "-",
    "'",
    "n't",
    "sooooo",
    "a",
    "I",
    "%",
    "€",
    "1,000,000,000,000,000,000,000",
];

/// A deterministic pseudo-random generator (64-bit linear congruential).
struct Generator(u64);

impl Generator {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % bound as u64) as usize
    }

    fn text(&mut self, pieces: usize) -> String {
        (0..pieces)
            .map(|_| PIECES[self.next(PIECES.len())])
            .collect()
    }
}

fn check(text: &str) {
    let analysis = cloudvelous_engine::analyze(text);
    assert!(
        analysis.confidence.is_finite() && (0.0..=1.0).contains(&analysis.confidence),
        "{text:?}"
    );
    assert!(
        analysis.summary.chars().count() <= MAX_SUMMARY_CHARS,
        "{text:?}"
    );
    assert!(!analysis.summary.chars().any(char::is_control), "{text:?}");

    let chars: Vec<char> = text.chars().collect();
    let mut previous_end = 0;
    for entity in &analysis.entities {
        let (start, end) = (entity.start as usize, entity.end as usize);
        assert!(start < end && end <= chars.len(), "{text:?}: {entity:?}");
        assert!(start >= previous_end, "overlapping entities in {text:?}");
        assert_eq!(entity.text, chars[start..end].iter().collect::<String>());
        assert!((0.0..=1.0).contains(&entity.confidence));
        previous_end = end;
    }

    let sentiment = cloudvelous_engine::sentiment::analyze(text);
    assert!((-1.0..=1.0).contains(&sentiment.score), "{text:?}");

    let classification = lead::classify(&LeadInput {
        text: text.to_owned(),
        ..LeadInput::default()
    });
    assert!((0.0..=1.0).contains(&classification.confidence));
    assert!(
        classification
            .signals
            .iter()
            .all(|signal| signal.weight.is_finite())
    );

    assert_eq!(
        cloudvelous_engine::analyze(text),
        analysis,
        "not deterministic for {text:?}"
    );
}

#[test]
fn fixed_odd_inputs_are_handled() {
    let long_emoji = "😀".repeat(10_000);
    let long_words = "good ".repeat(2_000);
    let long_mixed: String = "a\u{301}".repeat(5_000);
    let inputs = [
        "",
        " ",
        "   \t\n ",
        "\u{0}",
        "😀",
        "😀😡👍🏽👩‍💻🇩🇪",
        "e\u{301}\u{302}\u{303}",
        "\u{301}",
        "\u{202e}abc",
        "\u{1b}[31mred\u{1b}[0m",
        "$",
        "$$$",
        "500+",
        "+",
        "@@@",
        "a@b",
        "http://",
        "Q4",
        "31st",
        long_emoji.as_str(),
        long_words.as_str(),
        long_mixed.as_str(),
    ];
    for text in inputs {
        check(text);
    }
}

#[test]
fn generated_odd_inputs_are_handled() {
    let mut generator = Generator(0x5eed);
    for round in 0..400 {
        let pieces = if round % 50 == 0 {
            2_000
        } else {
            1 + generator.next(40)
        };
        let text = generator.text(pieces);
        check(&text);
    }
}

#[test]
fn ten_thousand_characters_are_handled() {
    let mut generator = Generator(42);
    let mut text = generator.text(4_000);
    let cut = text
        .char_indices()
        .nth(10_000)
        .map_or(text.len(), |(index, _)| index);
    text.truncate(cut);
    check(&text);
}
