//! Spin HTTP component for text analysis (`POST /api/analyze`) and lead
//! classification (`POST /api/classify-lead`).
//!
//! Both routes run the deterministic engine of `cloudvelous-engine` inside
//! the component, with no network access and no model download. They need
//! `write:analytics` and spend the caller's budget of the `ai` route group.
//! Bodies may be up to 256 KiB and texts up to 10,000 characters. Every
//! response is built whole, so it carries `Content-Length`, and every
//! response carries `X-Request-Id`. A `200` also carries `Server-Timing`
//! with the time the engine took.

mod analyze;
mod classify;
mod fields;
mod timing;

use bytes::Bytes;
use cloudvelous_auth::Scope;
use cloudvelous_gateway::{Caller, Reply, RequestLine, RouteGroup, protected};
use cloudvelous_http_kit::{ApiError, RequestId, options_response};
use cloudvelous_storage::Database;
use http::{Method, Response};
use spin_sdk::http::{FullBody, Request};

/// Component name in log lines.
const COMPONENT: &str = "ai";

/// Methods of both endpoints.
const POST_METHODS: &[Method] = &[Method::POST, Method::OPTIONS];

/// A path this component serves.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    /// `/api/analyze`
    Analyze,
    /// `/api/classify-lead`
    ClassifyLead,
}

impl Endpoint {
    /// Maps a request path, without its query string, to an endpoint.
    fn from_path(path: &str) -> Option<Endpoint> {
        match path {
            "/api/analyze" => Some(Endpoint::Analyze),
            "/api/classify-lead" => Some(Endpoint::ClassifyLead),
            _ => None,
        }
    }

    /// Methods the endpoint accepts, as listed in `Allow`.
    fn allowed_methods(&self) -> &'static [Method] {
        match self {
            Endpoint::Analyze | Endpoint::ClassifyLead => POST_METHODS,
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
/// credentials, scope and budget, then calls the handler, which reads the
/// body.
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
    if method != Method::POST {
        let error = ApiError::MethodNotAllowed {
            allow: endpoint.allowed_methods(),
        };
        return Reply::new(Err(error), request_id);
    }

    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let handler = async |database: &Database, _: &Caller| match endpoint {
        Endpoint::Analyze => analyze::analyze_text(headers, body, request_id).await,
        Endpoint::ClassifyLead => {
            classify::classify_lead(headers, body, database, request_id).await
        }
    };
    protected(
        COMPONENT,
        headers,
        RouteGroup::Ai,
        Scope::WriteAnalytics,
        request_id,
        handler,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_map_to_endpoints() {
        assert_eq!(Endpoint::from_path("/api/analyze"), Some(Endpoint::Analyze));
        assert_eq!(
            Endpoint::from_path("/api/classify-lead"),
            Some(Endpoint::ClassifyLead)
        );
    }

    #[test]
    fn unknown_paths_map_to_nothing() {
        for path in [
            "/api",
            "/api/analyze/",
            "/api/analyze/text",
            "/api/Analyze",
            "/api/classify-leads",
            "/api/classify_lead",
        ] {
            assert_eq!(Endpoint::from_path(path), None, "{path}");
        }
    }
}
