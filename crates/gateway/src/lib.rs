//! Request admission for the Cloudvelous components: who is calling, may
//! they, and have they budget left.
//!
//! A protected handler loads [`Settings`] and calls [`admit`] after matching
//! its route and method and before reading the body. [`admit`]
//! authenticates the request (`401`), checks the route's scope (`403`) and
//! spends one request of the caller's budget in the route group (`429`).
//! The handler then adds the `RateLimit-*` headers to its response with
//! [`Admission::apply`], or responds with [`Rejection::response`].
//!
//! Public routes such as `/health` pass no scope: they skip authentication
//! and spend the budget of the client address.
//!
//! Components call [`protected`] or [`public`], which run these steps around
//! a handler, and write the request's log line with [`RequestLine`].
//!
//! Built with the `unauthenticated-benchmark` feature, [`protected`] and
//! [`protected_with_grants`] skip every check. That build exists only to
//! measure their cost and must never be deployed.

mod admission;
mod authenticate;
mod caller;
mod client_address;
mod guard;
mod limiter;
mod log;
mod rate_limit;
mod redis_limiter;
mod settings;

pub use admission::{Admission, Rejection, admit};
pub use caller::{Caller, RouteGroup};
pub use client_address::{
    CLIENT_ADDRESS_HEADER, FORWARDED_FOR_HEADER, TrustedProxies, client_address,
};
pub use guard::{Reply, RequestLine, protected, protected_with_grants, public};
pub use rate_limit::{
    RATE_LIMIT_LIMIT, RATE_LIMIT_REMAINING, RATE_LIMIT_RESET, RateLimitState, WINDOW_MS,
    reset_seconds,
};
pub use settings::{Settings, SettingsError};
