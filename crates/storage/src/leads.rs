//! Lead rows: inserting new leads and reading them back.

use cloudvelous_contract::{Lead, LeadSource, LeadStatus};
use cloudvelous_domain::{LeadId, NewLead, Timestamp};
use spin_sdk::sqlite::Value;

use crate::analytics::unix_day;
use crate::outbox::{self, CreatedEvent};
use crate::row::RowReader;
use crate::sql::query;
use crate::webhooks::now_ms;
use crate::{Database, StorageError};

/// Inserts a lead with status `new`, adds it to its daily count and stores
/// its `lead.created` event and webhook deliveries, through the trigger of
/// the `lead_submissions` view. The unique index `leads_live_email_key` on
/// the email key of live leads rejects a duplicate inside the statement
/// itself, so two concurrent requests with the same email cannot both
/// succeed.
const INSERT_LEAD: &str = "INSERT INTO lead_submissions \
    (id, name, email, email_key, phone, company, source, notes, created_at, \
     day, event_id, event_payload, created_at_ms) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/// SQLite's message names the indexed column of the unique index that a
/// write breaks, whether the index is partial or not.
pub(crate) const EMAIL_KEY_CLASH: &str = "UNIQUE constraint failed: leads.email_key";

/// Maximum number of inserts [`Database::insert_lead`] runs when the email
/// key is taken but its holder is gone by the time it is read.
const INSERT_ATTEMPTS: u32 = 3;

const SELECT_LEAD_ID_BY_EMAIL_KEY: &str =
    "SELECT id FROM leads WHERE email_key = ? AND deleted_at IS NULL";

/// Columns in the order [`decode_lead`] reads them.
const SELECT_LEAD_BY_ID: &str = "SELECT \
    id, name, email, phone, company, source, status, notes, created_at, updated_at \
    FROM leads WHERE id = ? AND deleted_at IS NULL";

impl Database {
    /// Inserts `lead` under `id` with status `new` and returns the stored
    /// lead.
    ///
    /// One statement writes the lead, the increment of its daily count, its
    /// `lead.created` event in the outbox and the event's webhook
    /// deliveries. Neither the counts nor the events can therefore drift
    /// from the leads, and the write lock is held for a single host call.
    /// A live lead
    /// with the same email comparison key is a
    /// [`StorageError::DuplicateEmail`], and an `id` that already exists is
    /// a [`StorageError::Conflict`].
    pub async fn insert_lead(
        &self,
        lead: NewLead,
        id: LeadId,
        created_at: Timestamp,
    ) -> Result<Lead, StorageError> {
        let event = outbox::lead_created_event(&id, &lead, created_at)?;
        let parameters = insert_parameters(&lead, &id, created_at, event);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let error = match query(&self.connection, INSERT_LEAD, parameters.clone()).await {
                Ok(_) => return Ok(lead.into_lead(id, created_at)),
                Err(error) if is_email_key_clash(&error) => error,
                Err(error) => return Err(error),
            };
            // The lead holding the key may be erased, or given another
            // email, between the insert and this read. The key is then
            // free, and the insert is tried again.
            match self.duplicate_of(lead.email.comparison_key()).await {
                Some(duplicate) => return Err(duplicate),
                None if attempts < INSERT_ATTEMPTS => continue,
                None => return Err(error),
            }
        }
    }

    /// Builds the error for a lead whose email key `email_key` is taken, or
    /// returns `None` when no live lead has the key any more.
    async fn duplicate_of(&self, email_key: String) -> Option<StorageError> {
        let parameters = [Value::Text(email_key)];
        let rows = match query(&self.connection, SELECT_LEAD_ID_BY_EMAIL_KEY, parameters).await {
            Ok(rows) => rows,
            Err(error) => return Some(error),
        };
        let row = rows.first()?;
        Some(match RowReader::new(&row.values).text("id") {
            Ok(id) => StorageError::DuplicateEmail {
                existing_lead_id: id.to_owned(),
            },
            Err(error) => error,
        })
    }

    /// Finds the lead with `id`, or `None` when no such lead exists or it
    /// has been deleted.
    pub async fn find_lead_by_id(&self, id: &LeadId) -> Result<Option<Lead>, StorageError> {
        let parameters = [Value::Text(id.as_str().to_owned())];
        let rows = query(&self.connection, SELECT_LEAD_BY_ID, parameters).await?;
        rows.first().map(|row| decode_lead(&row.values)).transpose()
    }
}

/// Tells whether `error` is a write that gave a live lead an email key that
/// another live lead has.
pub(crate) fn is_email_key_clash(error: &StorageError) -> bool {
    matches!(error, StorageError::Conflict(message) if message.contains(EMAIL_KEY_CLASH))
}

/// Parameters of [`INSERT_LEAD`] for a new lead and its `lead.created`
/// event. `email_key` is the email's duplicate-comparison key, while `email`
/// keeps the address as the client sent it.
fn insert_parameters(
    lead: &NewLead,
    id: &LeadId,
    created_at: Timestamp,
    event: CreatedEvent,
) -> Vec<Value> {
    vec![
        Value::from(id.as_str()),
        Value::from(lead.name.as_str()),
        Value::from(lead.email.as_str()),
        Value::from(lead.email.comparison_key()),
        Value::from(lead.phone.as_ref().map(|phone| phone.as_str())),
        Value::from(lead.company.as_ref().map(|company| company.as_str())),
        Value::from(lead.source.as_str()),
        Value::from(lead.notes.as_ref().map(|notes| notes.as_str())),
        Value::Integer(created_at.unix_seconds()),
        Value::Integer(unix_day(created_at)),
        Value::Text(event.id),
        Value::Text(event.payload),
        Value::Integer(now_ms()),
    ]
}

fn decode_lead(values: &[Value]) -> Result<Lead, StorageError> {
    let mut row = RowReader::new(values);
    Ok(Lead {
        id: row.text("id")?.to_owned(),
        name: row.text("name")?.to_owned(),
        email: row.text("email")?.to_owned(),
        phone: row.optional_text("phone")?.map(str::to_owned),
        company: row.optional_text("company")?.map(str::to_owned),
        source: decode_source(row.text("source")?)?,
        status: decode_status(row.text("status")?)?,
        notes: row.optional_text("notes")?.map(str::to_owned),
        created_at: row.integer("created_at")?,
        updated_at: row.optional_integer("updated_at")?,
    })
}

fn decode_source(text: &str) -> Result<LeadSource, StorageError> {
    LeadSource::parse(text).ok_or_else(|| StorageError::Decode {
        column: "source",
        problem: format!("{text:?} is not a lead source"),
    })
}

fn decode_status(text: &str) -> Result<LeadStatus, StorageError> {
    LeadStatus::parse(text).ok_or_else(|| StorageError::Decode {
        column: "status",
        problem: format!("{text:?} is not a lead status"),
    })
}

mod erase;
mod idempotency;
mod list;

pub use erase::LeadErasure;
pub use idempotency::{IDEMPOTENCY_LEASE_SECONDS, IDEMPOTENCY_RETENTION_SECONDS, IdempotencyClaim};
pub use list::LeadRows;

#[cfg(test)]
mod tests;
