use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::{Value, json};

use super::*;
use crate::test_support::*;

fn parse_error(text: &str) -> String {
    KeySet::parse(text).unwrap_err().to_string()
}

fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

fn with_member(mut key: Value, name: &str, value: Value) -> Value {
    key[name] = value;
    key
}

fn without_member(mut key: Value, name: &str) -> Value {
    key.as_object_mut().unwrap().remove(name);
    key
}

fn kids(keys: &KeySet) -> Vec<Option<&str>> {
    keys.keys.iter().map(|key| key.kid.as_deref()).collect()
}

#[test]
fn empty_value_disables_jwt() {
    for text in ["", "   ", "\n\t \r\n"] {
        assert!(KeySet::parse(text).unwrap().is_none(), "{text:?}");
    }
}

#[test]
fn parses_spki_pem_with_surrounding_whitespace() {
    let text = format!("\n  {}  \n\n", spki_pem(primary_key()));
    let keys = KeySet::parse(&text).unwrap().unwrap();

    assert_eq!(keys.source, KeySource::Pem);
    assert_eq!(kids(&keys), [None]);
}

#[test]
fn parses_pkcs1_pem() {
    let keys = KeySet::parse(&pkcs1_pem(primary_key())).unwrap().unwrap();

    assert_eq!(keys.source, KeySource::Pem);
    assert_eq!(keys.keys.len(), 1);
}

#[test]
fn pem_key_matches_tokens_with_and_without_kid() {
    let keys = pem_key_set();

    assert!(keys.select(None).is_ok());
    assert!(keys.select(Some("anything")).is_ok());
}

#[test]
fn rejects_private_key_pem_without_echoing_it() {
    let pkcs1 = primary_key().to_pkcs1_pem(LineEnding::LF).unwrap();
    let pkcs8 = primary_key().to_pkcs8_pem(LineEnding::LF).unwrap();

    for pem in [pkcs1.as_str(), pkcs8.as_str()] {
        let message = parse_error(pem);
        let body_line = pem.lines().nth(1).unwrap();
        assert!(message.contains("PRIVATE KEY"), "{message}");
        assert!(message.contains("public key"), "{message}");
        assert!(!message.contains(body_line), "{message}");
    }
}

#[test]
fn rejects_other_pem_labels() {
    let certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    let malformed = "-----BEGIN PUBLIC KEY\nMIIB\n-----END PUBLIC KEY-----";

    assert!(parse_error(certificate).contains("CERTIFICATE"));
    assert!(parse_error(malformed).contains("malformed"));
}

#[test]
fn rejects_corrupt_pem_body() {
    let pem = spki_pem(primary_key());
    let corrupt = pem.replacen("MII", "MIJ", 1);
    let truncated: String = pem
        .lines()
        .take(3)
        .chain(pem.lines().last())
        .collect::<Vec<_>>()
        .join("\n");

    for text in [
        corrupt,
        truncated,
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----".to_owned(),
    ] {
        let message = parse_error(&text);
        assert!(message.contains("not a valid RSA public key"), "{message}");
    }
}

#[test]
fn rejects_several_pem_blocks() {
    let text = format!("{}\n{}", spki_pem(primary_key()), spki_pem(secondary_key()));

    assert!(parse_error(&text).contains("more than one PEM block"));
}

#[test]
fn rejects_small_rsa_keys() {
    let small = generate_key(1024);
    let pem_message = parse_error(&spki_pem(&small));
    let jwks_message = parse_error(&jwks(&[jwk(&small, "small")]));

    assert!(pem_message.contains("1024-bit modulus"), "{pem_message}");
    assert!(jwks_message.contains("1024-bit modulus"), "{jwks_message}");
    assert!(jwks_message.contains("\"small\""), "{jwks_message}");
}

#[test]
fn rejects_value_of_unknown_form_without_echoing_it() {
    let message = parse_error("secret-looking-value-123");

    assert!(message.contains("PEM"), "{message}");
    assert!(message.contains("JWKS"), "{message}");
    assert!(!message.contains("secret-looking-value-123"), "{message}");
}

#[test]
fn parses_jwks_with_several_keys() {
    let text = jwks(&[jwk(primary_key(), "first"), jwk(secondary_key(), "second")]);
    let keys = KeySet::parse(&text).unwrap().unwrap();

    assert_eq!(keys.source, KeySource::Jwks);
    assert_eq!(kids(&keys), [Some("first"), Some("second")]);
    assert!(keys.select(Some("first")).is_ok());
    assert!(keys.select(Some("second")).is_ok());
    assert_eq!(
        keys.select(Some("third")).unwrap_err(),
        AuthFailure::UnknownKeyId
    );
    assert_eq!(keys.select(None).unwrap_err(), AuthFailure::MissingKeyId);
}

#[test]
fn jwks_members_use_and_alg_are_optional() {
    let minimal = without_member(without_member(jwk(primary_key(), "minimal"), "use"), "alg");
    let keys = KeySet::parse(&jwks(&[minimal])).unwrap().unwrap();

    assert_eq!(kids(&keys), [Some("minimal")]);
}

#[test]
fn jwks_key_without_kid_is_kept() {
    let keys = KeySet::parse(&jwks(&[without_member(jwk(primary_key(), "x"), "kid")]))
        .unwrap()
        .unwrap();

    assert_eq!(kids(&keys), [None]);
    assert!(keys.select(None).is_ok());
    assert_eq!(
        keys.select(Some("x")).unwrap_err(),
        AuthFailure::UnknownKeyId
    );
}

#[test]
fn jwks_skips_keys_not_for_rs256_signatures() {
    let text = jwks(&[
        with_member(jwk(secondary_key(), "encryption"), "use", json!("enc")),
        with_member(jwk(secondary_key(), "rs512"), "alg", json!("RS512")),
        with_member(
            jwk(secondary_key(), "sign-only"),
            "key_ops",
            json!(["sign"]),
        ),
        json!({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}),
        json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}),
        jwk(primary_key(), "usable"),
        with_member(jwk(secondary_key(), "verify"), "key_ops", json!(["verify"])),
    ]);
    let keys = KeySet::parse(&text).unwrap().unwrap();

    assert_eq!(kids(&keys), [Some("usable"), Some("verify")]);
}

#[test]
fn jwks_without_usable_key_is_an_error() {
    let only_encryption = jwks(&[with_member(jwk(primary_key(), "enc"), "use", json!("enc"))]);

    for text in [jwks(&[]), only_encryption] {
        assert!(
            parse_error(&text).contains("no RSA key usable for RS256"),
            "{text}"
        );
    }
}

#[test]
fn jwks_rejects_duplicate_kid() {
    let text = jwks(&[jwk(primary_key(), "same"), jwk(secondary_key(), "same")]);

    assert!(parse_error(&text).contains("used by an earlier key"));
}

#[test]
fn jwks_rejects_malformed_entries() {
    let key = jwk(primary_key(), "k");
    let cases = [
        (json!("not an object"), "is not a JSON object"),
        (without_member(key.clone(), "kty"), "has no kty"),
        (
            with_member(key.clone(), "kty", json!(1)),
            "kty is not a string",
        ),
        (
            with_member(key.clone(), "kid", json!(7)),
            "kid is not a string",
        ),
        (
            with_member(key.clone(), "use", json!(["sig"])),
            "use is not a string",
        ),
        (
            with_member(key.clone(), "key_ops", json!("verify")),
            "key_ops is not an array",
        ),
        (without_member(key.clone(), "n"), "has no n"),
        (without_member(key.clone(), "e"), "has no e"),
        (
            with_member(key.clone(), "n", json!("not base64!")),
            "n is not unpadded base64url",
        ),
        (
            with_member(key.clone(), "e", json!("AQAB==")),
            "e is not unpadded base64url",
        ),
        (
            with_member(key.clone(), "e", json!("AQAA")),
            "not a valid RSA public key",
        ),
        (
            with_member(key.clone(), "n", json!("")),
            "not a valid RSA public key",
        ),
    ];

    for (entry, expected) in cases {
        let message = parse_error(&jwks(std::slice::from_ref(&entry)));
        assert!(message.contains(expected), "{entry}: {message}");
        assert!(message.starts_with("JWKS key 0"), "{message}");
    }
}

#[test]
fn jwks_error_does_not_echo_key_material() {
    let key = jwk(primary_key(), "k");
    let modulus = key["n"].as_str().unwrap().to_owned();
    let message = parse_error(&jwks(&[with_member(key, "e", json!("AQAA"))]));

    assert!(!message.contains(&modulus[..40]), "{message}");
}

#[test]
fn rejects_invalid_json_without_echoing_it() {
    let message = parse_error("{\"keys\": [\"secret-looking-value\"");

    assert!(message.contains("not valid JSON"), "{message}");
    assert!(message.contains("line 1"), "{message}");
    assert!(!message.contains("secret-looking-value"), "{message}");
}

#[test]
fn rejects_json_without_keys_array() {
    for text in [
        r#"{}"#,
        r#"{"keys": {}}"#,
        r#"{"kty": "RSA", "n": "AQAB", "e": "AQAB"}"#,
    ] {
        assert!(parse_error(text).contains("no \"keys\" array"), "{text}");
    }
}

#[test]
fn long_kid_is_shortened_in_errors() {
    let kid = "k".repeat(1000);
    let message = parse_error(&jwks(&[with_member(
        jwk(primary_key(), &kid),
        "e",
        json!("AQAA"),
    )]));

    assert!(message.len() < 300, "{message}");
    assert!(message.contains('…'), "{message}");
}

#[test]
fn der_encoding_matches_rsa_crate() {
    use rsa::pkcs1::EncodeRsaPublicKey;

    let expected = primary_key().to_public_key().to_pkcs1_der().unwrap();
    let key = jwk(primary_key(), "k");
    let modulus = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let exponent = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();

    assert_eq!(
        pkcs1_public_key_der(&modulus, &exponent),
        expected.as_bytes()
    );
}

#[test]
fn der_integer_encoding() {
    assert_eq!(der_unsigned_integer(&[]), [0x02, 0x01, 0x00]);
    assert_eq!(der_unsigned_integer(&[0x00, 0x00]), [0x02, 0x01, 0x00]);
    assert_eq!(
        der_unsigned_integer(&[0x01, 0x00, 0x01]),
        [0x02, 0x03, 0x01, 0x00, 0x01]
    );
    assert_eq!(
        der_unsigned_integer(&[0x00, 0x80]),
        [0x02, 0x02, 0x00, 0x80]
    );
    assert_eq!(der_element(0x04, &[0xAA; 0x7F])[..2], [0x04, 0x7F]);
    assert_eq!(der_element(0x04, &[0xAA; 0x80])[..3], [0x04, 0x81, 0x80]);
    assert_eq!(
        der_element(0x04, &[0xAA; 0x1234])[..4],
        [0x04, 0x82, 0x12, 0x34]
    );
}
