//! The claim statements against a real SQLite database.

use super::*;
use crate::sqlite_fixture::{execute, migrated_database, select};

const SCOPE: [u8; 32] = [1; 32];
const BODY: [u8; 32] = [2; 32];
const OTHER_BODY: [u8; 32] = [3; 32];
const NOW: i64 = 1_760_783_400;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(seconds)
}

/// Runs [`CLAIM`] and returns whether it took the key.
fn claim(database: &rusqlite::Connection, body: &[u8; 32], token: &str, now: i64) -> bool {
    let parameters = claim_parameters(&SCOPE, body, token, at(now));
    execute(database, CLAIM, &parameters).unwrap() == 1
}

fn holder(database: &rusqlite::Connection, body: &[u8; 32]) -> IdempotencyClaim {
    let parameters = [Value::Blob(SCOPE.to_vec()), Value::Blob(body.to_vec())];
    let rows = select(database, SELECT_CLAIM, &parameters);
    classify(decode_holder(&rows[0]).unwrap())
}

fn complete(database: &rusqlite::Connection, token: &str, lead_id: &str, now: i64) -> bool {
    let parameters = [
        Value::Blob(SCOPE.to_vec()),
        Value::from(token),
        Value::Integer(now),
        Value::from(lead_id),
    ];
    execute(database, COMPLETE, &parameters).unwrap() == 1
}

#[test]
fn first_claim_wins() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "first", NOW));
    assert!(!claim(&database, &BODY, "second", NOW));
    assert_eq!(holder(&database, &BODY), IdempotencyClaim::InFlight);
    assert_eq!(holder(&database, &OTHER_BODY), IdempotencyClaim::OtherBody);
}

#[test]
fn finished_claim_names_its_token() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "first", NOW));
    assert!(complete(&database, "first", "lead_abc", NOW + 1));

    assert!(!claim(&database, &BODY, "second", NOW + 120));
    assert_eq!(
        holder(&database, &BODY),
        IdempotencyClaim::Completed {
            token: "first".into()
        }
    );
    assert_eq!(holder(&database, &OTHER_BODY), IdempotencyClaim::OtherBody);
}

#[test]
fn completing_needs_current_token() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "first", NOW));
    assert!(!complete(&database, "stale", "lead_abc", NOW));
}

#[test]
fn unfinished_claim_is_taken_over_after_lease() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "first", NOW));
    assert!(!claim(
        &database,
        &BODY,
        "second",
        NOW + IDEMPOTENCY_LEASE_SECONDS - 1
    ));
    assert!(claim(
        &database,
        &OTHER_BODY,
        "third",
        NOW + IDEMPOTENCY_LEASE_SECONDS
    ));
    assert!(!complete(&database, "first", "lead_abc", NOW + 61));
    assert!(complete(&database, "third", "lead_abc", NOW + 61));
}

#[test]
fn finished_claim_expires_after_a_day() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "first", NOW));
    assert!(complete(&database, "first", "lead_abc", NOW));

    let day = IDEMPOTENCY_RETENTION_SECONDS;
    assert!(!claim(&database, &OTHER_BODY, "second", NOW + day - 1));
    assert!(claim(&database, &OTHER_BODY, "third", NOW + day));
    assert_eq!(holder(&database, &OTHER_BODY), IdempotencyClaim::InFlight);
}

/// Inserts a lead row with id `id`, deleted when `deleted` is set.
fn insert_lead(database: &rusqlite::Connection, id: &str, deleted: bool) {
    let deleted_at = if deleted {
        Value::Integer(NOW)
    } else {
        Value::Null
    };
    execute(
        database,
        "INSERT INTO leads (id, name, email, email_key, source, status, created_at, deleted_at) \
         VALUES (?1, 'Ada', 'ada@example.com', ?1, 'website', 'new', ?2, ?3)",
        &[Value::from(id), Value::Integer(NOW), deleted_at],
    )
    .unwrap();
}

fn fingerprint_is_erased(database: &rusqlite::Connection) -> bool {
    let rows = select(
        database,
        "SELECT fingerprint IS NULL FROM idempotency_keys WHERE scope_hash = ?1",
        &[Value::Blob(SCOPE.to_vec())],
    );
    rows[0][0] == Value::Integer(1)
}

#[test]
fn erased_body_digest_matches_no_body() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "first", NOW));
    assert!(complete(&database, "first", "lead_abc", NOW));
    execute(
        &database,
        "UPDATE idempotency_keys SET fingerprint = NULL WHERE lead_id = 'lead_abc'",
        &[],
    )
    .unwrap();

    assert_eq!(holder(&database, &BODY), IdempotencyClaim::Erased);
    assert_eq!(holder(&database, &OTHER_BODY), IdempotencyClaim::Erased);
    assert!(!claim(&database, &OTHER_BODY, "second", NOW + 120));
}

#[test]
fn erased_key_expires_after_a_day() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "first", NOW));
    assert!(complete(&database, "first", "lead_abc", NOW));
    execute(
        &database,
        "UPDATE idempotency_keys SET fingerprint = NULL",
        &[],
    )
    .unwrap();

    let day = IDEMPOTENCY_RETENTION_SECONDS;
    assert!(!claim(&database, &OTHER_BODY, "second", NOW + day - 1));
    assert!(claim(&database, &OTHER_BODY, "third", NOW + day));
    assert_eq!(holder(&database, &OTHER_BODY), IdempotencyClaim::InFlight);
}

#[test]
fn completing_for_erased_lead_erases_digest() {
    let database = migrated_database();
    insert_lead(&database, "lead_gone", true);
    assert!(claim(&database, &BODY, "first", NOW));

    assert!(complete(&database, "first", "lead_gone", NOW + 1));

    assert!(fingerprint_is_erased(&database));
    assert_eq!(holder(&database, &BODY), IdempotencyClaim::Erased);
}

#[test]
fn completing_for_live_lead_keeps_digest() {
    let database = migrated_database();
    insert_lead(&database, "lead_live", false);
    assert!(claim(&database, &BODY, "first", NOW));

    assert!(complete(&database, "first", "lead_live", NOW + 1));

    assert!(!fingerprint_is_erased(&database));
    assert_eq!(
        holder(&database, &BODY),
        IdempotencyClaim::Completed {
            token: "first".into()
        }
    );
}

#[test]
fn completing_without_lead_keeps_digest() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "first", NOW));
    let parameters = [
        Value::Blob(SCOPE.to_vec()),
        Value::from("first"),
        Value::Integer(NOW + 1),
        Value::Null,
    ];

    assert_eq!(execute(&database, COMPLETE, &parameters).unwrap(), 1);

    assert!(!fingerprint_is_erased(&database));
    assert_eq!(holder(&database, &OTHER_BODY), IdempotencyClaim::OtherBody);
}

#[test]
fn take_over_needs_old_token() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "first", NOW));
    assert!(complete(&database, "first", "lead_abc", NOW));

    let take_over = |old: &str, new: &str| {
        let parameters = [
            Value::Blob(SCOPE.to_vec()),
            Value::from(old),
            Value::Blob(BODY.to_vec()),
            Value::from(new),
            Value::Integer(NOW + 5),
        ];
        execute(&database, TAKE_OVER, &parameters).unwrap() == 1
    };
    assert!(!take_over("stale", "second"));
    assert!(take_over("first", "third"));
    assert!(!take_over("first", "fourth"));
    assert_eq!(holder(&database, &BODY), IdempotencyClaim::InFlight);
}

#[test]
fn expired_claims_are_selected_for_purge() {
    let database = migrated_database();
    assert!(claim(&database, &BODY, "old", NOW));
    let expired_before = |cutoff: i64| {
        select(
            &database,
            SELECT_EXPIRED,
            &[Value::Integer(cutoff), Value::Integer(10)],
        )
    };
    assert!(expired_before(NOW - 1).is_empty());
    let rows = expired_before(NOW);
    assert_eq!(rows.len(), 1);
    let Some(Value::Blob(scope)) = rows[0].first() else {
        panic!("expected the scope digest, found {rows:?}");
    };
    assert_eq!(decode_digest(scope, "scope_hash").unwrap(), SCOPE);
}

#[test]
fn schema_rejects_short_digests() {
    let database = migrated_database();
    let parameters = claim_parameters(&SCOPE, &BODY, "first", at(NOW));
    let mut short = parameters.to_vec();
    short[0] = Value::Blob(vec![1; 31]);
    let error = execute(&database, CLAIM, &short).unwrap_err();
    assert!(
        error.to_string().contains("CHECK constraint failed"),
        "{error}"
    );
}

#[test]
fn decode_digest_rejects_other_lengths() {
    assert!(decode_digest(&[0; 31], "scope_hash").is_err());
    assert!(decode_digest(&[0; 33], "scope_hash").is_err());
}
