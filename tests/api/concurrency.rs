//! Many clients at once: every lead is stored, with no `database is locked`
//! failure, both on a database whose schema exists and on a fresh one where
//! the first requests race to create it.

use crate::fixtures::{expect_created_id, lead_count, minimal_lead, stored_lead};
use crate::support::{TestApp, TestResponse};
use http::StatusCode;
use std::collections::BTreeSet;
use tokio::task::JoinSet;

const CLIENTS: usize = 32;

/// Sends one `POST /api/leads` per client, all at once, and returns the
/// responses.
async fn post_leads_concurrently(app: &TestApp) -> Vec<TestResponse> {
    let mut requests = JoinSet::new();
    for _ in 0..CLIENTS {
        let request = app.post("/api/leads").json(&minimal_lead());
        requests.spawn(request.send());
    }
    let mut responses = Vec::with_capacity(CLIENTS);
    while let Some(response) = requests.join_next().await {
        responses.push(response.expect("request task"));
    }
    responses
}

/// Asserts that every response is a `201` and every lead is stored once.
fn expect_all_stored(app: &TestApp, responses: &[TestResponse]) {
    let mut ids = BTreeSet::new();
    for response in responses {
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        ids.insert(expect_created_id(response));
    }
    assert_eq!(ids.len(), CLIENTS, "distinct ids");
    assert_eq!(lead_count(app), CLIENTS as i64);
    for id in &ids {
        assert_eq!(stored_lead(app, id).status, "new");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_all_succeed() {
    let app = TestApp::spawn().await;
    let warm_up = app.get("/health").send().await;
    assert_eq!(warm_up.status, StatusCode::OK, "{}", warm_up.text());

    let responses = post_leads_concurrently(&app).await;

    expect_all_stored(&app, &responses);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_on_fresh_database_succeed() {
    let app = TestApp::spawn().await;

    let responses = post_leads_concurrently(&app).await;

    expect_all_stored(&app, &responses);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_fresh_health_checks_succeed() {
    let app = TestApp::spawn().await;
    let mut requests = JoinSet::new();
    for _ in 0..CLIENTS {
        requests.spawn(app.get("/health").send());
    }

    while let Some(response) = requests.join_next().await {
        let response = response.expect("request task");
        let body = response.expect_json(StatusCode::OK);
        assert_eq!(body["services"]["database"], "connected", "{body}");
    }
}
