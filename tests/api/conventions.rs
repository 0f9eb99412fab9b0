//! Conventions every endpoint of the lead component follows: the envelope
//! for unknown paths and wrong methods, body size and media type limits,
//! validation errors, request ids and error timestamps.

use crate::assertions::is_generated_request_id;
use crate::fixtures::{
    VALIDATION_MESSAGE, expect_created_id, expect_field_errors, minimal_lead, post_lead,
};
use crate::support::TestApp;
use http::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// Largest accepted request body: 64 KiB.
const MAX_BODY: usize = 64 * 1024;

/// Builds a valid lead body padded with trailing spaces to exactly `size` bytes, so
/// that its size is the only thing wrong with it.
fn padded_lead(size: usize) -> Vec<u8> {
    let mut body = minimal_lead().to_string().into_bytes();
    assert!(body.len() <= size, "a lead body fits in {size} bytes");
    body.resize(size, b' ');
    body
}

#[tokio::test]
async fn unknown_path_gets_not_found_envelope() {
    let app = TestApp::spawn().await;
    let requests = [
        (Method::GET, "/"),
        (Method::GET, "/nope"),
        (Method::GET, "/api"),
        (Method::GET, "/api/unknown"),
        (Method::GET, "/api/leads/lead_abcdefghijklmnop/notes"),
        (Method::GET, "/healthz"),
        (Method::POST, "/api/lead"),
        (Method::DELETE, "/api/analytics-not-here"),
    ];

    for (method, path) in requests {
        let response = app.request(method.clone(), path).send().await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            response.text()
        );
        response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    }
}

#[tokio::test]
async fn wrong_method_is_method_not_allowed() {
    let app = TestApp::spawn().await;
    let id = expect_created_id(&post_lead(&app, &minimal_lead()).await);
    let lead_path = format!("/api/leads/{id}");
    let requests = [
        (Method::PUT, "/api/leads", Method::POST),
        (Method::DELETE, "/health", Method::GET),
        (Method::POST, "/health", Method::GET),
        (Method::POST, lead_path.as_str(), Method::GET),
        (Method::PUT, lead_path.as_str(), Method::GET),
    ];

    for (method, path, allowed) in requests {
        let response = app
            .request(method.clone(), path)
            .json(&minimal_lead())
            .send()
            .await;
        assert_eq!(
            response.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            response.text()
        );
        response.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
        let allow = response.allowed_methods();
        assert!(
            allow.contains(allowed.as_str()),
            "{method} {path}: Allow {allow:?} lacks {allowed}"
        );
        assert!(
            !allow.contains(method.as_str()),
            "{method} {path}: Allow {allow:?} lists {method}"
        );
    }
}

#[tokio::test]
async fn body_of_exactly_64_kib_is_accepted() {
    let app = TestApp::spawn().await;

    let response = app
        .post("/api/leads")
        .json_bytes(padded_lead(MAX_BODY))
        .send()
        .await;

    expect_created_id(&response);
}

#[tokio::test]
async fn body_over_64_kib_is_payload_too_large() {
    let app = TestApp::spawn().await;

    for size in [MAX_BODY + 1, 65 * 1024 + 1] {
        let response = app
            .post("/api/leads")
            .json_bytes(padded_lead(size))
            .send()
            .await;
        assert_eq!(
            response.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{size} bytes: {}",
            response.text()
        );
        response.expect_plain_error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    }
}

#[tokio::test]
async fn one_mib_body_is_payload_too_large() {
    let app = TestApp::spawn().await;

    let response = app
        .post("/api/leads")
        .json_bytes(padded_lead(1024 * 1024))
        .send()
        .await;

    response.expect_plain_error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    let health = app.get("/health").send().await;
    assert_eq!(
        health.status,
        StatusCode::OK,
        "the app still serves: {}",
        health.text()
    );
}

#[tokio::test]
async fn oversized_body_of_another_type_is_rejected() {
    let app = TestApp::spawn().await;

    let response = app
        .post("/api/leads")
        .header("content-type", "text/plain")
        .body(vec![b'a'; 1024 * 1024])
        .send()
        .await;

    // Either check may run first, but the response is an envelope.
    let code = match response.status {
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        _ => "UNSUPPORTED_MEDIA_TYPE",
    };
    response.expect_plain_error(response.status, code);
    assert!(
        [
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        ]
        .contains(&response.status),
        "status {}",
        response.status
    );
}

#[tokio::test]
async fn other_media_type_is_unsupported() {
    let app = TestApp::spawn().await;
    let content_types = [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/xml"),
        Some("application/jsonx"),
        Some("application/vnd.api+json"),
        Some("multipart/form-data; boundary=x"),
        None,
    ];

    for content_type in content_types {
        let mut request = app.post("/api/leads").body(minimal_lead().to_string());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await;
        assert_eq!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type {content_type:?}: {}",
            response.text()
        );
        response.expect_plain_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    }
}

#[tokio::test]
async fn json_media_type_variants_are_accepted() {
    let app = TestApp::spawn().await;
    let content_types = [
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "Application/Json;charset=UTF-8",
        "application/json ; foo=bar",
    ];

    for content_type in content_types {
        let response = app
            .post("/api/leads")
            .header("content-type", content_type)
            .body(minimal_lead().to_string())
            .send()
            .await;
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "Content-Type {content_type:?}: {}",
            response.text()
        );
        expect_created_id(&response);
    }
}

#[tokio::test]
async fn validation_error_lists_each_bad_field() {
    let app = TestApp::spawn().await;
    let body = json!({
        "name": "   ",
        "email": "a..b@example.com",
        "phone": "0123",
        "company": "c".repeat(101),
        "source": "Website",
        "notes": "n".repeat(1001)
    });

    let response = post_lead(&app, &body).await;

    expect_field_errors(
        &response,
        &["name", "email", "phone", "company", "source", "notes"],
    );
}

#[tokio::test]
async fn validation_error_lists_missing_required_fields() {
    let app = TestApp::spawn().await;

    let response = post_lead(&app, &json!({})).await;

    expect_field_errors(&response, &["name", "email", "source"]);
    let error = response.json()["error"].clone();
    assert_eq!(error["message"], VALIDATION_MESSAGE);
    for detail in error["details"].as_array().into_iter().flatten() {
        assert!(
            !detail["message"].as_str().unwrap_or_default().is_empty(),
            "{detail}"
        );
    }
}

#[tokio::test]
async fn client_request_id_is_echoed() {
    let app = TestApp::spawn().await;
    let max_length = "x".repeat(64);

    for id in ["abc-123_X", "req_123456789", max_length.as_str()] {
        let created = app
            .post("/api/leads")
            .header("x-request-id", id)
            .json(&minimal_lead())
            .send()
            .await;
        expect_created_id(&created);
        assert_eq!(created.request_id(), id);

        let missing = app.get("/nope").header("x-request-id", id).send().await;
        let error = missing.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
        assert_eq!(missing.request_id(), id);
        assert_eq!(error["request_id"], id);
    }
}

#[tokio::test]
async fn invalid_client_request_id_is_replaced() {
    let app = TestApp::spawn().await;
    let too_long = "x".repeat(65);

    for id in [
        too_long.as_str(),
        "abc 123",
        "abc/123",
        "abc.123",
        "abc;123",
        "",
    ] {
        let response = app.get("/nope").header("x-request-id", id).send().await;
        let error = response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
        let replaced = response.request_id();
        assert!(
            is_generated_request_id(replaced),
            "sent {id:?}, got {replaced:?}"
        );
        assert_eq!(error["request_id"], replaced);
    }
}

#[tokio::test]
async fn generated_request_ids_differ() {
    let app = TestApp::spawn().await;

    let first = app.get("/health").send().await;
    let second = app.get("/health").send().await;

    first.expect_json(StatusCode::OK);
    second.expect_json(StatusCode::OK);
    assert!(
        is_generated_request_id(first.request_id()),
        "{}",
        first.request_id()
    );
    assert!(
        is_generated_request_id(second.request_id()),
        "{}",
        second.request_id()
    );
    assert_ne!(first.request_id(), second.request_id());
}

#[tokio::test]
async fn error_timestamp_follows_clock() {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_millis(1_760_783_400_750));

    let response = app.get("/nope").send().await;

    let error = response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_eq!(error["timestamp"], "2025-10-18T10:30:00Z");
}
