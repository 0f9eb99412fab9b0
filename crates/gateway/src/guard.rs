//! The admission checks in front of a component's handlers (credentials,
//! the route's scope and the rate limit), the reply they lead to, and the
//! request's log line.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cloudvelous_auth::{Grants, Scope};
use cloudvelous_domain::Timestamp;
use cloudvelous_http_kit::{ApiError, RequestId, error_response, log_request, log_service_failure};
use cloudvelous_storage::{Database, StorageError, storage_failure};
use http::{HeaderMap, Method, Response};
use spin_sdk::http::{FullBody, Request};

use crate::admission::{Admission, Rejection, admit};
use crate::caller::{Caller, RouteGroup};
use crate::settings::Settings;

/// A finished response and the error it reports, for the request log line.
pub struct Reply {
    /// The response to send.
    pub response: Response<Bytes>,
    /// The error the response reports, if any.
    pub error: Option<ApiError>,
}

impl Reply {
    /// Builds the reply of a handler's result, turning an error into its
    /// envelope.
    pub fn new(result: Result<Response<Bytes>, ApiError>, request_id: &RequestId) -> Reply {
        match result {
            Ok(response) => Reply {
                response,
                error: None,
            },
            Err(error) => Reply {
                response: error_response(&error, request_id, Timestamp::now()),
                error: Some(error),
            },
        }
    }

    fn rejected(rejection: Rejection, request_id: &RequestId) -> Reply {
        Reply {
            response: rejection.response(request_id, Timestamp::now()),
            error: Some(rejection.into_error()),
        }
    }

    fn with_rate_limit(mut self, admission: Option<&Admission>) -> Reply {
        if let Some(admission) = admission {
            admission.apply(&mut self.response);
        }
        self
    }
}

/// What the request log line needs to know about a request once its
/// response is ready: when it arrived, its id, method and path.
pub struct RequestLine {
    started: Instant,
    request_id: RequestId,
    method: Method,
    path: String,
}

impl RequestLine {
    /// Starts the clock for `request` and reads or generates its request id.
    pub fn start(request: &Request) -> RequestLine {
        RequestLine {
            started: Instant::now(),
            request_id: RequestId::from_headers(request.headers()),
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
        }
    }

    /// The request id, reused from `X-Request-Id` or generated.
    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// The request path without its query string.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Writes the request's log line for `component` and returns the
    /// response to send.
    pub fn finish(self, component: &str, reply: Reply) -> Response<FullBody<Bytes>> {
        let duration_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        log_request(
            component,
            &self.request_id,
            &self.method,
            &self.path,
            reply.response.status(),
            duration_ms,
            reply.error.as_ref(),
        );
        reply.response.map(FullBody::new)
    }
}

/// Runs `handler` for a route of `component` that needs `scope`, after these
/// checks in order: credentials (`401`), the scope (`403`) and the caller's
/// budget in `group` (`429`). Every response after the budget check, errors
/// included, carries the `RateLimit-*` headers of a limited group.
pub async fn protected<F>(
    component: &str,
    headers: &HeaderMap,
    group: RouteGroup,
    scope: Scope,
    request_id: &RequestId,
    handler: F,
) -> Reply
where
    F: AsyncFnOnce(&Database, &Caller) -> Result<Response<Bytes>, ApiError>,
{
    let handler =
        async |database: &Database, caller: &Caller, _: Grants| handler(database, caller).await;
    protected_with_grants(component, headers, group, scope, request_id, handler).await
}

/// Runs `handler` as [`protected`] does, for a route whose behaviour also
/// depends on the caller's other scopes. `handler` gets the scopes that
/// every credential of the request allows, such as `admin`.
#[cfg(not(feature = "unauthenticated-benchmark"))]
pub async fn protected_with_grants<F>(
    component: &str,
    headers: &HeaderMap,
    group: RouteGroup,
    scope: Scope,
    request_id: &RequestId,
    handler: F,
) -> Reply
where
    F: AsyncFnOnce(&Database, &Caller, Grants) -> Result<Response<Bytes>, ApiError>,
{
    let settings = match Settings::load().await {
        Ok(settings) => settings,
        Err(error) => return Reply::new(Err(error), request_id),
    };
    let database = match Database::open().await {
        Ok(database) => database,
        Err(error) => {
            let error = storage_failure(component, request_id)(error);
            return Reply::new(Err(error), request_id);
        }
    };
    let admission = match admit(
        &settings,
        headers,
        group,
        Some(scope),
        now(),
        &database,
        request_id,
    )
    .await
    {
        Ok(admission) => admission,
        Err(rejection) => return Reply::rejected(rejection, request_id),
    };

    let result = handler(&database, &admission.caller, admission.grants).await;
    Reply::new(result, request_id).with_rate_limit(Some(&admission))
}

/// Runs `handler` without any admission check, for the benchmark that
/// measures what authentication and rate limiting cost. The handler sees
/// the caller as an unknown client address without any scope.
#[cfg(feature = "unauthenticated-benchmark")]
pub async fn protected_with_grants<F>(
    component: &str,
    _headers: &HeaderMap,
    _group: RouteGroup,
    _scope: Scope,
    request_id: &RequestId,
    handler: F,
) -> Reply
where
    F: AsyncFnOnce(&Database, &Caller, Grants) -> Result<Response<Bytes>, ApiError>,
{
    match Database::open().await {
        Ok(database) => Reply::new(
            handler(&database, &Caller::Client(None), Grants::none()).await,
            request_id,
        ),
        Err(error) => Reply::new(
            Err(storage_failure(component, request_id)(error)),
            request_id,
        ),
    }
}

/// Runs `handler` for a public route of `component` after spending one unit
/// of the client address's budget in `group` (`429` when none is left).
///
/// `handler` gets the outcome of opening the database, so that a route such
/// as `/health` can report a database failure. When the database cannot be
/// opened or the limiter fails, the request goes on without a limit and
/// without `RateLimit-*` headers. A limiter failure is logged here as a
/// `warn` line, and reporting a database that cannot be opened is left to
/// `handler`.
pub async fn public<F>(
    component: &str,
    headers: &HeaderMap,
    group: RouteGroup,
    request_id: &RequestId,
    handler: F,
) -> Reply
where
    F: AsyncFnOnce(Result<&Database, &StorageError>) -> Response<Bytes>,
{
    let settings = match Settings::load().await {
        Ok(settings) => settings,
        Err(error) => return Reply::new(Err(error), request_id),
    };
    let database = Database::open().await;

    let admission = match &database {
        Ok(database) => {
            match admit(&settings, headers, group, None, now(), database, request_id).await {
                Ok(admission) => Some(admission),
                Err(rejection) if matches!(rejection.error(), ApiError::RateLimited { .. }) => {
                    return Reply::rejected(rejection, request_id);
                }
                Err(rejection) => {
                    log_service_failure(component, request_id, "rate limiter", rejection.error());
                    None
                }
            }
        }
        Err(_) => None,
    };

    let response = handler(database.as_ref()).await;
    Reply::new(Ok(response), request_id).with_rate_limit(admission.as_ref())
}

/// Reads the wall clock as the time since the Unix epoch. A clock set
/// before the epoch reads as the epoch.
fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}
