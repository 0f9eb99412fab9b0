//! One JSON line per worker event on stderr, the form of the HTTP
//! components' log lines.

use std::io::Write as _;

use cloudvelous_domain::Timestamp;
use serde_json::{Map, Value};

/// Component name in log lines.
const COMPONENT: &str = "worker";

/// Writes an `info` line with `message` and `fields`.
pub(crate) fn info(message: &str, fields: &[(&str, String)]) {
    write_line("info", message, fields);
}

/// Writes a `warn` line with `message` and `fields`.
pub(crate) fn warn(message: &str, fields: &[(&str, String)]) {
    write_line("warn", message, fields);
}

/// Writes an `error` line with `message` and `fields`.
pub(crate) fn error(message: &str, fields: &[(&str, String)]) {
    write_line("error", message, fields);
}

/// Field values must not contain secrets or personal data: the worker logs
/// ids, status codes and error descriptions, never payloads or secrets.
fn write_line(level: &str, message: &str, fields: &[(&str, String)]) {
    let mut line = Map::new();
    line.insert("level".to_owned(), Value::from(level));
    line.insert(
        "timestamp".to_owned(),
        Value::from(Timestamp::now().to_rfc3339()),
    );
    line.insert("component".to_owned(), Value::from(COMPONENT));
    line.insert("message".to_owned(), Value::from(message));
    for (name, value) in fields {
        line.insert((*name).to_owned(), Value::from(value.as_str()));
    }
    let _ = writeln!(std::io::stderr().lock(), "{}", Value::Object(line));
}
