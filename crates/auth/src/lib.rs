//! Credential checks of the Cloudvelous API, free of any Spin dependency so
//! that they run in native unit tests.
//!
//! A request authenticates with `Authorization: Bearer <JWT>`, with
//! `X-API-Key: ak_…`, or with both. [`Credentials::from_headers`] extracts
//! them, [`verify_jwt`] checks a token against a [`KeySet`] and
//! [`JwtSettings`], and [`ApiKey`] parses, generates and hashes keys. Each
//! credential yields [`Grants`], and [`Grants::allows`] checks whether they
//! include a [`Scope`].
//!
//! Every rejection is an [`AuthFailure`]: its text names the failed check for
//! a log line and never contains the credential. The API tells clients only
//! that their credentials are invalid or missing.

mod api_key;
mod credentials;
mod failure;
mod jwt;
mod keys;
mod rs256;
mod scope;
mod secret;

#[cfg(test)]
mod test_support;

pub use api_key::{
    API_KEY_PREFIX, ApiKey, GENERATED_API_KEY_LENGTH, MAX_API_KEY_LENGTH, MIN_API_KEY_LENGTH,
    hashes_equal,
};
pub use credentials::{API_KEY_HEADER, Credentials};
pub use failure::{AuthFailure, ConfigError};
pub use jwt::{JwtSettings, MAX_TOKEN_BYTES, VerifiedToken, verify_jwt};
pub use keys::KeySet;
pub use scope::{Grants, Scope};
pub use secret::Secret;
