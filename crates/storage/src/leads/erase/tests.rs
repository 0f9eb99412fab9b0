//! Erasure against a real SQLite file in WAL mode: no erased value stays in
//! the database file or its WAL file.

use super::*;
use crate::sqlite_fixture::{execute, migrate, select};

const NAME: &str = "Quillon Vantrebeck";
const EMAIL: &str = "quillon.vantrebeck@example.com";
const PHONE: &str = "+15550001234567";
const COMPANY: &str = "Zephyrine Kettleworks";
const NOTES: &str = "Wants the obsidian pricing tier";

fn insert_full_lead(database: &rusqlite::Connection, id: &str) {
    execute(
        database,
        "INSERT INTO leads \
         (id, name, email, email_key, phone, company, source, status, notes, created_at) \
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, 'website', 'new', ?6, 1760783400)",
        &[
            Value::from(id),
            Value::from(NAME),
            Value::from(EMAIL),
            Value::from(PHONE),
            Value::from(COMPANY),
            Value::from(NOTES),
        ],
    )
    .unwrap();
}

/// Runs the erasure's statements in the order [`Database::erase_lead`] runs
/// them and returns the checkpoint's `busy` value.
fn erase(database: &rusqlite::Connection, id: &str) -> i64 {
    select(database, SECURE_DELETE_ON, &[]);
    database.execute_batch("BEGIN IMMEDIATE").unwrap();
    let changed = execute(
        database,
        ERASE_LEAD,
        &[Value::Integer(1_760_800_000), Value::from(id)],
    )
    .unwrap();
    assert_eq!(changed, 1);
    execute(database, FORGET_IDEMPOTENT_BODIES, &[Value::from(id)]).unwrap();
    execute(database, DELETE_PENDING_EVENTS, &[Value::from(id)]).unwrap();
    execute(
        database,
        CANCEL_PENDING_DELIVERIES,
        &[Value::from(id), Value::Integer(1_760_800_000_000)],
    )
    .unwrap();
    database.execute_batch("COMMIT").unwrap();
    let rows = select(database, CHECKPOINT_TRUNCATE, &[]);
    match rows[0][0] {
        Value::Integer(busy) => busy,
        ref other => panic!("busy is {other:?}"),
    }
}

fn file_contains(path: &std::path::Path, needle: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    bytes
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn erasure_leaves_no_personal_data_in_files() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("leads.db");
    let database = rusqlite::Connection::open(&path).unwrap();
    database
        .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    // `Database::open` turns `secure_delete` on for every connection, the
    // writes before the erasure included.
    select(&database, SECURE_DELETE_ON, &[]);
    migrate(&database);
    insert_full_lead(&database, "lead_erased0000000001");
    insert_pending_event(&database, "lead_erased0000000001", "evt_erased");
    for number in 0..50 {
        execute(
            &database,
            "INSERT INTO leads (id, name, email, email_key, source, status, created_at) \
             VALUES (?1, 'Other', ?2, ?2, 'email', 'new', 1)",
            &[
                Value::from(format!("lead_other{number:010}")),
                Value::from(format!("other{number}@example.com")),
            ],
        )
        .unwrap();
    }
    let wal = folder.path().join("leads.db-wal");
    assert!(
        file_contains(&wal, NAME),
        "the test needs the name in the WAL"
    );

    assert_eq!(erase(&database, "lead_erased0000000001"), 0);

    for value in [NAME, EMAIL, PHONE, COMPANY, NOTES] {
        assert!(!file_contains(&path, value), "database file holds {value}");
        assert!(!file_contains(&wal, value), "WAL file holds {value}");
    }
    let (name, deleted_at, source): (Option<String>, Option<i64>, String) = database
        .query_row(
            "SELECT name, deleted_at, source FROM leads WHERE id = 'lead_erased0000000001'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(name, None);
    assert_eq!(deleted_at, Some(1_760_800_000));
    assert_eq!(source, "website");
}

#[test]
fn erasure_skips_deleted_and_unknown_leads() {
    let database = crate::sqlite_fixture::migrated_database();
    insert_full_lead(&database, "lead_erased0000000001");
    let parameters = [Value::Integer(5), Value::from("lead_erased0000000001")];
    assert_eq!(execute(&database, ERASE_LEAD, &parameters).unwrap(), 1);
    assert_eq!(execute(&database, ERASE_LEAD, &parameters).unwrap(), 0);
    let unknown = [Value::Integer(5), Value::from("lead_unknown")];
    assert_eq!(execute(&database, ERASE_LEAD, &unknown).unwrap(), 0);
}

#[test]
fn erasure_drops_linked_body_digests_only() {
    let database = crate::sqlite_fixture::migrated_database();
    for (scope, lead) in [(1_u8, "lead_a"), (2, "lead_b")] {
        execute(
            &database,
            "INSERT INTO idempotency_keys (scope_hash, fingerprint, token, claimed_at, lead_id) \
             VALUES (?1, ?2, 't', 1, ?3)",
            &[
                Value::Blob(vec![scope; 32]),
                Value::Blob(vec![9; 32]),
                Value::from(lead),
            ],
        )
        .unwrap();
    }

    execute(
        &database,
        FORGET_IDEMPOTENT_BODIES,
        &[Value::from("lead_a")],
    )
    .unwrap();

    let rows = select(
        &database,
        "SELECT lead_id, fingerprint IS NULL FROM idempotency_keys ORDER BY lead_id",
        &[],
    );
    assert_eq!(
        rows,
        [
            vec![Value::from("lead_a"), Value::Integer(1)],
            vec![Value::from("lead_b"), Value::Integer(0)],
        ]
    );
}

/// Stores a pending `lead.created` event of lead `id` with its webhook
/// delivery, both carrying the personal data in their payload.
fn insert_pending_event(database: &rusqlite::Connection, id: &str, event_id: &str) {
    let payload = format!(
        r#"{{"id":"{event_id}","event":"lead.created","timestamp":"2025-10-18T10:30:00Z","data":{{"lead_id":"{id}","name":"{NAME}","email":"{EMAIL}","source":"website"}}}}"#
    );
    execute(
        database,
        "INSERT INTO event_outbox (id, lead_id, event_type, payload, created_at) \
         VALUES (?1, ?2, 'lead.created', ?3, 1760783400)",
        &[
            Value::from(event_id),
            Value::from(id),
            Value::from(payload.as_str()),
        ],
    )
    .unwrap();
    execute(
        database,
        "INSERT INTO webhook_deliveries \
         (id, subscription_id, event_id, event_type, payload, state, attempts, \
          next_attempt_at_ms, created_at_ms) \
         VALUES (?1, 'whs_1', ?2, 'lead.created', ?3, 'pending', 0, 1, 1)",
        &[
            Value::from(format!("whd_{event_id}")),
            Value::from(event_id),
            Value::from(payload.as_str()),
        ],
    )
    .unwrap();
}

#[test]
fn erasure_removes_pending_events_and_deliveries() {
    let database = crate::sqlite_fixture::migrated_database();
    insert_full_lead(&database, "lead_erased0000000001");
    insert_pending_event(&database, "lead_erased0000000001", "evt_erased");
    insert_pending_event(&database, "lead_kept000000000001", "evt_kept");

    erase(&database, "lead_erased0000000001");

    let events = select(&database, "SELECT id FROM event_outbox", &[]);
    assert_eq!(events, [vec![Value::from("evt_kept")]]);
    let deliveries = select(
        &database,
        "SELECT event_id, state, payload IS NULL, next_attempt_at_ms, completed_at_ms \
         FROM webhook_deliveries ORDER BY event_id",
        &[],
    );
    assert_eq!(
        deliveries,
        [
            vec![
                Value::from("evt_erased"),
                Value::from("failed"),
                Value::Integer(1),
                Value::Null,
                Value::Integer(1_760_800_000_000),
            ],
            vec![
                Value::from("evt_kept"),
                Value::from("pending"),
                Value::Integer(0),
                Value::Integer(1),
                Value::Null,
            ],
        ]
    );
}
