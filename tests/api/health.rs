//! `GET /health`: `healthy` when the database responds and the queue is
//! connected or not configured, `degraded` when a configured queue does not
//! respond, and `unhealthy` (`503`) when the database does not respond.

use crate::support::TestApp;
use http::StatusCode;
use serde_json::{Value, json};
use spin_test_host::workspace_root;
use std::time::Duration;

/// The local Redis server the tests may use.
const REDIS_ADDRESS: &str = "redis://127.0.0.1:6379";

/// A loopback port nothing listens on, so connections are refused at once.
const CLOSED_REDIS_ADDRESS: &str = "redis://127.0.0.1:1";

const EXAMPLE_TIME: Duration = Duration::from_secs(1_760_783_400);
const EXAMPLE_TIMESTAMP: &str = "2025-10-18T10:30:00Z";

/// Reads the `[application] version` of the workspace's `spin.toml`.
fn app_version() -> String {
    let path = workspace_root().join("spin.toml");
    let text = std::fs::read_to_string(&path).expect("read spin.toml");
    let manifest: toml::Table = toml::from_str(&text).expect("spin.toml is TOML");
    let version = manifest
        .get("application")
        .and_then(|application| application.get("version"))
        .and_then(|version| version.as_str());
    version
        .expect("spin.toml sets [application] version")
        .to_string()
}

/// Builds the health report the component must return at the example time.
fn report(status: &str, database: &str, queue: &str) -> Value {
    json!({
        "status": status,
        "timestamp": EXAMPLE_TIMESTAMP,
        "version": app_version(),
        "services": {"database": database, "queue": queue}
    })
}

/// Sends `GET /health` with the clock at the example time and asserts the
/// status and the whole body.
async fn expect_health(app: &TestApp, status: StatusCode, expected: Value) {
    app.clock().set(EXAMPLE_TIME);

    let response = app.get("/health").send().await;

    let body = response.expect_json(status);
    assert_eq!(body, expected);
}

#[tokio::test]
async fn health_without_queue_is_healthy() {
    let app = TestApp::spawn().await;

    expect_health(
        &app,
        StatusCode::OK,
        report("healthy", "connected", "not_configured"),
    )
    .await;
}

#[tokio::test]
async fn health_with_empty_redis_address_is_not_configured() {
    let app = TestApp::builder()
        .variable("redis_address", "")
        .spawn()
        .await;

    expect_health(
        &app,
        StatusCode::OK,
        report("healthy", "connected", "not_configured"),
    )
    .await;
}

#[tokio::test]
async fn health_with_redis_is_healthy() {
    let app = TestApp::builder()
        .variable("redis_address", REDIS_ADDRESS)
        .spawn()
        .await;

    expect_health(
        &app,
        StatusCode::OK,
        report("healthy", "connected", "connected"),
    )
    .await;
}

#[tokio::test]
async fn health_with_closed_redis_port_is_degraded() {
    let app = TestApp::builder()
        .variable("redis_address", CLOSED_REDIS_ADDRESS)
        .spawn()
        .await;

    expect_health(
        &app,
        StatusCode::OK,
        report("degraded", "connected", "disconnected"),
    )
    .await;
}

#[tokio::test]
async fn health_with_malformed_redis_address_is_degraded() {
    let app = TestApp::builder()
        .variable("redis_address", "not a redis url")
        .spawn()
        .await;

    expect_health(
        &app,
        StatusCode::OK,
        report("degraded", "connected", "disconnected"),
    )
    .await;
}

#[tokio::test]
async fn health_with_failing_database_is_unhealthy() {
    let app = TestApp::spawn().await;
    let path = app
        .sqlite_path("default")
        .expect("the default database has a path");
    std::fs::create_dir_all(&path).expect("a folder where the database file belongs");

    expect_health(
        &app,
        StatusCode::SERVICE_UNAVAILABLE,
        report("unhealthy", "disconnected", "not_configured"),
    )
    .await;
}

#[tokio::test]
async fn health_with_all_services_down_is_unhealthy() {
    let app = TestApp::builder()
        .variable("redis_address", CLOSED_REDIS_ADDRESS)
        .spawn()
        .await;
    let path = app
        .sqlite_path("default")
        .expect("the default database has a path");
    std::fs::create_dir_all(&path).expect("a folder where the database file belongs");

    expect_health(
        &app,
        StatusCode::SERVICE_UNAVAILABLE,
        report("unhealthy", "disconnected", "disconnected"),
    )
    .await;
}

#[tokio::test]
async fn health_recovers_when_database_returns() {
    let app = TestApp::spawn().await;
    let path = app
        .sqlite_path("default")
        .expect("the default database has a path");
    std::fs::create_dir_all(&path).expect("a folder where the database file belongs");
    expect_health(
        &app,
        StatusCode::SERVICE_UNAVAILABLE,
        report("unhealthy", "disconnected", "not_configured"),
    )
    .await;

    std::fs::remove_dir(&path).expect("remove the folder");

    expect_health(
        &app,
        StatusCode::OK,
        report("healthy", "connected", "not_configured"),
    )
    .await;
}

#[tokio::test]
async fn health_timestamp_follows_clock() {
    let app = TestApp::spawn().await;
    app.clock().set(Duration::from_millis(1_700_000_000_999));

    let body = app.get("/health").send().await.expect_json(StatusCode::OK);

    assert_eq!(body["timestamp"], "2023-11-14T22:13:20Z");
}
