//! Timed passes over the texts: the engine called natively, and
//! `POST /api/analyze` through the component over one or more connections.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::component::Client;

/// Durations of the timed native passes over all texts.
pub struct NativeTimes {
    /// Passes of `cloudvelous_engine::analyze`: sentiment, entities and
    /// summary, as `POST /api/analyze` computes them.
    pub full: Vec<Duration>,
    /// Passes of `cloudvelous_engine::sentiment::analyze` alone, the part
    /// that VADER's `polarity_scores` matches.
    pub sentiment: Vec<Duration>,
}

/// Scores every text once untimed, then times `passes` passes of the full
/// analysis and `passes` passes of the sentiment alone, in this thread.
pub fn native_passes(texts: &[&str], passes: usize) -> NativeTimes {
    for text in texts {
        black_box(cloudvelous_engine::analyze(black_box(text)));
    }
    let mut times = NativeTimes {
        full: Vec::new(),
        sentiment: Vec::new(),
    };
    for _ in 0..passes {
        let started = Instant::now();
        for text in texts {
            black_box(cloudvelous_engine::analyze(black_box(text)));
        }
        times.full.push(started.elapsed());

        let started = Instant::now();
        for text in texts {
            black_box(cloudvelous_engine::sentiment::analyze(black_box(text)));
        }
        times.sentiment.push(started.elapsed());
    }
    times
}

/// Sends every text once over one connection and compares each response
/// with the native analysis. Returns the number of responses that differ
/// and a description of the first one.
pub async fn compare_with_native(
    addr: SocketAddr,
    texts: &[&str],
) -> Result<(usize, Option<String>)> {
    let mut client = Client::connect(addr).await?;
    let mut differing = 0;
    let mut first = None;
    for (index, text) in texts.iter().enumerate() {
        let scored = client.analyze(text).await?;
        let served: Value = serde_json::from_slice(&scored.body)
            .with_context(|| format!("text {index}: the response is not JSON"))?;
        let native = serde_json::to_value(cloudvelous_engine::analyze(text))?;
        if served != native {
            differing += 1;
            first.get_or_insert_with(|| {
                format!("text {index}: component {served}, native {native}")
            });
        }
    }
    Ok((differing, first))
}

/// One pass of every text through the component.
pub struct ComponentPass {
    /// Wall time from the first request to the last response.
    pub elapsed: Duration,
    /// Sum of the engine times that the responses report.
    pub engine: Duration,
}

/// Sends every text once through the component over `connections`
/// keep-alive connections, each taking the next unsent text, and sums the
/// engine times from `Server-Timing`.
pub async fn component_pass(
    addr: SocketAddr,
    texts: &[&str],
    connections: usize,
) -> Result<ComponentPass> {
    if connections == 0 {
        bail!("the number of connections must be at least 1");
    }
    let texts: Arc<Vec<String>> = Arc::new(texts.iter().map(|text| text.to_string()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..connections {
        clients.push(Client::connect(addr).await?);
    }

    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut client in clients {
        let texts = Arc::clone(&texts);
        let next = Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            let mut engine = Duration::ZERO;
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(text) = texts.get(index) else {
                    return anyhow::Ok(engine);
                };
                engine += client.analyze(text).await?.engine;
            }
        }));
    }
    let mut engine = Duration::ZERO;
    for task in tasks {
        engine += task.await??;
    }
    Ok(ComponentPass {
        elapsed: started.elapsed(),
        engine,
    })
}

/// Returns the median of `durations`, the upper one of the middle two for
/// an even count, or zero when there are none.
pub fn median(durations: &[Duration]) -> Duration {
    let mut sorted = durations.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}
