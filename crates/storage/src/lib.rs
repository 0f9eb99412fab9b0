//! Persistence on Spin's SQLite interface: leads, API keys and the
//! rate-limit log.
//!
//! [`Database::open`] opens the `default` database and brings its schema up
//! to date, so a fresh deployment needs no separate setup step. Under Spin
//! every open is a new SQLite connection and writers queue behind one
//! another, so each method runs at most one short write transaction.

mod api_keys;
mod error;
mod leads;
mod migrations;
mod rate_limits;
mod row;
mod sql;
#[cfg(test)]
mod sqlite_fixture;

pub use api_keys::{LAST_USED_INTERVAL_SECONDS, NewApiKey, StoredApiKey};
pub use error::{StorageError, storage_failure};
pub use migrations::{MIGRATIONS, Migration, apply_migrations, latest_version};
pub use rate_limits::RateDecision;

use spin_sdk::sqlite::Connection;

/// Label of the database in the component manifest (`sqlite_databases`).
pub const DATABASE_LABEL: &str = "default";

/// An open connection to the application database, with the schema at
/// [`latest_version`] or newer.
pub struct Database {
    connection: Connection,
}

impl Database {
    /// Opens the `default` database and applies the migrations it is
    /// missing.
    ///
    /// A database that is already current costs one `PRAGMA user_version`
    /// read on top of the open.
    pub async fn open() -> Result<Self, StorageError> {
        let connection = Connection::open(DATABASE_LABEL).await?;
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
