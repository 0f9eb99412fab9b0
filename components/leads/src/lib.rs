//! Spin HTTP component for lead ingestion (`/api/leads…`) and the public
//! health check (`/health`).
//!
//! The lead routes need credentials: `write:leads` to create, update or
//! delete a lead and `read:leads` to list leads or read one. They share the caller's
//! budget of the `leads` route group, and `/health` spends the client
//! address's budget of the `health` group. The manifest also routes every path that no other
//! component claims here, so unknown paths get the JSON error envelope
//! instead of Spin's bare 404. Every response is built whole, so it carries
//! `Content-Length`, and every response carries `X-Request-Id`.
//!
//! Built with the `unauthenticated-benchmark` feature, the lead routes skip
//! authentication and rate limiting. That build exists only to measure
//! their cost and must never be deployed.

mod health;
mod idempotency;
mod leads;
mod list;
mod update;

use bytes::Bytes;
use cloudvelous_auth::{Grants, Scope};
use cloudvelous_gateway::{
    Caller, Reply, RequestLine, RouteGroup, protected, protected_with_grants, public,
};
use cloudvelous_http_kit::{ApiError, RequestId, options_response};
use cloudvelous_storage::{Database, StorageError};
use http::{Method, Response};
use spin_sdk::http::{FullBody, Request};

/// Component name in log lines.
const COMPONENT: &str = "leads";

/// Methods of `/api/leads`. `HEAD` runs the `GET` handler here and on the
/// other endpoints, and the HTTP server (hyper, under Spin) sends the
/// headers without the body.
const COLLECTION_METHODS: &[Method] = &[Method::GET, Method::HEAD, Method::POST, Method::OPTIONS];

/// Methods of `/api/leads/{id}`.
const ITEM_METHODS: &[Method] = &[
    Method::GET,
    Method::HEAD,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// Methods of `/health`.
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
            Endpoint::Lead(_) => ITEM_METHODS,
            Endpoint::Health => READ_ONLY_METHODS,
        }
    }
}

/// An endpoint together with a method that it serves.
enum Route<'a> {
    ListLeads,
    CreateLead,
    GetLead(&'a str),
    UpdateLead(&'a str),
    DeleteLead(&'a str),
    Health,
}

#[spin_sdk::http_service]
async fn handle_request(request: Request) -> Response<FullBody<Bytes>> {
    let line = RequestLine::start(&request);
    let reply = dispatch(request, line.path(), line.request_id()).await;
    line.finish(COMPONENT, reply)
}

/// The route table: matches the endpoint and method, then runs the route's
/// admission checks and handler.
async fn dispatch(request: Request, path: &str, request_id: &RequestId) -> Reply {
    let route = match match_route(path, request.method()) {
        Ok(route) => route,
        Err(early) => return Reply::new(early.into_result(request_id), request_id),
    };
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;

    match route {
        Route::ListLeads => {
            let query = parts.uri.query();
            let handler = async |database: &Database, _: &Caller| {
                list::list_leads(query, database, request_id).await
            };
            protected(
                COMPONENT,
                headers,
                RouteGroup::Leads,
                Scope::ReadLeads,
                request_id,
                handler,
            )
            .await
        }
        Route::CreateLead => {
            let handler = async |database: &Database, caller: &Caller| {
                leads::create_lead(headers, body, database, caller, request_id).await
            };
            protected(
                COMPONENT,
                headers,
                RouteGroup::Leads,
                Scope::WriteLeads,
                request_id,
                handler,
            )
            .await
        }
        Route::GetLead(id) => {
            let query = parts.uri.query();
            let handler = async |database: &Database, _: &Caller| {
                leads::get_lead(id, query, database, request_id).await
            };
            protected(
                COMPONENT,
                headers,
                RouteGroup::Leads,
                Scope::ReadLeads,
                request_id,
                handler,
            )
            .await
        }
        Route::UpdateLead(id) => {
            let handler = async |database: &Database, caller: &Caller, grants: Grants| {
                update::update_lead(id, &parts, body, database, caller, grants, request_id).await
            };
            protected_with_grants(
                COMPONENT,
                headers,
                RouteGroup::Leads,
                Scope::WriteLeads,
                request_id,
                handler,
            )
            .await
        }
        Route::DeleteLead(id) => {
            let query = parts.uri.query();
            let handler = async |database: &Database, _: &Caller| {
                leads::delete_lead(id, query, database, request_id).await
            };
            protected(
                COMPONENT,
                headers,
                RouteGroup::Leads,
                Scope::WriteLeads,
                request_id,
                handler,
            )
            .await
        }
        Route::Health => {
            let handler = async |database: Result<&Database, &StorageError>| {
                health::check_health(database, request_id).await
            };
            public(COMPONENT, headers, RouteGroup::Health, request_id, handler).await
        }
    }
}

/// A response decided before any admission check.
enum EarlyAnswer<'a> {
    /// `404` for a path this component does not serve.
    NotFound(&'a str),
    /// `405` for a method the endpoint does not accept.
    MethodNotAllowed(&'static [Method]),
    /// The `OPTIONS` response of an endpoint.
    Options(&'static [Method]),
}

impl EarlyAnswer<'_> {
    fn into_result(self, request_id: &RequestId) -> Result<Response<Bytes>, ApiError> {
        match self {
            EarlyAnswer::NotFound(path) => {
                Err(ApiError::NotFound(format!("No endpoint at {path}")))
            }
            EarlyAnswer::MethodNotAllowed(allow) => Err(ApiError::MethodNotAllowed { allow }),
            EarlyAnswer::Options(allow) => Ok(options_response(allow, request_id)),
        }
    }
}

fn match_route<'a>(path: &'a str, method: &Method) -> Result<Route<'a>, EarlyAnswer<'a>> {
    let endpoint = Endpoint::from_path(path).ok_or(EarlyAnswer::NotFound(path))?;
    match (endpoint, method) {
        (Endpoint::Leads, &Method::GET | &Method::HEAD) => Ok(Route::ListLeads),
        (Endpoint::Leads, &Method::POST) => Ok(Route::CreateLead),
        (Endpoint::Lead(id), &Method::GET | &Method::HEAD) => Ok(Route::GetLead(id)),
        (Endpoint::Lead(id), &Method::PATCH) => Ok(Route::UpdateLead(id)),
        (Endpoint::Lead(id), &Method::DELETE) => Ok(Route::DeleteLead(id)),
        (Endpoint::Health, &Method::GET | &Method::HEAD) => Ok(Route::Health),
        (endpoint, &Method::OPTIONS) => Err(EarlyAnswer::Options(endpoint.allowed_methods())),
        (endpoint, _) => Err(EarlyAnswer::MethodNotAllowed(endpoint.allowed_methods())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the `Allow` header of the `OPTIONS` response for `methods`.
    fn allow_header(methods: &[Method]) -> String {
        let request_id = RequestId::from_headers(&http::HeaderMap::new());
        let response = options_response(methods, &request_id);
        response.headers()[http::header::ALLOW]
            .to_str()
            .unwrap()
            .to_owned()
    }

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
    fn methods_map_to_routes() {
        let lead = "/api/leads/lead_abc";
        assert!(matches!(
            match_route("/api/leads", &Method::GET),
            Ok(Route::ListLeads)
        ));
        assert!(matches!(
            match_route("/api/leads", &Method::HEAD),
            Ok(Route::ListLeads)
        ));
        assert!(matches!(
            match_route("/api/leads", &Method::POST),
            Ok(Route::CreateLead)
        ));
        assert!(matches!(
            match_route(lead, &Method::GET),
            Ok(Route::GetLead("lead_abc"))
        ));
        assert!(matches!(
            match_route(lead, &Method::PATCH),
            Ok(Route::UpdateLead("lead_abc"))
        ));
        assert!(matches!(
            match_route(lead, &Method::DELETE),
            Ok(Route::DeleteLead("lead_abc"))
        ));
    }

    #[test]
    fn other_methods_are_not_allowed() {
        for (path, method) in [
            ("/api/leads", Method::DELETE),
            ("/api/leads", Method::PUT),
            ("/api/leads", Method::PATCH),
            ("/api/leads/lead_abc", Method::PUT),
            ("/api/leads/lead_abc", Method::POST),
            ("/health", Method::DELETE),
        ] {
            let outcome = match_route(path, &method);
            assert!(
                matches!(outcome, Err(EarlyAnswer::MethodNotAllowed(_))),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn allow_lists_methods_in_order() {
        assert_eq!(
            allow_header(Endpoint::Leads.allowed_methods()),
            "GET, HEAD, POST, OPTIONS"
        );
        assert_eq!(
            allow_header(Endpoint::Health.allowed_methods()),
            "GET, HEAD, OPTIONS"
        );
        assert_eq!(
            allow_header(Endpoint::Lead("lead_x").allowed_methods()),
            "GET, HEAD, PATCH, DELETE, OPTIONS"
        );
    }
}
