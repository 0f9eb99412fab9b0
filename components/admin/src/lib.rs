//! Spin HTTP component for administration (`/api/admin/…`): creating,
//! listing and revoking API keys.
//!
//! Every route needs credentials that grant the `admin` scope. The routes
//! are not rate limited. Every response is built whole, so it carries
//! `Content-Length` (except the body-less `204` of a revoke), and every
//! response carries `X-Request-Id`.

mod access;
mod api_keys;
mod new_api_key;

use std::time::Instant;

use bytes::Bytes;
use cloudvelous_domain::Timestamp;
use cloudvelous_http_kit::{ApiError, RequestId, error_response, log_request, options_response};
use http::{Method, Response};
use spin_sdk::http::{FullBody, Request};

/// Component name in log lines.
const COMPONENT: &str = "admin";

/// Methods of `/api/admin/api-keys`. `HEAD` runs the `GET` handler, and the
/// HTTP server (hyper, under Spin) sends the headers without the body.
const COLLECTION_METHODS: &[Method] = &[Method::GET, Method::HEAD, Method::POST, Method::OPTIONS];

/// Methods of `/api/admin/api-keys/{id}`.
const ITEM_METHODS: &[Method] = &[Method::DELETE, Method::OPTIONS];

/// A path this component serves, with the identifier it carries.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint<'a> {
    /// `/api/admin/api-keys`
    ApiKeys,
    /// `/api/admin/api-keys/{id}`, with the raw path segment as the id.
    ApiKey(&'a str),
}

impl Endpoint<'_> {
    /// Maps a request path, without its query string, to an endpoint.
    fn from_path(path: &str) -> Option<Endpoint<'_>> {
        if path == "/api/admin/api-keys" {
            return Some(Endpoint::ApiKeys);
        }
        let id = path.strip_prefix("/api/admin/api-keys/")?;
        (!id.is_empty() && !id.contains('/')).then_some(Endpoint::ApiKey(id))
    }

    /// Methods the endpoint accepts, as listed in `Allow`.
    fn allowed_methods(&self) -> &'static [Method] {
        match self {
            Endpoint::ApiKeys => COLLECTION_METHODS,
            Endpoint::ApiKey(_) => ITEM_METHODS,
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
    log_request(
        COMPONENT,
        &request_id,
        &method,
        &path,
        response.status(),
        duration_ms,
        error.as_ref(),
    );
    response.map(FullBody::new)
}

/// The route table: matches the endpoint and method, checks the caller's
/// credentials, then calls the handler.
async fn dispatch(
    request: Request,
    path: &str,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let Some(endpoint) = Endpoint::from_path(path) else {
        return Err(ApiError::NotFound(format!("No endpoint at {path}")));
    };
    let method = request.method().clone();
    if method == Method::OPTIONS {
        return Ok(options_response(endpoint.allowed_methods(), request_id));
    }
    if !endpoint.allowed_methods().contains(&method) {
        return Err(ApiError::MethodNotAllowed {
            allow: endpoint.allowed_methods(),
        });
    }

    let (parts, body) = request.into_parts();
    let database = access::admit_admin(&parts.headers, request_id).await?;

    match (endpoint, method) {
        (Endpoint::ApiKeys, Method::POST) => {
            api_keys::create_api_key(&parts.headers, body, &database, request_id).await
        }
        (Endpoint::ApiKeys, Method::GET | Method::HEAD) => {
            api_keys::list_api_keys(&database, request_id).await
        }
        (Endpoint::ApiKey(id), Method::DELETE) => {
            api_keys::revoke_api_key(id, &database, request_id).await
        }
        (endpoint, _) => Err(ApiError::MethodNotAllowed {
            allow: endpoint.allowed_methods(),
        }),
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
        assert_eq!(
            Endpoint::from_path("/api/admin/api-keys"),
            Some(Endpoint::ApiKeys)
        );
        assert_eq!(
            Endpoint::from_path("/api/admin/api-keys/key_abc"),
            Some(Endpoint::ApiKey("key_abc"))
        );
    }

    #[test]
    fn unknown_paths_map_to_nothing() {
        for path in [
            "/api/admin",
            "/api/admin/",
            "/api/admin/api-keys/",
            "/api/admin/api-keys/key_abc/extra",
            "/api/admin/api-keysx",
            "/api/admin/users",
            "/API/admin/api-keys",
        ] {
            assert_eq!(Endpoint::from_path(path), None, "{path}");
        }
    }

    #[test]
    fn allow_lists_methods_in_order() {
        assert_eq!(
            allow_header(Endpoint::ApiKeys.allowed_methods()),
            "GET, HEAD, POST, OPTIONS"
        );
        assert_eq!(
            allow_header(Endpoint::ApiKey("key_x").allowed_methods()),
            "DELETE, OPTIONS"
        );
    }
}
