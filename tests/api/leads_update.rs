//! `PATCH /api/leads/{id}`: the transition table and the admin override,
//! field edits validated as `POST /api/leads` validates them, duplicates of
//! another lead's email, the `lead.status_updated` event, and counts that
//! stay equal to a recount under concurrent updates.

use crate::analytics_support::{REBUILD, analytics_app, get_report, recounted_report, set_clock};
use crate::events_support::{LOCAL_REDIS, Subscriber, app_publishing_to, unique_channel};
use crate::fixtures::{
    expect_created_id, expect_field_errors, post_lead, stored_lead, unique_email,
};
use crate::support::{TestApp, TestResponse};
use crate::tokens::{SUBJECT, Token, keys, public_key_pem};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::task::JoinSet;

/// Every lifecycle status, in the order of the lead schema.
const STATUSES: [&str; 5] = ["new", "contacted", "qualified", "converted", "lost"];

/// The moves the transition table allows a caller without admin rights,
/// besides keeping the current status.
const ALLOWED_MOVES: [(&str, &str); 7] = [
    ("new", "contacted"),
    ("new", "qualified"),
    ("new", "lost"),
    ("contacted", "qualified"),
    ("contacted", "lost"),
    ("qualified", "converted"),
    ("qualified", "lost"),
];

/// Message of every invalid status value.
const INVALID_STATUS: &str = "must be one of: new, contacted, qualified, converted, lost";

/// 2026-01-01T00:00:00Z in Unix seconds: the clock of the apps that verify
/// tokens.
const NOW: i64 = 1_767_225_600;

/// Sends `PATCH /api/leads/{id}` with `body` and the default admin key.
async fn patch_lead(app: &TestApp, id: &str, body: &Value) -> TestResponse {
    app.request(Method::PATCH, &format!("/api/leads/{id}"))
        .json(body)
        .send()
        .await
}

/// Sends `PATCH /api/leads/{id}` with `body` and `X-API-Key: key`.
async fn patch_lead_as(app: &TestApp, key: &str, id: &str, body: &Value) -> TestResponse {
    app.request(Method::PATCH, &format!("/api/leads/{id}"))
        .api_key(key)
        .json(body)
        .send()
        .await
}

/// Creates a lead with every field set and a unique email, and returns its
/// id.
async fn create_lead(app: &TestApp) -> String {
    let body = json!({
        "name": "Ada Lovelace",
        "email": unique_email(),
        "phone": "+441234567890",
        "company": "Analytical Engines",
        "source": "referral",
        "notes": "Wants a demo"
    });
    expect_created_id(&post_lead(app, &body).await)
}

/// Creates an API key with `scopes` through the admin API and returns the
/// key and its id.
async fn create_api_key(app: &TestApp, scopes: &[&str]) -> (String, String) {
    let created = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "lead updates", "scopes": scopes}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);
    let key = created["key"].as_str().expect("the new key").to_string();
    let id = created["id"].as_str().expect("the key id").to_string();
    (key, id)
}

/// Creates an API key that may write leads but has no admin rights.
async fn writer_key(app: &TestApp) -> String {
    create_api_key(app, &["write:leads"]).await.0
}

/// Moves lead `id` to `status` with the bootstrap key, which has admin
/// rights, and asserts the `200`.
async fn force_status(app: &TestApp, id: &str, status: &str) {
    let response = patch_lead(app, id, &json!({"status": status})).await;
    let lead = response.expect_json(StatusCode::OK);
    assert_eq!(lead["status"], status, "{lead}");
}

/// Reads the `data` of the `lead.status_updated` events of lead `id` still
/// in the outbox, oldest first. Apps without `redis_address` keep every
/// event there.
fn status_events(app: &TestApp, id: &str) -> Vec<Value> {
    let connection = app.db();
    let mut statement = connection
        .prepare(
            "SELECT payload FROM event_outbox \
             WHERE lead_id = ?1 AND event_type = 'lead.status_updated' ORDER BY sequence",
        )
        .expect("prepare the outbox read");
    statement
        .query_map([id], |row| row.get::<_, String>(0))
        .expect("read the outbox")
        .map(|payload| {
            let event: Value = serde_json::from_str(&payload.expect("a payload")).expect("JSON");
            event["data"].clone()
        })
        .collect()
}

/// Reads every row of `lead_daily_counts` with a count above zero.
fn daily_counts(app: &TestApp) -> Vec<(i64, String, String, i64)> {
    let connection = app.db();
    let mut statement = connection
        .prepare(
            "SELECT day, source, status, count FROM lead_daily_counts \
             WHERE count > 0 ORDER BY day, source, status",
        )
        .expect("prepare the count read");
    statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .expect("read the counts")
        .map(|row| row.expect("a count row"))
        .collect()
}

/// Asserts a `422` whose one detail names `field` with `message`.
fn expect_field_error(response: &TestResponse, field: &str, message: &str) {
    expect_field_errors(response, &[field]);
    let details = response.json()["error"]["details"].clone();
    assert_eq!(details[0]["message"], message, "details: {details}");
}

/// Asserts a `422` for a move that the transition table forbids.
fn expect_rejected_move(response: &TestResponse, from: &str, to: &str) {
    expect_field_error(
        response,
        "status",
        &format!("cannot move a lead from {from} to {to}"),
    );
}

/// Asserts a `409` whose one detail names `email` and `existing_id`.
fn expect_duplicate(response: &TestResponse, existing_id: &str) {
    let error = response.expect_error(StatusCode::CONFLICT, "CONFLICT");
    let details = error["details"].as_array().cloned().unwrap_or_default();
    assert_eq!(details.len(), 1, "details: {details:?}");
    assert_eq!(details[0]["field"], "email");
    assert_eq!(details[0]["existing_lead_id"], existing_id);
}

/// Sends the rebuild of the daily counts and asserts that it found no
/// drift over `leads` leads.
async fn expect_no_drift(app: &TestApp, leads: u64) {
    let body = app.post(REBUILD).send().await.expect_json(StatusCode::OK);
    assert_eq!(
        body,
        json!({"leads_counted": leads, "rows_corrected": 0, "corrections": []})
    );
}

/// Starts an app that verifies tokens with the primary key, with its clock
/// at [`NOW`] and with `extra` variables.
async fn jwt_app(extra: &[(&str, &str)]) -> TestApp {
    let mut builder =
        TestApp::builder().variable("jwt_public_keys", &public_key_pem(&keys().primary));
    for (name, value) in extra {
        builder = builder.variable(name, value);
    }
    let app = builder.spawn().await;
    app.clock().set(Duration::from_secs(NOW as u64));
    app
}

#[tokio::test]
async fn transition_table_binds_writers() {
    let app = TestApp::spawn().await;
    let writer = writer_key(&app).await;

    for from in STATUSES {
        for to in STATUSES {
            let id = create_lead(&app).await;
            if from != "new" {
                force_status(&app, &id, from).await;
            }
            let events_before = status_events(&app, &id).len();

            let response = patch_lead_as(&app, &writer, &id, &json!({"status": to})).await;

            let allowed = from == to || ALLOWED_MOVES.contains(&(from, to));
            let events = status_events(&app, &id);
            if allowed {
                let lead = response.expect_json(StatusCode::OK);
                assert_eq!(lead["status"], to, "{from} -> {to}");
                assert_eq!(stored_lead(&app, &id).status, to, "{from} -> {to}");
                let added = usize::from(from != to);
                assert_eq!(events.len(), events_before + added, "{from} -> {to}");
            } else {
                expect_rejected_move(&response, from, to);
                assert_eq!(stored_lead(&app, &id).status, from, "{from} -> {to}");
                assert_eq!(events.len(), events_before, "{from} -> {to}");
            }
        }
    }
}

#[tokio::test]
async fn admin_reopens_converted_lead() {
    let app = TestApp::spawn().await;
    let writer = writer_key(&app).await;
    let id = create_lead(&app).await;
    for status in ["qualified", "converted"] {
        let response = patch_lead_as(&app, &writer, &id, &json!({"status": status})).await;
        response.expect_json(StatusCode::OK);
    }

    let refused = patch_lead_as(&app, &writer, &id, &json!({"status": "qualified"})).await;
    let reopened = patch_lead(&app, &id, &json!({"status": "qualified"})).await;

    expect_rejected_move(&refused, "converted", "qualified");
    let lead = reopened.expect_json(StatusCode::OK);
    assert_eq!(lead["status"], "qualified");
    assert_eq!(stored_lead(&app, &id).status, "qualified");
    let events = status_events(&app, &id);
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(
        events[2],
        json!({"lead_id": id, "old_status": "converted", "new_status": "qualified", "updated_by": "bootstrap"})
    );
}

#[tokio::test]
async fn admin_scope_allows_any_move() {
    let app = TestApp::spawn().await;
    let (admin, _) = create_api_key(&app, &["admin"]).await;
    let id = create_lead(&app).await;

    for status in ["lost", "new", "converted", "contacted"] {
        let response = patch_lead_as(&app, &admin, &id, &json!({"status": status})).await;
        let lead = response.expect_json(StatusCode::OK);
        assert_eq!(lead["status"], status);
    }
    assert_eq!(status_events(&app, &id).len(), 4);
}

#[tokio::test]
async fn same_status_changes_only_updated_at() {
    let app = TestApp::spawn().await;
    let writer = writer_key(&app).await;
    set_clock(&app, "2025-10-18T10:30:00Z");
    let fresh = create_lead(&app).await;
    let converted = create_lead(&app).await;
    force_status(&app, &converted, "converted").await;
    let counts = daily_counts(&app);
    set_clock(&app, "2025-10-19T08:00:00Z");

    let kept_new = patch_lead_as(&app, &writer, &fresh, &json!({"status": "new"})).await;
    let kept_final =
        patch_lead_as(&app, &writer, &converted, &json!({"status": "converted"})).await;

    let lead = kept_new.expect_json(StatusCode::OK);
    assert_eq!(lead["status"], "new");
    assert_eq!(lead["updated_at"], "2025-10-19T08:00:00Z");
    assert_eq!(lead["created_at"], "2025-10-18T10:30:00Z");
    let lead = kept_final.expect_json(StatusCode::OK);
    assert_eq!(lead["status"], "converted");
    assert_eq!(lead["updated_at"], "2025-10-19T08:00:00Z");
    assert!(status_events(&app, &fresh).is_empty());
    assert_eq!(
        status_events(&app, &converted).len(),
        1,
        "only the forced move"
    );
    assert_eq!(daily_counts(&app), counts);
}

#[tokio::test]
async fn field_edits_are_stored_and_returned() {
    let app = TestApp::spawn().await;
    set_clock(&app, "2025-10-18T10:30:00Z");
    let id = create_lead(&app).await;
    set_clock(&app, "2025-10-18T11:45:07Z");
    let email = unique_email().to_uppercase();
    let body = json!({
        "name": "  Ada King ",
        "email": format!(" {email} "),
        "phone": "+15550001111",
        "company": " Babbage & Co ",
        "notes": "  Call back in May  "
    });

    let response = patch_lead(&app, &id, &body).await;

    let lead = response.expect_json(StatusCode::OK);
    assert_eq!(
        lead,
        json!({
            "id": id,
            "name": "Ada King",
            "email": email,
            "phone": "+15550001111",
            "company": "Babbage & Co",
            "source": "referral",
            "status": "new",
            "notes": "  Call back in May  ",
            "created_at": "2025-10-18T10:30:00Z",
            "updated_at": "2025-10-18T11:45:07Z"
        })
    );
    let read = app.get(&format!("/api/leads/{id}")).send().await;
    assert_eq!(read.expect_json(StatusCode::OK), lead);
    let stored = stored_lead(&app, &id);
    assert_eq!(stored.email, email);
    assert_eq!(stored.updated_at, Some(1_760_787_907));
    assert!(status_events(&app, &id).is_empty());
}

#[tokio::test]
async fn new_email_is_found_by_its_key() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;

    let response = patch_lead(&app, &id, &json!({"email": "Dana.Reyes+crm@GMail.com"})).await;

    response.expect_json(StatusCode::OK);
    let listed = app
        .get("/api/leads?email=danareyes%40gmail.com")
        .send()
        .await
        .expect_json(StatusCode::OK);
    assert_eq!(listed["data"][0]["id"], id, "{listed}");
    assert_eq!(listed["data"][0]["email"], "Dana.Reyes+crm@GMail.com");
}

#[tokio::test]
async fn invalid_fields_are_rejected_together() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;
    let before = stored_lead(&app, &id);
    let body = json!({
        "name": "   ",
        "email": "a..b@example.com",
        "phone": "0123",
        "company": "c".repeat(101),
        "status": "Contacted",
        "notes": "n".repeat(1001)
    });

    let response = patch_lead(&app, &id, &body).await;

    expect_field_errors(
        &response,
        &["name", "email", "phone", "company", "status", "notes"],
    );
    assert_eq!(stored_lead(&app, &id), before);
}

#[tokio::test]
async fn each_invalid_field_is_reported() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;
    let before = stored_lead(&app, &id);
    let cases = [
        ("name", json!(""), "must not be empty"),
        (
            "name",
            json!("n".repeat(101)),
            "must be at most 100 characters",
        ),
        ("name", json!(5), "must be a string"),
        (
            "email",
            json!("not-an-email"),
            "must be a valid email address",
        ),
        (
            "phone",
            json!("12 34"),
            "must be 2 to 15 digits (0-9) with an optional leading +, and must not start with 0",
        ),
        ("company", json!("  "), "must not be empty"),
        (
            "company",
            json!("c".repeat(101)),
            "must be at most 100 characters",
        ),
        (
            "notes",
            json!("n".repeat(1001)),
            "must be at most 1000 characters",
        ),
        ("status", json!("Qualified"), INVALID_STATUS),
        ("status", json!("archived"), INVALID_STATUS),
        ("status", json!(["new"]), "must be a string"),
    ];

    for (field, value, message) in cases {
        let response = patch_lead(&app, &id, &json!({ field: value })).await;
        expect_field_error(&response, field, message);
    }
    assert_eq!(stored_lead(&app, &id), before);
}

#[tokio::test]
async fn null_clears_optional_fields() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;

    let response = patch_lead(
        &app,
        &id,
        &json!({"phone": null, "company": null, "notes": null}),
    )
    .await;

    let lead = response.expect_json(StatusCode::OK);
    for field in ["phone", "company", "notes"] {
        assert!(lead.get(field).is_none(), "{field} is left out: {lead}");
    }
    let stored = stored_lead(&app, &id);
    assert_eq!(stored.phone, None);
    assert_eq!(stored.company, None);
    assert_eq!(stored.notes, None);
    assert_eq!(stored.name, "Ada Lovelace");
}

#[tokio::test]
async fn null_required_fields_are_rejected() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;
    let before = stored_lead(&app, &id);

    let response = patch_lead(
        &app,
        &id,
        &json!({"name": null, "email": null, "status": null}),
    )
    .await;

    expect_field_errors(&response, &["name", "email", "status"]);
    let details = response.json()["error"]["details"].clone();
    for detail in details.as_array().expect("details") {
        assert_eq!(detail["message"], "must not be null", "{detail}");
    }
    assert_eq!(stored_lead(&app, &id), before);
}

#[tokio::test]
async fn fixed_and_unknown_fields_are_rejected() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;
    let before = stored_lead(&app, &id);
    let body = json!({
        "name": "Ada King",
        "id": "lead_0000000000000000000000",
        "source": "email",
        "created_at": "2025-10-18T10:30:00Z",
        "updated_at": "2025-10-18T10:30:00Z",
        "priority": "high"
    });

    let response = patch_lead(&app, &id, &body).await;

    expect_field_errors(
        &response,
        &["id", "source", "created_at", "updated_at", "priority"],
    );
    let details = response.json()["error"]["details"].clone();
    let source = details
        .as_array()
        .expect("details")
        .iter()
        .find(|detail| detail["field"] == "source")
        .cloned()
        .expect("a detail for source");
    assert_eq!(
        source["message"],
        "cannot be changed after the lead is created"
    );
    assert_eq!(stored_lead(&app, &id), before);
}

#[tokio::test]
async fn empty_and_non_object_bodies_are_rejected() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;

    let empty = patch_lead(&app, &id, &json!({})).await;
    let array = patch_lead(&app, &id, &json!([{"status": "lost"}])).await;

    expect_field_error(
        &empty,
        "body",
        "must contain at least one of: name, email, phone, company, status, notes",
    );
    expect_field_error(&array, "body", "must be a JSON object");
    assert_eq!(stored_lead(&app, &id).updated_at, None);
}

#[tokio::test]
async fn malformed_json_is_bad_request() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;
    let path = format!("/api/leads/{id}");
    let bodies: [&[u8]; 5] = [
        b"",
        b"{\"status\": }",
        b"{\"status\": \"lost\",}",
        b"{\"status\": \"lost\", \"status\": \"new\"}",
        b"{\"name\": \"\xff\"}",
    ];

    for body in bodies {
        let response = app
            .request(Method::PATCH, &path)
            .json_bytes(body.to_vec())
            .send()
            .await;
        response.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
    }
    let text = app
        .request(Method::PATCH, &path)
        .header("content-type", "text/plain")
        .body(r#"{"status": "lost"}"#)
        .send()
        .await;
    text.expect_plain_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(stored_lead(&app, &id).status, "new");
}

#[tokio::test]
async fn email_of_other_lead_conflicts() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;
    let other = expect_created_id(
        &post_lead(
            &app,
            &json!({"name": "Dana Reyes", "email": "dana.reyes@gmail.com", "source": "email"}),
        )
        .await,
    );
    let before = stored_lead(&app, &id);
    let counts = daily_counts(&app);

    for email in [
        "dana.reyes@gmail.com",
        "Dana.Reyes@GMAIL.com",
        "danareyes+crm@googlemail.com",
    ] {
        let body = json!({"email": email, "status": "contacted", "name": "Changed"});
        let response = patch_lead(&app, &id, &body).await;
        expect_duplicate(&response, &other);
    }
    assert_eq!(stored_lead(&app, &id), before);
    assert!(status_events(&app, &id).is_empty());
    assert_eq!(daily_counts(&app), counts);
}

#[tokio::test]
async fn conflict_matches_post_duplicate() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;
    let email = unique_email();
    let body = json!({"name": "Grace Hopper", "email": email, "source": "website"});
    expect_created_id(&post_lead(&app, &body).await);

    let posted = post_lead(&app, &body).await;
    let patched = patch_lead(&app, &id, &json!({"email": email})).await;

    let posted = posted.expect_error(StatusCode::CONFLICT, "CONFLICT");
    let patched = patched.expect_error(StatusCode::CONFLICT, "CONFLICT");
    assert_eq!(patched["message"], posted["message"]);
    assert_eq!(patched["details"], posted["details"]);
}

#[tokio::test]
async fn own_email_in_other_spelling_is_allowed() {
    let app = TestApp::spawn().await;
    let id = expect_created_id(
        &post_lead(
            &app,
            &json!({"name": "Dana Reyes", "email": "dana.reyes@gmail.com", "source": "email"}),
        )
        .await,
    );

    let response = patch_lead(
        &app,
        &id,
        &json!({"email": "DanaReyes+Work@Googlemail.com"}),
    )
    .await;

    let lead = response.expect_json(StatusCode::OK);
    assert_eq!(lead["email"], "DanaReyes+Work@Googlemail.com");
    assert_eq!(
        stored_lead(&app, &id).email,
        "DanaReyes+Work@Googlemail.com"
    );
}

#[tokio::test]
async fn erased_lead_email_is_free() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;
    let email = unique_email();
    let erased = expect_created_id(
        &post_lead(
            &app,
            &json!({"name": "Grace Hopper", "email": email, "source": "website"}),
        )
        .await,
    );
    let deleted = app.delete(&format!("/api/leads/{erased}")).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());

    let response = patch_lead(&app, &id, &json!({"email": email})).await;

    let lead = response.expect_json(StatusCode::OK);
    assert_eq!(lead["email"], email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_email_changes_keep_keys_unique() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(create_lead(&app).await);
    }
    let body = json!({"email": "shared@example.com"});

    let mut requests = JoinSet::new();
    for id in &ids {
        let request = app
            .request(Method::PATCH, &format!("/api/leads/{id}"))
            .json(&body);
        requests.spawn(request.send());
    }
    let mut responses = Vec::new();
    while let Some(response) = requests.join_next().await {
        responses.push(response.expect("request task"));
    }

    let winners: Vec<Value> = responses
        .iter()
        .filter(|response| response.status == StatusCode::OK)
        .map(|response| response.json())
        .collect();
    assert_eq!(winners.len(), 1, "one lead gets the address");
    let winner = winners[0]["id"].as_str().expect("an id").to_string();
    for response in responses
        .iter()
        .filter(|response| response.status != StatusCode::OK)
    {
        expect_duplicate(response, &winner);
    }
    let holders: i64 = app
        .db()
        .query_row(
            "SELECT COUNT(*) FROM leads WHERE email_key = 'shared@example.com'",
            [],
            |row| row.get(0),
        )
        .expect("count the holders");
    assert_eq!(holders, 1);
}

#[tokio::test]
async fn unknown_and_erased_leads_are_not_found() {
    let app = TestApp::spawn().await;
    let erased = create_lead(&app).await;
    let deleted = app.delete(&format!("/api/leads/{erased}")).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    let body = json!({"status": "contacted", "name": "Someone"});

    for id in [erased.as_str(), "lead_0000000000000000000000"] {
        let response = patch_lead(&app, id, &body).await;
        let error = response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
        assert_eq!(error["message"], format!("Lead '{id}' not found"));
    }
    assert!(status_events(&app, &erased).is_empty());
    let name: Option<String> = app
        .db()
        .query_row("SELECT name FROM leads WHERE id = ?1", [&erased], |row| {
            row.get(0)
        })
        .expect("the erased row");
    assert_eq!(name, None);
}

#[tokio::test]
async fn malformed_id_matches_get() {
    let app = TestApp::spawn().await;
    let malformed = [
        "not-a-lead",
        "lead_",
        "LEAD_abcdefghijklmnop",
        "lead_abc-def",
        "lead_abc%20def",
        "lead_%F0%9F%98%80",
        &format!("lead_{}", "a".repeat(5000)),
    ];

    for id in malformed {
        let path = format!("/api/leads/{id}");
        let patched = app
            .request(Method::PATCH, &path)
            .json(&json!({"status": "lost"}))
            .send()
            .await;
        let read = app.get(&path).send().await;

        let patched = patched.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
        let read = read.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
        assert_eq!(patched["message"], read["message"], "{id}");
    }
}

#[tokio::test]
async fn query_parameters_are_rejected() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;

    let response = app
        .request(Method::PATCH, &format!("/api/leads/{id}?notify=true"))
        .json(&json!({"status": "lost"}))
        .send()
        .await;

    expect_field_error(&response, "notify", "unknown query parameter");
    assert_eq!(stored_lead(&app, &id).status, "new");
}

#[tokio::test]
async fn idempotency_key_is_ignored() {
    let app = TestApp::spawn().await;
    let id = create_lead(&app).await;
    let path = format!("/api/leads/{id}");

    for (key, name) in [
        ("k1", "First"),
        ("k1", "Second"),
        ("not a valid key", "Third"),
    ] {
        let response = app
            .request(Method::PATCH, &path)
            .header("idempotency-key", key)
            .json(&json!({"name": name}))
            .send()
            .await;
        let lead = response.expect_json(StatusCode::OK);
        assert_eq!(lead["name"], name);
        assert!(response.header("idempotent-replayed").is_none());
    }
    assert_eq!(stored_lead(&app, &id).name, "Third");
}

#[tokio::test]
async fn credentials_and_scope_are_checked() {
    let app = jwt_app(&[]).await;
    let id = create_lead(&app).await;
    let (reader, _) = create_api_key(&app, &["read:leads"]).await;
    let token = Token::valid(NOW)
        .claim("scope", json!(["read:leads"]))
        .encode();
    let path = format!("/api/leads/{id}");
    let body = json!({"status": "lost"});

    let anonymous = app
        .request(Method::PATCH, &path)
        .without_credentials()
        .json(&body)
        .send()
        .await;
    let read_token = app
        .request(Method::PATCH, &path)
        .bearer(&token)
        .json(&body)
        .send()
        .await;
    let read_key = patch_lead_as(&app, &reader, &id, &body).await;

    anonymous.expect_unauthorized();
    read_token.expect_forbidden();
    read_key.expect_forbidden();
    assert_eq!(stored_lead(&app, &id).status, "new");
    assert!(status_events(&app, &id).is_empty());
}

#[tokio::test]
async fn admin_role_in_token_allows_any_move() {
    let app = jwt_app(&[]).await;
    let id = create_lead(&app).await;
    force_status(&app, &id, "lost").await;
    let writer = Token::valid(NOW).encode();
    let admin = Token::valid(NOW).claim("role", json!("admin")).encode();
    let path = format!("/api/leads/{id}");
    let body = json!({"status": "new"});

    let refused = app
        .request(Method::PATCH, &path)
        .bearer(&writer)
        .json(&body)
        .send()
        .await;
    let reopened = app
        .request(Method::PATCH, &path)
        .bearer(&admin)
        .json(&body)
        .send()
        .await;

    expect_rejected_move(&refused, "lost", "new");
    assert_eq!(reopened.expect_json(StatusCode::OK)["status"], "new");
}

#[tokio::test]
async fn allow_lists_patch() {
    let app = TestApp::spawn().await;
    let path = "/api/leads/lead_abcdefghijklmnop";

    let options = app.request(Method::OPTIONS, path).send().await;
    let put = app.request(Method::PUT, path).send().await;
    let collection = app.request(Method::PATCH, "/api/leads").send().await;

    assert_eq!(options.status, StatusCode::OK);
    assert_eq!(
        options.header("allow"),
        Some("GET, HEAD, PATCH, DELETE, OPTIONS")
    );
    put.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    collection.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    assert_eq!(collection.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
}

#[tokio::test]
async fn status_event_names_token_subject() {
    let channel = unique_channel("lead-updates");
    let subscriber = Subscriber::start(LOCAL_REDIS, &channel).await;
    let pem = public_key_pem(&keys().primary);
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[("jwt_public_keys", &pem)]).await;
    app.clock().set(Duration::from_secs(NOW as u64));
    let id = create_lead(&app).await;
    let token = Token::valid(NOW).encode();

    let response = app
        .request(Method::PATCH, &format!("/api/leads/{id}"))
        .bearer(&token)
        .json(&json!({"status": "contacted"}))
        .send()
        .await;

    let lead = response.expect_json(StatusCode::OK);
    let messages = subscriber.wait_for(2, || async {}).await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    let event: Value = serde_json::from_str(&messages[1]).expect("the message is JSON");
    let expected = format!(
        r#"{{"id":"{}","event":"lead.status_updated","timestamp":"{}","data":{{"lead_id":"{id}","old_status":"new","new_status":"contacted","updated_by":"{SUBJECT}"}}}}"#,
        event["id"].as_str().unwrap_or_default(),
        lead["updated_at"].as_str().unwrap_or_default(),
    );
    assert_eq!(messages[1], expected, "compact JSON with keys in order");
}

#[tokio::test]
async fn status_event_names_api_key_id() {
    let channel = unique_channel("lead-updates");
    let subscriber = Subscriber::start(LOCAL_REDIS, &channel).await;
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[]).await;
    let (key, key_id) = create_api_key(&app, &["write:leads"]).await;
    let id = create_lead(&app).await;

    let edited = patch_lead_as(&app, &key, &id, &json!({"notes": "No status change"})).await;
    let moved = patch_lead_as(&app, &key, &id, &json!({"status": "lost"})).await;

    edited.expect_json(StatusCode::OK);
    moved.expect_json(StatusCode::OK);
    subscriber.wait_for(2, || async {}).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let events = subscriber.events();
    assert_eq!(events.len(), 2, "created and one status event: {events:?}");
    assert_eq!(events[0]["event"], "lead.created");
    assert_eq!(events[1]["event"], "lead.status_updated");
    assert_eq!(
        events[1]["data"],
        json!({"lead_id": id, "old_status": "new", "new_status": "lost", "updated_by": key_id})
    );
}

#[tokio::test]
async fn analytics_counts_follow_status() {
    let app = analytics_app().await;
    set_clock(&app, "2024-02-29T10:00:00Z");
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(create_lead(&app).await);
    }
    set_clock(&app, "2024-03-05T09:00:00Z");

    for (id, status) in ids.iter().zip(["contacted", "converted", "lost"]) {
        let response = patch_lead(&app, id, &json!({"status": status})).await;
        response.expect_json(StatusCode::OK);
    }
    force_status(&app, &ids[1], "qualified").await;

    let report = get_report(&app, "date_from=2024-02-29&date_to=2024-02-29").await;
    assert_eq!(
        report["leads_by_status"],
        json!({"new": 1, "contacted": 1, "qualified": 1, "lost": 1})
    );
    assert_eq!(report["leads_by_source"], json!({"referral": 4}));
    assert_eq!(report["total_leads"], 4);
    assert_eq!(report, recounted_report(&app, "2024-02-29", "2024-02-29"));
    expect_no_drift(&app, 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_moves_stay_consistent() {
    let app = analytics_app().await;
    set_clock(&app, "2024-06-15T12:00:00Z");
    let writer = writer_key(&app).await;
    let ids = [
        create_lead(&app).await,
        create_lead(&app).await,
        create_lead(&app).await,
    ];

    for id in &ids {
        let mut requests = JoinSet::new();
        for index in 0..16 {
            let status = if index % 2 == 0 {
                "contacted"
            } else {
                "qualified"
            };
            let request = app
                .request(Method::PATCH, &format!("/api/leads/{id}"))
                .api_key(&writer)
                .json(&json!({"status": status}));
            requests.spawn(async move { (status, request.send().await) });
        }
        let mut moved = BTreeSet::new();
        while let Some(outcome) = requests.join_next().await {
            let (status, response) = outcome.expect("request task");
            if response.status == StatusCode::OK {
                assert_eq!(response.json()["status"], status);
                moved.insert(status);
            } else {
                assert_eq!(status, "contacted", "only a move back can fail");
                expect_rejected_move(&response, "qualified", "contacted");
            }
        }

        assert!(
            moved.contains("qualified"),
            "every move to qualified succeeds"
        );
        assert_eq!(stored_lead(&app, id).status, "qualified");
        let events = status_events(&app, id);
        let chain: Vec<(&str, &str)> = events
            .iter()
            .map(|data| {
                (
                    data["old_status"].as_str().unwrap_or_default(),
                    data["new_status"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        let expected_chain = if moved.contains("contacted") {
            vec![("new", "contacted"), ("contacted", "qualified")]
        } else {
            vec![("new", "qualified")]
        };
        assert_eq!(chain, expected_chain, "{id}");
    }

    let report = get_report(&app, "date_from=2024-06-15&date_to=2024-06-15").await;
    assert_eq!(report["leads_by_status"], json!({"qualified": 3}));
    assert_eq!(report, recounted_report(&app, "2024-06-15", "2024-06-15"));
    expect_no_drift(&app, 3).await;
}
