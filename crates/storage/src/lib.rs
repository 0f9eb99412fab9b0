//! Persistence on Spin's SQLite interface: leads, their daily counts, API
//! keys, the rate-limit log, the outbox of lead events, and webhook
//! subscriptions with their deliveries.
//!
//! [`Database::open`] opens the `default` database and brings its schema up
//! to date, so a fresh deployment needs no separate setup step. Under Spin
//! every open is a new SQLite connection and writers queue behind one
//! another, so each method runs at most one short write transaction. The
//! exception is [`Database::rebuild_lead_daily_counts`], whose transaction
//! reads every lead.
//!
//! [`redis`] shares one Redis connection per address among the steps of a
//! request: the rate limiter's counters and the event publisher.

mod analytics;
mod api_keys;
mod error;
mod lead_status;
mod lead_update;
mod leads;
mod migrations;
mod outbox;
mod rate_limits;
pub mod redis;
mod row;
mod sql;
#[cfg(test)]
mod sqlite_fixture;
mod webhooks;

pub use analytics::{
    ADD_TO_DAILY_COUNT, CountCorrection, DailyCountsRebuild, RangeCounts, SECONDS_PER_DAY,
    SELECT_COUNT_DIFFERENCES, unix_day,
};
pub use api_keys::{LAST_USED_INTERVAL_SECONDS, NewApiKey, StoredApiKey};
pub use error::{StorageError, storage_failure};
pub use lead_status::{StatusChange, StatusChangeOutcome};
pub use lead_update::LeadUpdate;
pub use leads::{
    IDEMPOTENCY_LEASE_SECONDS, IDEMPOTENCY_RETENTION_SECONDS, IdempotencyClaim, LeadErasure,
    LeadRows,
};
pub use migrations::{MIGRATIONS, Migration, apply_migrations, latest_version};
pub use outbox::{ClaimOutcome, EVENT_ID_PREFIX, PendingEvent};
pub use rate_limits::RateDecision;
pub use webhooks::{
    AttemptRecord, ClaimedDelivery, DeliveryAttempt, DeliveryState, DeliverySummary,
    NUDGE_INTERVAL_MS, NewSubscription, StoredSubscription,
};

use spin_sdk::sqlite::Connection;

/// Label of the database in the component manifest (`sqlite_databases`).
pub const DATABASE_LABEL: &str = "default";

/// An open connection to the application database, with the schema at
/// [`latest_version`] or newer.
pub struct Database {
    connection: Connection,
}

impl Database {
    /// Opens the `default` database, turns on `secure_delete` for the
    /// connection and applies the migrations it is missing.
    ///
    /// A database that is already current costs the `PRAGMA secure_delete`
    /// statement and one `PRAGMA user_version` read on top of the open.
    pub async fn open() -> Result<Self, StorageError> {
        let connection = Connection::open(DATABASE_LABEL).await?;
        // Every write zeroes the space it frees. Erasing a lead only zeroes
        // the row it clears, so copies of personal data that earlier writes
        // left in free space, such as page splits, would survive otherwise.
        sql::query(&connection, "PRAGMA secure_delete = ON", []).await?;
        apply_migrations(&connection).await?;
        Ok(Self { connection })
    }

    /// Runs `SELECT 1` to check that the database serves queries.
    pub async fn ping(&self) -> Result<(), StorageError> {
        let rows = sql::query(&self.connection, "SELECT 1", []).await?;
        let Some(row) = rows.first() else {
            return Err(StorageError::Statement(
                "SELECT 1 returned no row".to_owned(),
            ));
        };
        row::RowReader::new(&row.values).integer("1")?;
        Ok(())
    }
}
