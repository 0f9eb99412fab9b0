//! What the event and webhook tests share: unique channel names, a Redis
//! server of the test's own, a subscriber that records every message of a
//! channel, and apps configured to publish to a channel.

use crate::support::TestApp;
use serde_json::Value;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::task::JoinHandle;

/// The local Redis server the tests may use.
pub const LOCAL_REDIS: &str = "redis://127.0.0.1:6379";

/// How long a test waits for events that should arrive.
pub const EVENT_WAIT: Duration = Duration::from_secs(30);

/// Returns a channel name no other test of any run uses.
pub fn unique_channel(purpose: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!(
        "cloudvelous-test-{purpose}-{}-{started}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Starts an app that publishes lead events to `channel` on the Redis
/// server at `redis_address`, with the test-data routes on, and with
/// `extra` variables on top.
pub async fn app_publishing_to(
    redis_address: &str,
    channel: &str,
    extra: &[(&str, &str)],
) -> TestApp {
    let mut builder = TestApp::builder()
        .variable("redis_address", redis_address)
        .variable("events_channel", channel)
        .variable("test_endpoints", "true");
    for (name, value) in extra {
        builder = builder.variable(name, value);
    }
    builder.spawn().await
}

/// Counts the events waiting in an app's outbox.
pub fn pending_event_count(app: &TestApp) -> i64 {
    app.db()
        .query_row("SELECT COUNT(*) FROM event_outbox", [], |row| row.get(0))
        .expect("count the outbox")
}

/// A `redis-server` process of one test, on a free loopback port, without
/// persistence. It can be stopped and started again on the same port, to
/// simulate an outage, and is stopped when dropped.
pub struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts a server on a free port and waits until it responds to `PING`.
    pub fn start() -> PrivateRedis {
        let port = free_port();
        let mut redis = PrivateRedis { port, child: None };
        redis.restart();
        redis
    }

    /// Returns the server's address, `redis://127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server and waits until the process has exited.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and waits until it responds
    /// to `PING`.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server; install it to run the event tests");
        self.child = Some(child);
        self.wait_until_ready();
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let client = redis::Client::open(self.address()).expect("valid address");
        loop {
            let answered = client
                .get_connection_with_timeout(Duration::from_millis(200))
                .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection));
            if answered.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Returns a loopback port that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let SocketAddr::V4(address) = listener.local_addr().expect("local address") else {
        unreachable!("bound to an IPv4 address");
    };
    address.port()
}

/// Records every message of one channel, reconnecting when its Redis
/// server goes away and comes back.
pub struct Subscriber {
    messages: Arc<Mutex<Vec<String>>>,
    subscriptions: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Subscriber {
    /// Subscribes to `channel` on `redis_address`. The subscription is
    /// active when this returns.
    pub async fn start(redis_address: &str, channel: &str) -> Subscriber {
        let messages = Arc::new(Mutex::new(Vec::new()));
        let subscriptions = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(record(
            redis_address.to_string(),
            channel.to_string(),
            Arc::clone(&messages),
            Arc::clone(&subscriptions),
        ));
        let subscriber = Subscriber {
            messages,
            subscriptions,
            task,
        };
        subscriber.wait_for_subscription(1).await;
        subscriber
    }

    /// Counts the subscriptions made so far: 1 after [`Subscriber::start`],
    /// and one more each time the subscriber reconnects after its Redis
    /// server went away.
    pub fn subscriptions(&self) -> u64 {
        self.subscriptions.load(Ordering::SeqCst)
    }

    /// Waits until the subscriber has subscribed `count` times, so that a
    /// test publishes only once a restarted server has a subscriber again:
    /// Redis pub/sub drops messages that no subscriber listens to.
    pub async fn wait_for_subscription(&self, count: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.subscriptions() < count {
            assert!(
                Instant::now() < deadline,
                "the subscriber did not subscribe {count} times within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Returns every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Returns the messages parsed as JSON.
    pub fn events(&self) -> Vec<Value> {
        self.messages()
            .iter()
            .map(|text| serde_json::from_str(text).expect("each message is JSON"))
            .collect()
    }

    /// Waits until at least `count` messages have arrived, running `poke`
    /// between checks, and returns them. Panics after [`EVENT_WAIT`].
    pub async fn wait_for<F, Fut>(&self, count: usize, mut poke: F) -> Vec<String>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ()>,
    {
        let deadline = Instant::now() + EVENT_WAIT;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} messages arrived within {EVENT_WAIT:?}",
                messages.len()
            );
            poke().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    address: String,
    channel: String,
    messages: Arc<Mutex<Vec<String>>>,
    subscriptions: Arc<AtomicU64>,
) {
    use futures::StreamExt;

    let client = redis::Client::open(address.as_str()).expect("valid address");
    loop {
        let pubsub = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            redis::RedisResult::Ok(pubsub)
        };
        let Ok(pubsub) = pubsub.await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        subscriptions.fetch_add(1, Ordering::SeqCst);
        let mut stream = pubsub.into_on_message();
        while let Some(message) = stream.next().await {
            let text = String::from_utf8_lossy(message.get_payload_bytes()).into_owned();
            messages
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(text);
        }
    }
}
