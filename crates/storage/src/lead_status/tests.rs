//! Status-change SQL against a real in-memory SQLite database.

use spin_sdk::sqlite::Value;

use super::*;
use crate::analytics::{ADD_TO_DAILY_COUNT, SELECT_COUNT_DIFFERENCES};
use crate::sqlite_fixture::{execute, migrated_database, select};

/// 2024-02-29T23:59:59Z, the last second of a leap day.
const LEAP_DAY_LAST_SECOND: i64 = 1_709_251_199;

/// Inserts a lead with status `new` and counts it, as `insert_lead` does.
fn insert_new_lead(database: &rusqlite::Connection, id: &str, source: &str, created_at: i64) {
    database
        .execute(
            "INSERT INTO leads (id, name, email, email_key, source, status, created_at) \
             VALUES (?1, 'Test Lead', ?2, ?2, ?3, 'new', ?4)",
            rusqlite::params![id, format!("{id}@example.com"), source, created_at],
        )
        .unwrap();
    let day = unix_day(Timestamp::from_unix_seconds(created_at));
    let parameters = [
        Value::Integer(day),
        Value::from(source),
        Value::from("new"),
        Value::Integer(1),
    ];
    execute(database, ADD_TO_DAILY_COUNT, &parameters).unwrap();
}

/// Runs the statements of [`change_status_in_transaction`] in its order on
/// a native connection.
fn change_status(database: &rusqlite::Connection, id: &str, new_status: LeadStatus, at: i64) {
    let rows = select(database, SELECT_LEAD_FOR_STATUS_CHANGE, &[Value::from(id)]);
    let mut row = RowReader::new(&rows[0]);
    let source = decode_source(row.text("source").unwrap()).unwrap();
    let old_status = decode_status(row.text("status").unwrap()).unwrap();
    let created_at = row.integer("created_at").unwrap();

    let parameters = [
        Value::from(id),
        Value::from(new_status.as_str()),
        Value::Integer(at),
    ];
    execute(database, UPDATE_LEAD_STATUS, &parameters).unwrap();

    let day = unix_day(Timestamp::from_unix_seconds(created_at));
    let subtract = [
        Value::Integer(day),
        Value::from(source.as_str()),
        Value::from(old_status.as_str()),
    ];
    execute(
        database,
        crate::analytics::SUBTRACT_ONE_FROM_DAILY_COUNT,
        &subtract,
    )
    .unwrap();
    let add = [
        Value::Integer(day),
        Value::from(source.as_str()),
        Value::from(new_status.as_str()),
        Value::Integer(1),
    ];
    execute(database, ADD_TO_DAILY_COUNT, &add).unwrap();
}

#[test]
fn select_finds_live_lead() {
    let database = migrated_database();
    insert_new_lead(&database, "lead_a", "referral", LEAP_DAY_LAST_SECOND);

    let rows = select(
        &database,
        SELECT_LEAD_FOR_STATUS_CHANGE,
        &[Value::from("lead_a")],
    );

    assert_eq!(
        rows,
        vec![vec![
            Value::from("referral"),
            Value::from("new"),
            Value::Integer(LEAP_DAY_LAST_SECOND),
        ]]
    );
}

#[test]
fn select_skips_deleted_and_unknown_leads() {
    let database = migrated_database();
    insert_new_lead(&database, "lead_a", "referral", LEAP_DAY_LAST_SECOND);
    database
        .execute(
            "UPDATE leads SET deleted_at = 5, name = NULL, email = NULL, email_key = NULL",
            [],
        )
        .unwrap();

    for id in ["lead_a", "lead_unknown"] {
        let rows = select(&database, SELECT_LEAD_FOR_STATUS_CHANGE, &[Value::from(id)]);
        assert!(rows.is_empty(), "{id}");
    }
}

#[test]
fn update_sets_status_and_updated_at() {
    let database = migrated_database();
    insert_new_lead(&database, "lead_a", "website", LEAP_DAY_LAST_SECOND);

    let parameters = [
        Value::from("lead_a"),
        Value::from("contacted"),
        Value::Integer(LEAP_DAY_LAST_SECOND + 60),
    ];
    let changed = execute(&database, UPDATE_LEAD_STATUS, &parameters).unwrap();

    assert_eq!(changed, 1);
    let (status, updated_at): (String, i64) = database
        .query_row(
            "SELECT status, updated_at FROM leads WHERE id = 'lead_a'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "contacted");
    assert_eq!(updated_at, LEAP_DAY_LAST_SECOND + 60);
}

#[test]
fn status_changes_keep_counts_consistent() {
    let database = migrated_database();
    insert_new_lead(&database, "lead_a", "website", LEAP_DAY_LAST_SECOND);
    insert_new_lead(&database, "lead_b", "website", LEAP_DAY_LAST_SECOND + 1);
    insert_new_lead(&database, "lead_c", "phone", LEAP_DAY_LAST_SECOND);

    change_status(
        &database,
        "lead_a",
        LeadStatus::Contacted,
        LEAP_DAY_LAST_SECOND + 5,
    );
    change_status(
        &database,
        "lead_a",
        LeadStatus::Converted,
        LEAP_DAY_LAST_SECOND + 9,
    );
    change_status(
        &database,
        "lead_b",
        LeadStatus::Lost,
        LEAP_DAY_LAST_SECOND + 9,
    );

    let differences = select(&database, SELECT_COUNT_DIFFERENCES, &[]);
    assert_eq!(differences, Vec::<Vec<Value>>::new());
    let counts: Vec<(i64, String, String, i64)> = database
        .prepare("SELECT day, source, status, count FROM lead_daily_counts WHERE count > 0")
        .unwrap()
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let leap_day = LEAP_DAY_LAST_SECOND / 86_400;
    assert_eq!(
        counts,
        vec![
            (leap_day, "phone".into(), "new".into(), 1),
            (leap_day, "website".into(), "converted".into(), 1),
            (leap_day + 1, "website".into(), "lost".into(), 1),
        ]
    );
}
