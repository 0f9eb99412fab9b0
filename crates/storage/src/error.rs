//! Storage failures, classified once from Spin's SQLite errors and turned
//! into API errors in one place.

use cloudvelous_contract::ErrorDetail;
use cloudvelous_http_kit::{ApiError, RequestId, log_service_failure};
use spin_sdk::sqlite;

/// A failed database operation.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A write clashed with a primary key or unique index.
    #[error("unique constraint violated: {0}")]
    Conflict(String),

    /// A live lead already has the new lead's email comparison key.
    #[error("a lead with the same email already exists: {existing_lead_id}")]
    DuplicateEmail {
        /// Identifier of the lead that has the email.
        existing_lead_id: String,
    },

    /// The database could not be opened or reached, stayed locked past the
    /// busy timeout, or failed at the I/O level. Retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),

    /// A statement failed for a reason that points at the code or the
    /// schema, such as a syntax error, a missing table or a CHECK constraint.
    #[error("database statement failed: {0}")]
    Statement(String),

    /// A stored value does not have the type or form the code expects.
    #[error("invalid stored value in column {column}: {problem}")]
    Decode {
        /// Name of the column in the query's result.
        column: &'static str,
        /// Description of the problem with the value.
        problem: String,
    },
}

/// Fragments of SQLite's messages for failures of the database rather than
/// of the statement, as `sqlite3ErrStr` in SQLite 3.50 writes them.
const UNAVAILABLE_MESSAGES: &[&str] = &[
    "database is locked",
    "database table is locked",
    "disk I/O error",
    "unable to open database file",
    "database or disk is full",
    "attempt to write a readonly database",
    "out of memory",
];

impl From<sqlite::Error> for StorageError {
    fn from(error: sqlite::Error) -> Self {
        match error {
            sqlite::Error::NoSuchDatabase => {
                Self::Unavailable("no database with the requested label is configured. Check sqlite_databases in spin.toml and the runtime configuration".to_owned())
            }
            sqlite::Error::AccessDenied => Self::Unavailable(
                "the component has no access to the database. Check sqlite_databases in spin.toml"
                    .to_owned(),
            ),
            sqlite::Error::InvalidConnection => {
                Self::Unavailable("the database connection is no longer valid".to_owned())
            }
            sqlite::Error::DatabaseFull => Self::Unavailable("the database is full".to_owned()),
            // Spin reports every failure of SQLite itself as `io` with SQLite's
            // message, so the message text is the only way to tell them apart.
            sqlite::Error::Io(message) => classify_message(message),
        }
    }
}

/// Converts a storage failure into its API error for a request of
/// `component`. An unavailable database becomes a `503` whose envelope and
/// request line leave the cause out, so the cause is logged here.
pub fn storage_failure<'a>(
    component: &'a str,
    request_id: &'a RequestId,
) -> impl FnOnce(StorageError) -> ApiError + 'a {
    move |error| {
        if let StorageError::Unavailable(_) = &error {
            log_service_failure(component, request_id, "database", &error);
        }
        ApiError::from(error)
    }
}

impl StorageError {
    /// Checks whether another connection held a lock that SQLite did not wait for.
    pub fn is_locked(&self) -> bool {
        matches!(self, StorageError::Unavailable(message) if message.contains("database is locked"))
    }
}

fn classify_message(message: String) -> StorageError {
    if message.contains("UNIQUE constraint failed") {
        StorageError::Conflict(message)
    } else if UNAVAILABLE_MESSAGES
        .iter()
        .any(|fragment| message.contains(fragment))
    {
        StorageError::Unavailable(message)
    } else {
        StorageError::Statement(message)
    }
}

impl From<StorageError> for ApiError {
    /// Maps a unique clash to `409`, an unreachable database to `503` and
    /// everything else to `500`. The cause stays out of the response body.
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Conflict(_) => ApiError::Conflict {
                message: "The record already exists".to_owned(),
                details: Vec::new(),
            },
            StorageError::DuplicateEmail { existing_lead_id } => ApiError::Conflict {
                message: "A lead with this email already exists".to_owned(),
                details: vec![ErrorDetail {
                    field: "email".to_owned(),
                    message: "matches the email of an existing lead".to_owned(),
                    existing_lead_id: Some(existing_lead_id),
                }],
            },
            StorageError::Unavailable(_) => ApiError::ServiceUnavailable(
                "The database is temporarily unavailable. Retry later".to_owned(),
            ),
            StorageError::Statement(_) | StorageError::Decode { .. } => {
                ApiError::Internal(anyhow::Error::new(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(message: &str) -> StorageError {
        StorageError::from(sqlite::Error::Io(message.to_owned()))
    }

    #[test]
    fn unique_violation_is_conflict() {
        let error = io("UNIQUE constraint failed: leads.id");
        assert!(matches!(error, StorageError::Conflict(_)), "{error:?}");
    }

    #[test]
    fn lock_and_io_failures_are_unavailable() {
        for message in [
            "database is locked",
            "disk I/O error",
            "unable to open database file: /data/cloudvelous.db",
        ] {
            let error = io(message);
            assert!(
                matches!(error, StorageError::Unavailable(_)),
                "{message}: {error:?}"
            );
        }
    }

    #[test]
    fn host_errors_are_unavailable() {
        for error in [
            sqlite::Error::NoSuchDatabase,
            sqlite::Error::AccessDenied,
            sqlite::Error::InvalidConnection,
            sqlite::Error::DatabaseFull,
        ] {
            let error = StorageError::from(error);
            assert!(matches!(error, StorageError::Unavailable(_)), "{error:?}");
        }
    }

    #[test]
    fn statement_failures_are_statement_errors() {
        for message in [
            "no such table: leads",
            "near \"SELEC\": syntax error",
            "CHECK constraint failed: source IN ('website')",
        ] {
            let error = io(message);
            assert!(
                matches!(error, StorageError::Statement(_)),
                "{message}: {error:?}"
            );
        }
    }

    #[test]
    fn conflict_maps_to_conflict_api_error() {
        let error = ApiError::from(io("UNIQUE constraint failed: leads.id"));
        assert!(matches!(error, ApiError::Conflict { .. }), "{error:?}");
    }

    #[test]
    fn unavailable_maps_to_service_unavailable() {
        let error = ApiError::from(io("database is locked"));
        assert!(
            matches!(error, ApiError::ServiceUnavailable(_)),
            "{error:?}"
        );
    }

    #[test]
    fn internal_api_error_keeps_cause() {
        let error = ApiError::from(io("no such table: leads"));
        let ApiError::Internal(cause) = error else {
            panic!("expected an internal error, got {error:?}");
        };
        assert!(
            cause.to_string().contains("no such table: leads"),
            "{cause}"
        );
    }

    #[test]
    fn service_unavailable_hides_cause() {
        let error = ApiError::from(io("disk I/O error at /srv/data/cloudvelous.db"));
        let ApiError::ServiceUnavailable(message) = error else {
            panic!("expected a service-unavailable error, got {error:?}");
        };
        assert!(!message.contains("/srv/data"), "{message}");
    }
}
