//! The daily counts behind the analytics stay equal to a full recount of
//! the leads: under concurrent writes, after erasure, after the migration
//! that creates them on a database with leads, and `POST
//! /api/admin/analytics/rebuild` finds and repairs drift.

use crate::analytics_support::{
    REBUILD, analytics_app, generate_leads, get_report, post_lead_at, recounted_report, set_clock,
};
use crate::fixtures::minimal_lead;
use crate::support::TestApp;
use cloudvelous_storage::MIGRATIONS;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tokio::task::JoinSet;

/// Sends `POST /api/admin/analytics/rebuild`, asserts a `200` with exactly
/// `leads_counted`, `rows_corrected` and `corrections`, and returns it.
async fn rebuild(app: &TestApp) -> Value {
    let response = app.post(REBUILD).send().await;
    let body = response.expect_json(StatusCode::OK);
    let keys: BTreeSet<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["corrections", "leads_counted", "rows_corrected"]),
        "{body}"
    );
    body
}

/// Asserts a rebuild that found every count equal to the recount.
async fn expect_no_drift(app: &TestApp, leads: u64) {
    let body = rebuild(app).await;
    assert_eq!(
        body,
        json!({"leads_counted": leads, "rows_corrected": 0, "corrections": []})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_leave_no_drift() {
    let app = analytics_app().await;
    set_clock(&app, "2024-06-15T12:00:00Z");
    let mut requests = JoinSet::new();
    for _ in 0..24 {
        requests.spawn(app.post("/api/leads").json(&minimal_lead()).send());
    }
    for _ in 0..3 {
        let body = json!({"count": 20});
        requests.spawn(app.post("/api/test/generate-leads").json(&body).send());
    }

    let mut created = 0;
    while let Some(response) = requests.join_next().await {
        let response = response.expect("request task");
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        created += response.json()["created"].as_u64().unwrap_or(1);
    }

    assert_eq!(created, 84);
    expect_no_drift(&app, 84).await;
    let report = get_report(&app, "").await;
    assert_eq!(report["total_leads"], 84);
    assert_eq!(report, recounted_report(&app, "2024-05-17", "2024-06-15"));
}

#[tokio::test]
async fn rebuild_repairs_drifted_counts() {
    let app = analytics_app().await;
    post_lead_at(&app, "2024-02-29T10:00:00Z", "website").await;
    post_lead_at(&app, "2024-02-29T11:00:00Z", "website").await;
    post_lead_at(&app, "2024-03-01T00:00:00Z", "email").await;
    // Days count from 1970-01-01: 19000 is 2022-01-08, 19782 is 2024-02-29
    // and 19783 is 2024-03-01.
    let connection = app.db();
    let tamper = [
        "UPDATE lead_daily_counts SET count = count + 5 \
         WHERE day = 19782 AND source = 'website' AND status = 'new'",
        "DELETE FROM lead_daily_counts WHERE day = 19783",
        "INSERT INTO lead_daily_counts (day, source, status, count) VALUES (19000, 'phone', 'lost', 4)",
    ];
    for statement in tamper {
        connection.execute(statement, []).expect(statement);
    }

    let body = rebuild(&app).await;

    assert_eq!(
        body,
        json!({
            "leads_counted": 3,
            "rows_corrected": 3,
            "corrections": [
                {"date": "2022-01-08", "source": "phone", "status": "lost", "stored": 4, "recounted": 0},
                {"date": "2024-02-29", "source": "website", "status": "new", "stored": 7, "recounted": 2},
                {"date": "2024-03-01", "source": "email", "status": "new", "stored": 0, "recounted": 1},
            ],
        })
    );
    expect_no_drift(&app, 3).await;
    let report = get_report(&app, "date_from=2024-02-29&date_to=2024-03-01").await;
    assert_eq!(report, recounted_report(&app, "2024-02-29", "2024-03-01"));
}

#[tokio::test]
async fn erased_leads_stay_counted() {
    let app = analytics_app().await;
    let id = post_lead_at(&app, "2024-02-29T10:00:00Z", "referral").await;
    post_lead_at(&app, "2024-02-29T11:00:00Z", "referral").await;
    let before = get_report(&app, "date_from=2024-02-29&date_to=2024-02-29").await;

    let deleted = app.delete(&format!("/api/leads/{id}")).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    let erased: Option<String> = app
        .db()
        .query_row("SELECT name FROM leads WHERE id = ?1", [&id], |row| {
            row.get(0)
        })
        .expect("the erased lead keeps its row");
    assert_eq!(erased, None);

    let after = get_report(&app, "date_from=2024-02-29&date_to=2024-02-29").await;
    assert_eq!(after, before);
    assert_eq!(after["total_leads"], 2);
    expect_no_drift(&app, 2).await;
}

#[tokio::test]
async fn migration_backfills_existing_leads() {
    let app = analytics_app().await;
    let path = app.sqlite_path("default").expect("default database");
    let connection = rusqlite::Connection::open(&path).expect("create the database");
    let earlier = MIGRATIONS
        .iter()
        .take_while(|migration| {
            !migration
                .statements
                .iter()
                .any(|statement| statement.contains("lead_daily_counts"))
        })
        .collect::<Vec<_>>();
    for migration in &earlier {
        for statement in migration.statements {
            connection.execute(statement, []).expect(statement);
        }
    }
    let version = earlier.last().expect("earlier migrations").version;
    connection
        .pragma_update(None, "user_version", version)
        .expect("set the schema version");
    let leads = [
        ("lead_backfill0000000001", "website", "new", 1_709_164_799),
        (
            "lead_backfill0000000002",
            "website",
            "converted",
            1_709_164_800,
        ),
        ("lead_backfill0000000003", "phone", "lost", 1_709_251_199),
        (
            "lead_backfill0000000004",
            "social",
            "qualified",
            1_709_251_200,
        ),
    ];
    for (id, source, status, created_at) in leads {
        connection
            .execute(
                "INSERT INTO leads (id, name, email, email_key, source, status, created_at) \
                 VALUES (?1, 'Existing Lead', ?2, ?2, ?3, ?4, ?5)",
                rusqlite::params![id, format!("{id}@example.com"), source, status, created_at],
            )
            .expect("insert an existing lead");
    }
    drop(connection);

    let report = get_report(&app, "date_from=2024-02-28&date_to=2024-03-01").await;

    assert_eq!(
        report,
        json!({
            "total_leads": 4,
            "conversion_rate": 0.25,
            "leads_by_source": {"website": 2, "social": 1, "phone": 1},
            "leads_by_status": {"new": 1, "qualified": 1, "converted": 1, "lost": 1},
            "trends": {"daily": [
                {"date": "2024-02-28", "count": 1},
                {"date": "2024-02-29", "count": 2},
                {"date": "2024-03-01", "count": 1},
            ]},
        })
    );
    expect_no_drift(&app, 4).await;
}

#[tokio::test]
async fn generated_status_changes_leave_no_drift() {
    let app = analytics_app().await;
    set_clock(&app, "2024-06-15T12:00:00Z");
    let ids = generate_leads(&app, json!({"count": 100})).await;

    assert_eq!(ids.len(), 100);
    expect_no_drift(&app, 100).await;
}

#[tokio::test]
async fn rebuild_needs_admin_scope() {
    let app = analytics_app().await;
    let created = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "analyst", "scopes": ["read:analytics", "write:analytics"]}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);
    let key = created["key"].as_str().expect("key");

    app.post(REBUILD)
        .api_key(key)
        .send()
        .await
        .expect_forbidden();
    app.post(REBUILD)
        .without_credentials()
        .send()
        .await
        .expect_unauthorized();

    let options = app.request(Method::OPTIONS, REBUILD).send().await;
    assert_eq!(options.status, StatusCode::OK);
    let expected: BTreeSet<String> = ["POST", "OPTIONS"].map(String::from).into();
    assert_eq!(options.allowed_methods(), expected);
    let get = app.get(REBUILD).send().await;
    get.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
}
