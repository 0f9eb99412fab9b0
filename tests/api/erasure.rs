//! `DELETE /api/leads/{id}`: `204`, the lead is gone from every read, and
//! none of its personal data stays in the database file or its WAL file.
//! Aggregate counts keep the lead.

use crate::fixtures::{expect_created_id, lead_with, minimal_lead, post_lead};
use crate::leads_list::{expect_page, list};
use crate::support::TestApp;
use http::StatusCode;
use serde_json::{Value, json};
use std::path::Path;

/// Values that appear nowhere else in a test database, so finding one of
/// their bytes in a file can only mean the erased lead.
const NAME: &str = "Quillon Vantrebeck";
const EMAIL: &str = "quillon.vantrebeck@example.net";
const PHONE: &str = "+15550001234567";
const COMPANY: &str = "Zephyrine Kettleworks";
const NOTES: &str = "Asked about the obsidian pricing tier";

fn erased_lead() -> Value {
    json!({
        "name": NAME,
        "email": EMAIL,
        "phone": PHONE,
        "company": COMPANY,
        "source": "referral",
        "notes": NOTES
    })
}

/// Returns whether the file at `path` contains `needle`. A missing file
/// contains nothing.
fn file_contains(path: &Path, needle: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    bytes
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Returns the database file and its WAL file.
fn database_files(app: &TestApp) -> [std::path::PathBuf; 2] {
    let database = app.sqlite_path("default").expect("the default database");
    let mut wal = database.clone().into_os_string();
    wal.push("-wal");
    [database, wal.into()]
}

fn daily_count_total(app: &TestApp) -> i64 {
    app.db()
        .query_row(
            "SELECT COALESCE(SUM(count), 0) FROM lead_daily_counts",
            [],
            |row| row.get(0),
        )
        .expect("sum the daily counts")
}

#[tokio::test]
async fn delete_answers_no_content() {
    let app = TestApp::spawn().await;
    let id = expect_created_id(&post_lead(&app, &minimal_lead()).await);

    let response = app.delete(&format!("/api/leads/{id}")).send().await;

    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        response.text()
    );
    assert!(response.body.is_empty());
    assert_eq!(response.header("content-length"), None);
    assert!(response.header("x-request-id").is_some());
    assert!(response.header("ratelimit-limit").is_some());
}

#[tokio::test]
async fn deleted_lead_is_gone_from_reads() {
    let app = TestApp::spawn().await;
    let kept = expect_created_id(&post_lead(&app, &minimal_lead()).await);
    let id = expect_created_id(&post_lead(&app, &erased_lead()).await);

    let deleted = app.delete(&format!("/api/leads/{id}")).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let read = app.get(&format!("/api/leads/{id}")).send().await;
    read.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    let (ids, _) = expect_page(&list(&app, "").await);
    assert_eq!(ids, [kept]);
    let (by_email, _) = expect_page(&list(&app, &format!("email={EMAIL}")).await);
    assert!(by_email.is_empty());
}

#[tokio::test]
async fn delete_twice_is_not_found() {
    let app = TestApp::spawn().await;
    let id = expect_created_id(&post_lead(&app, &minimal_lead()).await);
    let path = format!("/api/leads/{id}");

    let first = app.delete(&path).send().await;
    let second = app.delete(&path).send().await;

    assert_eq!(first.status, StatusCode::NO_CONTENT);
    second.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn delete_unknown_or_malformed_id_is_not_found() {
    let app = TestApp::spawn().await;
    expect_created_id(&post_lead(&app, &minimal_lead()).await);

    for id in [
        "lead_0000000000000000000000",
        "not-a-lead",
        "lead_abc-def",
        "lead_%F0%9F%98%80",
    ] {
        let response = app.delete(&format!("/api/leads/{id}")).send().await;
        response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    }
}

#[tokio::test]
async fn erasure_leaves_no_personal_data_in_files() {
    let app = TestApp::spawn().await;
    let id = expect_created_id(&post_lead(&app, &erased_lead()).await);
    for _ in 0..40 {
        expect_created_id(&post_lead(&app, &minimal_lead()).await);
    }
    let files = database_files(&app);
    assert!(
        files.iter().any(|file| file_contains(file, NAME)),
        "the name is stored before the erasure"
    );

    let response = app.delete(&format!("/api/leads/{id}")).send().await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);

    for file in &files {
        for value in [NAME, EMAIL, PHONE, COMPANY, NOTES] {
            assert!(
                !file_contains(file, value),
                "{} still holds {value:?}",
                file.display()
            );
        }
    }
    let lower_email = EMAIL.to_ascii_lowercase();
    assert!(files.iter().all(|file| !file_contains(file, &lower_email)));
}

#[tokio::test]
async fn erasure_keeps_row_without_personal_fields() {
    let app = TestApp::spawn().await;
    let id = expect_created_id(&post_lead(&app, &erased_lead()).await);

    app.delete(&format!("/api/leads/{id}")).send().await;

    let row: (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = app
        .db()
        .query_row(
            "SELECT name, email, phone, notes FROM leads WHERE id = ?1",
            [&id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .expect("the row stays");
    assert_eq!(row, (None, None, None, None));
    let (source, deleted_at): (String, Option<i64>) = app
        .db()
        .query_row(
            "SELECT source, deleted_at FROM leads WHERE id = ?1",
            [&id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("the row stays");
    assert_eq!(source, "referral");
    assert!(deleted_at.is_some());
}

#[tokio::test]
async fn erasure_keeps_aggregate_counts() {
    let app = TestApp::spawn().await;
    let id = expect_created_id(&post_lead(&app, &erased_lead()).await);
    expect_created_id(&post_lead(&app, &minimal_lead()).await);
    let before = daily_count_total(&app);

    app.delete(&format!("/api/leads/{id}")).send().await;

    assert_eq!(before, 2);
    assert_eq!(daily_count_total(&app), before);
}

#[tokio::test]
async fn erased_email_can_be_used_again() {
    let app = TestApp::spawn().await;
    let first = expect_created_id(&post_lead(&app, &lead_with("email", json!(EMAIL))).await);

    app.delete(&format!("/api/leads/{first}")).send().await;
    let again = post_lead(&app, &lead_with("email", json!(EMAIL.to_uppercase()))).await;

    let second = expect_created_id(&again);
    assert_ne!(first, second);
}

#[tokio::test]
async fn delete_needs_write_scope() {
    let app = TestApp::spawn().await;
    let id = expect_created_id(&post_lead(&app, &minimal_lead()).await);
    let created = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "reader", "scopes": ["read:leads"]}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);
    let key = created["key"].as_str().expect("the new key");

    let response = app
        .delete(&format!("/api/leads/{id}"))
        .api_key(key)
        .send()
        .await;

    response.expect_forbidden();
    let read = app.get(&format!("/api/leads/{id}")).send().await;
    assert_eq!(read.status, StatusCode::OK);
}
