//! A sliding-log rate limiter in SQLite: one row per admitted request.

use spin_sdk::sqlite::{Connection, RowResult, Value};

use crate::row::RowReader;
use crate::sql::{query, write_transaction};
use crate::{Database, StorageError};

/// Removes the entries of one bucket that have left the window.
const DELETE_EXPIRED_HITS: &str = "DELETE FROM rate_limit_hits WHERE bucket = ?1 AND at_ms <= ?2";

/// Removes expired entries among the 16 oldest rows of the table, whatever
/// their bucket, so that buckets whose callers never return do not keep
/// their rows forever. Rowids grow with each insert, so the oldest rows come
/// first, and the statement reads at most 16 rows.
const SWEEP_EXPIRED_HITS: &str = "DELETE FROM rate_limit_hits WHERE rowid IN (\
    SELECT rowid FROM (SELECT rowid, at_ms FROM rate_limit_hits ORDER BY rowid LIMIT 16) \
    WHERE at_ms <= ?1)";

/// Counts the entries of one bucket and finds the oldest.
const COUNT_HITS: &str = "SELECT COUNT(*), MIN(at_ms) FROM rate_limit_hits WHERE bucket = ?1";

const INSERT_HIT: &str = "INSERT INTO rate_limit_hits (bucket, at_ms) VALUES (?1, ?2)";

/// The outcome of one rate-limit check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request was admitted and recorded.
    pub admitted: bool,
    /// Admitted requests in the window, this one included when admitted.
    pub count_in_window: u32,
    /// Admission time, in Unix milliseconds, of the oldest request in the
    /// window; `None` when the window is empty.
    pub oldest_at_ms: Option<i64>,
}

impl Database {
    /// Admits a request of `bucket` at `now_ms` when fewer than `limit`
    /// requests were admitted in the `window_ms` milliseconds before it, and
    /// records it.
    ///
    /// A request admitted at `t` counts while `now_ms - t < window_ms`.
    /// Rejected requests are not recorded. The whole check runs in one
    /// `BEGIN IMMEDIATE` transaction, so concurrent requests of a bucket
    /// never admit more than `limit`. A database that stays locked past the
    /// busy timeout is a [`StorageError::Unavailable`].
    pub async fn admit_rate_limited(
        &self,
        bucket: &str,
        now_ms: i64,
        limit: u32,
        window_ms: i64,
    ) -> Result<RateDecision, StorageError> {
        let cutoff = now_ms.saturating_sub(window_ms);
        write_transaction(&self.connection, async |connection| {
            admit_in_transaction(connection, bucket, now_ms, cutoff, limit).await
        })
        .await
    }
}

async fn admit_in_transaction(
    connection: &Connection,
    bucket: &str,
    now_ms: i64,
    cutoff_ms: i64,
    limit: u32,
) -> Result<RateDecision, StorageError> {
    let expired = [Value::from(bucket), Value::Integer(cutoff_ms)];
    query(connection, DELETE_EXPIRED_HITS, expired).await?;
    query(connection, SWEEP_EXPIRED_HITS, [Value::Integer(cutoff_ms)]).await?;

    let rows = query(connection, COUNT_HITS, [Value::from(bucket)]).await?;
    let (count, oldest_at_ms) = decode_count(rows.first())?;

    let decision = decide(count, oldest_at_ms, limit, now_ms);
    if decision.admitted {
        let hit = [Value::from(bucket), Value::Integer(now_ms)];
        query(connection, INSERT_HIT, hit).await?;
    }
    Ok(decision)
}

/// Reads the row of [`COUNT_HITS`]: the number of entries and the oldest
/// entry's time, `NULL` when there are none.
fn decode_count(row: Option<&RowResult>) -> Result<(i64, Option<i64>), StorageError> {
    let values = row.map_or(&[][..], |row| row.values.as_slice());
    let mut row = RowReader::new(values);
    let count = row.integer("COUNT(*)")?;
    let oldest_at_ms = row.optional_integer("MIN(at_ms)")?;
    Ok((count, oldest_at_ms))
}

/// Decides on a request at `now_ms`, given the `count` entries already in
/// the window and the oldest entry's time.
fn decide(count: i64, oldest_at_ms: Option<i64>, limit: u32, now_ms: i64) -> RateDecision {
    let count = u32::try_from(count.max(0)).unwrap_or(u32::MAX);
    if count < limit {
        RateDecision {
            admitted: true,
            count_in_window: count + 1,
            oldest_at_ms: Some(oldest_at_ms.map_or(now_ms, |oldest| oldest.min(now_ms))),
        }
    } else {
        RateDecision {
            admitted: false,
            count_in_window: count,
            oldest_at_ms,
        }
    }
}

#[cfg(test)]
mod tests;
