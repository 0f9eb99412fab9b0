//! `GET /api/analytics/sentiment?lead_id=`: the engine's sentiment of a
//! stored lead's notes, in the API document's shape.

use crate::ai_support::{DOCUMENT_TEXT, assert_unit_interval, create_api_key};
use crate::assertions::{assert_timestamp, key_set};
use crate::fixtures::{expect_created_id, expect_field_errors, minimal_lead, post_lead};
use crate::support::{TestApp, TestResponse};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Stores a lead with `notes`, or without notes when `None`, and returns
/// its id.
async fn store_lead_with_notes(app: &TestApp, notes: Option<&str>) -> String {
    let mut lead = minimal_lead();
    if let Some(notes) = notes {
        lead["notes"] = json!(notes);
    }
    expect_created_id(&post_lead(app, &lead).await)
}

/// Sends `GET /api/analytics/sentiment` with `query`.
async fn get_report(app: &TestApp, query: &str) -> TestResponse {
    app.get(&format!("/api/analytics/sentiment?{query}"))
        .send()
        .await
}

/// Asserts a whole `200` report for `lead_id`: exactly the API document's
/// keys, a known sentiment, a confidence in [0, 1], string entities and a
/// whole-second UTC `analysis_date`. Returns the body.
fn expect_report(response: &TestResponse, lead_id: &str) -> Value {
    let body = response.expect_json(StatusCode::OK);
    assert_eq!(
        key_set(&body),
        BTreeSet::from([
            "analysis_date",
            "confidence",
            "entities",
            "lead_id",
            "sentiment"
        ]),
        "report keys: {body}"
    );
    assert_eq!(body["lead_id"], lead_id);
    let sentiment = body["sentiment"].as_str().unwrap_or_default();
    assert!(
        ["positive", "negative", "neutral", "mixed"].contains(&sentiment),
        "sentiment: {body}"
    );
    assert_unit_interval(&body["confidence"], "confidence");
    let entities = body["entities"].as_array().expect("entities array");
    assert!(entities.iter().all(Value::is_string), "entities: {body}");
    assert_timestamp(body["analysis_date"].as_str().unwrap_or_default());
    body
}

#[tokio::test]
async fn document_notes_are_positive_with_topics() {
    let app = TestApp::spawn().await;
    let id = store_lead_with_notes(&app, Some(DOCUMENT_TEXT)).await;

    let response = get_report(&app, &format!("lead_id={id}")).await;

    let report = expect_report(&response, &id);
    assert_eq!(report["sentiment"], "positive");
    let confidence = report["confidence"].as_f64().unwrap_or_default();
    assert!(confidence >= 0.85, "confidence {confidence}");
    assert_eq!(report["entities"], json!(["product", "pricing", "support"]));
}

#[tokio::test]
async fn lead_without_notes_is_neutral() {
    let app = TestApp::spawn().await;

    for notes in [None, Some(""), Some("  \n ")] {
        let id = store_lead_with_notes(&app, notes).await;
        let response = get_report(&app, &format!("lead_id={id}")).await;
        let report = expect_report(&response, &id);
        assert_eq!(report["sentiment"], "neutral", "notes {notes:?}");
        assert_eq!(report["confidence"], 0.0, "notes {notes:?}");
        assert_eq!(report["entities"], json!([]), "notes {notes:?}");
    }
}

#[tokio::test]
async fn negative_notes_list_only_topics() {
    let app = TestApp::spawn().await;
    let notes = "Support has ignored us for two weeks and the billing is wrong: we were \
                 charged $4,000 for the dashboard. My name is Dana Reyes, call me on \
                 +14155550100 or dana@acme.io.";
    let id = store_lead_with_notes(&app, Some(notes)).await;

    let response = get_report(&app, &format!("lead_id={id}")).await;

    let report = expect_report(&response, &id);
    assert_eq!(report["sentiment"], "negative", "{report}");
    assert_eq!(
        report["entities"],
        json!(["support", "billing", "dashboard"]),
        "{report}"
    );
}

#[tokio::test]
async fn unknown_and_deleted_leads_are_not_found() {
    let app = TestApp::spawn().await;
    let deleted = store_lead_with_notes(&app, Some(DOCUMENT_TEXT)).await;
    let response = app.delete(&format!("/api/leads/{deleted}")).send().await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);

    for id in [
        deleted.as_str(),
        "lead_0000000000000000",
        "lead_123456",
        "not-a-lead",
        "lead_a%20b",
    ] {
        let response = get_report(&app, &format!("lead_id={id}")).await;
        response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    }
}

#[tokio::test]
async fn percent_encoded_lead_id_is_decoded() {
    let app = TestApp::spawn().await;
    let id = store_lead_with_notes(&app, Some(DOCUMENT_TEXT)).await;
    let encoded = id.replacen('_', "%5F", 1);

    let response = get_report(&app, &format!("lead_id={encoded}")).await;

    expect_report(&response, &id);
}

#[tokio::test]
async fn query_errors_are_validation_errors() {
    let app = TestApp::spawn().await;
    let id = store_lead_with_notes(&app, None).await;
    let cases = [
        (String::new(), vec!["lead_id"]),
        ("lead_id=".to_string(), vec!["lead_id"]),
        (format!("lead_id={id}&lead_id={id}"), vec!["lead_id"]),
        (
            format!("lead_id={id}&date_from=2024-01-01"),
            vec!["date_from"],
        ),
        ("leadid=lead_1".to_string(), vec!["leadid"]),
        ("lead_id=%ZZ".to_string(), vec!["lead_id"]),
    ];

    for (query, fields) in cases {
        let response = get_report(&app, &query).await;
        expect_field_errors(&response, &fields);
    }
}

#[tokio::test]
async fn report_needs_read_analytics() {
    let app = TestApp::spawn().await;
    let id = store_lead_with_notes(&app, Some(DOCUMENT_TEXT)).await;
    let path = format!("/api/analytics/sentiment?lead_id={id}");
    let read_analytics = create_api_key(&app, &["read:analytics"]).await;
    let write_analytics = create_api_key(&app, &["write:analytics"]).await;
    let read_leads = create_api_key(&app, &["read:leads"]).await;

    let anonymous = app.get(&path).without_credentials().send().await;
    anonymous.expect_unauthorized();
    let forbidden = app.get(&path).api_key(&read_leads).send().await;
    forbidden.expect_forbidden();
    for key in [&read_analytics, &write_analytics] {
        let response = app.get(&path).api_key(key).send().await;
        expect_report(&response, &id);
        assert_eq!(
            response.header("ratelimit-limit"),
            Some("50"),
            "analytics group"
        );
    }

    let post = app.request(Method::POST, &path).send().await;
    post.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
}
