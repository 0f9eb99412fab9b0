//! Versioned schema migrations, tracked in SQLite's `PRAGMA user_version`.

use std::time::Duration;

use spin_sdk::sqlite::Connection;

use crate::StorageError;
use crate::row::RowReader;
use crate::sql::{query, write_transaction};

/// One schema version: the statements that bring the schema from the
/// previous version to [`Migration::version`].
pub struct Migration {
    /// Value of `PRAGMA user_version` once the statements have run.
    pub version: u32,
    /// Statements run in order inside the migration's transaction. Each is a
    /// single SQL statement, because Spin's host prepares one per call.
    pub statements: &'static [&'static str],
}

/// Every migration, in ascending and gapless version order starting at 1.
///
/// A released migration must stay as it is, because databases already at its
/// version never run it again. A schema change is a new entry at the end.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        statements: &[
            // `name`, `email` and `email_key` may be NULL only once a lead is
            // deleted, so erasing personal data keeps the row for aggregate
            // counts. Timestamps are Unix seconds. STRICT tables need SQLite
            // 3.37.0 or newer.
            "CREATE TABLE leads (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT,
            email TEXT,
            email_key TEXT,
            phone TEXT,
            company TEXT,
            source TEXT NOT NULL
                CHECK (source IN ('website', 'social', 'referral', 'email', 'phone')),
            status TEXT NOT NULL
                CHECK (status IN ('new', 'contacted', 'qualified', 'converted', 'lost')),
            notes TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER,
            deleted_at INTEGER,
            CHECK (deleted_at IS NOT NULL
                OR (name IS NOT NULL AND email IS NOT NULL AND email_key IS NOT NULL))
        ) STRICT",
            // `id` breaks ties between leads created in the same second, so
            // listing pages can resume after a `(created_at, id)` cursor.
            "CREATE INDEX leads_created_at ON leads (created_at, id)",
            "CREATE INDEX leads_status_source ON leads (status, source)",
            "CREATE INDEX leads_email_key ON leads (email_key)",
        ],
    },
    Migration {
        version: 2,
        statements: &[
            // `key_hash` is the SHA-256 digest of the whole key text, the only
            // form in which a key is stored. `scopes` lists scope names separated
            // by single spaces. Timestamps are Unix seconds.
            "CREATE TABLE api_keys (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            key_hash BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32),
            scopes TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked_at INTEGER
        ) STRICT",
            // One row per admitted request of a rate-limit bucket, at the
            // admission time in Unix milliseconds.
            "CREATE TABLE rate_limit_hits (
            bucket TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        ) STRICT",
            "CREATE INDEX rate_limit_hits_bucket_at ON rate_limit_hits (bucket, at_ms)",
        ],
    },
    Migration {
        version: 3,
        statements: &[
            // Leads per creation day, source and current status. `day` counts
            // UTC days from 1970-01-01: a lead's `created_at` divided by 86,400
            // and rounded down. Deleted leads stay counted.
            "CREATE TABLE lead_daily_counts (
            day INTEGER NOT NULL,
            source TEXT NOT NULL
                CHECK (source IN ('website', 'social', 'referral', 'email', 'phone')),
            status TEXT NOT NULL
                CHECK (status IN ('new', 'contacted', 'qualified', 'converted', 'lost')),
            count INTEGER NOT NULL CHECK (count >= 0),
            PRIMARY KEY (day, source, status)
        ) STRICT, WITHOUT ROWID",
            // Sums per source and status over a range of days read this index
            // in group order, one range of days per group, without sorting.
            "CREATE INDEX lead_daily_counts_groups
            ON lead_daily_counts (source, status, day, count)",
            // SQLite's `/` and `%` round towards zero, so the day of a negative
            // `created_at` is computed from the remainder made positive.
            "INSERT INTO lead_daily_counts (day, source, status, count)
            SELECT (created_at - ((created_at % 86400) + 86400) % 86400) / 86400,
                source, status, COUNT(*)
            FROM leads GROUP BY 1, 2, 3",
        ],
    },
    Migration {
        version: 4,
        statements: &[
            // Live leads have distinct email comparison keys. Deleted leads,
            // whose key is NULL, stay out of the index. The insert itself
            // fails on a duplicate, with SQLite's message
            // "UNIQUE constraint failed: leads.email_key".
            "CREATE UNIQUE INDEX leads_live_email_key ON leads (email_key)
            WHERE deleted_at IS NULL",
            "DROP INDEX leads_email_key",
            // The status and source filters of the lead list, each read in
            // list order (creation time, then id).
            "CREATE INDEX leads_live_status_created_at ON leads (status, created_at, id)
            WHERE deleted_at IS NULL",
            "CREATE INDEX leads_live_source_created_at ON leads (source, created_at, id)
            WHERE deleted_at IS NULL",
            // Secrets that the server generates for itself. `lead_cursor`
            // signs the cursors of the lead list. `randomblob` draws from
            // SQLite's generator, which the operating system seeds.
            "CREATE TABLE server_secrets (
            name TEXT PRIMARY KEY NOT NULL,
            value BLOB NOT NULL CHECK (length(value) >= 32)
        ) STRICT",
            "INSERT INTO server_secrets (name, value) VALUES ('lead_cursor', randomblob(32))",
            // Claims on the idempotency keys of lead submissions. `scope_hash`
            // is the SHA-256 digest of the caller and the key. `fingerprint`
            // is the SHA-256 digest of the request body, NULL once the lead
            // it names is erased. `token` matches the response stored in the
            // key-value store. `lead_id` is the lead the request created or
            // collided with. Timestamps are Unix seconds.
            "CREATE TABLE idempotency_keys (
            scope_hash BLOB PRIMARY KEY NOT NULL CHECK (length(scope_hash) = 32),
            fingerprint BLOB CHECK (fingerprint IS NULL OR length(fingerprint) = 32),
            token TEXT NOT NULL,
            claimed_at INTEGER NOT NULL,
            completed_at INTEGER,
            lead_id TEXT
        ) STRICT",
            "CREATE INDEX idempotency_keys_claimed_at ON idempotency_keys (claimed_at)",
            "CREATE INDEX idempotency_keys_lead_id ON idempotency_keys (lead_id)
            WHERE lead_id IS NOT NULL",
        ],
    },
    Migration {
        version: 5,
        statements: &[
            // Lead events waiting to be published, in `sequence` order. A
            // publisher claims a batch with `claim_token` until
            // `claimed_until_ms` (Unix milliseconds) and deletes what it
            // published, so only pending events stay. `payload` is the
            // event's compact JSON, the exact bytes to publish.
            "CREATE TABLE event_outbox (
            sequence INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            lead_id TEXT NOT NULL,
            event_type TEXT NOT NULL
                CHECK (event_type IN ('lead.created', 'lead.status_updated')),
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            claim_token TEXT,
            claimed_until_ms INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        ) STRICT",
            "CREATE INDEX event_outbox_lead_sequence ON event_outbox (lead_id, sequence)",
            // Webhook targets. `event_types` lists event type names
            // separated by single spaces. `secret` is the signing secret as
            // shown at creation, because signing needs the key itself.
            "CREATE TABLE webhook_subscriptions (
            id TEXT PRIMARY KEY NOT NULL,
            url TEXT NOT NULL,
            event_types TEXT NOT NULL,
            secret TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) STRICT",
            // One row per event and subscription. `payload` is NULL once
            // the delivery succeeded or failed for good; `next_attempt_at_ms`
            // is set only while it is pending. Times are Unix milliseconds.
            "CREATE TABLE webhook_deliveries (
            id TEXT PRIMARY KEY NOT NULL,
            subscription_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            payload TEXT,
            state TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
            attempts INTEGER NOT NULL CHECK (attempts >= 0),
            next_attempt_at_ms INTEGER,
            claim_token TEXT,
            claimed_until_ms INTEGER,
            created_at_ms INTEGER NOT NULL,
            completed_at_ms INTEGER,
            CHECK (state <> 'pending' OR (payload IS NOT NULL AND next_attempt_at_ms IS NOT NULL)),
            UNIQUE (subscription_id, event_id)
        ) STRICT",
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries
            (next_attempt_at_ms, created_at_ms) WHERE state = 'pending'",
            "CREATE INDEX webhook_deliveries_subscription_created ON webhook_deliveries
            (subscription_id, created_at_ms)",
            // Every attempt to send a delivery. `status_code` is NULL when no
            // response arrived, and `error` says what failed.
            "CREATE TABLE webhook_attempts (
            delivery_id TEXT NOT NULL,
            attempt INTEGER NOT NULL CHECK (attempt >= 1),
            attempted_at_ms INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            status_code INTEGER,
            error TEXT
        ) STRICT",
            "CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt)",
            // When the last message that wakes the worker for due retries
            // was sent, in Unix milliseconds. One row.
            "CREATE TABLE webhook_retry_nudges (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            sent_at_ms INTEGER NOT NULL
        ) STRICT",
            "INSERT INTO webhook_retry_nudges (id, sent_at_ms) VALUES (1, 0)",
        ],
    },
    Migration {
        version: 6,
        statements: &[
            // Creating a lead writes four tables: the lead, its daily count,
            // its `lead.created` event and that event's webhook deliveries.
            // One INSERT into this view does all of it through the trigger
            // below, as one statement, so the write lock is held for one host
            // call instead of a transaction's six. The view never has rows.
            // `day` is the creation day counted from 1970-01-01 and
            // `created_at_ms` the deliveries' creation time in Unix
            // milliseconds.
            "CREATE VIEW lead_submissions AS SELECT
            id, name, email, email_key, phone, company, source, notes, created_at,
            NULL AS day, NULL AS event_id, NULL AS event_payload, NULL AS created_at_ms
            FROM leads WHERE 0",
            // A statement's changes are atomic: when one of these inserts
            // fails (a duplicate email key, say), none of them stays.
            "CREATE TRIGGER lead_submissions_insert INSTEAD OF INSERT ON lead_submissions
            BEGIN
                INSERT INTO leads
                    (id, name, email, email_key, phone, company, source, status, notes, created_at)
                VALUES (NEW.id, NEW.name, NEW.email, NEW.email_key, NEW.phone, NEW.company,
                    NEW.source, 'new', NEW.notes, NEW.created_at);
                INSERT INTO lead_daily_counts (day, source, status, count)
                VALUES (NEW.day, NEW.source, 'new', 1)
                ON CONFLICT (day, source, status) DO UPDATE SET count = count + 1;
                INSERT INTO event_outbox (id, lead_id, event_type, payload, created_at)
                VALUES (NEW.event_id, NEW.id, 'lead.created', NEW.event_payload, NEW.created_at);
                INSERT INTO webhook_deliveries
                    (id, subscription_id, event_id, event_type, payload, state, attempts,
                     next_attempt_at_ms, created_at_ms)
                SELECT 'dlv_' || lower(hex(randomblob(12))), id, NEW.event_id, 'lead.created',
                    NEW.event_payload, 'pending', 0, 0, NEW.created_at_ms
                FROM webhook_subscriptions
                WHERE instr(' ' || event_types || ' ', ' lead.created ') > 0;
            END",
        ],
    },
];

/// Schema version that the code in this crate expects.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |migration| migration.version)
}

/// Applies the migrations that the database behind `connection` is missing.
///
/// A current database costs one `PRAGMA user_version` read. Otherwise the
/// database is switched to WAL journaling and the missing steps run in one
/// `BEGIN IMMEDIATE` transaction. The version is read again inside it, so
/// concurrent first requests apply each step once. A database newer than
/// [`latest_version`] is left as it is.
pub async fn apply_migrations(connection: &Connection) -> Result<(), StorageError> {
    if read_user_version(connection).await? >= latest_version() {
        return Ok(());
    }

    switch_to_wal(connection).await?;

    write_transaction(connection, async |connection| {
        let current = read_user_version(connection).await?;
        for migration in pending_migrations(current) {
            for statement in migration.statements {
                query(connection, statement, []).await?;
            }
            query(
                connection,
                &set_user_version_statement(migration.version),
                [],
            )
            .await?;
        }
        Ok(())
    })
    .await
}

/// Number of attempts at the switch to WAL, and the pause between them.
const WAL_SWITCH_ATTEMPTS: u32 = 100;
const WAL_SWITCH_PAUSE: Duration = Duration::from_millis(10);

/// Puts the database in WAL journaling. The mode is stored in the database
/// file, so later connections use WAL as well, and it cannot change inside a
/// transaction.
///
/// While other connections read a fresh database, SQLite can report the
/// switch as "database is locked" at once instead of waiting out the busy
/// timeout, so a locked switch is tried again for up to about a second.
async fn switch_to_wal(connection: &Connection) -> Result<(), StorageError> {
    let mut attempt = 1;
    loop {
        match query(connection, "PRAGMA journal_mode = WAL", []).await {
            Err(error) if error.is_locked() && attempt < WAL_SWITCH_ATTEMPTS => {
                attempt += 1;
                std::thread::sleep(WAL_SWITCH_PAUSE);
            }
            outcome => return outcome.map(|_| ()),
        }
    }
}

async fn read_user_version(connection: &Connection) -> Result<u32, StorageError> {
    let rows = query(connection, "PRAGMA user_version", []).await?;
    let values = rows.first().map_or(&[][..], |row| row.values.as_slice());
    let version = RowReader::new(values).integer("user_version")?;
    u32::try_from(version).map_err(|_| StorageError::Decode {
        column: "user_version",
        problem: format!("{version} is not a schema version"),
    })
}

fn pending_migrations(current: u32) -> impl Iterator<Item = &'static Migration> {
    MIGRATIONS
        .iter()
        .filter(move |migration| migration.version > current)
}

/// PRAGMA statements take no bound parameters, so the version is formatted
/// into the text. It is a `u32` and cannot inject SQL.
fn set_user_version_statement(version: u32) -> String {
    format!("PRAGMA user_version = {version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_start_at_one_without_gaps() {
        for (position, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version as usize, position + 1);
        }
    }

    #[test]
    fn latest_version_is_last_migration() {
        assert_eq!(latest_version() as usize, MIGRATIONS.len());
    }

    #[test]
    fn fresh_database_runs_every_migration() {
        assert_eq!(pending_migrations(0).count(), MIGRATIONS.len());
    }

    #[test]
    fn current_database_runs_nothing() {
        assert_eq!(pending_migrations(latest_version()).count(), 0);
    }

    #[test]
    fn newer_database_runs_nothing() {
        assert_eq!(pending_migrations(latest_version() + 1).count(), 0);
    }

    #[test]
    fn set_user_version_formats_number() {
        assert_eq!(set_user_version_statement(3), "PRAGMA user_version = 3");
    }

    /// rusqlite rejects a text with anything after its first statement,
    /// which Spin's host would ignore. A trigger's body contains semicolons
    /// inside one statement, so a search for `;` cannot tell.
    #[test]
    fn statements_hold_one_statement_each() {
        let database = rusqlite::Connection::open_in_memory().unwrap();
        for migration in MIGRATIONS {
            for statement in migration.statements {
                match database.execute(statement, []) {
                    Ok(_) => {}
                    Err(rusqlite::Error::MultipleStatement) => {
                        panic!("more than one statement: {statement}")
                    }
                    Err(error) => panic!("{error}: {statement}"),
                }
            }
        }
    }
}
