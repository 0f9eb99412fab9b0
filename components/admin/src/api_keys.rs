//! Handlers for `/api/admin/api-keys`: create, list and revoke API keys.

use bytes::Bytes;
use cloudvelous_auth::ApiKey;
use cloudvelous_domain::{Timestamp, random_alphanumeric};
use cloudvelous_http_kit::{ApiError, MAX_JSON_BODY, RequestId, json_response, read_json_body};
use cloudvelous_storage::{Database, NewApiKey, StorageError, StoredApiKey, storage_failure};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Serialize;
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use crate::COMPONENT;
use crate::new_api_key::NewApiKeyRequest;

/// Prefix of API-key identifiers.
const KEY_ID_PREFIX: &str = "key_";
/// Number of random letters and digits after [`KEY_ID_PREFIX`].
const KEY_ID_RANDOM_CHARS: usize = 16;

/// The `201` body of a created key: the only response that shows the key.
#[derive(Serialize)]
struct CreatedApiKey<'a> {
    id: &'a str,
    name: &'a str,
    scopes: &'a [String],
    created_at: String,
    key: &'a str,
}

/// One key in the list, without the key or its hash.
#[derive(Serialize)]
struct ApiKeySummary<'a> {
    id: &'a str,
    name: &'a str,
    scopes: &'a [String],
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<String>,
}

impl<'a> From<&'a StoredApiKey> for ApiKeySummary<'a> {
    fn from(key: &'a StoredApiKey) -> Self {
        ApiKeySummary {
            id: &key.id,
            name: &key.name,
            scopes: &key.scopes,
            created_at: key.created_at.to_rfc3339(),
            last_used_at: key.last_used_at.map(Timestamp::to_rfc3339),
            revoked_at: key.revoked_at.map(Timestamp::to_rfc3339),
        }
    }
}

#[derive(Serialize)]
struct ApiKeyList<'a> {
    data: Vec<ApiKeySummary<'a>>,
}

/// Generates a key with the requested name and scopes, stores its hash and
/// returns `201` with the key and its `Location`.
pub(crate) async fn create_api_key(
    headers: &HeaderMap,
    body: IncomingRequestBody,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let json = read_json_body(headers, body, MAX_JSON_BODY).await?;
    let request = NewApiKeyRequest::from_json(&json).map_err(ApiError::Validation)?;

    // `getrandom::Error` implements `std::error::Error` only with its `std`
    // feature, so the cause is kept as text.
    let random_failure =
        |error: getrandom::Error| anyhow::anyhow!("generating an API key failed: {error}");
    let key = ApiKey::generate().map_err(random_failure)?;
    let id_suffix = random_alphanumeric(KEY_ID_RANDOM_CHARS).map_err(random_failure)?;

    let new_key = NewApiKey {
        id: format!("{KEY_ID_PREFIX}{id_suffix}"),
        name: request.name,
        key_hash: key.hash(),
        scopes: request
            .scopes
            .iter()
            .map(|scope| scope.as_str().to_owned())
            .collect(),
        created_at: Timestamp::now(),
    };
    let stored = database
        .insert_api_key(new_key)
        .await
        .map_err(insert_failure(request_id))?;

    let created = CreatedApiKey {
        id: &stored.id,
        name: &stored.name,
        scopes: &stored.scopes,
        created_at: stored.created_at.to_rfc3339(),
        key: key.expose(),
    };
    let mut response = json_response(StatusCode::CREATED, &created, request_id);
    if response.status() == StatusCode::CREATED {
        response
            .headers_mut()
            .insert(header::LOCATION, location(&stored.id)?);
    }
    Ok(response)
}

/// Returns `200` with every key, revoked ones included, oldest first.
pub(crate) async fn list_api_keys(
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let keys = database
        .list_api_keys()
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    let list = ApiKeyList {
        data: keys.iter().map(ApiKeySummary::from).collect(),
    };
    Ok(json_response(StatusCode::OK, &list, request_id))
}

/// Revokes the key with `id` and returns `204`. Revoking a revoked key
/// succeeds again, and an unknown id is `404`.
pub(crate) async fn revoke_api_key(
    id: &str,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let existed = database
        .revoke_api_key(id, Timestamp::now())
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    if !existed {
        return Err(ApiError::NotFound(format!("API key '{id}' not found")));
    }

    // A `204` carries neither a body nor `Content-Length` (RFC 9110,
    // section 8.6).
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header("x-request-id", request_id.as_str())
        .body(Bytes::new())
        .map_err(|error| ApiError::Internal(anyhow::Error::new(error)))
}

fn location(id: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::try_from(format!("/api/admin/api-keys/{id}")).map_err(|error| {
        ApiError::Internal(anyhow::Error::new(error).context("building the Location header failed"))
    })
}

/// Converts a failed insert into its API error. A clash on the id or the
/// hash of freshly generated random values points at a broken random
/// generator, so it is an internal error rather than a `409`.
fn insert_failure(request_id: &RequestId) -> impl FnOnce(StorageError) -> ApiError + '_ {
    move |error| match error {
        StorageError::Conflict(_) => ApiError::Internal(
            anyhow::Error::new(error).context("storing a generated API key failed"),
        ),
        other => storage_failure(COMPONENT, request_id)(other),
    }
}
