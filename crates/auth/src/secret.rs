//! A wrapper that keeps credentials out of logs.

use std::fmt;

/// A credential or other secret value. `Debug` and `Display` print
/// `[redacted]`, so a log line or error message cannot carry it by accident.
///
/// The type implements no comparison because `==` on secrets would not run
/// in constant time. Compare hashes with [`crate::hashes_equal`] instead.
#[derive(Clone, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// Returns the wrapped value. Use it only where the secret itself is
    /// needed, never for logging.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let secret = Secret::new("ak_abcdefghijklmnop".to_owned());

        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
    }

    #[test]
    fn expose_returns_value() {
        let secret = Secret::from(String::from("token"));

        assert_eq!(secret.expose(), "token");
        assert_eq!(secret.into_inner(), "token");
    }
}
