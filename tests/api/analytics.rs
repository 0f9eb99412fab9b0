//! `GET /api/analytics/leads`: exact counts over whole UTC days, day
//! boundaries, empty and single-day ranges, the default ranges, status
//! changes, the `422` cases, and the route's credentials and methods. Every
//! `200` report validates against the API document's JSON schema.

use crate::analytics_support::{
    REPORT, analytics_app, generate_leads, get_report, post_lead_at, recounted_report,
    request_report, schema_errors, set_clock,
};
use crate::fixtures::{VALIDATION_MESSAGE, expect_field_errors};
use crate::support::TestApp;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Creates one lead of every source around the leap day 2024-02-29, at the
/// last and first second of days, and one after an empty day.
async fn post_hand_built_leads(app: &TestApp) {
    post_lead_at(app, "2024-02-28T23:59:59Z", "website").await;
    post_lead_at(app, "2024-02-29T00:00:00Z", "social").await;
    post_lead_at(app, "2024-02-29T12:00:00Z", "referral").await;
    post_lead_at(app, "2024-02-29T23:59:59Z", "email").await;
    post_lead_at(app, "2024-03-01T00:00:00Z", "phone").await;
    post_lead_at(app, "2024-03-01T00:00:00Z", "website").await;
    post_lead_at(app, "2024-03-03T08:00:00Z", "website").await;
}

/// Returns daily entries of zero for the first `count` days of January 2023.
fn zero_days_of_january_2023(count: u32) -> Vec<Value> {
    (1..=count)
        .map(|day| json!({"date": format!("2023-01-{day:02}"), "count": 0}))
        .collect()
}

#[test]
fn schema_check_rejects_broken_reports() {
    let valid = json!({
        "total_leads": 2,
        "conversion_rate": 0.5,
        "leads_by_source": {"website": 2},
        "leads_by_status": {"new": 1, "converted": 1},
        "trends": {"daily": [{"date": "2024-02-29", "count": 2}]},
    });
    assert_eq!(schema_errors(&valid), Vec::<String>::new());

    let broken = [
        json!({"conversion_rate": 0.5}),
        json!({"total_leads": -1, "conversion_rate": 0.5}),
        json!({"total_leads": 1.5, "conversion_rate": 0.5}),
        json!({"total_leads": 2, "conversion_rate": 1.5}),
        json!({"total_leads": 2, "conversion_rate": null}),
        json!({"total_leads": 2, "conversion_rate": 0, "leads_by_source": {"website": -2}}),
        json!({"total_leads": 2, "conversion_rate": 0, "trends": {"daily": [{"date": "2024-02-30", "count": 2}]}}),
        json!({"total_leads": 2, "conversion_rate": 0, "trends": {"daily": [{"count": 2}]}}),
    ];
    for report in broken {
        assert!(
            !schema_errors(&report).is_empty(),
            "{report} passed the schema check"
        );
    }
}

#[tokio::test]
async fn report_counts_hand_built_leads() {
    let app = analytics_app().await;
    post_hand_built_leads(&app).await;

    let report = get_report(&app, "date_from=2024-02-28&date_to=2024-03-03").await;

    assert_eq!(
        report,
        json!({
            "total_leads": 7,
            "conversion_rate": 0.0,
            "leads_by_source": {"website": 3, "social": 1, "referral": 1, "email": 1, "phone": 1},
            "leads_by_status": {"new": 7},
            "trends": {"daily": [
                {"date": "2024-02-28", "count": 1},
                {"date": "2024-02-29", "count": 3},
                {"date": "2024-03-01", "count": 2},
                {"date": "2024-03-02", "count": 0},
                {"date": "2024-03-03", "count": 1},
            ]},
        })
    );
}

#[tokio::test]
async fn report_keys_follow_document_order() {
    let app = analytics_app().await;
    post_hand_built_leads(&app).await;

    let response = request_report(&app, "date_from=2024-02-29&date_to=2024-02-29").await;

    let text = response.text();
    let keys = [
        "total_leads",
        "conversion_rate",
        "leads_by_source",
        "leads_by_status",
        "trends",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|key| text.find(&format!("\"{key}\"")).expect(key))
        .collect();
    assert!(positions.is_sorted(), "key order in {text}");
}

#[tokio::test]
async fn single_leap_day_counts_its_own_leads() {
    let app = analytics_app().await;
    post_hand_built_leads(&app).await;

    let report = get_report(&app, "date_from=2024-02-29&date_to=2024-02-29").await;

    assert_eq!(
        report,
        json!({
            "total_leads": 3,
            "conversion_rate": 0.0,
            "leads_by_source": {"social": 1, "referral": 1, "email": 1},
            "leads_by_status": {"new": 3},
            "trends": {"daily": [{"date": "2024-02-29", "count": 3}]},
        })
    );
}

#[tokio::test]
async fn empty_range_reports_zeros() {
    let app = analytics_app().await;
    post_hand_built_leads(&app).await;

    let report = get_report(&app, "date_from=2023-01-01&date_to=2023-01-31").await;

    assert_eq!(
        report,
        json!({
            "total_leads": 0,
            "conversion_rate": 0.0,
            "leads_by_source": {},
            "leads_by_status": {},
            "trends": {"daily": zero_days_of_january_2023(31)},
        })
    );
}

#[tokio::test]
async fn report_on_empty_database_is_zero() {
    let app = analytics_app().await;

    let report = get_report(&app, "date_from=2023-01-01&date_to=2023-01-05").await;

    assert_eq!(report["total_leads"], 0);
    assert_eq!(report["conversion_rate"], 0.0);
    assert_eq!(
        report["trends"]["daily"],
        json!(zero_days_of_january_2023(5))
    );
}

#[tokio::test]
async fn default_range_is_thirty_days_ending_today() {
    let app = analytics_app().await;
    post_lead_at(&app, "2024-01-31T23:59:59Z", "website").await;
    post_lead_at(&app, "2024-02-01T00:00:00Z", "social").await;
    post_lead_at(&app, "2024-03-01T23:59:59Z", "email").await;
    set_clock(&app, "2024-03-01T23:59:59Z");

    let report = get_report(&app, "").await;

    assert_eq!(report["total_leads"], 2);
    assert_eq!(report["leads_by_source"], json!({"social": 1, "email": 1}));
    let daily = report["trends"]["daily"].as_array().expect("daily");
    assert_eq!(daily.len(), 30);
    assert_eq!(daily[0], json!({"date": "2024-02-01", "count": 1}));
    assert_eq!(daily[29], json!({"date": "2024-03-01", "count": 1}));
    assert_eq!(report, recounted_report(&app, "2024-02-01", "2024-03-01"));
}

#[tokio::test]
async fn one_date_spans_thirty_days() {
    let app = analytics_app().await;
    post_hand_built_leads(&app).await;

    let from_only = get_report(&app, "date_from=2024-02-29").await;
    let to_only = get_report(&app, "date_to=2024-02-29").await;

    assert_eq!(
        from_only,
        recounted_report(&app, "2024-02-29", "2024-03-29")
    );
    assert_eq!(from_only["total_leads"], 6);
    assert_eq!(to_only, recounted_report(&app, "2024-01-31", "2024-02-29"));
    assert_eq!(to_only["total_leads"], 4);
}

#[tokio::test]
async fn status_changes_move_counts() {
    let app = analytics_app().await;
    set_clock(&app, "2024-06-15T12:00:00Z");
    let ids = generate_leads(&app, json!({"count": 20, "source": "referral"})).await;
    assert_eq!(ids.len(), 20);

    let report = get_report(&app, "").await;

    assert_eq!(report["total_leads"], 20);
    assert_eq!(report["leads_by_source"], json!({"referral": 20}));
    assert_eq!(
        report["leads_by_status"],
        json!({"new": 8, "contacted": 5, "qualified": 3, "converted": 2, "lost": 2})
    );
    assert_eq!(report["conversion_rate"], 0.1);
    assert_eq!(report, recounted_report(&app, "2024-05-17", "2024-06-15"));
}

#[tokio::test]
async fn report_matches_recount_for_many_ranges() {
    let app = analytics_app().await;
    post_hand_built_leads(&app).await;
    set_clock(&app, "2024-03-20T18:30:00Z");
    generate_leads(&app, json!({"count": 60})).await;

    for (from, to) in [
        ("2024-02-20", "2024-03-20"),
        ("2024-02-29", "2024-02-29"),
        ("2024-03-01", "2024-03-07"),
        ("2023-03-21", "2024-03-20"),
        ("2024-03-21", "2024-04-30"),
    ] {
        let report = get_report(&app, &format!("date_from={from}&date_to={to}")).await;
        assert_eq!(report, recounted_report(&app, from, to), "{from} to {to}");
    }
}

#[tokio::test]
async fn invalid_queries_are_rejected() {
    let app = analytics_app().await;
    let cases: [(&str, &[&str]); 13] = [
        ("date_from=2024-02-30&date_to=2024-03-01", &["date_from"]),
        ("date_from=2023-02-29", &["date_from"]),
        ("date_to=2024-13-01", &["date_to"]),
        ("date_from=2024-1-5", &["date_from"]),
        ("date_from=", &["date_from"]),
        ("date_to", &["date_to"]),
        ("date_from=2024-01-01T00:00:00Z", &["date_from"]),
        ("date_from=2024-03-02&date_to=2024-03-01", &["date_from"]),
        ("date_from=2020-01-01&date_to=2025-01-01", &["date_to"]),
        ("date_from=2024-01-01&date_from=2024-01-02", &["date_from"]),
        ("limit=10", &["limit"]),
        ("Date_From=2024-01-01", &["Date_From"]),
        (
            "date_from=bad&date_to=worse&page=2",
            &["date_from", "date_to", "page"],
        ),
    ];
    for (query, fields) in cases {
        let response = request_report(&app, query).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            response.text()
        );
        expect_field_errors(&response, fields);
    }
}

#[tokio::test]
async fn invalid_date_message_names_format() {
    let app = analytics_app().await;

    let response = request_report(&app, "date_from=2024-02-30").await;

    let error = response.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");
    assert_eq!(error["message"], VALIDATION_MESSAGE);
    assert_eq!(
        error["details"],
        json!([{
            "field": "date_from",
            "message": "must be a date in the form YYYY-MM-DD that exists, such as 2024-01-31",
        }])
    );
}

#[tokio::test]
async fn longest_range_is_accepted() {
    let app = analytics_app().await;
    post_hand_built_leads(&app).await;

    let report = get_report(&app, "date_from=2020-01-01&date_to=2024-12-31").await;

    let daily = report["trends"]["daily"].as_array().expect("daily");
    assert_eq!(daily.len(), 1827);
    assert_eq!(daily[0]["date"], "2020-01-01");
    assert_eq!(daily[1826]["date"], "2024-12-31");
    assert_eq!(report["total_leads"], 7);
}

#[tokio::test]
async fn report_needs_read_analytics_scope() {
    let app = analytics_app().await;

    for (scopes, allowed) in [
        (json!(["read:leads", "write:leads"]), false),
        (json!(["read:analytics"]), true),
        (json!(["write:analytics"]), true),
    ] {
        let created = app
            .post("/api/admin/api-keys")
            .json(&json!({"name": "analyst", "scopes": scopes}))
            .send()
            .await
            .expect_json(StatusCode::CREATED);
        let key = created["key"].as_str().expect("key");

        let response = app.get(REPORT).api_key(key).send().await;

        if allowed {
            assert_eq!(
                response.status,
                StatusCode::OK,
                "{scopes}: {}",
                response.text()
            );
        } else {
            response.expect_forbidden();
        }
    }
    app.get(REPORT)
        .without_credentials()
        .send()
        .await
        .expect_unauthorized();
}

#[tokio::test]
async fn report_spends_analytics_budget() {
    let app = TestApp::builder()
        .variable("rate_limit_analytics", "2")
        .spawn()
        .await;
    set_clock(&app, "2026-01-01T00:00:00Z");

    let first = app.get(REPORT).send().await;
    let second = app.get(REPORT).send().await;
    let third = app.get(REPORT).send().await;

    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    first.expect_rate_headers(2, 1, 60);
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    third.expect_rate_limited(2, 60);
}

#[tokio::test]
async fn report_route_methods() {
    let app = analytics_app().await;

    let options = app.request(Method::OPTIONS, REPORT).send().await;
    assert_eq!(options.status, StatusCode::OK);
    let expected: BTreeSet<String> = ["GET", "HEAD", "OPTIONS"].map(String::from).into();
    assert_eq!(options.allowed_methods(), expected);

    let post = app.post(REPORT).send().await;
    post.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    assert_eq!(post.allowed_methods(), expected);

    let head = app.request(Method::HEAD, REPORT).send().await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty(), "HEAD body: {}", head.text());

    for path in [
        "/api/analytics",
        "/api/analytics/leads/extra",
        "/api/analytics/unknown",
    ] {
        let response = app.get(path).send().await;
        response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    }
}
