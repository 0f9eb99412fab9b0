//! Authentication and rate-limit settings, read from Spin variables.

use std::collections::BTreeMap;
use std::fmt;

use cloudvelous_auth::{ApiKey, JwtSettings, KeySet, Secret};
use cloudvelous_http_kit::ApiError;
use spin_sdk::variables;

use crate::caller::RouteGroup;
use crate::client_address::TrustedProxies;

/// Every variable the gateway reads, with the default that applies when the
/// component's manifest does not define it. The defaults equal those of the
/// `[variables]` table in `spin.toml`.
const VARIABLES: [(&str, &str); 12] = [
    ("jwt_public_keys", ""),
    ("jwt_issuer", "cloudvelous.com"),
    ("jwt_audience", "cloudvelous-api"),
    ("jwt_leeway_seconds", "60"),
    ("bootstrap_api_key", ""),
    ("trusted_proxies", ""),
    ("rate_limit_leads", "100"),
    ("rate_limit_analytics", "50"),
    ("rate_limit_ai", "20"),
    ("rate_limit_health", "1000"),
    ("redis_address", ""),
    ("redis_key_prefix", "cloudvelous"),
];

/// The settings of one request's admission checks.
pub struct Settings {
    jwt_keys: Option<KeySet>,
    jwt: JwtSettings,
    bootstrap_key_hash: Option<Secret<[u8; 32]>>,
    trusted_proxies: TrustedProxies,
    limits: RateLimits,
    redis_address: Option<Secret<String>>,
    redis_key_prefix: String,
}

/// Requests admitted per caller and rolling minute, by route group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RateLimits {
    leads: u32,
    analytics: u32,
    ai: u32,
    health: u32,
}

/// Settings that could not be used, with one entry per problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError {
    problems: Vec<String>,
}

impl SettingsError {
    /// Returns one description per problem, each naming its variable.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "invalid settings: {}", self.problems.join("; "))
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Reads every variable of the gateway through Spin and parses them.
    ///
    /// A variable that the component's manifest does not define takes the
    /// default of the `[variables]` table. Spin runs each request in a new
    /// instance, so the variables are read once per request.
    ///
    /// # Errors
    ///
    /// Returns an [`ApiError::Internal`] whose cause, a [`SettingsError`],
    /// lists every variable that could not be read or parsed. The
    /// component's request log line writes that cause once, and the client
    /// sees only `500 INTERNAL_ERROR`. No secret value is part of the text.
    pub async fn load() -> Result<Settings, ApiError> {
        let mut values = BTreeMap::new();
        let mut problems = Vec::new();
        for (name, _) in VARIABLES {
            match variables::get(name).await {
                Ok(value) => {
                    values.insert(name, value);
                }
                Err(variables::Error::Undefined(_)) => {}
                Err(error) => problems.push(format!("{name} could not be read: {error}")),
            }
        }

        let parsed = Settings::from_values(|name| values.get(name).cloned());
        match (parsed, problems.is_empty()) {
            (Ok(settings), true) => Ok(settings),
            (Ok(_), false) => Err(settings_error(problems)),
            (Err(error), _) => {
                problems.extend(error.problems);
                Err(settings_error(problems))
            }
        }
    }

    /// Parses the settings from variable values. `lookup` returns a
    /// variable's value, or `None` when it is not defined, which selects the
    /// default.
    ///
    /// # Errors
    ///
    /// Returns a [`SettingsError`] listing every variable whose value cannot
    /// be used.
    pub fn from_values(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let value = |name: &str| {
            let default = VARIABLES
                .iter()
                .find(|(known, _)| *known == name)
                .map_or("", |(_, default)| *default);
            lookup(name).unwrap_or_else(|| default.to_owned())
        };
        let mut problems = Vec::new();

        let jwt_keys = parse_key_set(&value("jwt_public_keys"), &mut problems);
        let jwt = JwtSettings {
            issuer: required_text("jwt_issuer", &value("jwt_issuer"), &mut problems),
            audience: required_text("jwt_audience", &value("jwt_audience"), &mut problems),
            leeway_seconds: parse_leeway(&value("jwt_leeway_seconds"), &mut problems),
        };
        let bootstrap_key_hash = parse_bootstrap_key(&value("bootstrap_api_key"), &mut problems);
        let trusted_proxies = parse_trusted_proxies(&value("trusted_proxies"), &mut problems);
        let limits = RateLimits {
            leads: parse_limit(
                "rate_limit_leads",
                &value("rate_limit_leads"),
                &mut problems,
            ),
            analytics: parse_limit(
                "rate_limit_analytics",
                &value("rate_limit_analytics"),
                &mut problems,
            ),
            ai: parse_limit("rate_limit_ai", &value("rate_limit_ai"), &mut problems),
            health: parse_limit(
                "rate_limit_health",
                &value("rate_limit_health"),
                &mut problems,
            ),
        };
        let redis_address = Some(value("redis_address").trim().to_owned())
            .filter(|address| !address.is_empty())
            .map(Secret::new);
        let redis_key_prefix = required_text(
            "redis_key_prefix",
            &value("redis_key_prefix"),
            &mut problems,
        );

        if !problems.is_empty() {
            return Err(SettingsError { problems });
        }
        Ok(Settings {
            jwt_keys,
            jwt,
            bootstrap_key_hash,
            trusted_proxies,
            limits,
            redis_address,
            redis_key_prefix,
        })
    }

    /// Returns the keys that verify JWTs, or `None` when JWT authentication
    /// is disabled.
    pub fn jwt_keys(&self) -> Option<&KeySet> {
        self.jwt_keys.as_ref()
    }

    /// Returns the required issuer and audience and the clock leeway.
    pub fn jwt(&self) -> &JwtSettings {
        &self.jwt
    }

    /// Returns the SHA-256 digest of the bootstrap API key, if one is set.
    pub fn bootstrap_key_hash(&self) -> Option<&Secret<[u8; 32]>> {
        self.bootstrap_key_hash.as_ref()
    }

    /// Returns the proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    /// Returns the requests admitted per caller and rolling minute in
    /// `group`, or `None` for a group without a limit.
    pub fn rate_limit(&self, group: RouteGroup) -> Option<u32> {
        match group {
            RouteGroup::Leads => Some(self.limits.leads),
            RouteGroup::Analytics => Some(self.limits.analytics),
            RouteGroup::Ai => Some(self.limits.ai),
            RouteGroup::Health => Some(self.limits.health),
            RouteGroup::Admin => None,
        }
    }

    /// Returns the Redis address for rate limits, or `None` to keep them in
    /// SQLite.
    pub fn redis_address(&self) -> Option<&Secret<String>> {
        self.redis_address.as_ref()
    }

    /// Returns the text that starts every Redis key of this deployment.
    pub fn redis_key_prefix(&self) -> &str {
        &self.redis_key_prefix
    }
}

/// Prints the settings without the bootstrap key hash or the Redis address,
/// which may carry a password.
impl fmt::Debug for Settings {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Settings")
            .field("jwt_enabled", &self.jwt_keys.is_some())
            .field("jwt", &self.jwt)
            .field("bootstrap_key_set", &self.bootstrap_key_hash.is_some())
            .field("trusted_proxies", &self.trusted_proxies)
            .field("limits", &self.limits)
            .field("redis_configured", &self.redis_address.is_some())
            .field("redis_key_prefix", &self.redis_key_prefix)
            .finish()
    }
}

fn settings_error(problems: Vec<String>) -> ApiError {
    ApiError::Internal(anyhow::Error::new(SettingsError { problems }))
}

fn parse_key_set(text: &str, problems: &mut Vec<String>) -> Option<KeySet> {
    match KeySet::parse(text) {
        Ok(keys) => keys,
        Err(error) => {
            problems.push(format!("jwt_public_keys is not usable: {error}"));
            None
        }
    }
}

/// Trims `text`, reporting a problem when nothing remains.
fn required_text(name: &str, text: &str, problems: &mut Vec<String>) -> String {
    let text = text.trim();
    if text.is_empty() {
        problems.push(format!("{name} must not be empty"));
    }
    text.to_owned()
}

fn parse_leeway(text: &str, problems: &mut Vec<String>) -> u64 {
    match text.trim().parse::<u64>() {
        Ok(seconds) => seconds,
        Err(_) => {
            problems.push(format!(
                "jwt_leeway_seconds must be a whole number of seconds, not {:?}",
                shorten(text)
            ));
            0
        }
    }
}

fn parse_limit(name: &str, text: &str, problems: &mut Vec<String>) -> u32 {
    match text.trim().parse::<u32>() {
        Ok(limit) if limit > 0 => limit,
        _ => {
            problems.push(format!(
                "{name} must be a whole number of requests per minute from 1 to {}, not {:?}",
                u32::MAX,
                shorten(text)
            ));
            0
        }
    }
}

/// Hashes the bootstrap key. Its value never appears in a problem, because
/// it is a secret.
fn parse_bootstrap_key(text: &str, problems: &mut Vec<String>) -> Option<Secret<[u8; 32]>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match ApiKey::parse(text) {
        Ok(key) => Some(Secret::new(key.hash())),
        Err(_) => {
            problems.push(
                "bootstrap_api_key must be ak_ followed by 16 to 128 ASCII letters or digits"
                    .to_owned(),
            );
            None
        }
    }
}

fn parse_trusted_proxies(text: &str, problems: &mut Vec<String>) -> TrustedProxies {
    TrustedProxies::parse(text).unwrap_or_else(|invalid| {
        for entry in invalid {
            problems.push(format!(
                "trusted_proxies entry {:?} is neither an IP address nor a CIDR range",
                shorten(&entry)
            ));
        }
        TrustedProxies::default()
    })
}

/// Cuts a value quoted in a problem to 64 characters, so that a misplaced
/// large value does not flood the log line.
fn shorten(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((cut, _)) => text.get(..cut).unwrap_or(text),
        None => text,
    }
}

#[cfg(test)]
mod tests;
