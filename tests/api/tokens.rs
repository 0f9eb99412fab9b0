//! JSON Web Tokens for the tests: RSA keys generated once per test process,
//! and their public halves as a PEM key or a JWKS document. The token
//! builder signs whatever header and claims a test sets, so it can produce
//! every malformed token the verifier must reject.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};
use std::sync::OnceLock;

/// The `iss` the app expects by default (`jwt_issuer`).
pub const ISSUER: &str = "cloudvelous.com";

/// The `aud` the app expects by default (`jwt_audience`).
pub const AUDIENCE: &str = "cloudvelous-api";

/// The `sub` of a token unless a test sets another.
pub const SUBJECT: &str = "user_123456";

/// Seconds between a token's `iat` and its `exp` unless a test sets them.
const LIFETIME_SECONDS: i64 = 300;

/// The RSA key pairs of one test process.
pub struct TestKeys {
    /// The key of the PEM setting and of `kid` `key-1` in the JWKS setting.
    pub primary: RsaPrivateKey,
    /// The key of `kid` `key-2` in the JWKS setting.
    pub secondary: RsaPrivateKey,
    /// A key that no app is configured with.
    pub foreign: RsaPrivateKey,
}

/// Returns the process's key pairs, generating 2048-bit keys on the first
/// call, which takes a noticeable fraction of a second per key.
pub fn keys() -> &'static TestKeys {
    static KEYS: OnceLock<TestKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let generate =
            || RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("generate an RSA key");
        TestKeys {
            primary: generate(),
            secondary: generate(),
            foreign: generate(),
        }
    })
}

/// Returns the SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`) of `key`.
pub fn public_key_pem(key: &RsaPrivateKey) -> String {
    key.to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("encode the public key as PEM")
}

/// Returns a JWKS document with one RS256 signing key per `(kid, key)`.
pub fn jwks(entries: &[(&str, &RsaPrivateKey)]) -> String {
    let keys: Vec<Value> = entries
        .iter()
        .map(|(kid, key)| {
            json!({
                "kty": "RSA",
                "kid": kid,
                "use": "sig",
                "alg": "RS256",
                "n": base64url(&key.n().to_bytes_be()),
                "e": base64url(&key.e().to_bytes_be()),
            })
        })
        .collect();
    json!({ "keys": keys }).to_string()
}

/// Encodes bytes as base64url without padding, as JWS segments are.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How the third segment of a token is made.
#[derive(Clone)]
pub enum Signature {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RS256).
    Rs256(&'static RsaPrivateKey),
    /// RSASSA-PKCS1-v1_5 with SHA-512 (RS512).
    Rs512(&'static RsaPrivateKey),
    /// HMAC-SHA-256 (HS256) with these bytes as the secret.
    Hs256(Vec<u8>),
    /// An empty segment, as unsecured (`alg: none`) tokens have.
    Empty,
}

/// A token being built: a header, claims and a way to sign them.
#[derive(Clone)]
pub struct Token {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signature: Signature,
}

impl Token {
    /// Builds a token the app accepts at `now` (Unix seconds): RS256 by the primary
    /// key, the default issuer and audience, subject [`SUBJECT`], issued at
    /// `now`, expiring five minutes later, with scope `write:leads`.
    pub fn valid(now: i64) -> Token {
        let header = json!({"alg": "RS256", "typ": "JWT"});
        let claims = json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": SUBJECT,
            "iat": now,
            "exp": now + LIFETIME_SECONDS,
            "scope": ["write:leads"],
        });
        Token {
            header: into_object(header),
            claims: into_object(claims),
            signature: Signature::Rs256(&keys().primary),
        }
    }

    /// Sets a header parameter, such as `alg`, `kid` or `crit`.
    pub fn header(mut self, name: &str, value: Value) -> Token {
        self.header.insert(name.to_string(), value);
        self
    }

    /// Sets a claim.
    pub fn claim(mut self, name: &str, value: Value) -> Token {
        self.claims.insert(name.to_string(), value);
        self
    }

    /// Removes a claim.
    pub fn without_claim(mut self, name: &str) -> Token {
        self.claims.remove(name);
        self
    }

    /// Sets how the token is signed, leaving the header's `alg` as it is.
    pub fn signature(mut self, signature: Signature) -> Token {
        self.signature = signature;
        self
    }

    /// Signs with RS256 by `key`.
    pub fn signed_by(self, key: &'static RsaPrivateKey) -> Token {
        self.signature(Signature::Rs256(key))
    }

    /// Returns the header and claims segments, joined by a dot: the input
    /// of the signature.
    pub fn signing_input(&self) -> String {
        let header = base64url(Value::Object(self.header.clone()).to_string().as_bytes());
        let claims = base64url(Value::Object(self.claims.clone()).to_string().as_bytes());
        format!("{header}.{claims}")
    }

    /// Returns the compact serialization `header.claims.signature`.
    pub fn encode(&self) -> String {
        let input = self.signing_input();
        let signature = sign(&self.signature, input.as_bytes());
        format!("{input}.{}", base64url(&signature))
    }
}

/// Signs `input` with the algorithm and key of `signature`.
fn sign(signature: &Signature, input: &[u8]) -> Vec<u8> {
    match signature {
        Signature::Rs256(key) => key
            .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(input))
            .expect("RS256 signature"),
        Signature::Rs512(key) => key
            .sign(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(input))
            .expect("RS512 signature"),
        Signature::Hs256(secret) => {
            let mut mac =
                Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
            mac.update(input);
            mac.finalize().into_bytes().to_vec()
        }
        Signature::Empty => Vec::new(),
    }
}

fn into_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(object) => object,
        other => panic!("not a JSON object: {other}"),
    }
}
