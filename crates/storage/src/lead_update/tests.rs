//! Lead update SQL against a real in-memory SQLite database.

use serde_json::json;
use spin_sdk::sqlite::Value;

use super::*;
use crate::leads::EMAIL_KEY_CLASH;
use crate::sqlite_fixture::{execute, migrated_database, select};

/// 2025-10-18T10:30:00Z.
const CREATED_AT: i64 = 1_760_783_400;
const UPDATED_AT: i64 = CREATED_AT + 3_600;

/// Inserts a live lead with every field set and `email` as its own key.
fn insert_lead(database: &rusqlite::Connection, id: &str, email: &str) {
    database
        .execute(
            "INSERT INTO leads (id, name, email, email_key, phone, company, source, status, notes, created_at) \
             VALUES (?1, 'Ada Lovelace', ?2, ?2, '+441234567890', 'Analytical Engines', 'referral', 'new', 'Wants a demo', ?3)",
            rusqlite::params![id, email, CREATED_AT],
        )
        .unwrap();
}

fn lead_id(text: &str) -> LeadId {
    LeadId::parse(text).unwrap()
}

fn patch(body: serde_json::Value) -> LeadPatch {
    LeadPatch::from_json(&body).unwrap()
}

/// Runs [`UPDATE_LEAD_FIELDS`] for `body` on lead `id` and returns the ids
/// it returned.
fn update(
    database: &rusqlite::Connection,
    id: &str,
    body: serde_json::Value,
) -> rusqlite::Result<Vec<Vec<Value>>> {
    let parameters = update_parameters(&lead_id(id), &patch(body), at());
    let mut statement = database.prepare(UPDATE_LEAD_FIELDS)?;
    let count = statement.column_count();
    let parameters =
        rusqlite::params_from_iter(parameters.iter().map(crate::sqlite_fixture::to_sqlite));
    let mut rows = statement.query(parameters)?;
    let mut returned = Vec::new();
    while let Some(row) = rows.next()? {
        returned.push(
            (0..count)
                .map(|index| crate::sqlite_fixture::from_sqlite(row.get(index).unwrap()))
                .collect(),
        );
    }
    Ok(returned)
}

fn at() -> Timestamp {
    Timestamp::from_unix_seconds(UPDATED_AT)
}

/// The stored fields an update may change, in the order of
/// [`UPDATE_LEAD_FIELDS`], with `updated_at`.
type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

fn stored(database: &rusqlite::Connection, id: &str) -> Row {
    database
        .query_row(
            "SELECT name, email, email_key, phone, company, notes, updated_at FROM leads WHERE id = ?1",
            [id],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                ))
            },
        )
        .unwrap()
}

#[test]
fn update_sets_given_fields_only() {
    let database = migrated_database();
    insert_lead(&database, "lead_a", "ada@example.com");

    let returned = update(
        &database,
        "lead_a",
        json!({"name": " Ada King ", "company": "Babbage & Co"}),
    )
    .unwrap();

    assert_eq!(returned, vec![vec![Value::from("lead_a")]]);
    assert_eq!(
        stored(&database, "lead_a"),
        (
            "Ada King".into(),
            "ada@example.com".into(),
            "ada@example.com".into(),
            Some("+441234567890".into()),
            Some("Babbage & Co".into()),
            Some("Wants a demo".into()),
            Some(UPDATED_AT),
        )
    );
}

#[test]
fn update_of_status_alone_sets_updated_at() {
    let database = migrated_database();
    insert_lead(&database, "lead_a", "ada@example.com");
    let before = stored(&database, "lead_a");

    update(&database, "lead_a", json!({"status": "contacted"})).unwrap();

    let after = stored(&database, "lead_a");
    assert_eq!(after.6, Some(UPDATED_AT));
    assert_eq!((after.0, after.1, after.3), (before.0, before.1, before.3));
    assert_eq!((after.4, after.5), (before.4, before.5));
}

#[test]
fn null_clears_optional_fields() {
    let database = migrated_database();
    insert_lead(&database, "lead_a", "ada@example.com");

    update(
        &database,
        "lead_a",
        json!({"phone": null, "company": null, "notes": null}),
    )
    .unwrap();

    let (name, _, _, phone, company, notes, _) = stored(&database, "lead_a");
    assert_eq!(name, "Ada Lovelace");
    assert_eq!((phone, company, notes), (None, None, None));
}

#[test]
fn new_email_replaces_comparison_key() {
    let database = migrated_database();
    insert_lead(&database, "lead_a", "ada@example.com");

    update(
        &database,
        "lead_a",
        json!({"email": " A.da+crm@GMail.com "}),
    )
    .unwrap();

    let (_, email, email_key, ..) = stored(&database, "lead_a");
    assert_eq!(email, "A.da+crm@GMail.com");
    assert_eq!(email_key, "ada@gmail.com");
}

#[test]
fn own_key_in_another_spelling_is_allowed() {
    let database = migrated_database();
    insert_lead(&database, "lead_a", "ada@example.com");

    update(&database, "lead_a", json!({"email": "ADA@Example.COM"})).unwrap();

    let (_, email, email_key, ..) = stored(&database, "lead_a");
    assert_eq!(email, "ADA@Example.COM");
    assert_eq!(email_key, "ada@example.com");
}

#[test]
fn email_of_other_live_lead_clashes() {
    let database = migrated_database();
    insert_lead(&database, "lead_a", "ada@example.com");
    insert_lead(&database, "lead_b", "grace@example.com");
    let before = stored(&database, "lead_a");

    let error = update(&database, "lead_a", json!({"email": "Grace@Example.com"})).unwrap_err();

    assert!(error.to_string().contains(EMAIL_KEY_CLASH), "{error}");
    assert_eq!(stored(&database, "lead_a"), before);
    let other = select(
        &database,
        SELECT_OTHER_LEAD_BY_EMAIL_KEY,
        &[Value::from("grace@example.com"), Value::from("lead_a")],
    );
    assert_eq!(other, vec![vec![Value::from("lead_b")]]);
}

#[test]
fn email_of_deleted_lead_is_free() {
    let database = migrated_database();
    insert_lead(&database, "lead_a", "ada@example.com");
    insert_lead(&database, "lead_b", "grace@example.com");
    database
        .execute(
            "UPDATE leads SET deleted_at = 5, name = NULL, email = NULL, email_key = NULL \
             WHERE id = 'lead_b'",
            [],
        )
        .unwrap();

    update(&database, "lead_a", json!({"email": "grace@example.com"})).unwrap();

    assert_eq!(stored(&database, "lead_a").2, "grace@example.com");
}

#[test]
fn other_lead_lookup_skips_itself_and_deleted_leads() {
    let database = migrated_database();
    insert_lead(&database, "lead_a", "ada@example.com");
    insert_lead(&database, "lead_b", "grace@example.com");
    execute(
        &database,
        "UPDATE leads SET deleted_at = 5, name = NULL, email = NULL, email_key = NULL \
         WHERE id = ?1",
        &[Value::from("lead_b")],
    )
    .unwrap();

    for (key, id) in [
        ("ada@example.com", "lead_a"),
        ("grace@example.com", "lead_a"),
    ] {
        let rows = select(
            &database,
            SELECT_OTHER_LEAD_BY_EMAIL_KEY,
            &[Value::from(key), Value::from(id)],
        );
        assert!(rows.is_empty(), "{key}: {rows:?}");
    }
}

#[test]
fn deleted_and_unknown_leads_return_no_row() {
    let database = migrated_database();
    insert_lead(&database, "lead_a", "ada@example.com");
    database
        .execute(
            "UPDATE leads SET deleted_at = 5, name = NULL, email = NULL, email_key = NULL",
            [],
        )
        .unwrap();

    for id in ["lead_a", "lead_unknown"] {
        let returned = update(&database, id, json!({"notes": "x"})).unwrap();
        assert!(returned.is_empty(), "{id}");
    }
    let notes: Option<String> = database
        .query_row("SELECT notes FROM leads WHERE id = 'lead_a'", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(notes, Some("Wants a demo".into()));
}

#[test]
fn clash_message_is_classified_as_email_clash() {
    let error = StorageError::from(spin_sdk::sqlite::Error::Io(format!(
        "{EMAIL_KEY_CLASH} (2067)"
    )));

    assert!(is_email_key_clash(&error), "{error:?}");
    let other = StorageError::from(spin_sdk::sqlite::Error::Io(
        "UNIQUE constraint failed: leads.id".to_owned(),
    ));
    assert!(!is_email_key_clash(&other), "{other:?}");
}
