//! Erasing a lead's personal data so that none of it stays in the database
//! files.

use cloudvelous_domain::{LeadId, Timestamp};
use spin_sdk::sqlite::{Connection, Value};

use crate::row::RowReader;
use crate::sql::{query, write_transaction};
use crate::{Database, StorageError};

/// Clears the personal fields of a live lead and marks it deleted. Status,
/// source and creation time stay, so aggregate counts stay right.
const ERASE_LEAD: &str = "UPDATE leads SET \
    name = NULL, email = NULL, email_key = NULL, phone = NULL, company = NULL, notes = NULL, \
    deleted_at = ?1, updated_at = ?1 \
    WHERE id = ?2 AND deleted_at IS NULL";

/// Drops the body digests of idempotent requests that created the lead or
/// collided with it, because a digest of a body can confirm a guess of the
/// body's personal data. The `NULL` left in place is a tombstone that
/// matches no body, so every later request with such a key is rejected
/// until the key expires.
const FORGET_IDEMPOTENT_BODIES: &str =
    "UPDATE idempotency_keys SET fingerprint = NULL WHERE lead_id = ?1";

/// Deletes the lead's events that are not yet published. A `lead.created`
/// payload contains the name and email, and once the lead is gone its other
/// events describe nothing a subscriber can read.
const DELETE_PENDING_EVENTS: &str = "DELETE FROM event_outbox WHERE lead_id = ?1";

/// Ends the lead's webhook deliveries that still hold a payload, as failed
/// for good, and drops the payload. Deliveries name the event rather than
/// the lead, so the lead id is read from the payload, where every event has
/// it under `data.lead_id`. `?2` is the time in Unix milliseconds.
const CANCEL_PENDING_DELIVERIES: &str = "UPDATE webhook_deliveries SET \
    payload = NULL, state = 'failed', next_attempt_at_ms = NULL, \
    claim_token = NULL, claimed_until_ms = NULL, completed_at_ms = ?2 \
    WHERE payload IS NOT NULL AND json_extract(payload, '$.data.lead_id') = ?1";

/// Makes SQLite overwrite freed page space and freed pages with zeros on
/// this connection, so that old row versions do not survive in free space.
const SECURE_DELETE_ON: &str = "PRAGMA secure_delete = ON";

/// Copies every WAL frame into the database file and truncates the WAL file
/// to zero bytes, removing old page versions from it. It returns one row:
/// `busy` (1 when readers kept it from finishing), the WAL size in frames,
/// and the frames checkpointed.
const CHECKPOINT_TRUNCATE: &str = "PRAGMA wal_checkpoint(TRUNCATE)";

/// The outcome of [`Database::erase_lead`].
#[derive(Debug)]
pub enum LeadErasure {
    /// No live lead has the id.
    NotFound,
    /// The personal data is erased from every table and committed.
    /// `checkpoint` is the error of the WAL checkpoint that follows. When it
    /// failed, old page versions stay in the WAL file until a later
    /// checkpoint overwrites or truncates them.
    Erased {
        /// Outcome of the WAL checkpoint after the commit.
        checkpoint: Result<(), StorageError>,
    },
}

impl Database {
    /// Erases the personal data of the live lead `id` at time `now`.
    ///
    /// The erasure runs with `secure_delete` on, in one write transaction,
    /// and a `TRUNCATE` checkpoint follows the commit. So once it returns
    /// [`LeadErasure::Erased`] with a successful checkpoint, neither the
    /// database file nor its WAL file contains the erased values.
    pub async fn erase_lead(
        &self,
        id: &LeadId,
        now: Timestamp,
    ) -> Result<LeadErasure, StorageError> {
        query(&self.connection, SECURE_DELETE_ON, []).await?;

        let erased = write_transaction(&self.connection, async |connection| {
            erase_personal_data(connection, id, now).await
        })
        .await?;
        if !erased {
            return Ok(LeadErasure::NotFound);
        }

        let checkpoint = checkpoint_wal(&self.connection).await;
        Ok(LeadErasure::Erased { checkpoint })
    }
}

/// Erases lead `id`'s personal data from every table that stores it, and
/// returns whether a live lead had that id.
///
/// This is the one place that lists where personal data of a lead is kept.
/// A new table that stores any of it gets its statement here.
async fn erase_personal_data(
    connection: &Connection,
    id: &LeadId,
    now: Timestamp,
) -> Result<bool, StorageError> {
    let id = Value::from(id.as_str());
    query(
        connection,
        ERASE_LEAD,
        [Value::Integer(now.unix_seconds()), id.clone()],
    )
    .await?;
    if connection.changes().await == 0 {
        return Ok(false);
    }

    query(connection, FORGET_IDEMPOTENT_BODIES, [id.clone()]).await?;
    query(connection, DELETE_PENDING_EVENTS, [id.clone()]).await?;
    let now_ms = Value::Integer(now.unix_seconds().saturating_mul(1000));
    query(connection, CANCEL_PENDING_DELIVERIES, [id, now_ms]).await?;
    Ok(true)
}

/// Runs a `TRUNCATE` checkpoint. SQLite waits up to the busy timeout for
/// readers of old frames, and reports `busy` when they outlast it.
async fn checkpoint_wal(connection: &Connection) -> Result<(), StorageError> {
    let rows = query(connection, CHECKPOINT_TRUNCATE, []).await?;
    let values = rows.first().map_or(&[][..], |row| row.values.as_slice());
    let busy = RowReader::new(values).integer("busy")?;
    if busy != 0 {
        return Err(StorageError::Unavailable(
            "the WAL checkpoint after an erasure was blocked by readers".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
