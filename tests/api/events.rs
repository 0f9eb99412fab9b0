//! Lead events on Redis pub/sub: the exact payloads, their order per lead,
//! and the outbox that keeps them while Redis is down.

use crate::events_support::{
    LOCAL_REDIS, PrivateRedis, Subscriber, app_publishing_to, pending_event_count, unique_channel,
};
use crate::fixtures::{document_lead, expect_created, minimal_lead, post_lead};
use crate::support::TestApp;
use http::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Checks whether `id` is `evt_` and 24 ASCII letters and digits.
fn is_event_id(id: &str) -> bool {
    id.strip_prefix("evt_").is_some_and(|suffix| {
        suffix.len() == 24 && suffix.bytes().all(|byte| byte.is_ascii_alphanumeric())
    })
}

/// Returns the event's id, asserting its form.
fn event_id(event: &Value) -> String {
    let id = event["id"].as_str().unwrap_or_default().to_string();
    assert!(
        is_event_id(&id),
        "event id {id:?} is not evt_ and 24 letters or digits"
    );
    id
}

/// Sends `/health`, one of the points where pending events are retried.
async fn poke_health(app: &TestApp) {
    let response = app.get("/health").send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

#[tokio::test]
async fn created_event_is_published_exactly() {
    let channel = unique_channel("events");
    let subscriber = Subscriber::start(LOCAL_REDIS, &channel).await;
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[]).await;

    let response = post_lead(&app, &document_lead()).await;
    let acknowledgement = expect_created(&response);

    let messages = subscriber.wait_for(1, || poke_health(&app)).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let event: Value = serde_json::from_str(&messages[0]).expect("the message is JSON");
    let id = event_id(&event);
    let expected = format!(
        r#"{{"id":"{id}","event":"lead.created","timestamp":"{}","data":{{"lead_id":"{}","name":"John Doe","email":"john@example.com","source":"website"}}}}"#,
        acknowledgement["created_at"].as_str().unwrap_or_default(),
        acknowledgement["id"].as_str().unwrap_or_default(),
    );
    assert_eq!(messages[0], expected, "compact JSON with keys in order");
    assert_eq!(
        pending_event_count(&app),
        0,
        "the published event left the outbox"
    );
}

#[tokio::test]
async fn stored_email_and_trimmed_name_are_published() {
    let channel = unique_channel("events");
    let subscriber = Subscriber::start(LOCAL_REDIS, &channel).await;
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[]).await;
    let body =
        json!({"name": "  Grace Hopper ", "email": " Grace@Example.com ", "source": "referral"});

    let response = post_lead(&app, &body).await;
    expect_created(&response);

    let events = {
        subscriber.wait_for(1, || poke_health(&app)).await;
        subscriber.events()
    };
    assert_eq!(events[0]["data"]["name"], "Grace Hopper");
    assert_eq!(events[0]["data"]["email"], "Grace@Example.com");
    assert_eq!(events[0]["data"]["source"], "referral");
}

#[tokio::test]
async fn rejected_leads_emit_no_event() {
    let channel = unique_channel("events");
    let subscriber = Subscriber::start(LOCAL_REDIS, &channel).await;
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[]).await;
    let lead = minimal_lead();
    expect_created(&post_lead(&app, &lead).await);

    let duplicate = post_lead(&app, &lead).await;
    let invalid = post_lead(&app, &json!({"name": "No Email", "source": "website"})).await;
    poke_health(&app).await;

    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let messages = subscriber.wait_for(1, || poke_health(&app)).await;
    assert_eq!(
        messages.len(),
        1,
        "only the stored lead has an event: {messages:?}"
    );
    assert_eq!(pending_event_count(&app), 0);
}

#[tokio::test]
async fn status_changes_are_published_after_creation() {
    let channel = unique_channel("events");
    let subscriber = Subscriber::start(LOCAL_REDIS, &channel).await;
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[]).await;

    // The generator moves leads 1 and 3 of a batch to `contacted` and
    // `qualified` through the status-change function; leads 0 and 2 stay
    // `new`.
    let response = app
        .post("/api/test/generate-leads")
        .json(&json!({"count": 4}))
        .send()
        .await;
    let body = response.expect_json(StatusCode::CREATED);
    let ids: Vec<String> = body["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_str().unwrap_or_default().to_string())
        .collect();

    let messages = subscriber.wait_for(6, || poke_health(&app)).await;
    let events = subscriber.events();
    assert_eq!(events.len(), 6, "4 created and 2 status events: {events:?}");

    let mut seen_created = BTreeSet::new();
    let mut status_events = BTreeMap::new();
    for (event, message) in events.iter().zip(&messages) {
        event_id(event);
        let lead_id = event["data"]["lead_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match event["event"].as_str() {
            Some("lead.created") => {
                seen_created.insert(lead_id);
            }
            Some("lead.status_updated") => {
                assert!(
                    seen_created.contains(&lead_id),
                    "the status event of {lead_id} came before its created event"
                );
                let expected = format!(
                    r#"{{"id":"{}","event":"lead.status_updated","timestamp":"{}","data":{{"lead_id":"{lead_id}","old_status":"{}","new_status":"{}","updated_by":"{}"}}}}"#,
                    event["id"].as_str().unwrap_or_default(),
                    event["timestamp"].as_str().unwrap_or_default(),
                    event["data"]["old_status"].as_str().unwrap_or_default(),
                    event["data"]["new_status"].as_str().unwrap_or_default(),
                    event["data"]["updated_by"].as_str().unwrap_or_default(),
                );
                assert_eq!(message, &expected, "compact JSON with keys in order");
                status_events.insert(lead_id, event["data"].clone());
            }
            other => panic!("unexpected event type {other:?}"),
        }
    }
    assert_eq!(seen_created, ids.iter().cloned().collect::<BTreeSet<_>>());
    assert_eq!(
        status_events[&ids[1]],
        json!({"lead_id": ids[1], "old_status": "new", "new_status": "contacted", "updated_by": "bootstrap"})
    );
    assert_eq!(
        status_events[&ids[3]],
        json!({"lead_id": ids[3], "old_status": "new", "new_status": "qualified", "updated_by": "bootstrap"})
    );
}

#[tokio::test]
async fn status_event_names_api_key_id() {
    let channel = unique_channel("events");
    let subscriber = Subscriber::start(LOCAL_REDIS, &channel).await;
    let app = app_publishing_to(LOCAL_REDIS, &channel, &[]).await;
    let created = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "generator", "scopes": ["admin"]}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);
    let key = created["key"].as_str().expect("key");
    let key_id = created["id"].as_str().expect("id");

    app.post("/api/test/generate-leads")
        .api_key(key)
        .json(&json!({"count": 2}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);

    subscriber.wait_for(3, || poke_health(&app)).await;
    let status_event = subscriber
        .events()
        .into_iter()
        .find(|event| event["event"] == "lead.status_updated")
        .expect("a status event");
    assert_eq!(status_event["data"]["updated_by"], key_id);
}

#[tokio::test]
async fn leads_are_accepted_while_redis_is_down() {
    let mut redis = PrivateRedis::start();
    let channel = unique_channel("outage");
    let subscriber = Subscriber::start(&redis.address(), &channel).await;
    let app = app_publishing_to(&redis.address(), &channel, &[]).await;
    redis.stop();

    let mut lead_ids = BTreeSet::new();
    for _ in 0..5 {
        let response = post_lead(&app, &minimal_lead()).await;
        let body = expect_created(&response);
        lead_ids.insert(body["id"].as_str().unwrap_or_default().to_string());
    }
    let health = app.get("/health").send().await.expect_json(StatusCode::OK);
    assert_eq!(health["status"], "degraded");
    assert_eq!(
        pending_event_count(&app),
        5,
        "the events wait in the outbox"
    );
    assert!(subscriber.messages().is_empty());

    redis.restart();
    subscriber.wait_for_subscription(2).await;
    let started = std::time::Instant::now();
    subscriber.wait_for(5, || poke_health(&app)).await;
    let elapsed = started.elapsed();

    let published: BTreeSet<String> = subscriber
        .events()
        .iter()
        .map(|event| {
            event["data"]["lead_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(published, lead_ids);
    assert!(
        elapsed.as_secs() < 30,
        "published {elapsed:?} after Redis came back"
    );
    assert_eq!(pending_event_count(&app), 0);
}

#[tokio::test]
async fn later_writes_publish_pending_events() {
    let mut redis = PrivateRedis::start();
    let channel = unique_channel("outage");
    let subscriber = Subscriber::start(&redis.address(), &channel).await;
    let app = app_publishing_to(&redis.address(), &channel, &[]).await;
    redis.stop();
    expect_created(&post_lead(&app, &minimal_lead()).await);
    expect_created(&post_lead(&app, &minimal_lead()).await);
    redis.restart();
    subscriber.wait_for_subscription(2).await;

    expect_created(&post_lead(&app, &minimal_lead()).await);

    let messages = subscriber
        .wait_for(3, || async {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await
        })
        .await;
    assert_eq!(messages.len(), 3, "{messages:?}");
    let ids: BTreeSet<String> = subscriber.events().iter().map(event_id).collect();
    assert_eq!(ids.len(), 3, "three distinct events");
    assert_eq!(pending_event_count(&app), 0);
}

#[tokio::test]
async fn flush_publishes_pending_events() {
    let mut redis = PrivateRedis::start();
    let channel = unique_channel("flush");
    let subscriber = Subscriber::start(&redis.address(), &channel).await;
    let app = app_publishing_to(&redis.address(), &channel, &[]).await;
    redis.stop();
    for _ in 0..3 {
        expect_created(&post_lead(&app, &minimal_lead()).await);
    }

    let failed = app.post("/api/admin/outbox/flush").send().await;
    let error = failed.expect_error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("3 stay pending"),
        "{error:?}"
    );
    assert_eq!(pending_event_count(&app), 3);

    redis.restart();
    subscriber.wait_for_subscription(2).await;
    let flushed = app.post("/api/admin/outbox/flush").send().await;

    assert_eq!(
        flushed.expect_json(StatusCode::OK),
        json!({"published": 3, "pending": 0})
    );
    let messages = subscriber
        .wait_for(3, || async {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await
        })
        .await;
    assert_eq!(messages.len(), 3);
}

#[tokio::test]
async fn flush_without_queue_is_unavailable() {
    let app = TestApp::spawn().await;
    expect_created(&post_lead(&app, &minimal_lead()).await);

    let response = app.post("/api/admin/outbox/flush").send().await;

    let error = response.expect_error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("redis_address"),
        "{error:?}"
    );
    assert_eq!(
        pending_event_count(&app),
        1,
        "the event stays for a later queue"
    );
}

#[tokio::test]
async fn flush_needs_admin_scope() {
    let app = TestApp::spawn().await;

    let anonymous = app
        .post("/api/admin/outbox/flush")
        .without_credentials()
        .send()
        .await;
    let get = app.get("/api/admin/outbox/flush").send().await;

    anonymous.expect_unauthorized();
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.header("allow"), Some("POST, OPTIONS"));
}

/// Reads how many connections the Redis server has accepted so far.
fn connections_received(connection: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query(connection)
        .expect("INFO stats");
    info.lines()
        .find_map(|line| line.strip_prefix("total_connections_received:"))
        .and_then(|count| count.trim().parse().ok())
        .expect("INFO stats names total_connections_received")
}

#[tokio::test]
async fn limiter_and_publisher_share_one_connection() {
    let redis = PrivateRedis::start();
    let channel = unique_channel("shared-connection");
    let subscriber = Subscriber::start(&redis.address(), &channel).await;
    let app = app_publishing_to(&redis.address(), &channel, &[]).await;
    let mut observer = redis::Client::open(redis.address())
        .and_then(|client| client.get_connection())
        .expect("connect to the private Redis");

    let before = connections_received(&mut observer);
    for _ in 0..5 {
        expect_created(&post_lead(&app, &minimal_lead()).await);
    }
    let after = connections_received(&mut observer);

    assert_eq!(
        after - before,
        5,
        "each request checks its rate limit and publishes on one connection"
    );
    assert_eq!(pending_event_count(&app), 0, "every event was published");
    assert_eq!(subscriber.wait_for(5, || poke_health(&app)).await.len(), 5);
}
