//! Why a credential or the key configuration was rejected.

use std::fmt;

/// The reason a request's credentials were rejected.
///
/// Every variant becomes the same `401` response. The reason goes only to the
/// log line, and neither it nor `Display` ever contains the credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthFailure {
    /// The request has neither `Authorization` nor `X-API-Key`.
    MissingCredentials,
    /// The request has more than one `Authorization` header.
    DuplicateAuthorization,
    /// The request has more than one `X-API-Key` header.
    DuplicateApiKeyHeader,
    /// `Authorization` is not `Bearer` followed by a token of RFC 6750
    /// syntax.
    MalformedAuthorization,
    /// `Authorization` uses a scheme other than `Bearer`, such as `Basic`.
    UnsupportedScheme,
    /// `Authorization` is `Bearer` without a token.
    EmptyBearerToken,
    /// `X-API-Key` is empty or contains characters other than visible ASCII.
    MalformedApiKeyHeader,
    /// A bearer token was sent but no JWT keys are configured.
    JwtDisabled,
    /// The token is longer than [`crate::MAX_TOKEN_BYTES`].
    TokenTooLong,
    /// The token is not three base64url segments with a JSON header.
    MalformedToken,
    /// The header's `alg` is missing or is not exactly `RS256`.
    UnsupportedAlgorithm,
    /// The header has a `crit` parameter.
    CriticalHeader,
    /// The header's `kid` names no configured key.
    UnknownKeyId,
    /// The header has no `kid` and several keys are configured.
    MissingKeyId,
    /// The signature does not verify with the selected key.
    InvalidSignature,
    /// The payload is not a base64url-encoded JSON object.
    MalformedClaims,
    /// `iss` is missing or differs from the expected issuer.
    InvalidIssuer,
    /// `aud` is missing, empty, or does not contain the expected audience.
    InvalidAudience,
    /// `exp` is missing or is not a JSON number.
    InvalidExpiry,
    /// `exp` plus the leeway is in the past.
    Expired,
    /// `nbf` is present but is not a JSON number.
    InvalidNotBefore,
    /// `nbf` minus the leeway is in the future.
    NotYetValid,
    /// `sub` is missing, empty, not a string, or contains control
    /// characters.
    InvalidSubject,
    /// The API key is not `ak_` followed by 16 to 128 ASCII letters and
    /// digits.
    MalformedApiKey,
    /// The API key matches no stored key.
    UnknownApiKey,
    /// The API key has been revoked.
    RevokedApiKey,
}

impl AuthFailure {
    /// Returns a short description of the failed check, for log lines.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthFailure::MissingCredentials => "no Authorization or X-API-Key header",
            AuthFailure::DuplicateAuthorization => "more than one Authorization header",
            AuthFailure::DuplicateApiKeyHeader => "more than one X-API-Key header",
            AuthFailure::MalformedAuthorization => {
                "Authorization header is not valid Bearer syntax"
            }
            AuthFailure::UnsupportedScheme => "Authorization scheme is not Bearer",
            AuthFailure::EmptyBearerToken => "Bearer token is empty",
            AuthFailure::MalformedApiKeyHeader => "X-API-Key header is empty or not visible ASCII",
            AuthFailure::JwtDisabled => "bearer token sent but no JWT keys are configured",
            AuthFailure::TokenTooLong => "token is longer than 8 KiB",
            AuthFailure::MalformedToken => {
                "token is not three base64url segments with a JSON header"
            }
            AuthFailure::UnsupportedAlgorithm => "token alg is not RS256",
            AuthFailure::CriticalHeader => "token header has a crit parameter",
            AuthFailure::UnknownKeyId => "token kid matches no configured key",
            AuthFailure::MissingKeyId => "token has no kid and several keys are configured",
            AuthFailure::InvalidSignature => "token signature is invalid",
            AuthFailure::MalformedClaims => "token payload is not a JSON object",
            AuthFailure::InvalidIssuer => "token iss is missing or not the expected issuer",
            AuthFailure::InvalidAudience => "token aud is missing or lacks the expected audience",
            AuthFailure::InvalidExpiry => "token exp is missing or not a number",
            AuthFailure::Expired => "token has expired",
            AuthFailure::InvalidNotBefore => "token nbf is not a number",
            AuthFailure::NotYetValid => "token is not valid yet (nbf)",
            AuthFailure::InvalidSubject => "token sub is missing, empty or not a plain string",
            AuthFailure::MalformedApiKey => "API key is not ak_ and 16 to 128 letters or digits",
            AuthFailure::UnknownApiKey => "API key matches no stored key",
            AuthFailure::RevokedApiKey => "API key is revoked",
        }
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.reason())
    }
}

impl std::error::Error for AuthFailure {}

/// An unusable JWT key configuration.
///
/// The message describes the problem without repeating the configured value,
/// and does not name the setting it came from.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    message: String,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ConfigError {
            message: message.into(),
        }
    }
}
