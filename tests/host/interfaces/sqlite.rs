//! `spin:sqlite/sqlite@3.1.0` on real SQLite files through `rusqlite`. As in
//! Spin, every `open` is a new connection with a 5 second busy timeout.

use crate::bindings::spin::sqlite::sqlite::{self, Error, QueryResult, RowResult, Value};
use crate::state::RequestState;
use rusqlite::types::ValueRef;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use wasmtime::component::{Accessor, FutureReader, HasSelf, Resource, StreamReader};

/// How long a connection waits for another connection's lock, as Spin sets it.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open connection, shared with the blocking thread that runs a statement.
pub struct SqliteConnection {
    connection: Arc<Mutex<rusqlite::Connection>>,
}

type Sqlite = HasSelf<RequestState>;

/// Opens a database file the way the host opens it for a component.
pub fn open_database(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let connection = rusqlite::Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    Ok(connection)
}

fn resolve(state: &RequestState, label: &str) -> Result<PathBuf, Error> {
    if !state.grants.sqlite_databases.iter().any(|l| l == label) {
        return Err(Error::AccessDenied);
    }
    state
        .services
        .sqlite_path(label)
        .ok_or(Error::NoSuchDatabase)
}

async fn open(path: PathBuf) -> Result<SqliteConnection, Error> {
    let connection = tokio::task::spawn_blocking(move || open_database(&path))
        .await
        .map_err(|e| Error::Io(e.to_string()))?
        .map_err(|e| Error::Io(e.to_string()))?;
    Ok(SqliteConnection {
        connection: Arc::new(Mutex::new(connection)),
    })
}

/// Runs one statement to completion and returns its column names and rows.
fn run_statement(
    connection: &rusqlite::Connection,
    statement: &str,
    parameters: Vec<Value>,
) -> Result<(Vec<String>, Vec<RowResult>), Error> {
    let mut prepared = connection.prepare_cached(statement).map_err(to_error)?;
    let columns: Vec<String> = prepared
        .column_names()
        .into_iter()
        .map(String::from)
        .collect();
    let parameters = parameters.into_iter().map(to_sql);
    let mut rows = prepared
        .query(rusqlite::params_from_iter(parameters))
        .map_err(to_error)?;
    let mut results = Vec::new();
    while let Some(row) = rows.next().map_err(to_error)? {
        let values = (0..columns.len())
            .map(|i| row.get_ref(i).map(from_sql).map_err(to_error))
            .collect::<Result<_, _>>()?;
        results.push(RowResult { values });
    }
    Ok((columns, results))
}

async fn execute_blocking(
    connection: Arc<Mutex<rusqlite::Connection>>,
    statement: String,
    parameters: Vec<Value>,
) -> Result<(Vec<String>, Vec<RowResult>), Error> {
    tokio::task::spawn_blocking(move || {
        let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
        run_statement(&connection, &statement, parameters)
    })
    .await
    .map_err(|e| Error::Io(e.to_string()))?
}

fn to_sql(value: Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match value {
        Value::Integer(i) => Sql::Integer(i),
        Value::Real(r) => Sql::Real(r),
        Value::Text(t) => Sql::Text(t),
        Value::Blob(b) => Sql::Blob(b),
        Value::Null => Sql::Null,
    }
}

fn from_sql(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn to_error(error: rusqlite::Error) -> Error {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => Error::DatabaseFull,
        _ => Error::Io(error.to_string()),
    }
}

fn connection_of(
    state: &mut RequestState,
    handle: &Resource<SqliteConnection>,
) -> Result<Arc<Mutex<rusqlite::Connection>>, Error> {
    state
        .table
        .get(handle)
        .map(|c| Arc::clone(&c.connection))
        .map_err(|_| Error::InvalidConnection)
}

impl sqlite::Host for RequestState {}

impl sqlite::HostConnection for RequestState {
    fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<SqliteConnection>, Error>> {
        let path = match resolve(self, &database) {
            Ok(path) => path,
            Err(e) => return Ok(Err(e)),
        };
        let connection = match open_database(&path) {
            Ok(c) => c,
            Err(e) => return Ok(Err(Error::Io(e.to_string()))),
        };
        let handle = self.table.push(SqliteConnection {
            connection: Arc::new(Mutex::new(connection)),
        })?;
        Ok(Ok(handle))
    }

    fn execute(
        &mut self,
        handle: Resource<SqliteConnection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<Result<QueryResult, Error>> {
        let connection = match connection_of(self, &handle) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(run_statement(&connection, &statement, parameters)
            .map(|(columns, rows)| QueryResult { columns, rows }))
    }

    fn last_insert_rowid(&mut self, handle: Resource<SqliteConnection>) -> wasmtime::Result<i64> {
        let connection = connection_of(self, &handle)
            .map_err(|_| wasmtime::format_err!("invalid connection"))?;
        let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(connection.last_insert_rowid())
    }

    fn changes(&mut self, handle: Resource<SqliteConnection>) -> wasmtime::Result<u64> {
        let connection = connection_of(self, &handle)
            .map_err(|_| wasmtime::format_err!("invalid connection"))?;
        let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(connection.changes())
    }

    fn drop(&mut self, handle: Resource<SqliteConnection>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}

impl<T> sqlite::HostConnectionWithStore<T> for Sqlite {
    async fn open_async(
        accessor: &Accessor<T, Self>,
        database: String,
    ) -> wasmtime::Result<Result<Resource<SqliteConnection>, Error>> {
        let path = match accessor.with(|mut access| resolve(access.get(), &database)) {
            Ok(path) => path,
            Err(e) => return Ok(Err(e)),
        };
        let connection = match open(path).await {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let handle = accessor.with(|mut access| access.get().table.push(connection))?;
        Ok(Ok(handle))
    }

    async fn execute_async(
        accessor: &Accessor<T, Self>,
        handle: Resource<SqliteConnection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<
        Result<
            (
                Vec<String>,
                StreamReader<RowResult>,
                FutureReader<Result<(), Error>>,
            ),
            Error,
        >,
    > {
        let connection = match accessor.with(|mut access| connection_of(access.get(), &handle)) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let (columns, rows) = match execute_blocking(connection, statement, parameters).await {
            Ok(result) => result,
            Err(e) => return Ok(Err(e)),
        };
        accessor.with(|mut access| {
            let rows = StreamReader::new(&mut access, rows)?;
            let done = FutureReader::new(&mut access, async { Ok::<_, wasmtime::Error>(Ok(())) })?;
            Ok(Ok((columns, rows, done)))
        })
    }

    async fn last_insert_rowid_async(
        accessor: &Accessor<T, Self>,
        handle: Resource<SqliteConnection>,
    ) -> wasmtime::Result<i64> {
        accessor.with(|mut access| sqlite::HostConnection::last_insert_rowid(access.get(), handle))
    }

    async fn changes_async(
        accessor: &Accessor<T, Self>,
        handle: Resource<SqliteConnection>,
    ) -> wasmtime::Result<u64> {
        accessor.with(|mut access| sqlite::HostConnection::changes(access.get(), handle))
    }
}
