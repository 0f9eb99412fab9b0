//! The admission checks in front of the handlers (credentials, the route's
//! scope and the rate limit) and the reply they lead to.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cloudvelous_auth::Scope;
use cloudvelous_domain::Timestamp;
use cloudvelous_gateway::{Admission, Rejection, RouteGroup, Settings, admit};
use cloudvelous_http_kit::{ApiError, RequestId, error_response, log_service_failure};
use cloudvelous_storage::{Database, StorageError, storage_failure};
use http::{HeaderMap, Response};

use crate::COMPONENT;

/// A finished response and the error it reports, for the request log line.
pub(crate) struct Reply {
    pub(crate) response: Response<Bytes>,
    pub(crate) error: Option<ApiError>,
}

impl Reply {
    /// Builds the reply of a handler's result, turning an error into its
    /// envelope.
    pub(crate) fn new(result: Result<Response<Bytes>, ApiError>, request_id: &RequestId) -> Reply {
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

/// Runs `handler` for a route that needs `scope`, after these checks in
/// order: credentials (`401`), the scope (`403`) and the caller's budget in
/// `group` (`429`). Every response after the budget check, errors included,
/// carries the `RateLimit-*` headers.
#[cfg(not(feature = "unauthenticated-benchmark"))]
pub(crate) async fn protected<F>(
    headers: &HeaderMap,
    group: RouteGroup,
    scope: Scope,
    request_id: &RequestId,
    handler: F,
) -> Reply
where
    F: AsyncFnOnce(&Database) -> Result<Response<Bytes>, ApiError>,
{
    let (settings, database) = match load_settings_and_database(request_id).await {
        Ok(loaded) => loaded,
        Err(error) => return Reply::new(Err(error), request_id),
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

    Reply::new(handler(&database).await, request_id).with_rate_limit(Some(&admission))
}

/// Runs `handler` without any admission check, for the benchmark that
/// measures what authentication and rate limiting cost.
#[cfg(feature = "unauthenticated-benchmark")]
pub(crate) async fn protected<F>(
    _headers: &HeaderMap,
    _group: RouteGroup,
    _scope: Scope,
    request_id: &RequestId,
    handler: F,
) -> Reply
where
    F: AsyncFnOnce(&Database) -> Result<Response<Bytes>, ApiError>,
{
    match Database::open().await {
        Ok(database) => Reply::new(handler(&database).await, request_id),
        Err(error) => Reply::new(
            Err(storage_failure(COMPONENT, request_id)(error)),
            request_id,
        ),
    }
}

/// Runs `handler` for a public route after spending one unit of the client
/// address's budget in `group` (`429` when none is left).
///
/// `handler` gets the outcome of opening the database, so that a route such
/// as `/health` can report a database failure. When the database cannot be
/// opened or the limiter fails, the request goes on without a limit and
/// without `RateLimit-*` headers. A limiter failure is logged here as a
/// `warn` line, and reporting a database that cannot be opened is left to
/// `handler`.
pub(crate) async fn public<F>(
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
                    log_service_failure(COMPONENT, request_id, "rate limiter", rejection.error());
                    None
                }
            }
        }
        Err(_) => None,
    };

    let response = handler(database.as_ref()).await;
    Reply::new(Ok(response), request_id).with_rate_limit(admission.as_ref())
}

#[cfg(not(feature = "unauthenticated-benchmark"))]
async fn load_settings_and_database(
    request_id: &RequestId,
) -> Result<(Settings, Database), ApiError> {
    let settings = Settings::load().await?;
    let database = Database::open()
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    Ok((settings, database))
}

/// Reads the wall clock as the time since the Unix epoch. A clock set
/// before the epoch reads as the epoch.
fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}
