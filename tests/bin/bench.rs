//! Measures `POST /api/leads` throughput and latency against a reference
//! served by the wasmtime test host in this process, over keep-alive
//! HTTP/1.1 connections on loopback listeners. The throughput ratio between
//! the two shows the cost of what the measured side does beyond the
//! reference.
//!
//! The default mode compares the leads component, built without
//! authentication and rate limiting, with a baseline component that does
//! only the durable write (open the `default` database, run one `INSERT`,
//! respond). The `--auth` mode compares the leads component that
//! verifies an RS256 bearer token and keeps its rate-limit windows in Redis
//! with the same component built with authentication and rate limiting
//! compiled out, each served by its own app.

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::rand_core::RngCore as _;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};
use spin_test_host::{App, ExtraComponent, HostOptions, server, workspace_root};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "\
Usage: bench [OPTIONS]

Measures POST /api/leads against a reference, both served by the wasmtime
test host in this process. Build the components first:
  scripts/build-components

Options:
  --auth               Compare the leads component with a verified RS256 bearer
                       token and Redis-backed rate limits against the same
                       component built without authentication and rate limiting
                       (needs Redis on 127.0.0.1:6379). Without it, compare the
                       leads component with the baseline component.
  --credential KIND    Credential of the --auth mode: bearer (an RS256 token) or
                       api-key (the bootstrap API key, which needs no signature
                       check and no database read) [default: bearer]
  --seconds N          Length of each measured run, in seconds [default: 5]
  --rounds N           Reference and measured runs per connection count [default: 3]
  --warmup N           Warm-up per target before each connection count, in seconds [default: 2]
  --connections LIST   Comma-separated numbers of keep-alive connections [default: 8,32]
  -h, --help           Print this help
";

/// Throughput of the leads component, as a share of the baseline's, that
/// the default mode aims for.
const LEADS_TARGET_RATIO: f64 = 0.70;

/// Throughput with authentication and rate limiting, as a share of the
/// throughput without them, that the `--auth` mode aims for: they may cost
/// at most 20%.
const AUTH_TARGET_RATIO: f64 = 0.80;

/// A response slower than this ends the benchmark with an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Key sent in `X-API-Key` and configured as the app's bootstrap admin key,
/// so the requests of the default mode pass authentication.
const BENCH_API_KEY: &str = "ak_benchmark00000000000000000000000";

/// Per-caller limit on lead requests per minute. The manifest's default of
/// 100 would reject every request after the first 100 of each minute, so the
/// limit is raised far above any rate this host reaches.
const LEADS_RATE_LIMIT: &str = "1000000000";

const BASELINE_WASM: &str = "target/wasm32-wasip2/release/cloudvelous_bench_baseline.wasm";
const BASELINE_ROUTE: &str = "/baseline/...";

/// The leads component built with the `unauthenticated-benchmark` feature.
const UNAUTHENTICATED_LEADS_WASM: &str =
    "target/wasm32-wasip2/bench-unauthenticated/cloudvelous_leads.wasm";

/// The Redis server that keeps the rate-limit windows in the `--auth` mode.
const REDIS_ADDRESS: &str = "redis://127.0.0.1:6379";

/// Claims of the bearer token, matching the manifest's default
/// `jwt_issuer` and `jwt_audience`.
const TOKEN_ISSUER: &str = "cloudvelous.com";
const TOKEN_AUDIENCE: &str = "cloudvelous-api";
const TOKEN_SUBJECT: &str = "benchmark";

/// Lifetime of the bearer token, longer than any benchmark run.
const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Lead sources, used in turn by successive request bodies.
const SOURCES: [&str; 5] = ["website", "social", "referral", "email", "phone"];

#[derive(Debug, Clone)]
struct Options {
    auth: bool,
    credential: CredentialKind,
    seconds: f64,
    rounds: usize,
    warmup: f64,
    connections: Vec<usize>,
}

/// The credential that requests of the `--auth` mode carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CredentialKind {
    /// `Authorization: Bearer` with an RS256 token.
    Bearer,
    /// `X-API-Key` with the bootstrap API key.
    ApiKey,
}

/// A component under measurement: where it listens, the path it serves
/// and the credential header each request carries.
#[derive(Debug, Clone)]
struct Target {
    name: &'static str,
    addr: SocketAddr,
    path: &'static str,
    credential: (HeaderName, HeaderValue),
}

/// The two targets of one mode and the throughput ratio it aims for.
#[derive(Debug, Clone)]
struct Comparison {
    description: &'static str,
    reference: Target,
    measured: Target,
    target_ratio: f64,
}

impl Comparison {
    fn ratio_name(&self) -> String {
        format!("{}/{}", self.measured.name, self.reference.name)
    }
}

/// Responses observed on one or more connections during one run.
#[derive(Debug, Default)]
struct Observations {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
    without_content_length: u64,
}

impl Observations {
    fn record(
        &mut self,
        latency: Duration,
        status: StatusCode,
        has_content_length: bool,
        body: &Bytes,
    ) {
        self.latencies.push(latency);
        if !has_content_length {
            self.without_content_length += 1;
        }
        if !status.is_success() {
            self.errors += 1;
            if self.first_error.is_none() {
                let text = String::from_utf8_lossy(body);
                self.first_error = Some(format!(
                    "{status}: {}",
                    text.chars().take(300).collect::<String>()
                ));
            }
        }
    }

    fn merge(&mut self, other: Observations) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.without_content_length += other.without_content_length;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// One timed run of one target.
#[derive(Debug)]
struct Run {
    observations: Observations,
    elapsed: Duration,
}

impl Run {
    fn requests_per_second(&self) -> f64 {
        self.observations.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// Every measured run of one target at one connection count.
#[derive(Debug, Default)]
struct Summary {
    throughputs: Vec<f64>,
    observations: Observations,
}

impl Summary {
    fn add(&mut self, run: Run) {
        self.throughputs.push(run.requests_per_second());
        self.observations.merge(run.observations);
    }

    fn median_throughput(&self) -> f64 {
        median(&self.throughputs)
    }
}

/// The counter that makes every email unique.
#[derive(Clone, Default)]
struct Client {
    sequence: Arc<AtomicU64>,
}

/// The apps of one mode, served on loopback listeners until dropped.
struct Served {
    comparison: Comparison,
    servers: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The `redis_key_prefix` of the app whose windows are in Redis.
    redis_key_prefix: Option<String>,
    _states: Vec<StateDir>,
}

impl Drop for Served {
    fn drop(&mut self) {
        for server in &self.servers {
            server.abort();
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = parse_args(std::env::args().skip(1))?;
    let served = if options.auth {
        serve_auth_comparison(options.credential).await?
    } else {
        serve_leads_comparison().await?
    };
    let client = Client::default();

    let (errors, without_content_length) = benchmark(&client, &served.comparison, &options).await?;
    check_redis_windows(&served).await?;
    drop(served);

    if errors > 0 || without_content_length > 0 {
        bail!(
            "{errors} responses were not 2xx and {without_content_length} had no Content-Length (details above)"
        );
    }
    Ok(())
}

/// Serves the app of `spin.toml` with the baseline component beside it.
/// The leads component is the build without authentication and rate
/// limiting, so this mode measures lead ingestion alone. The `--auth` mode
/// measures what authentication and rate limiting add on top.
async fn serve_leads_comparison() -> Result<Served> {
    let state = StateDir::create()?;
    let mut options = host_options(state.path());
    options
        .source_overrides
        .insert("leads".to_string(), unauthenticated_leads_source()?);
    options.extra_components.push(ExtraComponent {
        route: BASELINE_ROUTE.to_string(),
        id: "bench-baseline".to_string(),
        source: workspace_root().join(BASELINE_WASM),
        sqlite_databases: vec!["default".to_string()],
    });
    let (addr, server) = serve(&options).await?;
    let credential = (
        HeaderName::from_static("x-api-key"),
        HeaderValue::from_static(BENCH_API_KEY),
    );
    Ok(Served {
        comparison: Comparison {
            description: "POST /api/leads, built without authentication, against the baseline component",
            reference: Target {
                name: "baseline",
                addr,
                path: "/baseline/leads",
                credential: credential.clone(),
            },
            measured: Target {
                name: "leads",
                addr,
                path: "/api/leads",
                credential,
            },
            target_ratio: LEADS_TARGET_RATIO,
        },
        servers: vec![server],
        redis_key_prefix: None,
        _states: vec![state],
    })
}

/// Returns the path of the leads component built without authentication and rate limiting.
fn unauthenticated_leads_source() -> Result<PathBuf> {
    let source = workspace_root().join(UNAUTHENTICATED_LEADS_WASM);
    if !source.exists() {
        bail!(
            "{} is missing; build it with scripts/build-components",
            source.display()
        );
    }
    Ok(source)
}

/// Serves two apps of `spin.toml`: one that checks the `kind` credential
/// (a bearer token signed by a key generated here, or a bootstrap API key
/// made up here) and keeps its windows in Redis, and one whose leads
/// component is the build without authentication and rate limiting. Both
/// get the same requests, credential included.
async fn serve_auth_comparison(kind: CredentialKind) -> Result<Served> {
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
        .context("failed to generate an RSA key")?;
    let public_key = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .context("failed to encode the public key")?;
    let api_key = format!("ak_{}", random_alphanumerics(32));
    let (credential, description) = match kind {
        CredentialKind::Bearer => (
            (
                header::AUTHORIZATION,
                HeaderValue::try_from(format!("Bearer {}", bearer_token(&key)?))?,
            ),
            "POST /api/leads with a bearer token and Redis-backed rate limits \
             against the same component without them",
        ),
        CredentialKind::ApiKey => (
            (
                HeaderName::from_static("x-api-key"),
                HeaderValue::try_from(api_key.as_str())?,
            ),
            "POST /api/leads with the bootstrap API key and Redis-backed rate limits \
             against the same component without them",
        ),
    };

    let authenticated_state = StateDir::create()?;
    let mut authenticated = host_options(authenticated_state.path());
    let redis_key_prefix = authenticated_state.redis_key_prefix();
    let variables = [
        ("jwt_public_keys", public_key),
        ("bootstrap_api_key", api_key),
        ("redis_address", REDIS_ADDRESS.to_string()),
        ("redis_key_prefix", redis_key_prefix.clone()),
        ("events_channel", format!("{redis_key_prefix}.lead-events")),
    ];
    for (name, value) in variables {
        authenticated.variables.insert(name.to_string(), value);
    }
    let (authenticated_addr, authenticated_server) = serve(&authenticated).await?;

    let unauthenticated_state = StateDir::create()?;
    let mut unauthenticated = host_options(unauthenticated_state.path());
    unauthenticated
        .source_overrides
        .insert("leads".to_string(), unauthenticated_leads_source()?);
    // Both apps publish each lead's event to Redis after the insert, so the
    // ratio compares authentication and rate limiting alone.
    let unauthenticated_prefix = unauthenticated_state.redis_key_prefix();
    let variables = [
        ("redis_address", REDIS_ADDRESS.to_string()),
        ("redis_key_prefix", unauthenticated_prefix.clone()),
        (
            "events_channel",
            format!("{unauthenticated_prefix}.lead-events"),
        ),
    ];
    for (name, value) in variables {
        unauthenticated.variables.insert(name.to_string(), value);
    }
    let (unauthenticated_addr, unauthenticated_server) = serve(&unauthenticated).await?;

    Ok(Served {
        comparison: Comparison {
            description,
            reference: Target {
                name: "unauthenticated",
                addr: unauthenticated_addr,
                path: "/api/leads",
                credential: credential.clone(),
            },
            measured: Target {
                name: "authenticated",
                addr: authenticated_addr,
                path: "/api/leads",
                credential,
            },
            target_ratio: AUTH_TARGET_RATIO,
        },
        servers: vec![authenticated_server, unauthenticated_server],
        redis_key_prefix: Some(redis_key_prefix),
        _states: vec![authenticated_state, unauthenticated_state],
    })
}

/// Loads an app and serves it on a free loopback port.
async fn serve(
    options: &HostOptions,
) -> Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let app = Arc::new(App::load(options)?);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("failed to listen on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    Ok((addr, tokio::spawn(server::serve(app, listener))))
}

/// Returns `length` random ASCII letters and digits, for a key that exists
/// only during this run.
fn random_alphanumerics(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0_u8; length];
    rsa::rand_core::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

/// Signs an RS256 token with `key` that the app accepts for lead writes
/// until [`TOKEN_LIFETIME`] from now.
fn bearer_token(key: &RsaPrivateKey) -> Result<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    let claims = serde_json::json!({
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "sub": TOKEN_SUBJECT,
        "iat": now,
        "exp": now + TOKEN_LIFETIME.as_secs(),
        "scope": ["write:leads"],
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let digest = Sha256::digest(input.as_bytes());
    let signature = key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .context("failed to sign the bearer token")?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// Fails when an app was set to keep its rate-limit windows in Redis but no
/// window is there, which means the component fell back to SQLite and the
/// figures do not describe the Redis backend.
async fn check_redis_windows(served: &Served) -> Result<()> {
    let Some(prefix) = &served.redis_key_prefix else {
        return Ok(());
    };
    let pattern = format!("{prefix}:ratelimit:*");
    let client = redis::Client::open(REDIS_ADDRESS)?;
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .with_context(|| format!("failed to connect to {REDIS_ADDRESS}"))?;
    let mut keys = Vec::new();
    let mut cursor = 0_u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut connection)
            .await
            .context("SCAN failed")?;
        keys.extend(batch);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    if keys.is_empty() {
        bail!("no key matches {pattern} in Redis: the rate limiter did not use Redis");
    }
    println!("rate-limit windows in Redis: {}", keys.join(", "));
    Ok(())
}

/// Runs every connection count and prints the results. Returns the number of
/// non-2xx responses and the number of responses without `Content-Length`.
async fn benchmark(
    client: &Client,
    comparison: &Comparison,
    options: &Options,
) -> Result<(u64, u64)> {
    print_setup(comparison, options);
    let mut rows = Vec::new();
    for &connections in &options.connections {
        rows.push((
            connections,
            measure(client, comparison, options, connections).await?,
        ));
    }

    println!();
    print_table(comparison, &rows, options.rounds);
    let counts = print_response_checks(comparison, &rows);
    print_ratios(comparison, &rows);
    Ok(counts)
}

fn print_setup(comparison: &Comparison, options: &Options) {
    let cores = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    println!(
        "{}, wasmtime test host in this process",
        comparison.description
    );
    println!(
        "{} s runs, {} rounds per connection count, {} s warm-up per target, {cores} CPU cores available",
        options.seconds, options.rounds, options.warmup
    );
    println!("component stderr is off, so the components' per-request log lines are dropped");
    println!("client, host and SQLite share this machine's cores");
    println!();
}

/// Warms both targets up, then alternates reference and measured runs,
/// starting with the other target each round so that a drift over time
/// affects both.
async fn measure(
    client: &Client,
    comparison: &Comparison,
    options: &Options,
    connections: usize,
) -> Result<(Summary, Summary)> {
    let warmup = Duration::from_secs_f64(options.warmup);
    if !warmup.is_zero() {
        for target in [&comparison.measured, &comparison.reference] {
            run(client, target, connections, warmup).await?;
        }
    }

    let length = Duration::from_secs_f64(options.seconds);
    let mut reference = Summary::default();
    let mut measured = Summary::default();
    for round in 1..=options.rounds {
        let reference_first = round % 2 == 1;
        let mut line = format!("{connections} connections, round {round}:");
        for measuring in [!reference_first, reference_first] {
            let target = if measuring {
                &comparison.measured
            } else {
                &comparison.reference
            };
            let result = run(client, target, connections, length).await?;
            line.push_str(&format!(
                " {} {:.1} requests/s",
                target.name,
                result.requests_per_second()
            ));
            if measuring {
                measured.add(result);
            } else {
                reference.add(result);
            }
        }
        println!("{line}");
    }
    Ok((reference, measured))
}

/// Sends requests back to back on `connections` keep-alive connections until
/// `length` has passed. Requests in flight at that moment still count, and
/// the elapsed time runs until the last of their responses arrives.
async fn run(
    client: &Client,
    target: &Target,
    connections: usize,
    length: Duration,
) -> Result<Run> {
    let started = Instant::now();
    let deadline = started + length;
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(drive_connection(client.clone(), target.clone(), deadline)))
        .collect();

    let mut observations = Observations::default();
    for task in tasks {
        observations.merge(task.await.context("a client connection task panicked")??);
    }
    Ok(Run {
        observations,
        elapsed: started.elapsed(),
    })
}

async fn drive_connection(
    client: Client,
    target: Target,
    deadline: Instant,
) -> Result<Observations> {
    let stream = TcpStream::connect(target.addr)
        .await
        .with_context(|| format!("failed to connect to {}", target.addr))?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1.1 handshake failed")?;
    // The connection task ends when `sender` is dropped at the end of this function.
    tokio::spawn(connection);

    let mut observations = Observations::default();
    while Instant::now() < deadline {
        let request = lead_request(&client, &target)?;
        sender
            .ready()
            .await
            .context("the connection to the host closed")?;

        let started = Instant::now();
        let response = tokio::time::timeout(REQUEST_TIMEOUT, sender.send_request(request))
            .await
            .with_context(|| {
                format!(
                    "no response from {} within {REQUEST_TIMEOUT:?}",
                    target.path
                )
            })?
            .with_context(|| format!("request to {} failed", target.path))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .context("reading the response body failed")?
            .to_bytes();
        let latency = started.elapsed();

        let has_content_length = parts.headers.contains_key(header::CONTENT_LENGTH);
        observations.record(latency, parts.status, has_content_length, &body);
    }
    Ok(observations)
}

/// Builds a valid lead submission with every field set and an email that no
/// earlier request used, because a repeated email is a `409 Conflict`.
fn lead_request(client: &Client, target: &Target) -> Result<Request<Full<Bytes>>> {
    let number = client.sequence.fetch_add(1, Ordering::Relaxed);
    let source = SOURCES
        .get(number as usize % SOURCES.len())
        .copied()
        .unwrap_or("website");
    let body = serde_json::json!({
        "name": "Ada Lovelace",
        "email": format!("ada.lovelace+{number}@example.com"),
        "phone": "+14155550123",
        "company": "Analytical Engines Ltd",
        "source": source,
        "notes": "Asked for a demo of the enterprise plan for 40 seats.",
    });
    Ok(Request::builder()
        .method(Method::POST)
        .uri(target.path)
        .header(header::HOST, target.addr.to_string())
        .header(header::CONTENT_TYPE, "application/json")
        .header(target.credential.0.clone(), target.credential.1.clone())
        .body(Full::new(Bytes::from(serde_json::to_vec(&body)?)))?)
}

fn print_table(comparison: &Comparison, rows: &[(usize, (Summary, Summary))], rounds: usize) {
    println!(
        "| connections | target | requests/s (median of {rounds}) | p50 ms | p99 ms | requests | errors | {} |",
        comparison.ratio_name()
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (connections, (reference, measured)) in rows {
        let ratio = measured.median_throughput() / reference.median_throughput();
        let targets = [
            (&comparison.reference, reference, String::new()),
            (&comparison.measured, measured, format!("{ratio:.2}")),
        ];
        for (target, summary, ratio_cell) in targets {
            let mut latencies = summary.observations.latencies.clone();
            latencies.sort_unstable();
            println!(
                "| {connections} | {} | {:.1} | {:.2} | {:.2} | {} | {} | {ratio_cell} |",
                target.name,
                summary.median_throughput(),
                percentile_ms(&latencies, 50.0),
                percentile_ms(&latencies, 99.0),
                latencies.len(),
                summary.observations.errors,
            );
        }
    }
    println!();
    println!(
        "Latency percentiles are nearest-rank over all measured rounds; errors count non-2xx responses."
    );
}

/// Prints the first error of each run and the count of responses without
/// `Content-Length`. Returns the number of non-2xx responses and the number
/// without `Content-Length`.
fn print_response_checks(
    comparison: &Comparison,
    rows: &[(usize, (Summary, Summary))],
) -> (u64, u64) {
    let mut checked = 0;
    let mut without_length = 0;
    let mut errors = 0;
    for (connections, (reference, measured)) in rows {
        let targets = [
            (&comparison.reference, reference),
            (&comparison.measured, measured),
        ];
        for (target, summary) in targets {
            let observations = &summary.observations;
            checked += observations.latencies.len();
            without_length += observations.without_content_length;
            errors += observations.errors;
            if let Some(example) = &observations.first_error {
                println!(
                    "first error, {} at {connections} connections: {example}",
                    target.name
                );
            }
        }
    }
    println!("responses without Content-Length: {without_length} of {checked} measured responses");
    (errors, without_length)
}

fn print_ratios(comparison: &Comparison, rows: &[(usize, (Summary, Summary))]) {
    let ratios: Vec<(usize, f64)> = rows
        .iter()
        .map(|(connections, (reference, measured))| {
            (
                *connections,
                measured.median_throughput() / reference.median_throughput(),
            )
        })
        .collect();
    let met = ratios
        .iter()
        .all(|(_, ratio)| *ratio >= comparison.target_ratio);
    println!(
        "target {} >= {:.2}: {}",
        comparison.ratio_name(),
        comparison.target_ratio,
        if met { "met" } else { "not met" }
    );

    let parts: Vec<String> = ratios
        .iter()
        .enumerate()
        .map(|(position, (connections, ratio))| {
            if position == 0 {
                format!("ratio at {connections} connections: {ratio:.2}")
            } else {
                format!("at {connections}: {ratio:.2}")
            }
        })
        .collect();
    println!("{}", parts.join(", "));
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    let upper = sorted.get(middle).copied().unwrap_or(f64::NAN);
    if sorted.len() % 2 == 1 {
        return upper;
    }
    let lower = middle
        .checked_sub(1)
        .and_then(|index| sorted.get(index))
        .copied()
        .unwrap_or(f64::NAN);
    (lower + upper) / 2.0
}

/// Nearest-rank percentile of ascending latencies, in milliseconds.
fn percentile_ms(sorted: &[Duration], percent: f64) -> f64 {
    let rank = (percent / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1))
        .map_or(f64::NAN, |latency| latency.as_secs_f64() * 1000.0)
}

/// Options for `spin.toml` with stores under `state_dir`, the bench's
/// bootstrap key and a lead limit that no run reaches.
fn host_options(state_dir: &Path) -> HostOptions {
    let mut options = HostOptions::new(workspace_root().join("spin.toml"), state_dir);
    options.read_environment = false;
    options.component_stderr = false;
    options
        .variables
        .insert("bootstrap_api_key".to_string(), BENCH_API_KEY.to_string());
    options
        .variables
        .insert("rate_limit_leads".to_string(), LEADS_RATE_LIMIT.to_string());
    options
}

/// A fresh folder for the app's stores, removed when dropped.
struct StateDir(PathBuf);

impl StateDir {
    fn create() -> Result<StateDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let path =
            std::env::temp_dir().join(format!("cloudvelous-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path)
            .with_context(|| format!("failed to create {}", path.display()))?;
        Ok(StateDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Returns a `redis_key_prefix` unique to this folder, so windows of earlier
    /// runs in the same Redis never count.
    fn redis_key_prefix(&self) -> String {
        let name = self
            .0
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{name}:bench")
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.0) {
            eprintln!("bench: failed to remove {}: {error}", self.0.display());
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options> {
    let mut options = Options {
        auth: false,
        credential: CredentialKind::Bearer,
        seconds: 5.0,
        rounds: 3,
        warmup: 2.0,
        connections: vec![8, 32],
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--auth" => options.auth = true,
            "--credential" => {
                options.credential = match value()?.as_str() {
                    "bearer" => CredentialKind::Bearer,
                    "api-key" => CredentialKind::ApiKey,
                    other => bail!("--credential takes bearer or api-key, got {other:?}"),
                }
            }
            "--seconds" => options.seconds = parse_seconds(&arg, &value()?, false)?,
            "--warmup" => options.warmup = parse_seconds(&arg, &value()?, true)?,
            "--rounds" => options.rounds = parse_count(&arg, &value()?)?,
            "--connections" => {
                let list = value()?;
                options.connections = list
                    .split(',')
                    .map(|item| parse_count(&arg, item.trim()))
                    .collect::<Result<_>>()?;
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n\n{USAGE}"),
        }
    }
    Ok(options)
}

fn parse_seconds(flag: &str, text: &str, zero_allowed: bool) -> Result<f64> {
    let seconds: f64 = text
        .parse()
        .with_context(|| format!("{flag} takes a number of seconds, got {text:?}"))?;
    let valid = seconds.is_finite()
        && (seconds > 0.0 || (zero_allowed && seconds == 0.0))
        && seconds <= 3600.0;
    if !valid {
        let lower = if zero_allowed { "0" } else { "more than 0" };
        bail!("{flag} must be {lower} and at most 3600 seconds, got {text}");
    }
    Ok(seconds)
}

fn parse_count(flag: &str, text: &str) -> Result<usize> {
    match text.parse::<usize>() {
        Ok(count) if count >= 1 => Ok(count),
        _ => bail!("{flag} takes whole numbers of at least 1, got {text:?}"),
    }
}
