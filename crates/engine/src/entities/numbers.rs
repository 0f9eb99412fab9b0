//! Numbers with meaning (money, percentages, quantities) and the entities
//! recognised by the shape of a whitespace-delimited chunk: email
//! addresses, URLs, phone numbers and numeric dates.

use super::{Document, EntityType, Mention};

/// Nouns that make a number a quantity, sorted.
static UNITS: &[&str] = &[
    "accounts",
    "agents",
    "branches",
    "clients",
    "computers",
    "countries",
    "customers",
    "developers",
    "devices",
    "employees",
    "engineers",
    "gb",
    "hospitals",
    "laptops",
    "licences",
    "licenses",
    "locations",
    "members",
    "offices",
    "people",
    "reps",
    "salespeople",
    "schools",
    "seats",
    "servers",
    "sites",
    "staff",
    "stores",
    "students",
    "tb",
    "teams",
    "technicians",
    "users",
    "vehicles",
    "warehouses",
    "workers",
];

/// Words that may sit between a number and its unit: "500 active users".
static UNIT_ADJECTIVES: &[&str] = &[
    "active",
    "concurrent",
    "full-time",
    "internal",
    "more",
    "named",
    "new",
    "paid",
    "total",
];

/// Currency words after a number, sorted.
static CURRENCY_WORDS: &[&str] = &[
    "dollar", "dollars", "eur", "euro", "euros", "gbp", "pound", "pounds", "usd",
];

/// Words that multiply the number before them.
static SCALE_WORDS: &[(&str, f64)] = &[("thousand", 1e3), ("million", 1e6), ("billion", 1e9)];

/// Parses "1,500", "2.5", "50k", "2M" or "1.2bn" as a number.
pub fn parse_amount(word: &str) -> Option<f64> {
    // Stripping a suffix leaves the start, which must be a digit.
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let (digits, factor) = if let Some(rest) = lower.strip_suffix("bn") {
        (rest, 1e9)
    } else if let Some(rest) = lower.strip_suffix('k') {
        (rest, 1e3)
    } else if let Some(rest) = lower.strip_suffix("mm").or_else(|| lower.strip_suffix('m')) {
        (rest, 1e6)
    } else if let Some(rest) = lower.strip_suffix('b') {
        (rest, 1e9)
    } else {
        (lower.as_str(), 1.0)
    };
    if !digits.starts_with(|c: char| c.is_ascii_digit()) || digits.ends_with([',', '.']) {
        return None;
    }
    if !digits
        .chars()
        .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        || digits.matches('.').count() > 1
    {
        return None;
    }
    let value: f64 = digits.replace(',', "").parse().ok()?;
    Some(value * factor).filter(|value| value.is_finite())
}

/// Adds money, percentages, quantities and the chunk-shaped entities.
pub(super) fn find(document: &Document<'_>, candidates: &mut Vec<Mention>) {
    for index in 0..document.tokens.len() {
        if let Some(mention) = number_mention(document, index) {
            candidates.push(mention);
        }
    }
    find_chunks(document, candidates);
    find_phones(document, candidates);
}

fn number_mention(document: &Document<'_>, index: usize) -> Option<Mention> {
    let tokens = &document.tokens;
    let token = &tokens[index];
    let mut amount = parse_amount(&token.lower)?;
    let next = tokens.get(index + 1).filter(|_| !token.ends_sentence);
    let mut end = token.end;
    if let Some((_, factor)) =
        next.and_then(|next| SCALE_WORDS.iter().find(|(word, _)| next.lower == *word))
    {
        amount *= factor;
        end = next.map_or(end, |next| next.end);
    }

    let before = token
        .start
        .checked_sub(1)
        .and_then(|offset| document.char_at(offset));
    if before.is_some_and(|c| matches!(c, '$' | '€' | '£' | '¥')) {
        return Some(numeric(
            EntityType::Money,
            token.start - 1,
            end,
            0.95,
            amount,
            None,
        ));
    }
    if document.char_at(token.end) == Some('%') {
        return Some(numeric(
            EntityType::Percentage,
            token.start,
            token.end + 1,
            0.95,
            amount,
            None,
        ));
    }
    let next = next?;
    if next.lower == "percent" {
        return Some(numeric(
            EntityType::Percentage,
            token.start,
            next.end,
            0.9,
            amount,
            None,
        ));
    }
    if CURRENCY_WORDS.binary_search(&next.lower.as_str()).is_ok() {
        return Some(numeric(
            EntityType::Money,
            token.start,
            next.end,
            0.9,
            amount,
            None,
        ));
    }
    quantity(document, index, amount)
}

/// Matches a number followed by a unit, as in "500+ users" or "40 active seats".
fn quantity(document: &Document<'_>, index: usize, amount: f64) -> Option<Mention> {
    let tokens = &document.tokens;
    let mut unit_index = index + 1;
    if tokens
        .get(unit_index)
        .is_some_and(|token| UNIT_ADJECTIVES.contains(&token.lower.as_str()))
        && !tokens[unit_index].ends_clause
    {
        unit_index += 1;
    }
    let unit = tokens.get(unit_index)?;
    if tokens[index].ends_clause || UNITS.binary_search(&unit.lower.as_str()).is_err() {
        return None;
    }
    let unit_name = Some(unit.lower.clone());
    Some(numeric(
        EntityType::Quantity,
        tokens[index].start,
        unit.end,
        0.9,
        amount,
        unit_name,
    ))
}

fn numeric(
    kind: EntityType,
    start: usize,
    end: usize,
    confidence: f64,
    amount: f64,
    unit: Option<String>,
) -> Mention {
    Mention {
        kind,
        start,
        end,
        confidence,
        amount: Some(amount),
        unit,
    }
}

/// Adds email addresses, URLs and numeric dates, judged by whole chunks.
fn find_chunks(document: &Document<'_>, candidates: &mut Vec<Mention>) {
    let chars = &document.chars;
    let mut index = 0;
    while index < chars.len() {
        if chars[index].is_whitespace() {
            index += 1;
            continue;
        }
        let mut end = index;
        while end < chars.len() && !chars[end].is_whitespace() {
            end += 1;
        }
        let (start, stop) = trim_chunk(chars, index, end);
        if start < stop && may_be_shaped(&chars[start..stop]) {
            let chunk: String = chars[start..stop].iter().collect();
            if let Some((kind, confidence)) = chunk_kind(&chunk) {
                candidates.push(Mention {
                    kind,
                    start,
                    end: stop,
                    confidence,
                    amount: None,
                    unit: None,
                });
            }
        }
        index = end;
    }
}

fn trim_chunk(chars: &[char], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && matches!(chars[start], '(' | '<' | '[' | '"' | '\'' | '“') {
        start += 1;
    }
    while end > start
        && matches!(
            chars[end - 1],
            '.' | ',' | ';' | ':' | '!' | '?' | ')' | '>' | ']' | '"' | '\'' | '”'
        )
    {
        end -= 1;
    }
    (start, end)
}

/// Tells whether a chunk can be a URL, email address or numeric date at
/// all: URLs start with `http` or `www.` in any case, dates with a digit,
/// and email addresses contain `@`. Other chunks skip the string checks.
fn may_be_shaped(chunk: &[char]) -> bool {
    matches!(chunk.first(), Some('h' | 'H' | 'w' | 'W' | '0'..='9')) || chunk.contains(&'@')
}

fn chunk_kind(chunk: &str) -> Option<(EntityType, f64)> {
    let lower = chunk.to_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return Some((EntityType::Url, 0.95));
    }
    if is_email(chunk) {
        return Some((EntityType::Email, 0.95));
    }
    if is_numeric_date(chunk) {
        return Some((EntityType::Date, 0.9));
    }
    None
}

fn is_email(chunk: &str) -> bool {
    let Some((local, domain)) = chunk.split_once('@') else {
        return false;
    };
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '\'');
    !local.is_empty()
        && local.chars().all(allowed)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

/// Matches `2025-10-18`, `10/18/2025` and `18.10.2025`.
fn is_numeric_date(chunk: &str) -> bool {
    let parts: Vec<&str> = chunk.split(['-', '/', '.']).collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    let separators: Vec<char> = chunk.chars().filter(|c| !c.is_ascii_digit()).collect();
    if separators[0] != separators[1] {
        return false;
    }
    let lengths: Vec<usize> = parts.iter().map(|part| part.len()).collect();
    let iso = lengths == [4, 2, 2] && separators[0] == '-';
    let day_and_month_first = lengths[0] <= 2 && lengths[1] <= 2 && matches!(lengths[2], 2 | 4);
    iso || day_and_month_first
}

/// Adds phone numbers: a `+` and 8 to 15 digits, or 10 to 15 digits
/// grouped by spaces, dashes, dots or brackets.
fn find_phones(document: &Document<'_>, candidates: &mut Vec<Mention>) {
    let chars = &document.chars;
    let mut index = 0;
    while index < chars.len() {
        let starts = chars[index] == '+' || chars[index] == '(' || chars[index].is_ascii_digit();
        let after_word = index > 0
            && (chars[index - 1].is_alphanumeric() || matches!(chars[index - 1], '$' | '€' | '£'));
        if !starts || after_word {
            index += 1;
            continue;
        }
        let mut end = index + 1;
        let mut digits = usize::from(chars[index].is_ascii_digit());
        let mut separators = 0;
        while end < chars.len()
            && (chars[end].is_ascii_digit() || matches!(chars[end], ' ' | '-' | '.' | '(' | ')'))
        {
            if chars[end].is_ascii_digit() {
                digits += 1;
            } else {
                separators += 1;
            }
            end += 1;
        }
        while end > index && !chars[end - 1].is_ascii_digit() {
            end -= 1;
        }
        let followed_by_word = chars.get(end).is_some_and(|c| c.is_alphanumeric());
        let international = chars[index] == '+' && (8..=15).contains(&digits);
        let grouped = separators > 0 && (10..=15).contains(&digits);
        if (international || grouped) && !followed_by_word {
            candidates.push(Mention {
                kind: EntityType::Phone,
                start: index,
                end,
                confidence: 0.85,
                amount: None,
                unit: None,
            });
            index = end;
        } else {
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted() {
        for list in [UNITS, CURRENCY_WORDS] {
            assert!(list.windows(2).all(|pair| pair[0] < pair[1]), "{list:?}");
        }
    }

    #[test]
    fn parses_amounts() {
        assert_eq!(parse_amount("1,500"), Some(1500.0));
        assert_eq!(parse_amount("50k"), Some(50_000.0));
        assert_eq!(parse_amount("2.5M"), Some(2_500_000.0));
        assert_eq!(parse_amount("1.2bn"), Some(1_200_000_000.0));
        assert_eq!(parse_amount("q3"), None);
        assert_eq!(parse_amount("1.2.3"), None);
        assert_eq!(parse_amount("k"), None);
    }
}
