//! The two timed ways to compute a lead report: `GET /api/analytics/leads`
//! through the component, and a plain `GROUP BY` over the leads table.

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use cloudvelous_contract::rfc3339::format_date;
use cloudvelous_storage::SECONDS_PER_DAY;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rusqlite::Connection;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

use crate::loader::COVERING_INDEX;

/// The numbers of a report that both ways must agree on.
#[derive(Debug, PartialEq)]
pub struct ReportCounts {
    /// Leads per day of the range, in date order.
    pub daily: Vec<u64>,
    /// Leads per source, without zero counts.
    pub by_source: BTreeMap<String, u64>,
    /// Leads per status, without zero counts.
    pub by_status: BTreeMap<String, u64>,
}

/// Returns a `GROUP BY` that computes the report from the leads table
/// through the covering index on `(created_at, source, status)`.
fn group_by_statement() -> String {
    format!(
        "SELECT created_at / {SECONDS_PER_DAY} AS day, source, status, COUNT(*) \
         FROM leads INDEXED BY {COVERING_INDEX} \
         WHERE created_at >= ?1 AND created_at < ?2 \
         GROUP BY day, source, status"
    )
}

/// Returns SQLite's plan for the `GROUP BY`, one step per line.
pub fn group_by_plan(connection: &Connection) -> Result<String> {
    let statement = format!("EXPLAIN QUERY PLAN {}", group_by_statement());
    let mut plan = connection.prepare(&statement)?;
    let steps: Vec<String> = plan
        .query_map([0, 1], |row| row.get::<_, String>(3))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(steps.join("; "))
}

/// Runs the `GROUP BY` for the days from `first_day` to `last_day` and
/// gathers its rows into the report's numbers. Leads are created after
/// 1970, so `created_at / 86400` is their day.
pub fn group_by_report(
    connection: &Connection,
    first_day: i64,
    last_day: i64,
) -> Result<ReportCounts> {
    let mut statement = connection.prepare_cached(&group_by_statement())?;
    let start = first_day * SECONDS_PER_DAY;
    let end = (last_day + 1) * SECONDS_PER_DAY;
    let day_count = usize::try_from(last_day - first_day + 1)?;
    let mut counts = ReportCounts {
        daily: vec![0; day_count],
        by_source: BTreeMap::new(),
        by_status: BTreeMap::new(),
    };
    let mut rows = statement.query([start, end])?;
    while let Some(row) = rows.next()? {
        let day: i64 = row.get(0)?;
        let source: String = row.get(1)?;
        let status: String = row.get(2)?;
        let count = u64::try_from(row.get::<_, i64>(3)?)?;
        counts.daily[usize::try_from(day - first_day)?] += count;
        *counts.by_source.entry(source).or_default() += count;
        *counts.by_status.entry(status).or_default() += count;
    }
    Ok(counts)
}

/// A keep-alive HTTP/1.1 connection to the app, sending the bench's key.
pub struct ReportClient {
    sender: http1::SendRequest<Empty<Bytes>>,
    api_key: &'static str,
}

impl ReportClient {
    /// Connects to the app at `addr`.
    pub async fn connect(addr: SocketAddr, api_key: &'static str) -> Result<ReportClient> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("failed to connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(ReportClient { sender, api_key })
    }

    /// Sends `GET /api/analytics/leads` for the range and returns the time
    /// from sending the request to reading the whole body, and the body.
    pub async fn report(&mut self, first_day: i64, last_day: i64) -> Result<(Duration, Value)> {
        let path = format!(
            "/api/analytics/leads?date_from={}&date_to={}",
            format_date(first_day),
            format_date(last_day)
        );
        let request = Request::get(&path)
            .header("host", "127.0.0.1")
            .header("x-api-key", self.api_key)
            .body(Empty::new())?;
        self.sender.ready().await?;

        let started = Instant::now();
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        let elapsed = started.elapsed();

        if status != StatusCode::OK {
            bail!("{path}: {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok((elapsed, serde_json::from_slice(&body)?))
    }
}

/// Reads the report's numbers from the component's JSON, and checks that
/// `total_leads` and `conversion_rate` agree with them.
pub fn component_counts(report: &Value) -> Result<ReportCounts> {
    let map = |key: &str| -> Result<BTreeMap<String, u64>> {
        let object = report[key]
            .as_object()
            .with_context(|| format!("the report has no object {key}"))?;
        object
            .iter()
            .map(|(name, count)| {
                let count = count
                    .as_u64()
                    .with_context(|| format!("{key}.{name} is not a whole number"))?;
                Ok((name.clone(), count))
            })
            .collect()
    };
    let daily = report["trends"]["daily"]
        .as_array()
        .context("missing trends.daily")?
        .iter()
        .map(|entry| {
            entry["count"]
                .as_u64()
                .context("a daily count is not a whole number")
        })
        .collect::<Result<Vec<u64>>>()?;
    let counts = ReportCounts {
        daily,
        by_source: map("leads_by_source")?,
        by_status: map("leads_by_status")?,
    };

    let total: u64 = counts.daily.iter().sum();
    if report["total_leads"].as_u64() != Some(total) {
        bail!(
            "total_leads {} is not the sum of the days, {total}",
            report["total_leads"]
        );
    }
    let converted = counts.by_status.get("converted").copied().unwrap_or(0);
    let expected_rate = if total == 0 {
        0.0
    } else {
        converted as f64 / total as f64
    };
    if report["conversion_rate"].as_f64() != Some(expected_rate) {
        bail!(
            "conversion_rate {} is not {expected_rate}",
            report["conversion_rate"]
        );
    }
    Ok(counts)
}

/// Timings of one way at one size and range.
#[derive(Debug, Default)]
pub struct Timings(Vec<Duration>);

impl Timings {
    pub fn push(&mut self, duration: Duration) {
        self.0.push(duration);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns the nearest-rank percentile in milliseconds.
    pub fn percentile_ms(&self, percent: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort();
        let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted
            .get(rank.saturating_sub(1))
            .map_or(f64::NAN, |duration| duration.as_secs_f64() * 1000.0)
    }

    pub fn median_ms(&self) -> f64 {
        self.percentile_ms(50.0)
    }
}
