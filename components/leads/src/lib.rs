//! Spin HTTP component for lead ingestion (`/api/leads…`) and the public
//! health check (`/health`).
//!
//! The manifest also routes every path that no other component claims here,
//! so unknown paths get the JSON error envelope instead of Spin's bare 404.
//! Every response is built whole, so it carries `Content-Length`, and every
//! response carries `X-Request-Id`.

mod body;
mod health;
mod leads;
mod log;

use std::time::Instant;

use bytes::Bytes;
use cloudvelous_domain::Timestamp;
use cloudvelous_http_kit::{ApiError, RequestId, error_response, log_request};
use http::{Method, Response, StatusCode, header};
use spin_sdk::http::{FullBody, Request};

/// Component name in log lines.
const COMPONENT: &str = "leads";

/// Methods of `/api/leads`.
const COLLECTION_METHODS: &[Method] = &[Method::POST, Method::OPTIONS];

/// Methods of `/api/leads/{id}` and `/health`. `HEAD` runs the `GET`
/// handler, and the HTTP server (hyper, under Spin) sends the headers
/// without the body.
const READ_ONLY_METHODS: &[Method] = &[Method::GET, Method::HEAD, Method::OPTIONS];

/// A path this component serves, with the identifier it carries.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint<'a> {
    /// `/api/leads`
    Leads,
    /// `/api/leads/{id}`, with the raw path segment as the id.
    Lead(&'a str),
    /// `/health`
    Health,
}

impl Endpoint<'_> {
    /// Maps a request path, without its query string, to an endpoint.
    fn from_path(path: &str) -> Option<Endpoint<'_>> {
        match path {
            "/api/leads" => Some(Endpoint::Leads),
            "/health" => Some(Endpoint::Health),
            _ => {
                let id = path.strip_prefix("/api/leads/")?;
                (!id.is_empty() && !id.contains('/')).then_some(Endpoint::Lead(id))
            }
        }
    }

    /// Methods the endpoint accepts, as listed in `Allow`.
    fn allowed_methods(&self) -> &'static [Method] {
        match self {
            Endpoint::Leads => COLLECTION_METHODS,
            Endpoint::Lead(_) | Endpoint::Health => READ_ONLY_METHODS,
        }
    }
}

#[spin_sdk::http_service]
async fn handle_request(request: Request) -> Response<FullBody<Bytes>> {
    let started = Instant::now();
    let request_id = RequestId::from_headers(request.headers());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();

    let (response, error) = match dispatch(request, &path, &request_id).await {
        Ok(response) => (response, None),
        Err(error) => {
            let response = error_response(&error, &request_id, Timestamp::now());
            (response, Some(error))
        }
    };

    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let status = response.status();
    log_request(
        COMPONENT,
        &request_id,
        &method,
        &path,
        status,
        duration_ms,
        error.as_ref(),
    );
    response.map(FullBody::new)
}

/// The route table: calls the handler for the endpoint and method.
async fn dispatch(
    request: Request,
    path: &str,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let Some(endpoint) = Endpoint::from_path(path) else {
        return Err(ApiError::NotFound(format!("No endpoint at {path}")));
    };
    let method = request.method().clone();

    match (&endpoint, method) {
        (Endpoint::Leads, Method::POST) => leads::create_lead(request, request_id).await,
        (Endpoint::Lead(id), Method::GET | Method::HEAD) => leads::get_lead(id, request_id).await,
        (Endpoint::Health, Method::GET | Method::HEAD) => {
            Ok(health::check_health(request_id).await)
        }
        (_, Method::OPTIONS) => allowed_methods_response(&endpoint, request_id),
        _ => Err(ApiError::MethodNotAllowed {
            allow: endpoint.allowed_methods(),
        }),
    }
}

/// Builds the `OPTIONS` response: `200` with an empty body and `Allow`.
/// A `204` must not carry `Content-Length` (RFC 9110, section 8.6).
fn allowed_methods_response(
    endpoint: &Endpoint<'_>,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let allow = allow_header(endpoint.allowed_methods());
    Response::builder()
        .status(StatusCode::OK)
        .header(header::ALLOW, allow)
        .header(header::CONTENT_LENGTH, 0)
        .header("x-request-id", request_id.as_str())
        .body(Bytes::new())
        .map_err(|error| ApiError::Internal(anyhow::Error::new(error)))
}

fn allow_header(methods: &[Method]) -> String {
    let names: Vec<&str> = methods.iter().map(Method::as_str).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_map_to_endpoints() {
        assert_eq!(Endpoint::from_path("/api/leads"), Some(Endpoint::Leads));
        assert_eq!(Endpoint::from_path("/health"), Some(Endpoint::Health));
        assert_eq!(
            Endpoint::from_path("/api/leads/lead_abc123"),
            Some(Endpoint::Lead("lead_abc123"))
        );
    }

    #[test]
    fn unknown_paths_map_to_nothing() {
        for path in [
            "/",
            "/api",
            "/api/leads/",
            "/api/leads/lead_abc/notes",
            "/api/leadsx",
            "/health/",
            "/healthz",
            "/API/leads",
        ] {
            assert_eq!(Endpoint::from_path(path), None, "{path}");
        }
    }

    #[test]
    fn lead_id_is_raw_segment() {
        assert_eq!(
            Endpoint::from_path("/api/leads/not%20an%20id"),
            Some(Endpoint::Lead("not%20an%20id"))
        );
    }

    #[test]
    fn allow_lists_methods_in_order() {
        assert_eq!(
            allow_header(Endpoint::Leads.allowed_methods()),
            "POST, OPTIONS"
        );
        assert_eq!(
            allow_header(Endpoint::Health.allowed_methods()),
            "GET, HEAD, OPTIONS"
        );
        assert_eq!(
            allow_header(Endpoint::Lead("lead_x").allowed_methods()),
            "GET, HEAD, OPTIONS"
        );
    }
}
