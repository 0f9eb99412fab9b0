//! Field-level validation errors.

use std::error::Error;
use std::fmt;

/// A problem with one field of a request, shown to the client as one entry
/// of the error envelope's `details`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Name of the field as the client sent it, such as `email`, or `body`
    /// when the problem concerns the whole body.
    pub field: String,
    /// Description of the problem, written to follow the field name, such
    /// as `must be at most 100 characters`.
    pub message: String,
}

impl FieldError {
    /// Creates a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The rule that a raw value breaks, returned by the `parse` functions of
/// the domain newtypes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidValue {
    message: &'static str,
}

impl InvalidValue {
    pub(crate) const fn new(message: &'static str) -> Self {
        InvalidValue { message }
    }

    /// Returns the rule as a sentence that follows the field name, such as
    /// `must be a valid email address`. It never contains the rejected value.
    pub fn message(&self) -> &'static str {
        self.message
    }

    /// Attaches the name of the field that held the value.
    pub fn for_field(self, field: impl Into<String>) -> FieldError {
        FieldError::new(field, self.message)
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.message)
    }
}

impl Error for InvalidValue {}
