//! Request bodies that are not valid JSON get `400 BAD_REQUEST`. Invalid
//! UTF-8, lone surrogate escapes, duplicate keys at any depth, nesting deeper
//! than 32 and trailing characters all make a body invalid JSON. Valid JSON
//! that breaks the lead schema gets `422` instead.

use crate::fixtures::{
    expect_created_id, expect_field_errors, minimal_lead, stored_lead, unique_email,
};
use crate::support::TestApp;
use http::StatusCode;

/// Sends `body` as `application/json` to `POST /api/leads` and asserts a
/// `400` envelope without details.
async fn expect_bad_request(app: &TestApp, body: &[u8]) {
    let response = app
        .post("/api/leads")
        .json_bytes(body.to_vec())
        .send()
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "body sent: {:?}; response: {}",
        String::from_utf8_lossy(body),
        response.text()
    );
    response.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
}

/// Builds a valid lead body whose `name` value is replaced by the raw bytes of
/// `name_literal`, which must form the whole JSON string literal.
fn lead_with_raw_name(name_literal: &[u8]) -> Vec<u8> {
    let mut body = b"{\"name\": ".to_vec();
    body.extend_from_slice(name_literal);
    body.extend_from_slice(
        format!(
            ", \"email\": \"{}\", \"source\": \"website\"}}",
            unique_email()
        )
        .as_bytes(),
    );
    body
}

#[tokio::test]
async fn syntax_errors_are_bad_request() {
    let app = TestApp::spawn().await;
    let bodies: [&[u8]; 10] = [
        b"",
        b"   ",
        b"{",
        b"{\"name\": }",
        b"not json",
        b"{'name': 'Ada'}",
        b"{\"name\": \"Ada\",}",
        b"[1,]",
        b"NaN",
        b"{\"name\": \"unterminated}",
    ];

    for body in bodies {
        expect_bad_request(&app, body).await;
    }
}

#[tokio::test]
async fn trailing_characters_are_bad_request() {
    let app = TestApp::spawn().await;
    let lead = minimal_lead().to_string();
    let bodies = [
        format!("{lead} x"),
        format!("{lead}{lead}"),
        format!("{lead} {{}}"),
        format!("{lead},"),
        format!("{lead}\u{0}"),
    ];

    for body in bodies {
        expect_bad_request(&app, body.as_bytes()).await;
    }
}

#[tokio::test]
async fn invalid_utf8_is_bad_request() {
    let app = TestApp::spawn().await;
    let literals: [&[u8]; 5] = [
        b"\"\xff\xfe\"",
        b"\"Ada \xc3\"",
        b"\"\xc0\xaf\"",
        b"\"\xed\xa0\x80\"",
        b"\"\xe6\x97\"",
    ];

    for literal in literals {
        expect_bad_request(&app, &lead_with_raw_name(literal)).await;
    }
}

#[tokio::test]
async fn lone_surrogate_escape_is_bad_request() {
    let app = TestApp::spawn().await;
    let literals: [&[u8]; 4] = [
        br#""\ud800""#,
        br#""\udc00""#,
        br#""Ada \ud83d x""#,
        br#""\ude00\ud83d""#,
    ];

    for literal in literals {
        expect_bad_request(&app, &lead_with_raw_name(literal)).await;
    }

    let in_key = format!(
        r#"{{"name": "Ada", "email": "{}", "source": "website", "\ud800": 1}}"#,
        unique_email()
    );
    expect_bad_request(&app, in_key.as_bytes()).await;
}

#[tokio::test]
async fn surrogate_pair_escape_is_accepted() {
    let app = TestApp::spawn().await;

    let response = app
        .post("/api/leads")
        .json_bytes(lead_with_raw_name(br#""Ada \ud83d\ude00""#))
        .send()
        .await;

    let id = expect_created_id(&response);
    assert_eq!(stored_lead(&app, &id).name, "Ada \u{1F600}");
}

#[tokio::test]
async fn duplicate_top_level_key_is_bad_request() {
    let app = TestApp::spawn().await;
    let (first, second) = (unique_email(), unique_email());
    let bodies = [
        format!(
            r#"{{"name": "Ada", "email": "{first}", "email": "{second}", "source": "website"}}"#
        ),
        format!(
            r#"{{"name": "Ada", "email": "{first}", "source": "website", "source": "website"}}"#
        ),
        format!(r#"{{"name": "Ada", "name": "Ada", "email": "{first}", "source": "website"}}"#),
    ];

    for body in bodies {
        expect_bad_request(&app, body.as_bytes()).await;
    }
}

#[tokio::test]
async fn duplicate_nested_key_is_bad_request() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let bodies = [
        format!(
            r#"{{"name": "Ada", "email": "{email}", "source": "website", "extra": {{"k": 1, "k": 2}}}}"#
        ),
        format!(
            r#"{{"name": "Ada", "email": "{email}", "source": "website", "extra": [{{"a": {{"b": 1, "b": 1}}}}]}}"#
        ),
        r#"[{"name": "Ada", "name": "Bob"}]"#.to_string(),
    ];

    for body in bodies {
        expect_bad_request(&app, body.as_bytes()).await;
    }
}

#[tokio::test]
async fn nesting_deeper_than_32_is_bad_request() {
    let app = TestApp::spawn().await;
    let arrays = format!("{}{}", "[".repeat(33), "]".repeat(33));
    let in_field = format!(
        r#"{{"name": "Ada", "email": "{}", "source": "website", "notes": {}{}}}"#,
        unique_email(),
        "[".repeat(32),
        "]".repeat(32)
    );
    let objects = format!("{}1{}", r#"{"a":"#.repeat(33), "}".repeat(33));

    for body in [arrays, in_field, objects] {
        expect_bad_request(&app, body.as_bytes()).await;
    }
}

#[tokio::test]
async fn very_deep_nesting_is_bad_request() {
    let app = TestApp::spawn().await;
    let depth = 30_000;
    let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));

    expect_bad_request(&app, body.as_bytes()).await;

    let response = app.get("/health").send().await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "the app still serves: {}",
        response.text()
    );
}

#[tokio::test]
async fn nesting_of_32_is_valid_json() {
    let app = TestApp::spawn().await;
    let notes = format!("{}{}", "[".repeat(31), "]".repeat(31));
    let body = format!(
        r#"{{"name": "Ada", "email": "{}", "source": "website", "notes": {notes}}}"#,
        unique_email()
    );

    let response = app.post("/api/leads").json_bytes(body).send().await;

    expect_field_errors(&response, &["notes"]);
}
