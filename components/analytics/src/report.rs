//! Handler for `GET /api/analytics/leads`: lead counts over a range of days.

use bytes::Bytes;
use cloudvelous_contract::rfc3339::format_date;
use cloudvelous_contract::{AnalyticsReport, DailyCount, Trends};
use cloudvelous_domain::Timestamp;
use cloudvelous_http_kit::{ApiError, RequestId, json_response};
use cloudvelous_storage::{Database, RangeCounts, storage_failure, unix_day};
use http::{Response, StatusCode};

use crate::COMPONENT;
use crate::date_range::DateRange;

/// Reads the range from `query`, counts the leads created in it from the
/// daily counts and returns `200` with the report.
pub(crate) async fn lead_report(
    query: Option<&str>,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let today = unix_day(Timestamp::now());
    let range = DateRange::from_query(query, today).map_err(ApiError::Validation)?;

    let counts = database
        .count_leads_by_day(range.first_day, range.last_day)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;

    Ok(json_response(
        StatusCode::OK,
        &build_report(&counts),
        request_id,
    ))
}

/// Builds the report of `counts`. Both breakdowns and the daily trend are
/// always present, and the breakdowns leave out keys whose count is zero.
fn build_report(counts: &RangeCounts) -> AnalyticsReport {
    let total_leads = counts.total();
    let daily = (counts.first_day..)
        .zip(&counts.daily)
        .map(|(day, &count)| DailyCount {
            date: format_date(day),
            count,
        })
        .collect();
    AnalyticsReport {
        total_leads,
        conversion_rate: conversion_rate(counts.by_status.converted, total_leads),
        leads_by_source: Some(counts.by_source),
        leads_by_status: Some(counts.by_status),
        trends: Some(Trends { daily }),
    }
}

/// Returns `converted / total`, unrounded, and `0` when there are no leads,
/// so the rate is never NaN.
fn conversion_rate(converted: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    // Counts stay far below 2^53, where `u64` to `f64` is exact.
    converted as f64 / total as f64
}
