//! The admission check of a request, and its two outcomes.

use std::time::Duration;

use bytes::Bytes;
use cloudvelous_auth::{Grants, Scope};
use cloudvelous_domain::Timestamp;
use cloudvelous_http_kit::{ApiError, RequestId, error_response};
use cloudvelous_storage::Database;
use http::{HeaderMap, Response};

use crate::authenticate::{AuthenticationError, authenticate};
use crate::caller::{Caller, RouteGroup};
use crate::client_address::client_address;
use crate::limiter::check_rate_limit;
use crate::log::{LogContext, log_authentication_failure, log_storage_failure};
use crate::rate_limit::RateLimitState;
use crate::settings::Settings;

/// An admitted request: who sent it and the budget it leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    /// The identity whose budget the request spent.
    pub caller: Caller,
    /// The scopes that every credential of the request allows, implied
    /// scopes included. None on a public route.
    pub grants: Grants,
    /// The caller's budget after this request, or `None` for a route group
    /// without a rate limit.
    pub rate: Option<RateLimitState>,
}

impl Admission {
    /// Adds the `RateLimit-*` headers to a response of the admitted request,
    /// success or error. Does nothing for a group without a rate limit.
    pub fn apply<B>(&self, response: &mut Response<B>) {
        if let Some(rate) = &self.rate {
            rate.apply_to(response.headers_mut());
        }
    }
}

/// A request that may not proceed, with the error response to send.
#[derive(Debug)]
pub struct Rejection {
    error: ApiError,
    rate: Option<RateLimitState>,
}

impl Rejection {
    /// Returns the error: `401`, `403` or `429`, or `503` or `500` when the
    /// database or the settings failed.
    pub fn error(&self) -> &ApiError {
        &self.error
    }

    /// Returns the caller's exhausted budget for a `429`.
    pub fn rate(&self) -> Option<&RateLimitState> {
        self.rate.as_ref()
    }

    /// Builds the error envelope, with `WWW-Authenticate` on `401`, and
    /// `Retry-After` and the `RateLimit-*` headers on `429`.
    pub fn response(&self, request_id: &RequestId, now: Timestamp) -> Response<Bytes> {
        let mut response = error_response(&self.error, request_id, now);
        if let Some(rate) = &self.rate {
            rate.apply_to(response.headers_mut());
        }
        response
    }

    /// Returns the error, for the component's request log line.
    pub fn into_error(self) -> ApiError {
        self.error
    }

    fn unauthorized() -> Rejection {
        Rejection {
            error: ApiError::Unauthorized,
            rate: None,
        }
    }

    fn forbidden(scope: Scope) -> Rejection {
        Rejection {
            error: ApiError::Forbidden(format!("Requires scope {scope}")),
            rate: None,
        }
    }

    fn rate_limited(rate: RateLimitState) -> Rejection {
        Rejection {
            error: ApiError::RateLimited {
                retry_after_seconds: rate.reset_seconds,
            },
            rate: Some(rate),
        }
    }

    fn storage(error: cloudvelous_storage::StorageError) -> Rejection {
        Rejection {
            error: ApiError::from(error),
            rate: None,
        }
    }
}

/// Decides whether a request to a route of `group` may proceed, at `now`
/// since the Unix epoch.
///
/// With `required` set, the request must carry valid credentials (`401`
/// otherwise, with the reason only in an `info` log line) that grant the
/// scope (`403`). With `required` unset, the route is public: credentials
/// are ignored and the caller is the client address. Then, unless the group
/// has no limit, the request spends one unit of the caller's budget in the
/// group (`429` when none is left).
///
/// # Errors
///
/// Returns the [`Rejection`] of the first check that fails. A database that
/// cannot look an API key up or keep the rate-limit log is `503` (or `500`
/// for a statement failure), never an admission.
pub async fn admit(
    settings: &Settings,
    headers: &HeaderMap,
    group: RouteGroup,
    required: Option<Scope>,
    now: Duration,
    database: &Database,
    request_id: &RequestId,
) -> Result<Admission, Rejection> {
    let context = LogContext::new(request_id);

    let (caller, grants) = match required {
        None => (
            Caller::Client(client_address(headers, settings.trusted_proxies())),
            Grants::none(),
        ),
        Some(scope) => {
            let now_seconds = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
            let now = Timestamp::from_unix_seconds(now_seconds);
            let authenticated = authenticate(settings, headers, now, database, &context)
                .await
                .map_err(|error| reject_authentication(error, &context))?;
            if !authenticated.allows(scope) {
                return Err(Rejection::forbidden(scope));
            }
            let grants = authenticated.shared_grants();
            (authenticated.caller, grants)
        }
    };

    let Some(limit) = settings.rate_limit(group) else {
        return Ok(Admission {
            caller,
            grants,
            rate: None,
        });
    };
    let now_ms = i64::try_from(now.as_millis()).unwrap_or(i64::MAX);
    let decision = check_rate_limit(settings, group, &caller, limit, now_ms, database, &context)
        .await
        .map_err(|error| storage_rejection(error, &context))?;
    let rate = RateLimitState::from_decision(limit, &decision, now_ms);
    if !decision.admitted {
        return Err(Rejection::rate_limited(rate));
    }
    Ok(Admission {
        caller,
        grants,
        rate: Some(rate),
    })
}

fn reject_authentication(error: AuthenticationError, context: &LogContext) -> Rejection {
    match error {
        AuthenticationError::Rejected(failure) => {
            log_authentication_failure(context, failure.reason());
            Rejection::unauthorized()
        }
        AuthenticationError::Storage(error) => storage_rejection(error, context),
    }
}

fn storage_rejection(error: cloudvelous_storage::StorageError, context: &LogContext) -> Rejection {
    log_storage_failure(context, &error.to_string());
    Rejection::storage(error)
}

#[cfg(test)]
mod tests;
