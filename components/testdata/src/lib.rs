//! Spin HTTP component for test data (`/api/test/…`): generated leads and
//! the API document's mock analytics report, to make the platform easy to
//! try.
//!
//! The routes exist only while the `test_endpoints` variable is `true`.
//! Otherwise every path returns `404` before any credential check, as if
//! the component were not deployed. When enabled, every route needs the
//! `admin` scope and is not rate limited. Every response is built whole, so
//! it carries `Content-Length`, and every response carries `X-Request-Id`.

mod generate;
mod mock;
mod random;
mod sample;

use bytes::Bytes;
use cloudvelous_auth::Scope;
use cloudvelous_gateway::{Caller, Reply, RequestLine, RouteGroup, protected};
use cloudvelous_http_kit::{ApiError, RequestId, options_response};
use cloudvelous_storage::Database;
use http::{Method, Response};
use spin_sdk::http::{FullBody, Request};
use spin_sdk::variables;

/// Component name in log lines.
const COMPONENT: &str = "testdata";

/// The Spin variable that enables the routes.
const ENABLE_VARIABLE: &str = "test_endpoints";

/// Methods of `/api/test/generate-leads`.
const GENERATE_METHODS: &[Method] = &[Method::POST, Method::OPTIONS];

/// Methods of `/api/test/mock-analytics`. `HEAD` runs the `GET` handler, and
/// the HTTP server (hyper, under Spin) sends the headers without the body.
const MOCK_METHODS: &[Method] = &[Method::GET, Method::HEAD, Method::OPTIONS];

/// A path this component serves.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    /// `/api/test/generate-leads`
    GenerateLeads,
    /// `/api/test/mock-analytics`
    MockAnalytics,
}

impl Endpoint {
    /// Maps a request path, without its query string, to an endpoint.
    fn from_path(path: &str) -> Option<Endpoint> {
        match path {
            "/api/test/generate-leads" => Some(Endpoint::GenerateLeads),
            "/api/test/mock-analytics" => Some(Endpoint::MockAnalytics),
            _ => None,
        }
    }

    /// Methods the endpoint accepts, as listed in `Allow`.
    fn allowed_methods(&self) -> &'static [Method] {
        match self {
            Endpoint::GenerateLeads => GENERATE_METHODS,
            Endpoint::MockAnalytics => MOCK_METHODS,
        }
    }
}

#[spin_sdk::http_service]
async fn handle_request(request: Request) -> Response<FullBody<Bytes>> {
    let line = RequestLine::start(&request);
    let reply = dispatch(request, line.path(), line.request_id()).await;
    line.finish(COMPONENT, reply)
}

/// The route table: returns `404` everywhere while the routes are
/// disabled, then matches the endpoint and method, checks that the
/// caller's credentials grant the `admin` scope, and calls the handler.
async fn dispatch(request: Request, path: &str, request_id: &RequestId) -> Reply {
    let not_found = || ApiError::NotFound(format!("No endpoint at {path}"));
    match routes_enabled().await {
        Ok(true) => {}
        Ok(false) => return Reply::new(Err(not_found()), request_id),
        Err(error) => return Reply::new(Err(error), request_id),
    }
    let Some(endpoint) = Endpoint::from_path(path) else {
        return Reply::new(Err(not_found()), request_id);
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

    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let handler = async |database: &Database, caller: &Caller| match endpoint {
        Endpoint::GenerateLeads => {
            let updated_by = caller.event_actor();
            generate::generate_leads(headers, body, database, &updated_by, request_id).await
        }
        Endpoint::MockAnalytics => Ok(mock::mock_analytics(request_id)),
    };
    // The admin group has no rate limit, so its responses carry no
    // `RateLimit-*` headers.
    protected(
        COMPONENT,
        headers,
        RouteGroup::Admin,
        Scope::Admin,
        request_id,
        handler,
    )
    .await
}

/// Reads `test_endpoints`. `true` enables the routes, while `false`, an
/// empty value or a manifest without the variable disables them. Letter
/// case and surrounding spaces are ignored.
///
/// # Errors
///
/// Any other value, or a variable that cannot be read, is an internal
/// error whose cause the request's log line writes.
async fn routes_enabled() -> Result<bool, ApiError> {
    let value = match variables::get(ENABLE_VARIABLE).await {
        Ok(value) => value,
        Err(variables::Error::Undefined(_)) => return Ok(false),
        Err(error) => {
            let cause = anyhow::anyhow!("{ENABLE_VARIABLE} could not be read: {error}");
            return Err(ApiError::Internal(cause));
        }
    };
    parse_flag(&value).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "invalid settings: {ENABLE_VARIABLE} must be true or false, not {value:?}"
        ))
    })
}

fn parse_flag(value: &str) -> Option<bool> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.is_empty() || value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_map_to_endpoints() {
        assert_eq!(
            Endpoint::from_path("/api/test/generate-leads"),
            Some(Endpoint::GenerateLeads)
        );
        assert_eq!(
            Endpoint::from_path("/api/test/mock-analytics"),
            Some(Endpoint::MockAnalytics)
        );
    }

    #[test]
    fn unknown_paths_map_to_nothing() {
        for path in [
            "/api/test",
            "/api/test/",
            "/api/test/generate-leads/",
            "/api/test/generate_leads",
            "/api/test/mock-analytics/x",
        ] {
            assert_eq!(Endpoint::from_path(path), None, "{path}");
        }
    }

    #[test]
    fn flag_accepts_true_false_and_empty() {
        assert_eq!(parse_flag("true"), Some(true));
        assert_eq!(parse_flag(" TRUE "), Some(true));
        assert_eq!(parse_flag("false"), Some(false));
        assert_eq!(parse_flag(""), Some(false));
        assert_eq!(parse_flag("yes"), None);
        assert_eq!(parse_flag("1"), None);
    }
}
