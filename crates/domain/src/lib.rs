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
mod lead_id;
mod new_lead;
mod phone;
mod random;
mod text;
mod timestamp;

pub use email::Email;
pub use field::{FieldError, InvalidValue};
pub use lead_id::LeadId;
pub use new_lead::NewLead;
pub use phone::PhoneNumber;
pub use random::random_alphanumeric;
pub use text::{CompanyName, Notes, PersonName};
pub use timestamp::Timestamp;
