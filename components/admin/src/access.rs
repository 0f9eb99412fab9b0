//! The admission check of the admin routes: credentials that grant the
//! `admin` scope. The routes have no rate limit.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudvelous_auth::Scope;
use cloudvelous_gateway::{Rejection, RouteGroup, Settings, admit};
use cloudvelous_http_kit::{ApiError, RequestId};
use cloudvelous_storage::{Database, storage_failure};
use http::HeaderMap;

use crate::COMPONENT;

/// Opens the database and checks that the request's credentials grant the
/// `admin` scope: `401` for missing or invalid credentials, `403` for
/// valid ones without the scope. Returns the database for the handler.
pub(crate) async fn admit_admin(
    headers: &HeaderMap,
    request_id: &RequestId,
) -> Result<Database, ApiError> {
    let settings = Settings::load().await?;
    let database = Database::open()
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;

    admit(
        &settings,
        headers,
        RouteGroup::Admin,
        Some(Scope::Admin),
        now(),
        &database,
        request_id,
    )
    .await
    .map_err(Rejection::into_error)?;
    Ok(database)
}

/// Reads the wall clock as the time since the Unix epoch. A clock set
/// before the epoch reads as the epoch.
fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}
