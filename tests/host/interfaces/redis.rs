//! `spin:redis/redis@3.0.0` against a real Redis server through the `redis`
//! crate. A component reaches only the addresses its `allowed_outbound_hosts`
//! grant.

use crate::bindings::spin::redis::redis::{self as wit, Error, RedisParameter, RedisResult};
use crate::state::RequestState;
use ::redis::AsyncCommands;
use ::redis::aio::MultiplexedConnection;
use std::time::Duration;
use wasmtime::component::{Accessor, HasSelf, Resource};

/// How long `open` waits for the server before it reports an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// An open connection to one Redis server.
pub struct RedisConnection {
    connection: MultiplexedConnection,
}

type Redis = HasSelf<RequestState>;

fn other(error: impl std::fmt::Display) -> Error {
    Error::Other(error.to_string())
}

fn from_redis(error: ::redis::RedisError) -> Error {
    match error.kind() {
        ::redis::ErrorKind::TypeError => Error::TypeError,
        _ => other(error),
    }
}

fn connection_of<T>(
    accessor: &Accessor<T, Redis>,
    handle: &Resource<RedisConnection>,
) -> wasmtime::Result<MultiplexedConnection> {
    accessor.with(|mut access| Ok(access.get().table.get(handle)?.connection.clone()))
}

async fn connect(address: &str) -> Result<MultiplexedConnection, Error> {
    let client = ::redis::Client::open(address).map_err(|_| Error::InvalidAddress)?;
    match tokio::time::timeout(CONNECT_TIMEOUT, client.get_multiplexed_async_connection()).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(e)) => Err(other(e)),
        Err(_) => Err(Error::Other(format!(
            "connecting to Redis timed out after {CONNECT_TIMEOUT:?}"
        ))),
    }
}

fn to_result(value: ::redis::Value) -> Result<RedisResult, Error> {
    Ok(match value {
        ::redis::Value::Nil => RedisResult::Nil,
        ::redis::Value::Int(i) => RedisResult::Int64(i),
        ::redis::Value::BulkString(bytes) => RedisResult::Binary(bytes),
        ::redis::Value::SimpleString(s) => RedisResult::Status(s),
        ::redis::Value::Okay => RedisResult::Status("OK".to_string()),
        other_value => {
            return Err(Error::Other(format!(
                "unsupported Redis reply {other_value:?}"
            )));
        }
    })
}

impl wit::Host for RequestState {}

impl wit::HostConnection for RequestState {
    fn drop(&mut self, handle: Resource<RedisConnection>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}

impl<T> wit::HostConnectionWithStore<T> for Redis {
    async fn open(
        accessor: &Accessor<T, Self>,
        address: String,
    ) -> wasmtime::Result<Result<Resource<RedisConnection>, Error>> {
        let allowed = accessor.with(|mut access| access.get().grants.outbound.allows_url(&address));
        if !allowed {
            return Ok(Err(Error::Other(format!(
                "destination {address} is not in the component's allowed_outbound_hosts"
            ))));
        }
        let connection = match connect(&address).await {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let handle =
            accessor.with(|mut access| access.get().table.push(RedisConnection { connection }))?;
        Ok(Ok(handle))
    }

    async fn publish(
        accessor: &Accessor<T, Self>,
        handle: Resource<RedisConnection>,
        channel: String,
        payload: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let mut connection = connection_of(accessor, &handle)?;
        Ok(connection
            .publish::<_, _, i64>(channel, payload)
            .await
            .map(|_| ())
            .map_err(from_redis))
    }

    async fn get(
        accessor: &Accessor<T, Self>,
        handle: Resource<RedisConnection>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let mut connection = connection_of(accessor, &handle)?;
        Ok(connection.get(key).await.map_err(from_redis))
    }

    async fn set(
        accessor: &Accessor<T, Self>,
        handle: Resource<RedisConnection>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let mut connection = connection_of(accessor, &handle)?;
        Ok(connection.set(key, value).await.map_err(from_redis))
    }

    async fn incr(
        accessor: &Accessor<T, Self>,
        handle: Resource<RedisConnection>,
        key: String,
    ) -> wasmtime::Result<Result<i64, Error>> {
        let mut connection = connection_of(accessor, &handle)?;
        Ok(connection.incr(key, 1).await.map_err(from_redis))
    }

    async fn del(
        accessor: &Accessor<T, Self>,
        handle: Resource<RedisConnection>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<u32, Error>> {
        let mut connection = connection_of(accessor, &handle)?;
        Ok(connection.del(keys).await.map_err(from_redis))
    }

    async fn sadd(
        accessor: &Accessor<T, Self>,
        handle: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> wasmtime::Result<Result<u32, Error>> {
        let mut connection = connection_of(accessor, &handle)?;
        Ok(connection.sadd(key, values).await.map_err(from_redis))
    }

    async fn smembers(
        accessor: &Accessor<T, Self>,
        handle: Resource<RedisConnection>,
        key: String,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let mut connection = connection_of(accessor, &handle)?;
        Ok(connection.smembers(key).await.map_err(from_redis))
    }

    async fn srem(
        accessor: &Accessor<T, Self>,
        handle: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> wasmtime::Result<Result<u32, Error>> {
        let mut connection = connection_of(accessor, &handle)?;
        Ok(connection.srem(key, values).await.map_err(from_redis))
    }

    async fn execute(
        accessor: &Accessor<T, Self>,
        handle: Resource<RedisConnection>,
        command: String,
        arguments: Vec<RedisParameter>,
    ) -> wasmtime::Result<Result<Vec<RedisResult>, Error>> {
        let mut connection = connection_of(accessor, &handle)?;
        let mut cmd = ::redis::cmd(&command);
        for argument in arguments {
            match argument {
                RedisParameter::Int64(i) => cmd.arg(i),
                RedisParameter::Binary(b) => cmd.arg(b),
            };
        }
        let reply: ::redis::Value = match cmd.query_async(&mut connection).await {
            Ok(v) => v,
            Err(e) => return Ok(Err(from_redis(e))),
        };
        let values = match reply {
            ::redis::Value::Array(items) => items,
            single => vec![single],
        };
        Ok(values.into_iter().map(to_result).collect())
    }
}
