//! Handler for `GET /api/test/mock-analytics`.

use bytes::Bytes;
use cloudvelous_contract::{AnalyticsReport, SourceCounts};
use cloudvelous_http_kit::{RequestId, json_response};
use http::{Response, StatusCode};

/// Returns `200` with the API document's mock analytics example: 1000 leads,
/// a conversion rate of 0.12, and leads from websites, social networks and
/// referrals, without the status breakdown and the daily trend.
pub(crate) fn mock_analytics(request_id: &RequestId) -> Response<Bytes> {
    let report = AnalyticsReport {
        total_leads: 1000,
        conversion_rate: 0.12,
        leads_by_source: Some(SourceCounts {
            website: 600,
            social: 250,
            referral: 150,
            ..SourceCounts::default()
        }),
        leads_by_status: None,
        trends: None,
    };
    json_response(StatusCode::OK, &report, request_id)
}
