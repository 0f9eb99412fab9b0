//! Outbox SQL against a real in-memory SQLite database.

use spin_sdk::sqlite::Value;

use super::*;
use crate::sqlite_fixture::{execute, migrated_database, select};

const NOW_MS: i64 = 1_760_783_400_000;
const LEASE_MS: i64 = 10_000;

/// Stores an event of `lead_id` as [`enqueue`] does, without deliveries.
fn store_event(database: &rusqlite::Connection, id: &str, lead_id: &str) {
    let parameters = [
        Value::from(id),
        Value::from(lead_id),
        Value::from("lead.created"),
        Value::from(format!("{{\"id\":\"{id}\"}}")),
        Value::Integer(NOW_MS / 1000),
    ];
    execute(database, INSERT_EVENT, &parameters).unwrap();
}

/// Claims up to `limit` events for `token` at `now_ms` and returns their
/// ids in sequence order.
fn claim(database: &rusqlite::Connection, token: &str, now_ms: i64, limit: i64) -> Vec<String> {
    let parameters = [
        Value::from(token),
        Value::Integer(now_ms + LEASE_MS),
        Value::Integer(now_ms),
        Value::Integer(limit),
    ];
    let mut events: Vec<PendingEvent> = select(database, CLAIM_EVENTS, &parameters)
        .iter()
        .map(|row| decode_pending_event(row).unwrap())
        .collect();
    events.sort_by_key(|event| event.sequence);
    events.into_iter().map(|event| event.id).collect()
}

fn sequence_of(database: &rusqlite::Connection, id: &str) -> i64 {
    database
        .query_row(
            "SELECT sequence FROM event_outbox WHERE id = ?1",
            [id],
            |row| row.get(0),
        )
        .unwrap()
}

fn pending_ids(database: &rusqlite::Connection) -> Vec<String> {
    let mut statement = database
        .prepare("SELECT id FROM event_outbox ORDER BY sequence")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn claim_takes_oldest_events_first() {
    let database = migrated_database();
    for (id, lead) in [
        ("evt_1", "lead_a"),
        ("evt_2", "lead_b"),
        ("evt_3", "lead_c"),
    ] {
        store_event(&database, id, lead);
    }

    let claimed = claim(&database, "token_a", NOW_MS, 2);

    assert_eq!(claimed, ["evt_1", "evt_2"]);
}

#[test]
fn claimed_events_are_not_claimed_twice() {
    let database = migrated_database();
    for (id, lead) in [("evt_1", "lead_a"), ("evt_2", "lead_b")] {
        store_event(&database, id, lead);
    }
    claim(&database, "token_a", NOW_MS, 1);

    let second = claim(&database, "token_b", NOW_MS + 1, 10);

    assert_eq!(second, ["evt_2"]);
}

#[test]
fn later_event_of_claimed_lead_waits() {
    let database = migrated_database();
    store_event(&database, "evt_1", "lead_a");
    claim(&database, "token_a", NOW_MS, 10);
    store_event(&database, "evt_2", "lead_a");
    store_event(&database, "evt_3", "lead_b");

    let second = claim(&database, "token_b", NOW_MS + 1, 10);

    assert_eq!(second, ["evt_3"]);
}

#[test]
fn expired_claim_can_be_taken_over() {
    let database = migrated_database();
    store_event(&database, "evt_1", "lead_a");
    store_event(&database, "evt_2", "lead_a");
    claim(&database, "token_a", NOW_MS, 1);

    let second = claim(&database, "token_b", NOW_MS + LEASE_MS, 10);

    assert_eq!(second, ["evt_1", "evt_2"]);
}

#[test]
fn lead_events_enter_batch_in_order() {
    let database = migrated_database();
    store_event(&database, "evt_1", "lead_a");
    store_event(&database, "evt_2", "lead_b");
    store_event(&database, "evt_3", "lead_a");

    let claimed = claim(&database, "token_a", NOW_MS, 2);

    assert_eq!(claimed, ["evt_1", "evt_2"]);
    let rest = claim(&database, "token_b", NOW_MS, 10);
    assert!(rest.is_empty(), "evt_3 waits for evt_1: {rest:?}");
}

#[test]
fn published_prefix_is_deleted_and_rest_released() {
    let database = migrated_database();
    for (id, lead) in [
        ("evt_1", "lead_a"),
        ("evt_2", "lead_b"),
        ("evt_3", "lead_c"),
    ] {
        store_event(&database, id, lead);
    }
    claim(&database, "token_a", NOW_MS, 10);
    let through = sequence_of(&database, "evt_1");

    execute(
        &database,
        DELETE_PUBLISHED,
        &[Value::from("token_a"), Value::Integer(through)],
    )
    .unwrap();
    execute(
        &database,
        RELEASE_CLAIM,
        &[Value::from("token_a"), Value::from("connection refused")],
    )
    .unwrap();

    assert_eq!(pending_ids(&database), ["evt_2", "evt_3"]);
    let (attempts, error): (i64, String) = database
        .query_row(
            "SELECT attempts, last_error FROM event_outbox WHERE id = 'evt_2'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(attempts, 1);
    assert_eq!(error, "connection refused");
    assert_eq!(claim(&database, "token_b", NOW_MS, 10), ["evt_2", "evt_3"]);
}

#[test]
fn delete_ignores_other_claims() {
    let database = migrated_database();
    store_event(&database, "evt_1", "lead_a");
    claim(&database, "token_a", NOW_MS, 10);
    claim(&database, "token_b", NOW_MS + LEASE_MS, 10);
    let through = sequence_of(&database, "evt_1");

    let deleted = execute(
        &database,
        DELETE_PUBLISHED,
        &[Value::from("token_a"), Value::Integer(through)],
    )
    .unwrap();

    assert_eq!(deleted, 0);
    assert_eq!(pending_ids(&database), ["evt_1"]);
}

#[test]
fn claimable_check_sees_only_free_events() {
    let database = migrated_database();
    let check =
        |now_ms: i64| !select(&database, SELECT_CLAIMABLE, &[Value::Integer(now_ms)]).is_empty();
    assert!(!check(NOW_MS));

    store_event(&database, "evt_1", "lead_a");
    assert!(check(NOW_MS));

    claim(&database, "token_a", NOW_MS, 10);
    assert!(!check(NOW_MS + 1));
    assert!(check(NOW_MS + LEASE_MS));
}

#[test]
fn event_ids_are_unique_in_outbox() {
    let database = migrated_database();
    store_event(&database, "evt_1", "lead_a");

    let parameters = [
        Value::from("evt_1"),
        Value::from("lead_b"),
        Value::from("lead.created"),
        Value::from("{}"),
        Value::Integer(0),
    ];
    let error = execute(&database, INSERT_EVENT, &parameters).unwrap_err();

    assert!(error.to_string().contains("UNIQUE"), "{error}");
}

#[test]
fn generated_event_ids_have_prefix_and_length() {
    let id = generate_event_id().unwrap();

    assert!(id.starts_with("evt_"), "{id}");
    assert_eq!(id.len(), 4 + 24);
    assert!(
        id[4..].bytes().all(|byte| byte.is_ascii_alphanumeric()),
        "{id}"
    );
}
