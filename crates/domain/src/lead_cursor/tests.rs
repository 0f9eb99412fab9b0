//! Encoding, decoding and tamper checks of lead cursors.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cloudvelous_contract::LeadStatus;

use super::*;

fn key() -> CursorKey {
    CursorKey::new(vec![7; 32])
}

fn cursor() -> LeadCursor {
    LeadCursor {
        created_at: Timestamp::from_unix_seconds(1_760_783_400),
        id: LeadId::parse("lead_0123456789abcdefABCDEF").unwrap(),
    }
}

fn new_leads() -> LeadFilter {
    LeadFilter {
        status: Some(LeadStatus::New),
        ..LeadFilter::default()
    }
}

#[test]
fn round_trips() {
    let token = cursor().encode(&new_leads(), &key());
    assert_eq!(
        LeadCursor::decode(&token, &new_leads(), &key()),
        Ok(cursor())
    );
}

#[test]
fn round_trips_negative_time_and_long_id() {
    let position = LeadCursor {
        created_at: Timestamp::from_unix_seconds(-1),
        id: LeadId::parse(&format!("lead_{}", "z".repeat(59))).unwrap(),
    };
    let token = position.encode(&LeadFilter::default(), &key());
    assert!(token.len() <= MAX_TOKEN_CHARS, "{}", token.len());
    assert_eq!(
        LeadCursor::decode(&token, &LeadFilter::default(), &key()),
        Ok(position)
    );
}

#[test]
fn token_is_url_safe() {
    let token = cursor().encode(&new_leads(), &key());
    assert!(
        token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'),
        "{token}"
    );
}

#[test]
fn every_flipped_bit_is_rejected() {
    let token = cursor().encode(&new_leads(), &key());
    let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
    for index in 0..bytes.len() {
        for bit in 0..8 {
            let mut changed = bytes.clone();
            changed[index] ^= 1 << bit;
            let changed = URL_SAFE_NO_PAD.encode(changed);
            assert_eq!(
                LeadCursor::decode(&changed, &new_leads(), &key()),
                Err(CursorError::Tampered),
                "byte {index} bit {bit}"
            );
        }
    }
}

#[test]
fn other_key_is_tampered() {
    let token = cursor().encode(&new_leads(), &CursorKey::new(vec![8; 32]));
    assert_eq!(
        LeadCursor::decode(&token, &new_leads(), &key()),
        Err(CursorError::Tampered)
    );
}

#[test]
fn other_filter_is_rejected() {
    let token = cursor().encode(&new_leads(), &key());
    assert_eq!(
        LeadCursor::decode(&token, &LeadFilter::default(), &key()),
        Err(CursorError::OtherFilter)
    );
}

#[test]
fn malformed_tokens_are_rejected() {
    let token = cursor().encode(&new_leads(), &key());
    let too_long = "A".repeat(MAX_TOKEN_CHARS + 1);
    for text in [
        "",
        "not base64!",
        "AAAA",
        &format!("{token}="),
        &format!("{token}A"),
        &token[..token.len() - 1],
        &too_long,
        "ü",
    ] {
        let outcome = LeadCursor::decode(text, &new_leads(), &key());
        assert!(
            matches!(outcome, Err(CursorError::Malformed | CursorError::Tampered)),
            "{text:?}: {outcome:?}"
        );
    }
}

#[test]
fn signed_unknown_version_is_malformed() {
    let mut bytes = vec![2];
    bytes.extend_from_slice(&0_i64.to_be_bytes());
    bytes.extend_from_slice(&LeadFilter::default().digest());
    bytes.extend_from_slice(b"lead_abc");
    let mut mac = key().mac();
    mac.update(&bytes);
    bytes.extend_from_slice(&mac.finalize().into_bytes()[..TAG_BYTES]);

    let token = URL_SAFE_NO_PAD.encode(bytes);
    assert_eq!(
        LeadCursor::decode(&token, &LeadFilter::default(), &key()),
        Err(CursorError::Malformed)
    );
}

#[test]
fn key_debug_hides_secret() {
    assert_eq!(format!("{:?}", key()), "CursorKey(..)");
}
