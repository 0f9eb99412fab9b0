//! Handler for `POST /api/admin/outbox/flush`: publishes the lead events
//! that are still pending, for operators who do not want to wait for the
//! next write or `/health` call.

use bytes::Bytes;
use cloudvelous_events::{Budget, Queue, publish};
use cloudvelous_http_kit::{ApiError, RequestId, json_response, log_service_failure};
use cloudvelous_storage::{Database, storage_failure};
use http::{Response, StatusCode};
use serde::Serialize;

use crate::COMPONENT;

/// The `200` body: what the flush published and what is still pending.
#[derive(Serialize)]
struct FlushSummary {
    published: u64,
    pending: u64,
}

/// Publishes pending events for up to 10 seconds and returns `200` with the
/// number published and the number still pending. Events stored while the
/// flush runs may still be pending.
///
/// Without a configured queue, or when the queue fails, it is `503`: the
/// events stay pending and the cause goes to the log.
pub(crate) async fn flush_outbox(
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let queue = match Queue::from_variables().await {
        Ok(Some(queue)) => queue,
        Ok(None) => {
            return Err(ApiError::ServiceUnavailable(
                "No event queue is configured. Set the redis_address variable".to_owned(),
            ));
        }
        Err(error) => return Err(ApiError::Internal(anyhow::Error::new(error))),
    };
    let report = publish(database, &queue, Budget::FLUSH)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    let pending = database
        .count_pending_events()
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;

    if let Some(failure) = report.failure {
        log_service_failure(COMPONENT, request_id, "queue", &failure);
        return Err(ApiError::ServiceUnavailable(format!(
            "Publishing to the event queue failed after {} events; {pending} stay pending. Retry later",
            report.published
        )));
    }
    let summary = FlushSummary {
        published: report.published,
        pending,
    };
    Ok(json_response(StatusCode::OK, &summary, request_id))
}
