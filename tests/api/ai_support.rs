//! Apps, requests and checks shared by the tests of the AI routes and the
//! sentiment report.

use crate::assertions::key_set;
use crate::support::{TestApp, TestResponse};
use http::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Text of the API document's `POST /api/analyze` example.
pub const DOCUMENT_TEXT: &str =
    "I love your product! The pricing is great and support is excellent.";

/// Text of the API document's `POST /api/classify-lead` example.
pub const DOCUMENT_LEAD_TEXT: &str = "We're looking for an enterprise solution for 500+ users";

/// AI requests per caller per minute in [`ai_app`]: high enough that no
/// test of other behaviour meets it.
const TEST_AI_RATE_LIMIT: &str = "1000000";

/// Starts an app whose AI rate limit no test of other behaviour reaches.
pub async fn ai_app() -> TestApp {
    TestApp::builder()
        .variable("rate_limit_ai", TEST_AI_RATE_LIMIT)
        .spawn()
        .await
}

/// Sends `body` to `POST /api/analyze`.
pub async fn post_analyze(app: &TestApp, body: &Value) -> TestResponse {
    app.post("/api/analyze").json(body).send().await
}

/// Sends `body` to `POST /api/classify-lead`.
pub async fn post_classify(app: &TestApp, body: &Value) -> TestResponse {
    app.post("/api/classify-lead").json(body).send().await
}

/// Creates an API key with `scopes` through the admin API and returns it.
pub async fn create_api_key(app: &TestApp, scopes: &[&str]) -> String {
    let response = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "ai tests", "scopes": scopes}))
        .send()
        .await;
    let body = response.expect_json(StatusCode::CREATED);
    body["key"].as_str().expect("the new key").to_string()
}

/// Returns the `dur` of the `engine` metric of `Server-Timing` in
/// milliseconds, asserting that the header has exactly that one metric in
/// the form `engine;dur=<digits>.<three digits>`.
pub fn engine_milliseconds(response: &TestResponse) -> f64 {
    let header = response
        .header("server-timing")
        .unwrap_or_else(|| panic!("Server-Timing is missing: {:?}", response.headers));
    let duration = header
        .strip_prefix("engine;dur=")
        .unwrap_or_else(|| panic!("Server-Timing {header:?} is not engine;dur=…"));
    let (whole, fraction) = duration
        .split_once('.')
        .unwrap_or_else(|| panic!("Server-Timing {header:?} has no decimal point"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    assert!(
        digits(whole) && digits(fraction) && fraction.len() == 3,
        "Server-Timing {header:?} is not milliseconds with three decimals"
    );
    duration.parse().expect("a number")
}

/// Asserts a whole `200` analysis of `text` and returns the body. The keys
/// are exactly `sentiment`, `confidence`, `entities` and `summary`, with a
/// known sentiment and a confidence in [0, 1]. Each entity's text is the
/// span of `text` that its offsets point at. The summary has 1 to 200
/// characters, and `Server-Timing` is present.
pub fn expect_analysis(response: &TestResponse, text: &str) -> Value {
    let body = response.expect_json(StatusCode::OK);
    assert_eq!(
        key_set(&body),
        BTreeSet::from(["confidence", "entities", "sentiment", "summary"]),
        "analysis keys: {body}"
    );

    let sentiment = body["sentiment"].as_str().unwrap_or_default();
    assert!(
        ["positive", "negative", "neutral", "mixed"].contains(&sentiment),
        "sentiment: {body}"
    );
    assert_unit_interval(&body["confidence"], "confidence");

    let characters: Vec<char> = text.chars().collect();
    let entities = body["entities"].as_array().expect("entities array");
    for entity in entities {
        expect_entity(entity, &characters);
    }

    let summary = body["summary"].as_str().expect("summary string");
    let length = summary.chars().count();
    assert!(
        (1..=200).contains(&length),
        "summary length {length}: {summary:?}"
    );
    engine_milliseconds(response);
    body
}

/// Asserts one entity's keys, confidence and offsets, and that its text is
/// the span of `characters` from `start` to `end`.
fn expect_entity(entity: &Value, characters: &[char]) {
    assert_eq!(
        key_set(entity),
        BTreeSet::from(["confidence", "end", "start", "text", "type"]),
        "entity keys: {entity}"
    );
    assert_unit_interval(&entity["confidence"], "entity confidence");
    assert!(entity["type"].is_string(), "entity type: {entity}");

    let start = entity["start"].as_u64().expect("start") as usize;
    let end = entity["end"].as_u64().expect("end") as usize;
    assert!(
        start < end && end <= characters.len(),
        "offsets {start}..{end} in {} characters",
        characters.len()
    );
    let span: String = characters[start..end].iter().collect();
    assert_eq!(entity["text"], span, "entity text is its span: {entity}");
}

/// Asserts that `value` is a number from 0 to 1.
pub fn assert_unit_interval(value: &Value, name: &str) {
    let number = value
        .as_f64()
        .unwrap_or_else(|| panic!("{name} is a number: {value}"));
    assert!(
        (0.0..=1.0).contains(&number),
        "{name} {number} is in [0, 1]"
    );
}

/// Returns the `(text, type)` pairs of an analysis's entities.
pub fn entity_pairs(analysis: &Value) -> Vec<(String, String)> {
    analysis["entities"]
        .as_array()
        .expect("entities array")
        .iter()
        .map(|entity| {
            (
                entity["text"].as_str().unwrap_or_default().to_string(),
                entity["type"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}
