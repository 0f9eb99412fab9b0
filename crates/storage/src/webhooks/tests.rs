//! Subscription and delivery-creation SQL against a real in-memory SQLite
//! database.

use spin_sdk::sqlite::Value;

use super::*;
use crate::sqlite_fixture::{execute, migrated_database, select};

fn store_subscription(database: &rusqlite::Connection, id: &str, event_types: &str) {
    let parameters = [
        Value::from(id),
        Value::from(format!("https://hooks.example.com/{id}")),
        Value::from(event_types),
        Value::from("whsec_c2VjcmV0"),
        Value::Integer(1_760_783_400),
    ];
    execute(database, INSERT_SUBSCRIPTION, &parameters).unwrap();
}

fn create(database: &rusqlite::Connection, event_id: &str, event_type: &str) -> usize {
    let parameters = [
        Value::from(event_id),
        Value::from(event_type),
        Value::from("{}"),
        Value::Integer(1_760_783_400_000),
    ];
    execute(database, INSERT_DELIVERIES, &parameters).unwrap()
}

fn delivery_subscriptions(database: &rusqlite::Connection, event_id: &str) -> Vec<String> {
    let mut statement = database
        .prepare(
            "SELECT subscription_id FROM webhook_deliveries WHERE event_id = ?1 \
             ORDER BY subscription_id",
        )
        .unwrap();
    statement
        .query_map([event_id], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn deliveries_go_to_matching_subscriptions() {
    let database = migrated_database();
    store_subscription(&database, "whk_both", "lead.created lead.status_updated");
    store_subscription(&database, "whk_created", "lead.created");
    store_subscription(&database, "whk_status", "lead.status_updated");

    assert_eq!(create(&database, "evt_1", "lead.created"), 2);
    assert_eq!(create(&database, "evt_2", "lead.status_updated"), 2);

    assert_eq!(
        delivery_subscriptions(&database, "evt_1"),
        ["whk_both", "whk_created"]
    );
    assert_eq!(
        delivery_subscriptions(&database, "evt_2"),
        ["whk_both", "whk_status"]
    );
}

#[test]
fn event_type_matches_whole_names_only() {
    let database = migrated_database();
    store_subscription(&database, "whk_a", "lead.status_updated");

    assert_eq!(create(&database, "evt_1", "lead.status"), 0);
    assert_eq!(create(&database, "evt_2", "status_updated"), 0);
}

#[test]
fn new_delivery_is_pending_and_due() {
    let database = migrated_database();
    store_subscription(&database, "whk_a", "lead.created");
    create(&database, "evt_1", "lead.created");

    let (id, state, attempts, next): (String, String, i64, i64) = database
        .query_row(
            "SELECT id, state, attempts, next_attempt_at_ms FROM webhook_deliveries",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();

    assert!(id.starts_with("dlv_"), "{id}");
    assert_eq!(id.len(), 28, "{id}");
    assert_eq!(state, "pending");
    assert_eq!(attempts, 0);
    assert_eq!(next, 0);
}

#[test]
fn no_subscriptions_means_no_deliveries() {
    let database = migrated_database();

    assert_eq!(create(&database, "evt_1", "lead.created"), 0);
}

#[test]
fn deleting_subscription_removes_deliveries_and_attempts() {
    let database = migrated_database();
    store_subscription(&database, "whk_a", "lead.created");
    store_subscription(&database, "whk_b", "lead.created");
    create(&database, "evt_1", "lead.created");
    database
        .execute(
            "INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at_ms, duration_ms) \
             SELECT id, 1, 0, 5 FROM webhook_deliveries",
            [],
        )
        .unwrap();

    let id = [Value::from("whk_a")];
    execute(&database, DELETE_SUBSCRIPTION_ATTEMPTS, &id).unwrap();
    execute(&database, DELETE_SUBSCRIPTION_DELIVERIES, &id).unwrap();
    let deleted = select(&database, DELETE_SUBSCRIPTION, &id);

    assert_eq!(deleted.len(), 1);
    assert_eq!(delivery_subscriptions(&database, "evt_1"), ["whk_b"]);
    let attempts: i64 = database
        .query_row("SELECT COUNT(*) FROM webhook_attempts", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(attempts, 1);
    assert!(select(&database, DELETE_SUBSCRIPTION, &id).is_empty());
}

#[test]
fn subscriptions_decode_with_event_types() {
    let database = migrated_database();
    store_subscription(&database, "whk_a", "lead.created lead.status_updated");

    let rows = select(&database, SELECT_SUBSCRIPTIONS, &[]);
    let subscription = decode_subscription(&rows[0]).unwrap();

    assert_eq!(subscription.id, "whk_a");
    assert_eq!(
        subscription.event_types,
        [EventType::LeadCreated, EventType::LeadStatusUpdated]
    );
    assert_eq!(
        join_event_types(&subscription.event_types),
        "lead.created lead.status_updated"
    );
}

#[test]
fn unknown_stored_event_type_is_decode_error() {
    let error = split_event_types("lead.created lead.deleted").unwrap_err();

    assert!(
        matches!(
            error,
            StorageError::Decode {
                column: "event_types",
                ..
            }
        ),
        "{error:?}"
    );
}
