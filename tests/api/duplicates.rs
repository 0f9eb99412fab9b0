//! Duplicate leads: a `POST /api/leads` whose email matches a stored lead's
//! comparison key (the lower-cased address, and for Gmail also without dots
//! and `+tag`) is `409 CONFLICT` naming the existing lead. The stored email
//! is never rewritten.

use crate::fixtures::{expect_created_id, lead_count, lead_with, post_lead, stored_lead};
use crate::support::TestApp;
use http::StatusCode;
use serde_json::json;

/// Posts a lead with `email` and asserts a `409` envelope whose only detail
/// names `email` and the existing lead `existing_id`.
async fn expect_conflict(app: &TestApp, email: &str, existing_id: &str) {
    let response = post_lead(app, &lead_with("email", json!(email))).await;
    assert_eq!(
        response.status,
        StatusCode::CONFLICT,
        "email {email:?}: {}",
        response.text()
    );

    let error = response.expect_error(StatusCode::CONFLICT, "CONFLICT");
    let details = error["details"].as_array().cloned().unwrap_or_default();
    assert_eq!(details.len(), 1, "details: {details:?}");
    assert_eq!(details[0]["field"], "email", "details: {details:?}");
    assert_eq!(
        details[0]["existing_lead_id"], existing_id,
        "details: {details:?}"
    );
}

#[tokio::test]
async fn duplicate_email_is_conflict() {
    let app = TestApp::spawn().await;
    let first = expect_created_id(
        &post_lead(&app, &lead_with("email", json!("Jane.Roe@Example.com"))).await,
    );

    for email in [
        "Jane.Roe@Example.com",
        "jane.roe@example.com",
        "  JANE.ROE@EXAMPLE.COM\t",
    ] {
        expect_conflict(&app, email, &first).await;
    }

    assert_eq!(lead_count(&app), 1);
    assert_eq!(stored_lead(&app, &first).email, "Jane.Roe@Example.com");
}

#[tokio::test]
async fn gmail_variants_are_duplicates() {
    let app = TestApp::spawn().await;
    let first = expect_created_id(
        &post_lead(&app, &lead_with("email", json!("John.Doe+news@gmail.com"))).await,
    );

    for email in [
        "johndoe@gmail.com",
        "J.O.H.N.D.O.E@Gmail.com",
        "john.doe+other@googlemail.com",
    ] {
        expect_conflict(&app, email, &first).await;
    }

    assert_eq!(lead_count(&app), 1);
    assert_eq!(stored_lead(&app, &first).email, "John.Doe+news@gmail.com");
}

#[tokio::test]
async fn dots_and_tags_matter_outside_gmail() {
    let app = TestApp::spawn().await;

    for email in [
        "john.doe@example.com",
        "johndoe@example.com",
        "john.doe+news@example.com",
    ] {
        let response = post_lead(&app, &lead_with("email", json!(email))).await;
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "email {email:?}: {}",
            response.text()
        );
        expect_created_id(&response);
    }

    assert_eq!(lead_count(&app), 3);
}
