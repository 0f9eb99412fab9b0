//! API keys: `X-API-Key` checks, and creating, listing and revoking keys
//! through `/api/admin/api-keys`. A new key is shown once, stored only as
//! its SHA-256 hash, and rejected once revoked.

use crate::assertions::{assert_timestamp, key_set};
use crate::fixtures::{minimal_lead, stored_lead_count};
use crate::support::{TEST_API_KEY, TestApp, TestResponse};
use http::{Method, StatusCode};
use rusqlite::types::ValueRef;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::time::Duration;

/// 2026-01-01T00:00:00Z in Unix seconds: the app's clock in these tests.
const NOW: u64 = 1_767_225_600;
const NOW_TIMESTAMP: &str = "2026-01-01T00:00:00Z";

const KEYS_PATH: &str = "/api/admin/api-keys";

/// An id of the lead form that no lead has.
const MISSING_LEAD: &str = "/api/leads/lead_0000000000000000";

/// Starts an app with its clock at [`NOW`].
async fn app_at_now() -> TestApp {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_secs(NOW));
    app
}

/// Sends `POST /api/admin/api-keys` with the bootstrap key.
async fn create_key(app: &TestApp, body: &Value) -> TestResponse {
    app.post(KEYS_PATH).json(body).send().await
}

/// Creates a key named `name` with `scopes` and returns the `201` body.
async fn create_key_body(app: &TestApp, name: &str, scopes: &[&str]) -> Value {
    let response = create_key(app, &json!({"name": name, "scopes": scopes})).await;
    response.expect_json(StatusCode::CREATED)
}

/// Returns the `data` array of `GET /api/admin/api-keys`.
async fn list_keys(app: &TestApp) -> Vec<Value> {
    let response = app.get(KEYS_PATH).send().await;
    let body = response.expect_json(StatusCode::OK);
    assert_eq!(key_set(&body), BTreeSet::from(["data"]), "{body}");
    body["data"].as_array().expect("`data` is an array").clone()
}

/// Returns the listed entry with `id`.
async fn listed_key(app: &TestApp, id: &str) -> Value {
    let entries = list_keys(app).await;
    entries
        .into_iter()
        .find(|entry| entry["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not listed"))
}

/// Sends `GET` for a missing lead with `key`: `404` when the key is
/// accepted and has `read:leads`.
async fn read_with(app: &TestApp, key: &str) -> TestResponse {
    app.get(MISSING_LEAD).api_key(key).send().await
}

/// Checks whether `text` is `prefix` followed by exactly `length` ASCII
/// letters and digits.
fn has_form(text: &str, prefix: &str, length: usize) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == length && rest.bytes().all(|byte| byte.is_ascii_alphanumeric())
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test]
async fn created_key_is_shown_once() {
    let app = app_at_now().await;

    let response = create_key(&app, &json!({"name": "CRM sync", "scopes": ["read:leads"]})).await;

    let body = response.expect_json(StatusCode::CREATED);
    let keys = BTreeSet::from(["created_at", "id", "key", "name", "scopes"]);
    assert_eq!(key_set(&body), keys, "{body}");
    let id = body["id"].as_str().unwrap_or_default();
    let key = body["key"].as_str().unwrap_or_default();
    assert!(has_form(id, "key_", 16), "id {id:?}");
    assert!(has_form(key, "ak_", 32), "key {key:?}");
    assert_eq!(body["name"], "CRM sync");
    assert_eq!(body["scopes"], json!(["read:leads"]));
    assert_eq!(body["created_at"], NOW_TIMESTAMP);
    let location = format!("{KEYS_PATH}/{id}");
    assert_eq!(response.header("location"), Some(location.as_str()));
}

#[tokio::test]
async fn created_keys_differ() {
    let app = app_at_now().await;

    let first = create_key_body(&app, "first", &["read:leads"]).await;
    let second = create_key_body(&app, "second", &["read:leads"]).await;

    assert_ne!(first["key"], second["key"]);
    assert_ne!(first["id"], second["id"]);
}

#[tokio::test]
async fn created_key_authenticates() {
    let app = app_at_now().await;
    let body = create_key_body(&app, "reader", &["read:leads"]).await;
    let key = body["key"].as_str().unwrap();

    let response = read_with(&app, key).await;

    response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn created_key_is_stored_only_as_hash() {
    let app = app_at_now().await;
    let body = create_key_body(&app, "hashed", &["read:leads"]).await;
    let key = body["key"].as_str().unwrap();
    let hash = Sha256::digest(key.as_bytes());

    let connection = app.db();
    let mut statement = connection
        .prepare("SELECT * FROM api_keys")
        .expect("query api_keys");
    let columns = statement.column_count();
    let mut rows = statement.query([]).expect("read api_keys");
    let mut row_count = 0;
    let mut hash_found = false;
    while let Some(row) = rows.next().expect("next row") {
        row_count += 1;
        for column in 0..columns {
            match row.get_ref(column).expect("column value") {
                ValueRef::Text(text) => {
                    let text = String::from_utf8_lossy(text);
                    assert!(!text.contains(&key[3..]), "column {column} holds the key");
                    hash_found |= text.eq_ignore_ascii_case(&hex(&hash));
                }
                ValueRef::Blob(blob) => {
                    let holds_key = blob
                        .windows(key.len() - 3)
                        .any(|w| w == &key.as_bytes()[3..]);
                    assert!(!holds_key, "column {column} holds the key");
                    hash_found |= blob == hash.as_slice();
                }
                _ => {}
            }
        }
    }
    assert_eq!(row_count, 1, "one stored key");
    assert!(hash_found, "no column holds the SHA-256 hash of the key");
}

#[tokio::test]
async fn list_shows_keys_without_secrets() {
    let app = app_at_now().await;
    let first = create_key_body(&app, "first", &["read:leads"]).await;
    let second = create_key_body(&app, "second", &["write:leads", "read:analytics"]).await;

    let response = app.get(KEYS_PATH).send().await;

    let body = response.expect_json(StatusCode::OK);
    let entries = body["data"].as_array().expect("`data` is an array");
    assert_eq!(entries.len(), 2, "{body}");
    for created in [&first, &second] {
        let entry = entries
            .iter()
            .find(|entry| entry["id"] == created["id"])
            .unwrap_or_else(|| panic!("{} is not listed: {body}", created["id"]));
        let keys = BTreeSet::from(["created_at", "id", "name", "scopes"]);
        assert_eq!(key_set(entry), keys, "{entry}");
        for field in ["name", "scopes", "created_at"] {
            assert_eq!(entry[field], created[field], "{field}");
        }
        let key = created["key"].as_str().unwrap();
        response.expect_omits(key);
        response.expect_omits(&key[3..]);
        response.expect_omits(&hex(&Sha256::digest(key.as_bytes())));
    }
}

#[tokio::test]
async fn revoked_key_is_rejected() {
    let app = app_at_now().await;
    let body = create_key_body(&app, "revoked", &["read:leads"]).await;
    let (id, key) = (body["id"].as_str().unwrap(), body["key"].as_str().unwrap());
    read_with(&app, key)
        .await
        .expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    app.clock().advance(Duration::from_secs(90));

    let revoke = app.delete(&format!("{KEYS_PATH}/{id}")).send().await;

    assert_eq!(revoke.status, StatusCode::NO_CONTENT, "{}", revoke.text());
    assert!(revoke.body.is_empty(), "body: {}", revoke.text());
    let rejected = read_with(&app, key).await;
    rejected.expect_unauthorized();
    rejected.expect_omits(key);
    let entry = listed_key(&app, id).await;
    assert_eq!(entry["revoked_at"], "2026-01-01T00:01:30Z", "{entry}");
}

#[tokio::test]
async fn revoke_is_idempotent() {
    let app = app_at_now().await;
    let body = create_key_body(&app, "twice", &["read:leads"]).await;
    let path = format!("{KEYS_PATH}/{}", body["id"].as_str().unwrap());

    let first = app.delete(&path).send().await;
    app.clock().advance(Duration::from_secs(30));
    let second = app.delete(&path).send().await;

    assert_eq!(first.status, StatusCode::NO_CONTENT, "{}", first.text());
    assert_eq!(second.status, StatusCode::NO_CONTENT, "{}", second.text());
    let entry = listed_key(&app, body["id"].as_str().unwrap()).await;
    assert_eq!(
        entry["revoked_at"], NOW_TIMESTAMP,
        "first revocation time kept: {entry}"
    );
}

#[tokio::test]
async fn revoking_unknown_key_is_not_found() {
    let app = app_at_now().await;

    let response = app
        .delete(&format!("{KEYS_PATH}/key_0000000000000000"))
        .send()
        .await;

    response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn last_use_updates_once_a_minute() {
    let app = app_at_now().await;
    let body = create_key_body(&app, "used", &["read:leads"]).await;
    let (id, key) = (body["id"].as_str().unwrap(), body["key"].as_str().unwrap());
    let never_used = listed_key(&app, id).await;
    assert!(never_used.get("last_used_at").is_none(), "{never_used}");

    let mut last_used = Vec::new();
    for seconds_later in [5, 40, 66] {
        app.clock().set(Duration::from_secs(NOW + seconds_later));
        read_with(&app, key)
            .await
            .expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
        last_used.push(listed_key(&app, id).await["last_used_at"].clone());
    }

    let expected = [
        "2026-01-01T00:00:05Z",
        "2026-01-01T00:00:05Z",
        "2026-01-01T00:01:06Z",
    ];
    assert_eq!(last_used, expected.map(Value::from));
}

#[tokio::test]
async fn malformed_keys_are_rejected() {
    let app = app_at_now().await;
    let letters = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";

    for key in [
        format!("sk_{letters}"),
        format!("AK_{letters}"),
        format!("ak{letters}"),
        format!("ak-{letters}"),
        format!("ak_{}", &letters[..15]),
        format!("ak_{}!", &letters[..31]),
        format!("ak_{}", "a".repeat(129)),
        format!("{TEST_API_KEY}x"),
        "ak_".to_string(),
        String::new(),
    ] {
        let response = read_with(&app, &key).await;
        response.expect_unauthorized();
    }
}

#[tokio::test]
async fn unknown_key_is_rejected() {
    let app = app_at_now().await;
    let key = "ak_WellFormedButNeverIssued0000000";

    let response = read_with(&app, key).await;

    response.expect_unauthorized();
    response.expect_omits(key);
}

#[tokio::test]
async fn duplicate_api_key_headers_are_rejected() {
    let app = app_at_now().await;

    let response = app
        .get(MISSING_LEAD)
        .api_key(TEST_API_KEY)
        .api_key(TEST_API_KEY)
        .send()
        .await;

    response.expect_unauthorized();
}

#[tokio::test]
async fn requests_without_credentials_are_rejected() {
    let app = app_at_now().await;
    let requests = [
        (Method::POST, "/api/leads", Some(minimal_lead())),
        (Method::GET, MISSING_LEAD, None),
        (Method::GET, KEYS_PATH, None),
        (
            Method::POST,
            KEYS_PATH,
            Some(json!({"name": "x", "scopes": ["admin"]})),
        ),
        (
            Method::DELETE,
            "/api/admin/api-keys/key_0000000000000000",
            None,
        ),
    ];

    for (method, path, body) in requests {
        let mut request = app.request(method.clone(), path).without_credentials();
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        response.expect_unauthorized();
    }
    assert_eq!(stored_lead_count(&app), 0);
}

#[tokio::test]
async fn health_needs_no_credentials() {
    let app = app_at_now().await;

    let response = app.get("/health").without_credentials().send().await;

    response.expect_json(StatusCode::OK);
}

#[tokio::test]
async fn empty_bootstrap_setting_accepts_no_key() {
    let app = TestApp::builder()
        .variable("bootstrap_api_key", "")
        .spawn()
        .await;

    let configured_before = app.get(KEYS_PATH).send().await;
    let empty = app.get(KEYS_PATH).api_key("").send().await;

    configured_before.expect_unauthorized();
    empty.expect_unauthorized();
}

#[tokio::test]
async fn key_with_admin_scope_manages_keys() {
    let app = app_at_now().await;
    let admin = create_key_body(&app, "operator", &["admin"]).await;
    let admin_key = admin["key"].as_str().unwrap();

    let created = app
        .post(KEYS_PATH)
        .api_key(admin_key)
        .json(&json!({"name": "made by operator", "scopes": ["read:leads"]}))
        .send()
        .await;

    created.expect_json(StatusCode::CREATED);
}

#[tokio::test]
async fn key_name_is_trimmed() {
    let app = app_at_now().await;

    let body = create_key_body(&app, "  CRM sync \t", &["read:leads"]).await;

    assert_eq!(body["name"], "CRM sync");
    assert_timestamp(body["created_at"].as_str().unwrap_or_default());
}

#[tokio::test]
async fn invalid_key_requests_are_rejected() {
    let app = app_at_now().await;
    let longest = "n".repeat(100);
    let too_long = "n".repeat(101);

    for body in [
        json!({"name": "", "scopes": ["read:leads"]}),
        json!({"name": " \t ", "scopes": ["read:leads"]}),
        json!({"name": too_long, "scopes": ["read:leads"]}),
        json!({"scopes": ["read:leads"]}),
        json!({"name": "no scopes", "scopes": []}),
        json!({"name": "no scopes"}),
        json!({"name": "unknown", "scopes": ["read:leads", "delete:everything"]}),
        json!({"name": "wrong case", "scopes": ["READ:LEADS"]}),
        json!({"name": "scope string", "scopes": "read:leads"}),
        json!({"name": 7, "scopes": ["read:leads"]}),
    ] {
        let response = create_key(&app, &body).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        response.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");
    }
    assert!(list_keys(&app).await.is_empty(), "no key was created");

    create_key_body(&app, &longest, &["read:leads"]).await;
}

#[tokio::test]
async fn unknown_admin_path_is_not_found() {
    let app = app_at_now().await;

    let response = app.get("/api/admin/nope").send().await;

    response.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn wrong_method_on_keys_is_not_allowed() {
    let app = app_at_now().await;

    let response = app.request(Method::PUT, KEYS_PATH).send().await;

    response.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    let allowed = response.allowed_methods();
    assert!(
        allowed.contains("GET") && allowed.contains("POST"),
        "{allowed:?}"
    );
}
