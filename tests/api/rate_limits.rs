//! Rate limits: at most the limit in any rolling 60 seconds per caller and
//! route group, the RateLimit headers, `/health` per client address, and
//! `X-Forwarded-For` only from trusted proxies. Every behaviour runs on both
//! backends: SQLite (no `redis_address`) and the local Redis.

use crate::fixtures::{expect_created, minimal_lead};
use crate::support::{TestApp, TestAppBuilder, TestResponse};
use crate::tokens::{Token, keys, public_key_pem};
use http::StatusCode;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tokio::task::JoinSet;

/// The local Redis server the tests may use.
const REDIS_ADDRESS: &str = "redis://127.0.0.1:6379";

/// A loopback port nothing listens on, so connections are refused at once.
const CLOSED_REDIS_ADDRESS: &str = "redis://127.0.0.1:1";

/// 2026-01-01T00:00:00Z in Unix milliseconds. The tests move the clock
/// forward from here.
const START_MS: u64 = 1_767_225_600_000;

/// A second loopback address, for a second client of `/health`.
const OTHER_CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Where the component keeps its windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The `rate_limit_hits` table of the `default` database.
    Sqlite,
    /// Sorted sets in the local Redis.
    Redis,
}

impl Backend {
    /// Sets `redis_address` for this backend.
    fn configure(self, builder: TestAppBuilder) -> TestAppBuilder {
        match self {
            Backend::Sqlite => builder.variable("redis_address", ""),
            Backend::Redis => builder.variable("redis_address", REDIS_ADDRESS),
        }
    }
}

/// Generates one test per backend for each `async fn name(backend: Backend)`:
/// `name::sqlite` and `name::redis`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name(super::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn redis() {
                    super::$name(super::Backend::Redis).await;
                }
            }
        )*
    };
}

on_both_backends!(
    window_slides_across_minute_boundary,
    headers_report_limit_remaining_and_reset,
    concurrent_requests_admit_exactly_limit,
    callers_have_separate_budgets,
    lead_reads_and_writes_share_budget,
    groups_have_separate_budgets,
    rejected_requests_use_no_budget,
    errors_after_limit_check_carry_headers,
    health_is_limited_per_client_address,
    forwarded_for_is_ignored_from_untrusted_sender,
    forwarded_for_is_used_from_trusted_proxy,
    forwarded_chain_uses_rightmost_untrusted_address,
);

/// Starts an app on `backend` with `variables` and its clock at `START_MS`.
async fn spawn(backend: Backend, variables: &[(&str, &str)]) -> TestApp {
    let mut builder = backend.configure(TestApp::builder());
    for (name, value) in variables {
        builder = builder.variable(name, value);
    }
    let app = builder.spawn().await;
    set_clock_ms(&app, START_MS);
    app
}

fn set_clock_ms(app: &TestApp, unix_ms: u64) {
    app.clock().set(Duration::from_millis(unix_ms));
}

/// Sends `POST /api/leads` with a valid lead and the default credentials.
async fn post_lead(app: &TestApp) -> TestResponse {
    app.post("/api/leads").json(&minimal_lead()).send().await
}

/// Sends `GET /health` from 127.0.0.1 with `X-Forwarded-For` when given.
async fn health(app: &TestApp, forwarded_for: Option<&str>) -> TestResponse {
    let mut request = app.get("/health");
    if let Some(chain) = forwarded_for {
        request = request.header("x-forwarded-for", chain);
    }
    request.send().await
}

/// Asserts an admitted `/health` response with `remaining` left of `limit`.
fn expect_health_admitted(response: &TestResponse, limit: u64, remaining: u64) {
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.expect_rate_headers(limit, remaining, 60);
}

async fn window_slides_across_minute_boundary(backend: Backend) {
    let app = spawn(backend, &[("rate_limit_leads", "100")]).await;

    // 100 requests at second 59.9 fill the window.
    set_clock_ms(&app, START_MS + 59_900);
    for sent in 1..=100 {
        let response = post_lead(&app).await;
        expect_created(&response);
        response.expect_rate_headers(100, 100 - sent, 60);
    }

    // A fixed one-minute window would start afresh at second 60.
    set_clock_ms(&app, START_MS + 60_100);
    for _ in 0..100 {
        post_lead(&app).await.expect_rate_limited(100, 60);
    }

    // 0.1 s before the first 100 age out, Retry-After rounds up to 1.
    set_clock_ms(&app, START_MS + 119_800);
    post_lead(&app).await.expect_rate_limited(100, 1);

    // The rejected requests were not recorded, so all 100 slots free at once.
    set_clock_ms(&app, START_MS + 120_000);
    for sent in 1..=100 {
        let response = post_lead(&app).await;
        expect_created(&response);
        response.expect_rate_headers(100, 100 - sent, 60);
    }
    post_lead(&app).await.expect_rate_limited(100, 60);
}

async fn headers_report_limit_remaining_and_reset(backend: Backend) {
    let app = spawn(backend, &[("rate_limit_leads", "5")]).await;

    let first = post_lead(&app).await;
    first.expect_rate_headers(5, 4, 60);
    assert_eq!(
        first.header("retry-after"),
        None,
        "admitted: no Retry-After"
    );

    // 10.5 s later the first admission ages out in 49.5 s, rounded up to 50.
    set_clock_ms(&app, START_MS + 10_500);
    for remaining in [3, 2, 1, 0] {
        post_lead(&app).await.expect_rate_headers(5, remaining, 50);
    }

    set_clock_ms(&app, START_MS + 20_250);
    post_lead(&app).await.expect_rate_limited(5, 40);

    // Just after the first admission ages out one slot is free, and the
    // next to free is at second 70.5.
    set_clock_ms(&app, START_MS + 60_001);
    let admitted = post_lead(&app).await;
    expect_created(&admitted);
    admitted.expect_rate_headers(5, 0, 11);
    post_lead(&app).await.expect_rate_limited(5, 11);
}

async fn concurrent_requests_admit_exactly_limit(backend: Backend) {
    let app = spawn(backend, &[("rate_limit_leads", "20")]).await;
    let warm_up = app.get("/health").send().await;
    assert_eq!(warm_up.status, StatusCode::OK, "{}", warm_up.text());

    let mut requests = JoinSet::new();
    for _ in 0..50 {
        requests.spawn(app.post("/api/leads").json(&minimal_lead()).send());
    }
    let mut created = 0;
    let mut limited = 0;
    while let Some(response) = requests.join_next().await {
        let response = response.expect("request task");
        match response.status {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                response.expect_rate_limited(20, 60);
                limited += 1;
            }
            other => panic!("unexpected {other}: {}", response.text()),
        }
    }

    assert_eq!((created, limited), (20, 30));
}

async fn callers_have_separate_budgets(backend: Backend) {
    let app = spawn(
        backend,
        &[
            ("rate_limit_leads", "2"),
            ("jwt_public_keys", &public_key_pem(&keys().primary)),
        ],
    )
    .await;
    let now = (START_MS / 1000) as i64;
    let alice = Token::valid(now).claim("sub", json!("alice")).encode();
    let alice_again = Token::valid(now)
        .claim("sub", json!("alice"))
        .claim("scope", json!("write:leads read:leads"))
        .encode();
    let bob = Token::valid(now).claim("sub", json!("bob")).encode();
    let created = app
        .post("/api/admin/api-keys")
        .json(&json!({"name": "writer", "scopes": ["write:leads"]}))
        .send()
        .await
        .expect_json(StatusCode::CREATED);
    let api_key = created["key"].as_str().expect("the new key");

    for _ in 0..2 {
        expect_created(&post_lead(&app).await);
    }
    post_lead(&app).await.expect_rate_limited(2, 60);

    for caller in [&alice, &bob] {
        for _ in 0..2 {
            let response = app
                .post("/api/leads")
                .bearer(caller)
                .json(&minimal_lead())
                .send()
                .await;
            expect_created(&response);
        }
    }
    // Another token with the same subject is the same caller.
    let same_subject = app
        .post("/api/leads")
        .bearer(&alice_again)
        .json(&minimal_lead())
        .send()
        .await;
    same_subject.expect_rate_limited(2, 60);

    let by_key = app
        .post("/api/leads")
        .api_key(api_key)
        .json(&minimal_lead())
        .send()
        .await;
    expect_created(&by_key);
}

async fn lead_reads_and_writes_share_budget(backend: Backend) {
    let app = spawn(backend, &[("rate_limit_leads", "2")]).await;

    expect_created(&post_lead(&app).await);
    let read = app.get("/api/leads/lead_0000000000000000").send().await;
    read.expect_plain_error(StatusCode::NOT_FOUND, "NOT_FOUND");
    read.expect_rate_headers(2, 0, 60);

    let limited = app.get("/api/leads/lead_0000000000000000").send().await;
    limited.expect_rate_limited(2, 60);
}

async fn groups_have_separate_budgets(backend: Backend) {
    let app = spawn(
        backend,
        &[("rate_limit_leads", "1"), ("rate_limit_health", "3")],
    )
    .await;
    expect_created(&post_lead(&app).await);
    post_lead(&app).await.expect_rate_limited(1, 60);

    expect_health_admitted(&health(&app, None).await, 3, 2);
    // Admin routes are not rate limited.
    for _ in 0..3 {
        let keys = app.get("/api/admin/api-keys").send().await;
        keys.expect_json(StatusCode::OK);
    }
}

async fn rejected_requests_use_no_budget(backend: Backend) {
    let app = spawn(
        backend,
        &[
            ("rate_limit_leads", "1"),
            ("jwt_public_keys", &public_key_pem(&keys().primary)),
        ],
    )
    .await;
    let now = (START_MS / 1000) as i64;
    let reader = Token::valid(now)
        .claim("scope", json!(["read:leads"]))
        .encode();
    let writer = Token::valid(now).encode();

    for _ in 0..3 {
        let forbidden = app
            .post("/api/leads")
            .bearer(&reader)
            .json(&minimal_lead())
            .send()
            .await;
        forbidden.expect_forbidden();
        let unauthorized = app
            .post("/api/leads")
            .without_credentials()
            .json(&minimal_lead())
            .send()
            .await;
        unauthorized.expect_unauthorized();
    }
    let admitted = app
        .post("/api/leads")
        .bearer(&writer)
        .json(&minimal_lead())
        .send()
        .await;

    expect_created(&admitted);
    admitted.expect_rate_headers(1, 0, 60);
}

async fn errors_after_limit_check_carry_headers(backend: Backend) {
    let app = spawn(backend, &[("rate_limit_leads", "2")]).await;

    let invalid = app
        .post("/api/leads")
        .json(&json!({"name": "", "email": "not-an-email"}))
        .send()
        .await;
    let malformed = app.post("/api/leads").json_bytes("{").send().await;
    let limited = app.post("/api/leads").json_bytes("{").send().await;

    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    invalid.expect_rate_headers(2, 1, 60);
    malformed.expect_plain_error(StatusCode::BAD_REQUEST, "BAD_REQUEST");
    malformed.expect_rate_headers(2, 0, 60);
    // The limit is checked before the body is read.
    limited.expect_rate_limited(2, 60);
}

async fn health_is_limited_per_client_address(backend: Backend) {
    let app = spawn(backend, &[("rate_limit_health", "3")]).await;

    for remaining in [2, 1, 0] {
        expect_health_admitted(&health(&app, None).await, 3, remaining);
    }
    health(&app, None).await.expect_rate_limited(3, 60);
    // Credentials do not give the address a new budget.
    let with_other_key = app
        .get("/health")
        .api_key("ak_SomeOtherKey000000000000000000")
        .send()
        .await;
    with_other_key.expect_rate_limited(3, 60);

    let other_client = app.get("/health").client_ip(OTHER_CLIENT).send().await;
    expect_health_admitted(&other_client, 3, 2);
}

async fn forwarded_for_is_ignored_from_untrusted_sender(backend: Backend) {
    let app = spawn(
        backend,
        &[("rate_limit_health", "2"), ("trusted_proxies", "127.0.0.2")],
    )
    .await;

    expect_health_admitted(&health(&app, Some("203.0.113.1")).await, 2, 1);
    expect_health_admitted(&health(&app, Some("203.0.113.2")).await, 2, 0);
    let spoofed = health(&app, Some("203.0.113.3")).await;

    spoofed.expect_rate_limited(2, 60);
}

async fn forwarded_for_is_used_from_trusted_proxy(backend: Backend) {
    let app = spawn(
        backend,
        &[("rate_limit_health", "2"), ("trusted_proxies", "127.0.0.1")],
    )
    .await;

    for remaining in [1, 0] {
        let response = health(&app, Some("203.0.113.1")).await;
        expect_health_admitted(&response, 2, remaining);
    }
    health(&app, Some("203.0.113.1"))
        .await
        .expect_rate_limited(2, 60);

    expect_health_admitted(&health(&app, Some("203.0.113.2")).await, 2, 1);
    // The proxy's own requests count for its address.
    expect_health_admitted(&health(&app, None).await, 2, 1);
    // An untrusted sender's header is ignored even when a proxy is trusted.
    let untrusted = app
        .get("/health")
        .client_ip(OTHER_CLIENT)
        .header("x-forwarded-for", "203.0.113.2")
        .send()
        .await;
    expect_health_admitted(&untrusted, 2, 1);
}

async fn forwarded_chain_uses_rightmost_untrusted_address(backend: Backend) {
    let app = spawn(
        backend,
        &[
            ("rate_limit_health", "2"),
            ("trusted_proxies", "127.0.0.1, 10.0.0.0/8"),
        ],
    )
    .await;

    // The client is 203.0.113.7: the left entries are whatever it sent.
    let chains = [
        "198.51.100.1, 203.0.113.7, 10.1.2.3",
        "192.0.2.99, 203.0.113.7",
        "203.0.113.7,10.9.9.9, 10.0.0.1",
    ];
    expect_health_admitted(&health(&app, Some(chains[0])).await, 2, 1);
    expect_health_admitted(&health(&app, Some(chains[1])).await, 2, 0);
    health(&app, Some(chains[2]))
        .await
        .expect_rate_limited(2, 60);

    expect_health_admitted(&health(&app, Some("203.0.113.7, 203.0.113.8")).await, 2, 1);
}

#[tokio::test]
async fn sqlite_backend_records_admissions_only() {
    let app = spawn(Backend::Sqlite, &[("rate_limit_leads", "2")]).await;

    for _ in 0..2 {
        expect_created(&post_lead(&app).await);
    }
    post_lead(&app).await.expect_rate_limited(2, 60);

    assert_eq!(rate_limit_rows(&app), 2);
}

#[tokio::test]
async fn redis_backend_keeps_window_in_redis() {
    let app = spawn(Backend::Redis, &[("rate_limit_leads", "2")]).await;

    for _ in 0..2 {
        expect_created(&post_lead(&app).await);
    }
    post_lead(&app).await.expect_rate_limited(2, 60);

    let key = format!("{}:ratelimit:leads:bootstrap", app.redis_key_prefix());
    assert_eq!(redis_window_size(&key).await, 2, "entries of {key}");
    assert_eq!(rate_limit_rows(&app), 0, "no admission recorded in SQLite");
}

#[tokio::test]
async fn unreachable_redis_falls_back_to_database() {
    let app = TestApp::builder()
        .variable("redis_address", CLOSED_REDIS_ADDRESS)
        .variable("rate_limit_leads", "2")
        .spawn()
        .await;
    set_clock_ms(&app, START_MS);

    for remaining in [1, 0] {
        let response = post_lead(&app).await;
        expect_created(&response);
        response.expect_rate_headers(2, remaining, 60);
    }
    post_lead(&app).await.expect_rate_limited(2, 60);

    assert_eq!(rate_limit_rows(&app), 2);
}

/// Counts the rows of the `rate_limit_hits` table.
fn rate_limit_rows(app: &TestApp) -> i64 {
    app.db()
        .query_row("SELECT COUNT(*) FROM rate_limit_hits", [], |row| row.get(0))
        .expect("count rate_limit_hits")
}

/// Returns the number of entries of the sorted set at `key` in the local Redis.
async fn redis_window_size(key: &str) -> i64 {
    let client = redis::Client::open(REDIS_ADDRESS).expect("Redis address");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to the local Redis");
    redis::cmd("ZCARD")
        .arg(key)
        .query_async(&mut connection)
        .await
        .expect("ZCARD")
}
