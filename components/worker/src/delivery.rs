//! Sending due webhook deliveries and recording every attempt.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cloudvelous_domain::random_alphanumeric;
use cloudvelous_events::signature::{
    ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, secret_key, sign,
};
use cloudvelous_storage::{AttemptRecord, ClaimedDelivery, Database, DeliveryState, StorageError};
use http::{Method, Request, header};
use spin_sdk::http::FullBody;

use crate::log;
use crate::settings::WorkerSettings;

/// How long a target has to respond, from sending the request to receiving
/// its status line.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Most deliveries sent at the same time.
const BATCH: u32 = 20;

/// How long a claim keeps its deliveries from other workers: the response
/// timeout with room to record the outcome. A worker that stops mid-batch delays those
/// deliveries by at most this long.
const CLAIM_LEASE_MS: i64 = 30_000;

/// Time after which a message's handler claims no new batch, so that Spin,
/// which hands the worker one message at a time, gets to the next message.
const HANDLER_BUDGET: Duration = Duration::from_secs(20);

/// `User-Agent` of webhook requests.
const USER_AGENT: &str = concat!("Cloudvelous-Webhooks/", env!("CARGO_PKG_VERSION"));

/// Claims due deliveries in batches, sends each batch concurrently and
/// records the attempts, until no delivery is due or the handler's time
/// budget is spent.
pub(crate) async fn deliver_due(
    database: &Database,
    settings: &WorkerSettings,
) -> Result<(), StorageError> {
    let started = Instant::now();
    loop {
        let token = claim_token()?;
        let batch = database
            .claim_deliveries(&token, now_ms(), CLAIM_LEASE_MS, BATCH)
            .await?;
        if batch.is_empty() {
            return Ok(());
        }
        let attempts = batch.iter().map(|delivery| attempt(delivery, settings));
        let records = futures::future::join_all(attempts).await;
        database.record_attempts(&token, &records).await?;

        if batch.len() < BATCH as usize || started.elapsed() >= HANDLER_BUDGET {
            return Ok(());
        }
    }
}

/// Sends one delivery and returns the record of the attempt, with the
/// delivery's next state.
async fn attempt(delivery: &ClaimedDelivery, settings: &WorkerSettings) -> AttemptRecord {
    let number = delivery.attempts + 1;
    let attempted_at_ms = now_ms();
    let started = Instant::now();
    let outcome = send(delivery, attempted_at_ms.div_euclid(1_000)).await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);

    let (status_code, error) = match outcome {
        Ok(status) if (200..300).contains(&status) => (Some(status), None),
        Ok(status) => (
            Some(status),
            Some(format!("the target answered with status {status}")),
        ),
        Err(error) => (None, Some(error)),
    };
    let (state, next_attempt_at_ms) = if error.is_none() {
        (DeliveryState::Succeeded, None)
    } else if settings.retry.allows_retry(number) {
        let delay = settings.retry.delay_after(number, random_fraction());
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        let next = attempted_at_ms
            .saturating_add(duration_ms)
            .saturating_add(delay_ms);
        (DeliveryState::Pending, Some(next))
    } else {
        (DeliveryState::Failed, None)
    };

    log_attempt(delivery, number, status_code, error.as_deref(), state);
    AttemptRecord {
        delivery_id: delivery.id.clone(),
        attempt: number,
        attempted_at_ms,
        duration_ms,
        status_code,
        error,
        state,
        next_attempt_at_ms,
    }
}

/// Sends the signed request and returns the response's status code, or what
/// failed. Redirects are not followed, so a `3xx` fails like any other
/// status outside `2xx`.
async fn send(delivery: &ClaimedDelivery, timestamp: i64) -> Result<u16, String> {
    let key = secret_key(&delivery.secret).map_err(|error| error.to_string())?;
    let body = Bytes::from(delivery.payload.clone());
    let signature = sign(&key, &delivery.event_id, timestamp, &body);
    let request = Request::builder()
        .method(Method::POST)
        .uri(&delivery.url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, USER_AGENT)
        .header(ID_HEADER, &delivery.event_id)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature)
        .body(FullBody::new(body))
        .map_err(|error| format!("building the request failed: {error}"))?;

    match with_timeout(spin_sdk::http::send(request), RESPONSE_TIMEOUT).await {
        Some(Ok(response)) => Ok(response.status().as_u16()),
        Some(Err(error)) => Err(format!("sending the request failed: {error}")),
        None => Err(format!(
            "no response within {} s",
            RESPONSE_TIMEOUT.as_secs()
        )),
    }
}

fn log_attempt(
    delivery: &ClaimedDelivery,
    number: u32,
    status_code: Option<u16>,
    error: Option<&str>,
    state: DeliveryState,
) {
    let mut fields = vec![
        ("delivery_id", delivery.id.clone()),
        ("subscription_id", delivery.subscription_id.clone()),
        ("event_id", delivery.event_id.clone()),
        ("attempt", number.to_string()),
    ];
    if let Some(code) = status_code {
        fields.push(("status_code", code.to_string()));
    }
    if let Some(error) = error {
        fields.push(("error", error.to_owned()));
    }
    match state {
        DeliveryState::Succeeded => log::info("delivered a webhook", &fields),
        DeliveryState::Pending => {
            log::warn("a webhook attempt failed; it will be retried", &fields)
        }
        DeliveryState::Failed => log::error(
            "a webhook attempt failed and no attempts are left; the delivery failed",
            &fields,
        ),
    }
}

fn claim_token() -> Result<String, StorageError> {
    // `getrandom::Error` implements `std::error::Error` only with its `std`
    // feature, so the cause is kept as text.
    random_alphanumeric(20)
        .map(|suffix| format!("worker_{suffix}"))
        .map_err(|error| {
            StorageError::Unavailable(format!("the system's random generator failed: {error}"))
        })
}

/// Returns a random number in `[0, 1)` for the retry jitter, or `0.5` when
/// the system's generator fails, which only loses the jitter.
fn random_fraction() -> f64 {
    let mut bytes = [0_u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    // The top 53 bits fill a double's mantissa exactly.
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1_u64 << 53) as f64
}

/// Reads the wall clock in Unix milliseconds.
fn now_ms() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}

/// Runs `future` until it finishes or `limit` passes, whichever is first.
/// On timeout it returns `None`, and dropping `future` cancels its pending
/// host call.
async fn with_timeout<F: Future>(future: F, limit: Duration) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut timer = pin!(spin_sdk::time::sleep(limit));
    poll_fn(|context| {
        if let Poll::Ready(output) = future.as_mut().poll(context) {
            return Poll::Ready(Some(output));
        }
        timer.as_mut().poll(context).map(|()| None)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_fraction_is_in_unit_interval() {
        for _ in 0..1_000 {
            let value = random_fraction();
            assert!((0.0..1.0).contains(&value), "{value}");
        }
    }
}
