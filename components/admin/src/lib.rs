//! Spin HTTP component for administration (`/api/admin/…`): creating,
//! listing and revoking API keys, and checking the daily lead counts of the
//! analytics against a full recount, managing webhook subscriptions and
//! flushing the outbox of lead events.
//!
//! Every route needs credentials that grant the `admin` scope. The routes
//! are not rate limited. Every response is built whole, so it carries
//! `Content-Length` (except the body-less `204` of a revoke), and every
//! response carries `X-Request-Id`.

mod analytics;
mod api_keys;
mod new_api_key;
mod outbox;
mod webhooks;
mod webhooks_request;

use bytes::Bytes;
use cloudvelous_auth::Scope;
use cloudvelous_gateway::{Caller, Reply, RequestLine, RouteGroup, protected};
use cloudvelous_http_kit::{ApiError, RequestId, options_response};
use cloudvelous_storage::Database;
use http::{Method, Response};
use spin_sdk::http::{FullBody, Request};

/// Component name in log lines.
const COMPONENT: &str = "admin";

/// Methods of `/api/admin/api-keys`. `HEAD` runs the `GET` handler, and the
/// HTTP server (hyper, under Spin) sends the headers without the body.
const COLLECTION_METHODS: &[Method] = &[Method::GET, Method::HEAD, Method::POST, Method::OPTIONS];

/// Methods of `/api/admin/api-keys/{id}`.
const ITEM_METHODS: &[Method] = &[Method::DELETE, Method::OPTIONS];

/// Methods of `/api/admin/analytics/rebuild`.
const REBUILD_METHODS: &[Method] = &[Method::POST, Method::OPTIONS];

/// Methods of `/api/admin/webhooks/{id}/deliveries`.
const DELIVERIES_METHODS: &[Method] = &[Method::GET, Method::HEAD, Method::OPTIONS];

/// Methods of `/api/admin/outbox/flush`.
const FLUSH_METHODS: &[Method] = &[Method::POST, Method::OPTIONS];

/// A path this component serves, with the identifier it carries.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint<'a> {
    /// `/api/admin/api-keys`
    ApiKeys,
    /// `/api/admin/api-keys/{id}`, with the raw path segment as the id.
    ApiKey(&'a str),
    /// `/api/admin/analytics/rebuild`
    AnalyticsRebuild,
    /// `/api/admin/webhooks`
    Webhooks,
    /// `/api/admin/webhooks/{id}`, with the raw path segment as the id.
    Webhook(&'a str),
    /// `/api/admin/webhooks/{id}/deliveries`
    WebhookDeliveries(&'a str),
    /// `/api/admin/outbox/flush`
    OutboxFlush,
}

impl Endpoint<'_> {
    /// Maps a request path, without its query string, to an endpoint.
    fn from_path(path: &str) -> Option<Endpoint<'_>> {
        match path {
            "/api/admin/api-keys" => return Some(Endpoint::ApiKeys),
            "/api/admin/analytics/rebuild" => return Some(Endpoint::AnalyticsRebuild),
            "/api/admin/webhooks" => return Some(Endpoint::Webhooks),
            "/api/admin/outbox/flush" => return Some(Endpoint::OutboxFlush),
            _ => {}
        }
        if let Some(rest) = path.strip_prefix("/api/admin/webhooks/") {
            return match rest.split_once('/') {
                None => path_segment(rest).map(Endpoint::Webhook),
                Some((id, "deliveries")) => path_segment(id).map(Endpoint::WebhookDeliveries),
                Some(_) => None,
            };
        }
        let id = path.strip_prefix("/api/admin/api-keys/")?;
        (!id.is_empty() && !id.contains('/')).then_some(Endpoint::ApiKey(id))
    }

    /// Methods the endpoint accepts, as listed in `Allow`.
    fn allowed_methods(&self) -> &'static [Method] {
        match self {
            Endpoint::ApiKeys => COLLECTION_METHODS,
            Endpoint::ApiKey(_) => ITEM_METHODS,
            Endpoint::AnalyticsRebuild => REBUILD_METHODS,
            Endpoint::Webhooks => COLLECTION_METHODS,
            Endpoint::Webhook(_) => ITEM_METHODS,
            Endpoint::WebhookDeliveries(_) => DELIVERIES_METHODS,
            Endpoint::OutboxFlush => FLUSH_METHODS,
        }
    }
}

/// Returns a path segment that can be an id: not empty, without `/`.
fn path_segment(segment: &str) -> Option<&str> {
    (!segment.is_empty() && !segment.contains('/')).then_some(segment)
}

#[spin_sdk::http_service]
async fn handle_request(request: Request) -> Response<FullBody<Bytes>> {
    let line = RequestLine::start(&request);
    let reply = dispatch(request, line.path(), line.request_id()).await;
    line.finish(COMPONENT, reply)
}

/// The route table: matches the endpoint and method, checks that the
/// caller's credentials grant the `admin` scope, then calls the handler.
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

    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let handler = async |database: &Database, _: &Caller| match (endpoint, method) {
        (Endpoint::ApiKeys, Method::POST) => {
            api_keys::create_api_key(headers, body, database, request_id).await
        }
        (Endpoint::ApiKeys, Method::GET | Method::HEAD) => {
            api_keys::list_api_keys(database, request_id).await
        }
        (Endpoint::ApiKey(id), Method::DELETE) => {
            api_keys::revoke_api_key(id, database, request_id).await
        }
        (Endpoint::AnalyticsRebuild, Method::POST) => {
            analytics::rebuild_daily_counts(database, request_id).await
        }
        (Endpoint::Webhooks, Method::POST) => {
            webhooks::create_webhook(headers, body, database, request_id).await
        }
        (Endpoint::Webhooks, Method::GET | Method::HEAD) => {
            webhooks::list_webhooks(database, request_id).await
        }
        (Endpoint::Webhook(id), Method::DELETE) => {
            webhooks::delete_webhook(id, database, request_id).await
        }
        (Endpoint::WebhookDeliveries(id), Method::GET | Method::HEAD) => {
            webhooks::list_deliveries(id, database, request_id).await
        }
        (Endpoint::OutboxFlush, Method::POST) => outbox::flush_outbox(database, request_id).await,
        (endpoint, _) => Err(ApiError::MethodNotAllowed {
            allow: endpoint.allowed_methods(),
        }),
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
        assert_eq!(
            Endpoint::from_path("/api/admin/analytics/rebuild"),
            Some(Endpoint::AnalyticsRebuild)
        );
        assert_eq!(
            Endpoint::from_path("/api/admin/webhooks"),
            Some(Endpoint::Webhooks)
        );
        assert_eq!(
            Endpoint::from_path("/api/admin/webhooks/whk_abc"),
            Some(Endpoint::Webhook("whk_abc"))
        );
        assert_eq!(
            Endpoint::from_path("/api/admin/webhooks/whk_abc/deliveries"),
            Some(Endpoint::WebhookDeliveries("whk_abc"))
        );
        assert_eq!(
            Endpoint::from_path("/api/admin/outbox/flush"),
            Some(Endpoint::OutboxFlush)
        );
    }

    #[test]
    fn unknown_webhook_paths_map_to_nothing() {
        for path in [
            "/api/admin/webhooks/",
            "/api/admin/webhooks//deliveries",
            "/api/admin/webhooks/whk_abc/deliveries/",
            "/api/admin/webhooks/whk_abc/attempts",
            "/api/admin/webhooks/whk_abc/deliveries/dlv_1",
            "/api/admin/outbox",
            "/api/admin/outbox/flush/",
        ] {
            assert_eq!(Endpoint::from_path(path), None, "{path}");
        }
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
            "/api/admin/analytics",
            "/api/admin/analytics/rebuild/",
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
        assert_eq!(
            allow_header(Endpoint::AnalyticsRebuild.allowed_methods()),
            "POST, OPTIONS"
        );
    }
}
