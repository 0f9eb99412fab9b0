//! Daily-count SQL, the backfill migration and the consistency check against
//! a real in-memory SQLite database.

use spin_sdk::sqlite::Value;

use super::rebuild::decode_correction;
use super::*;
use crate::sqlite_fixture::{execute, migrated_database, select};
use crate::{MIGRATIONS, Migration};

/// 2024-02-29T00:00:00Z, a leap day.
const LEAP_DAY_START: i64 = 1_709_164_800;

fn add(database: &rusqlite::Connection, day: i64, source: &str, status: &str, delta: i64) {
    let parameters = [
        Value::Integer(day),
        Value::from(source),
        Value::from(status),
        Value::Integer(delta),
    ];
    execute(database, ADD_TO_DAILY_COUNT, &parameters).unwrap();
}

fn subtract_one(database: &rusqlite::Connection, day: i64, source: &str, status: &str) {
    let parameters = [
        Value::Integer(day),
        Value::from(source),
        Value::from(status),
    ];
    execute(database, SUBTRACT_ONE_FROM_DAILY_COUNT, &parameters).unwrap();
}

fn stored_count(database: &rusqlite::Connection, day: i64, source: &str, status: &str) -> i64 {
    database
        .query_row(
            "SELECT COALESCE(SUM(count), 0) FROM lead_daily_counts \
             WHERE day = ?1 AND source = ?2 AND status = ?3",
            rusqlite::params![day, source, status],
            |row| row.get(0),
        )
        .unwrap()
}

/// Runs the same steps as [`Database::count_leads_by_day`] on a native
/// connection.
fn count_range(database: &rusqlite::Connection, first_day: i64, last_day: i64) -> RangeCounts {
    let rows = select(
        database,
        SUM_DAILY_COUNTS,
        &[Value::Integer(first_day), Value::Integer(last_day)],
    );
    let day_count = usize::try_from(last_day - first_day + 1).unwrap_or(0);
    let mut counts = RangeCounts {
        first_day,
        daily: vec![0; day_count],
        by_source: SourceCounts::default(),
        by_status: StatusCounts::default(),
    };
    for row in rows {
        add_sum_row(&mut counts, &row).unwrap();
    }
    counts
}

/// Inserts a lead row directly, bypassing the daily counts.
fn insert_lead_row(
    database: &rusqlite::Connection,
    id: &str,
    source: &str,
    status: &str,
    created_at: i64,
) {
    database
        .execute(
            "INSERT INTO leads (id, name, email, email_key, source, status, created_at) \
             VALUES (?1, 'Test Lead', ?2, ?2, ?3, ?4, ?5)",
            rusqlite::params![id, format!("{id}@example.com"), source, status, created_at],
        )
        .unwrap();
}

fn differences(database: &rusqlite::Connection) -> Vec<CountCorrection> {
    select(database, SELECT_COUNT_DIFFERENCES, &[])
        .iter()
        .map(|row| decode_correction(row).unwrap())
        .collect()
}

/// Checks whether `migration` creates the daily-count table.
fn is_daily_counts_migration(migration: &Migration) -> bool {
    migration
        .statements
        .iter()
        .any(|statement| statement.contains("CREATE TABLE lead_daily_counts"))
}

#[test]
fn unix_day_splits_at_midnight_utc() {
    let day = LEAP_DAY_START / SECONDS_PER_DAY;
    let at = |seconds| unix_day(Timestamp::from_unix_seconds(seconds));
    assert_eq!(at(LEAP_DAY_START - 1), day - 1);
    assert_eq!(at(LEAP_DAY_START), day);
    assert_eq!(at(LEAP_DAY_START + SECONDS_PER_DAY - 1), day);
    assert_eq!(at(LEAP_DAY_START + SECONDS_PER_DAY), day + 1);
}

#[test]
fn unix_day_rounds_down_before_epoch() {
    let at = |seconds| unix_day(Timestamp::from_unix_seconds(seconds));
    assert_eq!(at(0), 0);
    assert_eq!(at(-1), -1);
    assert_eq!(at(-SECONDS_PER_DAY), -1);
    assert_eq!(at(-SECONDS_PER_DAY - 1), -2);
}

#[test]
fn add_creates_then_increments_row() {
    let database = migrated_database();
    add(&database, 19_782, "website", "new", 1);
    add(&database, 19_782, "website", "new", 1);
    add(&database, 19_782, "social", "new", 1);

    assert_eq!(stored_count(&database, 19_782, "website", "new"), 2);
    assert_eq!(stored_count(&database, 19_782, "social", "new"), 1);
    assert_eq!(stored_count(&database, 19_783, "website", "new"), 0);
}

#[test]
fn subtract_stops_at_zero() {
    let database = migrated_database();
    add(&database, 10, "email", "contacted", 1);
    subtract_one(&database, 10, "email", "contacted");
    subtract_one(&database, 10, "email", "contacted");
    subtract_one(&database, 11, "email", "contacted");

    assert_eq!(stored_count(&database, 10, "email", "contacted"), 0);
    assert_eq!(stored_count(&database, 11, "email", "contacted"), 0);
}

#[test]
fn negative_count_is_rejected() {
    let database = migrated_database();
    let parameters = [
        Value::Integer(10),
        Value::from("email"),
        Value::from("new"),
        Value::Integer(-1),
    ];
    let error = execute(&database, ADD_TO_DAILY_COUNT, &parameters).unwrap_err();
    assert!(error.to_string().contains("CHECK constraint"), "{error}");
}

#[test]
fn unknown_source_is_rejected() {
    let database = migrated_database();
    let parameters = [
        Value::Integer(10),
        Value::from("fax"),
        Value::from("new"),
        Value::Integer(1),
    ];
    assert!(execute(&database, ADD_TO_DAILY_COUNT, &parameters).is_err());
}

#[test]
fn range_sums_days_sources_and_statuses() {
    let database = migrated_database();
    add(&database, 99, "website", "new", 7);
    add(&database, 100, "website", "new", 2);
    add(&database, 100, "referral", "converted", 1);
    add(&database, 102, "website", "lost", 3);
    add(&database, 102, "phone", "new", 4);
    add(&database, 103, "phone", "new", 5);

    let counts = count_range(&database, 100, 102);

    assert_eq!(counts.first_day, 100);
    assert_eq!(counts.daily, vec![3, 0, 7]);
    assert_eq!(counts.total(), 10);
    assert_eq!(
        counts.by_source,
        SourceCounts {
            website: 5,
            referral: 1,
            phone: 4,
            ..SourceCounts::default()
        }
    );
    assert_eq!(
        counts.by_status,
        StatusCounts {
            new: 6,
            converted: 1,
            lost: 3,
            ..StatusCounts::default()
        }
    );
}

#[test]
fn empty_range_counts_zero_days() {
    let database = migrated_database();
    add(&database, 50, "website", "new", 1);

    let counts = count_range(&database, 60, 63);

    assert_eq!(counts.daily, vec![0, 0, 0, 0]);
    assert_eq!(counts.total(), 0);
    assert_eq!(counts.by_source, SourceCounts::default());
    assert_eq!(counts.by_status, StatusCounts::default());
}

#[test]
fn single_day_range_has_one_entry() {
    let database = migrated_database();
    add(&database, 70, "social", "qualified", 2);
    add(&database, 71, "social", "qualified", 9);

    let counts = count_range(&database, 70, 70);

    assert_eq!(counts.daily, vec![2]);
    assert_eq!(counts.by_status.qualified, 2);
}

#[test]
fn range_sums_name_every_source_and_status() {
    for source in LeadSource::ALL {
        let quoted = format!("'{}'", source.as_str());
        assert!(SUM_DAILY_COUNTS.contains(&quoted), "{source}");
    }
    for status in LeadStatus::ALL {
        let quoted = format!("'{}'", status.as_str());
        assert!(SUM_DAILY_COUNTS.contains(&quoted), "{status}");
    }
}

#[test]
fn range_sums_read_indexes_without_sorting() {
    let database = migrated_database();
    let plan: Vec<String> = database
        .prepare(&format!("EXPLAIN QUERY PLAN {SUM_DAILY_COUNTS}"))
        .unwrap()
        .query_map([1, 2], |row| row.get(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();

    let plan = plan.join("; ");
    assert!(
        plan.contains("USING PRIMARY KEY (day>? AND day<?)"),
        "{plan}"
    );
    assert!(
        plan.contains("USING COVERING INDEX lead_daily_counts_groups"),
        "{plan}"
    );
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
}

#[test]
fn sum_row_outside_range_is_error() {
    let mut counts = RangeCounts {
        first_day: 10,
        daily: vec![0; 2],
        by_source: SourceCounts::default(),
        by_status: StatusCounts::default(),
    };
    let row = [
        Value::Integer(0),
        Value::Integer(12),
        Value::Null,
        Value::Null,
        Value::Integer(1),
    ];
    let error = add_sum_row(&mut counts, &row).unwrap_err();
    assert!(
        matches!(error, StorageError::Decode { column: "day", .. }),
        "{error:?}"
    );
}

#[test]
fn sum_row_of_unknown_kind_is_error() {
    let mut counts = RangeCounts {
        first_day: 10,
        daily: vec![0; 2],
        by_source: SourceCounts::default(),
        by_status: StatusCounts::default(),
    };
    let row = [
        Value::Integer(2),
        Value::Integer(10),
        Value::Null,
        Value::Null,
        Value::Integer(1),
    ];
    let error = add_sum_row(&mut counts, &row).unwrap_err();
    assert!(
        matches!(error, StorageError::Decode { column: "kind", .. }),
        "{error:?}"
    );
}

#[test]
fn backfill_counts_existing_leads() {
    let database = rusqlite::Connection::open_in_memory().unwrap();
    let position = MIGRATIONS
        .iter()
        .position(is_daily_counts_migration)
        .unwrap();
    let (earlier, backfill) = MIGRATIONS.split_at(position);
    for migration in earlier {
        for statement in migration.statements {
            database.execute(statement, []).unwrap();
        }
    }
    insert_lead_row(&database, "lead_a", "website", "new", LEAP_DAY_START - 1);
    insert_lead_row(&database, "lead_b", "website", "new", LEAP_DAY_START);
    insert_lead_row(
        &database,
        "lead_c",
        "website",
        "new",
        LEAP_DAY_START + 86_399,
    );
    insert_lead_row(
        &database,
        "lead_d",
        "phone",
        "converted",
        LEAP_DAY_START + 86_400,
    );
    insert_lead_row(&database, "lead_e", "social", "lost", -1);
    database
        .execute(
            "UPDATE leads SET deleted_at = 1, name = NULL, email = NULL, email_key = NULL \
             WHERE id = 'lead_c'",
            [],
        )
        .unwrap();

    for statement in backfill[0].statements {
        database.execute(statement, []).unwrap();
    }

    let leap_day = LEAP_DAY_START / SECONDS_PER_DAY;
    assert_eq!(stored_count(&database, leap_day - 1, "website", "new"), 1);
    assert_eq!(stored_count(&database, leap_day, "website", "new"), 2);
    assert_eq!(
        stored_count(&database, leap_day + 1, "phone", "converted"),
        1
    );
    assert_eq!(stored_count(&database, -1, "social", "lost"), 1);
    assert_eq!(differences(&database), Vec::new());
}

#[test]
fn consistent_counts_have_no_differences() {
    let database = migrated_database();
    insert_lead_row(&database, "lead_a", "email", "new", LEAP_DAY_START);
    insert_lead_row(&database, "lead_b", "email", "new", LEAP_DAY_START + 5);
    add(
        &database,
        LEAP_DAY_START / SECONDS_PER_DAY,
        "email",
        "new",
        2,
    );
    add(&database, 5, "email", "lost", 0);

    assert_eq!(differences(&database), Vec::new());
}

#[test]
fn differences_find_missing_extra_and_wrong_counts() {
    let database = migrated_database();
    let day = LEAP_DAY_START / SECONDS_PER_DAY;
    insert_lead_row(&database, "lead_a", "email", "new", LEAP_DAY_START);
    insert_lead_row(&database, "lead_b", "email", "new", LEAP_DAY_START + 10);
    insert_lead_row(&database, "lead_c", "referral", "qualified", LEAP_DAY_START);
    add(&database, day, "email", "new", 3);
    add(&database, day, "social", "lost", 4);

    let found = differences(&database);

    assert_eq!(
        found,
        vec![
            CountCorrection {
                day,
                source: LeadSource::Email,
                status: LeadStatus::New,
                stored: 3,
                recounted: 2,
            },
            CountCorrection {
                day,
                source: LeadSource::Referral,
                status: LeadStatus::Qualified,
                stored: 0,
                recounted: 1,
            },
            CountCorrection {
                day,
                source: LeadSource::Social,
                status: LeadStatus::Lost,
                stored: 4,
                recounted: 0,
            },
        ]
    );
}
