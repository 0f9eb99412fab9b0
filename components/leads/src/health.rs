//! `GET /health`: the state of the database and of the Redis queue.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use cloudvelous_contract::{HealthReport, HealthServices, HealthStatus, ServiceState};
use cloudvelous_domain::Timestamp;
use cloudvelous_events::{Budget, publish_pending};
use cloudvelous_http_kit::{RequestId, json_response, log_service_failure};
use cloudvelous_storage::{Database, StorageError};
use http::{Response, StatusCode};
use spin_sdk::{redis, variables};

use crate::COMPONENT;

/// Spin variable with the Redis address. An empty value means that no queue
/// is configured.
const REDIS_ADDRESS_VARIABLE: &str = "redis_address";

/// Maximum wait for the Redis connection and its `PING` reply. Without a
/// bound, a Redis host that drops packets would hold the health check until
/// the TCP connection attempt times out.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(2);

/// Checks the database and the queue and returns the health report: `200`
/// when healthy or degraded, `503` when the database fails.
///
/// `database` is the outcome of opening the database for this request.
pub(crate) async fn check_health(
    database: Result<&Database, &StorageError>,
    request_id: &RequestId,
) -> Response<Bytes> {
    let open_database = database.ok();
    let database = database_state(database, request_id).await;
    let queue = queue_state(request_id).await;
    let status = overall_status(database, queue);

    // Spin has no timer, so `/health` is a retry point for lead events that
    // are still pending, and it wakes the webhook worker for due retries.
    if let Some(open_database) = open_database
        && database == ServiceState::Connected
        && queue == ServiceState::Connected
    {
        publish_pending(COMPONENT, open_database, Budget::HEALTH, request_id).await;
    }

    let report = HealthReport {
        status,
        timestamp: Timestamp::now().unix_seconds(),
        // The workspace version, kept equal to `[application] version` in
        // spin.toml.
        version: env!("CARGO_PKG_VERSION").to_owned(),
        services: HealthServices { database, queue },
    };
    let code = match status {
        HealthStatus::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
        HealthStatus::Healthy | HealthStatus::Degraded => StatusCode::OK,
    };
    json_response(code, &report, request_id)
}

fn overall_status(database: ServiceState, queue: ServiceState) -> HealthStatus {
    match (database, queue) {
        (ServiceState::Connected, ServiceState::Connected | ServiceState::NotConfigured) => {
            HealthStatus::Healthy
        }
        (ServiceState::Connected, ServiceState::Disconnected) => HealthStatus::Degraded,
        (ServiceState::Disconnected | ServiceState::NotConfigured, _) => HealthStatus::Unhealthy,
    }
}

async fn database_state(
    database: Result<&Database, &StorageError>,
    request_id: &RequestId,
) -> ServiceState {
    let outcome = match database {
        Ok(database) => database.ping().await,
        Err(error) => {
            log_service_failure(COMPONENT, request_id, "database", error);
            return ServiceState::Disconnected;
        }
    };
    match outcome {
        Ok(()) => ServiceState::Connected,
        Err(error) => {
            log_service_failure(COMPONENT, request_id, "database", &error);
            ServiceState::Disconnected
        }
    }
}

async fn queue_state(request_id: &RequestId) -> ServiceState {
    let address = match variables::get(REDIS_ADDRESS_VARIABLE).await {
        Ok(address) => address,
        Err(variables::Error::Undefined(_)) => return ServiceState::NotConfigured,
        Err(error) => {
            log_service_failure(COMPONENT, request_id, "queue", &error);
            return ServiceState::Disconnected;
        }
    };
    let address = address.trim();
    if address.is_empty() {
        return ServiceState::NotConfigured;
    }

    match with_timeout(ping_redis(address), QUEUE_TIMEOUT).await {
        Some(Ok(())) => ServiceState::Connected,
        Some(Err(error)) => {
            log_service_failure(COMPONENT, request_id, "queue", &error);
            ServiceState::Disconnected
        }
        None => {
            let timeout = format!("no answer to PING within {} ms", QUEUE_TIMEOUT.as_millis());
            log_service_failure(COMPONENT, request_id, "queue", &timeout);
            ServiceState::Disconnected
        }
    }
}

async fn ping_redis(address: &str) -> Result<(), redis::Error> {
    let connection = redis::Connection::open(address).await?;
    connection.execute("PING", []).await?;
    Ok(())
}

/// Runs `future` until it finishes or `limit` passes, whichever is first.
/// On timeout it returns `None`, and dropping `future` cancels its pending
/// host call.
async fn with_timeout<F: Future>(future: F, limit: Duration) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut timer = pin!(spin_sdk::time::sleep(limit));
    poll_fn(|context| {
        if let Poll::Ready(output) = future.as_mut().poll(context) {
            return Poll::Ready(Some(output));
        }
        timer.as_mut().poll(context).map(|()| None)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_and_queue_up_is_healthy() {
        let status = overall_status(ServiceState::Connected, ServiceState::Connected);
        assert_eq!(status, HealthStatus::Healthy);
    }

    #[test]
    fn unconfigured_queue_is_healthy() {
        let status = overall_status(ServiceState::Connected, ServiceState::NotConfigured);
        assert_eq!(status, HealthStatus::Healthy);
    }

    #[test]
    fn queue_down_is_degraded() {
        let status = overall_status(ServiceState::Connected, ServiceState::Disconnected);
        assert_eq!(status, HealthStatus::Degraded);
    }

    #[test]
    fn database_down_is_unhealthy() {
        for queue in ServiceState::ALL {
            let status = overall_status(ServiceState::Disconnected, queue);
            assert_eq!(status, HealthStatus::Unhealthy, "queue {queue}");
        }
    }
}
