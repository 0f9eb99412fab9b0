//! Lead classification: size class, priority, next action, tags and the
//! weighted signals behind them.
//!
//! Evidence comes from the message text (words, user counts, budgets,
//! sentiment), the request's context (company size, industry) and the
//! stored lead when there is one (source, company, email domain). Each
//! piece of evidence adds points to one size class or to the lead's value,
//! and is reported as a signal with those points as its weight.

mod evidence;

use cloudvelous_contract::{
    CompanySize, LeadClass, LeadClassification, LeadSource, Priority, RecommendedAction, Signal,
};

use evidence::{Evidence, Intent};

/// Value points at or above which a lead has high priority.
const HIGH_PRIORITY_POINTS: f64 = 3.5;
/// Value points at or above which a lead has medium priority.
const MEDIUM_PRIORITY_POINTS: f64 = 2.0;

/// Everything known about a lead at classification time.
#[derive(Debug, Clone, Default)]
pub struct LeadInput {
    /// Identifier sent by the client, echoed in the result.
    pub lead_id: Option<String>,
    /// The lead's message.
    pub text: String,
    /// Context sent with the request.
    pub context: LeadContext,
    /// The stored lead, when the identifier names one.
    pub stored: Option<StoredLead>,
}

/// Context sent by the client.
#[derive(Debug, Clone, Default)]
pub struct LeadContext {
    /// Size of the lead's organisation as the client states it.
    pub company_size: Option<CompanySize>,
    /// Industry of the lead's organisation, free text.
    pub industry: Option<String>,
}

/// The parts of a stored lead that bear on classification.
#[derive(Debug, Clone)]
pub struct StoredLead {
    /// Channel through which the lead arrived.
    pub source: LeadSource,
    /// Email address.
    pub email: String,
    /// Company name, if given.
    pub company: Option<String>,
}

/// Classifies a lead.
pub fn classify(input: &LeadInput) -> LeadClassification {
    let evidence = Evidence::gather(input);
    let (class, confidence) = evidence.best_class();
    let value = evidence.value_points(class);
    let priority = priority(&evidence.intent, value);
    let action = recommended_action(&evidence.intent, class, priority);
    let tags = tags(&evidence, class, priority);
    LeadClassification {
        lead_id: input.lead_id.clone(),
        classification: class,
        confidence,
        priority,
        recommended_action: action,
        tags,
        signals: evidence.into_signals(),
    }
}

fn priority(intent: &Intent, value: f64) -> Priority {
    if intent.disqualifying {
        Priority::Low
    } else if value >= HIGH_PRIORITY_POINTS {
        Priority::High
    } else if value >= MEDIUM_PRIORITY_POINTS {
        Priority::Medium
    } else {
        Priority::Low
    }
}

fn recommended_action(intent: &Intent, class: LeadClass, priority: Priority) -> RecommendedAction {
    let large = matches!(class, LeadClass::Enterprise | LeadClass::MidMarket);
    if intent.disqualifying {
        RecommendedAction::Disqualify
    } else if intent.demo_request {
        RecommendedAction::ScheduleDemo
    } else if intent.complaint || intent.expansion {
        RecommendedAction::AssignToSales
    } else if large && (intent.buying || priority == Priority::High) {
        RecommendedAction::ScheduleDemo
    } else if intent.pricing_question || intent.buying {
        RecommendedAction::SendPricing
    } else if priority == Priority::High {
        RecommendedAction::AssignToSales
    } else {
        RecommendedAction::Nurture
    }
}

fn tags(evidence: &Evidence, class: LeadClass, priority: Priority) -> Vec<String> {
    let intent = &evidence.intent;
    let class_tag = match class {
        LeadClass::Enterprise => "enterprise",
        LeadClass::MidMarket => "mid_market",
        LeadClass::Smb => "smb",
        LeadClass::Individual => "individual",
    };
    let high_value = class == LeadClass::Enterprise
        || evidence.budget.is_some_and(|budget| budget >= 50_000.0)
        || (class == LeadClass::MidMarket && priority == Priority::High);
    let flags = [
        (true, class_tag),
        (evidence.large_company, "large_company"),
        (high_value && !intent.disqualifying, "high_value"),
        (intent.demo_request, "demo_request"),
        (intent.pricing_question, "pricing_inquiry"),
        (intent.urgent, "urgent"),
        (intent.expansion, "expansion"),
        (intent.complaint, "complaint"),
        (evidence.free_email, "free_email"),
        (evidence.referral, "referral"),
        (intent.disqualifying, "disqualified"),
    ];
    flags
        .into_iter()
        .filter(|(set, _)| *set)
        .map(|(_, tag)| tag.to_owned())
        .collect()
}

/// Turns evidence into signals, strongest first, ties by name.
fn sorted_signals(mut signals: Vec<Signal>) -> Vec<Signal> {
    signals.sort_by(|a, b| {
        b.weight
            .abs()
            .total_cmp(&a.weight.abs())
            .then(a.name.cmp(&b.name))
    });
    signals
}

#[cfg(test)]
mod tests;
