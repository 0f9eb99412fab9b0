//! Listing live leads page by page, in creation order.

use cloudvelous_contract::Lead;
use cloudvelous_domain::{CursorKey, LeadCursor, LeadFilter};
use spin_sdk::sqlite::Value;

use super::decode_lead;
use crate::row::RowReader;
use crate::sql::query;
use crate::{Database, StorageError};

/// Columns in the order [`decode_lead`] reads them. Every condition that
/// [`list_statement`] appends starts with `AND`.
const SELECT_LIVE_LEADS: &str = "SELECT \
    id, name, email, phone, company, source, status, notes, created_at, updated_at \
    FROM leads WHERE deleted_at IS NULL";

/// The secret that signs lead cursors, created with the schema.
const SELECT_CURSOR_SECRET: &str = "SELECT value FROM server_secrets WHERE name = 'lead_cursor'";

/// One page of leads.
#[derive(Debug, PartialEq)]
pub struct LeadRows {
    /// Leads in list order: creation time, then id.
    pub leads: Vec<Lead>,
    /// Whether more leads follow the last one.
    pub has_more: bool,
}

impl Database {
    /// Lists up to `limit` live leads that match `filter`, in the order of
    /// creation time and then id, starting after the position `after`.
    ///
    /// The position is a value rather than a row, so a page resumes at the
    /// right place even when the lead it names was deleted. Leads created
    /// while a client pages appear on a later page unless they sort before
    /// the position, which only a lead created in the position's second
    /// with a smaller id does.
    pub async fn list_leads(
        &self,
        filter: &LeadFilter,
        after: Option<&LeadCursor>,
        limit: u32,
    ) -> Result<LeadRows, StorageError> {
        let (statement, parameters) = list_statement(filter, after, limit);
        let rows = query(&self.connection, &statement, parameters).await?;
        let mut leads = rows
            .iter()
            .map(|row| decode_lead(&row.values))
            .collect::<Result<Vec<_>, _>>()?;

        let page_size = usize::try_from(limit).unwrap_or(usize::MAX);
        let has_more = leads.len() > page_size;
        leads.truncate(page_size);
        Ok(LeadRows { leads, has_more })
    }

    /// Reads the secret that signs lead cursors.
    pub async fn lead_cursor_key(&self) -> Result<CursorKey, StorageError> {
        let rows = query(&self.connection, SELECT_CURSOR_SECRET, []).await?;
        let Some(row) = rows.first() else {
            return Err(StorageError::Decode {
                column: "value",
                problem: "the lead cursor secret is missing from server_secrets".to_owned(),
            });
        };
        let secret = RowReader::new(&row.values).blob("value")?;
        Ok(CursorKey::new(secret.to_vec()))
    }
}

/// Builds the `SELECT` of one page and its parameters.
///
/// It selects one lead more than `limit`, so that the caller can tell
/// whether another page follows. The conditions use only columns of the indexes that the schema
/// keeps for them, so each filter, alone or combined, reads an index in list
/// order instead of sorting.
pub(super) fn list_statement(
    filter: &LeadFilter,
    after: Option<&LeadCursor>,
    limit: u32,
) -> (String, Vec<Value>) {
    let mut statement = String::from(SELECT_LIVE_LEADS);
    let mut parameters = Vec::new();

    if let Some(status) = filter.status {
        statement.push_str(" AND status = ?");
        parameters.push(Value::from(status.as_str()));
    }
    if let Some(source) = filter.source {
        statement.push_str(" AND source = ?");
        parameters.push(Value::from(source.as_str()));
    }
    if let Some(email_key) = &filter.email_key {
        statement.push_str(" AND email_key = ?");
        parameters.push(Value::from(email_key.as_str()));
    }
    if let Some(from) = filter.created_from {
        statement.push_str(" AND created_at >= ?");
        parameters.push(Value::Integer(from.unix_seconds()));
    }
    if let Some(to) = filter.created_to {
        statement.push_str(" AND created_at <= ?");
        parameters.push(Value::Integer(to.unix_seconds()));
    }
    if let Some(cursor) = after {
        statement.push_str(" AND (created_at, id) > (?, ?)");
        parameters.push(Value::Integer(cursor.created_at.unix_seconds()));
        parameters.push(Value::from(cursor.id.as_str()));
    }

    statement.push_str(" ORDER BY created_at, id LIMIT ?");
    parameters.push(Value::Integer(i64::from(limit) + 1));
    (statement, parameters)
}

#[cfg(test)]
mod tests;
