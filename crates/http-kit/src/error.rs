//! The error type whose variants are the contract's error codes.

use std::fmt;

use cloudvelous_contract::{ErrorCode, ErrorDetail};
use cloudvelous_domain::FieldError;
use http::{Method, StatusCode};

/// A failed request, turned into the error envelope by
/// [`error_response`](crate::error_response).
///
/// `Display` writes the message sent to the client. For
/// [`ApiError::Internal`] that message is generic, and the cause is
/// available through [`std::error::Error::source`] for the log.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed. The message describes the problem.
    BadRequest(String),
    /// 401: credentials are missing or invalid. The response does not say
    /// which check failed.
    Unauthorized,
    /// 403: the credentials lack a required permission. The message names
    /// it.
    Forbidden(String),
    /// 404: the resource does not exist. The message names it.
    NotFound(String),
    /// 405: the resource does not support the method.
    MethodNotAllowed {
        /// Methods that the resource supports, sent in the `Allow` header.
        allow: &'static [Method],
    },
    /// 409: the request conflicts with stored data.
    Conflict {
        /// Summary of the conflict.
        message: String,
        /// The fields in conflict, such as `email` with the existing lead's id.
        details: Vec<ErrorDetail>,
    },
    /// 413: the request body exceeds the size limit.
    PayloadTooLarge {
        /// The limit that the body exceeded, in bytes.
        limit_bytes: usize,
    },
    /// 415: the request body is not declared as `application/json`.
    UnsupportedMediaType,
    /// 422: the JSON body breaks the schema, with one entry per field.
    Validation(Vec<FieldError>),
    /// 429: the caller exceeded the rate limit.
    RateLimited {
        /// Seconds until the caller may send another request, sent in the
        /// `Retry-After` header.
        retry_after_seconds: u64,
    },
    /// 500: the server failed. [`log_request`](crate::log_request) logs the
    /// cause chain, and the response never contains it.
    Internal(anyhow::Error),
    /// 503: a backing service is unavailable. The message names the service
    /// in terms fit for the client. The response carries `Retry-After: 1`.
    ServiceUnavailable(String),
}

impl ApiError {
    /// Returns the contract's error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::Unauthorized => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::Conflict { .. } => ErrorCode::Conflict,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            ApiError::Validation(_) => ErrorCode::ValidationError,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::Internal(_) => ErrorCode::InternalError,
            ApiError::ServiceUnavailable(_) => ErrorCode::ServiceUnavailable,
        }
    }

    /// Returns the HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Returns the `details` entries of the envelope: one per field for
    /// validation errors, the conflicting fields for conflicts, and none
    /// otherwise.
    pub fn details(&self) -> Vec<ErrorDetail> {
        match self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|error| ErrorDetail {
                    field: error.field.clone(),
                    message: error.message.clone(),
                    existing_lead_id: None,
                })
                .collect(),
            ApiError::Conflict { details, .. } => details.clone(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::BadRequest(message)
            | ApiError::Forbidden(message)
            | ApiError::NotFound(message)
            | ApiError::Conflict { message, .. }
            | ApiError::ServiceUnavailable(message) => formatter.write_str(message),
            ApiError::Unauthorized => formatter.write_str("Invalid or missing credentials"),
            ApiError::MethodNotAllowed { allow } => write!(
                formatter,
                "Method not allowed. This resource accepts {}",
                join_methods(allow)
            ),
            ApiError::PayloadTooLarge { limit_bytes } => {
                write!(formatter, "Request body exceeds {limit_bytes} bytes")
            }
            ApiError::UnsupportedMediaType => {
                formatter.write_str("Content-Type must be application/json")
            }
            ApiError::Validation(_) => formatter.write_str("Invalid input data"),
            ApiError::RateLimited {
                retry_after_seconds,
            } => write!(
                formatter,
                "Rate limit exceeded. Retry after {retry_after_seconds} seconds"
            ),
            ApiError::Internal(_) => formatter.write_str("Internal server error"),
        }
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ApiError::Internal(cause) => Some(cause.as_ref()),
            _ => None,
        }
    }
}

/// Any `anyhow` error is an internal error.
impl From<anyhow::Error> for ApiError {
    fn from(cause: anyhow::Error) -> Self {
        ApiError::Internal(cause)
    }
}

/// Field errors from request parsing are a validation error.
impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::Validation(errors)
    }
}

/// Joins methods as the `Allow` header lists them, such as `GET, POST`.
pub(crate) fn join_methods(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
