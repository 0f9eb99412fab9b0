//! Rate-limit SQL against real SQLite databases, in memory and on disk.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use super::*;
use crate::sqlite_fixture::{execute, migrate, migrated_database, select};

const WINDOW_MS: i64 = 60_000;
const START_MS: i64 = 1_760_783_400_000;

/// Runs the statements of [`admit_in_transaction`] in a `BEGIN IMMEDIATE`
/// transaction, as [`Database::admit_rate_limited`] does.
fn admit(database: &rusqlite::Connection, bucket: &str, now_ms: i64, limit: u32) -> RateDecision {
    let cutoff = now_ms - WINDOW_MS;
    database.execute_batch("BEGIN IMMEDIATE").unwrap();

    let expired = [Value::from(bucket), Value::Integer(cutoff)];
    execute(database, DELETE_EXPIRED_HITS, &expired).unwrap();
    execute(database, SWEEP_EXPIRED_HITS, &[Value::Integer(cutoff)]).unwrap();

    let rows = select(database, COUNT_HITS, &[Value::from(bucket)]);
    let row = rows.into_iter().next().map(|values| RowResult { values });
    let (count, oldest) = decode_count(row.as_ref()).unwrap();

    let decision = decide(count, oldest, limit, now_ms);
    if decision.admitted {
        let hit = [Value::from(bucket), Value::Integer(now_ms)];
        execute(database, INSERT_HIT, &hit).unwrap();
    }
    database.execute_batch("COMMIT").unwrap();
    decision
}

fn stored_hits(database: &rusqlite::Connection, bucket: &str) -> i64 {
    database
        .query_row(
            "SELECT COUNT(*) FROM rate_limit_hits WHERE bucket = ?1",
            [bucket],
            |row| row.get(0),
        )
        .unwrap()
}

fn all_hits(database: &rusqlite::Connection) -> i64 {
    database
        .query_row("SELECT COUNT(*) FROM rate_limit_hits", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn first_request_is_admitted() {
    let database = migrated_database();
    let decision = admit(&database, "leads:key_a", START_MS, 3);

    assert_eq!(
        decision,
        RateDecision {
            admitted: true,
            count_in_window: 1,
            oldest_at_ms: Some(START_MS),
        }
    );
}

#[test]
fn requests_beyond_limit_are_rejected() {
    let database = migrated_database();
    for offset in 0..3 {
        assert!(admit(&database, "leads:key_a", START_MS + offset, 3).admitted);
    }

    let decision = admit(&database, "leads:key_a", START_MS + 10, 3);
    assert_eq!(
        decision,
        RateDecision {
            admitted: false,
            count_in_window: 3,
            oldest_at_ms: Some(START_MS),
        }
    );
}

#[test]
fn rejected_requests_are_not_recorded() {
    let database = migrated_database();
    for offset in 0..10 {
        admit(&database, "leads:key_a", START_MS + offset, 3);
    }
    assert_eq!(stored_hits(&database, "leads:key_a"), 3);
}

#[test]
fn entry_leaves_window_after_window_length() {
    let database = migrated_database();
    admit(&database, "leads:key_a", START_MS, 1);

    let just_inside = admit(&database, "leads:key_a", START_MS + WINDOW_MS - 1, 1);
    assert!(!just_inside.admitted);
    let aged_out = admit(&database, "leads:key_a", START_MS + WINDOW_MS, 1);
    assert!(aged_out.admitted);
    assert_eq!(aged_out.count_in_window, 1);
    assert_eq!(aged_out.oldest_at_ms, Some(START_MS + WINDOW_MS));
}

#[test]
fn minute_boundary_grants_no_second_budget() {
    let database = migrated_database();
    let minute = START_MS - START_MS % WINDOW_MS;
    let before_boundary = minute + 59_900;
    let after_boundary = minute + WINDOW_MS + 100;

    let first: Vec<bool> = (0..100)
        .map(|_| admit(&database, "leads:key_a", before_boundary, 100).admitted)
        .collect();
    let second: Vec<bool> = (0..100)
        .map(|_| admit(&database, "leads:key_a", after_boundary, 100).admitted)
        .collect();

    assert!(first.iter().all(|admitted| *admitted));
    assert!(second.iter().all(|admitted| !admitted));
    let later = admit(&database, "leads:key_a", before_boundary + WINDOW_MS, 100);
    assert!(later.admitted);
}

#[test]
fn oldest_entry_is_reported() {
    let database = migrated_database();
    admit(&database, "leads:key_a", START_MS, 5);
    admit(&database, "leads:key_a", START_MS + 1_000, 5);

    let decision = admit(&database, "leads:key_a", START_MS + 2_000, 5);
    assert_eq!(decision.count_in_window, 3);
    assert_eq!(decision.oldest_at_ms, Some(START_MS));

    let decision = admit(&database, "leads:key_a", START_MS + WINDOW_MS + 500, 5);
    assert_eq!(decision.count_in_window, 3);
    assert_eq!(decision.oldest_at_ms, Some(START_MS + 1_000));
}

#[test]
fn buckets_have_separate_budgets() {
    let database = migrated_database();
    assert!(admit(&database, "leads:key_a", START_MS, 1).admitted);
    assert!(admit(&database, "leads:key_b", START_MS, 1).admitted);
    assert!(admit(&database, "analytics:key_a", START_MS, 1).admitted);
    assert!(!admit(&database, "leads:key_a", START_MS, 1).admitted);
}

#[test]
fn sweep_removes_expired_entries_of_other_buckets() {
    let database = migrated_database();
    for caller in 0..10 {
        admit(
            &database,
            &format!("health:ip:10.0.0.{caller}"),
            START_MS,
            5,
        );
    }

    admit(&database, "health:ip:10.0.0.99", START_MS + WINDOW_MS, 5);
    assert_eq!(all_hits(&database), 1);
}

#[test]
fn sweep_reads_at_most_sixteen_rows() {
    let database = migrated_database();
    for caller in 0..40 {
        admit(
            &database,
            &format!("health:ip:10.0.1.{caller}"),
            START_MS,
            5,
        );
    }

    admit(&database, "health:ip:10.0.0.99", START_MS + WINDOW_MS, 5);
    assert_eq!(all_hits(&database), 40 - 16 + 1);
}

#[test]
fn sweep_keeps_entries_inside_window() {
    let database = migrated_database();
    admit(&database, "leads:key_a", START_MS + 5_000, 5);

    admit(&database, "leads:key_b", START_MS + WINDOW_MS, 5);
    assert_eq!(stored_hits(&database, "leads:key_a"), 1);
}

#[test]
fn count_uses_bucket_index() {
    let database = migrated_database();
    let plan: String = database
        .query_row(
            &format!("EXPLAIN QUERY PLAN {COUNT_HITS}"),
            ["leads:key_a"],
            |row| row.get(3),
        )
        .unwrap();
    assert!(plan.contains("rate_limit_hits_bucket_at"), "{plan}");
}

#[test]
fn decide_admits_below_limit() {
    let decision = decide(2, Some(START_MS - 5), 3, START_MS);
    assert_eq!(
        decision,
        RateDecision {
            admitted: true,
            count_in_window: 3,
            oldest_at_ms: Some(START_MS - 5),
        }
    );
}

#[test]
fn decide_rejects_at_limit() {
    let decision = decide(3, Some(START_MS - 5), 3, START_MS);
    assert_eq!(
        decision,
        RateDecision {
            admitted: false,
            count_in_window: 3,
            oldest_at_ms: Some(START_MS - 5),
        }
    );
}

#[test]
fn decide_rejects_above_lowered_limit() {
    let decision = decide(7, Some(START_MS - 5), 3, START_MS);
    assert!(!decision.admitted);
    assert_eq!(decision.count_in_window, 7);
}

#[test]
fn decide_on_empty_window_reports_this_request() {
    let decision = decide(0, None, 1, START_MS);
    assert_eq!(decision.oldest_at_ms, Some(START_MS));
}

#[test]
fn decide_keeps_entry_from_later_clock() {
    let decision = decide(1, Some(START_MS + 1_000), 5, START_MS);
    assert_eq!(decision.oldest_at_ms, Some(START_MS));
}

#[test]
fn count_row_without_entries_decodes() {
    let row = RowResult {
        values: vec![Value::Integer(0), Value::Null],
    };
    assert_eq!(decode_count(Some(&row)).unwrap(), (0, None));
}

#[test]
fn missing_count_row_is_decode_error() {
    let error = decode_count(None).unwrap_err();
    assert!(matches!(error, StorageError::Decode { .. }), "{error:?}");
}

#[test]
fn concurrent_requests_admit_exactly_limit() {
    const THREADS: usize = 50;
    const LIMIT: u32 = 20;

    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("rate-limits.db");
    let setup = rusqlite::Connection::open(&path).unwrap();
    setup
        .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    migrate(&setup);

    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                let database = rusqlite::Connection::open(path).unwrap();
                database.busy_timeout(Duration::from_secs(30)).unwrap();
                barrier.wait();
                admit(&database, "leads:key_shared", START_MS, LIMIT)
            })
        })
        .collect();
    let decisions: Vec<RateDecision> = workers
        .into_iter()
        .map(|worker| worker.join().unwrap())
        .collect();

    let admitted = decisions
        .iter()
        .filter(|decision| decision.admitted)
        .count();
    assert_eq!(admitted, LIMIT as usize);
    assert_eq!(stored_hits(&setup, "leads:key_shared"), i64::from(LIMIT));
    let mut counts: Vec<u32> = decisions
        .iter()
        .filter(|decision| decision.admitted)
        .map(|decision| decision.count_in_window)
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=LIMIT).collect::<Vec<_>>());
}
