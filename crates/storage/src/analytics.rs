//! Daily lead counts: the number of leads per creation day, source and
//! current status, kept in `lead_daily_counts` so that a report over a range
//! of days reads one row per day and group instead of every lead.
//!
//! Every write that creates a lead or changes its status adjusts the counts
//! atomically with it: the insert through the trigger of the
//! `lead_submissions` view, a status change through
//! [`move_between_daily_counts`] in its transaction. Deleting a lead keeps its row in `leads`
//! and never touches the counts, so erased leads stay counted.
//! [`Database::rebuild_lead_daily_counts`] recounts the table from `leads`.

mod rebuild;

use cloudvelous_contract::{LeadSource, LeadStatus, SourceCounts, StatusCounts};
use cloudvelous_domain::Timestamp;
use spin_sdk::sqlite::{Connection, Value};

use crate::row::RowReader;
use crate::sql::query;
use crate::{Database, StorageError};

pub use rebuild::{CountCorrection, DailyCountsRebuild, SELECT_COUNT_DIFFERENCES};

/// Seconds in a UTC day. Unix time has no leap seconds, so every day has
/// exactly this many.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// Adds `?4` to the count of day `?1`, source `?2` and status `?3`, creating
/// the row when it is missing.
pub const ADD_TO_DAILY_COUNT: &str = "INSERT INTO lead_daily_counts \
    (day, source, status, count) VALUES (?1, ?2, ?3, ?4) \
    ON CONFLICT (day, source, status) DO UPDATE SET count = count + excluded.count";

/// Takes one lead off the count of day `?1`, source `?2` and status `?3`.
/// A count that is already zero or missing stays as it is, because the
/// table has drifted from `leads` and only a rebuild can tell the right
/// value.
pub(crate) const SUBTRACT_ONE_FROM_DAILY_COUNT: &str = "UPDATE lead_daily_counts SET count = count - 1 \
    WHERE day = ?1 AND source = ?2 AND status = ?3 AND count > 0";

/// Sums the counts of the days from `?1` to `?2` twice in one statement, so
/// both sums come from the same snapshot: per day (`kind` 0), then per
/// source and status (`kind` 1). The first half reads a range of the
/// primary key. The second names every source and status, so that SQLite
/// reads one range of days per group from `lead_daily_counts_groups`, in
/// group order, instead of sorting the rows of the range.
const SUM_DAILY_COUNTS: &str = "\
    SELECT 0, day, NULL, NULL, SUM(count) FROM lead_daily_counts \
        WHERE day BETWEEN ?1 AND ?2 GROUP BY day \
    UNION ALL \
    SELECT 1, NULL, source, status, SUM(count) FROM lead_daily_counts \
        WHERE source IN ('website', 'social', 'referral', 'email', 'phone') \
        AND status IN ('new', 'contacted', 'qualified', 'converted', 'lost') \
        AND day BETWEEN ?1 AND ?2 GROUP BY source, status";

/// Returns the UTC day, counted from 1970-01-01, that contains `timestamp`.
/// A lead created at 23:59:59 belongs to that day, and one created at
/// 00:00:00 the next day to the next.
pub fn unix_day(timestamp: Timestamp) -> i64 {
    timestamp.unix_seconds().div_euclid(SECONDS_PER_DAY)
}

/// Lead counts over an inclusive range of days, read from the daily counts.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeCounts {
    /// First day of the range, counted from 1970-01-01.
    pub first_day: i64,
    /// Leads created on each day of the range, starting at `first_day`, with
    /// zero for days without leads.
    pub daily: Vec<u64>,
    /// Leads of the range per source.
    pub by_source: SourceCounts,
    /// Leads of the range per current status.
    pub by_status: StatusCounts,
}

impl RangeCounts {
    /// Returns the number of leads created in the range.
    pub fn total(&self) -> u64 {
        self.daily.iter().sum()
    }
}

impl Database {
    /// Counts the leads created from `first_day` to `last_day`, both
    /// included, per day, per source and per current status.
    ///
    /// The cost grows with the number of days, not with the number of
    /// leads: one statement sums at most one row per day, source and status.
    /// A range whose `last_day` is before `first_day` counts nothing.
    pub async fn count_leads_by_day(
        &self,
        first_day: i64,
        last_day: i64,
    ) -> Result<RangeCounts, StorageError> {
        let parameters = [Value::Integer(first_day), Value::Integer(last_day)];
        let rows = query(&self.connection, SUM_DAILY_COUNTS, parameters).await?;
        let day_count = usize::try_from(last_day - first_day + 1).unwrap_or(0);
        let mut counts = RangeCounts {
            first_day,
            daily: vec![0; day_count],
            by_source: SourceCounts::default(),
            by_status: StatusCounts::default(),
        };
        for row in &rows {
            add_sum_row(&mut counts, &row.values)?;
        }
        Ok(counts)
    }
}

/// Adds one row of [`SUM_DAILY_COUNTS`] to `counts`.
fn add_sum_row(counts: &mut RangeCounts, values: &[Value]) -> Result<(), StorageError> {
    let mut row = RowReader::new(values);
    match row.integer("kind")? {
        0 => add_day_sum(counts, row),
        1 => add_group_sum(counts, row),
        kind => Err(StorageError::Decode {
            column: "kind",
            problem: format!("{kind} is neither 0 (per day) nor 1 (per group)"),
        }),
    }
}

/// Reads the rest of a per-day row: `day`, two NULLs and the sum.
fn add_day_sum(counts: &mut RangeCounts, mut row: RowReader<'_>) -> Result<(), StorageError> {
    let day = row.integer("day")?;
    row.optional_text("source")?;
    row.optional_text("status")?;
    let count = decode_count(row.integer("count")?)?;
    let slot = usize::try_from(day - counts.first_day)
        .ok()
        .and_then(|index| counts.daily.get_mut(index))
        .ok_or_else(|| StorageError::Decode {
            column: "day",
            problem: format!("day {day} is outside the requested range"),
        })?;
    *slot += count;
    Ok(())
}

/// Reads the rest of a per-group row: NULL, `source`, `status` and the sum.
fn add_group_sum(counts: &mut RangeCounts, mut row: RowReader<'_>) -> Result<(), StorageError> {
    row.optional_integer("day")?;
    let source = decode_source(row.text("source")?)?;
    let status = decode_status(row.text("status")?)?;
    let count = decode_count(row.integer("count")?)?;
    *counts.by_source.get_mut(source) += count;
    *counts.by_status.get_mut(status) += count;
    Ok(())
}

/// Adds `delta` leads to the count of `day`, `source` and `status`. Runs
/// inside the caller's write transaction.
pub(crate) async fn add_to_daily_count(
    connection: &Connection,
    day: i64,
    source: LeadSource,
    status: LeadStatus,
    delta: i64,
) -> Result<(), StorageError> {
    let parameters = [
        Value::Integer(day),
        Value::from(source.as_str()),
        Value::from(status.as_str()),
        Value::Integer(delta),
    ];
    query(connection, ADD_TO_DAILY_COUNT, parameters).await?;
    Ok(())
}

/// Moves one lead created on `day` from the count of status `from` to the
/// count of status `to`. Runs inside the caller's write transaction.
pub(crate) async fn move_between_daily_counts(
    connection: &Connection,
    day: i64,
    source: LeadSource,
    from: LeadStatus,
    to: LeadStatus,
) -> Result<(), StorageError> {
    if from == to {
        return Ok(());
    }
    let parameters = [
        Value::Integer(day),
        Value::from(source.as_str()),
        Value::from(from.as_str()),
    ];
    query(connection, SUBTRACT_ONE_FROM_DAILY_COUNT, parameters).await?;
    add_to_daily_count(connection, day, source, to, 1).await
}

fn decode_count(count: i64) -> Result<u64, StorageError> {
    u64::try_from(count).map_err(|_| StorageError::Decode {
        column: "count",
        problem: format!("{count} is negative"),
    })
}

pub(crate) fn decode_source(text: &str) -> Result<LeadSource, StorageError> {
    LeadSource::parse(text).ok_or_else(|| StorageError::Decode {
        column: "source",
        problem: format!("{text:?} is not a lead source"),
    })
}

pub(crate) fn decode_status(text: &str) -> Result<LeadStatus, StorageError> {
    LeadStatus::parse(text).ok_or_else(|| StorageError::Decode {
        column: "status",
        problem: format!("{text:?} is not a lead status"),
    })
}

#[cfg(test)]
mod tests;
