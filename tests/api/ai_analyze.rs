//! `POST /api/analyze`: the API document's example, every analysis type,
//! the tones, character offsets and the text-length bounds.

use crate::ai_support::{
    DOCUMENT_TEXT, ai_app, engine_milliseconds, entity_pairs, expect_analysis, post_analyze,
};
use crate::fixtures::expect_field_errors;
use http::StatusCode;
use serde_json::{Value, json};

/// Returns the `(text, type)` pair of an entity, for comparisons.
fn pair(text: &str, kind: &str) -> (String, String) {
    (text.to_string(), kind.to_string())
}

#[tokio::test]
async fn document_example_is_positive_with_typed_entities() {
    let app = ai_app().await;
    let body = json!({"text": DOCUMENT_TEXT, "analysis_type": "sentiment"});

    let response = post_analyze(&app, &body).await;

    let analysis = expect_analysis(&response, DOCUMENT_TEXT);
    assert_eq!(analysis["sentiment"], "positive");
    let confidence = analysis["confidence"].as_f64().unwrap_or_default();
    assert!(confidence >= 0.85, "confidence {confidence}");
    assert_eq!(
        entity_pairs(&analysis),
        [
            pair("product", "product"),
            pair("pricing", "feature"),
            pair("support", "service"),
        ]
    );
    let offsets: Vec<(u64, u64)> = analysis["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entity| {
            (
                entity["start"].as_u64().unwrap(),
                entity["end"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(offsets, [(12, 19), (25, 32), (46, 53)]);
    assert_eq!(
        analysis["summary"],
        "Highly positive feedback about product, pricing, and support"
    );
}

#[tokio::test]
async fn every_analysis_type_returns_full_shape() {
    let app = ai_app().await;
    let without_type = post_analyze(&app, &json!({"text": DOCUMENT_TEXT})).await;
    let expected = expect_analysis(&without_type, DOCUMENT_TEXT);

    for analysis_type in ["sentiment", "entities", "summary", "full"] {
        let body = json!({"text": DOCUMENT_TEXT, "analysis_type": analysis_type});
        let response = post_analyze(&app, &body).await;
        let analysis = expect_analysis(&response, DOCUMENT_TEXT);
        assert_eq!(analysis, expected, "analysis_type {analysis_type}");
    }
}

#[tokio::test]
async fn negative_mixed_and_neutral_tones() {
    let app = ai_app().await;
    let cases = [
        (
            "This is terrible. Your support never answers and the invoices are wrong.",
            "negative",
        ),
        ("The product is great, but the support was awful.", "mixed"),
        ("Call me back on Tuesday about the contract.", "neutral"),
    ];

    for (text, sentiment) in cases {
        let response = post_analyze(&app, &json!({"text": text})).await;
        let analysis = expect_analysis(&response, text);
        assert_eq!(analysis["sentiment"], sentiment, "{text}: {analysis}");
    }
}

#[tokio::test]
async fn offsets_count_unicode_scalar_values() {
    let app = ai_app().await;
    // Two emoji of four UTF-8 bytes and two UTF-16 units each, then a
    // decomposed é (e and a combining accent): 6 scalar values before "I".
    let text = "😀👍 e\u{301} I love your product";

    let response = post_analyze(&app, &json!({"text": text})).await;

    let analysis = expect_analysis(&response, text);
    let product = &analysis["entities"][0];
    assert_eq!(product["text"], "product", "{analysis}");
    assert_eq!(product["start"], 18);
    assert_eq!(product["end"], 25);
}

#[tokio::test]
async fn odd_texts_get_an_analysis() {
    let app = ai_app().await;
    let long_sentence = "The onboarding was slow but the API is good. ".repeat(222);
    let cases = [
        "🙂🙂🙂".to_string(),
        "\u{301}\u{301}\u{301}".to_string(),
        "line one\r\n\tline two\u{0}\u{7}".to_string(),
        "?!…".to_string(),
        "x".to_string(),
        "x".repeat(10_000),
        long_sentence.chars().take(10_000).collect(),
        "مرحبا، نحتاج إلى عرض سعر لـ 200 مستخدم".to_string(),
        "価格表を送ってください".to_string(),
    ];

    for text in cases {
        let response = post_analyze(&app, &json!({"text": text})).await;
        expect_analysis(&response, &text);
    }
}

#[tokio::test]
async fn text_length_bounds() {
    let app = ai_app().await;

    let longest = "é".repeat(10_000);
    let response = post_analyze(&app, &json!({"text": longest})).await;
    expect_analysis(&response, &longest);

    let too_long = "é".repeat(10_001);
    let response = post_analyze(&app, &json!({"text": too_long})).await;
    expect_field_errors(&response, &["text"]);

    for blank in ["", " ", "\n\t  \r\n"] {
        let response = post_analyze(&app, &json!({"text": blank})).await;
        expect_field_errors(&response, &["text"]);
    }
}

#[tokio::test]
async fn longest_escaped_text_fits_the_body_limit() {
    let app = ai_app().await;
    // 10,000 emoji written as JSON surrogate escapes: 12 bytes each, so the
    // body is about 120 KB, over the 64 KiB limit of the lead routes.
    let text = "😀".repeat(10_000);
    let body = format!(r#"{{"text": "{}"}}"#, "\\ud83d\\ude00".repeat(10_000));
    assert!(body.len() > 100_000);

    let response = app.post("/api/analyze").json_bytes(body).send().await;

    let analysis = expect_analysis(&response, &text);
    assert_eq!(analysis["sentiment"], "positive");
}

#[tokio::test]
async fn same_text_gives_same_analysis() {
    let app = ai_app().await;
    let text = "We need SSO and audit logs for 1,200 seats before March 31. Budget is $80k.";

    let first = post_analyze(&app, &json!({"text": text})).await;
    let second = post_analyze(&app, &json!({"text": text})).await;

    assert_eq!(
        expect_analysis(&first, text),
        expect_analysis(&second, text)
    );
}

#[tokio::test]
async fn server_timing_reports_engine_time() {
    let app = ai_app().await;
    let text = "Great product, terrible support. ".repeat(300);

    let response = post_analyze(&app, &json!({"text": text})).await;

    expect_analysis(&response, &text);
    let milliseconds = engine_milliseconds(&response);
    assert!(
        milliseconds > 0.0 && milliseconds < 10_000.0,
        "engine time {milliseconds} ms"
    );
}

#[tokio::test]
async fn errors_carry_no_server_timing() {
    let app = ai_app().await;

    let response = post_analyze(&app, &json!({"text": ""})).await;

    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.header("server-timing"), None);
    let _: Value = response.json();
}
