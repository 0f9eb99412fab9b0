//! `spin:key-value/key-value@3.0.0` on SQLite files, one table per file, as
//! Spin's own `spin` store type keeps them.

use crate::bindings::spin::key_value::key_value::{self, Error};
use crate::interfaces::sqlite::open_database;
use crate::state::RequestState;
use rusqlite::OptionalExtension;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use wasmtime::component::{Accessor, FutureReader, HasSelf, Resource, StreamReader};

/// An open store: its label and a connection to the file behind it.
pub struct KeyValueStore {
    label: String,
    connection: Arc<Mutex<rusqlite::Connection>>,
}

type KeyValue = HasSelf<RequestState>;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))";

fn resolve(state: &RequestState, label: &str) -> Result<PathBuf, Error> {
    if !state.grants.key_value_stores.iter().any(|l| l == label) {
        return Err(Error::AccessDenied);
    }
    state
        .services
        .key_value_path(label)
        .ok_or(Error::NoSuchStore)
}

fn other(error: impl std::fmt::Display) -> Error {
    Error::Other(error.to_string())
}

/// Runs `work` on the store's connection on a blocking thread.
async fn with_connection<R: Send + 'static>(
    connection: Arc<Mutex<rusqlite::Connection>>,
    work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<R> + Send + 'static,
) -> Result<R, Error> {
    tokio::task::spawn_blocking(move || {
        let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
        work(&connection)
    })
    .await
    .map_err(other)?
    .map_err(other)
}

fn store_of<T>(
    accessor: &Accessor<T, KeyValue>,
    handle: &Resource<KeyValueStore>,
) -> wasmtime::Result<(String, Arc<Mutex<rusqlite::Connection>>)> {
    accessor.with(|mut access| {
        let store = access.get().table.get(handle)?;
        Ok((store.label.clone(), Arc::clone(&store.connection)))
    })
}

impl key_value::Host for RequestState {}

impl key_value::HostStore for RequestState {
    fn drop(&mut self, handle: Resource<KeyValueStore>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}

impl<T> key_value::HostStoreWithStore<T> for KeyValue {
    async fn open(
        accessor: &Accessor<T, Self>,
        label: String,
    ) -> wasmtime::Result<Result<Resource<KeyValueStore>, Error>> {
        let path = match accessor.with(|mut access| resolve(access.get(), &label)) {
            Ok(path) => path,
            Err(e) => return Ok(Err(e)),
        };
        let opened = tokio::task::spawn_blocking(move || {
            let connection = open_database(&path)?;
            connection.execute(CREATE_TABLE, [])?;
            Ok::<_, rusqlite::Error>(connection)
        })
        .await?;
        let connection = match opened {
            Ok(c) => c,
            Err(e) => return Ok(Err(other(e))),
        };
        let store = KeyValueStore {
            label,
            connection: Arc::new(Mutex::new(connection)),
        };
        let handle = accessor.with(|mut access| access.get().table.push(store))?;
        Ok(Ok(handle))
    }

    async fn get(
        accessor: &Accessor<T, Self>,
        handle: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let (label, connection) = store_of(accessor, &handle)?;
        Ok(with_connection(connection, move |c| {
            c.query_row(
                "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
                (label, key),
                |row| row.get(0),
            )
            .optional()
        })
        .await)
    }

    async fn set(
        accessor: &Accessor<T, Self>,
        handle: Resource<KeyValueStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let (label, connection) = store_of(accessor, &handle)?;
        Ok(with_connection(connection, move |c| {
            c.execute(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                (label, key, value),
            )
            .map(|_| ())
        })
        .await)
    }

    async fn delete(
        accessor: &Accessor<T, Self>,
        handle: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let (label, connection) = store_of(accessor, &handle)?;
        Ok(with_connection(connection, move |c| {
            c.execute(
                "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2",
                (label, key),
            )
            .map(|_| ())
        })
        .await)
    }

    async fn exists(
        accessor: &Accessor<T, Self>,
        handle: Resource<KeyValueStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let (label, connection) = store_of(accessor, &handle)?;
        Ok(with_connection(connection, move |c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2)",
                (label, key),
                |row| row.get(0),
            )
        })
        .await)
    }

    async fn get_keys(
        accessor: &Accessor<T, Self>,
        handle: Resource<KeyValueStore>,
    ) -> wasmtime::Result<(StreamReader<String>, FutureReader<Result<(), Error>>)> {
        let (label, connection) = store_of(accessor, &handle)?;
        let keys = with_connection(connection, move |c| {
            let mut statement =
                c.prepare("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")?;
            statement
                .query_map([label], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .await;
        let (keys, result) = match keys {
            Ok(keys) => (keys, Ok(())),
            Err(e) => (Vec::new(), Err(e)),
        };
        accessor.with(|mut access| {
            let keys = StreamReader::new(&mut access, keys)?;
            let done =
                FutureReader::new(&mut access, async move { Ok::<_, wasmtime::Error>(result) })?;
            Ok((keys, done))
        })
    }
}
