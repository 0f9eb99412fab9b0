//! Splitting and percent-decoding of URL query strings.

use crate::field::FieldError;

/// Parameter names longer than this are shortened in error details, so that
/// a response never echoes a huge name.
const MAX_ECHOED_NAME_CHARS: usize = 64;

/// Detail message of a parameter that the endpoint does not take.
pub(crate) const UNKNOWN_PARAMETER: &str = "unknown query parameter";

/// One `name=value` piece of a query string.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum QueryParameter {
    /// Name and value after percent-decoding. A piece without `=` has an
    /// empty value.
    Decoded { name: String, value: String },
    /// A piece whose name or value has an invalid percent escape or decodes
    /// to bytes that are not UTF-8. `name` is the name for error details:
    /// decoded when possible, shortened, and otherwise the raw text.
    /// `raw_value` is the value as sent.
    Undecodable { name: String, raw_value: String },
}

/// Splits `query` at `&`, skipping empty pieces, and decodes each piece.
///
/// Decoding follows RFC 3986: `%` and two hexadecimal digits stand for one
/// byte, and every other character stands for itself, `+` included.
pub(crate) fn split_query(query: &str) -> Vec<QueryParameter> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(decode_piece)
        .collect()
}

/// Rejects every parameter of `query`, for endpoints that take none. An
/// absent or empty query, and empty pieces between `&`, are accepted.
///
/// # Errors
///
/// Returns one [`FieldError`] per parameter name, in the order sent and
/// named as in the list errors: decoded when possible, shortened to 64
/// characters, and reported once however often it repeats.
pub fn reject_query_parameters(query: Option<&str>) -> Result<(), Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    for parameter in split_query(query.unwrap_or_default()) {
        let name = match parameter {
            QueryParameter::Decoded { name, .. } | QueryParameter::Undecodable { name, .. } => name,
        };
        if !errors.iter().any(|error| error.field == name) {
            errors.push(FieldError::new(name, UNKNOWN_PARAMETER));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn decode_piece(piece: &str) -> QueryParameter {
    let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
    match (percent_decode(raw_name), percent_decode(raw_value)) {
        (Some(name), Some(value)) => QueryParameter::Decoded {
            name: shorten(&name),
            value,
        },
        (name, _) => QueryParameter::Undecodable {
            name: shorten(name.as_deref().unwrap_or(raw_name)),
            raw_value: raw_value.to_owned(),
        },
    }
}

/// Decodes `%XX` escapes. Returns `None` for a `%` not followed by two
/// hexadecimal digits, or when the bytes are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let high = hex_value(*bytes.get(index + 1)?)?;
            let low = hex_value(*bytes.get(index + 2)?)?;
            decoded.push(high << 4 | low);
            index += 3;
        } else {
            decoded.push(byte);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Shortens a client-sent name for echoing, marking the cut with `…`.
fn shorten(name: &str) -> String {
    match name.char_indices().nth(MAX_ECHOED_NAME_CHARS) {
        Some((cut, _)) => format!("{}…", name.get(..cut).unwrap_or_default()),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(name: &str, value: &str) -> QueryParameter {
        QueryParameter::Decoded {
            name: name.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn splits_and_decodes_pieces() {
        assert_eq!(
            split_query("status=new&email=jane%2Btag%40example.com&&limit"),
            vec![
                decoded("status", "new"),
                decoded("email", "jane+tag@example.com"),
                decoded("limit", ""),
            ]
        );
    }

    #[test]
    fn plus_stays_plus() {
        assert_eq!(
            split_query("created_from=2025-10-18T12:00:00+02:00"),
            vec![decoded("created_from", "2025-10-18T12:00:00+02:00")]
        );
    }

    #[test]
    fn value_keeps_later_equals_signs() {
        assert_eq!(split_query("cursor=a=b"), vec![decoded("cursor", "a=b")]);
    }

    #[test]
    fn decodes_multibyte_utf8() {
        assert_eq!(
            split_query("email=user%40b%C3%BCcher.de"),
            vec![decoded("email", "user@bücher.de")]
        );
    }

    #[test]
    fn invalid_escapes_are_undecodable() {
        for (query, name, raw_value) in [
            ("status=%zz", "status", "%zz"),
            ("status=%4", "status", "%4"),
            ("status=%", "status", "%"),
            ("status=%FF", "status", "%FF"),
            ("st%ZZatus=new", "st%ZZatus", "new"),
        ] {
            assert_eq!(
                split_query(query),
                vec![QueryParameter::Undecodable {
                    name: name.to_owned(),
                    raw_value: raw_value.to_owned(),
                }],
                "{query}"
            );
        }
    }

    fn rejected_names(query: Option<&str>) -> Vec<String> {
        match reject_query_parameters(query) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|error| error.field).collect(),
        }
    }

    #[test]
    fn empty_query_has_no_parameters() {
        for query in [None, Some(""), Some("&"), Some("&&")] {
            assert_eq!(reject_query_parameters(query), Ok(()), "{query:?}");
        }
    }

    #[test]
    fn every_parameter_is_rejected_once() {
        assert_eq!(
            rejected_names(Some("x=1&limit=5&x=2&flag&st%ZZ=1&%41=b")),
            ["x", "limit", "flag", "st%ZZ", "A"]
        );
        let errors = reject_query_parameters(Some("x=1")).unwrap_err();
        assert_eq!(errors[0].message, UNKNOWN_PARAMETER);
    }

    #[test]
    fn long_names_are_shortened() {
        let query = format!("{}=1", "n".repeat(500));
        let parameters = split_query(&query);
        let [QueryParameter::Decoded { name, .. }] = parameters.as_slice() else {
            panic!("expected one decoded parameter, found {parameters:?}");
        };
        assert_eq!(name.chars().count(), 65);
        assert!(name.ends_with('…'));
    }
}
