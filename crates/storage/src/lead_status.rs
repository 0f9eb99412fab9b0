//! Lead status changes, the only writes to `leads.status` after a lead is
//! created, each moving the lead between daily counts in the same
//! transaction.

use cloudvelous_contract::{LeadSource, LeadStatus};
use cloudvelous_domain::{LeadId, Timestamp};
use spin_sdk::sqlite::{Connection, Value};

use crate::analytics::{decode_source, decode_status, move_between_daily_counts, unix_day};
use crate::outbox;
use crate::row::RowReader;
use crate::sql::{query, write_transaction};
use crate::{Database, StorageError};

/// Reads what a status change needs of a live lead.
const SELECT_LEAD_FOR_STATUS_CHANGE: &str =
    "SELECT source, status, created_at FROM leads WHERE id = ?1 AND deleted_at IS NULL";

const UPDATE_LEAD_STATUS: &str =
    "UPDATE leads SET status = ?2, updated_at = ?3 WHERE id = ?1 AND deleted_at IS NULL";

/// The status of a lead before and after a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The status the lead had.
    pub old_status: LeadStatus,
    /// The status the lead has now.
    pub new_status: LeadStatus,
}

/// The outcome of [`Database::change_lead_status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusChangeOutcome {
    /// The lead has the new status.
    Changed(StatusChange),
    /// The transition rule rejected the move, and nothing was written.
    Rejected {
        /// The lead's status, which stays as it is.
        current: LeadStatus,
    },
    /// No live lead has the id.
    NotFound,
}

/// The fields of a lead that a status change reads before writing.
struct LeadForStatusChange {
    source: LeadSource,
    status: LeadStatus,
    created_at: Timestamp,
}

impl Database {
    /// Sets the status of the live lead `id` to `new_status` and its
    /// `updated_at` to `at`, and moves the lead from the daily count of its
    /// old status to that of the new one.
    ///
    /// `is_allowed(old, new)` decides whether the lead may move from its
    /// current status. It runs inside the transaction, so the status it
    /// receives is the one that gets replaced. Setting the status a lead
    /// already has updates `updated_at` and leaves the counts alone, if
    /// `is_allowed` accepts it.
    ///
    /// A change to another status stores a `lead.status_updated` event
    /// naming `updated_by` (a JWT subject, an API key id or `bootstrap`) in
    /// the outbox.
    ///
    /// The read, the update, the count changes and the event run in one
    /// `BEGIN IMMEDIATE` transaction, so concurrent changes of the same lead
    /// apply one after the other and neither the counts nor the events can
    /// drift from the leads.
    pub async fn change_lead_status(
        &self,
        id: &LeadId,
        new_status: LeadStatus,
        at: Timestamp,
        updated_by: &str,
        is_allowed: impl FnOnce(LeadStatus, LeadStatus) -> bool,
    ) -> Result<StatusChangeOutcome, StorageError> {
        write_transaction(&self.connection, async move |connection| {
            change_status_in_transaction(connection, id, new_status, at, updated_by, is_allowed)
                .await
        })
        .await
    }
}

/// Does the work of [`Database::change_lead_status`] inside a write
/// transaction that the caller opened, for storage functions that change a
/// lead's status together with other writes.
pub(crate) async fn change_status_in_transaction(
    connection: &Connection,
    id: &LeadId,
    new_status: LeadStatus,
    at: Timestamp,
    updated_by: &str,
    is_allowed: impl FnOnce(LeadStatus, LeadStatus) -> bool,
) -> Result<StatusChangeOutcome, StorageError> {
    let Some(lead) = find_lead_for_status_change(connection, id).await? else {
        return Ok(StatusChangeOutcome::NotFound);
    };
    if !is_allowed(lead.status, new_status) {
        return Ok(StatusChangeOutcome::Rejected {
            current: lead.status,
        });
    }

    let parameters = [
        Value::from(id.as_str()),
        Value::from(new_status.as_str()),
        Value::Integer(at.unix_seconds()),
    ];
    query(connection, UPDATE_LEAD_STATUS, parameters).await?;

    let day = unix_day(lead.created_at);
    move_between_daily_counts(connection, day, lead.source, lead.status, new_status).await?;

    let change = StatusChange {
        old_status: lead.status,
        new_status,
    };
    if change.old_status != change.new_status {
        outbox::enqueue_status_updated(connection, id, change, updated_by, at).await?;
    }
    Ok(StatusChangeOutcome::Changed(change))
}

async fn find_lead_for_status_change(
    connection: &Connection,
    id: &LeadId,
) -> Result<Option<LeadForStatusChange>, StorageError> {
    let parameters = [Value::from(id.as_str())];
    let rows = query(connection, SELECT_LEAD_FOR_STATUS_CHANGE, parameters).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let mut row = RowReader::new(&row.values);
    Ok(Some(LeadForStatusChange {
        source: decode_source(row.text("source")?)?,
        status: decode_status(row.text("status")?)?,
        created_at: Timestamp::from_unix_seconds(row.integer("created_at")?),
    }))
}

#[cfg(test)]
mod tests;
