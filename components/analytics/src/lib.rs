//! Spin HTTP component for lead analytics (`/api/analytics/…`).
//!
//! `GET /api/analytics/leads` reports the leads created in a range of UTC
//! days: the total, the count per source and per current status, the
//! conversion rate and one count per day. It reads the daily counts that
//! the storage crate keeps beside the leads, so a report costs one row per
//! day and group whatever the number of leads.
//!
//! `GET /api/analytics/sentiment?lead_id=` reports the tone and topics of a
//! stored lead's notes, computed by the text-analysis engine.
//!
//! Both routes need `read:analytics` and spend the caller's budget of the
//! `analytics` route group. Every response is built whole, so it carries
//! `Content-Length`, and every response carries `X-Request-Id`.

mod date_range;
mod report;
mod sentiment;

use bytes::Bytes;
use cloudvelous_auth::Scope;
use cloudvelous_gateway::{Caller, Reply, RequestLine, RouteGroup, protected};
use cloudvelous_http_kit::{ApiError, RequestId, options_response};
use cloudvelous_storage::Database;
use http::{Method, Response};
use spin_sdk::http::{FullBody, Request};

/// Component name in log lines.
const COMPONENT: &str = "analytics";

/// Methods of `/api/analytics/leads`. `HEAD` runs the `GET` handler, and the
/// HTTP server (hyper, under Spin) sends the headers without the body.
const REPORT_METHODS: &[Method] = &[Method::GET, Method::HEAD, Method::OPTIONS];

/// A path this component serves.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    /// `/api/analytics/leads`
    LeadReport,
    /// `/api/analytics/sentiment`
    SentimentReport,
}

impl Endpoint {
    /// Maps a request path, without its query string, to an endpoint.
    fn from_path(path: &str) -> Option<Endpoint> {
        match path {
            "/api/analytics/leads" => Some(Endpoint::LeadReport),
            "/api/analytics/sentiment" => Some(Endpoint::SentimentReport),
            _ => None,
        }
    }

    /// Methods the endpoint accepts, as listed in `Allow`.
    fn allowed_methods(&self) -> &'static [Method] {
        match self {
            Endpoint::LeadReport | Endpoint::SentimentReport => REPORT_METHODS,
        }
    }
}

#[spin_sdk::http_service]
async fn handle_request(request: Request) -> Response<FullBody<Bytes>> {
    let line = RequestLine::start(&request);
    let reply = dispatch(request, line.path(), line.request_id()).await;
    line.finish(COMPONENT, reply)
}

/// The route table: matches the endpoint and method, checks the caller's
/// credentials, scope and budget, then calls the handler.
async fn dispatch(request: Request, path: &str, request_id: &RequestId) -> Reply {
    let Some(endpoint) = Endpoint::from_path(path) else {
        let error = ApiError::NotFound(format!("No endpoint at {path}"));
        return Reply::new(Err(error), request_id);
    };
    let method = request.method().clone();
    if method == Method::OPTIONS {
        let response = options_response(endpoint.allowed_methods(), request_id);
        return Reply::new(Ok(response), request_id);
    }
    if !endpoint.allowed_methods().contains(&method) {
        let error = ApiError::MethodNotAllowed {
            allow: endpoint.allowed_methods(),
        };
        return Reply::new(Err(error), request_id);
    }

    let query = request.uri().query().map(str::to_owned);
    let headers = request.headers();
    let handler = async |database: &Database, _: &Caller| match endpoint {
        Endpoint::LeadReport => report::lead_report(query.as_deref(), database, request_id).await,
        Endpoint::SentimentReport => {
            sentiment::sentiment_report(query.as_deref(), database, request_id).await
        }
    };
    protected(
        COMPONENT,
        headers,
        RouteGroup::Analytics,
        Scope::ReadAnalytics,
        request_id,
        handler,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_path_maps_to_endpoint() {
        assert_eq!(
            Endpoint::from_path("/api/analytics/leads"),
            Some(Endpoint::LeadReport)
        );
        assert_eq!(
            Endpoint::from_path("/api/analytics/sentiment"),
            Some(Endpoint::SentimentReport)
        );
    }

    #[test]
    fn unknown_paths_map_to_nothing() {
        for path in [
            "/api/analytics",
            "/api/analytics/",
            "/api/analytics/leads/",
            "/api/analytics/leads/extra",
            "/api/analytics/Leads",
            "/api/analytics/sentiment/",
        ] {
            assert_eq!(Endpoint::from_path(path), None, "{path}");
        }
    }
}
