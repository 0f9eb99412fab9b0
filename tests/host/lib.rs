//! A wasmtime host that serves the built Spin components of this workspace as
//! Spin 4.1 does: it reads `spin.toml`, routes requests by its HTTP triggers,
//! adds Spin's request headers, and provides `spin:sqlite`, `spin:key-value`,
//! `spin:redis`, `spin:variables` and outgoing `wasi:http` to each component
//! within what its manifest entry grants. [`RedisTrigger`] runs the
//! `[[trigger.redis]]` entries of a manifest such as `spin-worker.toml`. It
//! is test infrastructure; production runs on Spin.

pub mod app;
pub mod clock;
pub mod interfaces;
pub mod manifest;
pub mod outbound;
pub mod redis_trigger;
pub mod routes;
pub mod server;
pub mod state;
pub mod variables;

#[allow(missing_docs, clippy::all, reason = "generated bindings")]
mod bindings {
    include!(concat!(env!("OUT_DIR"), "/spin_bindings.rs"));
}

#[allow(missing_docs, clippy::all, reason = "generated bindings")]
mod redis_handler_bindings {
    include!(concat!(env!("OUT_DIR"), "/spin_redis_handler_bindings.rs"));
}

pub use app::{App, ExtraComponent, HostOptions};
pub use clock::Clock;
pub use redis_trigger::{Listener, RedisTrigger};

use std::path::PathBuf;

/// Returns the workspace root, which contains `spin.toml` and `target/`.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}
