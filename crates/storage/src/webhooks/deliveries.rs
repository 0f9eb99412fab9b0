//! Webhook deliveries: claiming the due ones, recording attempts, listing
//! them, and spacing out the messages that wake the worker for retries.

use cloudvelous_contract::EventType;
use spin_sdk::sqlite::Value;

use crate::outbox::decode_event_type;
use crate::row::RowReader;
use crate::sql::{query, write_transaction};
use crate::{Database, StorageError};

/// Least time, in milliseconds, between two retry messages to the worker.
pub const NUDGE_INTERVAL_MS: i64 = 1_000;

/// Most deliveries, newest first, that the listing of one subscription
/// returns.
const LISTED_DELIVERIES: i64 = 100;

/// Claims up to `?4` due deliveries for the token `?1` until `?2`, at time
/// `?3` (Unix milliseconds), oldest due first.
pub(crate) const CLAIM_DELIVERIES: &str = "UPDATE webhook_deliveries \
    SET claim_token = ?1, claimed_until_ms = ?2 \
    WHERE id IN (\
        SELECT id FROM webhook_deliveries \
        WHERE state = 'pending' AND next_attempt_at_ms <= ?3 \
        AND (claimed_until_ms IS NULL OR claimed_until_ms <= ?3) \
        ORDER BY next_attempt_at_ms, created_at_ms LIMIT ?4)";

/// Reads the deliveries of claim `?1` with their subscription's target and
/// secret. Columns in the order [`decode_claimed`] reads them.
pub(crate) const SELECT_CLAIMED: &str = "SELECT \
    delivery.id, delivery.subscription_id, delivery.event_id, delivery.payload, \
    delivery.attempts, subscription.url, subscription.secret \
    FROM webhook_deliveries AS delivery \
    JOIN webhook_subscriptions AS subscription \
    ON subscription.id = delivery.subscription_id \
    WHERE delivery.claim_token = ?1 \
    ORDER BY delivery.next_attempt_at_ms, delivery.created_at_ms";

pub(crate) const INSERT_ATTEMPT: &str = "INSERT INTO webhook_attempts \
    (delivery_id, attempt, attempted_at_ms, duration_ms, status_code, error) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Stores the outcome of attempt `?3` of delivery `?1` under claim `?2`: the
/// new state `?4`, the next attempt time `?5` for a pending delivery, and the
/// completion time `?6` otherwise. A finished delivery drops its payload,
/// which holds personal data that no later attempt needs.
pub(crate) const UPDATE_DELIVERY: &str = "UPDATE webhook_deliveries SET \
    attempts = ?3, state = ?4, next_attempt_at_ms = ?5, \
    claim_token = NULL, claimed_until_ms = NULL, \
    payload = CASE WHEN ?4 = 'pending' THEN payload END, \
    completed_at_ms = CASE WHEN ?4 = 'pending' THEN NULL ELSE ?6 END \
    WHERE id = ?1 AND claim_token = ?2";

/// Finds one delivery that is due at `?1` and not claimed.
pub(crate) const SELECT_DUE: &str = "SELECT 1 FROM webhook_deliveries \
    WHERE state = 'pending' AND next_attempt_at_ms <= ?1 \
    AND (claimed_until_ms IS NULL OR claimed_until_ms <= ?1) LIMIT 1";

/// Takes the right to send a retry message at `?1` when the last one is at
/// least `?2` milliseconds old.
pub(crate) const TAKE_NUDGE: &str = "UPDATE webhook_retry_nudges SET sent_at_ms = ?1 \
    WHERE id = 1 AND sent_at_ms <= ?1 - ?2 RETURNING id";

/// The newest deliveries of subscription `?1`. Columns in the order
/// [`decode_summary`] reads them.
pub(crate) const SELECT_DELIVERIES: &str = "SELECT \
    id, event_id, event_type, state, attempts, created_at_ms, next_attempt_at_ms, completed_at_ms \
    FROM webhook_deliveries WHERE subscription_id = ?1 \
    ORDER BY created_at_ms DESC, id LIMIT ?2";

/// The attempts of the deliveries that [`SELECT_DELIVERIES`] lists.
pub(crate) const SELECT_ATTEMPTS: &str = "SELECT \
    delivery_id, attempt, attempted_at_ms, duration_ms, status_code, error \
    FROM webhook_attempts WHERE delivery_id IN (\
        SELECT id FROM webhook_deliveries WHERE subscription_id = ?1 \
        ORDER BY created_at_ms DESC, id LIMIT ?2) \
    ORDER BY delivery_id, attempt";

/// A due delivery that a worker claimed.
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    /// Identifier, `dlv_` followed by hexadecimal digits.
    pub id: String,
    /// The subscription it goes to.
    pub subscription_id: String,
    /// The event's id, sent as `webhook-id`.
    pub event_id: String,
    /// The event as compact JSON, the exact body to send.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The subscription's target URL.
    pub url: String,
    /// The subscription's signing secret.
    pub secret: String,
}

/// Prints every field but the payload, which holds personal data, and the
/// secret.
impl std::fmt::Debug for ClaimedDelivery {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ClaimedDelivery")
            .field("id", &self.id)
            .field("subscription_id", &self.subscription_id)
            .field("event_id", &self.event_id)
            .field("attempts", &self.attempts)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its first attempt or a retry.
    Pending,
    /// A target answered an attempt with a `2xx` status.
    Succeeded,
    /// Every allowed attempt failed.
    Failed,
}

impl DeliveryState {
    /// Returns the state's name: `pending`, `succeeded` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Succeeded => "succeeded",
            DeliveryState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<DeliveryState, StorageError> {
        match text {
            "pending" => Ok(DeliveryState::Pending),
            "succeeded" => Ok(DeliveryState::Succeeded),
            "failed" => Ok(DeliveryState::Failed),
            other => Err(StorageError::Decode {
                column: "state",
                problem: format!("{other:?} is not a delivery state"),
            }),
        }
    }
}

/// One attempt to send a delivery, as the worker records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The delivery.
    pub delivery_id: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// When the request was sent, in Unix milliseconds.
    pub attempted_at_ms: i64,
    /// Time until the response or the failure, in milliseconds.
    pub duration_ms: i64,
    /// The response's status code, when a response arrived.
    pub status_code: Option<u16>,
    /// What failed when no `2xx` response arrived, such as a timeout.
    pub error: Option<String>,
    /// The delivery's state after the attempt.
    pub state: DeliveryState,
    /// When a pending delivery is due again, in Unix milliseconds.
    pub next_attempt_at_ms: Option<i64>,
}

/// A recorded attempt, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// Attempt number, from 1.
    pub attempt: u32,
    /// When the request was sent, in Unix milliseconds.
    pub attempted_at_ms: i64,
    /// Time until the response or the failure, in milliseconds.
    pub duration_ms: i64,
    /// The response's status code, when a response arrived.
    pub status_code: Option<u16>,
    /// What failed, when the attempt did not succeed.
    pub error: Option<String>,
}

/// A delivery with its attempts, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverySummary {
    /// Identifier, `dlv_` followed by hexadecimal digits.
    pub id: String,
    /// The event's id.
    pub event_id: String,
    /// The event's type.
    pub event_type: EventType,
    /// Where the delivery stands.
    pub state: DeliveryState,
    /// When the delivery was created, in Unix milliseconds.
    pub created_at_ms: i64,
    /// When a pending delivery is due, in Unix milliseconds.
    pub next_attempt_at_ms: Option<i64>,
    /// When the delivery succeeded or failed for good, in Unix milliseconds.
    pub completed_at_ms: Option<i64>,
    /// Every recorded attempt, in order.
    pub attempts: Vec<DeliveryAttempt>,
}

impl Database {
    /// Claims up to `limit` deliveries that are due at `now_ms` for `token`
    /// until `now_ms + lease_ms`, and returns them, oldest due first.
    ///
    /// A delivery whose claim runs out, because its worker stopped, is due
    /// again, so the target may receive it twice. The `webhook-id` header
    /// lets the target drop the second copy.
    pub async fn claim_deliveries(
        &self,
        token: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StorageError> {
        let parameters = [
            Value::from(token),
            Value::Integer(now_ms.saturating_add(lease_ms)),
            Value::Integer(now_ms),
            Value::Integer(i64::from(limit)),
        ];
        query(&self.connection, CLAIM_DELIVERIES, parameters).await?;
        let rows = query(&self.connection, SELECT_CLAIMED, [Value::from(token)]).await?;
        rows.iter().map(|row| decode_claimed(&row.values)).collect()
    }

    /// Records attempts of deliveries claimed with `token`, and each
    /// delivery's new state, in one write transaction.
    ///
    /// The attempt is recorded even when another worker took over the claim
    /// in the meantime, because the request was sent. The delivery's state
    /// is then left to that worker.
    pub async fn record_attempts(
        &self,
        token: &str,
        records: &[AttemptRecord],
    ) -> Result<(), StorageError> {
        write_transaction(&self.connection, async |connection| {
            for record in records {
                let attempt = [
                    Value::from(record.delivery_id.as_str()),
                    Value::Integer(i64::from(record.attempt)),
                    Value::Integer(record.attempted_at_ms),
                    Value::Integer(record.duration_ms),
                    Value::from(record.status_code.map(i64::from)),
                    Value::from(record.error.as_deref()),
                ];
                query(connection, INSERT_ATTEMPT, attempt).await?;

                let completed_at = record.attempted_at_ms.saturating_add(record.duration_ms);
                let delivery = [
                    Value::from(record.delivery_id.as_str()),
                    Value::from(token),
                    Value::Integer(i64::from(record.attempt)),
                    Value::from(record.state.as_str()),
                    Value::from(record.next_attempt_at_ms),
                    Value::Integer(completed_at),
                ];
                query(connection, UPDATE_DELIVERY, delivery).await?;
            }
            Ok(())
        })
        .await
    }

    /// Checks whether a delivery is due at `now_ms` and not claimed.
    pub async fn has_due_deliveries(&self, now_ms: i64) -> Result<bool, StorageError> {
        let rows = query(&self.connection, SELECT_DUE, [Value::Integer(now_ms)]).await?;
        Ok(!rows.is_empty())
    }

    /// Takes the right to send the worker a retry message at `now_ms`, which
    /// is granted at most once per [`NUDGE_INTERVAL_MS`] across every
    /// component and request.
    pub async fn take_nudge_slot(&self, now_ms: i64) -> Result<bool, StorageError> {
        let parameters = [Value::Integer(now_ms), Value::Integer(NUDGE_INTERVAL_MS)];
        let rows = query(&self.connection, TAKE_NUDGE, parameters).await?;
        Ok(!rows.is_empty())
    }

    /// Lists the newest deliveries of the subscription `subscription_id`
    /// with their attempts, newest first.
    pub async fn list_deliveries(
        &self,
        subscription_id: &str,
    ) -> Result<Vec<DeliverySummary>, StorageError> {
        let parameters = || {
            [
                Value::from(subscription_id),
                Value::Integer(LISTED_DELIVERIES),
            ]
        };
        let rows = query(&self.connection, SELECT_DELIVERIES, parameters()).await?;
        let mut deliveries = rows
            .iter()
            .map(|row| decode_summary(&row.values))
            .collect::<Result<Vec<_>, _>>()?;

        let rows = query(&self.connection, SELECT_ATTEMPTS, parameters()).await?;
        for row in &rows {
            let (delivery_id, attempt) = decode_attempt(&row.values)?;
            if let Some(delivery) = deliveries
                .iter_mut()
                .find(|delivery| delivery.id == delivery_id)
            {
                delivery.attempts.push(attempt);
            }
        }
        Ok(deliveries)
    }
}

fn decode_claimed(values: &[Value]) -> Result<ClaimedDelivery, StorageError> {
    let mut row = RowReader::new(values);
    Ok(ClaimedDelivery {
        id: row.text("id")?.to_owned(),
        subscription_id: row.text("subscription_id")?.to_owned(),
        event_id: row.text("event_id")?.to_owned(),
        payload: row.text("payload")?.to_owned(),
        attempts: decode_count(row.integer("attempts")?, "attempts")?,
        url: row.text("url")?.to_owned(),
        secret: row.text("secret")?.to_owned(),
    })
}

fn decode_summary(values: &[Value]) -> Result<DeliverySummary, StorageError> {
    let mut row = RowReader::new(values);
    let id = row.text("id")?.to_owned();
    let event_id = row.text("event_id")?.to_owned();
    let event_type = decode_event_type(row.text("event_type")?)?;
    let state = DeliveryState::parse(row.text("state")?)?;
    // The count is read to keep the column order; the attempts themselves
    // come from `webhook_attempts`.
    decode_count(row.integer("attempts")?, "attempts")?;
    let created_at_ms = row.integer("created_at_ms")?;
    let next_attempt_at_ms = row.optional_integer("next_attempt_at_ms")?;
    let completed_at_ms = row.optional_integer("completed_at_ms")?;
    Ok(DeliverySummary {
        id,
        event_id,
        event_type,
        state,
        created_at_ms,
        next_attempt_at_ms: next_attempt_at_ms.filter(|_| state == DeliveryState::Pending),
        completed_at_ms,
        attempts: Vec::new(),
    })
}

fn decode_attempt(values: &[Value]) -> Result<(String, DeliveryAttempt), StorageError> {
    let mut row = RowReader::new(values);
    let delivery_id = row.text("delivery_id")?.to_owned();
    let attempt = DeliveryAttempt {
        attempt: decode_count(row.integer("attempt")?, "attempt")?,
        attempted_at_ms: row.integer("attempted_at_ms")?,
        duration_ms: row.integer("duration_ms")?,
        status_code: row
            .optional_integer("status_code")?
            .map(|code| {
                u16::try_from(code).map_err(|_| StorageError::Decode {
                    column: "status_code",
                    problem: format!("{code} is not an HTTP status code"),
                })
            })
            .transpose()?,
        error: row.optional_text("error")?.map(str::to_owned),
    };
    Ok((delivery_id, attempt))
}

fn decode_count(value: i64, column: &'static str) -> Result<u32, StorageError> {
    u32::try_from(value).map_err(|_| StorageError::Decode {
        column,
        problem: format!("{value} is not a count"),
    })
}

#[cfg(test)]
mod tests;
