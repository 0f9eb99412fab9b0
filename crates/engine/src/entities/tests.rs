use super::*;

fn found(text: &str) -> Vec<(String, &'static str)> {
    mentions(text)
        .into_iter()
        .map(|m| {
            (
                text.chars().skip(m.start).take(m.end - m.start).collect(),
                m.kind.as_str(),
            )
        })
        .collect()
}

fn has(text: &str, span: &str, kind: &str) -> bool {
    found(text).iter().any(|(s, k)| s == span && *k == kind)
}

#[test]
fn document_example_has_product_feature_service() {
    let entities = extract("I love your product! The pricing is great and support is excellent.");
    let summary: Vec<(&str, &str, u32, u32)> = entities
        .iter()
        .map(|e| (e.text.as_str(), e.type_.as_str(), e.start, e.end))
        .collect();
    assert_eq!(
        summary,
        [
            ("product", "product", 12, 19),
            ("pricing", "feature", 25, 32),
            ("support", "service", 46, 53)
        ]
    );
    assert!(
        entities
            .iter()
            .all(|e| e.confidence > 0.8 && e.confidence <= 1.0)
    );
}

#[test]
fn finds_money_in_several_forms() {
    assert!(has("Our budget is $50,000 this year.", "$50,000", "money"));
    assert!(has("around €2.5M per year", "€2.5M", "money"));
    assert!(has("we pay 300 USD a month", "300 USD", "money"));
    assert!(has("up to $2 million", "$2 million", "money"));
}

#[test]
fn finds_quantities_with_units() {
    assert!(has(
        "an enterprise solution for 500+ users",
        "500+ users",
        "quantity"
    ));
    assert!(has(
        "we have 40 active seats",
        "40 active seats",
        "quantity"
    ));
    let mention = mentions("for 1,200 employees").remove(0);
    assert_eq!(mention.amount, Some(1200.0));
    assert_eq!(mention.unit.as_deref(), Some("employees"));
}

#[test]
fn finds_percentages() {
    assert!(has("a 15% discount", "15%", "percentage"));
    assert!(has("20 percent off", "20 percent", "percentage"));
}

#[test]
fn finds_dates() {
    assert!(has(
        "Can we meet on March 3rd, 2026?",
        "March 3rd, 2026",
        "date"
    ));
    assert!(has("by next quarter", "next quarter", "date"));
    assert!(has("renewal on 2025-10-18.", "2025-10-18", "date"));
    assert!(has("launch in Q3 2026", "Q3 2026", "date"));
    assert!(!found("we may upgrade").iter().any(|(_, k)| *k == "date"));
}

#[test]
fn finds_companies() {
    assert!(has("I work for Acme Corp and", "Acme Corp", "company"));
    assert!(has(
        "We moved from Salesforce last year",
        "Salesforce",
        "company"
    ));
    assert!(has(
        "I lead IT at Globex Industries.",
        "Globex Industries",
        "company"
    ));
}

#[test]
fn finds_people_and_roles() {
    assert!(has(
        "Hi, my name is Dana Whitfield and I am the CTO.",
        "Dana Whitfield",
        "person"
    ));
    assert!(has(
        "Hi, my name is Dana Whitfield and I am the CTO.",
        "CTO",
        "role"
    ));
    assert!(has("Thanks, Sarah", "Sarah", "person"));
    assert!(has("Please ask Dr. Okafor", "Okafor", "person"));
}

#[test]
fn finds_contact_details() {
    assert!(has(
        "write to jane.doe@example.com.",
        "jane.doe@example.com",
        "email"
    ));
    assert!(has(
        "see https://example.com/pricing",
        "https://example.com/pricing",
        "url"
    ));
    assert!(has(
        "call +44 20 7946 0958 today",
        "+44 20 7946 0958",
        "phone"
    ));
    assert!(
        !found("for 500 users in 2025")
            .iter()
            .any(|(_, k)| *k == "phone")
    );
}

#[test]
fn offsets_count_characters_not_bytes() {
    let entities = extract("Ünïcödé 😀 pricing");
    assert_eq!(entities[0].text, "pricing");
    assert_eq!((entities[0].start, entities[0].end), (10, 17));
}

#[test]
fn entities_do_not_overlap() {
    let text = "The enterprise plan pricing for 500 users at Acme Corp costs $40k.";
    let mentions = mentions(text);
    for pair in mentions.windows(2) {
        assert!(pair[0].end <= pair[1].start, "{mentions:?}");
    }
    assert!(has(text, "enterprise plan", "product"));
}

#[test]
fn topic_names_are_distinct_and_lower_case() {
    let entities = extract("Support was slow. support again? Pricing!");
    assert_eq!(topic_names(&entities), ["support", "pricing"]);
}

#[test]
fn topic_names_leave_out_amounts_dates_and_contacts() {
    let text = "Our CTO Maria Lopez wants the API for 200 users by March 3, \
                budget $40k. Mail maria@example.com.";
    let entities = extract(text);
    assert!(has(text, "200 users", "quantity"));
    assert!(has(text, "$40k", "money"));
    assert_eq!(topic_names(&entities), ["api"]);
}
