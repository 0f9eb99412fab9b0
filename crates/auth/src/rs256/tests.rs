use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256, Sha512};

use super::*;
use crate::test_support::primary_key;

const MESSAGE: &[u8] = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0";

fn public_key_of(private: &RsaPrivateKey) -> RsaPublicKey {
    let der = private.to_public_key().to_pkcs1_der().unwrap();
    RsaPublicKey::from_pkcs1_der(der.as_bytes()).unwrap()
}

fn sign_sha256(private: &RsaPrivateKey, message: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(message);
    private
        .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .unwrap()
}

/// Signs `payload` as the whole `T` of the encoded message, so tests can
/// build encodings that a correct verifier must reject.
fn sign_raw_payload(private: &RsaPrivateKey, payload: &[u8]) -> Vec<u8> {
    private
        .sign(Pkcs1v15Sign::new_unprefixed(), payload)
        .unwrap()
}

#[test]
fn valid_signature_verifies() {
    let private = primary_key();
    let key = public_key_of(private);
    assert!(key.verify(MESSAGE, &sign_sha256(private, MESSAGE)));
}

#[test]
fn larger_keys_and_small_exponent_verify() {
    let keys = [
        RsaPrivateKey::new(&mut OsRng, 3072).unwrap(),
        RsaPrivateKey::new(&mut OsRng, 4096).unwrap(),
        RsaPrivateKey::new_with_exp(&mut OsRng, 2048, &BigUint::from(3u32)).unwrap(),
    ];
    for private in &keys {
        let key = public_key_of(private);
        let signature = sign_sha256(private, MESSAGE);
        assert!(
            key.verify(MESSAGE, &signature),
            "{} bits",
            private.size() * 8
        );
        assert!(
            !key.verify(b"other", &signature),
            "{} bits",
            private.size() * 8
        );
    }
}

#[test]
fn every_flipped_signature_bit_is_rejected() {
    let private = primary_key();
    let key = public_key_of(private);
    let signature = sign_sha256(private, MESSAGE);
    for index in 0..signature.len() * 8 {
        let mut flipped = signature.clone();
        flipped[index / 8] ^= 1 << (index % 8);
        assert!(!key.verify(MESSAGE, &flipped), "bit {index}");
    }
}

#[test]
fn changed_message_is_rejected() {
    let private = primary_key();
    let key = public_key_of(private);
    let signature = sign_sha256(private, MESSAGE);
    let mut changed = MESSAGE.to_vec();
    changed[0] ^= 1;
    assert!(!key.verify(&changed, &signature));
    assert!(!key.verify(b"", &signature));
}

#[test]
fn signature_of_wrong_length_is_rejected() {
    let private = primary_key();
    let key = public_key_of(private);
    let signature = sign_sha256(private, MESSAGE);

    let mut with_leading_zero = vec![0];
    with_leading_zero.extend_from_slice(&signature);
    assert!(!key.verify(MESSAGE, &with_leading_zero));
    assert!(!key.verify(MESSAGE, &signature[1..]));
    assert!(!key.verify(MESSAGE, &signature[..signature.len() - 1]));
    assert!(!key.verify(MESSAGE, &[]));
}

#[test]
fn signature_not_below_modulus_is_rejected() {
    let private = primary_key();
    let key = public_key_of(private);
    let modulus = private.n().to_bytes_be();
    let mut above = modulus.clone();
    *above.last_mut().unwrap() += 1;
    assert!(!key.verify(MESSAGE, &modulus));
    assert!(!key.verify(MESSAGE, &above));
    assert!(!key.verify(MESSAGE, &vec![0xff; modulus.len()]));
}

#[test]
fn other_digests_are_rejected() {
    let private = primary_key();
    let key = public_key_of(private);
    let sha512 = private
        .sign(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(MESSAGE))
        .unwrap();
    assert!(!key.verify(MESSAGE, &sha512));
}

#[test]
fn digest_info_must_match_exactly() {
    let private = primary_key();
    let key = public_key_of(private);
    let digest = Sha256::digest(MESSAGE);

    let mut exact = SHA256_DIGEST_INFO_PREFIX.to_vec();
    exact.extend_from_slice(&digest);
    assert!(key.verify(MESSAGE, &sign_raw_payload(private, &exact)));

    // The same algorithm identifier without its NULL parameters.
    let mut without_null = vec![
        0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x04, 0x20,
    ];
    without_null.extend_from_slice(&digest);
    assert!(!key.verify(MESSAGE, &sign_raw_payload(private, &without_null)));

    // The bare digest, and the digest with trailing bytes.
    assert!(!key.verify(MESSAGE, &sign_raw_payload(private, &digest)));
    let mut trailing = exact.clone();
    trailing.push(0);
    assert!(!key.verify(MESSAGE, &sign_raw_payload(private, &trailing)));
}

#[test]
fn weak_or_unusual_keys_are_rejected() {
    let odd_modulus = |bits: usize| {
        let mut bytes = vec![0xff; bits / 8];
        bytes[0] = 0x80 | 0x55;
        bytes
    };
    let exponent = [0x01, 0x00, 0x01];

    assert_eq!(
        RsaPublicKey::from_components(&odd_modulus(1024), &exponent).unwrap_err(),
        KeyError::Modulus { bits: 1024 }
    );
    assert_eq!(
        RsaPublicKey::from_components(&odd_modulus(8192), &exponent).unwrap_err(),
        KeyError::Modulus { bits: 8192 }
    );
    let mut even = odd_modulus(2048);
    *even.last_mut().unwrap() = 0xfe;
    assert_eq!(
        RsaPublicKey::from_components(&even, &exponent).unwrap_err(),
        KeyError::Modulus { bits: 2048 }
    );

    for bad_exponent in [&[0x01][..], &[0x02], &[0x01, 0x00, 0x00], &[0x01; 9]] {
        assert_eq!(
            RsaPublicKey::from_components(&odd_modulus(2048), bad_exponent).unwrap_err(),
            KeyError::Exponent,
            "{bad_exponent:?}"
        );
    }
    assert!(RsaPublicKey::from_components(&odd_modulus(2048), &exponent).is_ok());
    assert!(RsaPublicKey::from_components(&odd_modulus(4096), &exponent).is_ok());
}

#[test]
fn malformed_der_is_rejected() {
    let der = primary_key().to_public_key().to_pkcs1_der().unwrap();
    let bytes = der.as_bytes();

    assert_eq!(
        RsaPublicKey::from_pkcs1_der(&bytes[..bytes.len() - 1]).unwrap_err(),
        KeyError::Malformed
    );
    let mut trailing = bytes.to_vec();
    trailing.push(0);
    assert_eq!(
        RsaPublicKey::from_pkcs1_der(&trailing).unwrap_err(),
        KeyError::Malformed
    );
    assert_eq!(
        RsaPublicKey::from_pkcs1_der(b"").unwrap_err(),
        KeyError::Malformed
    );
}

#[test]
fn components_round_trip() {
    let private = primary_key();
    let key = public_key_of(private);
    assert_eq!(key.modulus_bytes(), private.n().to_bytes_be());
    assert_eq!(key.exponent_bytes(), private.e().to_bytes_be());
}

#[test]
fn provider_verifies_only_rs256() {
    install_provider().unwrap();
    let private = primary_key();
    let key = public_key_of(private);
    let decoding_key =
        DecodingKey::from_rsa_raw_components(&key.modulus_bytes(), &key.exponent_bytes());
    let signature = sign_sha256(private, MESSAGE);
    let encoded = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        &signature,
    );

    let verified =
        jsonwebtoken::crypto::verify(&encoded, MESSAGE, &decoding_key, Algorithm::RS256).unwrap();
    assert!(verified);
    assert!(
        jsonwebtoken::crypto::verify(&encoded, MESSAGE, &decoding_key, Algorithm::RS512).is_err()
    );
    assert!(
        jsonwebtoken::crypto::verify(&encoded, MESSAGE, &decoding_key, Algorithm::HS256).is_err()
    );
}
