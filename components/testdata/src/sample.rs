//! Realistic lead content for generated test data: names, companies,
//! emails, phones, notes, sources, creation times and statuses.

use cloudvelous_contract::{LeadSource, LeadStatus};
use serde_json::{Map, Value, json};

use crate::random::SampleRandom;

const FIRST_NAMES: &[&str] = &[
    "Ava", "Liam", "Sofia", "Noah", "Mia", "Lucas", "Amara", "Mateo", "Yuki", "Omar", "Elena",
    "Ravi", "Chloe", "Kwame", "Ingrid", "Diego", "Leila", "Tomasz", "Hana", "Felix", "Priya",
    "Jonas", "Zara", "Malik", "Freya", "Arjun", "Nadia", "Emil", "Grace", "Tariq", "Lucia",
    "Kenji", "Maya", "Oskar", "Amelie", "Idris", "Clara", "Santiago", "Aisha", "Henrik",
];

const LAST_NAMES: &[&str] = &[
    "Chen",
    "Okafor",
    "Muller",
    "Rossi",
    "Nakamura",
    "Haddad",
    "Kowalski",
    "Silva",
    "Novak",
    "Andersen",
    "Patel",
    "Garcia",
    "Dubois",
    "Mensah",
    "Larsen",
    "Fischer",
    "Moreau",
    "Tanaka",
    "Ivanova",
    "Costa",
    "Osei",
    "Lindqvist",
    "Romero",
    "Kim",
    "Schmidt",
    "Ahmed",
    "Brennan",
    "Varga",
    "Sato",
    "Nowak",
    "Hughes",
    "Jensen",
    "Ferreira",
    "Bianchi",
    "Yilmaz",
    "Walsh",
    "Petrov",
    "Mwangi",
    "Kaur",
    "Dalton",
];

/// Company names with the domain label their people's emails use.
const COMPANIES: &[(&str, &str)] = &[
    ("Northwind Traders", "northwind"),
    ("Bluefin Logistics", "bluefin"),
    ("Cedar & Stone Architects", "cedarstone"),
    ("Halcyon Health", "halcyonhealth"),
    ("Ironbark Manufacturing", "ironbark"),
    ("Lumen Analytics", "lumenanalytics"),
    ("Meridian Credit Union", "meridiancu"),
    ("Orchid Hotels", "orchidhotels"),
    ("Pinecrest Schools", "pinecrest"),
    ("Quarry Lane Foods", "quarrylane"),
    ("Redwood Robotics", "redwoodrobotics"),
    ("Saltmarsh Studios", "saltmarsh"),
    ("Tidewater Energy", "tidewater"),
    ("Umbra Security", "umbrasecurity"),
    ("Vantage Retail Group", "vantageretail"),
    ("Willow Street Legal", "willowlegal"),
    ("Alder Biotech", "alderbio"),
    ("Brightline Media", "brightline"),
    ("Copperleaf Insurance", "copperleaf"),
    ("Driftwood Travel", "driftwood"),
    ("Evergreen Farms", "evergreenfarms"),
    ("Foxglove Pharmacy", "foxglove"),
    ("Granite Peak Capital", "granitepeak"),
    ("Harborview Clinics", "harborview"),
    ("Kestrel Aviation", "kestrelair"),
];

/// Domain labels for leads without a company.
const PERSONAL_DOMAINS: &[&str] = &["mailbox", "inbox", "postbox"];

const NOTES: &[&str] = &[
    "Interested in the enterprise plan for about 200 users.",
    "Asked for pricing for 25 seats and annual billing.",
    "Requested a demo next week; prefers mornings.",
    "Comparing us with their current CRM before renewal in Q3.",
    "Needs single sign-on and an audit log before a pilot.",
    "Met at the regional trade fair; wants a follow-up call.",
    "Downloaded the integration guide and asked about the API limits.",
    "Small team, budget approved for a starter plan.",
    "Unhappy with slow support from their current vendor.",
    "Wants a quote for a three-year contract.",
    "Asked whether data can be hosted in the EU.",
    "Referred by an existing customer; evaluating this quarter.",
];

/// Sources in proportion to a typical inbound mix: out of 20 leads, 8 from
/// websites, 4 from social networks, 3 from referrals, 3 from email and 2
/// from phone calls.
const SOURCE_MIX: &[LeadSource] = &[
    LeadSource::Website,
    LeadSource::Social,
    LeadSource::Website,
    LeadSource::Referral,
    LeadSource::Email,
    LeadSource::Website,
    LeadSource::Phone,
    LeadSource::Social,
    LeadSource::Website,
    LeadSource::Email,
    LeadSource::Website,
    LeadSource::Referral,
    LeadSource::Social,
    LeadSource::Website,
    LeadSource::Email,
    LeadSource::Phone,
    LeadSource::Website,
    LeadSource::Referral,
    LeadSource::Social,
    LeadSource::Website,
];

/// Final statuses of the leads of a batch, in turn: out of every 20 leads,
/// 8 stay new, 5 are contacted, 3 qualified, 2 converted and 2 lost.
const STATUS_CYCLE: &[LeadStatus] = &[
    LeadStatus::New,
    LeadStatus::Contacted,
    LeadStatus::New,
    LeadStatus::Qualified,
    LeadStatus::Contacted,
    LeadStatus::New,
    LeadStatus::Converted,
    LeadStatus::Lost,
    LeadStatus::New,
    LeadStatus::Contacted,
    LeadStatus::New,
    LeadStatus::Qualified,
    LeadStatus::Contacted,
    LeadStatus::New,
    LeadStatus::Lost,
    LeadStatus::Converted,
    LeadStatus::New,
    LeadStatus::Contacted,
    LeadStatus::Qualified,
    LeadStatus::New,
];

/// Generated leads are created on this many UTC days, ending today: the
/// range that `GET /api/analytics/leads` reports without dates.
pub(crate) const SPREAD_DAYS: i64 = 30;

/// Characters of the random tag that keeps generated emails apart.
const EMAIL_TAG_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const EMAIL_TAG_LENGTH: usize = 8;

/// Returns the status that lead number `index` of a batch ends with.
pub(crate) fn final_status(index: usize) -> LeadStatus {
    STATUS_CYCLE[index % STATUS_CYCLE.len()]
}

/// Returns the source of lead number `index` of a batch, unless the request
/// fixed one.
pub(crate) fn source_for(index: usize, requested: Option<LeadSource>) -> LeadSource {
    requested.unwrap_or(SOURCE_MIX[index % SOURCE_MIX.len()])
}

/// Builds a lead body as `POST /api/leads` accepts it, with a random
/// person, company, phone and notes. The email carries a random tag, so
/// that two generated leads practically never share one.
pub(crate) fn lead_body(random: &mut SampleRandom, source: LeadSource) -> Value {
    let first = *random.pick(FIRST_NAMES);
    let last = *random.pick(LAST_NAMES);
    let mut body = Map::new();
    body.insert("name".into(), json!(format!("{first} {last}")));
    body.insert("source".into(), json!(source.as_str()));

    let domain = if random.chance(85) {
        let (company, domain) = *random.pick(COMPANIES);
        body.insert("company".into(), json!(company));
        format!("{domain}.example.com")
    } else {
        format!("{}.example.net", random.pick(PERSONAL_DOMAINS))
    };
    let tag = email_tag(random);
    let email = format!("{first}.{last}.{tag}@{domain}").to_ascii_lowercase();
    body.insert("email".into(), json!(email));

    if random.chance(70) {
        let phone = format!("+1555{:07}", random.below(10_000_000));
        body.insert("phone".into(), json!(phone));
    }
    if random.chance(60) {
        body.insert("notes".into(), json!(*random.pick(NOTES)));
    }
    Value::Object(body)
}

fn email_tag(random: &mut SampleRandom) -> String {
    (0..EMAIL_TAG_LENGTH)
        .map(|_| char::from(*random.pick(EMAIL_TAG_CHARS)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_cycle_has_documented_mix() {
        let count = |status| STATUS_CYCLE.iter().filter(|&&s| s == status).count();
        assert_eq!(count(LeadStatus::New), 8);
        assert_eq!(count(LeadStatus::Contacted), 5);
        assert_eq!(count(LeadStatus::Qualified), 3);
        assert_eq!(count(LeadStatus::Converted), 2);
        assert_eq!(count(LeadStatus::Lost), 2);
    }

    #[test]
    fn source_mix_has_documented_mix() {
        let count = |source| SOURCE_MIX.iter().filter(|&&s| s == source).count();
        assert_eq!(count(LeadSource::Website), 8);
        assert_eq!(count(LeadSource::Social), 4);
        assert_eq!(count(LeadSource::Referral), 3);
        assert_eq!(count(LeadSource::Email), 3);
        assert_eq!(count(LeadSource::Phone), 2);
    }

    #[test]
    fn names_are_ascii_for_email_local_parts() {
        for name in FIRST_NAMES.iter().chain(LAST_NAMES) {
            assert!(
                name.bytes().all(|byte| byte.is_ascii_alphabetic()),
                "{name}"
            );
        }
    }
}
