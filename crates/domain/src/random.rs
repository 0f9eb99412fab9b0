//! Random identifiers from the operating system's generator.

const ALPHANUMERICS: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Largest multiple of 62 that fits in a byte. Bytes at or above it are
/// discarded so that every character is equally likely.
const UNBIASED_LIMIT: u8 = 248;

/// Generates `length` random ASCII letters and digits, each drawn uniformly
/// from the 62 possibilities with `getrandom` (WASI `random` on
/// `wasm32-wasip2`).
///
/// # Errors
///
/// Returns the generator's error when the system cannot provide random bytes.
pub fn random_alphanumeric(length: usize) -> Result<String, getrandom::Error> {
    let mut output = String::with_capacity(length);
    let mut buffer = [0_u8; 64];
    while output.len() < length {
        getrandom::fill(&mut buffer)?;
        let characters = buffer
            .iter()
            .filter(|&&byte| byte < UNBIASED_LIMIT)
            .map(|&byte| char::from(ALPHANUMERICS[usize::from(byte % 62)]))
            .take(length - output.len());
        output.extend(characters);
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn random_alphanumeric_has_requested_length() {
        for length in [0, 1, 20, 24, 63, 64, 65, 500] {
            let text = random_alphanumeric(length).unwrap();
            assert_eq!(text.len(), length);
            assert!(text.bytes().all(|byte| byte.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn random_alphanumeric_differs_between_calls() {
        let values: HashSet<String> = (0..100).map(|_| random_alphanumeric(24).unwrap()).collect();
        assert_eq!(values.len(), 100);
    }

    #[test]
    fn random_alphanumeric_uses_whole_alphabet() {
        let text = random_alphanumeric(20_000).unwrap();
        let distinct: HashSet<char> = text.chars().collect();
        assert_eq!(distinct.len(), 62);
    }
}
