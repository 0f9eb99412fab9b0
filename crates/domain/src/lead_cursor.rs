//! Opaque, tamper-evident cursors for paging through leads.
//!
//! A cursor marks the last lead of a page by its position in the list
//! order, creation time and then id. The token is base64url without
//! padding (RFC 4648 section 5) of these bytes:
//!
//! | bytes | content |
//! | --- | --- |
//! | 1 | format version, 1 |
//! | 8 | creation time, Unix seconds, big-endian two's complement |
//! | 8 | [`LeadFilter::digest`] of the filter the page was listed with |
//! | 5 to 64 | lead id, ASCII |
//! | 16 | HMAC-SHA256 (RFC 2104) of everything before, cut to 16 bytes |
//!
//! The HMAC key belongs to the database, so a cursor that was edited, or
//! issued by another deployment, is rejected.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{LeadFilter, LeadId, Timestamp};

const VERSION: u8 = 1;
const HEADER_BYTES: usize = 1 + 8 + 8;
const TAG_BYTES: usize = 16;
/// Length of the longest token: the header, a 64-byte id and the tag, in
/// base64 (4 characters per 3 bytes, rounded up).
const MAX_TOKEN_CHARS: usize = (HEADER_BYTES + 64 + TAG_BYTES).div_ceil(3) * 4;

/// The secret that signs cursors. `Debug` does not print it.
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl CursorKey {
    /// Wraps the secret bytes.
    pub fn new(secret: Vec<u8>) -> Self {
        CursorKey(secret)
    }

    fn mac(&self) -> Hmac<Sha256> {
        // `hmac` 0.12 hashes long keys and pads short ones, so
        // `new_from_slice` never returns an error for HMAC.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length")
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("CursorKey(..)")
    }
}

/// The reason a cursor was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorError {
    /// The token is not one this server writes: bad base64, wrong length or
    /// an unknown format.
    Malformed,
    /// The token has the right form but its signature does not match, so it
    /// was edited or signed with another key.
    Tampered,
    /// The token was issued for a list with other filters.
    OtherFilter,
}

impl fmt::Display for CursorError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            CursorError::Malformed | CursorError::Tampered => {
                "Invalid cursor. Pass the next_cursor of the previous page unchanged, or leave out cursor to start from the first page"
            }
            CursorError::OtherFilter => {
                "The cursor belongs to a list with other filters. Repeat the filters of the first page, or leave out cursor to start over"
            }
        })
    }
}

impl std::error::Error for CursorError {}

/// A position in the lead list: the last lead of the previous page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadCursor {
    /// Creation time of that lead.
    pub created_at: Timestamp,
    /// Id of that lead, which breaks ties between leads created in the same
    /// second.
    pub id: LeadId,
}

impl LeadCursor {
    /// Writes the token for this position in a list filtered by `filter`.
    pub fn encode(&self, filter: &LeadFilter, key: &CursorKey) -> String {
        let mut bytes = Vec::with_capacity(HEADER_BYTES + self.id.as_str().len() + TAG_BYTES);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.created_at.unix_seconds().to_be_bytes());
        bytes.extend_from_slice(&filter.digest());
        bytes.extend_from_slice(self.id.as_str().as_bytes());

        let mut mac = key.mac();
        mac.update(&bytes);
        let tag = mac.finalize().into_bytes();
        bytes.extend_from_slice(&tag[..TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a token that [`LeadCursor::encode`] wrote with `key`, and checks
    /// that it was written for `filter`.
    ///
    /// # Errors
    ///
    /// [`CursorError::Malformed`] for text that is not such a token,
    /// [`CursorError::Tampered`] when the signature does not match, and
    /// [`CursorError::OtherFilter`] when the filter differs.
    pub fn decode(
        token: &str,
        filter: &LeadFilter,
        key: &CursorKey,
    ) -> Result<LeadCursor, CursorError> {
        if token.len() > MAX_TOKEN_CHARS {
            return Err(CursorError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| CursorError::Malformed)?;
        if bytes.len() <= HEADER_BYTES + TAG_BYTES {
            return Err(CursorError::Malformed);
        }
        let (signed, tag) = bytes.split_at(bytes.len() - TAG_BYTES);

        let mut mac = key.mac();
        mac.update(signed);
        mac.verify_truncated_left(tag)
            .map_err(|_| CursorError::Tampered)?;

        // `signed` is longer than the header, so the splits stay in bounds.
        let (header, id) = signed.split_at(HEADER_BYTES);
        let (version, header) = header.split_at(1);
        let (time, digest) = header.split_at(8);
        if version != [VERSION] {
            return Err(CursorError::Malformed);
        }
        if digest != filter.digest() {
            return Err(CursorError::OtherFilter);
        }
        let time: [u8; 8] = time.try_into().map_err(|_| CursorError::Malformed)?;
        let id = std::str::from_utf8(id)
            .ok()
            .and_then(LeadId::parse)
            .ok_or(CursorError::Malformed)?;
        Ok(LeadCursor {
            created_at: Timestamp::from_unix_seconds(i64::from_be_bytes(time)),
            id,
        })
    }
}

#[cfg(test)]
mod tests;
