//! Webhook subscriptions: the admin routes, the target checks, and delivery
//! by the worker of `spin-worker.toml`, signed, retried and recorded.

use crate::events_support::{
    LOCAL_REDIS, PrivateRedis, Subscriber, app_publishing_to, unique_channel,
};
use crate::fixtures::{expect_created_id, minimal_lead, post_lead};
use crate::support::{TestApp, TestResponse};
use crate::webhooks_support::{Answer, Receiver, Worker, verify};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Creates a subscription to `event_types` at `url` and returns the `201`
/// body.
async fn subscribe(app: &TestApp, url: &str, event_types: &[&str]) -> Value {
    let response = app
        .post("/api/admin/webhooks")
        .json(&json!({"url": url, "event_types": event_types}))
        .send()
        .await;
    response.expect_json(StatusCode::CREATED)
}

async fn deliveries(app: &TestApp, subscription_id: &str) -> Vec<Value> {
    let path = format!("/api/admin/webhooks/{subscription_id}/deliveries");
    let body = app.get(&path).send().await.expect_json(StatusCode::OK);
    body["data"].as_array().cloned().unwrap_or_default()
}

/// Sends `/health`, which wakes the worker for due retries.
async fn poke_health(app: &TestApp) {
    let response = app.get("/health").send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

fn expect_url_error(response: &TestResponse) -> String {
    let error = response.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");
    let details = error["details"].as_array().cloned().unwrap_or_default();
    assert_eq!(details.len(), 1, "{details:?}");
    assert_eq!(details[0]["field"], "url");
    details[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn subscription_is_created_listed_and_deleted() {
    let app = TestApp::spawn().await;

    let response = app
        .post("/api/admin/webhooks")
        .json(&json!({"url": "https://hooks.example.com/cv", "event_types": ["lead.created"]}))
        .send()
        .await;
    let created = response.expect_json(StatusCode::CREATED);
    let id = created["id"].as_str().expect("id").to_string();

    assert!(id.starts_with("whk_"), "{id}");
    assert_eq!(id.len(), 28, "{id}");
    assert_eq!(
        response.header("location"),
        Some(format!("/api/admin/webhooks/{id}").as_str())
    );
    assert_eq!(created["url"], "https://hooks.example.com/cv");
    assert_eq!(created["event_types"], json!(["lead.created"]));
    let secret = created["secret"].as_str().expect("secret");
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .expect("whsec_ and base64");
    assert!(key.len() >= 24, "{} key bytes", key.len());

    let listed = app
        .get("/api/admin/webhooks")
        .send()
        .await
        .expect_json(StatusCode::OK);
    assert_eq!(
        listed,
        json!({"data": [{
            "id": id,
            "url": "https://hooks.example.com/cv",
            "event_types": ["lead.created"],
            "created_at": created["created_at"],
        }]})
    );
    assert!(
        !listed.to_string().contains(secret),
        "the list hides the secret"
    );

    let deleted = app
        .delete(&format!("/api/admin/webhooks/{id}"))
        .send()
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = app
        .delete(&format!("/api/admin/webhooks/{id}"))
        .send()
        .await;
    again.expect_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    let listed = app
        .get("/api/admin/webhooks")
        .send()
        .await
        .expect_json(StatusCode::OK);
    assert_eq!(listed, json!({"data": []}));
}

#[tokio::test]
async fn secrets_differ_between_subscriptions() {
    let app = TestApp::spawn().await;

    let first = subscribe(&app, "https://hooks.example.com/a", &["lead.created"]).await;
    let second = subscribe(&app, "https://hooks.example.com/a", &["lead.created"]).await;

    assert_ne!(first["secret"], second["secret"]);
    assert_ne!(first["id"], second["id"]);
}

#[tokio::test]
async fn private_targets_are_rejected() {
    let app = TestApp::spawn().await;

    for url in [
        "http://localhost:9000/hook",
        "http://127.0.0.1/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fd12:3456::1]/hook",
        "http://[fe80::1]/hook",
    ] {
        let response = app
            .post("/api/admin/webhooks")
            .json(&json!({"url": url, "event_types": ["lead.created"]}))
            .send()
            .await;
        let message = expect_url_error(&response);
        assert!(message.contains("loopback, private"), "{url}: {message}");
    }
    let listed = app
        .get("/api/admin/webhooks")
        .send()
        .await
        .expect_json(StatusCode::OK);
    assert_eq!(listed, json!({"data": []}));
}

#[tokio::test]
async fn private_targets_pass_when_allowed() {
    let app = TestApp::builder()
        .variable("webhook_allow_private", "true")
        .spawn()
        .await;

    let created = subscribe(&app, "http://127.0.0.1:9000/hook", &["lead.created"]).await;

    assert_eq!(created["url"], "http://127.0.0.1:9000/hook");
}

#[tokio::test]
async fn invalid_subscriptions_are_rejected() {
    let app = TestApp::spawn().await;

    for (url, expected) in [
        ("ftp://hooks.example.com/", "must use http or https"),
        ("hooks.example.com/hook", "must be an absolute URL"),
        (
            "https://user:pw@hooks.example.com/",
            "must not contain a user name or password",
        ),
    ] {
        let response = app
            .post("/api/admin/webhooks")
            .json(&json!({"url": url, "event_types": ["lead.created"]}))
            .send()
            .await;
        assert_eq!(expect_url_error(&response), expected, "{url}");
    }

    let response = app
        .post("/api/admin/webhooks")
        .json(&json!({"url": "https://hooks.example.com/", "event_types": ["lead.deleted"], "active": true}))
        .send()
        .await;
    let error = response.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");
    let fields: Vec<&str> = error["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|detail| detail["field"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(fields, ["event_types[0]", "active"]);
}

#[tokio::test]
async fn unknown_subscription_has_no_deliveries() {
    let app = TestApp::spawn().await;

    let response = app
        .get("/api/admin/webhooks/whk_missing/deliveries")
        .send()
        .await;

    response.expect_error(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn webhook_routes_need_admin_scope() {
    let app = TestApp::spawn().await;

    let response = app
        .get("/api/admin/webhooks")
        .without_credentials()
        .send()
        .await;

    response.expect_unauthorized();
}

#[tokio::test]
async fn delivery_is_signed_and_retried_until_success() {
    let receiver = Receiver::start(&[Answer::Status(500), Answer::Status(500)]).await;
    let channel = unique_channel("webhooks");
    let events = Subscriber::start(LOCAL_REDIS, &channel).await;
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[("webhook_allow_private", "true")]).await;
    let _worker = Worker::start(&app, LOCAL_REDIS, &channel, &[receiver.origin()]).await;
    let subscription = subscribe(&app, &receiver.url("/hooks/leads"), &["lead.created"]).await;
    let secret = subscription["secret"].as_str().expect("secret");
    let subscription_id = subscription["id"].as_str().expect("id");

    let lead_id = expect_created_id(&post_lead(&app, &minimal_lead()).await);

    let requests = receiver.wait_for(3, || poke_health(&app)).await;
    assert_eq!(requests.len(), 3, "two failures and one success");
    let published = events.wait_for(1, || poke_health(&app)).await;
    let event: Value = serde_json::from_str(&published[0]).expect("JSON event");
    assert_eq!(event["data"]["lead_id"], lead_id.as_str());
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/hooks/leads");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("webhook-id"), event["id"].as_str());
        assert_eq!(
            request.body,
            published[0].as_bytes(),
            "the exact published bytes"
        );
        assert_eq!(verify(secret, request), Ok(()));
    }

    // The worker records the last attempt after the response, so the
    // listing may trail the receiver by a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let delivery = loop {
        let listed = deliveries(&app, subscription_id).await;
        if listed.len() == 1 && listed[0]["state"] == "succeeded" {
            break listed[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(delivery["event_id"], event["id"]);
    assert_eq!(delivery["event_type"], "lead.created");
    let attempts = delivery["attempts"].as_array().expect("attempts");
    let codes: Vec<&Value> = attempts
        .iter()
        .map(|attempt| &attempt["status_code"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(204)]);
    for (number, attempt) in (1..).zip(attempts) {
        assert_eq!(attempt["attempt"], number);
        assert!(attempt["duration_ms"].as_i64().is_some(), "{attempt}");
        assert!(attempt["attempted_at"].as_str().is_some(), "{attempt}");
    }
    assert_eq!(attempts[0]["error"], "the target answered with status 500");
    assert!(attempts[2].get("error").is_none(), "{}", attempts[2]);
}

#[tokio::test]
async fn forged_signature_fails_verification() {
    let receiver = Receiver::start(&[]).await;
    let channel = unique_channel("webhooks");
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[("webhook_allow_private", "true")]).await;
    let _worker = Worker::start(&app, LOCAL_REDIS, &channel, &[receiver.origin()]).await;
    let subscription = subscribe(&app, &receiver.url("/hook"), &["lead.created"]).await;
    let other = subscribe(&app, "http://127.0.0.1:1/unused", &["lead.status_updated"]).await;

    expect_created_id(&post_lead(&app, &minimal_lead()).await);
    let requests = receiver.wait_for(1, || poke_health(&app)).await;

    let mut tampered = requests[0].clone();
    tampered.body = bytes::Bytes::from(format!("{} ", String::from_utf8_lossy(&tampered.body)));
    assert_eq!(
        verify(subscription["secret"].as_str().unwrap(), &requests[0]),
        Ok(())
    );
    assert!(verify(subscription["secret"].as_str().unwrap(), &tampered).is_err());
    assert!(verify(other["secret"].as_str().unwrap(), &requests[0]).is_err());
}

#[tokio::test]
async fn deliveries_follow_event_types() {
    let receiver = Receiver::start(&[]).await;
    let channel = unique_channel("webhooks");
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[("webhook_allow_private", "true")]).await;
    let _worker = Worker::start(&app, LOCAL_REDIS, &channel, &[receiver.origin()]).await;
    let created_only = subscribe(&app, &receiver.url("/created"), &["lead.created"]).await;
    let status_only = subscribe(&app, &receiver.url("/status"), &["lead.status_updated"]).await;

    // Lead 1 of a generated batch moves to `contacted`, so two leads give
    // two created events and one status event.
    app.post("/api/test/generate-leads")
        .json(&json!({"count": 2}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);

    let requests = receiver.wait_for(3, || poke_health(&app)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let requests_after = receiver.requests();
    assert_eq!(requests_after.len(), 3, "no extra deliveries: {requests:?}");
    let mut paths: Vec<&str> = requests_after.iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["/created", "/created", "/status"]);
    let status_request = requests_after.iter().find(|r| r.path == "/status").unwrap();
    let event: Value = serde_json::from_slice(&status_request.body).expect("JSON body");
    assert_eq!(event["event"], "lead.status_updated");
    assert_eq!(
        verify(status_only["secret"].as_str().unwrap(), status_request),
        Ok(())
    );
    assert!(created_only["secret"] != status_only["secret"]);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let receiver = Receiver::start(&[Answer::Redirect, Answer::Redirect, Answer::Redirect]).await;
    let channel = unique_channel("webhooks");
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[("webhook_allow_private", "true")]).await;
    let _worker = Worker::start(&app, LOCAL_REDIS, &channel, &[receiver.origin()]).await;
    let subscription = subscribe(&app, &receiver.url("/hook"), &["lead.created"]).await;
    let subscription_id = subscription["id"].as_str().expect("id");

    expect_created_id(&post_lead(&app, &minimal_lead()).await);

    // Three attempts, the maximum the worker is given, each getting a 302.
    let requests = receiver.wait_for(3, || poke_health(&app)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let delivery = loop {
        let listed = deliveries(&app, subscription_id).await;
        if listed
            .first()
            .is_some_and(|delivery| delivery["state"] == "failed")
        {
            break listed[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries: {listed:?}"
        );
        poke_health(&app).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        requests.iter().all(|request| request.path == "/hook"),
        "the worker never requested the redirect target: {requests:?}"
    );
    assert_eq!(receiver.requests().len(), 3);
    let codes: Vec<&Value> = delivery["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|attempt| &attempt["status_code"])
        .collect();
    assert_eq!(codes, [&json!(302), &json!(302), &json!(302)]);
    assert!(delivery.get("next_attempt_at").is_none(), "{delivery}");
    assert!(delivery["completed_at"].as_str().is_some(), "{delivery}");
}

#[tokio::test]
async fn host_outside_allowed_hosts_is_denied() {
    let receiver = Receiver::start(&[]).await;
    let channel = unique_channel("webhooks");
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[("webhook_allow_private", "true")]).await;
    let _worker = Worker::start(
        &app,
        LOCAL_REDIS,
        &channel,
        &["https://hooks.example.com".to_string()],
    )
    .await;
    let subscription = subscribe(&app, &receiver.url("/hook"), &["lead.created"]).await;
    let subscription_id = subscription["id"].as_str().expect("id");

    expect_created_id(&post_lead(&app, &minimal_lead()).await);

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let delivery = loop {
        let listed = deliveries(&app, subscription_id).await;
        if listed
            .first()
            .is_some_and(|delivery| delivery["state"] == "failed")
        {
            break listed[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries: {listed:?}"
        );
        poke_health(&app).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        receiver.requests().is_empty(),
        "the request never left the host"
    );
    let attempts = delivery["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 3);
    for attempt in attempts {
        assert!(attempt.get("status_code").is_none(), "{attempt}");
        let error = attempt["error"].as_str().unwrap_or_default();
        assert!(error.contains("sending the request failed"), "{error}");
    }
}

#[tokio::test]
async fn worker_catches_up_after_redis_restart() {
    let mut redis = PrivateRedis::start();
    let receiver = Receiver::start(&[]).await;
    let channel = unique_channel("webhooks");
    let app = app_publishing_to(
        &redis.address(),
        &channel,
        &[("webhook_allow_private", "true")],
    )
    .await;
    let worker = Worker::start(&app, &redis.address(), &channel, &[receiver.origin()]).await;
    subscribe(&app, &receiver.url("/hook"), &["lead.created"]).await;

    redis.stop();
    let error = worker.stopped().await;
    assert!(
        error.to_string().contains("lost its connection"),
        "{error:#}"
    );
    let lead_id = expect_created_id(&post_lead(&app, &minimal_lead()).await);

    // A supervisor restarts the worker once Redis is back. The lead's event
    // is published and delivered although the worker was down when the lead
    // was stored.
    redis.restart();
    let _restarted = Worker::start(&app, &redis.address(), &channel, &[receiver.origin()]).await;
    let requests = receiver.wait_for(1, || poke_health(&app)).await;

    let event: Value = serde_json::from_slice(&requests[0].body).expect("JSON body");
    assert_eq!(event["data"]["lead_id"], lead_id.as_str());
}
