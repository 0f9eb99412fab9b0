//! Handlers for `/api/admin/webhooks`: create, list and delete webhook
//! subscriptions, and list a subscription's deliveries with every attempt.

use bytes::Bytes;
use cloudvelous_contract::EventType;
use cloudvelous_domain::{Timestamp, random_alphanumeric};
use cloudvelous_events::signature::generate_secret;
use cloudvelous_http_kit::{ApiError, MAX_JSON_BODY, RequestId, json_response, read_json_body};
use cloudvelous_storage::{
    Database, DeliveryAttempt, DeliverySummary, NewSubscription, StorageError, StoredSubscription,
    storage_failure,
};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Serialize;
use spin_sdk::variables;
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use crate::COMPONENT;
use crate::webhooks_request::NewWebhookRequest;

/// Prefix of subscription ids.
const SUBSCRIPTION_ID_PREFIX: &str = "whk_";

/// Random letters and digits after [`SUBSCRIPTION_ID_PREFIX`].
const SUBSCRIPTION_ID_RANDOM_CHARS: usize = 24;

/// Spin variable that allows targets on loopback and private addresses.
const ALLOW_PRIVATE_VARIABLE: &str = "webhook_allow_private";

/// The `201` body of a created subscription: the only response that shows
/// the secret.
#[derive(Serialize)]
struct CreatedWebhook<'a> {
    id: &'a str,
    url: &'a str,
    event_types: Vec<&'static str>,
    secret: &'a str,
    created_at: String,
}

/// One subscription in the list, without its secret.
#[derive(Serialize)]
struct WebhookSummary<'a> {
    id: &'a str,
    url: &'a str,
    event_types: Vec<&'static str>,
    created_at: String,
}

impl<'a> From<&'a StoredSubscription> for WebhookSummary<'a> {
    fn from(subscription: &'a StoredSubscription) -> Self {
        WebhookSummary {
            id: &subscription.id,
            url: &subscription.url,
            event_types: event_type_names(&subscription.event_types),
            created_at: subscription.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize)]
struct WebhookList<'a> {
    data: Vec<WebhookSummary<'a>>,
}

/// One delivery in the list of a subscription's deliveries.
#[derive(Serialize)]
struct DeliveryJson<'a> {
    id: &'a str,
    event_id: &'a str,
    event_type: &'static str,
    state: &'static str,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed_at: Option<String>,
    attempts: Vec<AttemptJson<'a>>,
}

/// One recorded attempt: its time, duration, and the response's status code
/// or what failed.
#[derive(Serialize)]
struct AttemptJson<'a> {
    attempt: u32,
    attempted_at: String,
    duration_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl<'a> From<&'a DeliverySummary> for DeliveryJson<'a> {
    fn from(delivery: &'a DeliverySummary) -> Self {
        DeliveryJson {
            id: &delivery.id,
            event_id: &delivery.event_id,
            event_type: delivery.event_type.as_str(),
            state: delivery.state.as_str(),
            created_at: rfc3339_of_ms(delivery.created_at_ms),
            next_attempt_at: delivery.next_attempt_at_ms.map(rfc3339_of_ms),
            completed_at: delivery.completed_at_ms.map(rfc3339_of_ms),
            attempts: delivery.attempts.iter().map(AttemptJson::from).collect(),
        }
    }
}

impl<'a> From<&'a DeliveryAttempt> for AttemptJson<'a> {
    fn from(attempt: &'a DeliveryAttempt) -> Self {
        AttemptJson {
            attempt: attempt.attempt,
            attempted_at: rfc3339_of_ms(attempt.attempted_at_ms),
            duration_ms: attempt.duration_ms,
            status_code: attempt.status_code,
            error: attempt.error.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct DeliveryList<'a> {
    data: Vec<DeliveryJson<'a>>,
}

/// Validates the target and event types, generates the subscription's id
/// and secret, stores it and returns `201` with the secret and `Location`.
pub(crate) async fn create_webhook(
    headers: &HeaderMap,
    body: IncomingRequestBody,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let allow_private = allow_private_targets().await?;
    let json = read_json_body(headers, body, MAX_JSON_BODY).await?;
    let request =
        NewWebhookRequest::from_json(&json, allow_private).map_err(ApiError::Validation)?;

    // `getrandom::Error` implements `std::error::Error` only with its `std`
    // feature, so the cause is kept as text.
    let random_failure = |error: getrandom::Error| {
        anyhow::anyhow!("generating a webhook subscription's id or secret failed: {error}")
    };
    let id_suffix = random_alphanumeric(SUBSCRIPTION_ID_RANDOM_CHARS).map_err(random_failure)?;
    let secret = generate_secret().map_err(random_failure)?;
    let subscription = NewSubscription {
        id: format!("{SUBSCRIPTION_ID_PREFIX}{id_suffix}"),
        url: request.url,
        event_types: request.event_types,
        secret,
        created_at: Timestamp::now(),
    };
    let stored = database
        .insert_subscription(&subscription)
        .await
        .map_err(insert_failure(request_id))?;

    let created = CreatedWebhook {
        id: &stored.id,
        url: &stored.url,
        event_types: event_type_names(&stored.event_types),
        secret: &subscription.secret,
        created_at: stored.created_at.to_rfc3339(),
    };
    let mut response = json_response(StatusCode::CREATED, &created, request_id);
    if response.status() == StatusCode::CREATED {
        response
            .headers_mut()
            .insert(header::LOCATION, location(&stored.id)?);
    }
    Ok(response)
}

/// Returns `200` with every subscription, oldest first, without secrets.
pub(crate) async fn list_webhooks(
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let subscriptions = database
        .list_subscriptions()
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    let list = WebhookList {
        data: subscriptions.iter().map(WebhookSummary::from).collect(),
    };
    Ok(json_response(StatusCode::OK, &list, request_id))
}

/// Deletes the subscription `id` with its deliveries and returns `204`, or
/// `404` for an unknown id. Deliveries in flight may still reach the
/// target once.
pub(crate) async fn delete_webhook(
    id: &str,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let existed = database
        .delete_subscription(id)
        .await
        .map_err(storage_failure(COMPONENT, request_id))?;
    if !existed {
        return Err(webhook_not_found(id));
    }

    // A `204` carries neither a body nor `Content-Length` (RFC 9110,
    // section 8.6).
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header("x-request-id", request_id.as_str())
        .body(Bytes::new())
        .map_err(|error| ApiError::Internal(anyhow::Error::new(error)))
}

/// Returns `200` with the subscription's 100 newest deliveries, newest
/// first, each with every recorded attempt, or `404` for an unknown id.
pub(crate) async fn list_deliveries(
    id: &str,
    database: &Database,
    request_id: &RequestId,
) -> Result<Response<Bytes>, ApiError> {
    let failure = || storage_failure(COMPONENT, request_id);
    if database
        .find_subscription(id)
        .await
        .map_err(failure())?
        .is_none()
    {
        return Err(webhook_not_found(id));
    }
    let deliveries = database.list_deliveries(id).await.map_err(failure())?;
    let list = DeliveryList {
        data: deliveries.iter().map(DeliveryJson::from).collect(),
    };
    Ok(json_response(StatusCode::OK, &list, request_id))
}

/// Reads `webhook_allow_private`: `true` or `false` in any letter case,
/// `false` when the component is not granted the variable.
async fn allow_private_targets() -> Result<bool, ApiError> {
    let value = match variables::get(ALLOW_PRIVATE_VARIABLE).await {
        Ok(value) => value,
        Err(variables::Error::Undefined(_)) => return Ok(false),
        Err(error) => {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "reading the {ALLOW_PRIVATE_VARIABLE} variable failed: {error}"
            )));
        }
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        other => Err(ApiError::Internal(anyhow::anyhow!(
            "the {ALLOW_PRIVATE_VARIABLE} variable is {other:?}; set it to true or false"
        ))),
    }
}

fn event_type_names(event_types: &[EventType]) -> Vec<&'static str> {
    event_types.iter().map(|kind| kind.as_str()).collect()
}

fn rfc3339_of_ms(unix_ms: i64) -> String {
    Timestamp::from_unix_seconds(unix_ms.div_euclid(1_000)).to_rfc3339()
}

fn webhook_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Webhook subscription '{id}' not found"))
}

fn location(id: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::try_from(format!("/api/admin/webhooks/{id}")).map_err(|error| {
        ApiError::Internal(anyhow::Error::new(error).context("building the Location header failed"))
    })
}

/// Converts a failed insert into its API error. A clash on a freshly
/// generated random id points at a broken random generator, so it is an
/// internal error rather than a `409`.
fn insert_failure(request_id: &RequestId) -> impl FnOnce(StorageError) -> ApiError + '_ {
    move |error| match error {
        StorageError::Conflict(_) => ApiError::Internal(
            anyhow::Error::new(error).context("storing a generated webhook subscription failed"),
        ),
        other => storage_failure(COMPONENT, request_id)(other),
    }
}
