//! The benchmark's baseline: the least work a durable lead write needs.
//!
//! Every request reads the body, opens the `default` database and runs one
//! `INSERT` of a fixed-shape lead, with no validation and no JSON parsing.
//! The schema is the one `cloudvelous-storage` migrates to. When the `leads`
//! table is missing, the migrations run once and the insert is retried, so
//! the baseline works on a fresh database and adds no schema check on a
//! migrated one.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cloudvelous_storage::{DATABASE_LABEL, StorageError, apply_migrations};
use http::{Response, StatusCode, header};
use spin_sdk::http::body::IncomingBodyExt as _;
use spin_sdk::http::{FullBody, Request};
use spin_sdk::sqlite::{Connection, Value};

/// Insert of the fixed-shape lead. Its id is `lead_` and 24 hex digits from
/// SQLite's `randomblob`. Its email gets 24 more, because live leads must
/// have distinct email keys.
const INSERT_LEAD: &str = "INSERT INTO leads \
    (id, name, email, email_key, source, status, created_at) \
    SELECT 'lead_' || lower(hex(randomblob(12))), 'Baseline Lead', \
    email, email, 'website', 'new', ? \
    FROM (SELECT 'baseline-' || lower(hex(randomblob(12))) || '@example.com' AS email)";

#[spin_sdk::http_service]
async fn handle_request(request: Request) -> Response<FullBody<Bytes>> {
    match store_lead(request).await {
        Ok(()) => respond(StatusCode::CREATED, r#"{"status":"created"}"#),
        Err(error) => {
            let error = format!("{error:#}");
            eprintln!("level=error component=bench-baseline error={error:?}");
            respond(StatusCode::INTERNAL_SERVER_ERROR, r#"{"status":"failed"}"#)
        }
    }
}

async fn store_lead(request: Request) -> anyhow::Result<()> {
    let body = request.into_body().bytes().await;
    body.map_err(|error| anyhow::anyhow!("reading the request body failed: {error:?}"))?;
    let connection = Connection::open(DATABASE_LABEL)
        .await
        .map_err(StorageError::from)?;

    match insert_lead(&connection).await {
        Err(StorageError::Statement(message)) if message.contains("no such table") => {
            apply_migrations(&connection).await?;
            Ok(insert_lead(&connection).await?)
        }
        outcome => Ok(outcome?),
    }
}

async fn insert_lead(connection: &Connection) -> Result<(), StorageError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let created_at = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let result = connection
        .execute(INSERT_LEAD, [Value::Integer(created_at)])
        .await?;
    Ok(result.result().await?)
}

fn respond(status: StatusCode, body: &'static str) -> Response<FullBody<Bytes>> {
    let mut response = Response::new(FullBody::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CONTENT_LENGTH,
        header::HeaderValue::from(body.len()),
    );
    response
}
