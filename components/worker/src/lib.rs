//! Spin Redis-triggered component that delivers lead events to webhook
//! subscriptions.
//!
//! The worker's manifest (`spin-worker.toml`) subscribes it to two channels
//! of the same Redis. The HTTP app publishes each lead event on the events
//! channel. Its retry points (writes, `/health`, the outbox flush) send a
//! wake-up message on the retry channel when a delivery is due for a retry.
//! Spin calls the handler for one message at a time.
//!
//! Deliveries are not built from the message. Storing an event created one
//! pending delivery per matching subscription in the same transaction, so
//! every message, of either channel, runs the same work: claim the
//! deliveries that are due, send them concurrently, and record each attempt.
//! An event whose message the worker missed, for example while it was
//! restarting, is delivered on the next message.

mod delivery;
mod log;
mod settings;

use bytes::Bytes;
use cloudvelous_contract::LeadEvent;
use cloudvelous_events::RETRY_MESSAGE;
use cloudvelous_storage::Database;

use crate::delivery::deliver_due;
use crate::settings::WorkerSettings;

/// The kind of a message on the subscribed channels.
#[derive(Debug, PartialEq, Eq)]
enum Message {
    /// A lead event, by id.
    Event(String),
    /// A wake-up for due retries.
    Retry,
    /// Anything else, which the worker ignores.
    Unknown,
}

impl Message {
    fn classify(payload: &[u8]) -> Message {
        if payload == RETRY_MESSAGE {
            return Message::Retry;
        }
        match std::str::from_utf8(payload).map(LeadEvent::from_json) {
            Ok(Ok(event)) => Message::Event(event.id().to_owned()),
            _ => Message::Unknown,
        }
    }
}

#[spin_sdk::redis_subscriber]
async fn on_message(payload: Bytes) -> anyhow::Result<()> {
    match Message::classify(&payload) {
        Message::Unknown => {
            log::warn(
                "ignored a message that is neither a lead event nor a retry message",
                &[("bytes", payload.len().to_string())],
            );
            return Ok(());
        }
        Message::Event(id) => log::info("received a lead event", &[("event_id", id)]),
        Message::Retry => {}
    }

    // An error leaves every delivery pending for the next message; Spin
    // logs the error.
    let settings = WorkerSettings::load().await?;
    let database = Database::open().await?;
    deliver_due(&database, &settings).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_classified() {
        let event = r#"{"id":"evt_1","event":"lead.created","timestamp":"2025-10-18T10:30:00Z","data":{"lead_id":"lead_1","name":"A","email":"a@example.com","source":"website"}}"#;

        assert_eq!(
            Message::classify(event.as_bytes()),
            Message::Event("evt_1".to_owned())
        );
        assert_eq!(Message::classify(RETRY_MESSAGE), Message::Retry);
        assert_eq!(Message::classify(b"hello"), Message::Unknown);
        assert_eq!(Message::classify(&[0xff, 0xfe]), Message::Unknown);
    }
}
