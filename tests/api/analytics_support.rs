//! Helpers of the analytics tests: the API document's JSON schema of the
//! report, a recount of the expected report from the stored leads that
//! shares no code with the components, and leads created at a set time.

use crate::fixtures::{expect_created_id, unique_email};
use crate::support::{TestApp, TestResponse};
use http::StatusCode;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use std::time::Duration;

/// Path of the lead report.
pub const REPORT: &str = "/api/analytics/leads";

/// Path of the consistency check of the daily counts.
pub const REBUILD: &str = "/api/admin/analytics/rebuild";

/// Analytics requests per caller per minute in apps of these tests: high
/// enough that no test meets it.
const TEST_ANALYTICS_RATE_LIMIT: &str = "1000000";

/// Starts an app with a high analytics limit and the test-data routes on.
pub async fn analytics_app() -> TestApp {
    TestApp::builder()
        .variable("rate_limit_analytics", TEST_ANALYTICS_RATE_LIMIT)
        .variable("test_endpoints", "true")
        .spawn()
        .await
}

/// Returns the analytics report schema of the API document, as it is
/// written there.
pub fn report_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "total_leads": {"type": "integer", "minimum": 0},
            "conversion_rate": {"type": "number", "minimum": 0, "maximum": 1},
            "leads_by_source": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 0}
            },
            "leads_by_status": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 0}
            },
            "trends": {
                "type": "object",
                "properties": {
                    "daily": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "date": {"type": "string", "format": "date"},
                                "count": {"type": "integer", "minimum": 0}
                            },
                            "required": ["date", "count"]
                        }
                    }
                }
            }
        },
        "required": ["total_leads", "conversion_rate"]
    })
}

/// Returns every error of `report` against [`report_schema`] under draft
/// 7, with the `date` format checked.
pub fn schema_errors(report: &Value) -> Vec<String> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&report_schema())
            .expect("the document's schema compiles")
    });
    validator
        .iter_errors(report)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

/// Asserts that `report` validates against [`report_schema`].
pub fn assert_matches_schema(report: &Value) {
    let errors = schema_errors(report);
    assert!(errors.is_empty(), "schema errors {errors:?} in {report}");
}

/// Sends `GET /api/analytics/leads` with `query` (without `?`) and the
/// default admin key, asserts a `200` whose body validates against the
/// schema, and returns the body.
pub async fn get_report(app: &TestApp, query: &str) -> Value {
    let response = request_report(app, query).await;
    let report = response.expect_json(StatusCode::OK);
    assert_matches_schema(&report);
    report
}

/// Sends `GET /api/analytics/leads` with `query` (without `?`).
pub async fn request_report(app: &TestApp, query: &str) -> TestResponse {
    let path = if query.is_empty() {
        REPORT.to_string()
    } else {
        format!("{REPORT}?{query}")
    };
    app.get(&path).send().await
}

/// Sets the app's clock to `at` (`YYYY-MM-DDTHH:MM:SSZ`).
pub fn set_clock(app: &TestApp, at: &str) {
    let seconds = crate::assertions::unix_seconds(at)
        .unwrap_or_else(|| panic!("{at:?} is not an RFC 3339 UTC time"));
    app.clock().set(Duration::from_secs(
        u64::try_from(seconds).expect("a time after 1970"),
    ));
}

/// Creates a lead from `source` with the clock at `at` and returns its id.
pub async fn post_lead_at(app: &TestApp, at: &str, source: &str) -> String {
    set_clock(app, at);
    let body = json!({"name": "Test Lead", "email": unique_email(), "source": source});
    let response = app.post("/api/leads").json(&body).send().await;
    expect_created_id(&response)
}

/// Sends `POST /api/test/generate-leads` with `body` and returns the ids of
/// the created leads.
pub async fn generate_leads(app: &TestApp, body: Value) -> Vec<String> {
    let response = app
        .post("/api/test/generate-leads")
        .json(&body)
        .send()
        .await;
    let created = response.expect_json(StatusCode::CREATED);
    created["ids"]
        .as_array()
        .unwrap_or_else(|| panic!("ids is not an array: {created}"))
        .iter()
        .map(|id| id.as_str().expect("id is a string").to_string())
        .collect()
}

/// Computes the report of the days from `from` to `to` (`YYYY-MM-DD`,
/// inclusive) from the `leads` table, deleted leads included, with SQLite's
/// date functions.
pub fn recounted_report(app: &TestApp, from: &str, to: &str) -> Value {
    let connection = app.db();
    let mut days = connection
        .prepare(
            "WITH RECURSIVE days(day) AS ( \
                 SELECT ?1 UNION ALL SELECT date(day, '+1 day') FROM days WHERE day < ?2) \
             SELECT day, (SELECT COUNT(*) FROM leads \
                 WHERE date(created_at, 'unixepoch') = day) FROM days",
        )
        .expect("prepare the day recount");
    let daily: Vec<(String, u64)> = days
        .query_map([from, to], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("recount per day")
        .map(|row| row.expect("a day row"))
        .collect();

    let by_source = group_counts(&connection, "source", from, to);
    let by_status = group_counts(&connection, "status", from, to);
    let total: u64 = daily.iter().map(|(_, count)| count).sum();
    let converted = by_status
        .get("converted")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let conversion_rate = if total == 0 {
        0.0
    } else {
        converted as f64 / total as f64
    };
    json!({
        "total_leads": total,
        "conversion_rate": conversion_rate,
        "leads_by_source": by_source,
        "leads_by_status": by_status,
        "trends": {
            "daily": daily
                .iter()
                .map(|(date, count)| json!({"date": date, "count": count}))
                .collect::<Vec<_>>(),
        },
    })
}

/// Counts the leads of the range per value of `column`.
fn group_counts(
    connection: &rusqlite::Connection,
    column: &str,
    from: &str,
    to: &str,
) -> Map<String, Value> {
    let statement = format!(
        "SELECT {column}, COUNT(*) FROM leads \
         WHERE date(created_at, 'unixepoch') BETWEEN ?1 AND ?2 GROUP BY {column}"
    );
    let mut statement = connection.prepare(&statement).expect("prepare the recount");
    statement
        .query_map([from, to], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, u64>(1)?))
        })
        .expect("recount per group")
        .map(|row| row.expect("a group row"))
        .map(|(key, count)| (key, json!(count)))
        .collect()
}
