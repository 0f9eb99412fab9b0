//! Native SQLite databases for unit tests of the crate's SQL, with the
//! schema of every migration applied.

use rusqlite::types::Value as SqliteValue;
use spin_sdk::sqlite::Value;

use crate::MIGRATIONS;

/// Opens an in-memory database and runs every migration.
pub(crate) fn migrated_database() -> rusqlite::Connection {
    let database = rusqlite::Connection::open_in_memory().unwrap();
    migrate(&database);
    database
}

/// Runs every migration on `database`.
pub(crate) fn migrate(database: &rusqlite::Connection) {
    for migration in MIGRATIONS {
        for statement in migration.statements {
            database.execute(statement, []).unwrap();
        }
    }
}

pub(crate) fn to_sqlite(value: &Value) -> SqliteValue {
    match value {
        Value::Null => SqliteValue::Null,
        Value::Integer(integer) => SqliteValue::Integer(*integer),
        Value::Real(real) => SqliteValue::Real(*real),
        Value::Text(text) => SqliteValue::Text(text.clone()),
        Value::Blob(blob) => SqliteValue::Blob(blob.clone()),
    }
}

pub(crate) fn from_sqlite(value: SqliteValue) -> Value {
    match value {
        SqliteValue::Null => Value::Null,
        SqliteValue::Integer(integer) => Value::Integer(integer),
        SqliteValue::Real(real) => Value::Real(real),
        SqliteValue::Text(text) => Value::Text(text),
        SqliteValue::Blob(blob) => Value::Blob(blob),
    }
}

/// Runs `statement` with Spin-typed `parameters` and returns the number of
/// changed rows.
pub(crate) fn execute(
    database: &rusqlite::Connection,
    statement: &str,
    parameters: &[Value],
) -> rusqlite::Result<usize> {
    let parameters = rusqlite::params_from_iter(parameters.iter().map(to_sqlite));
    database.execute(statement, parameters)
}

/// Runs `statement` with Spin-typed `parameters` and returns every row as
/// Spin values, the form the crate's decoders read.
pub(crate) fn select(
    database: &rusqlite::Connection,
    statement: &str,
    parameters: &[Value],
) -> Vec<Vec<Value>> {
    let mut statement = database.prepare(statement).unwrap();
    let count = statement.column_count();
    let parameters = rusqlite::params_from_iter(parameters.iter().map(to_sqlite));
    let mut rows = statement.query(parameters).unwrap();
    let mut values = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        values.push(
            (0..count)
                .map(|index| from_sqlite(row.get(index).unwrap()))
                .collect(),
        );
    }
    values
}
