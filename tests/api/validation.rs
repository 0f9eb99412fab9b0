//! Input rules of `POST /api/leads`, field by field: what is accepted and
//! stored, and what is `422` with one `details` entry naming the field.

use crate::fixtures::{
    expect_created_id, expect_field_errors, lead_with, minimal_lead, post_lead, stored_lead,
    unique_email,
};
use crate::support::TestApp;
use http::StatusCode;
use serde_json::{Value, json};

/// Posts `lead` and asserts `201`; returns the new lead's id.
async fn expect_accepted(app: &TestApp, lead: &Value) -> String {
    let response = post_lead(app, lead).await;
    assert_eq!(
        response.status,
        StatusCode::CREATED,
        "lead {lead}: {}",
        response.text()
    );
    expect_created_id(&response)
}

/// Posts `lead` and asserts a `422` whose only detail names `field`.
async fn expect_rejected(app: &TestApp, lead: &Value, field: &str) {
    let response = post_lead(app, lead).await;
    assert_eq!(
        response.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "lead {lead}: {}",
        response.text()
    );
    expect_field_errors(&response, &[field]);
}

/// Builds an address of exactly `length` characters with a local part of
/// `local_length` characters and domain labels of at most 63 characters.
fn email_of_length(local_length: usize, length: usize) -> String {
    let local = "l".repeat(local_length);
    let mut domain_length = length - local_length - 1 - ".com".len();
    let mut labels = Vec::new();
    while domain_length > 0 {
        // Each further label costs its dot as well.
        let label = domain_length.min(63);
        labels.push("d".repeat(label));
        domain_length = domain_length.saturating_sub(label + 1);
    }
    let email = format!("{local}@{}.com", labels.join("."));
    assert_eq!(email.chars().count(), length, "{email}");
    email
}

#[tokio::test]
async fn email_with_misplaced_dots_is_rejected() {
    let app = TestApp::spawn().await;

    for email in [
        ".a@example.com",
        "a.@example.com",
        "a..b@example.com",
        ".@example.com",
    ] {
        expect_rejected(&app, &lead_with("email", json!(email)), "email").await;
    }
}

#[tokio::test]
async fn malformed_email_is_rejected() {
    let app = TestApp::spawn().await;
    let emails = [
        "",
        "   ",
        "plainaddress",
        "@example.com",
        "a@",
        "a@b@example.com",
        "a b@example.com",
        "a@exa mple.com",
        "a@example..com",
        "a@.example.com",
        "josé@example.com",
    ];

    for email in emails {
        expect_rejected(&app, &lead_with("email", json!(email)), "email").await;
    }
}

#[tokio::test]
async fn quoted_local_part_is_rejected() {
    let app = TestApp::spawn().await;

    for email in [
        r#""john"@example.com"#,
        r#""john doe"@example.com"#,
        r#""a@b"@example.com"#,
    ] {
        expect_rejected(&app, &lead_with("email", json!(email)), "email").await;
    }
}

#[tokio::test]
async fn email_sub_address_is_stored_as_sent() {
    let app = TestApp::spawn().await;

    for email in [
        "ada+crm@example.com",
        "Ada.Lovelace+Q4-2025@Example.COM",
        "o'brien_x!#$%&*/=?^`{|}~@example.com",
    ] {
        let id = expect_accepted(&app, &lead_with("email", json!(email))).await;
        assert_eq!(stored_lead(&app, &id).email, email);
    }
}

#[tokio::test]
async fn email_local_part_limit_is_64() {
    let app = TestApp::spawn().await;
    let at_limit = format!("{}@example.com", "a".repeat(64));
    let over_limit = format!("{}@example.com", "b".repeat(65));

    let id = expect_accepted(&app, &lead_with("email", json!(at_limit))).await;
    assert_eq!(stored_lead(&app, &id).email, at_limit);
    expect_rejected(&app, &lead_with("email", json!(over_limit)), "email").await;
}

#[tokio::test]
async fn email_length_limit_is_254() {
    let app = TestApp::spawn().await;
    let at_limit = email_of_length(64, 254);
    let over_limit = email_of_length(63, 255);

    let id = expect_accepted(&app, &lead_with("email", json!(at_limit))).await;
    assert_eq!(stored_lead(&app, &id).email, at_limit);
    expect_rejected(&app, &lead_with("email", json!(over_limit)), "email").await;
}

#[tokio::test]
async fn email_domain_label_limit_is_63() {
    let app = TestApp::spawn().await;
    let at_limit = format!("ada@{}.com", "x".repeat(63));
    let over_limit = format!("ada@{}.com", "y".repeat(64));

    expect_accepted(&app, &lead_with("email", json!(at_limit))).await;
    expect_rejected(&app, &lead_with("email", json!(over_limit)), "email").await;
}

#[tokio::test]
async fn unicode_and_punycode_domains_are_accepted() {
    let app = TestApp::spawn().await;
    let emails = [
        "ada@bücher.example",
        "bob@xn--bcher-kva.example",
        "carol@例え.jp",
        "dan@пример.рф",
    ];

    for email in emails {
        let id = expect_accepted(&app, &lead_with("email", json!(email))).await;
        assert_eq!(stored_lead(&app, &id).email, email);
    }
}

#[tokio::test]
async fn email_surrounding_whitespace_is_trimmed() {
    let app = TestApp::spawn().await;

    let id = expect_accepted(
        &app,
        &lead_with("email", json!(" \t Padded@Example.com \r\n")),
    )
    .await;

    assert_eq!(stored_lead(&app, &id).email, "Padded@Example.com");
}

#[tokio::test]
async fn name_of_100_multibyte_characters_is_accepted() {
    let app = TestApp::spawn().await;

    for character in ["\u{e9}", "日", "\u{1F600}"] {
        // A name needs a letter or digit, so the emoji case carries one.
        let name = format!("A{}", character.repeat(99));
        let id = expect_accepted(&app, &lead_with("name", json!(name))).await;
        assert_eq!(stored_lead(&app, &id).name, name);
    }

    let padded = format!("  {}  ", "日".repeat(100));
    let id = expect_accepted(&app, &lead_with("name", json!(padded))).await;
    assert_eq!(stored_lead(&app, &id).name, "日".repeat(100));
}

#[tokio::test]
async fn name_of_101_characters_is_rejected() {
    let app = TestApp::spawn().await;

    for character in ["a", "\u{e9}", "日"] {
        expect_rejected(
            &app,
            &lead_with("name", json!(character.repeat(101))),
            "name",
        )
        .await;
    }
}

#[tokio::test]
async fn empty_or_whitespace_name_is_rejected() {
    let app = TestApp::spawn().await;

    for name in ["", " ", "   \t\n  ", "\u{3000}"] {
        expect_rejected(&app, &lead_with("name", json!(name)), "name").await;
    }
}

#[tokio::test]
async fn valid_phone_numbers_are_accepted() {
    let app = TestApp::spawn().await;
    let phones = [
        "+1234567890",
        "12",
        "+12",
        "123456789012345",
        "+123456789012345",
    ];

    for phone in phones {
        let id = expect_accepted(&app, &lead_with("phone", json!(phone))).await;
        assert_eq!(stored_lead(&app, &id).phone.as_deref(), Some(phone));
    }
}

#[tokio::test]
async fn invalid_phone_numbers_are_rejected() {
    let app = TestApp::spawn().await;
    let phones = [
        "",
        "+",
        "1",
        "1234567890123456",
        "+1234567890123456",
        "0123456789",
        "+0123456789",
        "١٢٣٤٥٦٧٨٩",
        "+١٢٣٤٥٦٧٨٩",
        "１２３４５６７８９",
        "+1 234 567 890",
        "+1-234-567-890",
        "(123) 4567890",
        "++1234567890",
        "1234567890 ",
    ];

    for phone in phones {
        expect_rejected(&app, &lead_with("phone", json!(phone)), "phone").await;
    }
}

#[tokio::test]
async fn company_limit_is_100_characters() {
    let app = TestApp::spawn().await;
    let at_limit = "ü".repeat(100);

    let id = expect_accepted(&app, &lead_with("company", json!(at_limit))).await;
    assert_eq!(
        stored_lead(&app, &id).company.as_deref(),
        Some(at_limit.as_str())
    );
    expect_rejected(
        &app,
        &lead_with("company", json!("ü".repeat(101))),
        "company",
    )
    .await;
    expect_rejected(
        &app,
        &lead_with("company", json!("c".repeat(101))),
        "company",
    )
    .await;
}

#[tokio::test]
async fn notes_limit_is_1000_characters() {
    let app = TestApp::spawn().await;
    let at_limit = "日".repeat(1000);

    let id = expect_accepted(&app, &lead_with("notes", json!(at_limit))).await;
    assert_eq!(
        stored_lead(&app, &id).notes.as_deref(),
        Some(at_limit.as_str())
    );
    expect_rejected(&app, &lead_with("notes", json!("日".repeat(1001))), "notes").await;
    expect_rejected(&app, &lead_with("notes", json!("n".repeat(1001))), "notes").await;
}

#[tokio::test]
async fn every_source_is_accepted() {
    let app = TestApp::spawn().await;

    for source in ["website", "social", "referral", "email", "phone"] {
        let id = expect_accepted(&app, &lead_with("source", json!(source))).await;
        assert_eq!(stored_lead(&app, &id).source, source);
    }
}

#[tokio::test]
async fn source_is_case_sensitive() {
    let app = TestApp::spawn().await;

    for source in [
        "Website", "WEBSITE", "web", "", " website", "website ", "other",
    ] {
        expect_rejected(&app, &lead_with("source", json!(source)), "source").await;
    }
}

#[tokio::test]
async fn null_field_is_rejected() {
    let app = TestApp::spawn().await;

    for field in ["name", "email", "phone", "company", "source", "notes"] {
        expect_rejected(&app, &lead_with(field, Value::Null), field).await;
    }
}

#[tokio::test]
async fn non_string_field_is_rejected() {
    let app = TestApp::spawn().await;
    let values = [json!(42), json!(true), json!(["a"]), json!({"value": "a"})];

    for field in ["name", "email", "phone", "company", "source", "notes"] {
        for value in &values {
            expect_rejected(&app, &lead_with(field, value.clone()), field).await;
        }
    }
}

#[tokio::test]
async fn server_owned_field_is_rejected() {
    let app = TestApp::spawn().await;
    let fields = [
        ("id", json!("lead_abcdefghijklmnop")),
        ("status", json!("new")),
        ("created_at", json!("2025-10-18T10:30:00Z")),
        ("updated_at", json!("2025-10-18T10:30:00Z")),
    ];

    for (field, value) in fields {
        expect_rejected(&app, &lead_with(field, value), field).await;
    }
}

#[tokio::test]
async fn unknown_field_is_rejected() {
    let app = TestApp::spawn().await;

    for field in ["foo", "Name", "EMAIL", "lead_source", ""] {
        expect_rejected(&app, &lead_with(field, json!("x")), field).await;
    }
}

#[tokio::test]
async fn byte_order_mark_is_ignored() {
    let app = TestApp::spawn().await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(minimal_lead().to_string().as_bytes());

    let response = app.post("/api/leads").json_bytes(body).send().await;

    let id = expect_created_id(&response);
    assert_eq!(stored_lead(&app, &id).name, "Ada Lovelace");
}

#[tokio::test]
async fn non_object_body_is_validation_error() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let bodies = [
        json!([{"name": "Ada", "email": email, "source": "website"}]),
        json!([]),
        json!("lead"),
        json!(42),
        json!(true),
        Value::Null,
    ];

    // Valid JSON that breaks the schema is 422, not 400.
    for body in bodies {
        let response = post_lead(&app, &body).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "body {body}: {}",
            response.text()
        );
        let error = response.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");
        let details = error["details"].as_array().map_or(0, Vec::len);
        assert_eq!(details, 1, "one detail for the body: {error:?}");
    }
}

#[tokio::test]
async fn accepted_lead_with_every_field_at_its_limit() {
    let app = TestApp::spawn().await;
    let lead = json!({
        "name": "名".repeat(100),
        "email": email_of_length(64, 254),
        "phone": "+999999999999999",
        "company": "社".repeat(100),
        "source": "social",
        "notes": "\u{1F600}".repeat(1000)
    });

    let id = expect_accepted(&app, &lead).await;

    let stored = stored_lead(&app, &id);
    assert_eq!(Some(stored.name.as_str()), lead["name"].as_str());
    assert_eq!(Some(stored.email.as_str()), lead["email"].as_str());
    assert_eq!(stored.phone.as_deref(), lead["phone"].as_str());
    assert_eq!(stored.company.as_deref(), lead["company"].as_str());
    assert_eq!(stored.notes.as_deref(), lead["notes"].as_str());
    assert_eq!(stored.source, "social");
}
