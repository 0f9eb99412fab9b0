//! Webhook subscriptions and their deliveries.
//!
//! Storing a lead event creates one pending delivery per subscription whose
//! event types include the event's, in the same transaction, so a
//! subscription misses no event even while the worker is not running. The
//! worker claims due deliveries, sends them and records every attempt. A
//! failed delivery gets a later `next_attempt_at_ms` until it succeeds or
//! runs out of attempts.

use cloudvelous_contract::EventType;
use cloudvelous_domain::Timestamp;
use spin_sdk::sqlite::{Connection, Value};

use crate::row::RowReader;
use crate::sql::{query, write_transaction};
use crate::{Database, StorageError};

mod deliveries;

pub use deliveries::{
    AttemptRecord, ClaimedDelivery, DeliveryAttempt, DeliveryState, DeliverySummary,
    NUDGE_INTERVAL_MS,
};

pub(crate) const INSERT_SUBSCRIPTION: &str = "INSERT INTO webhook_subscriptions \
    (id, url, event_types, secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Columns in the order [`decode_subscription`] reads them.
pub(crate) const SELECT_SUBSCRIPTIONS: &str = "SELECT id, url, event_types, created_at \
    FROM webhook_subscriptions ORDER BY created_at, id";

pub(crate) const SELECT_SUBSCRIPTION_BY_ID: &str = "SELECT id, url, event_types, created_at \
    FROM webhook_subscriptions WHERE id = ?1";

pub(crate) const DELETE_SUBSCRIPTION: &str =
    "DELETE FROM webhook_subscriptions WHERE id = ?1 RETURNING id";

pub(crate) const DELETE_SUBSCRIPTION_ATTEMPTS: &str = "DELETE FROM webhook_attempts \
    WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = ?1)";

pub(crate) const DELETE_SUBSCRIPTION_DELIVERIES: &str =
    "DELETE FROM webhook_deliveries WHERE subscription_id = ?1";

/// Creates a due delivery of event `?1` (type `?2`, JSON `?3`, stored at
/// `?4` Unix milliseconds) for every subscription to its type.
/// `event_types` separates names with single spaces, so padding both sides
/// with a space matches whole names only. `next_attempt_at_ms` is 0, which
/// makes a new delivery due whatever the worker's clock reads.
pub(crate) const INSERT_DELIVERIES: &str = "INSERT INTO webhook_deliveries \
    (id, subscription_id, event_id, event_type, payload, state, attempts, \
     next_attempt_at_ms, created_at_ms) \
    SELECT 'dlv_' || lower(hex(randomblob(12))), id, ?1, ?2, ?3, 'pending', 0, 0, ?4 \
    FROM webhook_subscriptions \
    WHERE instr(' ' || event_types || ' ', ' ' || ?2 || ' ') > 0";

/// A subscription to store.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSubscription {
    /// Identifier, `whk_` followed by letters and digits.
    pub id: String,
    /// Target URL, `http` or `https`.
    pub url: String,
    /// Event types delivered to the target, without repeats.
    pub event_types: Vec<EventType>,
    /// Signing secret, `whsec_` and the base64 of the key bytes.
    pub secret: String,
    /// Creation time.
    pub created_at: Timestamp,
}

/// Prints every field but the secret.
impl std::fmt::Debug for NewSubscription {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("NewSubscription")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("event_types", &self.event_types)
            .field("secret", &"[redacted]")
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A stored subscription, without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSubscription {
    /// Identifier, `whk_` followed by letters and digits.
    pub id: String,
    /// Target URL.
    pub url: String,
    /// Event types delivered to the target.
    pub event_types: Vec<EventType>,
    /// Creation time.
    pub created_at: Timestamp,
}

impl Database {
    /// Inserts a webhook subscription. An `id` that exists is a
    /// [`StorageError::Conflict`].
    pub async fn insert_subscription(
        &self,
        subscription: &NewSubscription,
    ) -> Result<StoredSubscription, StorageError> {
        let parameters = [
            Value::from(subscription.id.as_str()),
            Value::from(subscription.url.as_str()),
            Value::from(join_event_types(&subscription.event_types)),
            Value::from(subscription.secret.as_str()),
            Value::Integer(subscription.created_at.unix_seconds()),
        ];
        query(&self.connection, INSERT_SUBSCRIPTION, parameters).await?;
        Ok(StoredSubscription {
            id: subscription.id.clone(),
            url: subscription.url.clone(),
            event_types: subscription.event_types.clone(),
            created_at: subscription.created_at,
        })
    }

    /// Lists every subscription, oldest first.
    pub async fn list_subscriptions(&self) -> Result<Vec<StoredSubscription>, StorageError> {
        let rows = query(&self.connection, SELECT_SUBSCRIPTIONS, []).await?;
        rows.iter()
            .map(|row| decode_subscription(&row.values))
            .collect()
    }

    /// Finds the subscription `id`.
    pub async fn find_subscription(
        &self,
        id: &str,
    ) -> Result<Option<StoredSubscription>, StorageError> {
        let rows = query(
            &self.connection,
            SELECT_SUBSCRIPTION_BY_ID,
            [Value::from(id)],
        )
        .await?;
        rows.first()
            .map(|row| decode_subscription(&row.values))
            .transpose()
    }

    /// Deletes the subscription `id` with its deliveries and their attempts,
    /// in one write transaction. Returns `false` when no subscription has
    /// the id.
    pub async fn delete_subscription(&self, id: &str) -> Result<bool, StorageError> {
        write_transaction(&self.connection, async |connection| {
            query(connection, DELETE_SUBSCRIPTION_ATTEMPTS, [Value::from(id)]).await?;
            query(
                connection,
                DELETE_SUBSCRIPTION_DELIVERIES,
                [Value::from(id)],
            )
            .await?;
            let deleted = query(connection, DELETE_SUBSCRIPTION, [Value::from(id)]).await?;
            Ok(!deleted.is_empty())
        })
        .await
    }
}

/// Creates the pending deliveries of an event inside the caller's write
/// transaction, one per subscription to `event_type`.
pub(crate) async fn create_deliveries(
    connection: &Connection,
    event_id: &str,
    event_type: EventType,
    payload: &str,
) -> Result<(), StorageError> {
    let parameters = [
        Value::from(event_id),
        Value::from(event_type.as_str()),
        Value::from(payload),
        Value::Integer(now_ms()),
    ];
    query(connection, INSERT_DELIVERIES, parameters).await?;
    Ok(())
}

/// Reads the wall clock in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}

/// Joins event type names with single spaces, the stored form.
pub(crate) fn join_event_types(event_types: &[EventType]) -> String {
    event_types
        .iter()
        .map(|event_type| event_type.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn split_event_types(text: &str) -> Result<Vec<EventType>, StorageError> {
    text.split(' ')
        .map(|name| {
            EventType::parse(name).ok_or_else(|| StorageError::Decode {
                column: "event_types",
                problem: format!("{name:?} is not an event type"),
            })
        })
        .collect()
}

fn decode_subscription(values: &[Value]) -> Result<StoredSubscription, StorageError> {
    let mut row = RowReader::new(values);
    Ok(StoredSubscription {
        id: row.text("id")?.to_owned(),
        url: row.text("url")?.to_owned(),
        event_types: split_event_types(row.text("event_types")?)?,
        created_at: Timestamp::from_unix_seconds(row.integer("created_at")?),
    })
}

#[cfg(test)]
mod tests;
