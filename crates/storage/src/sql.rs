//! Statement execution and write transactions on a Spin SQLite connection.

use spin_sdk::sqlite::{Connection, RowResult, Value};

use crate::StorageError;

/// Runs one SQL statement and collects all of its rows.
///
/// Spin's host prepares exactly one statement per call, so `statement` must
/// not contain several statements separated by semicolons.
pub(crate) async fn query(
    connection: &Connection,
    statement: &str,
    parameters: impl IntoIterator<Item = Value>,
) -> Result<Vec<RowResult>, StorageError> {
    let result = connection.execute(statement, parameters).await?;
    Ok(result.collect().await?)
}

/// Runs `work` inside `BEGIN IMMEDIATE … COMMIT` and rolls back when `work`
/// or the commit fails.
///
/// `BEGIN IMMEDIATE` takes the write lock up front, so a read inside `work`
/// sees data that no other connection can change before the commit.
pub(crate) async fn write_transaction<T>(
    connection: &Connection,
    work: impl AsyncFnOnce(&Connection) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    query(connection, "BEGIN IMMEDIATE", []).await?;

    let outcome = match work(connection).await {
        Ok(value) => query(connection, "COMMIT", []).await.map(|_| value),
        Err(error) => Err(error),
    };

    if outcome.is_err() {
        // The error from `work` or COMMIT is the one to report. A failed
        // ROLLBACK leaves the transaction open only until the connection
        // closes at the end of the request, which rolls it back too.
        let _ = query(connection, "ROLLBACK", []).await;
    }
    outcome
}
