//! Claims on the idempotency keys of `POST /api/leads`.
//!
//! A claim row names one key of one caller by a digest (see
//! `IdempotencyKey::scope_digest` in the domain crate). Inserting it is the
//! atomic step that lets exactly one request run for a key, because
//! `spin:key-value@3.0.0`, the interface that keeps the finished responses,
//! has no compare-and-swap. Each claim has a random token. The stored response
//! carries the same token, so a response left over from an older claim is
//! never replayed for a newer one.

use cloudvelous_domain::Timestamp;
use spin_sdk::sqlite::Value;

use crate::row::RowReader;
use crate::sql::query;
use crate::{Database, StorageError};

/// How long a key is kept after its first request: 24 hours.
pub const IDEMPOTENCY_RETENTION_SECONDS: i64 = 24 * 60 * 60;

/// How long an unfinished claim blocks its key. A request that has not
/// finished after this long is presumed dead, such as a component instance
/// that trapped, and another request may take the key over.
pub const IDEMPOTENCY_LEASE_SECONDS: i64 = 60;

/// Claims a key: inserts the row, or replaces one that expired or whose
/// unfinished claim outlived its lease. `?5` is the expiry cut-off and `?6`
/// the lease cut-off, both in Unix seconds.
const CLAIM: &str = "INSERT INTO idempotency_keys \
    (scope_hash, fingerprint, token, claimed_at, completed_at, lead_id) \
    VALUES (?1, ?2, ?3, ?4, NULL, NULL) \
    ON CONFLICT (scope_hash) DO UPDATE SET \
    fingerprint = excluded.fingerprint, token = excluded.token, \
    claimed_at = excluded.claimed_at, completed_at = NULL, lead_id = NULL \
    WHERE idempotency_keys.claimed_at <= ?5 \
    OR (idempotency_keys.completed_at IS NULL AND idempotency_keys.claimed_at <= ?6)";

/// Reads the holder of a key, comparing its body digest with `?2`. A digest
/// erased with its lead (`NULL`) is a tombstone that matches no body.
/// Columns in the order [`decode_holder`] reads them.
const SELECT_CLAIM: &str = "SELECT \
    fingerprint IS NULL, coalesce(fingerprint = ?2, 0), token, completed_at IS NOT NULL \
    FROM idempotency_keys WHERE scope_hash = ?1";

/// Replaces a finished claim whose stored response is missing.
const TAKE_OVER: &str = "UPDATE idempotency_keys SET \
    fingerprint = ?3, token = ?4, claimed_at = ?5, completed_at = NULL, lead_id = NULL \
    WHERE scope_hash = ?1 AND token = ?2";

/// Marks a claim finished and links it to the lead `?4`. When that lead was
/// erased while the request ran, before the claim named it, the body digest
/// is erased here instead. SQLite runs writes one at a time, so either the
/// erasure finds the link or this statement finds the erased lead.
const COMPLETE: &str = "UPDATE idempotency_keys SET completed_at = ?3, lead_id = ?4, \
    fingerprint = CASE WHEN EXISTS \
    (SELECT 1 FROM leads WHERE id = ?4 AND deleted_at IS NOT NULL) \
    THEN NULL ELSE fingerprint END \
    WHERE scope_hash = ?1 AND token = ?2";

const RELEASE: &str = "DELETE FROM idempotency_keys WHERE scope_hash = ?1 AND token = ?2";

const SELECT_EXPIRED: &str =
    "SELECT scope_hash, token FROM idempotency_keys WHERE claimed_at <= ?1 LIMIT ?2";

/// Attempts at a claim whose row disappears between the two statements,
/// which happens when the holder releases it at that moment.
const CLAIM_ATTEMPTS: u32 = 3;

/// The state of a key after [`Database::claim_idempotency_key`].
#[derive(Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The calling request owns the key and runs.
    Acquired,
    /// Another request with the same body owns the key and has not
    /// finished.
    InFlight,
    /// The key was first used with another body.
    OtherBody,
    /// A request with the same body finished. Its response is stored under
    /// the key with this claim token.
    Completed {
        /// Token of the claim that stored the response.
        token: String,
    },
    /// The lead that the key's request created or collided with was erased,
    /// and the body digest with it. No body matches the key until it
    /// expires.
    Erased,
}

/// The current holder of a key, as [`SELECT_CLAIM`] reads it.
struct Holder {
    erased: bool,
    same_body: bool,
    token: String,
    completed: bool,
}

impl Database {
    /// Claims the key with digest `scope` for a request whose body has
    /// digest `fingerprint`, under the new claim token `token`.
    pub async fn claim_idempotency_key(
        &self,
        scope: &[u8; 32],
        fingerprint: &[u8; 32],
        token: &str,
        now: Timestamp,
    ) -> Result<IdempotencyClaim, StorageError> {
        for _ in 0..CLAIM_ATTEMPTS {
            let parameters = claim_parameters(scope, fingerprint, token, now);
            query(&self.connection, CLAIM, parameters).await?;
            if self.connection.changes().await == 1 {
                return Ok(IdempotencyClaim::Acquired);
            }
            let Some(holder) = self.idempotency_holder(scope, fingerprint).await? else {
                continue;
            };
            return Ok(classify(holder));
        }
        Ok(IdempotencyClaim::InFlight)
    }

    /// Replaces the finished claim `old_token` with a new claim, for a
    /// request that finds the claim's stored response missing. Returns
    /// whether it succeeded; it fails when another request got there first.
    pub async fn take_over_idempotency_key(
        &self,
        scope: &[u8; 32],
        old_token: &str,
        fingerprint: &[u8; 32],
        token: &str,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let parameters = [
            Value::Blob(scope.to_vec()),
            Value::from(old_token),
            Value::Blob(fingerprint.to_vec()),
            Value::from(token),
            Value::Integer(now.unix_seconds()),
        ];
        query(&self.connection, TAKE_OVER, parameters).await?;
        Ok(self.connection.changes().await == 1)
    }

    /// Marks the claim `token` finished once its response is stored, linking
    /// it to the lead that the request created or collided with, so that
    /// erasing that lead also erases the body digest. A lead already erased
    /// erases the digest at once. Returns `false` when the claim was taken
    /// over meanwhile.
    pub async fn complete_idempotency_key(
        &self,
        scope: &[u8; 32],
        token: &str,
        lead_id: Option<&str>,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let parameters = [
            Value::Blob(scope.to_vec()),
            Value::from(token),
            Value::Integer(now.unix_seconds()),
            Value::from(lead_id),
        ];
        query(&self.connection, COMPLETE, parameters).await?;
        Ok(self.connection.changes().await == 1)
    }

    /// Deletes the claim `token`, so that the next request with the key runs
    /// again. Used when the request failed or its response could not be
    /// stored.
    pub async fn release_idempotency_key(
        &self,
        scope: &[u8; 32],
        token: &str,
    ) -> Result<(), StorageError> {
        let parameters = [Value::Blob(scope.to_vec()), Value::from(token)];
        query(&self.connection, RELEASE, parameters).await?;
        Ok(())
    }

    /// Deletes up to `max` claims older than the retention period and
    /// returns the scope digests of the deleted ones, whose stored responses
    /// the caller then deletes.
    pub async fn purge_expired_idempotency_keys(
        &self,
        now: Timestamp,
        max: u32,
    ) -> Result<Vec<[u8; 32]>, StorageError> {
        let cutoff = now.unix_seconds() - IDEMPOTENCY_RETENTION_SECONDS;
        let parameters = [Value::Integer(cutoff), Value::Integer(i64::from(max))];
        let rows = query(&self.connection, SELECT_EXPIRED, parameters).await?;

        let mut purged = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut reader = RowReader::new(&row.values);
            let scope = decode_digest(reader.blob("scope_hash")?, "scope_hash")?;
            let token = reader.text("token")?;
            self.release_idempotency_key(&scope, token).await?;
            if self.connection.changes().await == 1 {
                purged.push(scope);
            }
        }
        Ok(purged)
    }

    async fn idempotency_holder(
        &self,
        scope: &[u8; 32],
        fingerprint: &[u8; 32],
    ) -> Result<Option<Holder>, StorageError> {
        let parameters = [
            Value::Blob(scope.to_vec()),
            Value::Blob(fingerprint.to_vec()),
        ];
        let rows = query(&self.connection, SELECT_CLAIM, parameters).await?;
        rows.first()
            .map(|row| decode_holder(&row.values))
            .transpose()
    }
}

fn claim_parameters(
    scope: &[u8; 32],
    fingerprint: &[u8; 32],
    token: &str,
    now: Timestamp,
) -> [Value; 6] {
    let now = now.unix_seconds();
    [
        Value::Blob(scope.to_vec()),
        Value::Blob(fingerprint.to_vec()),
        Value::from(token),
        Value::Integer(now),
        Value::Integer(now - IDEMPOTENCY_RETENTION_SECONDS),
        Value::Integer(now - IDEMPOTENCY_LEASE_SECONDS),
    ]
}

fn classify(holder: Holder) -> IdempotencyClaim {
    if holder.erased {
        return IdempotencyClaim::Erased;
    }
    match (holder.same_body, holder.completed) {
        (false, _) => IdempotencyClaim::OtherBody,
        (true, false) => IdempotencyClaim::InFlight,
        (true, true) => IdempotencyClaim::Completed {
            token: holder.token,
        },
    }
}

fn decode_holder(values: &[Value]) -> Result<Holder, StorageError> {
    let mut row = RowReader::new(values);
    Ok(Holder {
        erased: row.integer("erased")? != 0,
        same_body: row.integer("same_body")? != 0,
        token: row.text("token")?.to_owned(),
        completed: row.integer("completed")? != 0,
    })
}

fn decode_digest(bytes: &[u8], column: &'static str) -> Result<[u8; 32], StorageError> {
    bytes.try_into().map_err(|_| StorageError::Decode {
        column,
        problem: format!("expected 32 bytes, found {}", bytes.len()),
    })
}

#[cfg(test)]
mod tests;
