//! API-key rows: creating, listing and revoking keys, and finding a key by
//! the hash of the text a client sent.

use std::fmt;

use cloudvelous_domain::Timestamp;
use spin_sdk::sqlite::Value;
use subtle::ConstantTimeEq;

use crate::row::RowReader;
use crate::sql::query;
use crate::{Database, StorageError};

/// Minimum age, in seconds, of a key's stored `last_used_at` before a
/// request writes a newer one. Every write waits for the database's single
/// write lock, so a key in constant use is written about once per interval. Concurrent requests
/// that all read a stale time may each write it.
pub const LAST_USED_INTERVAL_SECONDS: i64 = 60;

const INSERT_API_KEY: &str = "INSERT INTO api_keys \
    (id, name, key_hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Columns in the order [`decode_api_key`] reads them.
const SELECT_API_KEYS: &str = "SELECT \
    id, name, scopes, created_at, last_used_at, revoked_at \
    FROM api_keys ORDER BY created_at, id";

/// The columns of [`SELECT_API_KEYS`] followed by `key_hash`.
const SELECT_API_KEY_BY_HASH: &str = "SELECT \
    id, name, scopes, created_at, last_used_at, revoked_at, key_hash \
    FROM api_keys WHERE key_hash = ?1";

/// Keeps the first revocation time, so revoking twice changes nothing. The
/// row still counts as changed, which distinguishes an existing id from an
/// unknown one.
const REVOKE_API_KEY: &str =
    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1";

/// Never moves `last_used_at` backwards when requests finish out of order.
const TOUCH_API_KEY: &str = "UPDATE api_keys SET last_used_at = ?2 \
    WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)";

/// An API key to store. The key itself is never stored, only its hash.
pub struct NewApiKey {
    /// Identifier, `key_` followed by letters and digits.
    pub id: String,
    /// Name given by the administrator who created the key.
    pub name: String,
    /// SHA-256 digest of the whole key text, `ak_` prefix included.
    pub key_hash: [u8; 32],
    /// Scope names the key grants. None may be empty or contain whitespace.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// Prints every field but the hash.
impl fmt::Debug for NewApiKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("NewApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key_hash", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A stored API key, without its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredApiKey {
    /// Identifier, `key_` followed by letters and digits.
    pub id: String,
    /// Name given by the administrator who created the key.
    pub name: String,
    /// Scope names the key grants, in the order they were stored.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Time of a recent request with the key, refreshed once the stored
    /// time is [`LAST_USED_INTERVAL_SECONDS`] old. `None` before the first
    /// use.
    pub last_used_at: Option<Timestamp>,
    /// Revocation time; `None` while the key is valid.
    pub revoked_at: Option<Timestamp>,
}

impl StoredApiKey {
    /// Returns whether the key has been revoked.
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    /// Returns whether a request at `now` should write `last_used_at`: when
    /// the key was never used, or the stored time is at least
    /// [`LAST_USED_INTERVAL_SECONDS`] old.
    pub fn last_used_is_stale(&self, now: Timestamp) -> bool {
        match self.last_used_at {
            None => true,
            Some(last_used) => {
                now.unix_seconds().saturating_sub(last_used.unix_seconds())
                    >= LAST_USED_INTERVAL_SECONDS
            }
        }
    }
}

impl Database {
    /// Inserts `key` and returns it as stored, never used and not revoked.
    ///
    /// An `id` or `key_hash` that already exists is a
    /// [`StorageError::Conflict`]. A scope that is empty or contains
    /// whitespace could not be read back, so it is a
    /// [`StorageError::Statement`] and nothing is written.
    pub async fn insert_api_key(&self, key: NewApiKey) -> Result<StoredApiKey, StorageError> {
        let scopes = join_scopes(&key.scopes)?;
        let parameters = [
            Value::from(key.id.as_str()),
            Value::from(key.name.as_str()),
            Value::Blob(key.key_hash.to_vec()),
            Value::Text(scopes),
            Value::Integer(key.created_at.unix_seconds()),
        ];
        query(&self.connection, INSERT_API_KEY, parameters).await?;
        Ok(StoredApiKey {
            id: key.id,
            name: key.name,
            scopes: key.scopes,
            created_at: key.created_at,
            last_used_at: None,
            revoked_at: None,
        })
    }

    /// Lists every key, revoked ones included, oldest first.
    pub async fn list_api_keys(&self) -> Result<Vec<StoredApiKey>, StorageError> {
        let rows = query(&self.connection, SELECT_API_KEYS, []).await?;
        rows.iter()
            .map(|row| decode_api_key(&mut RowReader::new(&row.values)))
            .collect()
    }

    /// Revokes the key with `id` at `now` and returns whether such a key
    /// exists. Revoking a revoked key keeps its first revocation time and
    /// still returns `true`.
    pub async fn revoke_api_key(&self, id: &str, now: Timestamp) -> Result<bool, StorageError> {
        let parameters = [Value::from(id), Value::Integer(now.unix_seconds())];
        query(&self.connection, REVOKE_API_KEY, parameters).await?;
        Ok(self.connection.changes().await > 0)
    }

    /// Finds the key whose stored hash is `key_hash`, revoked or not.
    ///
    /// The unique index finds the row, and the stored hash is then compared
    /// with `key_hash` again in constant time, so the result never depends
    /// on a comparison that stops at the first differing byte.
    pub async fn find_api_key_by_hash(
        &self,
        key_hash: &[u8; 32],
    ) -> Result<Option<StoredApiKey>, StorageError> {
        let parameters = [Value::Blob(key_hash.to_vec())];
        let rows = query(&self.connection, SELECT_API_KEY_BY_HASH, parameters).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        decode_matching_key(&row.values, key_hash)
    }

    /// Sets the `last_used_at` of the key with `id` to `now`, unless the
    /// stored time is already `now` or later.
    ///
    /// Each call is a write, so callers first check
    /// [`StoredApiKey::last_used_is_stale`].
    pub async fn touch_api_key(&self, id: &str, now: Timestamp) -> Result<(), StorageError> {
        let parameters = [Value::from(id), Value::Integer(now.unix_seconds())];
        query(&self.connection, TOUCH_API_KEY, parameters).await?;
        Ok(())
    }
}

/// Joins scope names with single spaces, the form of the `scopes` column.
fn join_scopes(scopes: &[String]) -> Result<String, StorageError> {
    if let Some(scope) = scopes
        .iter()
        .find(|scope| scope.is_empty() || scope.contains(char::is_whitespace))
    {
        return Err(StorageError::Statement(format!(
            "API key scope {scope:?} is empty or contains whitespace"
        )));
    }
    Ok(scopes.join(" "))
}

/// Decodes a row of [`SELECT_API_KEY_BY_HASH`], or returns `None` when its
/// hash differs from `key_hash`.
fn decode_matching_key(
    values: &[Value],
    key_hash: &[u8; 32],
) -> Result<Option<StoredApiKey>, StorageError> {
    let mut row = RowReader::new(values);
    let key = decode_api_key(&mut row)?;
    let stored_hash = row.blob("key_hash")?;
    // `ct_eq` on slices of different lengths returns false without looking
    // at the bytes; the length of a SHA-256 digest is no secret.
    let matches: bool = stored_hash.ct_eq(key_hash.as_slice()).into();
    Ok(matches.then_some(key))
}

fn decode_api_key(row: &mut RowReader<'_>) -> Result<StoredApiKey, StorageError> {
    Ok(StoredApiKey {
        id: row.text("id")?.to_owned(),
        name: row.text("name")?.to_owned(),
        scopes: row
            .text("scopes")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        created_at: Timestamp::from_unix_seconds(row.integer("created_at")?),
        last_used_at: row
            .optional_integer("last_used_at")?
            .map(Timestamp::from_unix_seconds),
        revoked_at: row
            .optional_integer("revoked_at")?
            .map(Timestamp::from_unix_seconds),
    })
}

#[cfg(test)]
mod tests;
