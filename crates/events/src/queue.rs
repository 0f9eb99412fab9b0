//! The Redis queue that carries lead events: its settings, and publishing
//! with a time limit and with the address kept out of error text.

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use cloudvelous_storage::redis::{discard_connection, shared_connection, with_timeout};
use spin_sdk::redis::Connection;
use spin_sdk::variables;

/// Spin variable with the Redis address. An empty value means that no queue
/// is configured.
pub const REDIS_ADDRESS_VARIABLE: &str = "redis_address";

/// Spin variable with the channel that lead events are published to.
pub const EVENTS_CHANNEL_VARIABLE: &str = "events_channel";

/// Channel of lead events when a component's manifest entry does not set
/// [`EVENTS_CHANNEL_VARIABLE`].
pub const DEFAULT_EVENTS_CHANNEL: &str = "cloudvelous.lead-events";

/// Appended to the events channel to name the channel that wakes the
/// webhook worker for due retries. The worker's manifest subscribes to it.
pub const RETRY_CHANNEL_SUFFIX: &str = ".webhook-retries";

/// Payload of a message on the retry channel.
pub const RETRY_MESSAGE: &[u8] = b"webhook-retry";

/// Maximum wait for the connection, and for each command's reply. A Redis
/// host that drops packets would otherwise hold the request until the TCP
/// connection attempt times out.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// Returns the channel that wakes the webhook worker for due retries.
pub fn retry_channel(events_channel: &str) -> String {
    format!("{events_channel}{RETRY_CHANNEL_SUFFIX}")
}

/// A configured event queue: a Redis address and the events channel.
#[derive(Clone, PartialEq, Eq)]
pub struct Queue {
    address: String,
    channel: String,
}

/// Prints the channel but not the address, which may carry a password.
impl fmt::Debug for Queue {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Queue")
            .field("address", &"[redacted]")
            .field("channel", &self.channel)
            .finish()
    }
}

/// A failure to reach or use the queue. Its text never contains the Redis
/// address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueError(String);

impl fmt::Display for QueueError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for QueueError {}

impl QueueError {
    pub(crate) fn new(message: impl Into<String>) -> QueueError {
        QueueError(message.into())
    }
}

impl Queue {
    /// Creates a queue at `address` that publishes events to `channel`.
    pub fn new(address: impl Into<String>, channel: impl Into<String>) -> Queue {
        Queue {
            address: address.into(),
            channel: channel.into(),
        }
    }

    /// Reads the queue from the component's variables. Returns `None` when
    /// `redis_address` is empty or not granted to the component.
    pub async fn from_variables() -> Result<Option<Queue>, QueueError> {
        let address = match variables::get(REDIS_ADDRESS_VARIABLE).await {
            Ok(address) => address,
            Err(variables::Error::Undefined(_)) => return Ok(None),
            Err(error) => {
                return Err(QueueError(format!(
                    "reading the {REDIS_ADDRESS_VARIABLE} variable failed: {error}"
                )));
            }
        };
        let address = address.trim();
        if address.is_empty() {
            return Ok(None);
        }
        let channel = match variables::get(EVENTS_CHANNEL_VARIABLE).await {
            Ok(channel) => channel.trim().to_owned(),
            Err(variables::Error::Undefined(_)) => DEFAULT_EVENTS_CHANNEL.to_owned(),
            Err(error) => {
                return Err(QueueError(format!(
                    "reading the {EVENTS_CHANNEL_VARIABLE} variable failed: {error}"
                )));
            }
        };
        if channel.is_empty() {
            return Err(QueueError(format!(
                "the {EVENTS_CHANNEL_VARIABLE} variable is empty; set it to a Redis channel name"
            )));
        }
        Ok(Some(Queue::new(address, channel)))
    }

    /// Returns the channel that lead events are published to.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// Opens a connection to the queue, or reuses the one that the rate
    /// limiter of the same request opened.
    pub(crate) async fn connect(&self) -> Result<QueueConnection<'_>, QueueError> {
        let connection = with_timeout(shared_connection(&self.address), COMMAND_TIMEOUT)
            .await
            .ok_or_else(|| self.timed_out("connecting"))?
            .map_err(|error| self.describe(&error))?;
        Ok(QueueConnection {
            queue: self,
            connection,
        })
    }

    fn timed_out(&self, step: &str) -> QueueError {
        QueueError(format!(
            "{step} to Redis timed out after {} ms",
            COMMAND_TIMEOUT.as_millis()
        ))
    }

    /// Describes a Redis error with the address, and its user-information
    /// part, replaced by placeholders.
    fn describe(&self, error: &spin_sdk::redis::Error) -> QueueError {
        let text = match error {
            spin_sdk::redis::Error::InvalidAddress => "invalid Redis address".to_owned(),
            spin_sdk::redis::Error::TooManyConnections => "too many Redis connections".to_owned(),
            spin_sdk::redis::Error::TypeError => "Redis reply of the wrong type".to_owned(),
            spin_sdk::redis::Error::Other(message) => redact(message, &self.address),
        };
        QueueError(text)
    }
}

/// An open connection to the queue.
pub(crate) struct QueueConnection<'a> {
    queue: &'a Queue,
    connection: Rc<Connection>,
}

impl QueueConnection<'_> {
    /// Publishes `payload` to `channel`.
    ///
    /// A failed or timed-out publication discards the request's shared
    /// connection, so no later command reads its reply.
    pub(crate) async fn publish(&self, channel: &str, payload: &[u8]) -> Result<(), QueueError> {
        let outcome = with_timeout(self.connection.publish(channel, payload), COMMAND_TIMEOUT)
            .await
            .ok_or_else(|| self.queue.timed_out("publishing"))
            .and_then(|reply| reply.map_err(|error| self.queue.describe(&error)));
        if outcome.is_err() {
            discard_connection(&self.queue.address);
        }
        outcome
    }
}

fn redact(message: &str, address: &str) -> String {
    let mut redacted = message.replace(address, "[redis address]");
    let after_scheme = address.split_once("://").map_or(address, |(_, rest)| rest);
    let authority = after_scheme.split('/').next().unwrap_or_default();
    if let Some((user_information, _)) = authority.rsplit_once('@')
        && !user_information.is_empty()
    {
        redacted = redacted.replace(user_information, "[redacted]");
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_channel_extends_events_channel() {
        assert_eq!(
            retry_channel("cloudvelous.lead-events"),
            "cloudvelous.lead-events.webhook-retries"
        );
    }

    #[test]
    fn redaction_hides_address_and_password() {
        let address = "redis://user:s3cret@cache.internal:6379";
        let message = format!("connecting to {address} failed; user:s3cret rejected");

        let text = redact(&message, address);

        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("[redis address]"), "{text}");
    }

    #[test]
    fn debug_hides_address() {
        let queue = Queue::new("redis://:pw@cache:6379", "events");

        let text = format!("{queue:?}");

        assert!(!text.contains("pw"), "{text}");
        assert!(text.contains("events"), "{text}");
    }
}
