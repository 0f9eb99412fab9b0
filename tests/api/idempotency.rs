//! `Idempotency-Key` on `POST /api/leads`: replays are byte-identical,
//! another body is `422`, a request still running is `409`, failures are
//! not stored, keys belong to one caller for 24 hours, and a key whose lead
//! was erased is `422` for every body.

use crate::fixtures::{expect_created, expect_created_id, lead_count, minimal_lead};
use crate::support::{TestApp, TestResponse};
use http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::task::JoinSet;

/// 2025-10-18T10:30:00Z in Unix seconds.
const START: u64 = 1_760_783_400;
const DAY: u64 = 86_400;

async fn post_with_key(app: &TestApp, key: &str, body: &Value) -> TestResponse {
    app.post("/api/leads")
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
}

/// Asserts that `replay` repeats `first`: the same status and body bytes,
/// the same headers apart from the request id and rate-limit counters, and
/// `Idempotent-Replayed: true`.
fn expect_replay(first: &TestResponse, replay: &TestResponse) {
    assert_eq!(replay.status, first.status, "{}", replay.text());
    assert_eq!(replay.body, first.body, "body bytes");
    for name in ["content-type", "content-length", "location"] {
        assert_eq!(replay.header(name), first.header(name), "{name}");
    }
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_ne!(replay.header("x-request-id"), first.header("x-request-id"));
}

async fn app_at_start() -> TestApp {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_secs(START));
    app
}

#[tokio::test]
async fn replay_is_byte_identical() {
    let app = app_at_start().await;
    let body = minimal_lead();
    let first = post_with_key(&app, "order-42", &body).await;
    expect_created(&first);

    app.clock().advance(Duration::from_secs(30));
    let replay = post_with_key(&app, "order-42", &body).await;

    expect_replay(&first, &replay);
    assert_eq!(lead_count(&app), 1);
}

#[tokio::test]
async fn replay_ignores_whitespace_and_key_order() {
    let app = app_at_start().await;
    let first = app
        .post("/api/leads")
        .header("idempotency-key", "k1")
        .json_bytes(r#"{"name":"Ada","email":"ada@example.com","source":"website"}"#)
        .send()
        .await;
    expect_created(&first);

    let replay = app
        .post("/api/leads")
        .header("idempotency-key", "k1")
        .json_bytes(
            "{ \"source\": \"website\",\n  \"email\": \"ada@example.com\", \"name\": \"Ada\" }",
        )
        .send()
        .await;

    expect_replay(&first, &replay);
}

#[tokio::test]
async fn different_body_is_validation_error() {
    let app = app_at_start().await;
    expect_created(&post_with_key(&app, "order-42", &minimal_lead()).await);

    let response = post_with_key(&app, "order-42", &minimal_lead()).await;

    let error = response.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");
    assert_eq!(error["details"][0]["field"], "Idempotency-Key");
    assert_eq!(lead_count(&app), 1);
}

#[tokio::test]
async fn client_errors_are_replayed() {
    let app = app_at_start().await;
    let invalid = json!({"name": "Ada", "email": "not-an-email", "source": "website"});
    let first = post_with_key(&app, "bad-1", &invalid).await;
    first.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");

    app.clock().advance(Duration::from_secs(5));
    let replay = post_with_key(&app, "bad-1", &invalid).await;

    expect_replay(&first, &replay);
}

#[tokio::test]
async fn duplicate_conflict_is_replayed() {
    let app = app_at_start().await;
    let body = minimal_lead();
    let existing = expect_created_id(&post_with_key(&app, "a", &body).await);

    let first = post_with_key(&app, "b", &body).await;
    let error = first.expect_error(StatusCode::CONFLICT, "CONFLICT");
    assert_eq!(error["details"][0]["existing_lead_id"], existing.as_str());
    let replay = post_with_key(&app, "b", &body).await;

    expect_replay(&first, &replay);
}

#[tokio::test]
async fn keys_belong_to_one_caller() {
    let app = app_at_start().await;
    let created = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "crm", "scopes": ["write:leads"]}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);
    let other_key = created["key"].as_str().expect("the new key").to_owned();
    let first = expect_created_id(&post_with_key(&app, "shared", &minimal_lead()).await);

    let other = app
        .post("/api/leads")
        .api_key(&other_key)
        .header("idempotency-key", "shared")
        .json(&minimal_lead())
        .send()
        .await;

    assert_ne!(expect_created_id(&other), first);
    assert_eq!(other.header("idempotent-replayed"), None);
    assert_eq!(lead_count(&app), 2);
}

#[tokio::test]
async fn unfinished_claim_is_conflict_until_lease_ends() {
    let app = app_at_start().await;
    let body = minimal_lead();
    let first = post_with_key(&app, "slow", &body).await;
    let id = expect_created_id(&first);
    // Marks the claim unfinished, as it is while the first request runs.
    app.db()
        .execute("UPDATE idempotency_keys SET completed_at = NULL", [])
        .expect("reopen the claim");

    let during = post_with_key(&app, "slow", &body).await;
    let error = during.expect_plain_error(StatusCode::CONFLICT, "CONFLICT");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("in progress"),
        "{error:?}"
    );

    app.clock().advance(Duration::from_secs(60));
    let after = post_with_key(&app, "slow", &body).await;
    let error = after.expect_error(StatusCode::CONFLICT, "CONFLICT");
    assert_eq!(error["details"][0]["existing_lead_id"], id.as_str());
    assert_eq!(lead_count(&app), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_create_one_lead() {
    let app = app_at_start().await;
    let body = minimal_lead();
    let mut requests = JoinSet::new();
    for _ in 0..16 {
        let request = app
            .post("/api/leads")
            .header("idempotency-key", "burst")
            .json(&body);
        requests.spawn(request.send());
    }
    let mut responses = Vec::new();
    while let Some(response) = requests.join_next().await {
        responses.push(response.expect("request task"));
    }

    let originals: Vec<&TestResponse> = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED && r.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(originals.len(), 1, "one request runs");
    let original = originals[0];
    for response in &responses {
        if response.status == StatusCode::CONFLICT {
            response.expect_plain_error(StatusCode::CONFLICT, "CONFLICT");
        } else if !std::ptr::eq(response, original) {
            expect_replay(original, response);
        }
    }
    assert_eq!(lead_count(&app), 1);
}

#[tokio::test]
async fn server_error_is_not_stored() {
    let app = app_at_start().await;
    let body = minimal_lead();
    expect_created_id(&post_with_key(&app, "warm-up", &minimal_lead()).await);
    app.db()
        .execute_batch(
            "CREATE TRIGGER refuse_leads BEFORE INSERT ON leads \
             BEGIN SELECT RAISE(ABORT, 'the disk is full'); END",
        )
        .expect("make lead inserts fail");

    let failed = post_with_key(&app, "retry-me", &body).await;
    assert!(failed.status.is_server_error(), "{}", failed.text());
    let claims: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM idempotency_keys", [], |row| {
            row.get(0)
        })
        .expect("count claims");
    assert_eq!(claims, 1, "only the warm-up's claim stays");

    app.db()
        .execute_batch("DROP TRIGGER refuse_leads")
        .expect("let lead inserts succeed again");
    let retried = post_with_key(&app, "retry-me", &body).await;
    expect_created_id(&retried);
    assert_eq!(retried.header("idempotent-replayed"), None);
}

#[tokio::test]
async fn key_expires_after_a_day() {
    let app = app_at_start().await;
    let first = expect_created_id(&post_with_key(&app, "daily", &minimal_lead()).await);

    app.clock().advance(Duration::from_secs(DAY - 1));
    let within = post_with_key(&app, "daily", &minimal_lead()).await;
    within.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");

    app.clock().advance(Duration::from_secs(1));
    let after = post_with_key(&app, "daily", &minimal_lead()).await;
    let second = expect_created_id(&after);
    assert_ne!(first, second);
}

#[tokio::test]
async fn expired_claims_are_purged() {
    let app = app_at_start().await;
    for key in ["old-1", "old-2", "old-3"] {
        expect_created_id(&post_with_key(&app, key, &minimal_lead()).await);
    }

    app.clock().advance(Duration::from_secs(DAY));
    expect_created_id(&post_with_key(&app, "new", &minimal_lead()).await);

    let claims: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM idempotency_keys", [], |row| {
            row.get(0)
        })
        .expect("count claims");
    assert_eq!(claims, 1);
}

#[tokio::test]
async fn invalid_key_is_bad_request() {
    let app = app_at_start().await;
    let too_long = "k".repeat(256);
    for key in ["", "has space", "tab\there", too_long.as_str()] {
        let response = post_with_key(&app, key, &minimal_lead()).await;
        let error = response.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Idempotency-Key"),
            "{key:?}: {error:?}"
        );
    }

    let twice = app
        .post("/api/leads")
        .header("idempotency-key", "a")
        .header("idempotency-key", "b")
        .json(&minimal_lead())
        .send()
        .await;
    twice.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
    assert_eq!(crate::fixtures::stored_lead_count(&app), 0);
}

#[tokio::test]
async fn longest_key_is_accepted() {
    let app = app_at_start().await;
    let key = "k".repeat(255);

    let response = post_with_key(&app, &key, &minimal_lead()).await;

    expect_created_id(&response);
}

/// Asserts the `422` for a key whose lead was erased.
fn expect_erased_key(response: &TestResponse) {
    let error = response.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");
    assert_eq!(response.header("idempotent-replayed"), None);
    let details = error["details"].as_array().cloned().unwrap_or_default();
    assert_eq!(details.len(), 1, "{details:?}");
    assert_eq!(details[0]["field"], "Idempotency-Key");
    let message = details[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("erased"), "{message}");
    assert!(message.contains("Use a new key"), "{message}");
}

fn body_digest_count(app: &TestApp) -> i64 {
    app.db()
        .query_row(
            "SELECT COUNT(*) FROM idempotency_keys WHERE fingerprint IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .expect("count body digests")
}

#[tokio::test]
async fn erased_lead_key_rejects_every_body() {
    let app = app_at_start().await;
    let first_body = minimal_lead();
    let id = expect_created_id(&post_with_key(&app, "gdpr", &first_body).await);
    let deleted = app.delete(&format!("/api/leads/{id}")).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(body_digest_count(&app), 0, "the body digest is erased");

    let new_body =
        json!({"name": "Brand New", "email": "brand.new@example.com", "source": "referral"});
    expect_erased_key(&post_with_key(&app, "gdpr", &new_body).await);
    expect_erased_key(&post_with_key(&app, "gdpr", &first_body).await);
    assert_eq!(
        lead_count(&app),
        1,
        "no lead is stored under the erased key"
    );

    let fresh = post_with_key(&app, "gdpr-2", &new_body).await;
    let new_id = expect_created_id(&fresh);
    assert_ne!(new_id, id);
    assert_eq!(lead_count(&app), 2);
}

#[tokio::test]
async fn erased_conflict_key_rejects_every_body() {
    let app = app_at_start().await;
    let owner = minimal_lead();
    let existing = expect_created_id(&app.post("/api/leads").json(&owner).send().await);
    let conflict = post_with_key(&app, "dup-then-erase", &owner).await;
    conflict.expect_error(StatusCode::CONFLICT, "CONFLICT");
    let deleted = app.delete(&format!("/api/leads/{existing}")).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let unrelated = json!({"name": "Unrelated Person", "email": "unrelated.person@example.com", "source": "email"});
    expect_erased_key(&post_with_key(&app, "dup-then-erase", &unrelated).await);

    assert_eq!(lead_count(&app), 1, "only the erased lead's row exists");
    assert_eq!(body_digest_count(&app), 0);
}

#[tokio::test]
async fn erased_key_is_free_after_a_day() {
    let app = app_at_start().await;
    let id = expect_created_id(&post_with_key(&app, "gdpr", &minimal_lead()).await);
    app.delete(&format!("/api/leads/{id}")).send().await;

    app.clock().advance(Duration::from_secs(DAY - 1));
    expect_erased_key(&post_with_key(&app, "gdpr", &minimal_lead()).await);

    app.clock().advance(Duration::from_secs(1));
    let after = post_with_key(&app, "gdpr", &minimal_lead()).await;
    assert_ne!(expect_created_id(&after), id);
    assert_eq!(after.header("idempotent-replayed"), None);
}

#[tokio::test]
async fn requests_without_key_are_not_deduplicated() {
    let app = app_at_start().await;

    expect_created_id(&app.post("/api/leads").json(&minimal_lead()).send().await);
    expect_created_id(&app.post("/api/leads").json(&minimal_lead()).send().await);

    assert_eq!(lead_count(&app), 2);
    let claims: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM idempotency_keys", [], |row| {
            row.get(0)
        })
        .expect("count claims");
    assert_eq!(claims, 0);
}
