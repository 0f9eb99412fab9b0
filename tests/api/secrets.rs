//! Credentials never appear in responses or in the components' log lines. A
//! `test-host` process serves the workspace app here, because its stderr,
//! where the components write their log lines, can be read whole.

use crate::fixtures::minimal_lead;
use crate::support::{HostProcess, TEST_API_KEY, TestRequest, TestResponse, test_variables};
use crate::tokens::{Signature, Token, keys, public_key_pem};
use http::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use spin_test_host::workspace_root;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Sends `request` and asserts that the response contains none of `secrets`.
async fn send_checked(request: TestRequest, secrets: &[String]) -> TestResponse {
    let response = request.send().await;
    for secret in secrets {
        response.expect_omits(secret);
    }
    response
}

fn post_lead(addr: SocketAddr) -> TestRequest {
    TestRequest::new(addr, Method::POST, "/api/leads").json(&minimal_lead())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test]
async fn credentials_stay_out_of_logs_and_bodies() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let pem = public_key_pem(&keys().primary);
    let variables = test_variables();
    let environment = [
        ("SPIN_VARIABLE_BOOTSTRAP_API_KEY", TEST_API_KEY),
        ("SPIN_VARIABLE_JWT_PUBLIC_KEYS", pem.as_str()),
        (
            "SPIN_VARIABLE_REDIS_KEY_PREFIX",
            variables["redis_key_prefix"].as_str(),
        ),
        ("SPIN_VARIABLE_RATE_LIMIT_LEADS", "1000000"),
    ];
    let state = tempfile::tempdir().expect("temporary folder");
    let host = HostProcess::start(
        &workspace_root().join("spin.toml"),
        state,
        &environment,
        &[],
    );
    let addr = host.addr;

    let valid = Token::valid(now).encode();
    let foreign = Token::valid(now).signed_by(&keys().foreign).encode();
    let key_confusion = Token::valid(now)
        .header("alg", json!("HS256"))
        .signature(Signature::Hs256(pem.clone().into_bytes()))
        .encode();
    let expired = Token::valid(now).claim("exp", json!(now - 3600)).encode();
    let unknown_key = "ak_NeverIssuedKey0000000000000000".to_string();
    let wrong_prefix = "sk_WrongPrefixKey0000000000000000".to_string();
    let mut secrets = vec![
        TEST_API_KEY.to_string(),
        hex(&Sha256::digest(TEST_API_KEY)),
        valid.clone(),
        foreign.clone(),
        key_confusion.clone(),
        expired.clone(),
        unknown_key.clone(),
        wrong_prefix.clone(),
    ];
    for token in [&valid, &foreign, &key_confusion, &expired] {
        let signature = token.rsplit('.').next().unwrap_or_default();
        secrets.push(signature.to_string());
    }

    let created = TestRequest::new(addr, Method::POST, "/api/admin/api-keys")
        .json(&json!({"name": "logged?", "scopes": ["write:leads"]}))
        .send()
        .await;
    let created_body = created.expect_json(StatusCode::CREATED);
    let new_key = created_body["key"]
        .as_str()
        .expect("the new key")
        .to_string();
    let new_id = created_body["id"].as_str().expect("the new id").to_string();
    let secrets_without_new_key = secrets.clone();
    secrets.push(new_key.clone());
    secrets.push(new_key[3..].to_string());
    secrets.push(hex(&Sha256::digest(&new_key)));
    // The create response shows the key; no other response may.
    for secret in &secrets_without_new_key {
        created.expect_omits(secret);
    }

    let statuses = [
        (post_lead(addr).api_key(&new_key), StatusCode::CREATED),
        (post_lead(addr).bearer(&valid), StatusCode::CREATED),
        (post_lead(addr).bearer(&foreign), StatusCode::UNAUTHORIZED),
        (
            post_lead(addr).bearer(&key_confusion),
            StatusCode::UNAUTHORIZED,
        ),
        (post_lead(addr).bearer(&expired), StatusCode::UNAUTHORIZED),
        (
            post_lead(addr).api_key(&unknown_key),
            StatusCode::UNAUTHORIZED,
        ),
        (
            post_lead(addr).api_key(&wrong_prefix),
            StatusCode::UNAUTHORIZED,
        ),
        (
            post_lead(addr).bearer(&valid).api_key(&unknown_key),
            StatusCode::UNAUTHORIZED,
        ),
        (
            TestRequest::new(addr, Method::GET, "/api/admin/api-keys"),
            StatusCode::OK,
        ),
        (
            TestRequest::new(
                addr,
                Method::DELETE,
                &format!("/api/admin/api-keys/{new_id}"),
            ),
            StatusCode::NO_CONTENT,
        ),
        (post_lead(addr).api_key(&new_key), StatusCode::UNAUTHORIZED),
    ];
    let sent = statuses.len() + 1;
    let mut unauthorized = 0;
    for (request, status) in statuses {
        let response = send_checked(request, &secrets).await;
        assert_eq!(response.status, status, "{}", response.text());
        unauthorized += usize::from(status == StatusCode::UNAUTHORIZED);
    }

    let lines = host.stop();
    let request_lines = lines
        .iter()
        .filter(|line| line.contains("\"request_id\""))
        .count();
    assert!(
        request_lines >= sent,
        "{request_lines} request log lines for {sent} requests:\n{}",
        lines.join("\n")
    );
    // The reason of each rejection goes to a log line of its own, since
    // the response does not give it.
    let failure_lines = lines
        .iter()
        .filter(|line| line.contains("\"event\":\"authentication_failed\""))
        .count();
    assert_eq!(
        failure_lines,
        unauthorized,
        "authentication failure lines:\n{}",
        lines.join("\n")
    );
    for line in &lines {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "a log line contains a credential: {line}"
            );
        }
    }
}
