//! The consistency check of the daily lead counts: a full recount from
//! `leads`, compared with the stored counts and written over them.

use cloudvelous_contract::{LeadSource, LeadStatus};
use spin_sdk::sqlite::{Connection, Value};

use super::{decode_count, decode_source, decode_status};
use crate::row::RowReader;
use crate::sql::{query, write_transaction};
use crate::{Database, StorageError};

/// Every (day, source, status) whose stored count differs from the number
/// of rows in `leads`, deleted leads included, in key order. The day of a
/// lead is its `created_at` divided by 86,400 and rounded down, which the
/// expression computes without SQLite's rounding towards zero for negative
/// numbers. Missing rows on either side count as zero.
pub const SELECT_COUNT_DIFFERENCES: &str = "\
    SELECT day, source, status, SUM(stored), SUM(recounted) FROM ( \
        SELECT day, source, status, count AS stored, 0 AS recounted FROM lead_daily_counts \
        UNION ALL \
        SELECT (created_at - ((created_at % 86400) + 86400) % 86400) / 86400 AS day, \
            source, status, 0 AS stored, COUNT(*) AS recounted \
            FROM leads GROUP BY 1, 2, 3 \
    ) GROUP BY day, source, status HAVING SUM(stored) <> SUM(recounted) \
    ORDER BY day, source, status";

/// Sets the count of day `?1`, source `?2` and status `?3` to `?4`.
const SET_DAILY_COUNT: &str = "INSERT INTO lead_daily_counts \
    (day, source, status, count) VALUES (?1, ?2, ?3, ?4) \
    ON CONFLICT (day, source, status) DO UPDATE SET count = excluded.count";

const SUM_ALL_DAILY_COUNTS: &str = "SELECT COALESCE(SUM(count), 0) FROM lead_daily_counts";

/// A stored daily count that differed from the recount, and was replaced
/// by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountCorrection {
    /// The creation day, counted from 1970-01-01.
    pub day: i64,
    /// The source of the leads counted.
    pub source: LeadSource,
    /// The current status of the leads counted.
    pub status: LeadStatus,
    /// The count before the rebuild.
    pub stored: u64,
    /// The number of leads in `leads`, which the count now holds.
    pub recounted: u64,
}

/// The outcome of [`Database::rebuild_lead_daily_counts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyCountsRebuild {
    /// Leads counted, deleted ones included: the sum of every daily count
    /// after the rebuild.
    pub leads_counted: u64,
    /// Every count that the rebuild changed, in (day, source, status) order.
    /// Empty when the counts matched the leads.
    pub corrections: Vec<CountCorrection>,
}

impl Database {
    /// Recounts the leads per creation day, source and status from the
    /// `leads` table, replaces every daily count that differs, and returns
    /// what it changed.
    ///
    /// The recount and the corrections run in one `BEGIN IMMEDIATE`
    /// transaction, so no lead is created or changed in between. The
    /// recount reads every lead, so the write lock is held for as long as a
    /// full scan of `leads` takes.
    pub async fn rebuild_lead_daily_counts(&self) -> Result<DailyCountsRebuild, StorageError> {
        write_transaction(&self.connection, async |connection| {
            let corrections = find_differences(connection).await?;
            for correction in &corrections {
                apply_correction(connection, correction).await?;
            }
            let leads_counted = sum_all_counts(connection).await?;
            Ok(DailyCountsRebuild {
                leads_counted,
                corrections,
            })
        })
        .await
    }
}

async fn find_differences(connection: &Connection) -> Result<Vec<CountCorrection>, StorageError> {
    let rows = query(connection, SELECT_COUNT_DIFFERENCES, []).await?;
    rows.iter()
        .map(|row| decode_correction(&row.values))
        .collect()
}

pub(super) fn decode_correction(values: &[Value]) -> Result<CountCorrection, StorageError> {
    let mut row = RowReader::new(values);
    Ok(CountCorrection {
        day: row.integer("day")?,
        source: decode_source(row.text("source")?)?,
        status: decode_status(row.text("status")?)?,
        stored: decode_count(row.integer("stored")?)?,
        recounted: decode_count(row.integer("recounted")?)?,
    })
}

async fn apply_correction(
    connection: &Connection,
    correction: &CountCorrection,
) -> Result<(), StorageError> {
    let recounted = i64::try_from(correction.recounted).map_err(|_| StorageError::Decode {
        column: "recounted",
        problem: format!("{} does not fit in an SQLite integer", correction.recounted),
    })?;
    let parameters = [
        Value::Integer(correction.day),
        Value::from(correction.source.as_str()),
        Value::from(correction.status.as_str()),
        Value::Integer(recounted),
    ];
    query(connection, SET_DAILY_COUNT, parameters).await?;
    Ok(())
}

async fn sum_all_counts(connection: &Connection) -> Result<u64, StorageError> {
    let rows = query(connection, SUM_ALL_DAILY_COUNTS, []).await?;
    let values = rows.first().map_or(&[][..], |row| row.values.as_slice());
    decode_count(RowReader::new(values).integer("sum")?)
}
