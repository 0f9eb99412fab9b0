//! Gathering the evidence of a lead from its text, context and record.

use cloudvelous_contract::{CompanySize, LeadClass, LeadSource, Signal};

use super::{LeadInput, sorted_signals};
use crate::entities::{self, EntityType};
use crate::sentiment::{self, Polarity};

/// Order of the classes in point tables; earlier classes win ties.
const CLASSES: [LeadClass; 4] = [
    LeadClass::Enterprise,
    LeadClass::MidMarket,
    LeadClass::Smb,
    LeadClass::Individual,
];
/// Points every lead starts with for `smb`, the class of a lead without evidence.
const SMB_PRIOR: f64 = 0.3;
/// Domains of free email providers, sorted.
static FREE_EMAIL_DOMAINS: &[&str] = &[
    "aol.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "googlemail.com",
    "hotmail.com",
    "icloud.com",
    "live.com",
    "mail.com",
    "me.com",
    "msn.com",
    "outlook.com",
    "proton.me",
    "protonmail.com",
    "yahoo.com",
    "yandex.com",
    "zoho.com",
];
/// Units whose count shows how large the organisation is.
const SIZE_UNITS: &[&str] = &[
    "accounts",
    "agents",
    "developers",
    "employees",
    "engineers",
    "licenses",
    "licences",
    "members",
    "people",
    "reps",
    "salespeople",
    "seats",
    "staff",
    "students",
    "users",
    "workers",
];

/// Intent of a lead, read from its words.
#[derive(Debug, Default)]
pub struct Intent {
    /// Asks for a demo or trial.
    pub demo_request: bool,
    /// Wants to buy, evaluate or switch.
    pub buying: bool,
    /// Asks about prices.
    pub pricing_question: bool,
    /// Needs a reply soon.
    pub urgent: bool,
    /// Wants to renew, upgrade or add seats.
    pub expansion: bool,
    /// Complains.
    pub complaint: bool,
    /// Asks not to be contacted, or is not a prospect.
    pub disqualifying: bool,
}

/// Evidence of one lead.
pub struct Evidence {
    signals: Vec<Signal>,
    class_points: [f64; 4],
    value_points: f64,
    /// Intent read from the text.
    pub intent: Intent,
    /// Largest money amount in the text.
    pub budget: Option<f64>,
    /// Whether the organisation is large by stated size or head count.
    pub large_company: bool,
    /// Whether the stored email uses a free provider.
    pub free_email: bool,
    /// Whether the stored lead came by referral.
    pub referral: bool,
}

impl Evidence {
    /// Reads the text, context and stored lead.
    pub fn gather(input: &LeadInput) -> Self {
        let mut evidence = Evidence {
            signals: Vec::new(),
            class_points: [0.0, 0.0, SMB_PRIOR, 0.0],
            value_points: 0.0,
            intent: Intent::default(),
            budget: None,
            large_company: false,
            free_email: false,
            referral: false,
        };
        evidence.read_context(input);
        evidence.read_text(&input.text);
        evidence.read_stored_lead(input);
        evidence
    }

    fn add_class(&mut self, name: &str, class: LeadClass, points: f64) {
        let index = CLASSES.iter().position(|c| *c == class).unwrap_or(2);
        self.class_points[index] += points;
        self.signals.push(Signal {
            name: name.to_owned(),
            weight: points,
        });
    }

    fn add_value(&mut self, name: &str, points: f64) {
        self.value_points += points;
        self.signals.push(Signal {
            name: name.to_owned(),
            weight: points,
        });
    }

    fn read_context(&mut self, input: &LeadInput) {
        match input.context.company_size {
            Some(CompanySize::Enterprise) => {
                self.add_class("company_size_enterprise", LeadClass::Enterprise, 3.0);
                self.large_company = true;
            }
            Some(CompanySize::Large) => {
                self.add_class("company_size_large", LeadClass::Enterprise, 2.0);
                self.large_company = true;
            }
            Some(CompanySize::Medium) => {
                self.add_class("company_size_medium", LeadClass::MidMarket, 2.0)
            }
            Some(CompanySize::Small) => self.add_class("company_size_small", LeadClass::Smb, 2.0),
            None => {}
        }
        let industry = input
            .context
            .industry
            .as_deref()
            .unwrap_or("")
            .to_lowercase();
        let regulated = [
            "bank",
            "finance",
            "financial",
            "government",
            "healthcare",
            "insurance",
            "pharma",
        ];
        if regulated.iter().any(|word| industry.contains(word)) {
            self.add_class("regulated_industry", LeadClass::Enterprise, 0.5);
        }
    }

    fn read_text(&mut self, text: &str) {
        let lower = text.to_lowercase();
        let contains_any =
            |phrases: &[&str]| phrases.iter().any(|phrase| contains_phrase(&lower, phrase));

        if contains_any(&["enterprise", "enterprise-grade", "enterprise-wide"]) {
            self.add_class("mentions_enterprise", LeadClass::Enterprise, 1.5);
        }
        if contains_any(&[
            "global",
            "worldwide",
            "multinational",
            "subsidiaries",
            "compliance",
            "procurement",
            "security review",
            "sso",
            "sla",
            "fortune 500",
            "offices in",
        ]) {
            self.add_class("enterprise_requirements", LeadClass::Enterprise, 0.8);
        }
        if contains_any(&[
            "department",
            "regional",
            "several teams",
            "multiple teams",
            "growing team",
        ]) {
            self.add_class("mid_market_language", LeadClass::MidMarket, 0.8);
        }
        if contains_any(&[
            "small business",
            "startup",
            "start-up",
            "small team",
            "my shop",
            "our shop",
            "my store",
            "family business",
            "agency",
            "small company",
        ]) {
            self.add_class("small_business_language", LeadClass::Smb, 1.0);
        }
        if contains_any(&[
            "freelancer",
            "freelance",
            "personal use",
            "myself",
            "just me",
            "student",
            "hobby",
            "side project",
            "individual",
        ]) {
            self.add_class("individual_language", LeadClass::Individual, 1.5);
        }
        self.read_numbers(text);
        self.read_intent(&lower, text);
    }

    fn read_numbers(&mut self, text: &str) {
        let mentions = entities::mentions(text);
        let head_count = mentions
            .iter()
            .filter(|m| {
                m.kind == EntityType::Quantity
                    && m.unit
                        .as_deref()
                        .is_some_and(|unit| SIZE_UNITS.contains(&unit))
            })
            .filter_map(|m| m.amount)
            .fold(None, |largest: Option<f64>, amount| {
                Some(largest.map_or(amount, |l| l.max(amount)))
            });
        if let Some(count) = head_count {
            let (class, points) = match count {
                c if c >= 1000.0 => (LeadClass::Enterprise, 2.0),
                c if c >= 250.0 => (LeadClass::Enterprise, 1.5),
                c if c >= 50.0 => (LeadClass::MidMarket, 1.5),
                c if c >= 5.0 => (LeadClass::Smb, 1.5),
                _ => (LeadClass::Individual, 1.0),
            };
            self.add_class("mentions_user_count", class, points);
            self.large_company |= count >= 1000.0;
        }
        self.budget = mentions
            .iter()
            .filter(|m| m.kind == EntityType::Money)
            .filter_map(|m| m.amount)
            .fold(None, |largest: Option<f64>, amount| {
                Some(largest.map_or(amount, |l| l.max(amount)))
            });
        if let Some(budget) = self.budget {
            let (class, points) = match budget {
                b if b >= 100_000.0 => (LeadClass::Enterprise, 1.5),
                b if b >= 10_000.0 => (LeadClass::MidMarket, 1.0),
                b if b >= 500.0 => (LeadClass::Smb, 0.8),
                _ => (LeadClass::Individual, 0.5),
            };
            self.add_class("mentions_budget", class, points);
        }
    }

    fn read_intent(&mut self, lower: &str, text: &str) {
        let contains_any =
            |phrases: &[&str]| phrases.iter().any(|phrase| contains_phrase(lower, phrase));
        let intent = Intent {
            demo_request: contains_any(&[
                "demo",
                "demonstration",
                "walkthrough",
                "walk-through",
                "trial",
                "see it in action",
            ]),
            buying: contains_any(&[
                "looking for",
                "ready to",
                "purchase",
                "buy",
                "sign up",
                "proposal",
                "contract",
                "evaluate",
                "evaluating",
                "switch from",
                "switching from",
                "replace",
                "migrate from",
                "implement",
                "need a solution",
                "interested in",
            ]),
            pricing_question: contains_any(&[
                "price", "pricing", "cost", "costs", "quote", "how much", "rates", "discount",
            ]),
            urgent: contains_any(&[
                "asap",
                "urgent",
                "urgently",
                "immediately",
                "right away",
                "this week",
                "deadline",
                "by end of",
                "by the end of",
            ]),
            expansion: contains_any(&[
                "renewal",
                "renew",
                "upgrade",
                "more seats",
                "additional seats",
                "additional licenses",
                "more licenses",
                "expand",
                "expanding",
            ]),
            complaint: false,
            disqualifying: contains_any(&[
                "unsubscribe",
                "stop emailing",
                "stop contacting",
                "not interested",
                "remove me",
                "job application",
                "looking for a job",
                "test message",
                "wrong person",
                "do not contact",
            ]),
        };
        self.intent = intent;
        let sentiment = sentiment::analyze(text);
        self.intent.complaint = sentiment.polarity == Polarity::Negative
            && sentiment.score < -0.15
            && !self.intent.disqualifying;

        let flags = [
            (self.intent.demo_request, "demo_request", 1.5),
            (self.intent.buying, "buying_intent", 1.0),
            (self.intent.urgent, "urgency", 1.0),
            (self.intent.expansion, "expansion_or_renewal", 1.0),
            (self.intent.pricing_question, "pricing_question", 0.5),
            (self.intent.complaint, "negative_sentiment", 0.5),
        ];
        for (set, name, points) in flags {
            if set {
                self.add_value(name, points);
            }
        }
        if self.intent.disqualifying {
            self.add_value("disqualifying_language", -3.0);
        }
    }

    fn read_stored_lead(&mut self, input: &LeadInput) {
        let Some(stored) = &input.stored else {
            return;
        };
        let domain = stored
            .email
            .rsplit_once('@')
            .map(|(_, domain)| domain.to_lowercase())
            .unwrap_or_default();
        if FREE_EMAIL_DOMAINS.binary_search(&domain.as_str()).is_ok() {
            self.free_email = true;
            self.add_class("stored_lead_free_email_domain", LeadClass::Individual, 1.0);
        } else if !domain.is_empty() {
            self.add_class(
                "stored_lead_company_email_domain",
                LeadClass::Individual,
                -0.5,
            );
        }
        if stored
            .company
            .as_deref()
            .is_some_and(|company| !company.trim().is_empty())
        {
            self.add_class("stored_lead_has_company", LeadClass::Individual, -0.5);
        }
        match stored.source {
            LeadSource::Referral => {
                self.referral = true;
                self.add_value("stored_lead_referral_source", 0.5);
            }
            LeadSource::Phone => self.add_value("stored_lead_phone_source", 0.3),
            LeadSource::Website | LeadSource::Social | LeadSource::Email => {}
        }
    }

    /// Returns the class with the most points and its softmax probability.
    pub fn best_class(&self) -> (LeadClass, f64) {
        let mut best = 0;
        for index in 1..CLASSES.len() {
            if self.class_points[index] > self.class_points[best] {
                best = index;
            }
        }
        let top = self.class_points[best];
        let total: f64 = self
            .class_points
            .iter()
            .map(|points| (points - top).exp())
            .sum();
        let confidence = (1.0 / total).clamp(0.25, 0.99);
        (CLASSES[best], (confidence * 100.0).round() / 100.0)
    }

    /// Value points of the lead: its class's base value plus its intent.
    pub fn value_points(&self, class: LeadClass) -> f64 {
        let base = match class {
            LeadClass::Enterprise => 2.5,
            LeadClass::MidMarket => 1.5,
            LeadClass::Smb => 0.75,
            LeadClass::Individual => 0.0,
        };
        base + self.value_points
    }

    /// Returns the signals, strongest first.
    pub fn into_signals(self) -> Vec<Signal> {
        sorted_signals(self.signals)
    }
}

/// Tells whether `phrase` occurs in `text` as whole words.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric();
    text.match_indices(phrase).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + phrase.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_email_domains_are_sorted() {
        assert!(FREE_EMAIL_DOMAINS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn phrases_match_whole_words() {
        assert!(contains_phrase("we need a demo soon", "demo"));
        assert!(!contains_phrase("a demonstrably good tool", "demo"));
        assert!(contains_phrase("demo", "demo"));
    }
}
