//! The worker's settings, read from Spin variables on every message.

use cloudvelous_events::RetryPolicy;
use spin_sdk::variables;

/// Maximum attempts per delivery, the first included.
const MAX_ATTEMPTS_VARIABLE: &str = "webhook_max_attempts";

/// Delay before the second attempt, in milliseconds, before jitter.
const BASE_DELAY_VARIABLE: &str = "webhook_retry_base_ms";

/// Largest delay between two attempts, in milliseconds, before jitter.
const MAX_DELAY_VARIABLE: &str = "webhook_retry_max_ms";

/// The worker's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WorkerSettings {
    /// How often and how far apart failed deliveries are retried.
    pub(crate) retry: RetryPolicy,
}

/// A setting that is missing or cannot be used.
#[derive(Debug)]
pub(crate) struct SettingsError(String);

impl std::fmt::Display for SettingsError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

impl WorkerSettings {
    /// Reads the retry settings. A variable the manifest does not grant
    /// takes the default of [`RetryPolicy::DEFAULT`].
    pub(crate) async fn load() -> Result<WorkerSettings, SettingsError> {
        let default = RetryPolicy::DEFAULT;
        let max_attempts =
            read_number(MAX_ATTEMPTS_VARIABLE, u64::from(default.max_attempts)).await?;
        let base_delay_ms = read_number(BASE_DELAY_VARIABLE, millis(default.base_delay)).await?;
        let max_delay_ms = read_number(MAX_DELAY_VARIABLE, millis(default.max_delay)).await?;
        let max_attempts = u32::try_from(max_attempts).map_err(|_| {
            SettingsError(format!(
                "{MAX_ATTEMPTS_VARIABLE} is {max_attempts}; set it from 1 to 100"
            ))
        })?;
        let retry = RetryPolicy::new(max_attempts, base_delay_ms, max_delay_ms).map_err(|error| {
            SettingsError(format!(
                "the retry settings ({MAX_ATTEMPTS_VARIABLE}, {BASE_DELAY_VARIABLE}, {MAX_DELAY_VARIABLE}) are unusable: {error}"
            ))
        })?;
        Ok(WorkerSettings { retry })
    }
}

async fn read_number(name: &str, default: u64) -> Result<u64, SettingsError> {
    let text = match variables::get(name).await {
        Ok(text) => text,
        Err(variables::Error::Undefined(_)) => return Ok(default),
        Err(error) => {
            return Err(SettingsError(format!(
                "reading the {name} variable failed: {error}"
            )));
        }
    };
    parse_number(name, &text)
}

fn parse_number(name: &str, text: &str) -> Result<u64, SettingsError> {
    text.trim()
        .parse()
        .map_err(|_| SettingsError(format!("{name} is {text:?}, which is not a whole number")))
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_with_surrounding_space() {
        assert_eq!(parse_number("x", " 250 ").unwrap(), 250);
    }

    #[test]
    fn non_numbers_are_errors() {
        for text in ["", "1.5", "-1", "ten"] {
            let error = parse_number("webhook_retry_base_ms", text).unwrap_err();
            assert!(
                error.to_string().contains("webhook_retry_base_ms"),
                "{error}"
            );
        }
    }
}
