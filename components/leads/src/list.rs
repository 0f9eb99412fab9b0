//! `GET /api/leads`: live leads page by page, with filters.

use bytes::Bytes;
use cloudvelous_contract::{Lead, LeadPage};
use cloudvelous_domain::{CursorKey, LeadCursor, LeadId, LeadQuery, Timestamp};
use cloudvelous_http_kit::{ApiError, RequestId, json_response};
use cloudvelous_storage::{Database, storage_failure};
use http::{Response, StatusCode};

use crate::COMPONENT;

/// Returns one page of leads as `{"data": [...], "next_cursor": ...}`, in
/// the order of creation time and then id.
///
/// `query` is the query string without `?`. An invalid parameter is `422`
/// with one detail per parameter, and a cursor that this server did not
/// issue for the same filters is `400`. `next_cursor` is `null` on the last
/// page.
pub(crate) async fn list_leads(
    query: Option<&str>,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let query = LeadQuery::parse(query).map_err(ApiError::Validation)?;
    let mut key = None;

    let after = match query.cursor.as_deref() {
        None => None,
        Some(token) => {
            let key = key.insert(cursor_key(database, request_id).await?);
            let cursor = LeadCursor::decode(token, &query.filter, key)
                .map_err(|error| ApiError::BadRequest(error.to_string()))?;
            Some(cursor)
        }
    };

    let rows = database
        .list_leads(&query.filter, after.as_ref(), query.limit)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;

    let next_cursor = match rows.leads.last() {
        Some(last) if rows.has_more => {
            let key = match key {
                Some(key) => key,
                None => cursor_key(database, request_id).await?,
            };
            Some(position_of(last)?.encode(&query.filter, &key))
        }
        _ => None,
    };
    let page = LeadPage {
        data: rows.leads,
        next_cursor,
    };
    Ok(json_response(StatusCode::OK, &page, request_id))
}

async fn cursor_key(database: &Database, request_id: &RequestId) -> Result<CursorKey, ApiError> {
    database
        .lead_cursor_key()
        .await
        .map_err(storage_failure(COMPONENT, request_id))
}

/// Returns the list position of `lead`, which the next page starts after.
fn position_of(lead: &Lead) -> Result<LeadCursor, ApiError> {
    let id = LeadId::parse(&lead.id).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "stored lead id {:?} does not have the lead id form",
            lead.id
        ))
    })?;
    Ok(LeadCursor {
        created_at: Timestamp::from_unix_seconds(lead.created_at),
        id,
    })
}
