//! Publishing the outbox: claim a batch of pending events, publish them in
//! order, delete what was published, and release the rest.

use std::time::{Duration, Instant};

use cloudvelous_domain::random_alphanumeric;
use cloudvelous_http_kit::{RequestId, log_service_failure};
use cloudvelous_storage::{ClaimOutcome, Database, StorageError};

use crate::queue::{Queue, QueueConnection, QueueError, RETRY_MESSAGE, retry_channel};

/// How long a claim keeps its events from other publishers. A batch stops
/// at the first publication that takes the queue's 2 s timeout, and in the
/// reliability runs of docs/benchmarks.md 10,000 events were published
/// within 2 seconds, so a batch normally ends long before. A publisher that
/// stops mid-batch delays its events by at most this long.
///
/// NOTE: a batch still running when its claim runs out can publish an
/// event again after another publisher has published that lead's later
/// events, which subscribers see as a repeat of an earlier id.
const CLAIM_LEASE_MS: i64 = 30_000;

/// Random letters and digits in a claim token.
const CLAIM_TOKEN_CHARS: usize = 20;

/// How much publishing one call may do: batches of `batch` events, repeated
/// while a batch comes back full and `time_limit` has not passed. The first
/// batch always runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Maximum events per claim.
    pub batch: u32,
    /// Time after which no new batch starts.
    pub time_limit: Duration,
}

impl Budget {
    /// One batch of up to 100 events, after a request's own write.
    pub const AFTER_WRITE: Budget = Budget {
        batch: 100,
        time_limit: Duration::ZERO,
    };

    /// Batches of 200 events for up to half a second, on a `/health` call,
    /// so that a monitor polling `/health` alone drains a backlog of
    /// thousands of events within seconds.
    pub const HEALTH: Budget = Budget {
        batch: 200,
        time_limit: Duration::from_millis(500),
    };

    /// Batches of 500 events for up to 10 seconds, for an explicit flush.
    pub const FLUSH: Budget = Budget {
        batch: 500,
        time_limit: Duration::from_secs(10),
    };
}

/// The outcome of one call to [`publish`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Events published to the channel.
    pub published: u64,
    /// The queue failure that stopped publishing early, if any. The events
    /// not published stay pending.
    pub failure: Option<QueueError>,
    /// Whether a retry message was sent to the webhook worker.
    pub woke_worker: bool,
}

/// Publishes pending events to `queue` within `budget`, then wakes the
/// webhook worker when deliveries are due.
///
/// The call connects to Redis only when there is something to publish, and
/// before it claims any event, so during an outage a request costs one read
/// and one failed connection attempt, and writes nothing. A queue failure
/// ends the call and is returned in the report, and the events it left stay
/// pending for a later call. A storage failure is returned as an error.
pub async fn publish(
    database: &Database,
    queue: &Queue,
    budget: Budget,
) -> Result<PublishReport, StorageError> {
    let started = Instant::now();
    let mut report = PublishReport::default();
    let mut connection = None;
    loop {
        if !database.has_claimable_events(now_ms()).await? {
            break;
        }
        let open = match connected(&mut connection, queue).await {
            Ok(open) => open,
            Err(failure) => {
                report.failure = Some(failure);
                return Ok(report);
            }
        };
        let batch = publish_batch(database, open, queue.channel(), budget.batch).await?;
        report.published += batch.published;
        if let Some(failure) = batch.failure {
            report.failure = Some(failure);
            return Ok(report);
        }
        let full = batch.claimed >= u64::from(budget.batch);
        if !full || started.elapsed() >= budget.time_limit {
            break;
        }
    }
    match wake_worker_if_due(database, queue, &mut connection).await {
        Ok(woke) => report.woke_worker = woke,
        Err(WakeError::Queue(failure)) => report.failure = Some(failure),
        Err(WakeError::Storage(error)) => return Err(error),
    }
    Ok(report)
}

/// Returns the connection in `slot`, opening it first when there is none.
async fn connected<'slot, 'queue>(
    slot: &'slot mut Option<QueueConnection<'queue>>,
    queue: &'queue Queue,
) -> Result<&'slot QueueConnection<'queue>, QueueError> {
    if slot.is_none() {
        *slot = Some(queue.connect().await?);
    }
    slot.as_ref()
        .ok_or_else(|| QueueError::new("the queue connection was not opened"))
}

/// Publishes pending events for a request of `component` within `budget`,
/// when the component's variables configure a queue. Every failure is
/// logged with the request's id and otherwise ignored, because the request's
/// own change is already committed and its event stays pending.
pub async fn publish_pending(
    component: &str,
    database: &Database,
    budget: Budget,
    request_id: &RequestId,
) {
    let queue = match Queue::from_variables().await {
        Ok(Some(queue)) => queue,
        Ok(None) => return,
        Err(error) => {
            log_service_failure(component, request_id, "queue", &error);
            return;
        }
    };
    match publish(database, &queue, budget).await {
        Ok(report) => {
            if let Some(failure) = &report.failure {
                let message = format!(
                    "publishing lead events failed after {} published; the rest stay pending: {failure}",
                    report.published
                );
                log_service_failure(component, request_id, "queue", &message);
            }
        }
        Err(error) => {
            let message = format!("publishing lead events failed: {error}");
            log_service_failure(component, request_id, "database", &message);
        }
    }
}

struct BatchOutcome {
    claimed: u64,
    published: u64,
    failure: Option<QueueError>,
}

/// Claims up to `limit` events, publishes them in order on `connection`
/// and ends the claim.
async fn publish_batch(
    database: &Database,
    connection: &QueueConnection<'_>,
    channel: &str,
    limit: u32,
) -> Result<BatchOutcome, StorageError> {
    let token = claim_token()?;
    let events = database
        .claim_events(&token, now_ms(), CLAIM_LEASE_MS, limit)
        .await?;
    if events.is_empty() {
        return Ok(BatchOutcome {
            claimed: 0,
            published: 0,
            failure: None,
        });
    }

    let mut published_through = None;
    let mut published = 0;
    let mut failure = None;
    for event in &events {
        // A lead's later event must never overtake an earlier one, so the
        // batch stops at the first failure.
        if let Err(error) = connection.publish(channel, event.payload.as_bytes()).await {
            failure = Some(error);
            break;
        }
        published_through = Some(event.sequence);
        published += 1;
    }

    let failure_text = failure.as_ref().map(ToString::to_string);
    database
        .finish_event_claim(
            &token,
            ClaimOutcome { published_through },
            failure_text.as_deref(),
        )
        .await?;
    Ok(BatchOutcome {
        claimed: events.len() as u64,
        published,
        failure,
    })
}

enum WakeError {
    Queue(QueueError),
    Storage(StorageError),
}

/// Sends the webhook worker a retry message when a delivery is due and no
/// message went out in the last second, on the connection in `slot` or a
/// new one.
async fn wake_worker_if_due<'queue>(
    database: &Database,
    queue: &'queue Queue,
    slot: &mut Option<QueueConnection<'queue>>,
) -> Result<bool, WakeError> {
    let now = now_ms();
    let due = database
        .has_due_deliveries(now)
        .await
        .map_err(WakeError::Storage)?;
    if !due {
        return Ok(false);
    }
    let granted = database
        .take_nudge_slot(now)
        .await
        .map_err(WakeError::Storage)?;
    if !granted {
        return Ok(false);
    }
    let connection = connected(slot, queue).await.map_err(WakeError::Queue)?;
    connection
        .publish(&retry_channel(queue.channel()), RETRY_MESSAGE)
        .await
        .map_err(WakeError::Queue)?;
    Ok(true)
}

fn claim_token() -> Result<String, StorageError> {
    // `getrandom::Error` implements `std::error::Error` only with its `std`
    // feature, so the cause is kept as text.
    random_alphanumeric(CLAIM_TOKEN_CHARS)
        .map(|suffix| format!("claim_{suffix}"))
        .map_err(|error| {
            StorageError::Unavailable(format!("the system's random generator failed: {error}"))
        })
}

/// Reads the wall clock in Unix milliseconds.
fn now_ms() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}
