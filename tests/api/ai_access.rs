//! Access to the AI routes: methods, credentials (`401`), the
//! `write:analytics` scope (`403`) and the `ai` rate-limit group (`429`),
//! checked before the body.

use crate::ai_support::{DOCUMENT_TEXT, ai_app, create_api_key, expect_analysis};
use crate::support::TestApp;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// 2026-01-01T00:00:00Z in Unix seconds: the app's clock in the rate-limit
/// test.
const NOW: u64 = 1_767_225_600;

/// The two AI routes with a valid body for each.
fn routes() -> [(&'static str, Value); 2] {
    [
        ("/api/analyze", json!({"text": DOCUMENT_TEXT})),
        ("/api/classify-lead", json!({"text_content": DOCUMENT_TEXT})),
    ]
}

#[tokio::test]
async fn methods_other_than_post_are_not_allowed() {
    let app = ai_app().await;
    let allowed = BTreeSet::from(["OPTIONS".to_string(), "POST".to_string()]);

    for (path, _) in routes() {
        for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
            let response = app.request(method.clone(), path).send().await;
            response.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
            assert_eq!(response.allowed_methods(), allowed, "{method} {path}");
        }

        let options = app
            .request(Method::OPTIONS, path)
            .without_credentials()
            .send()
            .await;
        assert_eq!(options.status, StatusCode::OK, "OPTIONS {path}");
        assert_eq!(options.allowed_methods(), allowed, "OPTIONS {path}");
    }
}

#[tokio::test]
async fn requests_without_valid_credentials_are_unauthorized() {
    let app = ai_app().await;

    for (path, body) in routes() {
        let anonymous = app
            .post(path)
            .without_credentials()
            .json(&body)
            .send()
            .await;
        anonymous.expect_unauthorized();

        let unknown_key = app
            .post(path)
            .api_key("ak_unknownKey000000000000000000000")
            .json(&body)
            .send()
            .await;
        unknown_key.expect_unauthorized();

        // Credentials are checked before the body is read.
        let invalid_body = app
            .post(path)
            .without_credentials()
            .json_bytes("not json")
            .send()
            .await;
        invalid_body.expect_unauthorized();
    }
}

#[tokio::test]
async fn routes_need_write_analytics() {
    let app = ai_app().await;
    let read_analytics = create_api_key(&app, &["read:analytics"]).await;
    let write_leads = create_api_key(&app, &["write:leads", "read:leads"]).await;
    let write_analytics = create_api_key(&app, &["write:analytics"]).await;

    for (path, body) in routes() {
        for key in [&read_analytics, &write_leads] {
            let response = app.post(path).api_key(key).json(&body).send().await;
            response.expect_forbidden();

            let invalid_body = app.post(path).api_key(key).json_bytes("{").send().await;
            invalid_body.expect_forbidden();
        }

        let response = app
            .post(path)
            .api_key(&write_analytics)
            .json(&body)
            .send()
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{path}: {}",
            response.text()
        );
    }
}

#[tokio::test]
async fn ai_group_has_its_own_budget() {
    let app = TestApp::builder()
        .variable("rate_limit_ai", "3")
        .variable("rate_limit_leads", "1000")
        .spawn()
        .await;
    // A stopped clock keeps `RateLimit-Reset` at a whole 60 seconds.
    app.clock().set(Duration::from_secs(NOW));
    let analyze = json!({"text": DOCUMENT_TEXT});
    let classify = json!({"text_content": DOCUMENT_TEXT});

    let first = app.post("/api/analyze").json(&analyze).send().await;
    expect_analysis(&first, DOCUMENT_TEXT);
    first.expect_rate_headers(3, 2, 60);
    let second = app.post("/api/classify-lead").json(&classify).send().await;
    assert_eq!(second.status, StatusCode::OK);
    second.expect_rate_headers(3, 1, 60);
    // A validation error spends budget too, because the body is read after
    // the limit check.
    let invalid = app
        .post("/api/analyze")
        .json(&json!({"text": ""}))
        .send()
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    invalid.expect_rate_headers(3, 0, 60);

    for (path, body) in routes() {
        let limited = app.post(path).json(&body).send().await;
        limited.expect_rate_limited(3, 60);
    }

    let lead_read = app.get("/api/leads/lead_0000000000000000").send().await;
    assert_eq!(lead_read.status, StatusCode::NOT_FOUND);
    lead_read.expect_rate_headers(1000, 999, 60);
}
