//! Times `GET /api/analytics/leads` at large data sizes.
//!
//! The bench loads generated leads spread over two years into a fresh
//! SQLite database with the storage crate's schema and daily counts. It
//! serves the app of `spin.toml` on that database from the wasmtime test
//! host in this process. It then times reports of 30 and 366 days through
//! the analytics component, beside a plain `GROUP BY` over the leads table
//! that computes the same numbers through a covering index on the same
//! database file. Every report of the component must equal the `GROUP
//! BY`'s numbers.

mod loader;
mod measure;

use anyhow::{Context, Result, bail};
use cloudvelous_contract::rfc3339::parse_date;
use spin_test_host::{App, HostOptions, server, workspace_root};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

use loader::Span;
use measure::{ReportClient, Timings, component_counts, group_by_plan, group_by_report};

const USAGE: &str = "\
Usage: bench-analytics [OPTIONS]

Loads leads spread over 2025-01-01 to 2026-12-31 into a fresh database and
times GET /api/analytics/leads for 30- and 366-day ranges against a plain
GROUP BY over the leads table with a covering index. Build the components
first:
  scripts/build-components

Options:
  --sizes LIST     Comma-separated lead counts, each loaded on top of the
                   previous one into the same database [default: 1000000,5000000]
  --requests N     Timed component requests per size and range [default: 30]
  --queries N      Timed GROUP BY runs per size and range [default: 5]
  -h, --help       Print this help
";

/// Key sent in `X-API-Key` and configured as the app's bootstrap admin key.
const BENCH_API_KEY: &str = "ak_benchanalytics000000000000000000";

/// Per-caller limit on analytics requests per minute, far above any rate
/// the bench reaches, so the limiter admits every request.
const ANALYTICS_RATE_LIMIT: &str = "1000000000";

/// Untimed component requests and `GROUP BY` runs before each measurement.
const WARMUP_RUNS: usize = 3;

/// Speed-up of the component over the `GROUP BY` that the bench aims for,
/// for the 366-day range at the first size.
const TARGET_SPEEDUP: f64 = 20.0;

/// How much slower the component may be at the last size than at the first.
const TARGET_GROWTH: f64 = 1.5;

struct Options {
    sizes: Vec<u64>,
    requests: usize,
    queries: usize,
}

/// One measured size and range.
struct Row {
    leads: u64,
    range_days: i64,
    component: Timings,
    group_by: Timings,
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = parse_args(std::env::args().skip(1))?;
    let span = Span {
        first_day: parse_date("2025-01-01").context("first day")?,
        last_day: parse_date("2026-12-31").context("last day")?,
    };
    let ranges = [
        (span.last_day - 29, span.last_day),
        (span.last_day - 365, span.last_day),
    ];

    let state = StateDir::create()?;
    let app = Arc::new(App::load(&host_options(state.path()))?);
    let database_path = app
        .sqlite_path("default")
        .context("the app has no default database")?;
    let connection = loader::create_schema(&database_path)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(server::serve(Arc::clone(&app), listener));

    print_setup(&options, &database_path, &group_by_plan(&connection)?);
    let mut rows = Vec::new();
    let mut loaded = 0;
    for &size in &options.sizes {
        let started = Instant::now();
        loader::load_leads(&connection, span, loaded, size)?;
        loaded = size;
        loader::check_counts(&connection)?;
        println!(
            "{size} leads loaded and their daily counts checked against a recount in {:.0} s; database and WAL files: {} MiB",
            started.elapsed().as_secs_f64(),
            database_mebibytes(&database_path)
        );
        for &(first_day, last_day) in &ranges {
            // The host closes connections idle for 10 seconds, as during a
            // load, so each measurement opens its own.
            let mut client = ReportClient::connect(addr, BENCH_API_KEY).await?;
            let row =
                measure_range(&mut client, &connection, &options, first_day, last_day).await?;
            rows.push(Row { leads: size, ..row });
        }
    }
    server.abort();

    println!();
    print_table(&rows);
    print_targets(&rows)
}

/// Times the component and the `GROUP BY` for one range, after checking
/// that both compute the same report.
async fn measure_range(
    client: &mut ReportClient,
    connection: &rusqlite::Connection,
    options: &Options,
    first_day: i64,
    last_day: i64,
) -> Result<Row> {
    let expected = group_by_report(connection, first_day, last_day)?;
    for _ in 0..WARMUP_RUNS {
        let (_, report) = client.report(first_day, last_day).await?;
        if component_counts(&report)? != expected {
            bail!("the component's report differs from the GROUP BY's numbers");
        }
        group_by_report(connection, first_day, last_day)?;
    }

    let mut component = Timings::default();
    for _ in 0..options.requests {
        component.push(client.report(first_day, last_day).await?.0);
    }
    let mut group_by = Timings::default();
    for _ in 0..options.queries {
        let started = Instant::now();
        group_by_report(connection, first_day, last_day)?;
        group_by.push(started.elapsed());
    }
    Ok(Row {
        leads: 0,
        range_days: last_day - first_day + 1,
        component,
        group_by,
    })
}

fn print_setup(options: &Options, database: &Path, plan: &str) {
    let cores = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    println!("GET /api/analytics/leads against a plain GROUP BY on the same database file");
    println!(
        "{} timed requests and {} timed GROUP BY runs per size and range, after {WARMUP_RUNS} untimed runs of each; {cores} CPU cores available",
        options.requests, options.queries
    );
    println!(
        "component: HTTP/1.1 keep-alive request over loopback to the wasmtime test host in this process, with API-key authentication and the SQLite rate limiter"
    );
    println!("GROUP BY plan: {plan}");
    println!("database: {}", database.display());
    println!();
}

fn print_table(rows: &[Row]) {
    println!(
        "| leads | range (days) | component p50 ms | component p90 ms | GROUP BY p50 ms | GROUP BY p50 / component p50 |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let component = row.component.median_ms();
        let group_by = row.group_by.median_ms();
        println!(
            "| {} | {} | {component:.2} | {:.2} | {group_by:.2} | {:.1} |",
            row.leads,
            row.range_days,
            row.component.percentile_ms(90.0),
            group_by / component,
        );
    }
    let requests: usize = rows.iter().map(|row| row.component.len()).sum();
    println!();
    println!("percentiles are nearest-rank; {requests} timed component requests in all");
}

/// Prints whether the targets are met and fails when one is not.
fn print_targets(rows: &[Row]) -> Result<()> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(());
    };
    let mut missed = 0;
    let year = rows
        .iter()
        .find(|row| row.leads == first.leads && row.range_days == 366);
    if let Some(year) = year {
        let speedup = year.group_by.median_ms() / year.component.median_ms();
        let met = speedup >= TARGET_SPEEDUP;
        missed += usize::from(!met);
        println!(
            "target component at least {TARGET_SPEEDUP}x faster than GROUP BY for 366 days at {} leads: {} ({speedup:.1}x)",
            year.leads,
            verdict(met)
        );
    }
    if last.leads != first.leads {
        for first_row in rows.iter().filter(|row| row.leads == first.leads) {
            let Some(last_row) = rows
                .iter()
                .find(|row| row.leads == last.leads && row.range_days == first_row.range_days)
            else {
                continue;
            };
            let growth = last_row.component.median_ms() / first_row.component.median_ms();
            let met = growth <= TARGET_GROWTH;
            missed += usize::from(!met);
            println!(
                "target component at most {TARGET_GROWTH}x slower at {} than at {} leads, {} days: {} ({growth:.2}x)",
                last.leads,
                first.leads,
                first_row.range_days,
                verdict(met)
            );
        }
    }
    if missed > 0 {
        bail!("{missed} targets not met");
    }
    Ok(())
}

/// Returns the size of the database file and its WAL file, in MiB.
fn database_mebibytes(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |metadata| metadata.len());
    (size(path) + size(Path::new(&wal))) / (1024 * 1024)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "not met" }
}

/// Options for `spin.toml` with stores under `state_dir`, the bench's
/// bootstrap key, an analytics limit no run reaches and no component
/// stderr, so per-request log lines cost nothing.
fn host_options(state_dir: &Path) -> HostOptions {
    let mut options = HostOptions::new(workspace_root().join("spin.toml"), state_dir);
    options.read_environment = false;
    options.component_stderr = false;
    for (name, value) in [
        ("bootstrap_api_key", BENCH_API_KEY),
        ("rate_limit_analytics", ANALYTICS_RATE_LIMIT),
    ] {
        options
            .variables
            .insert(name.to_string(), value.to_string());
    }
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
        let name = format!("cloudvelous-bench-analytics-{}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(name);
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
                "bench-analytics: failed to remove {}: {error}",
                self.0.display()
            );
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options> {
    let mut options = Options {
        sizes: vec![1_000_000, 5_000_000],
        requests: 30,
        queries: 5,
    };
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            print!("{USAGE}");
            std::process::exit(0);
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value\n\n{USAGE}"))?;
        match flag.as_str() {
            "--sizes" => options.sizes = parse_sizes(&value)?,
            "--requests" => options.requests = parse_positive(&flag, &value)?,
            "--queries" => options.queries = parse_positive(&flag, &value)?,
            _ => bail!("unknown option {flag}\n\n{USAGE}"),
        }
    }
    Ok(options)
}

/// Parses increasing lead counts, such as `1000000,5000000`.
fn parse_sizes(text: &str) -> Result<Vec<u64>> {
    let sizes = text
        .split(',')
        .map(|size| {
            size.trim()
                .parse::<u64>()
                .with_context(|| format!("--sizes: {size:?} is not a whole number"))
        })
        .collect::<Result<Vec<u64>>>()?;
    if sizes.is_empty() || sizes.windows(2).any(|pair| pair[0] >= pair[1]) || sizes[0] == 0 {
        bail!("--sizes must list increasing counts above zero, such as 1000000,5000000");
    }
    Ok(sizes)
}

fn parse_positive(flag: &str, text: &str) -> Result<usize> {
    match text.parse::<usize>() {
        Ok(value) if value > 0 => Ok(value),
        _ => bail!("{flag} must be a whole number above zero, not {text:?}"),
    }
}
