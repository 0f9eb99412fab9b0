//! Scopes: exact, case-sensitive matching, `write:X` implying `read:X`,
//! `admin` implying every scope, and the order of the checks: route and
//! method, then credentials (`401`), then scope (`403`), then the body.

use crate::fixtures::{expect_created, expect_created_id, minimal_lead, stored_lead_count};
use crate::support::{TestApp, TestResponse};
use crate::tokens::{Token, keys, public_key_pem};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// 2026-01-01T00:00:00Z in Unix seconds: the app's clock in these tests.
const NOW: i64 = 1_767_225_600;

/// An id of the lead form that no lead has.
const MISSING_LEAD: &str = "/api/leads/lead_0000000000000000";

/// Starts an app that verifies tokens with the primary key, with its clock
/// at [`NOW`].
async fn jwt_app() -> TestApp {
    let app = TestApp::builder()
        .variable("jwt_public_keys", &public_key_pem(&keys().primary))
        .spawn()
        .await;
    app.clock().set(Duration::from_secs(NOW as u64));
    app
}

/// Returns a valid token whose `scope` claim is `scope`.
fn token_with_scope(scope: Value) -> String {
    Token::valid(NOW).claim("scope", scope).encode()
}

/// Creates an API key with `scopes` through the admin API and returns it.
async fn create_api_key(app: &TestApp, scopes: &[&str]) -> String {
    let response = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "scoped", "scopes": scopes}))
        .send()
        .await;
    let body = response.expect_json(StatusCode::CREATED);
    body["key"].as_str().expect("the new key").to_string()
}

/// Sends `POST /api/leads` with a valid lead and `Authorization: Bearer <token>`.
async fn post_lead_with(app: &TestApp, token: &str) -> TestResponse {
    app.post("/api/leads")
        .bearer(token)
        .json(&minimal_lead())
        .send()
        .await
}

/// Sends `GET` for a lead id that does not exist with the bearer token.
async fn read_missing_lead_with(app: &TestApp, token: &str) -> TestResponse {
    app.get(MISSING_LEAD).bearer(token).send().await
}

#[tokio::test]
async fn near_miss_scopes_grant_nothing() {
    let app = jwt_app().await;

    for scope in [
        json!(["read:leadsx", "write:leadsx"]),
        json!(["READ:LEADS", "WRITE:LEADS"]),
        json!("Read:Leads Write:Leads"),
        json!(["read:leads ", " write:leads"]),
        json!(["read", "write", "leads", "read:*"]),
        json!("ADMIN"),
    ] {
        let token = token_with_scope(scope.clone());

        let write = post_lead_with(&app, &token).await;
        write.expect_forbidden();
        let read = read_missing_lead_with(&app, &token).await;
        read.expect_forbidden();
    }
    assert_eq!(stored_lead_count(&app), 0);
}

#[tokio::test]
async fn read_scope_cannot_create_lead() {
    let app = jwt_app().await;
    let token = token_with_scope(json!(["read:leads"]));
    let id = expect_created_id(&app.post("/api/leads").json(&minimal_lead()).send().await);

    let write = post_lead_with(&app, &token).await;
    let read = app
        .get(&format!("/api/leads/{id}"))
        .bearer(&token)
        .send()
        .await;

    write.expect_forbidden();
    read.expect_json(StatusCode::OK);
}

#[tokio::test]
async fn write_scope_implies_read_scope() {
    let app = jwt_app().await;
    let token = token_with_scope(json!(["write:leads"]));

    let read = read_missing_lead_with(&app, &token).await;

    read.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn analytics_scopes_grant_no_lead_access() {
    let app = jwt_app().await;
    let token = token_with_scope(json!(["read:analytics", "write:analytics"]));

    post_lead_with(&app, &token).await.expect_forbidden();
    read_missing_lead_with(&app, &token)
        .await
        .expect_forbidden();
}

#[tokio::test]
async fn unknown_scopes_are_ignored() {
    let app = jwt_app().await;
    let token = token_with_scope(json!("delete:everything write:leads superuser"));

    expect_created(&post_lead_with(&app, &token).await);
}

#[tokio::test]
async fn admin_scope_grants_every_route() {
    let app = jwt_app().await;
    let token = token_with_scope(json!(["admin"]));

    expect_created(&post_lead_with(&app, &token).await);
    let keys = app.get("/api/admin/api-keys").bearer(&token).send().await;
    keys.expect_json(StatusCode::OK);
}

#[tokio::test]
async fn non_admin_role_grants_nothing() {
    let app = jwt_app().await;
    let token = Token::valid(NOW)
        .without_claim("scope")
        .claim("role", json!("analyst"))
        .encode();

    post_lead_with(&app, &token).await.expect_forbidden();
}

#[tokio::test]
async fn api_key_with_read_scope_cannot_create_lead() {
    let app = jwt_app().await;
    let key = create_api_key(&app, &["read:leads"]).await;

    let write = app
        .post("/api/leads")
        .api_key(&key)
        .json(&minimal_lead())
        .send()
        .await;
    let read = app.get(MISSING_LEAD).api_key(&key).send().await;

    write.expect_forbidden();
    write.expect_omits(&key);
    read.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    assert_eq!(stored_lead_count(&app), 0);
}

#[tokio::test]
async fn non_admin_token_cannot_manage_api_keys() {
    let app = jwt_app().await;
    let scopes = [
        "read:leads",
        "write:leads",
        "read:analytics",
        "write:analytics",
    ];
    let token = token_with_scope(json!(scopes));

    for (method, path, body) in admin_requests() {
        let mut request = app.request(method.clone(), path).bearer(&token);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{method} {path}");
        response.expect_forbidden();
    }
}

#[tokio::test]
async fn non_admin_api_key_cannot_manage_api_keys() {
    let app = jwt_app().await;
    let scopes = [
        "read:leads",
        "write:leads",
        "read:analytics",
        "write:analytics",
    ];
    let key = create_api_key(&app, &scopes).await;

    for (method, path, body) in admin_requests() {
        let mut request = app.request(method.clone(), path).api_key(&key);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{method} {path}");
        response.expect_forbidden();
    }
}

/// Returns one request per admin route: list, create and revoke API keys.
fn admin_requests() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/admin/api-keys", None),
        (
            Method::POST,
            "/api/admin/api-keys",
            Some(json!({"name": "escalation", "scopes": ["admin"]})),
        ),
        (
            Method::DELETE,
            "/api/admin/api-keys/key_0000000000000000",
            None,
        ),
    ]
}

#[tokio::test]
async fn scope_is_checked_before_body() {
    let app = jwt_app().await;
    let token = token_with_scope(json!(["read:leads"]));

    let invalid_json = app
        .post("/api/leads")
        .bearer(&token)
        .json_bytes("{\"name\": ")
        .send()
        .await;
    let wrong_type = app
        .post("/api/leads")
        .bearer(&token)
        .header("content-type", "text/plain")
        .body("name=Ada")
        .send()
        .await;

    invalid_json.expect_forbidden();
    wrong_type.expect_forbidden();
}

#[tokio::test]
async fn credentials_are_checked_before_body() {
    let app = jwt_app().await;

    let invalid_json = app
        .post("/api/leads")
        .without_credentials()
        .json_bytes("{\"name\": ")
        .send()
        .await;
    let wrong_type = app
        .post("/api/leads")
        .without_credentials()
        .header("content-type", "text/plain")
        .body("name=Ada")
        .send()
        .await;

    invalid_json.expect_unauthorized();
    wrong_type.expect_unauthorized();
}

#[tokio::test]
async fn credentials_are_checked_before_scope() {
    let app = jwt_app().await;
    let expired_reader = Token::valid(NOW)
        .claim("scope", json!(["read:leads"]))
        .claim("exp", json!(NOW - 3600))
        .encode();

    post_lead_with(&app, &expired_reader)
        .await
        .expect_unauthorized();
}

#[tokio::test]
async fn route_and_method_are_checked_before_credentials() {
    let app = jwt_app().await;

    let unknown = app.get("/api/nope").without_credentials().send().await;
    let wrong_method = app
        .request(Method::PUT, "/api/leads")
        .without_credentials()
        .send()
        .await;

    unknown.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    wrong_method.expect_plain_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
}
