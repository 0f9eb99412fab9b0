//! Times the text-analysis engine three ways on the same texts: called
//! natively in this process, through the AI component (`POST /api/analyze`
//! served by the wasmtime test host in this process), and VADER 3.3.2 in a
//! Python process.
//!
//! The component reports the engine's own time in `Server-Timing`, so the
//! bench separates the engine's cost inside WebAssembly from the cost of
//! HTTP, authentication, rate limiting and JSON. Before timing, every
//! component response is compared with the native analysis of the same
//! text.

mod component;
mod corpus;
mod measure;
mod vader;

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::time::Duration;

use measure::{ComponentPass, median};

const USAGE: &str = "\
Usage: bench-ai [OPTIONS] DIR

Scores the texts of every *.tsv file in DIR (columns id, mean_rating, text)
with the engine natively, through POST /api/analyze of the AI component, and
with VADER 3.3.2 in Python, and prints throughput and time per text for each.
Build the components first:
  scripts/build-components
VADER needs: pip install vaderSentiment==3.3.2

Options:
  --passes N           Timed passes over all texts per measurement, after one
                       untimed pass [default: 3]
  --connections LIST   Comma-separated keep-alive connection counts for the HTTP
                       throughput runs; 1 always runs, because it gives the
                       in-component engine time [default: 1,8]
  --limit N            Score at most N texts per file, for a quick run
  --redis              Keep the rate-limit windows in the local Redis
                       (redis://127.0.0.1:6379) instead of SQLite
  --no-vader           Skip VADER
  --python PATH        Python interpreter for VADER [default: python3]
  -h, --help           Print this help
";

/// Throughput of the engine inside the component, as a multiple of
/// VADER's, that the bench aims for.
const TARGET_VADER_MULTIPLE: f64 = 10.0;

/// Maximum time per text inside the component, as a multiple of the native
/// time, that the bench aims for.
const TARGET_COMPONENT_SLOWDOWN: f64 = 1.5;

/// The local Redis server of the `--redis` option.
const REDIS_ADDRESS: &str = "redis://127.0.0.1:6379";

struct Options {
    dir: PathBuf,
    passes: usize,
    connections: Vec<usize>,
    limit: Option<usize>,
    redis: bool,
    vader: bool,
    python: String,
}

/// One measured way of scoring the texts.
struct Row {
    name: String,
    /// Median pass over all texts.
    pass: Duration,
    passes: Vec<Duration>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = parse_args(std::env::args().skip(1))?;
    let texts = corpus::load(&options.dir, options.limit)?;
    let all = texts.all();
    let served = component::serve(options.redis.then_some(REDIS_ADDRESS)).await?;

    let native = measure::native_passes(&all, options.passes);
    let vader = if options.vader {
        Some(vader::measure(&options.python, &all, options.passes)?)
    } else {
        None
    };
    print_setup(&options, &texts, vader.as_ref());

    let (differing, first_difference) = measure::compare_with_native(served.addr, &all).await?;
    let mut component_runs = Vec::new();
    for &connections in &options.connections {
        let mut passes = Vec::new();
        for _ in 0..options.passes {
            passes.push(measure::component_pass(served.addr, &all, connections).await?);
        }
        component_runs.push((connections, passes));
    }
    drop(served);

    let mut rows = vec![
        row("engine natively: full analysis", native.full.clone()),
        row("engine natively: sentiment only", native.sentiment.clone()),
    ];
    if let Some(vader) = &vader {
        rows.push(row("VADER: sentiment only", vader.passes.clone()));
    }
    for (connections, passes) in &component_runs {
        let engine = passes.iter().map(|pass| pass.engine).collect();
        let label = format!(
            "component, engine time from Server-Timing, {}",
            connection_count(*connections)
        );
        rows.push(row(&label, engine));
    }
    for (connections, passes) in &component_runs {
        let elapsed = passes.iter().map(|pass| pass.elapsed).collect();
        let label = format!(
            "component, HTTP requests, {}",
            connection_count(*connections)
        );
        rows.push(row(&label, elapsed));
    }
    print_table(&rows, all.len());

    println!();
    println!(
        "component responses equal to the native analysis: {} of {}",
        all.len() - differing,
        all.len()
    );
    let single = component_runs
        .iter()
        .find(|(connections, _)| *connections == 1)
        .map(|(_, passes)| passes.as_slice())
        .unwrap_or_default();
    print_targets(
        &native.full,
        single,
        vader.as_ref().map(|vader| &vader.passes[..]),
    );

    if let Some(difference) = first_difference {
        bail!(
            "{differing} component responses differ from the native analysis; first: {difference}"
        );
    }
    Ok(())
}

fn row(name: &str, passes: Vec<Duration>) -> Row {
    Row {
        name: name.to_string(),
        pass: median(&passes),
        passes,
    }
}

fn print_setup(options: &Options, texts: &corpus::Texts, vader: Option<&vader::VaderTimes>) {
    let all = texts.all();
    let characters: usize = all.iter().map(|text| text.chars().count()).sum();
    let corpora: Vec<String> = texts
        .corpora
        .iter()
        .map(|corpus| format!("{} {}", corpus.name, corpus.texts.len()))
        .collect();
    let cores = std::thread::available_parallelism().map_or(0, |cores| cores.get());

    println!(
        "Text analysis: the engine natively, through the AI component, and VADER, on the same texts"
    );
    println!(
        "{} texts ({}), mean length {:.0} characters, {} rows skipped as blank or over 10,000 characters",
        all.len(),
        corpora.join(", "),
        characters as f64 / all.len().max(1) as f64,
        texts.skipped
    );
    println!(
        "{} timed passes per row after one untimed pass; the table shows the median pass; {cores} CPU cores available",
        options.passes
    );
    println!(
        "native: cloudvelous_engine::analyze and sentiment::analyze in this thread, host profile"
    );
    println!(
        "component: POST /api/analyze over keep-alive HTTP/1.1 to the wasmtime test host in this process, \
         bootstrap API key, rate_limit_ai raised to 1000000000, {} rate limiter, component stderr off",
        if options.redis { "Redis" } else { "SQLite" }
    );
    match vader {
        Some(vader) => println!(
            "VADER: vaderSentiment {} polarity_scores in Python {}, scripts/bench-vader.py",
            vader.version, vader.python
        ),
        None => println!("VADER: skipped"),
    }
    println!("client, host and Python share this machine's cores");
    println!();
}

fn print_table(rows: &[Row], texts: usize) {
    println!("| measurement | texts/s | µs per text | passes (s) |");
    println!("| --- | ---: | ---: | --- |");
    for row in rows {
        let passes: Vec<String> = row
            .passes
            .iter()
            .map(|pass| format!("{:.3}", pass.as_secs_f64()))
            .collect();
        println!(
            "| {} | {:.0} | {:.1} | {} |",
            row.name,
            texts_per_second(row.pass, texts),
            micros_per_text(row.pass, texts),
            passes.join(", ")
        );
    }
}

/// Prints each target with the figures it compares and whether it is met.
fn print_targets(native: &[Duration], single: &[ComponentPass], vader: Option<&[Duration]>) {
    let native = median(native).as_secs_f64();
    let engine: Vec<Duration> = single.iter().map(|pass| pass.engine).collect();
    let engine = median(&engine).as_secs_f64();
    let elapsed: Vec<Duration> = single.iter().map(|pass| pass.elapsed).collect();
    let elapsed = median(&elapsed).as_secs_f64();

    let slowdown = engine / native;
    println!(
        "target in-component time per text <= {TARGET_COMPONENT_SLOWDOWN}x native: {} ({slowdown:.2}x)",
        verdict(slowdown <= TARGET_COMPONENT_SLOWDOWN)
    );
    let Some(vader) = vader else {
        println!("target throughput >= {TARGET_VADER_MULTIPLE}x VADER: not measured (--no-vader)");
        return;
    };
    let vader = median(vader).as_secs_f64();
    let multiple = vader / engine;
    println!(
        "target engine throughput in the component >= {TARGET_VADER_MULTIPLE}x VADER: {} ({multiple:.1}x)",
        verdict(multiple >= TARGET_VADER_MULTIPLE)
    );
    println!(
        "HTTP throughput at 1 connection, for comparison: {:.2}x VADER",
        vader / elapsed
    );
}

fn connection_count(connections: usize) -> String {
    match connections {
        1 => "1 connection".to_string(),
        _ => format!("{connections} connections"),
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "not met" }
}

fn texts_per_second(pass: Duration, texts: usize) -> f64 {
    texts as f64 / pass.as_secs_f64()
}

fn micros_per_text(pass: Duration, texts: usize) -> f64 {
    pass.as_secs_f64() * 1e6 / texts.max(1) as f64
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options> {
    let mut options = Options {
        dir: PathBuf::new(),
        passes: 3,
        connections: vec![1, 8],
        limit: None,
        redis: false,
        vader: true,
        python: "python3".to_string(),
    };
    let mut dir = None;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--passes" => options.passes = positive(&value("--passes")?, "--passes")?,
            "--limit" => options.limit = Some(positive(&value("--limit")?, "--limit")?),
            "--connections" => {
                options.connections = value("--connections")?
                    .split(',')
                    .map(|count| positive(count.trim(), "--connections"))
                    .collect::<Result<_>>()?;
            }
            "--redis" => options.redis = true,
            "--no-vader" => options.vader = false,
            "--python" => options.python = value("--python")?,
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other if other.starts_with('-') => bail!("unknown option {other}\n\n{USAGE}"),
            other => dir = Some(PathBuf::from(other)),
        }
    }
    options.dir = dir.with_context(|| format!("DIR is missing\n\n{USAGE}"))?;
    if !options.connections.contains(&1) {
        options.connections.insert(0, 1);
    }
    Ok(options)
}

/// Parses a whole number of at least 1 for `option`.
fn positive(text: &str, option: &str) -> Result<usize> {
    match text.parse::<usize>() {
        Ok(number) if number >= 1 => Ok(number),
        _ => bail!("{option} needs a whole number of at least 1, got {text:?}"),
    }
}
