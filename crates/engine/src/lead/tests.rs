use cloudvelous_contract::{CompanySize, LeadClass, LeadSource, Priority, RecommendedAction};

use super::*;

fn input(text: &str) -> LeadInput {
    LeadInput {
        text: text.to_owned(),
        ..LeadInput::default()
    }
}

#[test]
fn document_example_is_enterprise_demo() {
    let mut request = input("We're looking for an enterprise solution for 500+ users");
    request.lead_id = Some("lead_123456".into());
    request.context = LeadContext {
        company_size: Some(CompanySize::Large),
        industry: Some("technology".into()),
    };
    let result = classify(&request);
    assert_eq!(result.lead_id.as_deref(), Some("lead_123456"));
    assert_eq!(result.classification, LeadClass::Enterprise);
    assert_eq!(result.priority, Priority::High);
    assert_eq!(result.recommended_action, RecommendedAction::ScheduleDemo);
    for tag in ["enterprise", "large_company", "high_value"] {
        assert!(
            result.tags.iter().any(|t| t == tag),
            "missing tag {tag}: {:?}",
            result.tags
        );
    }
    assert!(result.confidence >= 0.8, "{}", result.confidence);
    assert!(result.confidence <= 0.99, "{}", result.confidence);
    let names: Vec<&str> = result.signals.iter().map(|s| s.name.as_str()).collect();
    for name in [
        "company_size_large",
        "mentions_enterprise",
        "mentions_user_count",
        "buying_intent",
    ] {
        assert!(names.contains(&name), "missing signal {name}: {names:?}");
    }
}

#[test]
fn signals_are_sorted_by_strength() {
    let result = classify(&input(
        "We need a demo for our 2000 employees, urgently, and pricing.",
    ));
    let weights: Vec<f64> = result.signals.iter().map(|s| s.weight.abs()).collect();
    assert!(
        weights.windows(2).all(|pair| pair[0] >= pair[1]),
        "{weights:?}"
    );
}

#[test]
fn freelancer_on_free_mail_is_individual() {
    let mut request = input("I'm a freelancer, is there a cheap plan for personal use?");
    request.stored = Some(StoredLead {
        source: LeadSource::Website,
        email: "sam.writer@gmail.com".into(),
        company: None,
    });
    let result = classify(&request);
    assert_eq!(result.classification, LeadClass::Individual);
    assert!(result.tags.iter().any(|t| t == "free_email"));
    assert!(
        result
            .signals
            .iter()
            .any(|s| s.name == "stored_lead_free_email_domain")
    );
}

#[test]
fn unsubscribe_request_is_disqualified() {
    let result = classify(&input("Please unsubscribe me, not interested."));
    assert_eq!(result.recommended_action, RecommendedAction::Disqualify);
    assert_eq!(result.priority, Priority::Low);
}

#[test]
fn small_team_pricing_question_gets_pricing() {
    let mut request = input("How much does it cost for a small team of 8 people?");
    request.context.company_size = Some(CompanySize::Small);
    let result = classify(&request);
    assert_eq!(result.classification, LeadClass::Smb);
    assert_eq!(result.recommended_action, RecommendedAction::SendPricing);
}

#[test]
fn renewal_goes_to_sales() {
    let result = classify(&input(
        "Our contract is up for renewal and we want 40 more seats for the department.",
    ));
    assert_eq!(result.recommended_action, RecommendedAction::AssignToSales);
    assert!(result.tags.iter().any(|t| t == "expansion"));
}

#[test]
fn lead_without_evidence_is_unsure_smb() {
    let result = classify(&input("Hello"));
    assert_eq!(result.classification, LeadClass::Smb);
    assert!(result.confidence < 0.5);
    assert_eq!(result.recommended_action, RecommendedAction::Nurture);
}
