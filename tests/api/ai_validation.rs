//! Request validation on the AI routes: field errors (`422`), bodies that
//! are not JSON (`400`) or too large (`413`), and other media types
//! (`415`).

use crate::ai_support::{DOCUMENT_TEXT, ai_app, post_analyze, post_classify};
use crate::fixtures::expect_field_errors;
use http::StatusCode;
use serde_json::json;

/// Size limit of a body on the AI routes: 256 KiB.
const AI_BODY_LIMIT: usize = 256 * 1024;

#[tokio::test]
async fn analyze_rejects_invalid_fields() {
    let app = ai_app().await;
    let cases = [
        (json!({}), vec!["text"]),
        (json!({"text": null}), vec!["text"]),
        (json!({"text": 42}), vec!["text"]),
        (json!({"text": ["a"]}), vec!["text"]),
        (
            json!({"text": DOCUMENT_TEXT, "analysis_type": "tone"}),
            vec!["analysis_type"],
        ),
        (
            json!({"text": DOCUMENT_TEXT, "analysis_type": "Full"}),
            vec!["analysis_type"],
        ),
        (
            json!({"text": DOCUMENT_TEXT, "analysis_type": null}),
            vec!["analysis_type"],
        ),
        (
            json!({"text": DOCUMENT_TEXT, "analysis_type": 1}),
            vec!["analysis_type"],
        ),
        (
            json!({"text": DOCUMENT_TEXT, "language": "en"}),
            vec!["language"],
        ),
        (
            json!({"text": "", "analysis_type": "x", "extra": 1}),
            vec!["text", "analysis_type", "extra"],
        ),
        (json!([DOCUMENT_TEXT]), vec!["body"]),
        (json!(DOCUMENT_TEXT), vec!["body"]),
        (json!(null), vec!["body"]),
    ];

    for (body, fields) in cases {
        let response = post_analyze(&app, &body).await;
        expect_field_errors(&response, &fields);
    }
}

#[tokio::test]
async fn classify_rejects_invalid_fields() {
    let app = ai_app().await;
    let text = "We need 40 seats.";
    let cases = [
        (json!({}), vec!["text_content"]),
        (json!({"text": text}), vec!["text_content", "text"]),
        (json!({"text_content": ""}), vec!["text_content"]),
        (
            json!({"text_content": "x".repeat(10_001)}),
            vec!["text_content"],
        ),
        (
            json!({"text_content": text, "lead_id": null}),
            vec!["lead_id"],
        ),
        (
            json!({"text_content": text, "lead_id": 123456}),
            vec!["lead_id"],
        ),
        (
            json!({"text_content": text, "lead_id": "123456"}),
            vec!["lead_id"],
        ),
        (
            json!({"text_content": text, "lead_id": "lead_"}),
            vec!["lead_id"],
        ),
        (
            json!({"text_content": text, "lead_id": "lead_12-34"}),
            vec!["lead_id"],
        ),
        (
            json!({"text_content": text, "lead_id": format!("lead_{}", "a".repeat(60))}),
            vec!["lead_id"],
        ),
        (
            json!({"text_content": text, "context": null}),
            vec!["context"],
        ),
        (
            json!({"text_content": text, "context": "large"}),
            vec!["context"],
        ),
        (
            json!({"text_content": text, "context": {"company_size": "huge"}}),
            vec!["context.company_size"],
        ),
        (
            json!({"text_content": text, "context": {"company_size": "Large"}}),
            vec!["context.company_size"],
        ),
        (
            json!({"text_content": text, "context": {"company_size": null}}),
            vec!["context.company_size"],
        ),
        (
            json!({"text_content": text, "context": {"industry": "  "}}),
            vec!["context.industry"],
        ),
        (
            json!({"text_content": text, "context": {"industry": "x".repeat(101)}}),
            vec!["context.industry"],
        ),
        (
            json!({"text_content": text, "context": {"industry": 7}}),
            vec!["context.industry"],
        ),
        (
            json!({"text_content": text, "context": {"region": "EMEA"}}),
            vec!["context.region"],
        ),
        (
            json!({"text_content": text, "priority": "high", "context": {"size": 1}}),
            vec!["priority", "context.size"],
        ),
    ];

    for (body, fields) in cases {
        let response = post_classify(&app, &body).await;
        expect_field_errors(&response, &fields);
    }
}

#[tokio::test]
async fn classify_accepts_longest_industry_and_lead_id() {
    let app = ai_app().await;
    let body = json!({
        "lead_id": format!("lead_{}", "a".repeat(59)),
        "text_content": "We need 40 seats.",
        "context": {"industry": format!("  {}  ", "x".repeat(100))}
    });

    let response = post_classify(&app, &body).await;

    let classification = response.expect_json(StatusCode::OK);
    assert_eq!(
        classification["lead_id"],
        format!("lead_{}", "a".repeat(59))
    );
}

#[tokio::test]
async fn many_unknown_fields_share_one_detail() {
    let app = ai_app().await;
    let mut body = json!({"text": DOCUMENT_TEXT});
    for index in 0..25 {
        body[format!("field_{index:02}")] = json!(index);
    }

    let response = post_analyze(&app, &body).await;

    let mut fields: Vec<String> = (0..20).map(|index| format!("field_{index:02}")).collect();
    fields.push("body".to_string());
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    expect_field_errors(&response, &fields);
    let error = response.json();
    let last = &error["error"]["details"][20];
    assert_eq!(last["message"], "5 more unknown fields", "{last}");
}

#[tokio::test]
async fn text_error_names_the_limit() {
    let app = ai_app().await;

    let response = post_analyze(&app, &json!({"text": "x".repeat(10_001)})).await;

    expect_field_errors(&response, &["text"]);
    let error = response.json();
    assert_eq!(
        error["error"]["details"][0]["message"],
        "must be at most 10000 characters long, but has 10001"
    );
}

#[tokio::test]
async fn invalid_json_is_bad_request() {
    let app = ai_app().await;
    let bodies: [&[u8]; 4] = [
        b"{\"text\": ",
        b"{\"text\": \"a\", \"text\": \"b\"}",
        b"{\"text\": \"\\ud800\"}",
        b"{\"text\": \"\xff\"}",
    ];

    for body in bodies {
        for path in ["/api/analyze", "/api/classify-lead"] {
            let response = app.post(path).json_bytes(body.to_vec()).send().await;
            response.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
        }
    }
}

#[tokio::test]
async fn other_media_types_are_rejected() {
    let app = ai_app().await;
    let body = json!({"text": DOCUMENT_TEXT}).to_string();

    for path in ["/api/analyze", "/api/classify-lead"] {
        let plain = app
            .post(path)
            .header("content-type", "text/plain")
            .body(body.clone())
            .send()
            .await;
        plain.expect_plain_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");

        let missing = app.post(path).body(body.clone()).send().await;
        missing.expect_plain_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    }
}

#[tokio::test]
async fn bodies_over_256_kib_are_too_large() {
    let app = ai_app().await;
    // Valid JSON one byte over the limit, padded with spaces.
    let text = format!(r#"{{"text": "{DOCUMENT_TEXT}"}}"#);
    let mut over = text.clone().into_bytes();
    over.resize(AI_BODY_LIMIT + 1, b' ');
    let mut at_limit = text.into_bytes();
    at_limit.resize(AI_BODY_LIMIT, b' ');

    let response = app
        .post("/api/analyze")
        .json_bytes(over.clone())
        .send()
        .await;
    response.expect_plain_error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    let response = app.post("/api/classify-lead").json_bytes(over).send().await;
    response.expect_plain_error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");

    let response = app.post("/api/analyze").json_bytes(at_limit).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

#[tokio::test]
async fn classify_accepts_byte_order_mark() {
    let app = ai_app().await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(
        json!({"text_content": "We need 40 seats."})
            .to_string()
            .as_bytes(),
    );

    let response = app.post("/api/classify-lead").json_bytes(body).send().await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}
