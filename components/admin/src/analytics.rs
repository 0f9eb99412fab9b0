//! Handler for `POST /api/admin/analytics/rebuild`: the consistency check
//! of the daily lead counts behind the analytics reports.

use bytes::Bytes;
use cloudvelous_contract::rfc3339::format_date;
use cloudvelous_http_kit::{ApiError, RequestId, json_response};
use cloudvelous_storage::{CountCorrection, Database, storage_failure};
use http::{Response, StatusCode};
use serde::Serialize;

use crate::COMPONENT;

/// Corrections listed in a response. `rows_corrected` still counts all of
/// them, so a rebuild after heavy drift keeps its response small.
const MAX_LISTED_CORRECTIONS: usize = 100;

/// The `200` body: what the rebuild found and changed.
#[derive(Serialize)]
struct RebuildSummary {
    leads_counted: u64,
    rows_corrected: usize,
    corrections: Vec<CorrectionJson>,
}

/// One daily count that differed from the recount.
#[derive(Serialize)]
struct CorrectionJson {
    date: String,
    source: &'static str,
    status: &'static str,
    stored: u64,
    recounted: u64,
}

impl From<&CountCorrection> for CorrectionJson {
    fn from(correction: &CountCorrection) -> Self {
        CorrectionJson {
            date: format_date(correction.day),
            source: correction.source.as_str(),
            status: correction.status.as_str(),
            stored: correction.stored,
            recounted: correction.recounted,
        }
    }
}

/// Recounts the leads per creation day, source and status in one
/// transaction, replaces every daily count that differs, and returns `200`
/// with the number of leads counted and the counts that changed. A rebuild
/// that finds no drift changes nothing and lists no correction.
pub(crate) async fn rebuild_daily_counts(
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let rebuild = database
        .rebuild_lead_daily_counts()
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;

    let summary = RebuildSummary {
        leads_counted: rebuild.leads_counted,
        rows_corrected: rebuild.corrections.len(),
        corrections: rebuild
            .corrections
            .iter()
            .take(MAX_LISTED_CORRECTIONS)
            .map(CorrectionJson::from)
            .collect(),
    };
    Ok(json_response(StatusCode::OK, &summary, request_id))
}
