//! Host implementations of the Spin interfaces the components import.

pub mod key_value;
pub mod redis;
pub mod sqlite;
pub mod variables;
