//! `POST /api/classify-lead`: the API document's example, signals, and the
//! evidence a stored lead adds when `lead_id` names one.

use crate::ai_support::{
    DOCUMENT_LEAD_TEXT, ai_app, assert_unit_interval, engine_milliseconds, post_classify,
};
use crate::assertions::key_set;
use crate::fixtures::{expect_created_id, post_lead};
use crate::support::{TestApp, TestResponse};
use http::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Text of a lead that plans to use the product alone.
const PERSONAL_TEXT: &str = "I just want to try it for a personal side project.";

/// Signals that only a stored lead with a free email address, sent by
/// referral, adds.
const STORED_FREE_MAIL_SIGNALS: [&str; 2] = [
    "stored_lead_free_email_domain",
    "stored_lead_referral_source",
];

/// Asserts a whole `200` classification and returns the body. The keys are
/// the API document's plus `signals`, with `lead_id` only when
/// `with_lead_id`. The enums have known values, the confidence lies in
/// [0, 1] and the tags are strings. Signals of `name` and `weight` come in
/// falling order of absolute weight, and `Server-Timing` is present.
fn expect_classification(response: &TestResponse, with_lead_id: bool) -> Value {
    let body = response.expect_json(StatusCode::OK);
    let mut keys = BTreeSet::from([
        "classification",
        "confidence",
        "priority",
        "recommended_action",
        "signals",
        "tags",
    ]);
    if with_lead_id {
        keys.insert("lead_id");
    }
    assert_eq!(key_set(&body), keys, "classification keys: {body}");

    let known = |field: &str, values: &[&str]| {
        let value = body[field].as_str().unwrap_or_default();
        assert!(values.contains(&value), "{field}: {body}");
    };
    known(
        "classification",
        &["enterprise", "mid_market", "smb", "individual"],
    );
    known("priority", &["high", "medium", "low"]);
    known(
        "recommended_action",
        &[
            "schedule_demo",
            "assign_to_sales",
            "send_pricing",
            "nurture",
            "disqualify",
        ],
    );
    assert_unit_interval(&body["confidence"], "confidence");
    let tags = body["tags"].as_array().expect("tags array");
    assert!(tags.iter().all(Value::is_string), "tags: {body}");

    let weights: Vec<f64> = body["signals"]
        .as_array()
        .expect("signals array")
        .iter()
        .map(|signal| {
            assert_eq!(
                key_set(signal),
                BTreeSet::from(["name", "weight"]),
                "signal: {signal}"
            );
            assert!(signal["name"].is_string(), "signal name: {signal}");
            signal["weight"].as_f64().expect("weight is a number")
        })
        .collect();
    assert!(
        weights
            .windows(2)
            .all(|pair| pair[0].abs() >= pair[1].abs()),
        "signals sorted by falling weight: {body}"
    );
    engine_milliseconds(response);
    body
}

/// Returns the signal names of a classification.
fn signal_names(classification: &Value) -> Vec<String> {
    classification["signals"]
        .as_array()
        .expect("signals array")
        .iter()
        .map(|signal| signal["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Returns the tags of a classification.
fn tags(classification: &Value) -> Vec<String> {
    classification["tags"]
        .as_array()
        .expect("tags array")
        .iter()
        .map(|tag| tag.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Stores a lead with a Gmail address, sent by referral, and returns its id.
async fn store_free_mail_lead(app: &TestApp) -> String {
    let lead = json!({"name": "Sam Doe", "email": "sam.doe@gmail.com", "source": "referral"});
    expect_created_id(&post_lead(app, &lead).await)
}

#[tokio::test]
async fn document_example_is_enterprise_high_demo() {
    let app = ai_app().await;
    let body = json!({
        "lead_id": "lead_123456",
        "text_content": DOCUMENT_LEAD_TEXT,
        "context": {"company_size": "large", "industry": "technology"}
    });

    let response = post_classify(&app, &body).await;

    let classification = expect_classification(&response, true);
    assert_eq!(classification["lead_id"], "lead_123456");
    assert_eq!(classification["classification"], "enterprise");
    assert_eq!(classification["priority"], "high");
    assert_eq!(classification["recommended_action"], "schedule_demo");
    let tags = tags(&classification);
    for tag in ["enterprise", "large_company", "high_value"] {
        assert!(tags.contains(&tag.to_string()), "tag {tag}: {tags:?}");
    }
    let signals = signal_names(&classification);
    for signal in [
        "company_size_large",
        "mentions_enterprise",
        "mentions_user_count",
    ] {
        assert!(
            signals.contains(&signal.to_string()),
            "{signal}: {signals:?}"
        );
    }
}

#[tokio::test]
async fn without_lead_id_leaves_key_out() {
    let app = ai_app().await;

    let response = post_classify(&app, &json!({"text_content": "Hello"})).await;

    let classification = expect_classification(&response, false);
    assert_eq!(classification["classification"], "smb");
    assert_eq!(classification["signals"], json!([]));
}

#[tokio::test]
async fn stored_lead_adds_its_signals() {
    let app = ai_app().await;
    let id = store_free_mail_lead(&app).await;

    let response =
        post_classify(&app, &json!({"lead_id": id, "text_content": PERSONAL_TEXT})).await;

    let classification = expect_classification(&response, true);
    assert_eq!(classification["lead_id"], id.as_str());
    assert_eq!(classification["classification"], "individual");
    let signals = signal_names(&classification);
    for signal in STORED_FREE_MAIL_SIGNALS {
        assert!(
            signals.contains(&signal.to_string()),
            "{signal}: {signals:?}"
        );
    }
    let tags = tags(&classification);
    assert!(tags.contains(&"free_email".to_string()), "{tags:?}");
    assert!(tags.contains(&"referral".to_string()), "{tags:?}");
}

#[tokio::test]
async fn stored_company_lead_counts_against_individual() {
    let app = ai_app().await;
    let lead = json!({
        "name": "Ada Byron",
        "email": "ada@analytical-engines.example",
        "company": "Analytical Engines Ltd",
        "source": "website"
    });
    let id = expect_created_id(&post_lead(&app, &lead).await);

    let response =
        post_classify(&app, &json!({"lead_id": id, "text_content": PERSONAL_TEXT})).await;

    let classification = expect_classification(&response, true);
    let weights: Vec<(String, f64)> = classification["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|signal| {
            let name = signal["name"].as_str().unwrap_or_default().to_string();
            (name, signal["weight"].as_f64().unwrap_or_default())
        })
        .collect();
    assert!(
        weights.contains(&("stored_lead_company_email_domain".to_string(), -0.5)),
        "{weights:?}"
    );
    assert!(
        weights.contains(&("stored_lead_has_company".to_string(), -0.5)),
        "{weights:?}"
    );
}

#[tokio::test]
async fn unknown_lead_id_is_echoed_without_stored_signals() {
    let app = ai_app().await;
    let body = json!({"lead_id": "lead_0000000000000000", "text_content": PERSONAL_TEXT});

    let response = post_classify(&app, &body).await;

    let classification = expect_classification(&response, true);
    assert_eq!(classification["lead_id"], "lead_0000000000000000");
    let signals = signal_names(&classification);
    assert!(
        signals.iter().all(|name| !name.starts_with("stored_lead_")),
        "{signals:?}"
    );
    assert!(!tags(&classification).contains(&"free_email".to_string()));
}

#[tokio::test]
async fn deleted_lead_adds_no_signals() {
    let app = ai_app().await;
    let id = store_free_mail_lead(&app).await;
    let deleted = app.delete(&format!("/api/leads/{id}")).send().await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let response =
        post_classify(&app, &json!({"lead_id": id, "text_content": PERSONAL_TEXT})).await;

    let classification = expect_classification(&response, true);
    assert_eq!(classification["lead_id"], id.as_str());
    let signals = signal_names(&classification);
    assert!(
        signals.iter().all(|name| !name.starts_with("stored_lead_")),
        "{signals:?}"
    );
}

#[tokio::test]
async fn context_sizes_decide_the_class() {
    let app = ai_app().await;
    let cases = [
        ("enterprise", "enterprise"),
        ("large", "enterprise"),
        ("medium", "mid_market"),
        ("small", "smb"),
    ];

    for (company_size, class) in cases {
        let body = json!({
            "text_content": "Tell me more about your product.",
            "context": {"company_size": company_size}
        });
        let response = post_classify(&app, &body).await;
        let classification = expect_classification(&response, false);
        assert_eq!(
            classification["classification"], class,
            "company_size {company_size}: {classification}"
        );
    }
}

#[tokio::test]
async fn disqualifying_text_is_low_priority() {
    let app = ai_app().await;
    let body = json!({"text_content": "Please unsubscribe me, not interested."});

    let response = post_classify(&app, &body).await;

    let classification = expect_classification(&response, false);
    assert_eq!(classification["recommended_action"], "disqualify");
    assert_eq!(classification["priority"], "low");
    assert!(tags(&classification).contains(&"disqualified".to_string()));
}
