//! HTTP plumbing shared by every Cloudvelous component.
//!
//! The functions work on the `http` crate's types, so they run natively in
//! tests and inside Spin components alike. A handler typically reads the
//! [`RequestId`], parses its body with [`parse_json_body`], responds with
//! [`json_response`] or [`error_response`], and ends with one
//! [`log_request`] line.

mod body;
mod echo_limits;
mod error;
mod log;
mod request_id;
mod response;
mod strict_json;

pub use body::{MAX_AI_JSON_BODY, MAX_JSON_BODY, parse_json_body, read_json_body};
pub use error::ApiError;
pub use log::{log_request, log_service_failure};
pub use request_id::RequestId;
pub use response::{error_response, json_response, options_response};
