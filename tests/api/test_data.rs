//! The test-data routes: absent unless `test_endpoints` is `true`, the
//! document's mock analytics report, and generated leads that are valid,
//! varied, distinct and spread over the last 30 days.

use crate::analytics_support::{analytics_app, assert_matches_schema, generate_leads, set_clock};
use crate::assertions::{key_set, unix_seconds};
use crate::fixtures::{StoredLead, expect_field_errors, is_lead_id, lead_count, stored_lead};
use crate::support::TestApp;
use http::{Method, StatusCode};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

const GENERATE: &str = "/api/test/generate-leads";
const MOCK: &str = "/api/test/mock-analytics";

/// 2024-06-15T12:00:00Z, the clock of the generation tests.
const NOW: &str = "2024-06-15T12:00:00Z";

/// 2024-05-17T00:00:00Z, the start of the 30 UTC days ending at [`NOW`].
const SPREAD_START: i64 = 1_715_904_000;

/// Counts the stored leads of `ids` per value of `field` of the row.
fn count_by(
    app: &TestApp,
    ids: &[String],
    field: fn(&StoredLead) -> String,
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for id in ids {
        *counts.entry(field(&stored_lead(app, id))).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn routes_are_absent_by_default() {
    let app = TestApp::spawn().await;

    for (method, path) in [
        (Method::POST, GENERATE),
        (Method::GET, MOCK),
        (Method::OPTIONS, MOCK),
        (Method::GET, "/api/test"),
    ] {
        let with_key = app
            .request(method.clone(), path)
            .json(&json!({"count": 1}))
            .send()
            .await;
        with_key.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
        let without_key = app.request(method, path).without_credentials().send().await;
        without_key.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    }
}

#[tokio::test]
async fn routes_are_absent_when_disabled_explicitly() {
    let app = TestApp::builder()
        .variable("test_endpoints", "false")
        .spawn()
        .await;

    let response = app.get(MOCK).send().await;

    response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn mock_analytics_is_document_example() {
    let app = analytics_app().await;

    let response = app.get(MOCK).send().await;

    let report = response.expect_json(StatusCode::OK);
    assert_eq!(
        report,
        json!({
            "total_leads": 1000,
            "conversion_rate": 0.12,
            "leads_by_source": {"website": 600, "social": 250, "referral": 150},
        })
    );
    assert_matches_schema(&report);
}

#[tokio::test]
async fn generate_returns_created_ids() {
    let app = analytics_app().await;
    set_clock(&app, NOW);

    let response = app.post(GENERATE).json(&json!({"count": 10})).send().await;

    let body = response.expect_json(StatusCode::CREATED);
    assert_eq!(key_set(&body), BTreeSet::from(["created", "ids"]), "{body}");
    assert_eq!(body["created"], 10);
    let ids: BTreeSet<&str> = body["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_str().expect("id is a string"))
        .collect();
    assert_eq!(ids.len(), 10, "distinct ids: {body}");
    assert!(ids.iter().all(|id| is_lead_id(id)), "{body}");
}

#[tokio::test]
async fn generated_leads_are_valid_and_readable() {
    let app = analytics_app().await;
    set_clock(&app, NOW);
    let ids = generate_leads(&app, json!({"count": 20})).await;

    for id in &ids {
        let response = app.get(&format!("/api/leads/{id}")).send().await;
        let lead = response.expect_json(StatusCode::OK);
        assert_eq!(lead["id"], id.as_str());
        let name = lead["name"].as_str().expect("name");
        assert!((1..=100).contains(&name.chars().count()), "{lead}");
        let email = lead["email"].as_str().expect("email");
        let (_, domain) = email.rsplit_once('@').expect("an email with @");
        let is_example = domain.ends_with(".example.com") || domain.ends_with(".example.net");
        assert!(is_example, "{lead}");
        if let Some(phone) = lead.get("phone") {
            let phone = phone.as_str().expect("phone is a string");
            assert!(phone.starts_with("+1555"), "{lead}");
            assert_eq!(phone.len(), 12, "{lead}");
        }
        let created_at = unix_seconds(lead["created_at"].as_str().expect("created_at"));
        let created_at = created_at.expect("an RFC 3339 time");
        let now = unix_seconds(NOW).expect("NOW");
        assert!((SPREAD_START..=now).contains(&created_at), "{lead}");
    }
}

#[tokio::test]
async fn generated_statuses_follow_mix() {
    let app = analytics_app().await;
    set_clock(&app, NOW);
    let ids = generate_leads(&app, json!({"count": 40})).await;

    let statuses = count_by(&app, &ids, |lead| lead.status.clone());

    let expected = BTreeMap::from(
        [
            ("new", 16),
            ("contacted", 10),
            ("qualified", 6),
            ("converted", 4),
            ("lost", 4),
        ]
        .map(|(status, count)| (status.to_string(), count)),
    );
    assert_eq!(statuses, expected);
    let now = unix_seconds(NOW).expect("NOW");
    for id in &ids {
        let lead = stored_lead(&app, id);
        match lead.updated_at {
            None => assert_eq!(lead.status, "new", "{id}"),
            Some(updated_at) => {
                assert_ne!(lead.status, "new", "{id}");
                assert!(
                    (lead.created_at..=now).contains(&updated_at),
                    "{id}: {lead:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn generate_uses_requested_source() {
    let app = analytics_app().await;
    set_clock(&app, NOW);

    let ids = generate_leads(&app, json!({"count": 15, "source": "phone"})).await;

    let sources = count_by(&app, &ids, |lead| lead.source.clone());
    assert_eq!(sources, BTreeMap::from([("phone".to_string(), 15)]));
}

#[tokio::test]
async fn generate_varies_sources_without_request() {
    let app = analytics_app().await;
    set_clock(&app, NOW);

    let ids = generate_leads(&app, json!({"count": 20})).await;

    let sources = count_by(&app, &ids, |lead| lead.source.clone());
    let expected = BTreeMap::from(
        [
            ("website", 8),
            ("social", 4),
            ("referral", 3),
            ("email", 3),
            ("phone", 2),
        ]
        .map(|(source, count)| (source.to_string(), count)),
    );
    assert_eq!(sources, expected);
}

#[tokio::test]
async fn generate_creates_largest_batch_with_distinct_emails() {
    let app = analytics_app().await;
    set_clock(&app, NOW);

    let first = generate_leads(&app, json!({"count": 1000})).await;
    let second = generate_leads(&app, json!({"count": 1000})).await;

    assert_eq!(first.len(), 1000);
    assert_eq!(second.len(), 1000);
    let connection = app.db();
    let (leads, emails, keys): (i64, i64, i64) = connection
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT lower(email)), COUNT(DISTINCT email_key) FROM leads",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .expect("count emails");
    assert_eq!((leads, emails, keys), (2000, 2000, 2000));
    let names: i64 = connection
        .query_row("SELECT COUNT(DISTINCT name) FROM leads", [], |row| {
            row.get(0)
        })
        .expect("count names");
    assert!(names > 500, "{names} distinct names in 2000 leads");
}

#[tokio::test]
async fn generate_rejects_invalid_bodies() {
    let app = analytics_app().await;
    let cases = [
        (json!({}), vec!["count"]),
        (json!({"count": 0}), vec!["count"]),
        (json!({"count": 1001}), vec!["count"]),
        (json!({"count": -3}), vec!["count"]),
        (json!({"count": 2.5}), vec!["count"]),
        (json!({"count": "10"}), vec!["count"]),
        (json!({"count": null}), vec!["count"]),
        (json!({"count": 5, "source": null}), vec!["source"]),
        (json!({"count": 5, "source": "Website"}), vec!["source"]),
        (json!({"count": 5, "extra": true}), vec!["extra"]),
        (json!([5]), vec!["body"]),
    ];
    for (body, fields) in cases {
        let response = app.post(GENERATE).json(&body).send().await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            response.text()
        );
        expect_field_errors(&response, &fields);
    }

    let not_json = app.post(GENERATE).json_bytes("{\"count\": ").send().await;
    not_json.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
    let text = app
        .post(GENERATE)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await;
    text.expect_plain_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(lead_count(&app), 0);
}

#[tokio::test]
async fn test_routes_need_admin_scope() {
    let app = analytics_app().await;
    let created = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "writer", "scopes": ["write:leads", "read:analytics"]}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);
    let key = created["key"].as_str().expect("key");

    app.post(GENERATE)
        .api_key(key)
        .json(&json!({"count": 1}))
        .send()
        .await
        .expect_forbidden();
    app.get(MOCK).api_key(key).send().await.expect_forbidden();
    app.get(MOCK)
        .without_credentials()
        .send()
        .await
        .expect_unauthorized();
}

#[tokio::test]
async fn test_route_methods() {
    let app = analytics_app().await;

    let options = app.request(Method::OPTIONS, GENERATE).send().await;
    assert_eq!(options.status, StatusCode::OK);
    let expected: BTreeSet<String> = ["POST", "OPTIONS"].map(String::from).into();
    assert_eq!(options.allowed_methods(), expected);
    let get = app.get(GENERATE).send().await;
    get.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");

    let post = app.post(MOCK).send().await;
    post.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    let unknown = app.get("/api/test/unknown").send().await;
    unknown.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}
