use std::collections::HashMap;

use super::*;

/// A 2048-bit RSA public key whose private half was discarded.
const PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAm3DN7btYGVrYls+LwZQw
4d4m/B8mPBtOoCnJU/1Qk9AUiMfD9CXGKtmqYCXL8oQvEpWNDDVeLthXi72TsdtU
9Sqx0iv+9BCXO6pKmZwLShMhTFAaOpkBslpSpk8MVieYTffLNgvX3hR5dpKTdzfn
tuh1cacvKvedl52oifHWB/Gh85mCwwuNBs1oIDbo8ZnxDbAVbgpexSfNN1o5nDco
5JHW+AoJXfidwL4bpdGSysvnKU8xBR5Afw5193zkKnQus1DmLFFiiqxfe8IB6or9
rV9p90TfdppH7PJsnp0mD0ZuAVgdsitU6JXOQdjqB98jAYoQq7Lp7eTSYSCqwnJ7
9QIDAQAB
-----END PUBLIC KEY-----
";

const BOOTSTRAP_KEY: &str = "ak_BootstrapKey0123456789abcdef";

fn parse(values: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let values: HashMap<String, String> = values
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    Settings::from_values(|name| values.get(name).cloned())
}

fn problems(values: &[(&str, &str)]) -> Vec<String> {
    parse(values).unwrap_err().problems().to_vec()
}

#[test]
fn undefined_variables_take_defaults() {
    let settings = parse(&[]).unwrap();

    assert!(settings.jwt_keys().is_none());
    assert_eq!(
        settings.jwt(),
        &JwtSettings {
            issuer: "cloudvelous.com".into(),
            audience: "cloudvelous-api".into(),
            leeway_seconds: 60,
        }
    );
    assert!(settings.bootstrap_key_hash().is_none());
    assert!(settings.trusted_proxies().is_empty());
    assert_eq!(settings.rate_limit(RouteGroup::Leads), Some(100));
    assert_eq!(settings.rate_limit(RouteGroup::Analytics), Some(50));
    assert_eq!(settings.rate_limit(RouteGroup::Ai), Some(20));
    assert_eq!(settings.rate_limit(RouteGroup::Health), Some(1000));
    assert!(settings.redis_address().is_none());
    assert_eq!(settings.redis_key_prefix(), "cloudvelous");
}

#[test]
fn defaults_match_manifest_variables() {
    let manifest = include_str!("../../../../spin.toml");
    for (name, default) in VARIABLES {
        let line = manifest
            .lines()
            .find(|line| line.starts_with(&format!("{name} = ")))
            .unwrap_or_else(|| panic!("spin.toml has no variable {name}"));
        assert!(
            line.contains(&format!("default = \"{default}\"")),
            "{name}: {line}"
        );
    }
}

#[test]
fn admin_group_has_no_limit() {
    assert_eq!(parse(&[]).unwrap().rate_limit(RouteGroup::Admin), None);
}

#[test]
fn defined_values_are_trimmed_and_used() {
    let settings = parse(&[
        ("jwt_public_keys", PUBLIC_KEY_PEM),
        ("jwt_issuer", " issuer.example "),
        ("jwt_audience", "audience\n"),
        ("jwt_leeway_seconds", " 5 "),
        ("trusted_proxies", "10.0.0.0/8"),
        ("rate_limit_leads", " 7 "),
        ("rate_limit_analytics", "8"),
        ("rate_limit_ai", "9"),
        ("rate_limit_health", "10"),
        ("redis_address", " redis://127.0.0.1:6379 "),
        ("redis_key_prefix", " test-run-1 "),
    ])
    .unwrap();

    assert!(settings.jwt_keys().is_some());
    assert_eq!(settings.jwt().issuer, "issuer.example");
    assert_eq!(settings.jwt().audience, "audience");
    assert_eq!(settings.jwt().leeway_seconds, 5);
    assert!(
        settings
            .trusted_proxies()
            .contains("10.1.2.3".parse().unwrap())
    );
    assert_eq!(settings.rate_limit(RouteGroup::Leads), Some(7));
    assert_eq!(settings.rate_limit(RouteGroup::Analytics), Some(8));
    assert_eq!(settings.rate_limit(RouteGroup::Ai), Some(9));
    assert_eq!(settings.rate_limit(RouteGroup::Health), Some(10));
    assert_eq!(
        settings
            .redis_address()
            .map(|address| address.expose().as_str()),
        Some("redis://127.0.0.1:6379")
    );
    assert_eq!(settings.redis_key_prefix(), "test-run-1");
}

#[test]
fn bootstrap_key_is_kept_as_its_hash() {
    let settings = parse(&[("bootstrap_api_key", BOOTSTRAP_KEY)]).unwrap();
    let expected = ApiKey::parse(BOOTSTRAP_KEY).unwrap().hash();
    assert_eq!(settings.bootstrap_key_hash().unwrap().expose(), &expected);
}

#[test]
fn blank_bootstrap_key_is_unset() {
    let settings = parse(&[("bootstrap_api_key", "  ")]).unwrap();
    assert!(settings.bootstrap_key_hash().is_none());
}

#[test]
fn malformed_bootstrap_key_not_echoed() {
    let problems = problems(&[("bootstrap_api_key", "sk_live_secret_value_123456")]);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("bootstrap_api_key "),
        "{problems:?}"
    );
    assert!(!problems[0].contains("secret_value"), "{problems:?}");
}

#[test]
fn non_numeric_or_zero_limits_are_reported() {
    for value in ["abc", "0", "-5", "1.5", "", "4294967296"] {
        let problems = problems(&[("rate_limit_ai", value)]);
        assert_eq!(problems.len(), 1, "{value:?}: {problems:?}");
        assert!(problems[0].starts_with("rate_limit_ai "), "{problems:?}");
        assert!(problems[0].contains(&format!("{value:?}")), "{problems:?}");
    }
}

#[test]
fn largest_limit_is_accepted() {
    let settings = parse(&[("rate_limit_health", "4294967295")]).unwrap();
    assert_eq!(settings.rate_limit(RouteGroup::Health), Some(u32::MAX));
}

#[test]
fn malformed_leeway_is_reported() {
    for value in ["-1", "sixty", "1.5"] {
        let problems = problems(&[("jwt_leeway_seconds", value)]);
        assert_eq!(problems.len(), 1, "{value:?}");
        assert!(
            problems[0].starts_with("jwt_leeway_seconds "),
            "{problems:?}"
        );
    }
}

#[test]
fn unusable_key_set_is_reported() {
    let problems = problems(&[("jwt_public_keys", "-----BEGIN PUBLIC KEY-----\nnot base64")]);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("jwt_public_keys is not usable: "),
        "{problems:?}"
    );
}

#[test]
fn empty_issuer_audience_or_prefix_is_reported() {
    let problems = problems(&[
        ("jwt_issuer", " "),
        ("jwt_audience", ""),
        ("redis_key_prefix", ""),
    ]);
    assert_eq!(
        problems,
        [
            "jwt_issuer must not be empty",
            "jwt_audience must not be empty",
            "redis_key_prefix must not be empty",
        ]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let problems = problems(&[
        ("jwt_public_keys", "{\"keys\": 5}"),
        ("jwt_leeway_seconds", "x"),
        ("bootstrap_api_key", "AK_0123456789abcdef"),
        ("trusted_proxies", "10.0.0.1, gateway.local, 10.0.0.0/40"),
        ("rate_limit_leads", "many"),
        ("rate_limit_analytics", "0"),
        ("rate_limit_ai", "-1"),
        ("rate_limit_health", "1e3"),
    ]);
    let variables: Vec<&str> = problems
        .iter()
        .map(|problem| problem.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        variables,
        [
            "jwt_public_keys",
            "jwt_leeway_seconds",
            "bootstrap_api_key",
            "trusted_proxies",
            "trusted_proxies",
            "rate_limit_leads",
            "rate_limit_analytics",
            "rate_limit_ai",
            "rate_limit_health",
        ]
    );
}

#[test]
fn error_text_lists_problems() {
    let error = parse(&[("rate_limit_ai", "x"), ("rate_limit_health", "y")]).unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("invalid settings: rate_limit_ai "),
        "{text}"
    );
    assert!(text.contains("; rate_limit_health "), "{text}");
}

#[test]
fn long_values_are_shortened_in_problems() {
    let value = "9".repeat(500);
    let problems = problems(&[("rate_limit_leads", &value)]);
    assert!(problems[0].len() < 200, "{}", problems[0]);
}

#[test]
fn debug_hides_secrets() {
    let settings = parse(&[
        ("bootstrap_api_key", BOOTSTRAP_KEY),
        ("redis_address", "redis://user:s3cret@cache.internal:6379"),
    ])
    .unwrap();
    let text = format!("{settings:?}");
    assert!(!text.contains("s3cret"), "{text}");
    assert!(!text.contains("cache.internal"), "{text}");
    assert!(text.contains("bootstrap_key_set: true"), "{text}");
    assert!(text.contains("redis_configured: true"), "{text}");
}
