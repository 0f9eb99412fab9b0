//! Names of companies and people, recognised by capitalisation in telling
//! positions.

use super::{Document, EntityType, Mention};
use crate::text::{Token, TokenKind};

/// Words that end a company name, sorted.
static COMPANY_SUFFIXES: &[&str] = &[
    "ag",
    "bank",
    "co",
    "company",
    "corp",
    "corporation",
    "enterprises",
    "gmbh",
    "group",
    "holdings",
    "inc",
    "industries",
    "labs",
    "llc",
    "llp",
    "ltd",
    "partners",
    "plc",
    "sa",
    "software",
    "systems",
    "technologies",
];

/// Well-known companies, matched only when capitalised, sorted.
static KNOWN_COMPANIES: &[&str] = &[
    "acme",
    "adobe",
    "amazon",
    "atlassian",
    "aws",
    "cisco",
    "dell",
    "deloitte",
    "freshworks",
    "github",
    "google",
    "hubspot",
    "ibm",
    "intel",
    "mailchimp",
    "marketo",
    "microsoft",
    "netflix",
    "oracle",
    "pipedrive",
    "salesforce",
    "sap",
    "shopify",
    "siemens",
    "slack",
    "stripe",
    "twilio",
    "zendesk",
    "zoho",
    "zoom",
];

/// Common first names, sorted.
static FIRST_NAMES: &[&str] = &[
    "aisha", "alex", "alice", "amanda", "amy", "ana", "andrew", "anna", "ben", "brian", "carlos",
    "chris", "daniel", "david", "diana", "emily", "emma", "eric", "fatima", "george", "hannah",
    "james", "jane", "jason", "jennifer", "jessica", "john", "jose", "joseph", "julia", "karen",
    "kevin", "laura", "lisa", "maria", "mark", "mary", "matt", "michael", "mike", "mohammed",
    "nina", "olivia", "omar", "paul", "peter", "priya", "rachel", "raj", "robert", "sam", "sarah",
    "sofia", "sophie", "steve", "susan", "thomas", "tom", "wei", "william", "yuki",
];

/// Titles before a surname, sorted.
static TITLES: &[&str] = &["dr", "mr", "mrs", "ms", "prof"];

/// Words of a sign-off that a name follows, sorted.
static SIGN_OFFS: &[&str] = &["best", "cheers", "regards", "sincerely", "thanks", "thx"];

/// Adds companies and people.
pub(super) fn find(document: &Document<'_>, candidates: &mut Vec<Mention>) {
    let tokens = &document.tokens;
    for (index, token) in tokens.iter().enumerate() {
        if let Some(mention) = company_with_suffix(document, index) {
            candidates.push(mention);
        }
        if is_capitalised(token) && KNOWN_COMPANIES.binary_search(&token.lower.as_str()).is_ok() {
            candidates.push(name(EntityType::Company, token.start, token.end, 0.85));
        }
        if let Some(mention) = company_after_preposition(document, index) {
            candidates.push(mention);
        }
        if let Some(mention) = person(document, index) {
            candidates.push(mention);
        }
    }
}

fn name(kind: EntityType, start: usize, end: usize, confidence: f64) -> Mention {
    Mention {
        kind,
        start,
        end,
        confidence,
        amount: None,
        unit: None,
    }
}

fn is_capitalised(token: &Token<'_>) -> bool {
    token.kind == TokenKind::Word && token.text.chars().next().is_some_and(char::is_uppercase)
}

/// Matches capitalised words ending in a suffix: "Acme Corp", "Globex Inc.".
fn company_with_suffix(document: &Document<'_>, index: usize) -> Option<Mention> {
    let tokens = &document.tokens;
    let suffix = &tokens[index];
    if !is_capitalised(suffix)
        || COMPANY_SUFFIXES
            .binary_search(&suffix.lower.as_str())
            .is_err()
        || index == 0
    {
        return None;
    }
    let mut first = index;
    while first > 0 && index - first < 4 {
        let before = &tokens[first - 1];
        if !is_capitalised(before) || before.ends_clause {
            break;
        }
        first -= 1;
    }
    if first == index {
        return None;
    }
    let mut end = suffix.end;
    if document.char_at(end) == Some('.')
        && matches!(suffix.lower.as_str(), "inc" | "corp" | "ltd" | "co")
    {
        end += 1;
    }
    Some(name(EntityType::Company, tokens[first].start, end, 0.9))
}

/// Matches a capitalised name after "at" or "from" inside a sentence, as in
/// "I run IT at Globex".
fn company_after_preposition(document: &Document<'_>, index: usize) -> Option<Mention> {
    let tokens = &document.tokens;
    let preposition = &tokens[index];
    if !matches!(preposition.lower.as_str(), "at" | "from") || preposition.ends_clause {
        return None;
    }
    let first = tokens
        .get(index + 1)
        .filter(|token| is_capitalised(token))?;
    if FIRST_NAMES.binary_search(&first.lower.as_str()).is_ok() || first.lower.len() < 2 {
        return None;
    }
    let end = capitalised_run_end(tokens, index + 1, 3);
    Some(name(EntityType::Company, first.start, end, 0.6))
}

/// End offset of up to `limit` capitalised tokens from `index`, within a clause.
fn capitalised_run_end(tokens: &[Token<'_>], index: usize, limit: usize) -> usize {
    let mut last = index;
    while last + 1 < tokens.len()
        && last + 1 - index < limit
        && !tokens[last].ends_clause
        && is_capitalised(&tokens[last + 1])
    {
        last += 1;
    }
    tokens[last].end
}

/// Matches a known first name (with a capitalised surname), a title and
/// surname, a name after "my name is" or "this is", or a name after a
/// sign-off such as "Thanks,".
fn person(document: &Document<'_>, index: usize) -> Option<Mention> {
    let tokens = &document.tokens;
    let token = &tokens[index];
    if is_capitalised(token) && FIRST_NAMES.binary_search(&token.lower.as_str()).is_ok() {
        let end = surname_end(tokens, index);
        let confidence = if end > token.end { 0.85 } else { 0.7 };
        return Some(name(EntityType::Person, token.start, end, confidence));
    }
    let introduces = TITLES.binary_search(&token.lower.as_str()).is_ok()
        || (SIGN_OFFS.binary_search(&token.lower.as_str()).is_ok()
            && token.ends_clause
            && !token.ends_sentence)
        || follows_words(tokens, index, &["my", "name", "is"])
        || follows_words(tokens, index, &["this", "is"])
            && document.starts_sentence(index.saturating_sub(1));
    let next = tokens
        .get(index + 1)
        .filter(|next| is_capitalised(next) && next.text.chars().skip(1).any(char::is_lowercase))?;
    if !introduces || (token.ends_sentence && TITLES.binary_search(&token.lower.as_str()).is_err())
    {
        return None;
    }
    let end = surname_end(tokens, index + 1);
    Some(name(EntityType::Person, next.start, end, 0.8))
}

/// Tells whether the token at `index` ends the given words.
fn follows_words(tokens: &[Token<'_>], index: usize, words: &[&str]) -> bool {
    index + 1 >= words.len()
        && words
            .iter()
            .rev()
            .enumerate()
            .all(|(back, word)| tokens[index - back].lower == *word)
}

/// End of a name that may continue with one capitalised surname.
fn surname_end(tokens: &[Token<'_>], index: usize) -> usize {
    let token = &tokens[index];
    match tokens.get(index + 1) {
        Some(next)
            if !token.ends_clause
                && is_capitalised(next)
                && next.text.chars().skip(1).all(char::is_lowercase)
                && next.text.chars().count() > 1 =>
        {
            next.end
        }
        _ => token.end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted() {
        for list in [
            COMPANY_SUFFIXES,
            KNOWN_COMPANIES,
            FIRST_NAMES,
            TITLES,
            SIGN_OFFS,
        ] {
            assert!(list.windows(2).all(|pair| pair[0] < pair[1]), "{list:?}");
        }
    }
}
