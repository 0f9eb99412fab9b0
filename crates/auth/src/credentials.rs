//! The credentials a request carries in its headers.

use http::header::{AUTHORIZATION, HeaderMap, HeaderName};

use crate::failure::AuthFailure;
use crate::secret::Secret;

/// Name of the header that carries an API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The credentials of a request: a bearer token, an API key, both or
/// neither. Neither value has been verified yet.
#[derive(Debug, Default)]
pub struct Credentials {
    /// The token of `Authorization: Bearer <token>`.
    pub bearer: Option<Secret<String>>,
    /// The value of `X-API-Key`, not yet checked against the key format.
    pub api_key: Option<Secret<String>>,
}

impl Credentials {
    /// Extracts the credentials from the request headers. A request without
    /// either header gives empty credentials, not an error.
    ///
    /// The `Bearer` scheme name is matched case-insensitively, as RFC 7235,
    /// section 2.1, specifies for every scheme, and the token must follow the
    /// `b64token` syntax of RFC 6750, section 2.1.
    ///
    /// # Errors
    ///
    /// Returns an [`AuthFailure`] when `Authorization` or `X-API-Key` is
    /// present more than once, when `Authorization` uses another scheme or is
    /// malformed, or when `X-API-Key` is empty or not visible ASCII.
    pub fn from_headers(headers: &HeaderMap) -> Result<Credentials, AuthFailure> {
        let bearer = single_value(headers, &AUTHORIZATION, AuthFailure::DuplicateAuthorization)?
            .map(parse_authorization)
            .transpose()?;
        let api_key_header = HeaderName::from_static(API_KEY_HEADER);
        let api_key = single_value(headers, &api_key_header, AuthFailure::DuplicateApiKeyHeader)?
            .map(parse_api_key_header)
            .transpose()?;

        Ok(Credentials {
            bearer: bearer.map(Secret::new),
            api_key: api_key.map(Secret::new),
        })
    }

    /// Tells whether the request sent neither credential.
    pub fn is_empty(&self) -> bool {
        self.bearer.is_none() && self.api_key.is_none()
    }
}

fn single_value<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
    duplicate: AuthFailure,
) -> Result<Option<&'a http::HeaderValue>, AuthFailure> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => Ok(Some(value)),
        (Some(_), Some(_)) => Err(duplicate),
    }
}

fn parse_authorization(value: &http::HeaderValue) -> Result<String, AuthFailure> {
    let text = value
        .to_str()
        .map_err(|_| AuthFailure::MalformedAuthorization)?
        .trim();
    if text.is_empty() {
        return Err(AuthFailure::MalformedAuthorization);
    }
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthFailure::UnsupportedScheme);
    }

    let token = token.trim_start_matches(' ');
    if token.is_empty() {
        return Err(AuthFailure::EmptyBearerToken);
    }
    if !is_b64token(token) {
        return Err(AuthFailure::MalformedAuthorization);
    }
    Ok(token.to_owned())
}

/// Tells whether `token` matches `b64token = 1*( ALPHA / DIGIT / "-" / "." /
/// "_" / "~" / "+" / "/" ) *"="` (RFC 6750, section 2.1).
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte))
}

fn parse_api_key_header(value: &http::HeaderValue) -> Result<String, AuthFailure> {
    let text = value
        .to_str()
        .map_err(|_| AuthFailure::MalformedApiKeyHeader)?
        .trim();
    if text.is_empty() {
        return Err(AuthFailure::MalformedApiKeyHeader);
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            headers.append(name, HeaderValue::from_bytes(value).unwrap());
        }
        headers
    }

    fn bearer_of(value: &[u8]) -> Result<String, AuthFailure> {
        let credentials = Credentials::from_headers(&headers(&[("authorization", value)]))?;
        Ok(credentials.bearer.unwrap().into_inner())
    }

    #[test]
    fn no_headers_give_empty_credentials() {
        let credentials = Credentials::from_headers(&HeaderMap::new()).unwrap();

        assert!(credentials.is_empty());
        assert!(credentials.bearer.is_none());
        assert!(credentials.api_key.is_none());
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for value in [
            "Bearer abc.def.ghi",
            "bearer abc.def.ghi",
            "BEARER abc.def.ghi",
            "bEaReR abc.def.ghi",
        ] {
            assert_eq!(
                bearer_of(value.as_bytes()).unwrap(),
                "abc.def.ghi",
                "{value}"
            );
        }
    }

    #[test]
    fn bearer_accepts_b64token_characters() {
        assert_eq!(bearer_of(b"Bearer aZ09-._~+/==").unwrap(), "aZ09-._~+/==");
    }

    #[test]
    fn bearer_tolerates_extra_spaces() {
        assert_eq!(bearer_of(b"Bearer   abc.def.ghi  ").unwrap(), "abc.def.ghi");
    }

    #[test]
    fn other_schemes_fail() {
        for value in [
            "Basic dXNlcjpwYXNz",
            "Token abc",
            "Bearerabc",
            "abc.def.ghi",
            "Digest x",
            "Bearer, abc",
        ] {
            assert_eq!(
                bearer_of(value.as_bytes()).unwrap_err(),
                AuthFailure::UnsupportedScheme,
                "{value}"
            );
        }
    }

    #[test]
    fn bearer_without_token_fails() {
        for value in ["Bearer", "Bearer ", "bearer    "] {
            assert_eq!(
                bearer_of(value.as_bytes()).unwrap_err(),
                AuthFailure::EmptyBearerToken,
                "{value:?}"
            );
        }
    }

    #[test]
    fn empty_authorization_fails() {
        for value in ["", "   "] {
            assert_eq!(
                bearer_of(value.as_bytes()).unwrap_err(),
                AuthFailure::MalformedAuthorization,
                "{value:?}"
            );
        }
    }

    #[test]
    fn bearer_token_with_invalid_characters_fails() {
        for value in [
            &b"Bearer abc def"[..],
            b"Bearer abc,def",
            b"Bearer abc\tdef",
            b"Bearer =abc",
            b"Bearer ===",
            b"Bearer abc=def",
            b"Bearer \"abc\"",
            b"Bearer abc\xff",
        ] {
            assert_eq!(
                bearer_of(value).unwrap_err(),
                AuthFailure::MalformedAuthorization,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn duplicate_authorization_fails() {
        let headers = headers(&[
            ("authorization", b"Bearer a.b.c"),
            ("authorization", b"Bearer a.b.c"),
        ]);

        assert_eq!(
            Credentials::from_headers(&headers).unwrap_err(),
            AuthFailure::DuplicateAuthorization
        );
    }

    #[test]
    fn api_key_header_is_read() {
        let headers = headers(&[("X-API-Key", b" ak_1234567890abcdef ")]);
        let credentials = Credentials::from_headers(&headers).unwrap();

        assert!(credentials.bearer.is_none());
        assert_eq!(credentials.api_key.unwrap().expose(), "ak_1234567890abcdef");
    }

    #[test]
    fn duplicate_api_key_header_fails() {
        let headers = headers(&[
            ("x-api-key", b"ak_1234567890abcdef"),
            ("X-Api-Key", b"ak_1234567890abcdef"),
        ]);

        assert_eq!(
            Credentials::from_headers(&headers).unwrap_err(),
            AuthFailure::DuplicateApiKeyHeader
        );
    }

    #[test]
    fn empty_or_binary_api_key_header_fails() {
        for value in [&b""[..], b"   ", b"ak_\xff1234567890abcdef"] {
            let headers = headers(&[("x-api-key", value)]);
            assert_eq!(
                Credentials::from_headers(&headers).unwrap_err(),
                AuthFailure::MalformedApiKeyHeader,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn both_credentials_are_returned() {
        let headers = headers(&[
            ("authorization", b"Bearer a.b.c"),
            ("x-api-key", b"ak_1234567890abcdef"),
        ]);
        let credentials = Credentials::from_headers(&headers).unwrap();

        assert_eq!(credentials.bearer.unwrap().expose(), "a.b.c");
        assert_eq!(credentials.api_key.unwrap().expose(), "ak_1234567890abcdef");
    }

    #[test]
    fn debug_does_not_show_credentials() {
        let headers = headers(&[
            ("authorization", b"Bearer a.b.c"),
            ("x-api-key", b"ak_1234567890abcdef"),
        ]);
        let credentials = Credentials::from_headers(&headers).unwrap();
        let debug = format!("{credentials:?}");

        assert!(!debug.contains("a.b.c"), "{debug}");
        assert!(!debug.contains("ak_1234567890abcdef"), "{debug}");
    }
}
