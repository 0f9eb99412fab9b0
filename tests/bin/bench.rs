//! Measures `POST /api/leads` throughput and latency beside a baseline
//! component that does only the durable write (open the `default` database,
//! run one `INSERT`, respond). The wasmtime test host in this process serves
//! both on a loopback listener, and keep-alive HTTP/1.1 connections drive
//! them. The throughput ratio between the two shows the cost of what the
//! leads component does beyond that write.

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use spin_test_host::{App, ExtraComponent, HostOptions, server, workspace_root};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "\
Usage: bench [OPTIONS]

Measures POST /api/leads against the baseline component, both served by the
wasmtime test host in this process. Build the components first:
  cargo build --target wasm32-wasip2 --release -p cloudvelous-leads -p cloudvelous-bench-baseline

Options:
  --seconds N          Length of each measured run, in seconds [default: 5]
  --rounds N           Baseline and leads runs per connection count [default: 3]
  --warmup N           Warm-up per target before each connection count, in seconds [default: 2]
  --connections LIST   Comma-separated numbers of keep-alive connections [default: 8,32]
  -h, --help           Print this help
";

/// Throughput of the leads component, as a share of the baseline's, that
/// the benchmark aims for.
const TARGET_RATIO: f64 = 0.70;

/// A response slower than this ends the benchmark with an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Key sent in `X-API-Key` and configured as the app's bootstrap admin key,
/// so the requests pass authentication wherever the app checks it.
const BENCH_API_KEY: &str = "ak_benchmark00000000000000000000000";

/// Per-caller limit on lead requests per minute. The manifest's default of
/// 100 would reject every request after the first 100 of each minute, so the
/// limit is raised far above any rate this host reaches.
const LEADS_RATE_LIMIT: &str = "1000000000";

const BASELINE_WASM: &str = "target/wasm32-wasip2/release/cloudvelous_bench_baseline.wasm";
const BASELINE_ROUTE: &str = "/baseline/...";

/// Lead sources, used in turn by successive request bodies.
const SOURCES: [&str; 5] = ["website", "social", "referral", "email", "phone"];

#[derive(Debug, Clone)]
struct Options {
    seconds: f64,
    rounds: usize,
    warmup: f64,
    connections: Vec<usize>,
}

/// A component under measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Baseline,
    Leads,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Baseline => "baseline",
            Target::Leads => "leads",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Target::Baseline => "/baseline/leads",
            Target::Leads => "/api/leads",
        }
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

/// The address of the host and the counter that makes every email unique.
#[derive(Clone)]
struct Client {
    addr: SocketAddr,
    sequence: Arc<AtomicU64>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = parse_args(std::env::args().skip(1))?;
    let state = StateDir::create()?;
    let app = Arc::new(App::load(&host_options(state.path()))?);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("failed to listen on 127.0.0.1")?;
    let client = Client {
        addr: listener.local_addr()?,
        sequence: Arc::new(AtomicU64::new(0)),
    };
    let server = tokio::spawn(server::serve(app, listener));

    let outcome = benchmark(&client, &options).await;
    server.abort();
    drop(state);

    let (errors, without_content_length) = outcome?;
    if errors > 0 || without_content_length > 0 {
        bail!(
            "{errors} responses were not 2xx and {without_content_length} had no Content-Length (details above)"
        );
    }
    Ok(())
}

/// Runs every connection count and prints the results. Returns the number of
/// non-2xx responses and the number of responses without `Content-Length`.
async fn benchmark(client: &Client, options: &Options) -> Result<(u64, u64)> {
    print_setup(options);
    let mut rows = Vec::new();
    for &connections in &options.connections {
        rows.push((connections, measure(client, options, connections).await?));
    }

    println!();
    print_table(&rows, options.rounds);
    let counts = print_response_checks(&rows);
    print_ratios(&rows);
    Ok(counts)
}

fn print_setup(options: &Options) {
    let cores = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    println!("POST /api/leads against the baseline component, wasmtime test host in this process");
    println!(
        "{} s runs, {} rounds per connection count, {} s warm-up per target, {cores} CPU cores available",
        options.seconds, options.rounds, options.warmup
    );
    println!("component stderr is off, so the components' per-request log lines are dropped");
    println!("client, host and SQLite share this machine's cores");
    println!();
}

/// Warms both targets up, then alternates baseline and leads runs, starting
/// with the other target each round so that a drift over time affects both.
async fn measure(
    client: &Client,
    options: &Options,
    connections: usize,
) -> Result<(Summary, Summary)> {
    let warmup = Duration::from_secs_f64(options.warmup);
    if !warmup.is_zero() {
        for target in [Target::Leads, Target::Baseline] {
            run(client, target, connections, warmup).await?;
        }
    }

    let length = Duration::from_secs_f64(options.seconds);
    let mut baseline = Summary::default();
    let mut leads = Summary::default();
    for round in 1..=options.rounds {
        let order = if round % 2 == 1 {
            [Target::Baseline, Target::Leads]
        } else {
            [Target::Leads, Target::Baseline]
        };
        let mut line = format!("{connections} connections, round {round}:");
        for target in order {
            let result = run(client, target, connections, length).await?;
            line.push_str(&format!(
                " {} {:.1} requests/s",
                target.name(),
                result.requests_per_second()
            ));
            match target {
                Target::Baseline => baseline.add(result),
                Target::Leads => leads.add(result),
            }
        }
        println!("{line}");
    }
    Ok((baseline, leads))
}

/// Sends requests back to back on `connections` keep-alive connections until
/// `length` has passed. Requests in flight at that moment still count, and
/// the elapsed time runs until the last of their responses arrives.
async fn run(client: &Client, target: Target, connections: usize, length: Duration) -> Result<Run> {
    let started = Instant::now();
    let deadline = started + length;
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(drive_connection(client.clone(), target, deadline)))
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
    let stream = TcpStream::connect(client.addr)
        .await
        .with_context(|| format!("failed to connect to {}", client.addr))?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1.1 handshake failed")?;
    // The connection task ends when `sender` is dropped at the end of this function.
    tokio::spawn(connection);

    let mut observations = Observations::default();
    while Instant::now() < deadline {
        let request = lead_request(&client, target)?;
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
                    target.path()
                )
            })?
            .with_context(|| format!("request to {} failed", target.path()))?;
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
fn lead_request(client: &Client, target: Target) -> Result<Request<Full<Bytes>>> {
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
        .uri(target.path())
        .header(header::HOST, client.addr.to_string())
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-api-key", BENCH_API_KEY)
        .body(Full::new(Bytes::from(serde_json::to_vec(&body)?)))?)
}

fn print_table(rows: &[(usize, (Summary, Summary))], rounds: usize) {
    println!(
        "| connections | target | requests/s (median of {rounds}) | p50 ms | p99 ms | requests | errors | leads/baseline |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (connections, (baseline, leads)) in rows {
        let ratio = leads.median_throughput() / baseline.median_throughput();
        for (target, summary) in [(Target::Baseline, baseline), (Target::Leads, leads)] {
            let mut latencies = summary.observations.latencies.clone();
            latencies.sort_unstable();
            let ratio_cell = if target == Target::Leads {
                format!("{ratio:.2}")
            } else {
                String::new()
            };
            println!(
                "| {connections} | {} | {:.1} | {:.2} | {:.2} | {} | {} | {ratio_cell} |",
                target.name(),
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
fn print_response_checks(rows: &[(usize, (Summary, Summary))]) -> (u64, u64) {
    let mut checked = 0;
    let mut without_length = 0;
    let mut errors = 0;
    for (connections, (baseline, leads)) in rows {
        for (target, summary) in [(Target::Baseline, baseline), (Target::Leads, leads)] {
            let observations = &summary.observations;
            checked += observations.latencies.len();
            without_length += observations.without_content_length;
            errors += observations.errors;
            if let Some(example) = &observations.first_error {
                println!(
                    "first error, {} at {connections} connections: {example}",
                    target.name()
                );
            }
        }
    }
    println!("responses without Content-Length: {without_length} of {checked} measured responses");
    (errors, without_length)
}

fn print_ratios(rows: &[(usize, (Summary, Summary))]) {
    let ratios: Vec<(usize, f64)> = rows
        .iter()
        .map(|(connections, (baseline, leads))| {
            (
                *connections,
                leads.median_throughput() / baseline.median_throughput(),
            )
        })
        .collect();
    let met = ratios.iter().all(|(_, ratio)| *ratio >= TARGET_RATIO);
    println!(
        "target leads/baseline >= {TARGET_RATIO:.2}: {}",
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

fn host_options(state_dir: &Path) -> HostOptions {
    let root = workspace_root();
    let mut options = HostOptions::new(root.join("spin.toml"), state_dir);
    options.read_environment = false;
    options.component_stderr = false;
    options
        .variables
        .insert("bootstrap_api_key".to_string(), BENCH_API_KEY.to_string());
    options
        .variables
        .insert("rate_limit_leads".to_string(), LEADS_RATE_LIMIT.to_string());
    options.extra_components.push(ExtraComponent {
        route: BASELINE_ROUTE.to_string(),
        id: "bench-baseline".to_string(),
        source: root.join(BASELINE_WASM),
        sqlite_databases: vec!["default".to_string()],
    });
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
        seconds: 5.0,
        rounds: 3,
        warmup: 2.0,
        connections: vec![8, 32],
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
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
