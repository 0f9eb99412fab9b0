//! Tests that drive the built `.wasm` components through the wasmtime host
//! over real HTTP, each against a fresh app with its own SQLite files.

mod assertions;
mod auth_api_keys;
mod auth_jwt;
mod concurrency;
mod conventions;
mod duplicates;
mod fixtures;
mod health;
mod host;
mod json_parsing;
mod leads;
mod rate_limits;
mod scopes;
mod secrets;
mod support;
mod tokens;
mod validation;
