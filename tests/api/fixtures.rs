//! Lead bodies, the checks of a created lead, and reads of stored rows,
//! shared by the lead tests.

use crate::assertions::{assert_timestamp, key_set};
use crate::support::{TestApp, TestResponse};
use http::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

/// Message of the acknowledgement of a created lead, from the API document.
pub const CREATED_MESSAGE: &str = "Lead created successfully";

/// Message of every `422` envelope, from the API document.
pub const VALIDATION_MESSAGE: &str = "Invalid input data";

/// Returns a new address on each call, so that leads of one app never count
/// as duplicates of each other.
pub fn unique_email() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("person{}@example.com", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Returns the request body of the API document's `POST /api/leads` example.
pub fn document_lead() -> Value {
    json!({
        "name": "John Doe",
        "email": "john@example.com",
        "phone": "+1234567890",
        "company": "Acme Corp",
        "source": "website",
        "notes": "Interested in enterprise plan"
    })
}

/// Builds a lead with only the required fields and a unique email.
pub fn minimal_lead() -> Value {
    json!({"name": "Ada Lovelace", "email": unique_email(), "source": "website"})
}

/// [`minimal_lead`] with `field` set to `value`.
pub fn lead_with(field: &str, value: Value) -> Value {
    let mut lead = minimal_lead();
    lead[field] = value;
    lead
}

/// Sends `body` to `POST /api/leads`.
pub async fn post_lead(app: &TestApp, body: &Value) -> TestResponse {
    app.post("/api/leads").json(body).send().await
}

/// Checks whether `id` matches `^lead_[a-zA-Z0-9]{16,}$`.
pub fn is_lead_id(id: &str) -> bool {
    id.strip_prefix("lead_").is_some_and(|suffix| {
        suffix.len() >= 16 && suffix.bytes().all(|byte| byte.is_ascii_alphanumeric())
    })
}

/// Asserts a whole `201` acknowledgement: exactly `id`, `status` `pending`,
/// `created_at` and `message`, with `Location: /api/leads/{id}`. Returns the
/// body.
pub fn expect_created(response: &TestResponse) -> Value {
    let body = response.expect_json(StatusCode::CREATED);
    let keys = BTreeSet::from(["created_at", "id", "message", "status"]);
    assert_eq!(key_set(&body), keys, "acknowledgement keys: {body}");

    let id = body["id"].as_str().unwrap_or_default();
    assert!(
        is_lead_id(id),
        "id {id:?} does not match ^lead_[a-zA-Z0-9]{{16,}}$"
    );
    assert_eq!(body["status"], "pending", "status: {body}");
    assert_eq!(body["message"], CREATED_MESSAGE, "message: {body}");
    assert_timestamp(body["created_at"].as_str().unwrap_or_default());

    let location = format!("/api/leads/{id}");
    assert_eq!(
        response.header("location"),
        Some(location.as_str()),
        "Location"
    );
    body
}

/// Asserts a `201` acknowledgement and returns the new lead's id.
pub fn expect_created_id(response: &TestResponse) -> String {
    let body = expect_created(response);
    body["id"].as_str().unwrap_or_default().to_string()
}

/// Asserts a whole `422` envelope with exactly one `details` entry per name
/// in `fields`, in any order.
pub fn expect_field_errors(response: &TestResponse, fields: &[&str]) {
    let error = response.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR");
    assert_eq!(error["message"], VALIDATION_MESSAGE, "message: {error:?}");

    let details = error["details"].as_array().cloned().unwrap_or_default();
    let mut reported: Vec<&str> = details
        .iter()
        .filter_map(|detail| detail["field"].as_str())
        .collect();
    reported.sort_unstable();
    let mut expected = fields.to_vec();
    expected.sort_unstable();
    assert_eq!(reported, expected, "details fields: {details:?}");
}

/// One row of the `leads` table.
#[derive(Debug, PartialEq, Eq)]
pub struct StoredLead {
    /// `name`
    pub name: String,
    /// `email`
    pub email: String,
    /// `phone`
    pub phone: Option<String>,
    /// `company`
    pub company: Option<String>,
    /// `source`
    pub source: String,
    /// `status`
    pub status: String,
    /// `notes`
    pub notes: Option<String>,
    /// `created_at`, in Unix seconds.
    pub created_at: i64,
    /// `updated_at`, in Unix seconds.
    pub updated_at: Option<i64>,
}

/// Reads the stored row of lead `id`, panicking when there is none.
pub fn stored_lead(app: &TestApp, id: &str) -> StoredLead {
    let query = "SELECT name, email, phone, company, source, status, notes, created_at, updated_at \
                 FROM leads WHERE id = ?1";
    app.db()
        .query_row(query, [id], |row| {
            Ok(StoredLead {
                name: row.get(0)?,
                email: row.get(1)?,
                phone: row.get(2)?,
                company: row.get(3)?,
                source: row.get(4)?,
                status: row.get(5)?,
                notes: row.get(6)?,
                created_at: row.get(7)?,
                updated_at: row.get(8)?,
            })
        })
        .unwrap_or_else(|error| panic!("no stored row for {id}: {error}"))
}

/// Counts the rows of the `leads` table.
pub fn lead_count(app: &TestApp) -> i64 {
    app.db()
        .query_row("SELECT COUNT(*) FROM leads", [], |row| row.get(0))
        .expect("count leads")
}

/// Counts stored leads, or returns zero when no request has opened the
/// database yet, as happens when every request was rejected before the
/// handler.
pub fn stored_lead_count(app: &TestApp) -> i64 {
    let exists = app.sqlite_path("default").is_some_and(|path| path.exists());
    if !exists {
        return 0;
    }
    let connection = app.db();
    let has_table: bool = connection
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leads')",
            [],
            |row| row.get(0),
        )
        .expect("read the schema");
    if !has_table {
        return 0;
    }
    lead_count(app)
}
