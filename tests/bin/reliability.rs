//! Measures whether lead events survive a Redis outage under load.
//!
//! It serves the app of `spin.toml` through the wasmtime test host in this
//! process, with a private `redis-server` as its queue, and subscribes to
//! the events channel. Concurrent clients send `POST /api/leads`; partway
//! through, the script stops Redis, and later starts it again. After the
//! last request it polls `/health` once a second, as a monitor would, until
//! every stored lead's `lead.created` event has arrived or 30 seconds have
//! passed, and prints what was stored, received and missing.
//!
//! Redis pub/sub drops a message that no subscriber listens to. So that the
//! figure measures the platform and not that race, the restarted server
//! first listens only on a Unix socket, where the subscriber reconnects, and
//! opens its TCP port to the app once the subscriber is back.

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures::StreamExt;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use spin_test_host::{App, HostOptions, server, workspace_root};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "\
Usage: reliability [OPTIONS]

Sends lead POSTs to the app of spin.toml, served in this process, while its
private Redis is stopped for part of the run, and counts the lead.created
events a subscriber receives. Needs redis-server on the PATH. Build the
components first:
  scripts/build-components

Options:
  --requests N       Lead POSTs to send [default: 10000]
  --clients N        Concurrent keep-alive connections [default: 32]
  --stop-after N     Stop Redis once N requests have been sent [default: 2500]
  --restart-after N  Start Redis again once N requests have been sent; above
                     --requests, once the last response has arrived [default: 6000]
  --grace N          Seconds to wait for missing events after the last request [default: 30]
  -h, --help         Print this help
";

/// Key sent in `X-API-Key` and configured as the app's bootstrap admin key.
const API_KEY: &str = "ak_reliability000000000000000000000";

/// Per-caller limit on lead requests per minute, far above any rate this
/// host reaches, so no request is rate limited.
const LEADS_RATE_LIMIT: &str = "1000000000";

/// Attempts per lead when the app responds with `503` or the connection
/// fails. A `503` means the lead was not stored, so sending it again is
/// safe. A repeat of a stored lead would get a `409`, which counts as
/// stored.
const ATTEMPTS_PER_LEAD: u32 = 20;

/// A response slower than this counts as a failed attempt.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

struct Options {
    requests: usize,
    clients: usize,
    stop_after: usize,
    restart_after: usize,
    grace: Duration,
}

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("reliability: {error:#}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let options = parse_args(std::env::args().skip(1))?;
    let run_id = unique_suffix();
    let state = StateDir::create(&run_id)?;
    let channel = format!("cloudvelous-reliability-{run_id}");

    let mut redis = RedisServer::start(state.path())?;
    let subscriber = Subscriber::start(&redis.socket_url(), &channel);
    subscriber.wait_for_subscription(1).await?;

    let app = load_app(state.path(), &redis.tcp_url(), &channel, &run_id)?;
    let database = app
        .sqlite_path("default")
        .context("the app has a default database")?;
    let app = Arc::new(app);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(server::serve(Arc::clone(&app), listener));

    println!(
        "reliability run: {} lead POSTs from {} clients, wasmtime test host in this process, {} CPU cores",
        options.requests,
        options.clients,
        std::thread::available_parallelism().map_or(0, |cores| cores.get())
    );
    if options.restart_after > options.requests {
        println!(
            "Redis stopped once {} requests were sent, started again after the last response",
            options.stop_after
        );
    } else {
        println!(
            "Redis stopped once {} requests were sent, started again once {} were sent",
            options.stop_after, options.restart_after
        );
    }

    let sent = Arc::new(AtomicUsize::new(0));
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let clients: Vec<_> = (0..options.clients)
        .map(|_| {
            let sent = Arc::clone(&sent);
            let tally = Arc::clone(&tally);
            let total = options.requests;
            let run_id = run_id.clone();
            tokio::spawn(async move { client(addr, sent, total, &run_id, &tally).await })
        })
        .collect();

    let stopped_at = control_outage(&mut redis, &subscriber, &sent, &options).await?;
    for client in clients {
        client.await.context("a client task failed")??;
    }
    let run_time = started.elapsed();
    let run_end = Instant::now();
    if redis.is_stopped() {
        redis.restart(&subscriber).await?;
        println!("Redis started again after the last response");
    }
    let outage = redis
        .restarted_at
        .map_or(Duration::ZERO, |restarted| restarted - stopped_at);

    let stored = stored_lead_ids(&database)?;
    let drained = wait_for_events(addr, &subscriber, &stored, run_end, options.grace).await?;
    server.abort();

    let received = subscriber.messages();
    let created_ids = created_event_ids(&received);
    let delivered_leads = created_lead_ids(&received);
    let missing = stored.difference(&delivered_leads).count();

    println!(
        "requests: {} created (201), {} already stored on a repeat (409), {} repeated after a 503 or a connection error, {} failed",
        tally.created.load(Ordering::Relaxed),
        tally.conflicts.load(Ordering::Relaxed),
        tally.retries.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
    );
    println!(
        "run: {:.1} s, {:.0} requests/s; Redis down for {:.1} s",
        run_time.as_secs_f64(),
        options.requests as f64 / run_time.as_secs_f64(),
        outage.as_secs_f64(),
    );
    println!("leads stored: {}", stored.len());
    println!(
        "distinct lead.created event ids received: {}",
        created_ids.len()
    );
    println!("raw messages received: {}", received.len());
    match drained {
        Some(after) => println!(
            "missing: {missing} (all events arrived within {:.1} s of the last response, /health polled every second)",
            after.as_secs_f64()
        ),
        None => println!(
            "missing: {missing} ({} s after the last response, /health polled every second)",
            options.grace.as_secs()
        ),
    }
    if missing > 0 || stored.len() != options.requests {
        bail!("target not met: {} stored, {missing} missing", stored.len());
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    created: AtomicU64,
    conflicts: AtomicU64,
    retries: AtomicU64,
    failed: AtomicU64,
}

/// Sends leads over one keep-alive connection, taking the next lead number
/// from `sent` until `total` are taken.
async fn client(
    addr: SocketAddr,
    sent: Arc<AtomicUsize>,
    total: usize,
    run_id: &str,
    tally: &Tally,
) -> Result<()> {
    let mut connection = None;
    loop {
        let index = sent.fetch_add(1, Ordering::SeqCst);
        if index >= total {
            return Ok(());
        }
        let body = serde_json::json!({
            "name": format!("Reliability Lead {index}"),
            "email": format!("reliability-{run_id}-{index}@example.com"),
            "source": "website",
        })
        .to_string();

        let mut attempt = 1;
        loop {
            match post_lead(addr, &mut connection, &body).await {
                Ok(StatusCode::CREATED) => {
                    tally.created.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(StatusCode::CONFLICT) if attempt > 1 => {
                    tally.conflicts.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(status) if status != StatusCode::SERVICE_UNAVAILABLE => {
                    eprintln!("reliability: lead {index} answered {status}");
                    tally.failed.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                outcome => {
                    if attempt >= ATTEMPTS_PER_LEAD {
                        eprintln!("reliability: lead {index} failed {attempt} times: {outcome:?}");
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    connection = None;
                    attempt += 1;
                    tally.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

type Sender = http1::SendRequest<Full<Bytes>>;

async fn post_lead(
    addr: SocketAddr,
    connection: &mut Option<Sender>,
    body: &str,
) -> Result<StatusCode> {
    if connection.as_ref().is_none_or(|sender| sender.is_closed()) {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, driver) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(driver);
        *connection = Some(sender);
    }
    let sender = connection.as_mut().context("a connection")?;
    sender.ready().await?;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/leads")
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .header("x-api-key", API_KEY)
        .body(Full::new(Bytes::from(body.to_owned())))?;
    let response = tokio::time::timeout(REQUEST_TIMEOUT, sender.send_request(request))
        .await
        .context("no response within 30 s")??;
    let status = response.status();
    response.into_body().collect().await?;
    Ok(status)
}

/// Stops Redis once `stop_after` requests are sent, and starts it again
/// once `restart_after` are, unless that is more than the run sends.
/// Returns when Redis was stopped.
async fn control_outage(
    redis: &mut RedisServer,
    subscriber: &Subscriber,
    sent: &AtomicUsize,
    options: &Options,
) -> Result<Instant> {
    while sent.load(Ordering::SeqCst) < options.stop_after.min(options.requests) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    redis.stop();
    let stopped = Instant::now();
    println!(
        "Redis stopped at request {}",
        sent.load(Ordering::SeqCst).min(options.requests)
    );
    if options.restart_after > options.requests {
        return Ok(stopped);
    }
    while sent.load(Ordering::SeqCst) < options.restart_after {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    redis.restart(subscriber).await?;
    println!(
        "Redis started again at request {}",
        sent.load(Ordering::SeqCst).min(options.requests)
    );
    Ok(stopped)
}

/// Polls `/health` once a second until every lead in `stored` has a
/// `lead.created` event or `grace` has passed since `run_end`. Returns the
/// time since `run_end` at which the last event had arrived, or `None` when
/// events were still missing.
async fn wait_for_events(
    addr: SocketAddr,
    subscriber: &Subscriber,
    stored: &BTreeSet<String>,
    run_end: Instant,
    grace: Duration,
) -> Result<Option<Duration>> {
    let started = run_end;
    let mut connection = None;
    loop {
        let delivered = created_lead_ids(&subscriber.messages());
        if stored.is_subset(&delivered) {
            return Ok(Some(started.elapsed()));
        }
        if started.elapsed() >= grace {
            return Ok(None);
        }
        if let Err(error) = get_health(addr, &mut connection).await {
            eprintln!("reliability: /health failed: {error:#}");
            connection = None;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn get_health(addr: SocketAddr, connection: &mut Option<Sender>) -> Result<()> {
    if connection.as_ref().is_none_or(|sender| sender.is_closed()) {
        let stream = TcpStream::connect(addr).await?;
        let (sender, driver) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(driver);
        *connection = Some(sender);
    }
    let sender = connection.as_mut().context("a connection")?;
    sender.ready().await?;
    let request = Request::builder()
        .uri("/health")
        .header("host", addr.to_string())
        .body(Full::new(Bytes::new()))?;
    let response = sender.send_request(request).await?;
    response.into_body().collect().await?;
    Ok(())
}

fn load_app(state: &Path, redis_address: &str, channel: &str, run_id: &str) -> Result<App> {
    let mut options = HostOptions::new(workspace_root().join("spin.toml"), state.join("stores"));
    options.read_environment = false;
    options.component_stderr = false;
    for (name, value) in [
        ("bootstrap_api_key", API_KEY),
        ("rate_limit_leads", LEADS_RATE_LIMIT),
        ("redis_address", redis_address),
        ("events_channel", channel),
        (
            "redis_key_prefix",
            &format!("cloudvelous-reliability-{run_id}"),
        ),
    ] {
        options
            .variables
            .insert(name.to_string(), value.to_string());
    }
    App::load(&options).context("load spin.toml; run scripts/build-components first")
}

fn stored_lead_ids(database: &Path) -> Result<BTreeSet<String>> {
    let connection = rusqlite::Connection::open(database)?;
    let mut statement = connection.prepare("SELECT id FROM leads")?;
    let ids = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<BTreeSet<String>>>()?;
    Ok(ids)
}

fn created_events(messages: &[String]) -> impl Iterator<Item = serde_json::Value> + '_ {
    messages
        .iter()
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .filter(|event| event["event"] == "lead.created")
}

fn created_event_ids(messages: &[String]) -> BTreeSet<String> {
    created_events(messages)
        .filter_map(|event| event["id"].as_str().map(str::to_owned))
        .collect()
}

fn created_lead_ids(messages: &[String]) -> BTreeSet<String> {
    created_events(messages)
        .filter_map(|event| event["data"]["lead_id"].as_str().map(str::to_owned))
        .collect()
}

/// A `redis-server` of this run, reachable over a Unix socket and a TCP
/// port.
struct RedisServer {
    folder: PathBuf,
    port: u16,
    child: Option<Child>,
    restarted_at: Option<Instant>,
}

impl RedisServer {
    fn start(folder: &Path) -> Result<RedisServer> {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.local_addr()?.port()
        };
        let mut server = RedisServer {
            folder: folder.to_path_buf(),
            port,
            child: None,
            restarted_at: None,
        };
        server.spawn()?;
        server.open_tcp_port()?;
        Ok(server)
    }

    fn socket_path(&self) -> PathBuf {
        self.folder.join("redis.sock")
    }

    fn socket_url(&self) -> String {
        format!("redis+unix://{}", self.socket_path().display())
    }

    fn tcp_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn is_stopped(&self) -> bool {
        self.child.is_none()
    }

    /// Starts the server on the Unix socket only.
    fn spawn(&mut self) -> Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", "0", "--bind", "127.0.0.1"])
            .arg("--unixsocket")
            .arg(self.socket_path())
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start redis-server; is it installed?")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        let client = redis::Client::open(self.socket_url())?;
        loop {
            let answered = client
                .get_connection()
                .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection));
            if answered.is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("redis-server did not answer on its socket within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Opens the TCP port that the app uses.
    fn open_tcp_port(&self) -> Result<()> {
        let client = redis::Client::open(self.socket_url())?;
        let mut connection = client.get_connection()?;
        redis::cmd("CONFIG")
            .arg("SET")
            .arg("port")
            .arg(self.port)
            .query::<()>(&mut connection)
            .context("open the TCP port with CONFIG SET port")?;
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again, waits until the subscriber is back, then
    /// opens the TCP port.
    async fn restart(&mut self, subscriber: &Subscriber) -> Result<()> {
        let subscriptions = subscriber.subscriptions();
        self.spawn()?;
        subscriber.wait_for_subscription(subscriptions + 1).await?;
        self.open_tcp_port()?;
        self.restarted_at = Some(Instant::now());
        Ok(())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Records every message of the events channel, reconnecting after an
/// outage.
struct Subscriber {
    messages: Arc<Mutex<Vec<String>>>,
    subscriptions: Arc<AtomicU64>,
}

impl Subscriber {
    fn start(address: &str, channel: &str) -> Subscriber {
        let messages = Arc::new(Mutex::new(Vec::new()));
        let subscriptions = Arc::new(AtomicU64::new(0));
        tokio::spawn(record(
            address.to_string(),
            channel.to_string(),
            Arc::clone(&messages),
            Arc::clone(&subscriptions),
        ));
        Subscriber {
            messages,
            subscriptions,
        }
    }

    fn subscriptions(&self) -> u64 {
        self.subscriptions.load(Ordering::SeqCst)
    }

    async fn wait_for_subscription(&self, count: u64) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.subscriptions() < count {
            if Instant::now() >= deadline {
                bail!("the subscriber did not reconnect within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    fn messages(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn record(
    address: String,
    channel: String,
    messages: Arc<Mutex<Vec<String>>>,
    subscriptions: Arc<AtomicU64>,
) {
    let Ok(client) = redis::Client::open(address.as_str()) else {
        eprintln!("reliability: invalid subscriber address");
        return;
    };
    loop {
        let pubsub = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            redis::RedisResult::Ok(pubsub)
        };
        let Ok(pubsub) = pubsub.await else {
            tokio::time::sleep(Duration::from_millis(5)).await;
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

/// A folder for the run's stores and Redis socket, removed when dropped.
struct StateDir(PathBuf);

impl StateDir {
    fn create(run_id: &str) -> Result<StateDir> {
        let path = std::env::temp_dir().join(format!("cloudvelous-reliability-{run_id}"));
        std::fs::create_dir(&path)
            .with_context(|| format!("failed to create {}", path.display()))?;
        Ok(StateDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.0) {
            eprintln!(
                "reliability: failed to remove {}: {error}",
                self.0.display()
            );
        }
    }
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options> {
    let mut options = Options {
        requests: 10_000,
        clients: 32,
        stop_after: 2_500,
        restart_after: 6_000,
        grace: Duration::from_secs(30),
    };
    while let Some(arg) = args.next() {
        let mut number = || -> Result<usize> {
            let value = args
                .next()
                .with_context(|| format!("{arg} needs a value"))?;
            value
                .parse()
                .with_context(|| format!("{arg} takes a whole number, not {value:?}"))
        };
        match arg.as_str() {
            "--requests" => options.requests = number()?,
            "--clients" => options.clients = number()?.max(1),
            "--stop-after" => options.stop_after = number()?,
            "--restart-after" => options.restart_after = number()?,
            "--grace" => options.grace = Duration::from_secs(number()? as u64),
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n\n{USAGE}"),
        }
    }
    if options.restart_after < options.stop_after {
        bail!("--restart-after must not be below --stop-after");
    }
    Ok(options)
}
