//! `POST /api/leads` and `GET /api/leads/{id}`: the acknowledgement, the
//! stored row and the lead read back.

use crate::assertions::key_set;
use crate::fixtures::{
    StoredLead, document_lead, expect_created, expect_created_id, lead_with, minimal_lead,
    post_lead, stored_lead,
};
use crate::support::TestApp;
use http::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// 2025-10-18T10:30:00Z, the API document's example time, in Unix seconds.
const EXAMPLE_TIME: u64 = 1_760_783_400;
const EXAMPLE_TIMESTAMP: &str = "2025-10-18T10:30:00Z";

#[tokio::test]
async fn create_lead_returns_acknowledgement() {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_secs(EXAMPLE_TIME));

    let response = post_lead(&app, &document_lead()).await;

    let body = expect_created(&response);
    assert_eq!(body["created_at"], EXAMPLE_TIMESTAMP);
}

#[tokio::test]
async fn create_lead_stores_fields_as_sent() {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_secs(EXAMPLE_TIME));

    let response = post_lead(&app, &document_lead()).await;

    let id = expect_created_id(&response);
    let expected = StoredLead {
        name: "John Doe".into(),
        email: "john@example.com".into(),
        phone: Some("+1234567890".into()),
        company: Some("Acme Corp".into()),
        source: "website".into(),
        status: "new".into(),
        notes: Some("Interested in enterprise plan".into()),
        created_at: EXAMPLE_TIME as i64,
        updated_at: None,
    };
    assert_eq!(stored_lead(&app, &id), expected);
}

#[tokio::test]
async fn create_lead_trims_name_and_email_only() {
    let app = TestApp::spawn().await;
    let body = json!({
        "name": " \t Grace Hopper \n",
        "email": "  Grace.Hopper+CRM@Example.COM\t",
        "source": "referral"
    });

    let response = post_lead(&app, &body).await;

    let id = expect_created_id(&response);
    let stored = stored_lead(&app, &id);
    assert_eq!(stored.name, "Grace Hopper");
    assert_eq!(stored.email, "Grace.Hopper+CRM@Example.COM");
    assert_eq!(stored.phone, None);
    assert_eq!(stored.company, None);
    assert_eq!(stored.notes, None);
    assert_eq!(stored.source, "referral");
    assert_eq!(stored.status, "new");
}

#[tokio::test]
async fn created_at_follows_clock() {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_secs(EXAMPLE_TIME));
    let first = expect_created(&post_lead(&app, &minimal_lead()).await);

    app.clock().advance(Duration::from_secs(86_400 + 61));
    let second = expect_created(&post_lead(&app, &minimal_lead()).await);

    assert_eq!(first["created_at"], EXAMPLE_TIMESTAMP);
    assert_eq!(second["created_at"], "2025-10-19T10:31:01Z");
    let second_id = second["id"].as_str().unwrap_or_default();
    assert_eq!(
        stored_lead(&app, second_id).created_at,
        EXAMPLE_TIME as i64 + 86_400 + 61
    );
}

#[tokio::test]
async fn created_at_drops_fractional_seconds() {
    let app = TestApp::spawn().await;
    app.clock()
        .set(Duration::from_millis(EXAMPLE_TIME * 1000 + 999));

    let body = expect_created(&post_lead(&app, &minimal_lead()).await);

    assert_eq!(body["created_at"], EXAMPLE_TIMESTAMP);
}

#[tokio::test]
async fn lead_ids_are_unique() {
    let app = TestApp::spawn().await;
    let mut ids = BTreeSet::new();

    for _ in 0..5 {
        let id = expect_created_id(&post_lead(&app, &minimal_lead()).await);
        ids.insert(id);
    }

    assert_eq!(ids.len(), 5, "{ids:?}");
}

#[tokio::test]
async fn get_lead_returns_stored_lead() {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_secs(EXAMPLE_TIME));
    let id = expect_created_id(&post_lead(&app, &document_lead()).await);

    let response = app.get(&format!("/api/leads/{id}")).send().await;

    let body = response.expect_json(StatusCode::OK);
    let expected = json!({
        "id": id,
        "name": "John Doe",
        "email": "john@example.com",
        "phone": "+1234567890",
        "company": "Acme Corp",
        "source": "website",
        "status": "new",
        "notes": "Interested in enterprise plan",
        "created_at": EXAMPLE_TIMESTAMP
    });
    assert_eq!(body, expected);
}

#[tokio::test]
async fn get_lead_omits_absent_optional_fields() {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_secs(EXAMPLE_TIME));
    let lead = json!({"name": "Ada Lovelace", "email": "ada@example.com", "source": "social"});
    let id = expect_created_id(&post_lead(&app, &lead).await);

    let response = app.get(&format!("/api/leads/{id}")).send().await;

    let body = response.expect_json(StatusCode::OK);
    let required = BTreeSet::from(["created_at", "email", "id", "name", "source", "status"]);
    assert_eq!(key_set(&body), required, "keys: {body}");
    assert!(
        !response.text().contains("null"),
        "body: {}",
        response.text()
    );
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["name"], "Ada Lovelace");
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["source"], "social");
    assert_eq!(body["status"], "new");
    assert_eq!(body["created_at"], EXAMPLE_TIMESTAMP);
}

#[tokio::test]
async fn get_lead_returns_multibyte_text_unchanged() {
    let app = TestApp::spawn().await;
    let name = "日本 太郎 Ünïcødé";
    let notes = "Café ☕ — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \"quoted\" \\ back";
    let mut lead = lead_with("name", json!(name));
    lead["notes"] = json!(notes);
    let id = expect_created_id(&post_lead(&app, &lead).await);

    let response = app.get(&format!("/api/leads/{id}")).send().await;

    let body = response.expect_json(StatusCode::OK);
    assert_eq!(body["name"], name);
    assert_eq!(body["notes"], notes);
}

#[tokio::test]
async fn get_unknown_lead_is_not_found() {
    let app = TestApp::spawn().await;
    expect_created_id(&post_lead(&app, &minimal_lead()).await);

    let response = app
        .get("/api/leads/lead_0000000000000000000000")
        .send()
        .await;

    response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn get_malformed_lead_id_is_not_found() {
    let app = TestApp::spawn().await;
    let malformed = [
        "not-a-lead",
        "lead_",
        "LEAD_abcdefghijklmnop",
        "lead_abc-def",
        "lead_abc%20def",
        "lead_%F0%9F%98%80",
        "lead_abc'%20OR%20'1'='1",
        &format!("lead_{}", "a".repeat(5000)),
    ];

    for id in malformed {
        let response = app.get(&format!("/api/leads/{id}")).send().await;
        response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    }
}

#[tokio::test]
async fn create_lead_database_failure_is_server_error() {
    let app = TestApp::spawn().await;
    let path = app
        .sqlite_path("default")
        .expect("the default database has a path");
    std::fs::create_dir_all(&path).expect("a folder where the database file belongs");

    let response = post_lead(&app, &minimal_lead()).await;

    let code = match response.status {
        StatusCode::SERVICE_UNAVAILABLE => "SERVICE_UNAVAILABLE",
        _ => "INTERNAL_ERROR",
    };
    let error = response.expect_plain_error(response.status, code);
    assert!(
        response.status.is_server_error(),
        "status {}",
        response.status
    );
    let message = error["message"].as_str().unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    assert!(!lower.contains("sql"), "message names SQL: {message}");
    assert!(
        !message.contains(&*path.to_string_lossy()),
        "message has the file path: {message}"
    );
}

#[tokio::test]
async fn created_lead_round_trips_through_get() {
    let app = TestApp::spawn().await;
    let sent = json!({
        "name": "Linus Torvalds",
        "email": "linus@example.org",
        "phone": "358401234567",
        "company": "Kernel Oy",
        "source": "phone",
        "notes": "Prefers email."
    });
    let acknowledgement = expect_created(&post_lead(&app, &sent).await);
    let id = acknowledgement["id"].as_str().unwrap_or_default();

    let body = app
        .get(&format!("/api/leads/{id}"))
        .send()
        .await
        .expect_json(StatusCode::OK);

    let mut expected = sent.clone();
    expected["id"] = Value::from(id);
    expected["status"] = json!("new");
    expected["created_at"] = acknowledgement["created_at"].clone();
    assert_eq!(body, expected);
}
