//! Delivery SQL against a real in-memory SQLite database.

use spin_sdk::sqlite::Value;

use super::*;
use crate::sqlite_fixture::{execute, migrated_database, select};
use crate::webhooks::{INSERT_DELIVERIES, INSERT_SUBSCRIPTION};

const NOW_MS: i64 = 1_760_783_400_000;
const LEASE_MS: i64 = 30_000;

/// A database with one subscription to `lead.created` and one pending
/// delivery of each event in `event_ids`.
fn database_with_deliveries(event_ids: &[&str]) -> rusqlite::Connection {
    let database = migrated_database();
    let subscription = [
        Value::from("whk_a"),
        Value::from("https://hooks.example.com/a"),
        Value::from("lead.created"),
        Value::from("whsec_c2VjcmV0"),
        Value::Integer(NOW_MS / 1000),
    ];
    execute(&database, INSERT_SUBSCRIPTION, &subscription).unwrap();
    for (offset, event_id) in (0..).zip(event_ids) {
        let parameters = [
            Value::from(*event_id),
            Value::from("lead.created"),
            Value::from(format!("{{\"id\":\"{event_id}\"}}")),
            Value::Integer(NOW_MS + offset),
        ];
        execute(&database, INSERT_DELIVERIES, &parameters).unwrap();
    }
    database
}

fn claim(database: &rusqlite::Connection, token: &str, now_ms: i64) -> Vec<ClaimedDelivery> {
    let parameters = [
        Value::from(token),
        Value::Integer(now_ms + LEASE_MS),
        Value::Integer(now_ms),
        Value::Integer(10),
    ];
    execute(database, CLAIM_DELIVERIES, &parameters).unwrap();
    select(database, SELECT_CLAIMED, &[Value::from(token)])
        .iter()
        .map(|row| decode_claimed(row).unwrap())
        .collect()
}

fn record(database: &rusqlite::Connection, token: &str, record: &AttemptRecord) -> usize {
    let attempt = [
        Value::from(record.delivery_id.as_str()),
        Value::Integer(i64::from(record.attempt)),
        Value::Integer(record.attempted_at_ms),
        Value::Integer(record.duration_ms),
        Value::from(record.status_code.map(i64::from)),
        Value::from(record.error.as_deref()),
    ];
    execute(database, INSERT_ATTEMPT, &attempt).unwrap();
    let delivery = [
        Value::from(record.delivery_id.as_str()),
        Value::from(token),
        Value::Integer(i64::from(record.attempt)),
        Value::from(record.state.as_str()),
        Value::from(record.next_attempt_at_ms),
        Value::Integer(record.attempted_at_ms + record.duration_ms),
    ];
    execute(database, UPDATE_DELIVERY, &delivery).unwrap()
}

fn failed_attempt(delivery_id: &str, attempt: u32, retry_at_ms: Option<i64>) -> AttemptRecord {
    AttemptRecord {
        delivery_id: delivery_id.to_owned(),
        attempt,
        attempted_at_ms: NOW_MS,
        duration_ms: 12,
        status_code: Some(500),
        error: Some("the target answered 500".to_owned()),
        state: if retry_at_ms.is_some() {
            DeliveryState::Pending
        } else {
            DeliveryState::Failed
        },
        next_attempt_at_ms: retry_at_ms,
    }
}

fn list(database: &rusqlite::Connection) -> Vec<DeliverySummary> {
    let parameters = [Value::from("whk_a"), Value::Integer(LISTED_DELIVERIES)];
    let mut deliveries: Vec<DeliverySummary> = select(database, SELECT_DELIVERIES, &parameters)
        .iter()
        .map(|row| decode_summary(row).unwrap())
        .collect();
    for row in select(database, SELECT_ATTEMPTS, &parameters) {
        let (delivery_id, attempt) = decode_attempt(&row).unwrap();
        let delivery = deliveries.iter_mut().find(|d| d.id == delivery_id).unwrap();
        delivery.attempts.push(attempt);
    }
    deliveries
}

#[test]
fn claim_returns_target_and_secret() {
    let database = database_with_deliveries(&["evt_1"]);

    let claimed = claim(&database, "token_a", NOW_MS);

    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].event_id, "evt_1");
    assert_eq!(claimed[0].url, "https://hooks.example.com/a");
    assert_eq!(claimed[0].secret, "whsec_c2VjcmV0");
    assert_eq!(claimed[0].payload, r#"{"id":"evt_1"}"#);
    assert_eq!(claimed[0].attempts, 0);
}

#[test]
fn claimed_delivery_is_not_claimed_again_until_lease_ends() {
    let database = database_with_deliveries(&["evt_1"]);
    claim(&database, "token_a", NOW_MS);

    assert!(claim(&database, "token_b", NOW_MS + 1).is_empty());
    assert_eq!(claim(&database, "token_c", NOW_MS + LEASE_MS).len(), 1);
}

#[test]
fn failed_attempt_schedules_retry() {
    let database = database_with_deliveries(&["evt_1"]);
    let delivery = claim(&database, "token_a", NOW_MS).remove(0);

    let changed = record(
        &database,
        "token_a",
        &failed_attempt(&delivery.id, 1, Some(NOW_MS + 2_000)),
    );

    assert_eq!(changed, 1);
    assert!(claim(&database, "token_b", NOW_MS + 1_999).is_empty());
    let retried = claim(&database, "token_c", NOW_MS + 2_000);
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts, 1);
}

#[test]
fn final_failure_drops_payload() {
    let database = database_with_deliveries(&["evt_1"]);
    let delivery = claim(&database, "token_a", NOW_MS).remove(0);

    record(&database, "token_a", &failed_attempt(&delivery.id, 1, None));

    let (state, payload, next): (String, Option<String>, Option<i64>) = database
        .query_row(
            "SELECT state, payload, next_attempt_at_ms FROM webhook_deliveries",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(state, "failed");
    assert_eq!(payload, None);
    assert_eq!(next, None);
    assert!(claim(&database, "token_b", NOW_MS + 10 * LEASE_MS).is_empty());
}

#[test]
fn update_under_lost_claim_changes_nothing() {
    let database = database_with_deliveries(&["evt_1"]);
    let delivery = claim(&database, "token_a", NOW_MS).remove(0);
    claim(&database, "token_b", NOW_MS + LEASE_MS);

    let changed = record(
        &database,
        "token_a",
        &failed_attempt(&delivery.id, 1, Some(NOW_MS)),
    );

    assert_eq!(changed, 0);
}

#[test]
fn listing_shows_attempts_in_order() {
    let database = database_with_deliveries(&["evt_1", "evt_2"]);
    let first = claim(&database, "token_a", NOW_MS);
    let evt_1 = first.iter().find(|d| d.event_id == "evt_1").unwrap();
    record(
        &database,
        "token_a",
        &failed_attempt(&evt_1.id, 1, Some(NOW_MS)),
    );
    let again = claim(&database, "token_b", NOW_MS);
    let evt_1 = again.iter().find(|d| d.event_id == "evt_1").unwrap();
    let success = AttemptRecord {
        delivery_id: evt_1.id.clone(),
        attempt: 2,
        attempted_at_ms: NOW_MS + 5,
        duration_ms: 3,
        status_code: Some(204),
        error: None,
        state: DeliveryState::Succeeded,
        next_attempt_at_ms: None,
    };
    record(&database, "token_b", &success);

    let deliveries = list(&database);

    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].event_id, "evt_2", "newest first");
    let evt_1 = &deliveries[1];
    assert_eq!(evt_1.state, DeliveryState::Succeeded);
    assert_eq!(evt_1.completed_at_ms, Some(NOW_MS + 8));
    assert_eq!(evt_1.next_attempt_at_ms, None);
    let codes: Vec<Option<u16>> = evt_1.attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(204)]);
    assert_eq!(evt_1.attempts[0].attempt, 1);
    assert_eq!(evt_1.attempts[1].error, None);
}

#[test]
fn due_check_skips_claimed_and_future_deliveries() {
    let database = database_with_deliveries(&["evt_1"]);
    let due = |now_ms: i64| !select(&database, SELECT_DUE, &[Value::Integer(now_ms)]).is_empty();
    assert!(due(NOW_MS));

    let delivery = claim(&database, "token_a", NOW_MS).remove(0);
    assert!(!due(NOW_MS + 1));

    record(
        &database,
        "token_a",
        &failed_attempt(&delivery.id, 1, Some(NOW_MS + 60_000)),
    );
    assert!(!due(NOW_MS + 59_999));
    assert!(due(NOW_MS + 60_000));
}

#[test]
fn nudge_slot_is_granted_once_per_interval() {
    let database = migrated_database();
    let take = |now_ms: i64| {
        let parameters = [Value::Integer(now_ms), Value::Integer(NUDGE_INTERVAL_MS)];
        !select(&database, TAKE_NUDGE, &parameters).is_empty()
    };

    assert!(take(NOW_MS));
    assert!(!take(NOW_MS + NUDGE_INTERVAL_MS - 1));
    assert!(take(NOW_MS + NUDGE_INTERVAL_MS));
}
