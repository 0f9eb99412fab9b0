//! RSA keys and hand-built tokens for the unit tests.
//!
//! Tokens are assembled from their segments rather than with an encoder, so
//! that tests can build every malformed variant.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};

use crate::jwt::JwtSettings;
use crate::keys::KeySet;

pub(crate) const ISSUER: &str = "cloudvelous.com";
pub(crate) const AUDIENCE: &str = "cloudvelous-api";
pub(crate) const LEEWAY_SECONDS: u64 = 60;
/// The clock of every test: 2025-10-09T08:53:20Z.
pub(crate) const NOW: i64 = 1_760_000_000;

/// Returns the key that signs most test tokens. Each key is generated once
/// per test binary because a 2048-bit key takes seconds to generate.
pub(crate) fn primary_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key(2048))
}

/// Returns a second key, for key sets with several keys.
pub(crate) fn secondary_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key(2048))
}

pub(crate) fn generate_key(bits: usize) -> RsaPrivateKey {
    RsaPrivateKey::new(&mut OsRng, bits).unwrap()
}

/// Encodes the public half as a SubjectPublicKeyInfo `PUBLIC KEY` block.
pub(crate) fn spki_pem(key: &RsaPrivateKey) -> String {
    key.to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

/// Encodes the public half as a PKCS#1 `RSA PUBLIC KEY` block.
pub(crate) fn pkcs1_pem(key: &RsaPrivateKey) -> String {
    key.to_public_key().to_pkcs1_pem(LineEnding::LF).unwrap()
}

/// Describes the public half as a JWK with the given `kid`.
pub(crate) fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    json!({
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

pub(crate) fn pem_key_set() -> KeySet {
    KeySet::parse(&spki_pem(primary_key())).unwrap().unwrap()
}

pub(crate) fn settings() -> JwtSettings {
    JwtSettings {
        issuer: ISSUER.to_owned(),
        audience: AUDIENCE.to_owned(),
        leeway_seconds: LEEWAY_SECONDS,
    }
}

/// Returns claims that pass every check at [`NOW`].
pub(crate) fn valid_claims() -> Value {
    json!({
        "sub": "user_123456",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": NOW + 3600,
        "iat": NOW,
        "scope": ["read:leads", "write:analytics"],
        "role": "analyst",
    })
}

pub(crate) fn rs256_header() -> Value {
    json!({"alg": "RS256", "typ": "JWT"})
}

pub(crate) fn encode_segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Returns `header.payload`, the text a signature covers.
pub(crate) fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", encode_segment(header), encode_segment(claims))
}

/// Signs with RSASSA-PKCS1-v1_5 and SHA-256, as RS256 does.
pub(crate) fn rs256_signature(input: &str, key: &RsaPrivateKey) -> String {
    let digest = Sha256::digest(input.as_bytes());
    let signature = key.sign(Pkcs1v15Sign::new::<Sha256>(), &digest).unwrap();
    URL_SAFE_NO_PAD.encode(signature)
}

/// Signs with RSASSA-PKCS1-v1_5 and SHA-512, as RS512 does.
pub(crate) fn rs512_signature(input: &str, key: &RsaPrivateKey) -> String {
    let digest = Sha512::digest(input.as_bytes());
    let signature = key.sign(Pkcs1v15Sign::new::<Sha512>(), &digest).unwrap();
    URL_SAFE_NO_PAD.encode(signature)
}

/// Signs with HMAC-SHA-256 under `secret`, as HS256 does.
pub(crate) fn hs256_signature(input: &str, secret: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Builds a token with `header` and `claims`, signed RS256 by `key`.
pub(crate) fn mint_with(header: &Value, claims: &Value, key: &RsaPrivateKey) -> String {
    let input = signing_input(header, claims);
    let signature = rs256_signature(&input, key);
    format!("{input}.{signature}")
}

/// Builds a token with the standard header and `claims`, signed RS256 by the
/// primary key.
pub(crate) fn mint(claims: &Value) -> String {
    mint_with(&rs256_header(), claims, primary_key())
}
