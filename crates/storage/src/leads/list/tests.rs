//! The list statement against a real SQLite database: order, filters,
//! positions and the indexes it reads.

use cloudvelous_contract::{LeadSource, LeadStatus};
use cloudvelous_domain::{LeadId, Timestamp};

use super::*;
use crate::sqlite_fixture::{execute, migrated_database, select};

/// Inserts a live lead with `id`, `status`, `source`, `email_key` and
/// `created_at`.
fn insert_lead(
    database: &rusqlite::Connection,
    id: &str,
    status: &str,
    source: &str,
    created_at: i64,
) {
    let statement = "INSERT INTO leads \
        (id, name, email, email_key, source, status, created_at) \
        VALUES (?1, 'Ada', ?2, ?2, ?3, ?4, ?5)";
    let email = format!("{id}@example.com");
    execute(
        database,
        statement,
        &[
            Value::from(id),
            Value::from(email.as_str()),
            Value::from(source),
            Value::from(status),
            Value::Integer(created_at),
        ],
    )
    .unwrap();
}

fn page(
    database: &rusqlite::Connection,
    filter: &LeadFilter,
    after: Option<&LeadCursor>,
    limit: u32,
) -> Vec<String> {
    let (statement, parameters) = list_statement(filter, after, limit);
    select(database, &statement, &parameters)
        .iter()
        .map(|values| decode_lead(values).unwrap().id)
        .collect()
}

fn position(created_at: i64, id: &str) -> LeadCursor {
    LeadCursor {
        created_at: Timestamp::from_unix_seconds(created_at),
        id: LeadId::parse(id).unwrap(),
    }
}

/// Leads in three seconds, inserted out of order, two of them deleted.
fn sample_database() -> rusqlite::Connection {
    let database = migrated_database();
    insert_lead(&database, "lead_c", "new", "website", 200);
    insert_lead(&database, "lead_a", "new", "social", 200);
    insert_lead(&database, "lead_b", "contacted", "website", 100);
    insert_lead(&database, "lead_d", "new", "website", 300);
    insert_lead(&database, "lead_gone", "new", "website", 150);
    execute(
        &database,
        "UPDATE leads SET deleted_at = 400, name = NULL, email = NULL, email_key = NULL \
         WHERE id = 'lead_gone'",
        &[],
    )
    .unwrap();
    database
}

#[test]
fn lists_live_leads_by_time_then_id() {
    let database = sample_database();
    let ids = page(&database, &LeadFilter::default(), None, 50);
    assert_eq!(ids, ["lead_b", "lead_a", "lead_c", "lead_d"]);
}

#[test]
fn asks_for_one_more_than_limit() {
    let database = sample_database();
    let ids = page(&database, &LeadFilter::default(), None, 2);
    assert_eq!(ids, ["lead_b", "lead_a", "lead_c"]);
}

#[test]
fn resumes_after_position_within_same_second() {
    let database = sample_database();
    let after = position(200, "lead_a");
    let ids = page(&database, &LeadFilter::default(), Some(&after), 50);
    assert_eq!(ids, ["lead_c", "lead_d"]);
}

#[test]
fn resumes_after_deleted_position() {
    let database = sample_database();
    let after = position(150, "lead_gone");
    let ids = page(&database, &LeadFilter::default(), Some(&after), 50);
    assert_eq!(ids, ["lead_a", "lead_c", "lead_d"]);
}

#[test]
fn filters_alone_and_combined() {
    let database = sample_database();
    let cases = [
        (
            LeadFilter {
                status: Some(LeadStatus::New),
                ..LeadFilter::default()
            },
            vec!["lead_a", "lead_c", "lead_d"],
        ),
        (
            LeadFilter {
                source: Some(LeadSource::Website),
                ..LeadFilter::default()
            },
            vec!["lead_b", "lead_c", "lead_d"],
        ),
        (
            LeadFilter {
                email_key: Some("lead_c@example.com".into()),
                ..LeadFilter::default()
            },
            vec!["lead_c"],
        ),
        (
            LeadFilter {
                email_key: Some("lead_gone@example.com".into()),
                ..LeadFilter::default()
            },
            vec![],
        ),
        (
            LeadFilter {
                created_from: Some(Timestamp::from_unix_seconds(200)),
                ..LeadFilter::default()
            },
            vec!["lead_a", "lead_c", "lead_d"],
        ),
        (
            LeadFilter {
                created_to: Some(Timestamp::from_unix_seconds(200)),
                ..LeadFilter::default()
            },
            vec!["lead_b", "lead_a", "lead_c"],
        ),
        (
            LeadFilter {
                status: Some(LeadStatus::New),
                source: Some(LeadSource::Website),
                created_from: Some(Timestamp::from_unix_seconds(101)),
                created_to: Some(Timestamp::from_unix_seconds(299)),
                ..LeadFilter::default()
            },
            vec!["lead_c"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(page(&database, &filter, None, 50), expected, "{filter:?}");
    }
}

/// Returns the query plan of the list statement for `filter`, one line per
/// step.
fn plan(filter: &LeadFilter, after: Option<&LeadCursor>) -> String {
    let database = migrated_database();
    let (statement, parameters) = list_statement(filter, after, 50);
    let rows = select(
        &database,
        &format!("EXPLAIN QUERY PLAN {statement}"),
        &parameters,
    );
    rows.iter()
        .map(|values| match values.get(3) {
            Some(Value::Text(detail)) => detail.clone(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_filter_reads_an_index_in_list_order() {
    let after = position(100, "lead_x");
    let cases = [
        (LeadFilter::default(), "leads_created_at"),
        (
            LeadFilter {
                status: Some(LeadStatus::New),
                ..LeadFilter::default()
            },
            "leads_live_status_created_at",
        ),
        (
            LeadFilter {
                source: Some(LeadSource::Email),
                ..LeadFilter::default()
            },
            "leads_live_source_created_at",
        ),
        (
            LeadFilter {
                email_key: Some("a@example.com".into()),
                ..LeadFilter::default()
            },
            "leads_live_email_key",
        ),
        (
            LeadFilter {
                created_from: Some(Timestamp::from_unix_seconds(1)),
                created_to: Some(Timestamp::from_unix_seconds(2)),
                ..LeadFilter::default()
            },
            "leads_created_at",
        ),
    ];
    for (filter, index) in cases {
        for cursor in [None, Some(&after)] {
            let plan = plan(&filter, cursor);
            assert!(plan.contains(index), "{filter:?}: {plan}");
            assert!(
                plan.lines().all(|line| line != "SCAN leads"),
                "{filter:?}: {plan}"
            );
            if filter.email_key.is_none() {
                assert!(!plan.contains("TEMP B-TREE"), "{filter:?}: {plan}");
            }
        }
    }
}

#[test]
fn cursor_secret_is_created_with_schema() {
    let database = migrated_database();
    let rows = select(&database, SELECT_CURSOR_SECRET, &[]);
    let [row] = rows.as_slice() else {
        panic!("expected one secret, found {rows:?}");
    };
    let Some(Value::Blob(secret)) = row.first() else {
        panic!("expected a blob, found {row:?}");
    };
    assert_eq!(secret.len(), 32);
    assert!(secret.iter().any(|&byte| byte != 0));
}
