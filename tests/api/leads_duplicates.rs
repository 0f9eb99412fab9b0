//! Duplicates under load and across spellings: the unique index on the
//! email comparison key decides, whichever spelling arrives first.

use crate::fixtures::{expect_created_id, lead_count, lead_with, post_lead, stored_lead};
use crate::support::{TestApp, TestResponse};
use http::StatusCode;
use serde_json::json;
use std::collections::BTreeSet;
use tokio::task::JoinSet;

const CLIENTS: usize = 32;

/// Asserts a `409` whose one detail names `email` and `existing_id`.
fn expect_duplicate(response: &TestResponse, existing_id: &str) {
    let error = response.expect_error(StatusCode::CONFLICT, "CONFLICT");
    let details = error["details"].as_array().cloned().unwrap_or_default();
    assert_eq!(details.len(), 1, "details: {details:?}");
    assert_eq!(details[0]["field"], "email");
    assert_eq!(details[0]["existing_lead_id"], existing_id);
    assert!(details[0]["message"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_same_email_creates_one_lead() {
    let app = TestApp::spawn().await;
    let warm_up = app.get("/health").send().await;
    assert_eq!(warm_up.status, StatusCode::OK);
    let body = lead_with("email", json!("race@example.com"));

    let mut requests = JoinSet::new();
    for _ in 0..CLIENTS {
        requests.spawn(app.post("/api/leads").json(&body).send());
    }
    let mut responses = Vec::with_capacity(CLIENTS);
    while let Some(response) = requests.join_next().await {
        responses.push(response.expect("request task"));
    }

    let created: Vec<&TestResponse> = responses
        .iter()
        .filter(|response| response.status == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "one lead is created");
    let id = expect_created_id(created[0]);
    let conflicts: Vec<&TestResponse> = responses
        .iter()
        .filter(|response| response.status != StatusCode::CREATED)
        .collect();
    assert_eq!(conflicts.len(), CLIENTS - 1);
    for response in conflicts {
        expect_duplicate(response, &id);
    }
    assert_eq!(lead_count(&app), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_spellings_create_one_lead() {
    let app = TestApp::spawn().await;
    let spellings = [
        "Dana.Reyes@Example.COM",
        "dana.reyes@example.com",
        "DANA.REYES@EXAMPLE.COM",
        "dana.Reyes@example.Com",
    ];

    let mut requests = JoinSet::new();
    for index in 0..CLIENTS {
        let body = lead_with("email", json!(spellings[index % spellings.len()]));
        requests.spawn(app.post("/api/leads").json(&body).send());
    }
    let mut ids = BTreeSet::new();
    let mut statuses = Vec::new();
    while let Some(response) = requests.join_next().await {
        let response = response.expect("request task");
        statuses.push(response.status);
        if response.status == StatusCode::CREATED {
            ids.insert(expect_created_id(&response));
        }
    }

    assert_eq!(ids.len(), 1, "statuses: {statuses:?}");
    let conflicts = statuses
        .iter()
        .filter(|status| **status == StatusCode::CONFLICT)
        .count();
    assert_eq!(conflicts, CLIENTS - 1);
    assert_eq!(lead_count(&app), 1);
}

#[tokio::test]
async fn mixed_case_then_lower_case_conflicts() {
    let app = TestApp::spawn().await;
    let first = expect_created_id(
        &post_lead(&app, &lead_with("email", json!("Dana.Reyes@Example.COM"))).await,
    );

    let second = post_lead(&app, &lead_with("email", json!("dana.reyes@example.com"))).await;

    expect_duplicate(&second, &first);
    assert_eq!(stored_lead(&app, &first).email, "Dana.Reyes@Example.COM");
}

#[tokio::test]
async fn lower_case_then_mixed_case_conflicts() {
    let app = TestApp::spawn().await;
    let first = expect_created_id(
        &post_lead(&app, &lead_with("email", json!("dana.reyes@example.com"))).await,
    );

    let second = post_lead(&app, &lead_with("email", json!("Dana.Reyes@Example.COM"))).await;

    expect_duplicate(&second, &first);
    assert_eq!(stored_lead(&app, &first).email, "dana.reyes@example.com");
}

#[tokio::test]
async fn outlook_dots_are_distinct_addresses() {
    let app = TestApp::spawn().await;

    let dotted = post_lead(&app, &lead_with("email", json!("dana.reyes@outlook.com"))).await;
    let undotted = post_lead(&app, &lead_with("email", json!("danareyes@outlook.com"))).await;

    let first = expect_created_id(&dotted);
    let second = expect_created_id(&undotted);
    assert_ne!(first, second);
    assert_eq!(stored_lead(&app, &first).email, "dana.reyes@outlook.com");
    assert_eq!(stored_lead(&app, &second).email, "danareyes@outlook.com");
}

#[tokio::test]
async fn gmail_dots_conflict_with_stored_spelling_kept() {
    let app = TestApp::spawn().await;
    let first = expect_created_id(
        &post_lead(&app, &lead_with("email", json!("dana.reyes@gmail.com"))).await,
    );

    let second = post_lead(
        &app,
        &lead_with("email", json!("DanaReyes+leads@GMAIL.com")),
    )
    .await;

    expect_duplicate(&second, &first);
    assert_eq!(stored_lead(&app, &first).email, "dana.reyes@gmail.com");
}

#[tokio::test]
async fn gmail_tags_without_name_are_distinct() {
    let app = TestApp::spawn().await;

    let first = post_lead(&app, &lead_with("email", json!("+a@gmail.com"))).await;
    let second = post_lead(&app, &lead_with("email", json!("+b@gmail.com"))).await;
    let first = expect_created_id(&first);
    let second = expect_created_id(&second);
    assert_ne!(first, second);

    let again = post_lead(&app, &lead_with("email", json!("+.A@googlemail.com"))).await;
    expect_duplicate(&again, &first);
    assert_eq!(lead_count(&app), 2);
}
