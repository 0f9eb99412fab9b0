//! Lead updates: new values for a live lead's editable fields and status,
//! written in one transaction.

use cloudvelous_contract::{Lead, LeadStatus};
use cloudvelous_domain::{LeadId, LeadPatch, Timestamp};
use spin_sdk::sqlite::{Connection, Value};

use crate::lead_status::{StatusChange, StatusChangeOutcome, change_status_in_transaction};
use crate::leads::is_email_key_clash;
use crate::row::RowReader;
use crate::sql::{query, write_transaction};
use crate::{Database, StorageError};

/// Sets `updated_at` of the live lead `?1` to `?13` and each field whose
/// flag is 1 to its value: `name` (`?2`, `?3`), `email` and `email_key`
/// (`?4`, `?5`, `?6`), `phone` (`?7`, `?8`), `company` (`?9`, `?10`) and
/// `notes` (`?11`, `?12`). Returns the lead's id, or no row when no live
/// lead has it.
///
/// The unique index `leads_live_email_key` rejects a new email key that
/// another live lead has inside the statement itself, so two concurrent
/// updates cannot give two leads the same key.
const UPDATE_LEAD_FIELDS: &str = "UPDATE leads SET \
    name = CASE WHEN ?2 THEN ?3 ELSE name END, \
    email = CASE WHEN ?4 THEN ?5 ELSE email END, \
    email_key = CASE WHEN ?4 THEN ?6 ELSE email_key END, \
    phone = CASE WHEN ?7 THEN ?8 ELSE phone END, \
    company = CASE WHEN ?9 THEN ?10 ELSE company END, \
    notes = CASE WHEN ?11 THEN ?12 ELSE notes END, \
    updated_at = ?13 \
    WHERE id = ?1 AND deleted_at IS NULL \
    RETURNING id";

/// Finds the live lead other than `?2` whose email key is `?1`.
const SELECT_OTHER_LEAD_BY_EMAIL_KEY: &str =
    "SELECT id FROM leads WHERE email_key = ?1 AND deleted_at IS NULL AND id <> ?2";

/// The outcome of [`Database::update_lead`].
#[derive(Clone, Debug, PartialEq)]
pub enum LeadUpdate {
    /// The update is committed.
    Updated {
        /// The lead as stored after the update.
        lead: Lead,
        /// The lead's status before and after, when the update named a
        /// status. Both are the same when it named the current status.
        status_change: Option<StatusChange>,
    },
    /// The transition rule rejected the new status, and nothing was
    /// written.
    StatusRejected {
        /// The lead's status, which stays as it is.
        current: LeadStatus,
    },
    /// No live lead has the id.
    NotFound,
}

impl Database {
    /// Applies `patch` to the live lead `id` at `at` and returns the
    /// stored lead.
    ///
    /// A new status goes through the same steps as
    /// [`Database::change_lead_status`]: `is_allowed(old, new)` decides
    /// whether the lead may move, the lead moves between daily counts, and
    /// a change to another status stores a `lead.status_updated` event
    /// naming `updated_by`. A new email also replaces the lead's comparison
    /// key. `updated_at` becomes `at`, even when no value changes.
    ///
    /// Everything runs in one `BEGIN IMMEDIATE` transaction that also reads
    /// the result, so a rejected status or a clashing email leaves the lead,
    /// its counts and the outbox as they were.
    ///
    /// # Errors
    ///
    /// A new email whose comparison key another live lead has is a
    /// [`StorageError::DuplicateEmail`] naming that lead.
    pub async fn update_lead(
        &self,
        id: &LeadId,
        patch: &LeadPatch,
        at: Timestamp,
        updated_by: &str,
        is_allowed: impl FnOnce(LeadStatus, LeadStatus) -> bool,
    ) -> Result<LeadUpdate, StorageError> {
        write_transaction(&self.connection, async |connection| {
            let status_change = match patch.status {
                None => None,
                Some(status) => {
                    let outcome = change_status_in_transaction(
                        connection, id, status, at, updated_by, is_allowed,
                    )
                    .await?;
                    match outcome {
                        StatusChangeOutcome::Changed(change) => Some(change),
                        StatusChangeOutcome::Rejected { current } => {
                            return Ok(LeadUpdate::StatusRejected { current });
                        }
                        StatusChangeOutcome::NotFound => return Ok(LeadUpdate::NotFound),
                    }
                }
            };

            if !update_fields(connection, id, patch, at).await? {
                return Ok(LeadUpdate::NotFound);
            }
            // The transaction holds the write lock, so the lead read here
            // is the one this update wrote.
            let lead = self.find_lead_by_id(id).await?.ok_or_else(|| {
                StorageError::Statement(format!(
                    "lead {id} was not found right after its update in the same transaction"
                ))
            })?;
            Ok(LeadUpdate::Updated {
                lead,
                status_change,
            })
        })
        .await
    }
}

/// Runs [`UPDATE_LEAD_FIELDS`] inside the caller's write transaction and
/// returns whether a live lead has `id`.
async fn update_fields(
    connection: &Connection,
    id: &LeadId,
    patch: &LeadPatch,
    at: Timestamp,
) -> Result<bool, StorageError> {
    let parameters = update_parameters(id, patch, at);
    match query(connection, UPDATE_LEAD_FIELDS, parameters).await {
        Ok(rows) => Ok(!rows.is_empty()),
        Err(error) if is_email_key_clash(&error) => Err(duplicate_of(connection, id, patch).await),
        Err(error) => Err(error),
    }
}

/// Builds the error for an update of lead `id` whose new email key another
/// live lead has. It reads that lead inside the same transaction, because
/// only the failed statement was undone and the write lock is still held.
async fn duplicate_of(connection: &Connection, id: &LeadId, patch: &LeadPatch) -> StorageError {
    let Some(email) = &patch.email else {
        return StorageError::Statement(format!(
            "the update of lead {id} broke the email key index without a new email"
        ));
    };
    let parameters = [
        Value::Text(email.comparison_key()),
        Value::from(id.as_str()),
    ];
    let rows = match query(connection, SELECT_OTHER_LEAD_BY_EMAIL_KEY, parameters).await {
        Ok(rows) => rows,
        Err(error) => return error,
    };
    let Some(row) = rows.first() else {
        return StorageError::Statement(format!(
            "the update of lead {id} broke the email key index, but no other live lead has the key"
        ));
    };
    match RowReader::new(&row.values).text("id") {
        Ok(existing) => StorageError::DuplicateEmail {
            existing_lead_id: existing.to_owned(),
        },
        Err(error) => error,
    }
}

/// Parameters of [`UPDATE_LEAD_FIELDS`] for `patch`. Each field gets a flag
/// (1 to set it, 0 to keep it) and its new value, `NULL` for a field that
/// is kept or cleared.
fn update_parameters(id: &LeadId, patch: &LeadPatch, at: Timestamp) -> Vec<Value> {
    let name = patch.name.as_ref().map(|name| name.as_str());
    let email = patch.email.as_ref();
    let phone = patch
        .phone
        .as_ref()
        .map(|phone| phone.as_ref().map(|phone| phone.as_str()));
    let company = patch
        .company
        .as_ref()
        .map(|company| company.as_ref().map(|company| company.as_str()));
    let notes = patch
        .notes
        .as_ref()
        .map(|notes| notes.as_ref().map(|notes| notes.as_str()));

    vec![
        Value::from(id.as_str()),
        flag(name.is_some()),
        Value::from(name),
        flag(email.is_some()),
        Value::from(email.map(|email| email.as_str())),
        Value::from(email.map(|email| email.comparison_key())),
        flag(phone.is_some()),
        Value::from(phone.flatten()),
        flag(company.is_some()),
        Value::from(company.flatten()),
        flag(notes.is_some()),
        Value::from(notes.flatten()),
        Value::Integer(at.unix_seconds()),
    ]
}

fn flag(set: bool) -> Value {
    Value::Integer(i64::from(set))
}

#[cfg(test)]
mod tests;
