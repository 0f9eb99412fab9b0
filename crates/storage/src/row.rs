//! Typed, strict decoding of SQLite result rows.

use spin_sdk::sqlite::Value;

use crate::StorageError;

/// Reads the values of one row in `SELECT` order, checking each type.
///
/// A value of the wrong type, such as `NULL` in a required column or an
/// integer where text belongs, is a [`StorageError::Decode`] and is never
/// replaced by a default.
pub(crate) struct RowReader<'a> {
    values: std::slice::Iter<'a, Value>,
}

impl<'a> RowReader<'a> {
    pub(crate) fn new(values: &'a [Value]) -> Self {
        Self {
            values: values.iter(),
        }
    }

    pub(crate) fn text(&mut self, column: &'static str) -> Result<&'a str, StorageError> {
        match self.next(column)? {
            Value::Text(text) => Ok(text),
            other => Err(wrong_type(column, "text", other)),
        }
    }

    pub(crate) fn optional_text(
        &mut self,
        column: &'static str,
    ) -> Result<Option<&'a str>, StorageError> {
        match self.next(column)? {
            Value::Null => Ok(None),
            Value::Text(text) => Ok(Some(text)),
            other => Err(wrong_type(column, "text or NULL", other)),
        }
    }

    pub(crate) fn integer(&mut self, column: &'static str) -> Result<i64, StorageError> {
        match self.next(column)? {
            Value::Integer(integer) => Ok(*integer),
            other => Err(wrong_type(column, "integer", other)),
        }
    }

    pub(crate) fn optional_integer(
        &mut self,
        column: &'static str,
    ) -> Result<Option<i64>, StorageError> {
        match self.next(column)? {
            Value::Null => Ok(None),
            Value::Integer(integer) => Ok(Some(*integer)),
            other => Err(wrong_type(column, "integer or NULL", other)),
        }
    }

    pub(crate) fn blob(&mut self, column: &'static str) -> Result<&'a [u8], StorageError> {
        match self.next(column)? {
            Value::Blob(blob) => Ok(blob),
            other => Err(wrong_type(column, "a blob", other)),
        }
    }

    fn next(&mut self, column: &'static str) -> Result<&'a Value, StorageError> {
        self.values.next().ok_or_else(|| StorageError::Decode {
            column,
            problem: "the row has no value for this column".to_owned(),
        })
    }
}

fn wrong_type(column: &'static str, expected: &str, found: &Value) -> StorageError {
    let found = match found {
        Value::Null => "NULL",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    };
    StorageError::Decode {
        column,
        problem: format!("expected {expected}, found {found}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_in_order() {
        let values = [
            Value::Text("lead_abc".to_owned()),
            Value::Null,
            Value::Integer(7),
            Value::Null,
        ];
        let mut row = RowReader::new(&values);

        assert_eq!(row.text("id").unwrap(), "lead_abc");
        assert_eq!(row.optional_text("phone").unwrap(), None);
        assert_eq!(row.integer("created_at").unwrap(), 7);
        assert_eq!(row.optional_integer("updated_at").unwrap(), None);
    }

    #[test]
    fn null_in_required_text_is_error() {
        let values = [Value::Null];
        let error = RowReader::new(&values).text("name").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid stored value in column name: expected text, found NULL"
        );
    }

    #[test]
    fn integer_in_text_column_is_error() {
        let values = [Value::Integer(1)];
        let error = RowReader::new(&values).optional_text("notes").unwrap_err();
        assert!(
            matches!(
                error,
                StorageError::Decode {
                    column: "notes",
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn blob_is_not_text() {
        let values = [Value::Blob(b"lead_abc".to_vec())];
        let error = RowReader::new(&values).text("id").unwrap_err();
        assert!(
            matches!(error, StorageError::Decode { column: "id", .. }),
            "{error:?}"
        );
    }

    #[test]
    fn real_in_integer_column_is_error() {
        let values = [Value::Real(1.5)];
        let error = RowReader::new(&values)
            .optional_integer("updated_at")
            .unwrap_err();
        assert!(
            matches!(
                error,
                StorageError::Decode {
                    column: "updated_at",
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn text_is_not_blob() {
        let values = [Value::Text("00".to_owned())];
        let error = RowReader::new(&values).blob("key_hash").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid stored value in column key_hash: expected a blob, found text"
        );
    }

    #[test]
    fn missing_column_is_error() {
        let values = [Value::Integer(1)];
        let mut row = RowReader::new(&values);
        row.integer("created_at").unwrap();
        let error = row.optional_integer("updated_at").unwrap_err();
        assert!(
            matches!(
                error,
                StorageError::Decode {
                    column: "updated_at",
                    ..
                }
            ),
            "{error:?}"
        );
    }
}
