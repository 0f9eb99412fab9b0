//! Known phrases: products, features, services, roles and relative dates.

use super::{Document, EntityType, Mention};

/// A phrase as lower-case words, its type and the confidence of a match.
type Phrase = (&'static [&'static str], EntityType, f64);

static PHRASES: &[Phrase] = &[
    // Products and plans.
    (&["product"], EntityType::Product, 0.95),
    (&["products"], EntityType::Product, 0.95),
    (&["platform"], EntityType::Product, 0.9),
    (&["software"], EntityType::Product, 0.9),
    (&["app"], EntityType::Product, 0.85),
    (&["application"], EntityType::Product, 0.8),
    (&["solution"], EntityType::Product, 0.85),
    (&["tool"], EntityType::Product, 0.8),
    (&["crm"], EntityType::Product, 0.9),
    (&["plan"], EntityType::Product, 0.75),
    (&["enterprise", "plan"], EntityType::Product, 0.9),
    (&["pro", "plan"], EntityType::Product, 0.9),
    (&["premium", "plan"], EntityType::Product, 0.9),
    (&["starter", "plan"], EntityType::Product, 0.9),
    (&["free", "plan"], EntityType::Product, 0.9),
    (&["free", "trial"], EntityType::Product, 0.9),
    (&["trial"], EntityType::Product, 0.75),
    (&["subscription"], EntityType::Product, 0.85),
    (&["license"], EntityType::Product, 0.8),
    (&["licenses"], EntityType::Product, 0.8),
    (&["licence"], EntityType::Product, 0.8),
    (&["mobile", "app"], EntityType::Product, 0.9),
    // Features.
    (&["pricing"], EntityType::Feature, 0.88),
    (&["price"], EntityType::Feature, 0.85),
    (&["prices"], EntityType::Feature, 0.85),
    (&["cost"], EntityType::Feature, 0.75),
    (&["costs"], EntityType::Feature, 0.75),
    (&["discount"], EntityType::Feature, 0.8),
    (&["integration"], EntityType::Feature, 0.88),
    (&["integrations"], EntityType::Feature, 0.88),
    (&["api"], EntityType::Feature, 0.88),
    (&["dashboard"], EntityType::Feature, 0.88),
    (&["dashboards"], EntityType::Feature, 0.88),
    (&["reporting"], EntityType::Feature, 0.88),
    (&["reports"], EntityType::Feature, 0.8),
    (&["analytics"], EntityType::Feature, 0.85),
    (&["automation"], EntityType::Feature, 0.85),
    (&["workflow"], EntityType::Feature, 0.85),
    (&["workflows"], EntityType::Feature, 0.85),
    (&["sso"], EntityType::Feature, 0.9),
    (&["single", "sign-on"], EntityType::Feature, 0.9),
    (&["security"], EntityType::Feature, 0.8),
    (&["encryption"], EntityType::Feature, 0.85),
    (&["permissions"], EntityType::Feature, 0.85),
    (&["audit", "logs"], EntityType::Feature, 0.88),
    (&["data", "export"], EntityType::Feature, 0.88),
    (&["export"], EntityType::Feature, 0.75),
    (&["search"], EntityType::Feature, 0.7),
    (&["notifications"], EntityType::Feature, 0.8),
    (&["interface"], EntityType::Feature, 0.8),
    (&["ui"], EntityType::Feature, 0.85),
    (&["performance"], EntityType::Feature, 0.75),
    (&["uptime"], EntityType::Feature, 0.85),
    (&["features"], EntityType::Feature, 0.8),
    (&["feature"], EntityType::Feature, 0.8),
    (&["customization"], EntityType::Feature, 0.8),
    (&["billing"], EntityType::Feature, 0.8),
    (&["invoicing"], EntityType::Feature, 0.8),
    (&["storage"], EntityType::Feature, 0.75),
    // Services.
    (&["support"], EntityType::Service, 0.9),
    (&["customer", "support"], EntityType::Service, 0.92),
    (&["customer", "service"], EntityType::Service, 0.92),
    (&["technical", "support"], EntityType::Service, 0.92),
    (&["support", "team"], EntityType::Service, 0.9),
    (&["onboarding"], EntityType::Service, 0.88),
    (&["training"], EntityType::Service, 0.85),
    (&["consulting"], EntityType::Service, 0.85),
    (&["implementation"], EntityType::Service, 0.8),
    (&["migration"], EntityType::Service, 0.8),
    (&["maintenance"], EntityType::Service, 0.8),
    (&["service"], EntityType::Service, 0.75),
    (&["account", "manager"], EntityType::Service, 0.85),
    (&["help", "desk"], EntityType::Service, 0.88),
    (&["helpdesk"], EntityType::Service, 0.88),
    (&["documentation"], EntityType::Service, 0.8),
    (&["sla"], EntityType::Service, 0.88),
    (&["professional", "services"], EntityType::Service, 0.9),
    (&["setup"], EntityType::Service, 0.7),
    // Roles.
    (&["ceo"], EntityType::Role, 0.9),
    (&["cto"], EntityType::Role, 0.9),
    (&["cfo"], EntityType::Role, 0.9),
    (&["cio"], EntityType::Role, 0.9),
    (&["coo"], EntityType::Role, 0.9),
    (&["ciso"], EntityType::Role, 0.9),
    (&["vp"], EntityType::Role, 0.8),
    (&["founder"], EntityType::Role, 0.85),
    (&["co-founder"], EntityType::Role, 0.85),
    (&["owner"], EntityType::Role, 0.6),
    (&["it", "manager"], EntityType::Role, 0.85),
    (&["procurement"], EntityType::Role, 0.7),
    (&["head", "of", "sales"], EntityType::Role, 0.9),
    (&["head", "of", "it"], EntityType::Role, 0.9),
    (&["head", "of", "marketing"], EntityType::Role, 0.9),
    (&["head", "of", "operations"], EntityType::Role, 0.9),
    (&["head", "of", "engineering"], EntityType::Role, 0.9),
    (&["director", "of", "sales"], EntityType::Role, 0.9),
    (&["director", "of", "it"], EntityType::Role, 0.9),
    (&["director", "of", "marketing"], EntityType::Role, 0.9),
    (&["director", "of", "operations"], EntityType::Role, 0.9),
    (&["director", "of", "engineering"], EntityType::Role, 0.9),
    (&["sales", "manager"], EntityType::Role, 0.85),
    (&["marketing", "manager"], EntityType::Role, 0.85),
    (&["office", "manager"], EntityType::Role, 0.85),
    (&["operations", "manager"], EntityType::Role, 0.85),
    (&["product", "manager"], EntityType::Role, 0.85),
    // Relative dates.
    (&["today"], EntityType::Date, 0.9),
    (&["tomorrow"], EntityType::Date, 0.9),
    (&["yesterday"], EntityType::Date, 0.9),
    (&["tonight"], EntityType::Date, 0.85),
    (&["next", "week"], EntityType::Date, 0.9),
    (&["next", "month"], EntityType::Date, 0.9),
    (&["next", "quarter"], EntityType::Date, 0.9),
    (&["next", "year"], EntityType::Date, 0.9),
    (&["this", "week"], EntityType::Date, 0.85),
    (&["this", "month"], EntityType::Date, 0.85),
    (&["this", "quarter"], EntityType::Date, 0.85),
    (&["this", "year"], EntityType::Date, 0.85),
    (&["last", "week"], EntityType::Date, 0.85),
    (&["last", "month"], EntityType::Date, 0.85),
    (&["last", "year"], EntityType::Date, 0.85),
    (&["end", "of", "the", "month"], EntityType::Date, 0.9),
    (&["end", "of", "the", "quarter"], EntityType::Date, 0.9),
    (&["end", "of", "the", "year"], EntityType::Date, 0.9),
    (&["end", "of", "month"], EntityType::Date, 0.9),
    (&["end", "of", "quarter"], EntityType::Date, 0.9),
    (&["end", "of", "year"], EntityType::Date, 0.9),
];

/// First words of [`PHRASES`], sorted, so that a token that starts no
/// phrase is passed over with one binary search.
static FIRST_WORDS: [&str; PHRASES.len()] = sorted_first_words(PHRASES);

/// Names of months and weekdays, which start a date.
static CALENDAR_WORDS: &[&str] = &[
    "apr",
    "april",
    "aug",
    "august",
    "dec",
    "december",
    "feb",
    "february",
    "fri",
    "friday",
    "jan",
    "january",
    "jul",
    "july",
    "jun",
    "june",
    "mar",
    "march",
    "may",
    "mon",
    "monday",
    "nov",
    "november",
    "oct",
    "october",
    "sat",
    "saturday",
    "sep",
    "sept",
    "september",
    "sun",
    "sunday",
    "thu",
    "thursday",
    "tue",
    "tuesday",
    "wed",
    "wednesday",
];

/// Adds every gazetteer phrase and calendar date of the document.
pub(super) fn find(document: &Document<'_>, candidates: &mut Vec<Mention>) {
    let tokens = &document.tokens;
    for index in 0..tokens.len() {
        let starts_phrase = FIRST_WORDS
            .binary_search(&tokens[index].lower.as_str())
            .is_ok();
        for (words, kind, confidence) in PHRASES.iter().filter(|_| starts_phrase) {
            if matches_at(document, index, words) {
                let last = &tokens[index + words.len() - 1];
                candidates.push(mention(*kind, tokens[index].start, last.end, *confidence));
            }
        }
        if let Some(end) = calendar_date(document, index) {
            candidates.push(mention(EntityType::Date, tokens[index].start, end, 0.9));
        }
        if let Some(end) = quarter(document, index) {
            candidates.push(mention(EntityType::Date, tokens[index].start, end, 0.9));
        }
    }
}

/// Collects the first word of each phrase and sorts them by byte order, at
/// compile time.
const fn sorted_first_words<const N: usize>(phrases: &[Phrase]) -> [&'static str; N] {
    let mut words = [""; N];
    let mut index = 0;
    while index < N {
        words[index] = phrases[index].0[0];
        index += 1;
    }
    let mut sorted = 1;
    while sorted < N {
        let mut position = sorted;
        while position > 0 && is_before(words[position], words[position - 1]) {
            let word = words[position];
            words[position] = words[position - 1];
            words[position - 1] = word;
            position -= 1;
        }
        sorted += 1;
    }
    words
}

/// Tells whether `a` sorts before `b` in byte order, as `str::cmp` does.
const fn is_before(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut index = 0;
    while index < a.len() && index < b.len() {
        if a[index] != b[index] {
            return a[index] < b[index];
        }
        index += 1;
    }
    a.len() < b.len()
}

fn mention(kind: EntityType, start: usize, end: usize, confidence: f64) -> Mention {
    Mention {
        kind,
        start,
        end,
        confidence,
        amount: None,
        unit: None,
    }
}

/// Tells whether the phrase's words follow each other from `index` within
/// one sentence.
fn matches_at(document: &Document<'_>, index: usize, words: &[&str]) -> bool {
    let tokens = &document.tokens;
    if index + words.len() > tokens.len() {
        return false;
    }
    words.iter().enumerate().all(|(offset, word)| {
        let token = &tokens[index + offset];
        let inside = offset + 1 == words.len() || !token.ends_sentence;
        token.lower == *word && inside
    })
}

/// Matches "March 3", "March 3rd, 2025", "3 March 2025" and "Monday".
/// A month alone matches only when capitalised, so "may" stays a verb.
fn calendar_date(document: &Document<'_>, index: usize) -> Option<usize> {
    let tokens = &document.tokens;
    let token = &tokens[index];
    if day_number(&token.lower).is_some() {
        let month = tokens
            .get(index + 1)
            .filter(|next| is_calendar_word(next))?;
        return Some(year_after(document, index + 1).unwrap_or(month.end));
    }
    if !is_calendar_word(token) {
        return None;
    }
    let mut end = token.end;
    let mut last = index;
    if let Some(day) = tokens
        .get(index + 1)
        .filter(|next| day_number(&next.lower).is_some())
    {
        end = day.end;
        last = index + 1;
    }
    let end = year_after(document, last).unwrap_or(end);
    let has_day_or_year = end != token.end;
    let capitalised = token.text.chars().next().is_some_and(char::is_uppercase);
    (capitalised && (has_day_or_year || token.lower.len() > 3)).then_some(end)
}

fn is_calendar_word(token: &crate::text::Token<'_>) -> bool {
    let word = token.lower.trim_end_matches('.');
    CALENDAR_WORDS.binary_search(&word).is_ok()
        && token.text.chars().next().is_some_and(char::is_uppercase)
}

/// Parses "3", "3rd" or "21st" as a day of the month.
fn day_number(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    digits.parse().ok().filter(|day| (1..=31).contains(day))
}

/// End of a four-digit year right after the token at `index`.
fn year_after(document: &Document<'_>, index: usize) -> Option<usize> {
    let tokens = &document.tokens;
    if tokens[index].ends_sentence {
        return None;
    }
    let next = tokens.get(index + 1)?;
    let year: u32 = next.lower.parse().ok()?;
    (next.lower.len() == 4 && (1900..=2199).contains(&year)).then_some(next.end)
}

/// Matches "Q3" or "Q3 2025".
fn quarter(document: &Document<'_>, index: usize) -> Option<usize> {
    let token = &document.tokens[index];
    if !matches!(token.lower.as_str(), "q1" | "q2" | "q3" | "q4") {
        return None;
    }
    Some(year_after(document, index).unwrap_or(token.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_words_are_sorted() {
        assert!(CALENDAR_WORDS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn first_words_are_sorted_phrase_starts() {
        let mut expected: Vec<&str> = PHRASES.iter().map(|(words, _, _)| words[0]).collect();
        expected.sort_unstable();
        assert_eq!(FIRST_WORDS.to_vec(), expected);
    }
}
