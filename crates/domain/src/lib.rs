//! Validated domain types of the Cloudvelous lead platform.
//!
//! Each constrained field has a newtype that can only be built by parsing
//! raw input, so a value of the type is valid by construction. Parsing a
//! whole request collects every field error, so that one `422` response can
//! list them all.
//!
//! The types that hold personal data (names, email addresses, phone numbers
//! and notes) print a redacted form through `Debug` and do not implement
//! `Display`, so that a log line cannot carry them by accident.

mod characters;
mod email;
mod field;
mod idempotency_key;
mod lead_cursor;
mod lead_fields;
mod lead_id;
mod lead_patch;
mod lead_query;
mod lead_status;
mod new_lead;
mod phone;
mod query_string;
mod random;
mod text;
mod time_bound;
mod timestamp;

pub use email::Email;
pub use field::{FieldError, InvalidValue};
pub use idempotency_key::{IdempotencyKey, body_fingerprint};
pub use lead_cursor::{CursorError, CursorKey, LeadCursor};
pub use lead_id::LeadId;
pub use lead_patch::LeadPatch;
pub use lead_query::{DEFAULT_PAGE_SIZE, LeadFilter, LeadQuery, MAX_PAGE_SIZE};
pub use lead_status::is_status_transition_allowed;
pub use new_lead::NewLead;
pub use phone::PhoneNumber;
pub use query_string::reject_query_parameters;
pub use random::random_alphanumeric;
pub use text::{CompanyName, Notes, PersonName};
pub use time_bound::{LowerBound, UpperBound, parse_lower_bound, parse_upper_bound};
pub use timestamp::Timestamp;
