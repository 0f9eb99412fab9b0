//! Lead events after they are stored.
//!
//! Storing a change writes its event to the outbox and creates its webhook
//! deliveries in the same transaction (see `cloudvelous-storage`). This
//! crate moves them on from there:
//!
//! - [`publish_pending`] publishes pending events to the Redis channel
//!   named by the `events_channel` variable. Spin has no timer, so the HTTP
//!   components call it after each write, on every `/health` call and from
//!   `POST /api/admin/outbox/flush`.
//! - The same calls wake the webhook worker for deliveries that are due for
//!   a retry, with a message on the retry channel ([`retry_channel`]), at
//!   most once per second.
//! - [`signature`] signs webhook requests as Standard Webhooks specifies,
//!   [`target`] checks the URL of a new subscription, and [`RetryPolicy`]
//!   spaces out the retries of a failed delivery.

mod backoff;
mod publisher;
mod queue;
pub mod signature;
pub mod target;

pub use backoff::{RetryPolicy, RetryPolicyError};
pub use publisher::{Budget, PublishReport, publish, publish_pending};
pub use queue::{
    DEFAULT_EVENTS_CHANNEL, EVENTS_CHANNEL_VARIABLE, Queue, QueueError, REDIS_ADDRESS_VARIABLE,
    RETRY_CHANNEL_SUFFIX, RETRY_MESSAGE, retry_channel,
};
