//! Lead SQL and row decoding against a real in-memory SQLite database.

use rusqlite::types::Value as SqliteValue;
use serde_json::json;

use super::*;
use crate::MIGRATIONS;

fn migrated_database() -> rusqlite::Connection {
    let database = rusqlite::Connection::open_in_memory().unwrap();
    for migration in MIGRATIONS {
        for statement in migration.statements {
            database.execute(statement, []).unwrap();
        }
    }
    database
}

fn to_sqlite(value: &Value) -> SqliteValue {
    match value {
        Value::Null => SqliteValue::Null,
        Value::Integer(integer) => SqliteValue::Integer(*integer),
        Value::Real(real) => SqliteValue::Real(*real),
        Value::Text(text) => SqliteValue::Text(text.clone()),
        Value::Blob(blob) => SqliteValue::Blob(blob.clone()),
    }
}

fn from_sqlite(value: SqliteValue) -> Value {
    match value {
        SqliteValue::Null => Value::Null,
        SqliteValue::Integer(integer) => Value::Integer(integer),
        SqliteValue::Real(real) => Value::Real(real),
        SqliteValue::Text(text) => Value::Text(text),
        SqliteValue::Blob(blob) => Value::Blob(blob),
    }
}

fn insert(database: &rusqlite::Connection, parameters: &[Value]) -> rusqlite::Result<usize> {
    let parameters = rusqlite::params_from_iter(parameters.iter().map(to_sqlite));
    database.execute(INSERT_LEAD, parameters)
}

fn select(database: &rusqlite::Connection, id: &str) -> Option<Vec<Value>> {
    let mut statement = database.prepare(SELECT_LEAD_BY_ID).unwrap();
    let mut rows = statement.query([id]).unwrap();
    let row = rows.next().unwrap()?;
    let count = row.as_ref().column_count();
    Some(
        (0..count)
            .map(|index| from_sqlite(row.get(index).unwrap()))
            .collect(),
    )
}

fn full_lead() -> NewLead {
    NewLead::from_json(&json!({
        "name": "Ada Lovelace",
        "email": "Ada.Lovelace@Example.COM",
        "phone": "+441234567890",
        "company": "Analytical Engines",
        "source": "referral",
        "notes": "Wants a demo in March",
    }))
    .unwrap()
}

fn minimal_lead() -> NewLead {
    NewLead::from_json(&json!({
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "source": "website",
    }))
    .unwrap()
}

fn lead_id(text: &str) -> LeadId {
    LeadId::parse(text).unwrap()
}

fn created_at() -> Timestamp {
    Timestamp::from_unix_seconds(1_760_783_400)
}

/// Parameters of [`INSERT_LEAD`] for `lead` under `id`, with a fresh
/// `lead.created` event.
fn submission(lead: &NewLead, id: &LeadId) -> Vec<Value> {
    let event = outbox::lead_created_event(id, lead, created_at()).unwrap();
    insert_parameters(lead, id, created_at(), event)
}

fn insert_new(database: &rusqlite::Connection, lead: &NewLead, id: &LeadId) {
    insert(database, &submission(lead, id)).unwrap();
}

fn count_rows(database: &rusqlite::Connection, table: &str) -> i64 {
    database
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
}

fn stored(lead: &NewLead, id: &LeadId) -> Lead {
    lead.clone().into_lead(id.clone(), created_at())
}

/// Index of a column in the parameters of [`INSERT_LEAD`].
fn parameter_index(column: &str) -> usize {
    let columns = [
        "id",
        "name",
        "email",
        "email_key",
        "phone",
        "company",
        "source",
        "notes",
        "created_at",
        "day",
        "event_id",
        "event_payload",
        "created_at_ms",
    ];
    columns.iter().position(|name| *name == column).unwrap()
}

#[test]
fn full_lead_round_trips() {
    let database = migrated_database();
    let (lead, id) = (full_lead(), lead_id("lead_0123456789abcdef"));

    insert_new(&database, &lead, &id);
    let values = select(&database, id.as_str()).unwrap();

    assert_eq!(decode_lead(&values).unwrap(), stored(&lead, &id));
}

#[test]
fn minimal_lead_round_trips() {
    let database = migrated_database();
    let (lead, id) = (minimal_lead(), lead_id("lead_minimal0000000001"));

    insert_new(&database, &lead, &id);
    let decoded = decode_lead(&select(&database, id.as_str()).unwrap()).unwrap();

    assert_eq!(decoded, stored(&lead, &id));
    assert_eq!(decoded.phone, None);
    assert_eq!(decoded.company, None);
    assert_eq!(decoded.notes, None);
    assert_eq!(decoded.updated_at, None);
}

#[test]
fn new_lead_is_stored_with_status_new() {
    let database = migrated_database();
    let (lead, id) = (full_lead(), lead_id("lead_0123456789abcdef"));
    insert_new(&database, &lead, &id);

    let decoded = decode_lead(&select(&database, id.as_str()).unwrap()).unwrap();

    assert_eq!(decoded.status, LeadStatus::New);
    assert_eq!(decoded.created_at, created_at().unix_seconds());
    assert_eq!(decoded.updated_at, None);
}

#[test]
fn email_key_is_comparison_key_and_email_kept() {
    let database = migrated_database();
    let (lead, id) = (full_lead(), lead_id("lead_0123456789abcdef"));
    insert_new(&database, &lead, &id);

    let (email, key): (String, String) = database
        .query_row("SELECT email, email_key FROM leads", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();

    assert_eq!(email, lead.email.as_str());
    assert_eq!(key, "ada.lovelace@example.com");
}

#[test]
fn updated_at_is_decoded_when_set() {
    let database = migrated_database();
    let (lead, id) = (minimal_lead(), lead_id("lead_0123456789abcdef"));
    insert_new(&database, &lead, &id);
    let updated = created_at().unix_seconds() + 60;
    database
        .execute("UPDATE leads SET updated_at = ?", [updated])
        .unwrap();

    let decoded = decode_lead(&select(&database, id.as_str()).unwrap()).unwrap();

    assert_eq!(decoded.updated_at, Some(updated));
}

#[test]
fn unknown_id_finds_nothing() {
    let database = migrated_database();
    assert!(select(&database, "lead_missing0000000000").is_none());
}

#[test]
fn deleted_lead_is_not_found() {
    let database = migrated_database();
    let (lead, id) = (minimal_lead(), lead_id("lead_0123456789abcdef"));
    insert_new(&database, &lead, &id);

    database
        .execute(
            "UPDATE leads SET deleted_at = created_at, name = NULL, email = NULL, email_key = NULL",
            [],
        )
        .unwrap();

    assert!(select(&database, id.as_str()).is_none());
}

#[test]
fn duplicate_id_is_conflict() {
    let database = migrated_database();
    let id = lead_id("lead_0123456789abcdef");
    let mut parameters = submission(&minimal_lead(), &id);
    insert(&database, &parameters).unwrap();
    parameters[parameter_index("email_key")] = Value::from("other@example.com");

    let message = insert(&database, &parameters).unwrap_err().to_string();
    let error = StorageError::from(spin_sdk::sqlite::Error::Io(message));

    assert!(matches!(error, StorageError::Conflict(_)), "{error:?}");
}

#[test]
fn duplicate_email_key_is_rejected_by_index() {
    let database = migrated_database();
    let first = submission(&minimal_lead(), &lead_id("lead_0123456789abcdef"));
    let second = submission(&minimal_lead(), &lead_id("lead_fedcba9876543210"));

    insert(&database, &first).unwrap();
    let message = insert(&database, &second).unwrap_err().to_string();
    let error = StorageError::from(spin_sdk::sqlite::Error::Io(message));
    assert!(is_email_key_clash(&error), "{error:?}");
    let count: i64 = database
        .query_row("SELECT COUNT(*) FROM leads", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 1);

    let mut statement = database.prepare(SELECT_LEAD_ID_BY_EMAIL_KEY).unwrap();
    let key = minimal_lead().email.comparison_key();
    let existing: String = statement.query_row([key], |row| row.get(0)).unwrap();
    assert_eq!(existing, "lead_0123456789abcdef");
}

#[test]
fn deleted_lead_frees_its_email_key() {
    let database = migrated_database();
    let first = submission(&minimal_lead(), &lead_id("lead_0123456789abcdef"));
    insert(&database, &first).unwrap();
    database
        .execute(
            "UPDATE leads SET deleted_at = 1 WHERE id = 'lead_0123456789abcdef'",
            [],
        )
        .unwrap();

    let second = submission(&minimal_lead(), &lead_id("lead_fedcba9876543210"));
    insert(&database, &second).unwrap();
    assert_eq!(count_rows(&database, "leads"), 2);
}

#[test]
fn every_contract_source_is_accepted() {
    let database = migrated_database();
    for (number, source) in LeadSource::ALL.into_iter().enumerate() {
        let id = lead_id(&format!("lead_source{number:011}"));
        let mut parameters = submission(&minimal_lead(), &id);
        parameters[parameter_index("source")] = Value::from(source.as_str());
        parameters[parameter_index("email_key")] =
            Value::from(format!("source{number}@example.com"));

        insert(&database, &parameters).unwrap();
        let decoded = decode_lead(&select(&database, id.as_str()).unwrap()).unwrap();
        assert_eq!(decoded.source, source);
    }
}

#[test]
fn every_contract_status_is_accepted() {
    let database = migrated_database();
    let id = lead_id("lead_0123456789abcdef");
    insert_new(&database, &minimal_lead(), &id);
    for status in LeadStatus::ALL {
        database
            .execute("UPDATE leads SET status = ?", [status.as_str()])
            .unwrap();
        let decoded = decode_lead(&select(&database, id.as_str()).unwrap()).unwrap();
        assert_eq!(decoded.status, status);
    }
}

#[test]
fn schema_rejects_unknown_source() {
    let database = migrated_database();
    let id = lead_id("lead_0123456789abcdef");
    let mut parameters = submission(&minimal_lead(), &id);
    parameters[parameter_index("source")] = Value::from("Website");

    let error = insert(&database, &parameters).unwrap_err();
    assert!(
        error.to_string().contains("CHECK constraint failed"),
        "{error}"
    );
}

#[test]
fn schema_rejects_unknown_status() {
    let database = migrated_database();
    insert_new(
        &database,
        &minimal_lead(),
        &lead_id("lead_0123456789abcdef"),
    );

    let error = database
        .execute("UPDATE leads SET status = 'pending'", [])
        .unwrap_err();
    assert!(
        error.to_string().contains("CHECK constraint failed"),
        "{error}"
    );
}

#[test]
fn insert_counts_the_lead_and_stores_its_event() {
    let database = migrated_database();
    let (lead, id) = (full_lead(), lead_id("lead_0123456789abcdef"));
    let parameters = submission(&lead, &id);
    insert(&database, &parameters).unwrap();

    let (day, source, status, count): (i64, String, String, i64) = database
        .query_row(
            "SELECT day, source, status, count FROM lead_daily_counts",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();
    assert_eq!(day, unix_day(created_at()));
    assert_eq!(
        (source.as_str(), status.as_str(), count),
        ("referral", "new", 1)
    );

    let (event_id, lead_id_column, event_type, payload, at): (String, String, String, String, i64) =
        database
            .query_row(
                "SELECT id, lead_id, event_type, payload, created_at FROM event_outbox",
                [],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                },
            )
            .unwrap();
    assert_eq!(
        Value::Text(event_id.clone()),
        parameters[parameter_index("event_id")]
    );
    assert!(event_id.starts_with(outbox::EVENT_ID_PREFIX), "{event_id}");
    assert_eq!(lead_id_column, id.as_str());
    assert_eq!(event_type, "lead.created");
    assert_eq!(at, created_at().unix_seconds());
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["id"], json!(event_id));
    assert_eq!(payload["event"], json!("lead.created"));
    assert_eq!(payload["data"]["lead_id"], json!(id.as_str()));
    assert_eq!(payload["data"]["email"], json!("Ada.Lovelace@Example.COM"));
}

#[test]
fn insert_adds_to_an_existing_daily_count() {
    let database = migrated_database();
    insert_new(
        &database,
        &minimal_lead(),
        &lead_id("lead_0123456789abcdef"),
    );
    let mut second = submission(&full_lead(), &lead_id("lead_fedcba9876543210"));
    second[parameter_index("source")] = Value::from("website");
    insert(&database, &second).unwrap();

    let count: i64 = database
        .query_row(
            "SELECT count FROM lead_daily_counts WHERE source = 'website' AND status = 'new'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(count, 2);
    assert_eq!(count_rows(&database, "lead_daily_counts"), 1);
    assert_eq!(count_rows(&database, "event_outbox"), 2);
}

#[test]
fn insert_creates_deliveries_for_lead_created_subscriptions_only() {
    let database = migrated_database();
    for (id, event_types) in [
        ("whk_created", "lead.created"),
        ("whk_both", "lead.status_updated lead.created"),
        ("whk_status", "lead.status_updated"),
    ] {
        database
            .execute(
                "INSERT INTO webhook_subscriptions (id, url, event_types, secret, created_at) \
                 VALUES (?1, 'https://hooks.example.com/', ?2, 'whsec_x', 0)",
                [id, event_types],
            )
            .unwrap();
    }
    let parameters = submission(&minimal_lead(), &lead_id("lead_0123456789abcdef"));
    insert(&database, &parameters).unwrap();

    let mut statement = database
        .prepare(
            "SELECT subscription_id, event_id, payload, state, created_at_ms \
             FROM webhook_deliveries ORDER BY subscription_id",
        )
        .unwrap();
    let rows: Vec<(String, String, String, String, i64)> = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let subscriptions: Vec<&str> = rows.iter().map(|row| row.0.as_str()).collect();
    assert_eq!(subscriptions, ["whk_both", "whk_created"]);
    for (_, event_id, payload, state, created_at_ms) in &rows {
        assert_eq!(
            &Value::Text(event_id.clone()),
            &parameters[parameter_index("event_id")]
        );
        assert_eq!(
            &Value::Text(payload.clone()),
            &parameters[parameter_index("event_payload")]
        );
        assert_eq!(state, "pending");
        assert_eq!(
            &Value::Integer(*created_at_ms),
            &parameters[parameter_index("created_at_ms")]
        );
    }
}

#[test]
fn rejected_insert_leaves_no_count_event_or_delivery() {
    let database = migrated_database();
    database
        .execute(
            "INSERT INTO webhook_subscriptions (id, url, event_types, secret, created_at) \
             VALUES ('whk_created', 'https://hooks.example.com/', 'lead.created', 'whsec_x', 0)",
            [],
        )
        .unwrap();
    insert_new(
        &database,
        &minimal_lead(),
        &lead_id("lead_0123456789abcdef"),
    );

    let duplicate = submission(&minimal_lead(), &lead_id("lead_fedcba9876543210"));
    insert(&database, &duplicate).unwrap_err();

    assert_eq!(count_rows(&database, "leads"), 1);
    assert_eq!(count_rows(&database, "event_outbox"), 1);
    assert_eq!(count_rows(&database, "webhook_deliveries"), 1);
    let count: i64 = database
        .query_row("SELECT SUM(count) FROM lead_daily_counts", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn schema_requires_name_of_live_lead() {
    let database = migrated_database();
    let id = lead_id("lead_0123456789abcdef");
    let mut parameters = submission(&minimal_lead(), &id);
    parameters[parameter_index("name")] = Value::Null;

    let error = insert(&database, &parameters).unwrap_err();
    assert!(
        error.to_string().contains("CHECK constraint failed"),
        "{error}"
    );
}

#[test]
fn schema_rejects_text_timestamp() {
    let database = migrated_database();
    let id = lead_id("lead_0123456789abcdef");
    let mut parameters = submission(&minimal_lead(), &id);
    parameters[parameter_index("created_at")] = Value::from("2025-10-18T10:30:00Z");

    assert!(insert(&database, &parameters).is_err());
}

#[test]
fn email_key_lookup_uses_index() {
    let database = migrated_database();
    let plan: String = database
        .query_row(
            &format!("EXPLAIN QUERY PLAN {SELECT_LEAD_ID_BY_EMAIL_KEY}"),
            ["ada@example.com"],
            |row| row.get(3),
        )
        .unwrap();
    assert!(plan.contains("leads_live_email_key"), "{plan}");
}

#[test]
fn email_key_clash_differs_from_id_clash() {
    let email = StorageError::Conflict(format!("{EMAIL_KEY_CLASH} (code 2067)"));
    let id = StorageError::Conflict("UNIQUE constraint failed: leads.id".to_owned());
    assert!(is_email_key_clash(&email));
    assert!(!is_email_key_clash(&id));
    assert!(!is_email_key_clash(&StorageError::Statement(
        EMAIL_KEY_CLASH.to_owned()
    )));
}

#[test]
fn casing_of_first_email_does_not_matter() {
    for (first, second) in [
        ("Dana.Reyes@Example.COM", "dana.reyes@example.com"),
        ("dana.reyes@example.com", "Dana.Reyes@Example.COM"),
    ] {
        let database = migrated_database();
        let mut parameters = submission(&minimal_lead(), &lead_id("lead_0123456789abcdef"));
        let email = cloudvelous_domain::Email::parse(first).unwrap();
        parameters[parameter_index("email")] = Value::from(first);
        parameters[parameter_index("email_key")] = Value::from(email.comparison_key());
        insert(&database, &parameters).unwrap();

        let email = cloudvelous_domain::Email::parse(second).unwrap();
        parameters[parameter_index("id")] = Value::from("lead_fedcba9876543210");
        parameters[parameter_index("email")] = Value::from(second);
        parameters[parameter_index("email_key")] = Value::from(email.comparison_key());
        let error = insert(&database, &parameters).unwrap_err().to_string();
        assert!(
            error.contains(EMAIL_KEY_CLASH),
            "{first} then {second}: {error}"
        );

        let stored: String = database
            .query_row("SELECT email FROM leads", [], |row| row.get(0))
            .unwrap();
        assert_eq!(stored, first);
    }
}

#[test]
fn decode_rejects_unknown_source() {
    let mut values = lead_values();
    values[5] = Value::from("fax");

    let error = decode_lead(&values).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::Decode {
                column: "source",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn decode_rejects_unknown_status() {
    let mut values = lead_values();
    values[6] = Value::from("archived");

    let error = decode_lead(&values).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::Decode {
                column: "status",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn decode_rejects_text_timestamp() {
    let mut values = lead_values();
    values[8] = Value::from("2025-10-18T10:30:00Z");

    let error = decode_lead(&values).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::Decode {
                column: "created_at",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn decode_rejects_null_email() {
    let mut values = lead_values();
    values[2] = Value::Null;

    let error = decode_lead(&values).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::Decode {
                column: "email",
                ..
            }
        ),
        "{error:?}"
    );
}

/// Builds a valid row in [`SELECT_LEAD_BY_ID`] order.
fn lead_values() -> Vec<Value> {
    vec![
        Value::from("lead_0123456789abcdef"),
        Value::from("Grace Hopper"),
        Value::from("grace@example.com"),
        Value::Null,
        Value::Null,
        Value::from("website"),
        Value::from("new"),
        Value::Null,
        Value::Integer(1_760_783_400),
        Value::Null,
    ]
}

#[test]
fn lead_values_decode() {
    assert!(decode_lead(&lead_values()).is_ok());
}
