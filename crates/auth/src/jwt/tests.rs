use serde_json::{Value, json};

use super::*;
use crate::scope::Scope;
use crate::test_support::*;

fn verify(token: &str) -> Result<VerifiedToken, AuthFailure> {
    verify_jwt(token, &pem_key_set(), &settings(), NOW)
}

fn claims_with(name: &str, value: Value) -> Value {
    let mut claims = valid_claims();
    claims[name] = value;
    claims
}

fn claims_without(name: &str) -> Value {
    let mut claims = valid_claims();
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn header_with(name: &str, value: Value) -> Value {
    let mut header = rs256_header();
    header[name] = value;
    header
}

fn jwks_key_set(keys: &[Value]) -> KeySet {
    KeySet::parse(&json!({ "keys": keys }).to_string())
        .unwrap()
        .unwrap()
}

#[test]
fn accepts_valid_token() {
    let verified = verify(&mint(&valid_claims())).unwrap();

    assert_eq!(verified.subject, "user_123456");
    assert!(verified.grants.allows(Scope::ReadLeads));
    assert!(verified.grants.allows(Scope::WriteAnalytics));
    assert!(verified.grants.allows(Scope::ReadAnalytics));
    assert!(!verified.grants.allows(Scope::WriteLeads));
    assert!(!verified.grants.allows(Scope::Admin));
}

#[test]
fn pem_key_accepts_token_with_any_kid() {
    let token = mint_with(
        &header_with("kid", json!("key-2025")),
        &valid_claims(),
        primary_key(),
    );

    assert_eq!(verify(&token).unwrap().subject, "user_123456");
}

#[test]
fn pkcs1_pem_key_verifies() {
    let keys = KeySet::parse(&pkcs1_pem(primary_key())).unwrap().unwrap();

    let verified = verify_jwt(&mint(&valid_claims()), &keys, &settings(), NOW).unwrap();
    assert_eq!(verified.subject, "user_123456");
}

#[test]
fn rejects_alg_none_in_any_case() {
    for alg in ["none", "None", "NONE"] {
        let input = signing_input(&header_with("alg", json!(alg)), &valid_claims());
        let unsigned = format!("{input}.");
        let with_signature = format!("{input}.{}", rs256_signature(&input, primary_key()));

        assert_eq!(
            verify(&unsigned).unwrap_err(),
            AuthFailure::UnsupportedAlgorithm,
            "{alg}"
        );
        assert_eq!(
            verify(&with_signature).unwrap_err(),
            AuthFailure::UnsupportedAlgorithm,
            "{alg}"
        );
    }
}

#[test]
fn rejects_missing_or_non_string_alg() {
    let mut header = rs256_header();
    header.as_object_mut().unwrap().remove("alg");
    let missing = mint_with(&header, &valid_claims(), primary_key());
    let as_array = mint_with(
        &header_with("alg", json!(["RS256"])),
        &valid_claims(),
        primary_key(),
    );

    assert_eq!(
        verify(&missing).unwrap_err(),
        AuthFailure::UnsupportedAlgorithm
    );
    assert_eq!(
        verify(&as_array).unwrap_err(),
        AuthFailure::UnsupportedAlgorithm
    );
}

#[test]
fn rejects_rs256_alg_in_other_case() {
    let token = mint_with(
        &header_with("alg", json!("rs256")),
        &valid_claims(),
        primary_key(),
    );

    assert_eq!(
        verify(&token).unwrap_err(),
        AuthFailure::UnsupportedAlgorithm
    );
}

#[test]
fn rejects_hs256_signed_with_public_key_bytes() {
    let pem = spki_pem(primary_key());
    let input = signing_input(&header_with("alg", json!("HS256")), &valid_claims());
    let token = format!("{input}.{}", hs256_signature(&input, pem.as_bytes()));

    assert_eq!(
        verify(&token).unwrap_err(),
        AuthFailure::UnsupportedAlgorithm
    );
}

#[test]
fn rejects_hs256_token_relabelled_as_rs256() {
    let pem = spki_pem(primary_key());
    let input = signing_input(&rs256_header(), &valid_claims());
    let token = format!("{input}.{}", hs256_signature(&input, pem.as_bytes()));

    assert_eq!(verify(&token).unwrap_err(), AuthFailure::InvalidSignature);
}

#[test]
fn rejects_validly_signed_rs512() {
    let input = signing_input(&header_with("alg", json!("RS512")), &valid_claims());
    let token = format!("{input}.{}", rs512_signature(&input, primary_key()));

    assert_eq!(
        verify(&token).unwrap_err(),
        AuthFailure::UnsupportedAlgorithm
    );
}

#[test]
fn rejects_rs512_signature_under_rs256_header() {
    let input = signing_input(&rs256_header(), &valid_claims());
    let token = format!("{input}.{}", rs512_signature(&input, primary_key()));

    assert_eq!(verify(&token).unwrap_err(), AuthFailure::InvalidSignature);
}

#[test]
fn rejects_crit_header() {
    for crit in [json!(["exp"]), json!(["b64"]), json!([]), json!("b64")] {
        let header = header_with("crit", crit.clone());
        let token = mint_with(&header, &valid_claims(), primary_key());
        assert_eq!(
            verify(&token).unwrap_err(),
            AuthFailure::CriticalHeader,
            "{crit}"
        );
    }
}

#[test]
fn rejects_tampered_payload() {
    let token = mint(&valid_claims());
    let segments: Vec<&str> = token.split('.').collect();
    let forged_claims = encode_segment(&claims_with("role", json!("admin")));
    let tampered = format!("{}.{}.{}", segments[0], forged_claims, segments[2]);

    assert_eq!(
        verify(&tampered).unwrap_err(),
        AuthFailure::InvalidSignature
    );
}

#[test]
fn rejects_token_signed_by_other_key() {
    let token = mint_with(&rs256_header(), &valid_claims(), secondary_key());

    assert_eq!(verify(&token).unwrap_err(), AuthFailure::InvalidSignature);
}

#[test]
fn rejects_wrong_segment_count() {
    let token = mint(&valid_claims());
    let segments: Vec<&str> = token.split('.').collect();

    for malformed in [
        String::new(),
        segments[0].to_owned(),
        format!("{}.{}", segments[0], segments[1]),
        format!("{token}."),
        format!("{token}.{}", segments[2]),
        format!(".{token}"),
    ] {
        assert_eq!(
            verify(&malformed).unwrap_err(),
            AuthFailure::MalformedToken,
            "{malformed}"
        );
    }
}

#[test]
fn rejects_non_base64_segments() {
    let token = mint(&valid_claims());
    let segments: Vec<&str> = token.split('.').collect();

    for malformed in [
        "!!!.###.$$$".to_owned(),
        format!("{}=.{}.{}", segments[0], segments[1], segments[2]),
        format!("{}.{}*.{}", segments[0], segments[1], segments[2]),
        format!("{}.{}.{}%", segments[0], segments[1], segments[2]),
        format!("{}.{}.{}", segments[0], segments[1], "a"),
    ] {
        let failure = verify(&malformed).unwrap_err();
        assert!(
            matches!(
                failure,
                AuthFailure::MalformedToken | AuthFailure::InvalidSignature
            ),
            "{malformed}: {failure:?}"
        );
    }
}

#[test]
fn rejects_header_that_is_not_a_json_object() {
    let claims = encode_segment(&valid_claims());
    for header in ["not json", "[]", "\"RS256\""] {
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header);
        let token = format!("{encoded}.{claims}.c2lnbmF0dXJl");
        assert_eq!(
            verify(&token).unwrap_err(),
            AuthFailure::MalformedToken,
            "{header}"
        );
    }
}

#[test]
fn rejects_payload_that_is_not_a_json_object() {
    for claims in [json!(["user_123456"]), json!("user_123456"), json!(42)] {
        let token = mint(&claims);
        assert_eq!(
            verify(&token).unwrap_err(),
            AuthFailure::MalformedClaims,
            "{claims}"
        );
    }
}

#[test]
fn rejects_token_over_8_kib_before_parsing() {
    let huge = "a".repeat(100 * 1024);
    let just_over = "a".repeat(MAX_TOKEN_BYTES + 1);

    assert_eq!(verify(&huge).unwrap_err(), AuthFailure::TokenTooLong);
    assert_eq!(verify(&just_over).unwrap_err(), AuthFailure::TokenTooLong);
}

#[test]
fn accepts_valid_token_of_exactly_8_kib() {
    // Base64 lengths skip some values, so vary both the header and the
    // payload until the whole token is exactly the maximum. A 2048-bit
    // signature is 256 bytes, 342 base64url characters.
    let input_length = MAX_TOKEN_BYTES - 1 - 342;
    let (header, claims) = (1..=4)
        .flat_map(|kid_length| (5_500..5_900).map(move |padding| (kid_length, padding)))
        .map(|(kid_length, padding)| {
            let header = header_with("kid", json!("k".repeat(kid_length)));
            let claims = claims_with("padding", json!("x".repeat(padding)));
            (header, claims)
        })
        .find(|(header, claims)| signing_input(header, claims).len() == input_length)
        .unwrap();
    let token = mint_with(&header, &claims, primary_key());
    assert_eq!(token.len(), MAX_TOKEN_BYTES);

    assert_eq!(verify(&token).unwrap().subject, "user_123456");

    let longer = mint(&claims_with("padding", json!("x".repeat(6_000))));
    assert!(longer.len() > MAX_TOKEN_BYTES);
    assert_eq!(verify(&longer).unwrap_err(), AuthFailure::TokenTooLong);
}

#[test]
fn rejects_missing_exp() {
    let token = mint(&claims_without("exp"));

    assert_eq!(verify(&token).unwrap_err(), AuthFailure::InvalidExpiry);
}

#[test]
fn rejects_exp_of_other_types() {
    for exp in [
        json!((NOW + 3600).to_string()),
        json!(null),
        json!(true),
        json!([NOW + 3600]),
    ] {
        let token = mint(&claims_with("exp", exp.clone()));
        assert_eq!(
            verify(&token).unwrap_err(),
            AuthFailure::InvalidExpiry,
            "{exp}"
        );
    }
}

#[test]
fn rejects_nbf_of_other_types() {
    for nbf in [json!((NOW - 10).to_string()), json!(null), json!({})] {
        let token = mint(&claims_with("nbf", nbf.clone()));
        assert_eq!(
            verify(&token).unwrap_err(),
            AuthFailure::InvalidNotBefore,
            "{nbf}"
        );
    }
}

#[test]
fn exp_is_accepted_up_to_the_leeway() {
    let leeway = LEEWAY_SECONDS as i64;
    let at_edge = mint(&claims_with("exp", json!(NOW - leeway)));
    let beyond = mint(&claims_with("exp", json!(NOW - leeway - 1)));

    assert!(verify(&at_edge).is_ok());
    assert_eq!(verify(&beyond).unwrap_err(), AuthFailure::Expired);
}

#[test]
fn nbf_is_accepted_from_the_leeway() {
    let leeway = LEEWAY_SECONDS as i64;
    let at_edge = mint(&claims_with("nbf", json!(NOW + leeway)));
    let beyond = mint(&claims_with("nbf", json!(NOW + leeway + 1)));

    assert!(verify(&at_edge).is_ok());
    assert_eq!(verify(&beyond).unwrap_err(), AuthFailure::NotYetValid);
}

#[test]
fn fractional_times_compare_exactly() {
    let leeway = LEEWAY_SECONDS as f64;
    let now = NOW as f64;

    let expired = mint(&claims_with("exp", json!(now - leeway - 0.5)));
    let not_expired = mint(&claims_with("exp", json!(now - leeway + 0.5)));
    let not_yet_valid = mint(&claims_with("nbf", json!(now + leeway + 0.5)));
    let valid = mint(&claims_with("nbf", json!(now + leeway - 0.5)));

    assert_eq!(verify(&expired).unwrap_err(), AuthFailure::Expired);
    assert!(verify(&not_expired).is_ok());
    assert_eq!(
        verify(&not_yet_valid).unwrap_err(),
        AuthFailure::NotYetValid
    );
    assert!(verify(&valid).is_ok());
}

#[test]
fn extreme_times_do_not_overflow() {
    let far_future = mint(&claims_with("exp", json!(u64::MAX)));
    let far_past = mint(&claims_with("exp", json!(i64::MIN)));
    let huge_float = mint(&claims_with("exp", json!(1e300)));
    let huge_nbf = mint(&claims_with("nbf", json!(1e300)));

    assert!(verify(&far_future).is_ok());
    assert_eq!(verify(&far_past).unwrap_err(), AuthFailure::Expired);
    assert!(verify(&huge_float).is_ok());
    assert_eq!(verify(&huge_nbf).unwrap_err(), AuthFailure::NotYetValid);
    assert!(
        verify_jwt(
            &mint(&valid_claims()),
            &pem_key_set(),
            &settings(),
            i64::MIN
        )
        .is_ok()
    );
    assert_eq!(
        verify_jwt(
            &mint(&valid_claims()),
            &pem_key_set(),
            &settings(),
            i64::MAX
        )
        .unwrap_err(),
        AuthFailure::Expired
    );
}

#[test]
fn rejects_missing_or_empty_aud() {
    let missing = mint(&claims_without("aud"));

    assert_eq!(verify(&missing).unwrap_err(), AuthFailure::InvalidAudience);
    for aud in [json!(""), json!([]), json!(null), json!([""])] {
        let token = mint(&claims_with("aud", aud.clone()));
        assert_eq!(
            verify(&token).unwrap_err(),
            AuthFailure::InvalidAudience,
            "{aud}"
        );
    }
}

#[test]
fn rejects_foreign_aud() {
    for aud in [
        json!("other-api"),
        json!(["other-api"]),
        json!("cloudvelous-api "),
        json!("Cloudvelous-api"),
        json!("cloudvelous-api2"),
        json!([["cloudvelous-api"]]),
        json!({"aud": "cloudvelous-api"}),
        json!(["cloudvelous-api", 7]),
    ] {
        let token = mint(&claims_with("aud", aud.clone()));
        assert_eq!(
            verify(&token).unwrap_err(),
            AuthFailure::InvalidAudience,
            "{aud}"
        );
    }
}

#[test]
fn accepts_aud_array_containing_ours() {
    let token = mint(&claims_with("aud", json!(["other-api", AUDIENCE])));

    assert!(verify(&token).is_ok());
}

#[test]
fn rejects_iss_differing_in_any_character() {
    for iss in [
        json!("xcloudvelous.com"),
        json!("cloudvelous.comx"),
        json!("cloudvelous.co"),
        json!("loudvelous.com"),
        json!("Cloudvelous.com"),
        json!("CLOUDVELOUS.COM"),
        json!(" cloudvelous.com"),
        json!("cloudvelous.com/"),
        json!(""),
        json!(["cloudvelous.com"]),
        json!(null),
    ] {
        let token = mint(&claims_with("iss", iss.clone()));
        assert_eq!(
            verify(&token).unwrap_err(),
            AuthFailure::InvalidIssuer,
            "{iss}"
        );
    }
}

#[test]
fn rejects_missing_iss() {
    let token = mint(&claims_without("iss"));

    assert_eq!(verify(&token).unwrap_err(), AuthFailure::InvalidIssuer);
}

#[test]
fn rejects_missing_or_empty_sub() {
    let missing = mint(&claims_without("sub"));

    assert_eq!(verify(&missing).unwrap_err(), AuthFailure::InvalidSubject);
    for sub in [
        json!(""),
        json!(123),
        json!(null),
        json!(["user"]),
        json!("user\n123"),
        json!("user\u{7f}"),
    ] {
        let token = mint(&claims_with("sub", sub.clone()));
        assert_eq!(
            verify(&token).unwrap_err(),
            AuthFailure::InvalidSubject,
            "{sub}"
        );
    }
}

#[test]
fn accepts_scope_as_string() {
    let token = mint(&claims_with("scope", json!("write:leads read:analytics")));
    let grants = verify(&token).unwrap().grants;

    assert!(grants.allows(Scope::WriteLeads));
    assert!(grants.allows(Scope::ReadLeads));
    assert!(grants.allows(Scope::ReadAnalytics));
    assert!(!grants.allows(Scope::WriteAnalytics));
    assert!(!grants.allows(Scope::Admin));
}

#[test]
fn admin_role_without_scopes_allows_everything() {
    let mut claims = claims_without("scope");
    claims["role"] = json!("admin");
    let grants = verify(&mint(&claims)).unwrap().grants;

    for scope in Scope::ALL {
        assert!(grants.allows(scope), "{scope}");
    }
}

#[test]
fn near_miss_scopes_grant_nothing() {
    let token = mint(&claims_with("scope", json!(["read:leadsx", "READ:LEADS"])));
    let grants = verify(&token).unwrap().grants;

    for scope in Scope::ALL {
        assert!(!grants.allows(scope), "{scope}");
    }
}

#[test]
fn jwks_chooses_key_by_kid() {
    let keys = jwks_key_set(&[jwk(primary_key(), "first"), jwk(secondary_key(), "second")]);
    let first = mint_with(
        &header_with("kid", json!("first")),
        &valid_claims(),
        primary_key(),
    );
    let second = mint_with(
        &header_with("kid", json!("second")),
        &valid_claims(),
        secondary_key(),
    );
    let mislabelled = mint_with(
        &header_with("kid", json!("first")),
        &valid_claims(),
        secondary_key(),
    );

    assert!(verify_jwt(&first, &keys, &settings(), NOW).is_ok());
    assert!(verify_jwt(&second, &keys, &settings(), NOW).is_ok());
    assert_eq!(
        verify_jwt(&mislabelled, &keys, &settings(), NOW).unwrap_err(),
        AuthFailure::InvalidSignature
    );
}

#[test]
fn jwks_with_several_keys_rejects_token_without_kid() {
    let keys = jwks_key_set(&[jwk(primary_key(), "first"), jwk(secondary_key(), "second")]);
    let token = mint(&valid_claims());

    assert_eq!(
        verify_jwt(&token, &keys, &settings(), NOW).unwrap_err(),
        AuthFailure::MissingKeyId
    );
}

#[test]
fn jwks_with_one_key_accepts_token_without_kid() {
    let keys = jwks_key_set(&[jwk(primary_key(), "only")]);
    let token = mint(&valid_claims());

    assert!(verify_jwt(&token, &keys, &settings(), NOW).is_ok());
}

#[test]
fn rejects_unknown_kid() {
    let keys = jwks_key_set(&[jwk(primary_key(), "first"), jwk(secondary_key(), "second")]);

    for kid in [
        "third",
        "First",
        "first ",
        "",
        "../../etc/passwd",
        "/dev/null",
        "first\u{0}",
    ] {
        let token = mint_with(
            &header_with("kid", json!(kid)),
            &valid_claims(),
            primary_key(),
        );
        assert_eq!(
            verify_jwt(&token, &keys, &settings(), NOW).unwrap_err(),
            AuthFailure::UnknownKeyId,
            "{kid:?}"
        );
    }
}

#[test]
fn rejects_non_string_kid() {
    let keys = jwks_key_set(&[jwk(primary_key(), "1")]);
    let token = mint_with(
        &header_with("kid", json!(1)),
        &valid_claims(),
        primary_key(),
    );

    assert_eq!(
        verify_jwt(&token, &keys, &settings(), NOW).unwrap_err(),
        AuthFailure::MalformedToken
    );
}

#[test]
fn failure_text_never_contains_token() {
    let token = mint(&claims_with("iss", json!("evil.example")));
    let failure = verify(&token).unwrap_err();

    assert!(!failure.to_string().contains(&token));
    assert!(!format!("{failure:?}").contains("evil"));
}
