//! Typed entities of sales text, with confidence and character offsets.
//!
//! Entities come from four kinds of evidence. A gazetteer lists product,
//! feature, service, role and date phrases. Number patterns find money,
//! percentages and quantities with a unit such as "500+ users". The shape of
//! a whitespace-delimited chunk marks email addresses, URLs, phone numbers
//! and numeric dates. Capitalised names in telling positions (before a
//! company suffix, after a sign-off or "my name is") mark companies and
//! people. Where candidates overlap, the longer
//! one wins, then the more confident one.

mod gazetteer;
mod names;
mod numbers;

use cloudvelous_contract::Entity;

use crate::text::{Token, tokenize};

pub use numbers::parse_amount;

/// Category of an entity, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntityType {
    /// The vendor's offering as a whole: product, platform, plan.
    Product,
    /// A capability or aspect of the product: pricing, integrations, API.
    Feature,
    /// Work done for the customer: support, onboarding, training.
    Service,
    /// An organisation.
    Company,
    /// An amount of money.
    Money,
    /// A count of something, with its unit: "500+ users".
    Quantity,
    /// A share: "20%".
    Percentage,
    /// A person's name.
    Person,
    /// A job title: "CTO", "head of sales".
    Role,
    /// A date or period: "March 3", "next quarter".
    Date,
    /// An email address.
    Email,
    /// A web address.
    Url,
    /// A phone number.
    Phone,
}

impl EntityType {
    /// Name of the type in API responses.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Product => "product",
            EntityType::Feature => "feature",
            EntityType::Service => "service",
            EntityType::Company => "company",
            EntityType::Money => "money",
            EntityType::Quantity => "quantity",
            EntityType::Percentage => "percentage",
            EntityType::Person => "person",
            EntityType::Role => "role",
            EntityType::Date => "date",
            EntityType::Email => "email",
            EntityType::Url => "url",
            EntityType::Phone => "phone",
        }
    }
}

/// An entity with its parsed amount, for callers that reason about numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// Category.
    pub kind: EntityType,
    /// Offset of the first character.
    pub start: usize,
    /// Offset one past the last character.
    pub end: usize,
    /// Confidence in the category, from 0 to 1.
    pub confidence: f64,
    /// Numeric value of money, quantities and percentages.
    pub amount: Option<f64>,
    /// Lower-case unit of a quantity, such as "users".
    pub unit: Option<String>,
}

/// Shared input of the recognisers.
pub(crate) struct Document<'a> {
    pub chars: Vec<char>,
    pub tokens: &'a [Token<'a>],
}

impl Document<'_> {
    /// Returns the character at an offset, if any.
    pub fn char_at(&self, offset: usize) -> Option<char> {
        self.chars.get(offset).copied()
    }

    /// Tells whether a token starts a sentence, where a capital letter is no evidence of a name.
    pub fn starts_sentence(&self, index: usize) -> bool {
        index == 0 || self.tokens[index - 1].ends_sentence
    }
}

/// Finds the entities of a text, in order of appearance.
pub fn extract(text: &str) -> Vec<Entity> {
    extract_from_tokens(text, &tokenize(text))
}

/// Finds the entities of a text already split into `tokens`, in order of
/// appearance.
pub(crate) fn extract_from_tokens<'a>(text: &'a str, tokens: &'a [Token<'a>]) -> Vec<Entity> {
    let document = Document {
        chars: text.chars().collect(),
        tokens,
    };
    find_mentions(&document)
        .into_iter()
        .map(|mention| Entity {
            text: document.chars[mention.start..mention.end].iter().collect(),
            type_: mention.kind.as_str().to_owned(),
            confidence: mention.confidence,
            start: mention.start as u32,
            end: mention.end as u32,
        })
        .collect()
}

/// Finds the entities of a text with their amounts, in order of appearance.
pub fn mentions(text: &str) -> Vec<Mention> {
    let tokens = tokenize(text);
    let document = Document {
        chars: text.chars().collect(),
        tokens: &tokens,
    };
    find_mentions(&document)
}

fn find_mentions(document: &Document<'_>) -> Vec<Mention> {
    let mut candidates = Vec::new();
    gazetteer::find(document, &mut candidates);
    numbers::find(document, &mut candidates);
    names::find(document, &mut candidates);
    resolve_overlaps(candidates)
}

/// Entity types that name what a message is about.
const TOPIC_TYPES: [EntityType; 4] = [
    EntityType::Product,
    EntityType::Feature,
    EntityType::Service,
    EntityType::Company,
];

/// Tells whether an entity names a topic: a product, feature, service or
/// company. Amounts, dates, people and contact details are not topics.
pub fn is_topic(entity: &Entity) -> bool {
    TOPIC_TYPES.iter().any(|kind| kind.as_str() == entity.type_)
}

/// Distinct lower-case texts of the topic entities (see [`is_topic`]), in
/// order of appearance: the topics a sentiment report lists.
pub fn topic_names(entities: &[Entity]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for entity in entities.iter().filter(|entity| is_topic(entity)) {
        let name = entity.text.to_lowercase();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Keeps the longest, then most confident, of overlapping candidates.
fn resolve_overlaps(mut candidates: Vec<Mention>) -> Vec<Mention> {
    candidates.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(b.confidence.total_cmp(&a.confidence))
            .then(a.start.cmp(&b.start))
            .then(a.kind.cmp(&b.kind))
    });
    let mut accepted: Vec<Mention> = Vec::new();
    for candidate in candidates {
        let overlaps = accepted
            .iter()
            .any(|kept| candidate.start < kept.end && kept.start < candidate.end);
        if !overlaps {
            accepted.push(candidate);
        }
    }
    accepted.sort_by_key(|mention| mention.start);
    accepted
}

#[cfg(test)]
mod tests;
