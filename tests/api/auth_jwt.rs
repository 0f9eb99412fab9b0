//! Bearer tokens: RS256 only whatever the header's `alg`, the required claims
//! `iss`, `aud`, `exp` and `sub`, `nbf` and the leeway, key choice by `kid`,
//! the size cap, and requests that carry both a token and an API key. Every
//! rejection is the same `401`, whichever check failed.

use crate::fixtures::{expect_created, expect_created_id, minimal_lead, stored_lead_count};
use crate::support::{TestApp, TestResponse};
use crate::tokens::{Signature, Token, jwks, keys, public_key_pem};
use http::StatusCode;
use rsa::pkcs8::EncodePublicKey;
use serde_json::json;
use std::time::Duration;

/// 2026-01-01T00:00:00Z in Unix seconds: the app's clock in these tests.
const NOW: i64 = 1_767_225_600;

/// The `jwt_leeway_seconds` of these apps, below the default of 60, so the
/// tests also show that the setting is read.
const LEEWAY: i64 = 30;

/// Starts an app that verifies tokens with `key_setting` (`jwt_public_keys`)
/// and stops its clock at [`NOW`].
async fn app_with_keys(key_setting: &str) -> TestApp {
    let app = TestApp::builder()
        .variable("jwt_public_keys", key_setting)
        .variable("jwt_leeway_seconds", &LEEWAY.to_string())
        .spawn()
        .await;
    app.clock().set(Duration::from_secs(NOW as u64));
    app
}

/// Starts an app whose key setting is the primary key as PEM.
async fn pem_app() -> TestApp {
    app_with_keys(&public_key_pem(&keys().primary)).await
}

/// Starts an app whose key setting is a JWKS with the primary key as
/// `key-1` and the secondary key as `key-2`.
async fn jwks_app() -> TestApp {
    let keys = keys();
    app_with_keys(&jwks(&[
        ("key-1", &keys.primary),
        ("key-2", &keys.secondary),
    ]))
    .await
}

/// Sends `POST /api/leads` with a valid lead and `Authorization: Bearer <token>`.
async fn post_lead_with(app: &TestApp, token: &str) -> TestResponse {
    app.post("/api/leads")
        .bearer(token)
        .json(&minimal_lead())
        .send()
        .await
}

/// Asserts that `app` rejects `token` with the whole `401`, echoes no part
/// of it, and stores no lead.
async fn expect_rejected(app: &TestApp, token: &str) {
    let stored_before = stored_lead_count(app);

    let response = post_lead_with(app, token).await;

    response.expect_unauthorized();
    response.expect_omits(token);
    let stored_after = stored_lead_count(app);
    assert_eq!(
        stored_after, stored_before,
        "a rejected request stored a lead"
    );
}

/// Asserts that `app` accepts `token` for a lead write.
async fn expect_accepted(app: &TestApp, token: &str) {
    let response = post_lead_with(app, token).await;

    expect_created(&response);
}

/// Builds a valid token with a `padding` claim of `length` characters.
fn padded_token(length: usize) -> String {
    Token::valid(NOW)
        .claim("padding", json!("x".repeat(length)))
        .encode()
}

/// Returns the longest padded token of at most `max_length` characters and
/// the padded token one claim character longer, which exceeds it.
fn tokens_around(max_length: usize) -> (String, String) {
    // Each padding character adds about 4/3 characters, so this starts at
    // or just below the longest fitting padding.
    let unpadded = padded_token(0).len();
    let mut padding = max_length.saturating_sub(unpadded) * 3 / 4;
    while padded_token(padding + 1).len() <= max_length {
        padding += 1;
    }
    while padding > 0 && padded_token(padding).len() > max_length {
        padding -= 1;
    }
    (padded_token(padding), padded_token(padding + 1))
}

#[tokio::test]
async fn valid_token_creates_and_reads_lead() {
    let app = pem_app().await;
    let token = Token::valid(NOW).encode();

    let created = post_lead_with(&app, &token).await;
    let id = expect_created_id(&created);
    // `write:leads` implies `read:leads`.
    let read = app
        .get(&format!("/api/leads/{id}"))
        .bearer(&token)
        .send()
        .await;

    read.expect_json(StatusCode::OK);
}

#[tokio::test]
async fn alg_none_is_rejected() {
    let app = pem_app().await;

    for alg in ["none", "None", "NONE"] {
        let token = Token::valid(NOW)
            .header("alg", json!(alg))
            .signature(Signature::Empty)
            .encode();
        expect_rejected(&app, &token).await;
    }
}

#[tokio::test]
async fn alg_none_with_valid_signature_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW).header("alg", json!("none")).encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn hs256_signed_with_public_key_is_rejected() {
    let app = pem_app().await;
    let public_key = keys().primary.to_public_key();
    let der = public_key
        .to_public_key_der()
        .expect("DER public key")
        .into_vec();
    let pem = public_key_pem(&keys().primary).into_bytes();

    for secret in [pem, der] {
        let token = Token::valid(NOW)
            .header("alg", json!("HS256"))
            .signature(Signature::Hs256(secret))
            .encode();
        expect_rejected(&app, &token).await;
    }
}

#[tokio::test]
async fn rs512_token_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .header("alg", json!("RS512"))
        .signature(Signature::Rs512(&keys().primary))
        .encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn token_signed_by_unknown_key_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW).signed_by(&keys().foreign).encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn tampered_claims_are_rejected() {
    let app = pem_app().await;
    let original = Token::valid(NOW).claim("scope", json!(["read:leads"]));
    let signature = original.encode().rsplit('.').next().unwrap().to_string();
    let forged = original.claim("scope", json!(["admin"]));
    let token = format!("{}.{signature}", forged.signing_input());

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn missing_exp_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW).without_claim("exp").encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn string_exp_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .claim("exp", json!((NOW + 300).to_string()))
        .encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn string_nbf_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .claim("nbf", json!((NOW - 300).to_string()))
        .encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn exp_beyond_leeway_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .claim("iat", json!(NOW - 600))
        .claim("exp", json!(NOW - LEEWAY - 1))
        .encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn exp_within_leeway_is_accepted() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .claim("iat", json!(NOW - 600))
        .claim("exp", json!(NOW - LEEWAY))
        .encode();

    expect_accepted(&app, &token).await;
}

#[tokio::test]
async fn nbf_beyond_leeway_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .claim("nbf", json!(NOW + LEEWAY + 1))
        .encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn nbf_within_leeway_is_accepted() {
    let app = pem_app().await;
    let token = Token::valid(NOW).claim("nbf", json!(NOW + LEEWAY)).encode();

    expect_accepted(&app, &token).await;
}

#[tokio::test]
async fn missing_or_empty_aud_is_rejected() {
    let app = pem_app().await;
    let missing = Token::valid(NOW).without_claim("aud").encode();
    expect_rejected(&app, &missing).await;

    for aud in [json!(""), json!([]), json!([""])] {
        let token = Token::valid(NOW).claim("aud", aud).encode();
        expect_rejected(&app, &token).await;
    }
}

#[tokio::test]
async fn foreign_aud_is_rejected() {
    let app = pem_app().await;

    for aud in [
        json!("other-api"),
        json!(["other-api"]),
        json!("Cloudvelous-api"),
        json!("cloudvelous-api "),
        json!("cloudvelous-api-admin"),
        json!(["cloudvelous-ap", "cloudvelous-apix"]),
    ] {
        let token = Token::valid(NOW).claim("aud", aud).encode();
        expect_rejected(&app, &token).await;
    }
}

#[tokio::test]
async fn aud_array_containing_audience_is_accepted() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .claim("aud", json!(["billing-api", "cloudvelous-api"]))
        .encode();

    expect_accepted(&app, &token).await;
}

#[tokio::test]
async fn iss_differing_in_any_character_is_rejected() {
    let app = pem_app().await;

    for iss in [
        "cloudvelous.co",
        "cloudvelous.comx",
        "xcloudvelous.com",
        "Cloudvelous.com",
        "cloudvelous.com ",
        "cloudvelous,com",
        "",
    ] {
        let token = Token::valid(NOW).claim("iss", json!(iss)).encode();
        expect_rejected(&app, &token).await;
    }
    let missing = Token::valid(NOW).without_claim("iss").encode();
    expect_rejected(&app, &missing).await;
}

#[tokio::test]
async fn missing_or_empty_sub_is_rejected() {
    let app = pem_app().await;
    let missing = Token::valid(NOW).without_claim("sub").encode();
    expect_rejected(&app, &missing).await;

    let empty = Token::valid(NOW).claim("sub", json!("")).encode();
    expect_rejected(&app, &empty).await;
}

#[tokio::test]
async fn crit_header_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .header("crit", json!(["exp"]))
        .header("exp", json!(NOW + 300))
        .encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn pem_key_accepts_token_with_or_without_kid() {
    let app = pem_app().await;
    let with_kid = Token::valid(NOW)
        .header("kid", json!("any-key-id"))
        .encode();
    let without_kid = Token::valid(NOW).encode();

    expect_accepted(&app, &with_kid).await;
    expect_accepted(&app, &without_kid).await;
}

#[tokio::test]
async fn kid_chooses_jwks_key() {
    let app = jwks_app().await;
    let secondary = &keys().secondary;

    let matching = Token::valid(NOW)
        .header("kid", json!("key-2"))
        .signed_by(secondary)
        .encode();
    expect_accepted(&app, &matching).await;

    let mismatched = Token::valid(NOW)
        .header("kid", json!("key-1"))
        .signed_by(secondary)
        .encode();
    let response = post_lead_with(&app, &mismatched).await;
    response.expect_unauthorized();
}

#[tokio::test]
async fn unknown_kid_is_rejected() {
    let app = jwks_app().await;
    let token = Token::valid(NOW).header("kid", json!("key-3")).encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn kid_holding_path_is_rejected() {
    let app = jwks_app().await;

    for kid in ["../../../../etc/passwd", "/dev/null", "key-1/../key-1"] {
        let token = Token::valid(NOW).header("kid", json!(kid)).encode();
        expect_rejected(&app, &token).await;
    }
}

#[tokio::test]
async fn token_without_kid_needs_single_jwks_key() {
    let token = Token::valid(NOW).encode();

    let two_keys = jwks_app().await;
    expect_rejected(&two_keys, &token).await;

    let one_key = app_with_keys(&jwks(&[("key-1", &keys().primary)])).await;
    expect_accepted(&one_key, &token).await;
}

#[tokio::test]
async fn empty_key_setting_rejects_every_token() {
    let app = app_with_keys("").await;
    let token = Token::valid(NOW).encode();

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn malformed_tokens_are_rejected() {
    let app = pem_app().await;
    let valid = Token::valid(NOW);
    let input = valid.signing_input();
    let encoded = valid.encode();

    for token in [
        input.clone(),
        format!("{input}."),
        format!("{encoded}.extra"),
        "@@@.###.$$$".to_string(),
        format!("{input}.!!not-base64!!"),
        "not-a-token".to_string(),
        "..".to_string(),
    ] {
        expect_rejected(&app, &token).await;
    }
}

#[tokio::test]
async fn oversized_token_is_rejected() {
    let app = pem_app().await;
    let token = padded_token(80_000);
    assert!(token.len() >= 100 * 1024, "length {}", token.len());

    expect_rejected(&app, &token).await;
}

#[tokio::test]
async fn token_cap_is_eight_kib() {
    let app = pem_app().await;

    let (largest, too_long) = tokens_around(8 * 1024);

    assert!(largest.len() > 8 * 1024 - 4, "length {}", largest.len());
    expect_accepted(&app, &largest).await;
    assert!(too_long.len() > 8 * 1024, "length {}", too_long.len());
    expect_rejected(&app, &too_long).await;
}

#[tokio::test]
async fn malformed_authorization_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW).encode();

    for value in [
        "Basic dXNlcjpwYXNzd29yZA==".to_string(),
        "Bearer".to_string(),
        "Bearer ".to_string(),
        format!("Token {token}"),
        token.clone(),
    ] {
        let response = app
            .post("/api/leads")
            .header("authorization", &value)
            .json(&minimal_lead())
            .send()
            .await;
        response.expect_unauthorized();
    }
    assert_eq!(stored_lead_count(&app), 0);
}

#[tokio::test]
async fn duplicate_authorization_headers_are_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW).encode();

    let response = app
        .post("/api/leads")
        .bearer(&token)
        .bearer(&token)
        .json(&minimal_lead())
        .send()
        .await;

    response.expect_unauthorized();
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let app = pem_app().await;
    let token = Token::valid(NOW).encode();

    let response = app
        .post("/api/leads")
        .header("authorization", &format!("bearer {token}"))
        .json(&minimal_lead())
        .send()
        .await;

    expect_created(&response);
}

#[tokio::test]
async fn scope_string_is_accepted() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .claim("scope", json!("read:analytics write:leads"))
        .encode();

    expect_accepted(&app, &token).await;
}

#[tokio::test]
async fn admin_role_without_scope_is_accepted() {
    let app = pem_app().await;
    let token = Token::valid(NOW)
        .without_claim("scope")
        .claim("role", json!("admin"))
        .encode();

    expect_accepted(&app, &token).await;
    let keys = app.get("/api/admin/api-keys").bearer(&token).send().await;
    keys.expect_json(StatusCode::OK);
}

#[tokio::test]
async fn valid_token_with_invalid_api_key_is_rejected() {
    let app = pem_app().await;
    let token = Token::valid(NOW).encode();

    let response = app
        .post("/api/leads")
        .bearer(&token)
        .api_key("ak_UnknownKey000000000000000000000")
        .json(&minimal_lead())
        .send()
        .await;

    response.expect_unauthorized();
    response.expect_omits(&token);
}

#[tokio::test]
async fn invalid_token_with_valid_api_key_is_rejected() {
    let app = pem_app().await;
    let expired = Token::valid(NOW)
        .claim("iat", json!(NOW - 3600))
        .claim("exp", json!(NOW - 600))
        .encode();

    let response = app
        .post("/api/leads")
        .bearer(&expired)
        .api_key(crate::support::TEST_API_KEY)
        .json(&minimal_lead())
        .send()
        .await;

    response.expect_unauthorized();
    assert_eq!(stored_lead_count(&app), 0);
}

#[tokio::test]
async fn valid_token_and_api_key_are_accepted() {
    let app = pem_app().await;
    let token = Token::valid(NOW).encode();

    let response = app
        .post("/api/leads")
        .bearer(&token)
        .api_key(crate::support::TEST_API_KEY)
        .json(&minimal_lead())
        .send()
        .await;

    expect_created(&response);
}
