//! The query string of `GET /api/leads`: filters, page size and cursor.

use cloudvelous_contract::{LeadSource, LeadStatus};
use sha2::{Digest, Sha256};

use crate::field::{FieldError, InvalidValue};
use crate::lead_status::parse_status;
use crate::query_string::{QueryParameter, UNKNOWN_PARAMETER, split_query};
use crate::time_bound::{parse_lower_bound, parse_upper_bound};
use crate::{Email, Timestamp};

/// Page size when the query has no `limit`.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest accepted `limit`.
pub const MAX_PAGE_SIZE: u32 = 200;

const INVALID_LIMIT: InvalidValue = InvalidValue::new("must be a whole number from 1 to 200");
const INVALID_SOURCE: InvalidValue =
    InvalidValue::new("must be one of: website, social, referral, email, phone");

/// Index of `cursor` in [`PARAMETERS`].
const CURSOR: usize = 6;

/// Names of the accepted parameters, in the order their errors are reported.
const PARAMETERS: [&str; 7] = [
    "status",
    "source",
    "email",
    "created_from",
    "created_to",
    "limit",
    "cursor",
];

/// Conditions that every listed lead meets. Deleted leads are never listed,
/// whatever the filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeadFilter {
    /// Lifecycle status, matched exactly.
    pub status: Option<LeadStatus>,
    /// Channel, matched exactly.
    pub source: Option<LeadSource>,
    /// Email comparison key (see [`Email::comparison_key`]), so every
    /// spelling that counts as a duplicate finds the lead.
    pub email_key: Option<String>,
    /// Earliest creation time, inclusive.
    pub created_from: Option<Timestamp>,
    /// Latest creation time, inclusive.
    pub created_to: Option<Timestamp>,
}

impl LeadFilter {
    /// Returns the first 8 bytes of a SHA-256 digest of the filter, which a
    /// cursor carries so that it is only accepted with the filter it was
    /// issued for.
    pub fn digest(&self) -> [u8; 8] {
        let mut hasher = Sha256::new();
        hasher.update(b"cloudvelous lead filter v1");
        hash_field(&mut hasher, self.status.map(LeadStatus::as_str));
        hash_field(&mut hasher, self.source.map(LeadSource::as_str));
        hash_field(&mut hasher, self.email_key.as_deref());
        hash_time(&mut hasher, self.created_from);
        hash_time(&mut hasher, self.created_to);
        let digest = hasher.finalize();
        let mut prefix = [0; 8];
        prefix.copy_from_slice(&digest[..8]);
        prefix
    }
}

/// Feeds an optional text with a presence byte and its length, so that no
/// two filters produce the same input.
fn hash_field(hasher: &mut Sha256, value: Option<&str>) {
    match value {
        None => hasher.update([0]),
        Some(text) => {
            hasher.update([1]);
            hasher.update((text.len() as u64).to_be_bytes());
            hasher.update(text.as_bytes());
        }
    }
}

fn hash_time(hasher: &mut Sha256, value: Option<Timestamp>) {
    match value {
        None => hasher.update([0]),
        Some(time) => {
            hasher.update([1]);
            hasher.update(time.unix_seconds().to_be_bytes());
        }
    }
}

/// A validated query of `GET /api/leads`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadQuery {
    /// Conditions on the listed leads.
    pub filter: LeadFilter,
    /// Page size, 1 to [`MAX_PAGE_SIZE`].
    pub limit: u32,
    /// The `cursor` parameter as sent. Its content is checked against the
    /// server's key, which parsing the query does not have.
    pub cursor: Option<String>,
}

impl LeadQuery {
    /// Parses the query string, without the `?`, collecting every problem.
    ///
    /// Parameter names and values are percent-decoded, and `+` stays a plus
    /// sign, as in email sub-addresses and RFC 3339 offsets. A `cursor`
    /// whose escapes do not decode is kept as sent, so that it fails as a
    /// malformed cursor rather than as a parameter. Empty pieces
    /// between `&` are ignored. Every known parameter may appear once.
    /// `created_to` before `created_from` is rejected, comparing the bounds
    /// as sent. A range that contains no whole second once rounded, such as
    /// one within a single second, is valid and matches no lead.
    ///
    /// # Errors
    ///
    /// Returns one [`FieldError`] per offending parameter, named as sent.
    /// Invalid values come first, in the order status, source, email,
    /// created_from, created_to, limit. Repeated parameters follow, then
    /// unknown names and pieces that are not valid percent-encoded UTF-8,
    /// each in the order sent.
    pub fn parse(query: Option<&str>) -> Result<LeadQuery, Vec<FieldError>> {
        let parameters = split_query(query.unwrap_or_default());
        let mut errors = Vec::new();
        let mut repeated = Vec::new();
        let mut unknown = Vec::new();
        let mut values: [Option<String>; PARAMETERS.len()] = Default::default();

        for parameter in parameters {
            match parameter {
                // A cursor never needs escapes, so one that does not decode
                // is kept as sent and rejected as a malformed cursor.
                QueryParameter::Undecodable { name, raw_value } if name == "cursor" => {
                    record(&mut values[CURSOR], name, raw_value, &mut repeated);
                }
                QueryParameter::Undecodable { name, .. } => {
                    unknown.push(FieldError::new(name, "must be valid percent-encoded UTF-8"))
                }
                QueryParameter::Decoded { name, value } => {
                    match PARAMETERS.iter().position(|known| *known == name) {
                        Some(index) => record(&mut values[index], name, value, &mut repeated),
                        None => unknown.push(FieldError::new(name, UNKNOWN_PARAMETER)),
                    }
                }
            }
        }

        let [
            status,
            source,
            email,
            created_from,
            created_to,
            limit,
            cursor,
        ] = values;
        let status = parse_value(status, "status", parse_status, &mut errors);
        let source = parse_value(source, "source", parse_source, &mut errors);
        let email = parse_value(email, "email", Email::parse, &mut errors);
        let created_from =
            parse_value(created_from, "created_from", parse_lower_bound, &mut errors);
        let created_to = parse_value(created_to, "created_to", parse_upper_bound, &mut errors);
        let limit = parse_value(limit, "limit", parse_limit, &mut errors);
        if let (Some(from), Some(to)) = (&created_from, &created_to)
            && to.ends_before(from)
        {
            errors.push(FieldError::new(
                "created_to",
                "must not be before created_from",
            ));
        }
        errors.append(&mut repeated);
        errors.append(&mut unknown);
        if !errors.is_empty() {
            return Err(errors);
        }

        Ok(LeadQuery {
            filter: LeadFilter {
                status,
                source,
                email_key: email.map(|email| email.comparison_key()),
                created_from: created_from.map(|bound| bound.first_second()),
                created_to: created_to.map(|bound| bound.last_second()),
            },
            limit: limit.unwrap_or(DEFAULT_PAGE_SIZE),
            cursor,
        })
    }
}

/// Stores the first value of a known parameter, and reports a repeat once.
fn record(slot: &mut Option<String>, name: String, value: String, errors: &mut Vec<FieldError>) {
    if slot.is_none() {
        *slot = Some(value);
        return;
    }
    let already_reported = errors.iter().any(|error| error.field == name);
    if !already_reported {
        errors.push(FieldError::new(name, "must be given at most once"));
    }
}

fn parse_value<T>(
    value: Option<String>,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let value = value?;
    parse(&value)
        .map_err(|error| errors.push(error.for_field(name)))
        .ok()
}

fn parse_source(text: &str) -> Result<LeadSource, InvalidValue> {
    LeadSource::parse(text).ok_or(INVALID_SOURCE)
}

/// Accepts ASCII digits only, so `+5`, `5.0` and ` 5` are rejected.
fn parse_limit(text: &str) -> Result<u32, InvalidValue> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(INVALID_LIMIT);
    }
    let limit: u32 = text.parse().map_err(|_| INVALID_LIMIT)?;
    if (1..=MAX_PAGE_SIZE).contains(&limit) {
        Ok(limit)
    } else {
        Err(INVALID_LIMIT)
    }
}

#[cfg(test)]
mod tests;
