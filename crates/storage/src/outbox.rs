//! The outbox of lead events.
//!
//! A change that emits an event stores it with [`enqueue`] inside the
//! change's own write transaction, so an event exists exactly when its
//! change was committed. Publishers then claim a batch of pending events,
//! publish them to the event channel and delete the ones they published.
//! Only pending events stay in the table.
//!
//! A lead's events are published in the order they were stored: a claim
//! skips every event that has an earlier event of the same lead claimed by
//! another publisher, and a publisher stops at its first failure.

use cloudvelous_contract::{
    EventType, LeadCreatedData, LeadCreatedEvent, LeadEvent, LeadStatusUpdatedData,
    LeadStatusUpdatedEvent,
};
use cloudvelous_domain::{LeadId, NewLead, Timestamp, random_alphanumeric};
use spin_sdk::sqlite::{Connection, Value};

use crate::lead_status::StatusChange;
use crate::row::RowReader;
use crate::sql::{query, write_transaction};
use crate::webhooks::create_deliveries;
use crate::{Database, StorageError};

/// Prefix of event ids.
pub const EVENT_ID_PREFIX: &str = "evt_";

/// Random letters and digits after [`EVENT_ID_PREFIX`].
const EVENT_ID_RANDOM_CHARS: usize = 24;

pub(crate) const INSERT_EVENT: &str = "INSERT INTO event_outbox \
    (id, lead_id, event_type, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Finds one event that a publisher at `?1` (Unix milliseconds) may claim.
pub(crate) const SELECT_CLAIMABLE: &str = "SELECT 1 FROM event_outbox \
    WHERE claimed_until_ms IS NULL OR claimed_until_ms <= ?1 LIMIT 1";

/// Claims up to `?4` events for the token `?1` until `?2`, at time `?3`.
///
/// An event is claimable when no live claim covers it or an earlier event
/// of its lead. The subquery takes events in
/// sequence order, so a lead's earlier unclaimed event always enters the
/// batch before its later ones.
pub(crate) const CLAIM_EVENTS: &str = "UPDATE event_outbox \
    SET claim_token = ?1, claimed_until_ms = ?2 \
    WHERE sequence IN (\
        SELECT pending.sequence FROM event_outbox AS pending \
        WHERE (pending.claimed_until_ms IS NULL OR pending.claimed_until_ms <= ?3) \
        AND NOT EXISTS (\
            SELECT 1 FROM event_outbox AS earlier \
            WHERE earlier.lead_id = pending.lead_id \
            AND earlier.sequence < pending.sequence \
            AND earlier.claimed_until_ms > ?3) \
        ORDER BY pending.sequence LIMIT ?4) \
    RETURNING sequence, id, lead_id, payload";

/// Deletes the events of claim `?1` up to sequence `?2`, the ones its
/// publisher published.
pub(crate) const DELETE_PUBLISHED: &str =
    "DELETE FROM event_outbox WHERE claim_token = ?1 AND sequence <= ?2";

/// Releases the rest of claim `?1` after a failed publication, recording
/// the error `?2`.
pub(crate) const RELEASE_CLAIM: &str = "UPDATE event_outbox \
    SET claim_token = NULL, claimed_until_ms = NULL, \
    attempts = attempts + 1, last_error = ?2 \
    WHERE claim_token = ?1";

pub(crate) const COUNT_PENDING: &str = "SELECT COUNT(*) FROM event_outbox";

/// An event waiting in the outbox, as a publisher claimed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEvent {
    /// Position in the outbox. Events are published in this order.
    pub sequence: i64,
    /// The event's id, `evt_` and letters and digits.
    pub id: String,
    /// The lead the event is about.
    pub lead_id: String,
    /// The event as compact JSON, the exact bytes to publish.
    pub payload: String,
}

/// The part of a claimed batch that its publisher published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimOutcome {
    /// The last sequence number it published, or `None` when it published
    /// none of the batch.
    pub published_through: Option<i64>,
}

/// Stores `event` in the outbox and creates its webhook deliveries, inside
/// the caller's write transaction.
pub(crate) async fn enqueue(
    connection: &Connection,
    event: &LeadEvent,
) -> Result<(), StorageError> {
    let payload = serialise(event)?;
    let lead_id = match event {
        LeadEvent::Created(created) => created.data.lead_id.as_str(),
        LeadEvent::StatusUpdated(updated) => updated.data.lead_id.as_str(),
    };
    let parameters = [
        Value::from(event.id()),
        Value::from(lead_id),
        Value::from(event.event_type().as_str()),
        Value::from(payload.as_str()),
        Value::Integer(event.timestamp()),
    ];
    query(connection, INSERT_EVENT, parameters).await?;
    create_deliveries(connection, event.id(), event.event_type(), &payload).await
}

/// A `lead.created` event ready for the outbox.
pub(crate) struct CreatedEvent {
    /// The event's id.
    pub id: String,
    /// The event as compact JSON, the exact bytes to publish.
    pub payload: String,
}

/// Builds the `lead.created` event of the lead `id`, created at
/// `created_at`. The lead's insert stores it.
pub(crate) fn lead_created_event(
    id: &LeadId,
    lead: &NewLead,
    created_at: Timestamp,
) -> Result<CreatedEvent, StorageError> {
    let event = LeadEvent::Created(LeadCreatedEvent {
        id: generate_event_id()?,
        timestamp: created_at.unix_seconds(),
        data: LeadCreatedData {
            lead_id: id.as_str().to_owned(),
            name: lead.name.as_str().to_owned(),
            email: lead.email.as_str().to_owned(),
            source: lead.source,
        },
    });
    let payload = serialise(&event)?;
    Ok(CreatedEvent {
        id: event.id().to_owned(),
        payload,
    })
}

/// Stores the `lead.status_updated` event of a status change of the lead
/// `id` made by `updated_by` at `at`, inside the caller's write
/// transaction.
pub(crate) async fn enqueue_status_updated(
    connection: &Connection,
    id: &LeadId,
    change: StatusChange,
    updated_by: &str,
    at: Timestamp,
) -> Result<(), StorageError> {
    let event = LeadEvent::StatusUpdated(LeadStatusUpdatedEvent {
        id: generate_event_id()?,
        timestamp: at.unix_seconds(),
        data: LeadStatusUpdatedData {
            lead_id: id.as_str().to_owned(),
            old_status: change.old_status,
            new_status: change.new_status,
            updated_by: updated_by.to_owned(),
        },
    });
    enqueue(connection, &event).await
}

/// Serialises `event` as compact JSON in the contract's field order.
fn serialise(event: &LeadEvent) -> Result<String, StorageError> {
    event.to_json().map_err(|error| {
        StorageError::Statement(format!("serialising event {} failed: {error}", event.id()))
    })
}

/// Generates an event id: `evt_` and 24 random letters and digits.
fn generate_event_id() -> Result<String, StorageError> {
    // `getrandom::Error` implements `std::error::Error` only with its `std`
    // feature, so the cause is kept as text.
    let suffix = random_alphanumeric(EVENT_ID_RANDOM_CHARS).map_err(|error| {
        StorageError::Unavailable(format!("the system's random generator failed: {error}"))
    })?;
    Ok(format!("{EVENT_ID_PREFIX}{suffix}"))
}

impl Database {
    /// Checks whether a publisher at `now_ms` (Unix milliseconds) would find
    /// an event to claim. It is a read, so a publisher calls it first to
    /// spare the write lock when nothing is pending.
    pub async fn has_claimable_events(&self, now_ms: i64) -> Result<bool, StorageError> {
        let rows = query(&self.connection, SELECT_CLAIMABLE, [Value::Integer(now_ms)]).await?;
        Ok(!rows.is_empty())
    }

    /// Claims up to `limit` pending events for `token` until
    /// `now_ms + lease_ms`, and returns them in publication order.
    ///
    /// The claim is one `UPDATE` statement, so it is atomic. A claim whose
    /// lease runs out, because its publisher stopped, can be taken by the
    /// next publisher, which publishes those events again.
    pub async fn claim_events(
        &self,
        token: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<PendingEvent>, StorageError> {
        let parameters = [
            Value::from(token),
            Value::Integer(now_ms.saturating_add(lease_ms)),
            Value::Integer(now_ms),
            Value::Integer(i64::from(limit)),
        ];
        let rows = query(&self.connection, CLAIM_EVENTS, parameters).await?;
        let mut events = rows
            .iter()
            .map(|row| decode_pending_event(&row.values))
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives rows in no particular order.
        events.sort_by_key(|event| event.sequence);
        Ok(events)
    }

    /// Ends the claim `token`: deletes the events it published and releases
    /// the rest with `failure` as their last error.
    ///
    /// Both steps run in one write transaction. An event whose claim another
    /// publisher took over in the meantime is left to that publisher.
    pub async fn finish_event_claim(
        &self,
        token: &str,
        outcome: ClaimOutcome,
        failure: Option<&str>,
    ) -> Result<(), StorageError> {
        write_transaction(&self.connection, async |connection| {
            if let Some(through) = outcome.published_through {
                let parameters = [Value::from(token), Value::Integer(through)];
                query(connection, DELETE_PUBLISHED, parameters).await?;
            }
            let parameters = [Value::from(token), Value::from(failure)];
            query(connection, RELEASE_CLAIM, parameters).await?;
            Ok(())
        })
        .await
    }

    /// Counts the events that wait to be published.
    pub async fn count_pending_events(&self) -> Result<u64, StorageError> {
        let rows = query(&self.connection, COUNT_PENDING, []).await?;
        let values = rows.first().map_or(&[][..], |row| row.values.as_slice());
        let count = RowReader::new(values).integer("COUNT(*)")?;
        u64::try_from(count).map_err(|_| StorageError::Decode {
            column: "COUNT(*)",
            problem: format!("{count} is not a count"),
        })
    }
}

fn decode_pending_event(values: &[Value]) -> Result<PendingEvent, StorageError> {
    let mut row = RowReader::new(values);
    Ok(PendingEvent {
        sequence: row.integer("sequence")?,
        id: row.text("id")?.to_owned(),
        lead_id: row.text("lead_id")?.to_owned(),
        payload: row.text("payload")?.to_owned(),
    })
}

/// Returns the event type that an outbox row names.
pub(crate) fn decode_event_type(text: &str) -> Result<EventType, StorageError> {
    EventType::parse(text).ok_or_else(|| StorageError::Decode {
        column: "event_type",
        problem: format!("{text:?} is not an event type"),
    })
}

#[cfg(test)]
mod tests;
