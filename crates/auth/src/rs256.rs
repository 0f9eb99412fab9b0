//! RS256 signature verification (RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017
//! section 8.2.2), installed as `jsonwebtoken`'s cryptography backend.
//!
//! Verification uses only the public key and the token, so nothing in it
//! is secret and it may run in variable time. The general-purpose `rsa`
//! crate sets keys up and exponentiates in constant time, because the same
//! code serves private keys, and that costs more than twice as much. In the
//! leads component under the wasmtime 47 test host, one 2048-bit check took
//! about 145 µs this way and about 350 µs through the `rsa` crate (medians
//! of 200 requests on a shared 2-core machine).
//!
//! The check recomputes the whole encoded message the signature must
//! decrypt to and compares it byte for byte, instead of parsing the
//! decrypted block, so no padding or `DigestInfo` variant can slip through.

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result as JwtResult};
use jsonwebtoken::signature::{self, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};
use pkcs1::der::Decode;
use pkcs1::der::asn1::UintRef;
use sha2::{Digest, Sha256};

/// Minimum modulus length, in bits. RFC 7518 section 3.3 requires 2048
/// bits or more for RS256.
pub(crate) const MIN_MODULUS_BITS: u32 = 2048;
/// Maximum modulus length, in bits. The check's cost grows with the square
/// of the length, and 4096 bits is the largest size in common use.
pub(crate) const MAX_MODULUS_BITS: u32 = 4096;
/// Maximum public exponent length, in bits. Exponents are 65537 in
/// practice. The bound keeps a configured key from making every check slow.
const MAX_EXPONENT_BITS: u32 = 64;

/// The DER prefix of `DigestInfo` for SHA-256 (RFC 8017 section 9.2, note
/// 1), which precedes the 32-byte digest in the encoded message.
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The `jsonwebtoken` backend of this crate. It verifies RS256 signatures
/// and supports nothing else: no signing and no other algorithm.
pub(crate) static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: no_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes [`PROVIDER`] `jsonwebtoken`'s process-wide backend, unless it
/// already is.
///
/// # Errors
///
/// Returns an error when another backend was installed first, because
/// tokens would then be checked by code this crate does not control.
pub(crate) fn install_provider() -> Result<(), &'static str> {
    match CryptoProvider::install_default(&PROVIDER) {
        Ok(()) => Ok(()),
        Err(installed) if std::ptr::eq(installed, &PROVIDER) => Ok(()),
        Err(_) => Err("another jsonwebtoken cryptography backend is installed"),
    }
}

fn no_signer(_: &Algorithm, _: &EncodingKey) -> JwtResult<Box<dyn JwtSigner>> {
    Err(ErrorKind::InvalidAlgorithm.into())
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> JwtResult<Box<dyn JwtVerifier>> {
    if *algorithm != Algorithm::RS256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let public_key = match key.kind() {
        DecodingKeyKind::RsaModulusExponent { n, e } => RsaPublicKey::from_components(n, e),
        DecodingKeyKind::SecretOrDer(der) => RsaPublicKey::from_pkcs1_der(der),
    }
    .map_err(|_| ErrorKind::InvalidRsaKey(String::new()))?;
    Ok(Box::new(Rs256Verifier(public_key)))
}

/// A reason a byte string is not a usable RSA public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// Not a DER `RSAPublicKey ::= SEQUENCE { modulus INTEGER,
    /// publicExponent INTEGER }`.
    Malformed,
    /// The modulus is even, or shorter or longer than the bounds.
    Modulus { bits: u32 },
    /// The exponent is even, below 3 or longer than 64 bits. Such an
    /// exponent is always below a modulus of at least 2048 bits.
    Exponent,
}

/// An RSA public key checked for use with RS256.
#[derive(Clone, Debug)]
pub(crate) struct RsaPublicKey {
    modulus: Odd<BoxedUint>,
    exponent: BoxedUint,
    /// The modulus length in bytes, which is also the signature length.
    size: usize,
}

impl RsaPublicKey {
    /// Reads a PKCS #1 `RSAPublicKey` in DER.
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<RsaPublicKey, KeyError> {
        let key =
            pkcs1::RsaPublicKey::<UintRef<'_>>::from_der(der).map_err(|_| KeyError::Malformed)?;
        RsaPublicKey::from_components(key.modulus.as_bytes(), key.public_exponent.as_bytes())
    }

    /// Builds a key from the big-endian modulus and exponent.
    pub(crate) fn from_components(
        modulus: &[u8],
        exponent: &[u8],
    ) -> Result<RsaPublicKey, KeyError> {
        // Without leading zero bytes, the integer's precision is the
        // modulus length rounded up to whole limbs, which is the precision
        // every value of the exponentiation then takes.
        let modulus = BoxedUint::from_be_slice_vartime(without_leading_zeros(modulus));
        let bits = modulus.bit_width_vartime();
        if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
            return Err(KeyError::Modulus { bits });
        }
        let Some(modulus) = Odd::new(modulus).into_option() else {
            return Err(KeyError::Modulus { bits });
        };

        let exponent = BoxedUint::from_be_slice_vartime(without_leading_zeros(exponent));
        let exponent_bits = exponent.bit_width_vartime();
        let exponent_is_odd = bool::from(exponent.bit(0));
        if !exponent_is_odd || !(2..=MAX_EXPONENT_BITS).contains(&exponent_bits) {
            return Err(KeyError::Exponent);
        }

        Ok(RsaPublicKey {
            size: bits.div_ceil(8) as usize,
            modulus,
            exponent,
        })
    }

    /// Returns the modulus as big-endian bytes without leading zeros.
    pub(crate) fn modulus_bytes(&self) -> Vec<u8> {
        self.modulus
            .as_ref()
            .to_be_bytes_trimmed_vartime()
            .into_vec()
    }

    /// Returns the public exponent as big-endian bytes without leading zeros.
    pub(crate) fn exponent_bytes(&self) -> Vec<u8> {
        self.exponent.to_be_bytes_trimmed_vartime().into_vec()
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 `signature` of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        // RFC 8017 section 8.2.2, step 1: the signature is exactly as long
        // as the modulus.
        if signature.len() != self.size {
            return false;
        }
        let Some(decrypted) = self.apply_exponent(signature) else {
            return false;
        };
        decrypted == encode_message(message, self.size)
    }

    /// Computes `signature ^ e mod n` as big-endian bytes of the modulus
    /// length, or `None` when the signature is not below the modulus (RFC
    /// 8017 section 5.2.2, step 1).
    fn apply_exponent(&self, signature: &[u8]) -> Option<Vec<u8>> {
        let precision = self.modulus.as_ref().bits_precision();
        let base = BoxedUint::from_be_slice(signature, precision).ok()?;
        if base >= *self.modulus.as_ref() {
            return None;
        }

        let params = BoxedMontyParams::new_vartime(self.modulus.clone());
        let base = BoxedMontyForm::new(base, &params);
        // Left-to-right square-and-multiply over the public exponent's
        // bits. The exponent's top bit is 1, and `base` stands for it.
        let mut power = base.clone();
        for bit in (0..self.exponent.bit_width_vartime() - 1).rev() {
            power = power.square();
            if bool::from(self.exponent.bit(bit)) {
                power *= &base;
            }
        }

        let bytes = power.retrieve().to_be_bytes();
        // The result has the modulus's limb-rounded precision, so it may
        // start with zero bytes beyond the modulus length.
        let (padding, value) = bytes.split_at(bytes.len() - self.size);
        padding
            .iter()
            .all(|&byte| byte == 0)
            .then(|| value.to_vec())
    }
}

fn without_leading_zeros(big_endian: &[u8]) -> &[u8] {
    let start = big_endian
        .iter()
        .position(|&byte| byte != 0)
        .unwrap_or(big_endian.len());
    &big_endian[start..]
}

/// Builds `EM = 0x00 || 0x01 || PS || 0x00 || T` (RFC 8017 section 9.2),
/// where `T` is the SHA-256 `DigestInfo` of `message` and `PS` fills the
/// modulus length with `0xff` bytes. `size` is at least 256 bytes, because
/// keys have at least 2048 bits, so `PS` is longer than the 8 bytes the
/// standard requires.
fn encode_message(message: &[u8], size: usize) -> Vec<u8> {
    let digest = Sha256::digest(message);
    let digest_info_length = SHA256_DIGEST_INFO_PREFIX.len() + digest.len();
    let padding_length = size - 3 - digest_info_length;

    let mut encoded = Vec::with_capacity(size);
    encoded.extend_from_slice(&[0x00, 0x01]);
    encoded.resize(2 + padding_length, 0xff);
    encoded.push(0x00);
    encoded.extend_from_slice(&SHA256_DIGEST_INFO_PREFIX);
    encoded.extend_from_slice(&digest);
    encoded
}

/// The `jsonwebtoken` verifier for one key.
struct Rs256Verifier(RsaPublicKey);

impl Verifier<Vec<u8>> for Rs256Verifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        if self.0.verify(message, signature) {
            Ok(())
        } else {
            Err(signature::Error::new())
        }
    }
}

impl JwtVerifier for Rs256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

#[cfg(test)]
mod tests;
