//! Lead rows: inserting new leads and reading them back.

use cloudvelous_contract::{Lead, LeadSource, LeadStatus};
use cloudvelous_domain::{LeadId, NewLead, Timestamp};
use spin_sdk::sqlite::Value;

use crate::row::RowReader;
use crate::sql::query;
use crate::{Database, StorageError};

/// Inserts a lead unless a live lead has the same email key. One statement
/// reads and writes under SQLite's write lock, so two concurrent requests with
/// the same email cannot both insert.
const INSERT_LEAD: &str = "INSERT INTO leads \
    (id, name, email, email_key, phone, company, source, status, notes, created_at) \
    SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 \
    WHERE NOT EXISTS (SELECT 1 FROM leads WHERE email_key = ?4 AND deleted_at IS NULL)";

const SELECT_LEAD_ID_BY_EMAIL_KEY: &str = "SELECT id FROM leads WHERE email_key = ? AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1";

/// Columns in the order [`decode_lead`] reads them.
const SELECT_LEAD_BY_ID: &str = "SELECT \
    id, name, email, phone, company, source, status, notes, created_at, updated_at \
    FROM leads WHERE id = ? AND deleted_at IS NULL";

impl Database {
    /// Inserts `lead` under `id` with status `new` and returns the stored
    /// lead.
    ///
    /// The single `INSERT` commits on its own. A live lead with the same
    /// email comparison key is a [`StorageError::DuplicateEmail`], and an `id`
    /// that already exists is a [`StorageError::Conflict`].
    pub async fn insert_lead(
        &self,
        lead: NewLead,
        id: LeadId,
        created_at: Timestamp,
    ) -> Result<Lead, StorageError> {
        let parameters = insert_parameters(&lead, &id, created_at);
        query(&self.connection, INSERT_LEAD, parameters).await?;
        if self.connection.changes().await == 0 {
            return Err(self.duplicate_of(lead.email.comparison_key()).await);
        }
        Ok(lead.into_lead(id, created_at))
    }

    /// Builds the error for a lead whose email key `email_key` is taken.
    async fn duplicate_of(&self, email_key: String) -> StorageError {
        let rows = query(
            &self.connection,
            SELECT_LEAD_ID_BY_EMAIL_KEY,
            [Value::Text(email_key)],
        )
        .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(error) => return error,
        };
        let Some(row) = rows.first() else {
            // The other lead was deleted between the two statements.
            return StorageError::Conflict(
                "the email's lead was deleted during the insert".to_owned(),
            );
        };
        match RowReader::new(&row.values).text("id") {
            Ok(id) => StorageError::DuplicateEmail {
                existing_lead_id: id.to_owned(),
            },
            Err(error) => error,
        }
    }

    /// Finds the lead with `id`, or `None` when no such lead exists or it
    /// has been deleted.
    pub async fn find_lead_by_id(&self, id: &LeadId) -> Result<Option<Lead>, StorageError> {
        let parameters = [Value::Text(id.as_str().to_owned())];
        let rows = query(&self.connection, SELECT_LEAD_BY_ID, parameters).await?;
        rows.first().map(|row| decode_lead(&row.values)).transpose()
    }
}

/// Parameters of [`INSERT_LEAD`] for a new lead, which starts with status
/// `new`. `email_key` is the email's duplicate-comparison key, while `email`
/// keeps the address as the client sent it.
fn insert_parameters(lead: &NewLead, id: &LeadId, created_at: Timestamp) -> Vec<Value> {
    vec![
        Value::from(id.as_str()),
        Value::from(lead.name.as_str()),
        Value::from(lead.email.as_str()),
        Value::from(lead.email.comparison_key()),
        Value::from(lead.phone.as_ref().map(|phone| phone.as_str())),
        Value::from(lead.company.as_ref().map(|company| company.as_str())),
        Value::from(lead.source.as_str()),
        Value::from(LeadStatus::New.as_str()),
        Value::from(lead.notes.as_ref().map(|notes| notes.as_str())),
        Value::Integer(created_at.unix_seconds()),
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

#[cfg(test)]
mod tests;
