//! API-key SQL and row decoding against a real in-memory SQLite database.

use super::*;
use crate::sqlite_fixture::{execute, migrated_database, select};

const CREATED_AT: i64 = 1_760_783_400;

fn hash(byte: u8) -> [u8; 32] {
    [byte; 32]
}

fn new_key(id: &str, key_hash: [u8; 32], created_at: i64) -> NewApiKey {
    NewApiKey {
        id: id.to_owned(),
        name: format!("{id} name"),
        key_hash,
        scopes: vec!["read:leads".to_owned(), "write:analytics".to_owned()],
        created_at: Timestamp::from_unix_seconds(created_at),
    }
}

/// Runs the statement of [`Database::insert_api_key`] for `key`.
fn insert(database: &rusqlite::Connection, key: &NewApiKey) -> rusqlite::Result<usize> {
    let parameters = [
        Value::from(key.id.as_str()),
        Value::from(key.name.as_str()),
        Value::Blob(key.key_hash.to_vec()),
        Value::Text(join_scopes(&key.scopes).unwrap()),
        Value::Integer(key.created_at.unix_seconds()),
    ];
    execute(database, INSERT_API_KEY, &parameters)
}

fn find_by_hash(database: &rusqlite::Connection, key_hash: &[u8; 32]) -> Option<StoredApiKey> {
    let rows = select(
        database,
        SELECT_API_KEY_BY_HASH,
        &[Value::Blob(key_hash.to_vec())],
    );
    assert!(rows.len() <= 1, "the hash is unique");
    let row = rows.first()?;
    decode_matching_key(row, key_hash).unwrap()
}

fn list(database: &rusqlite::Connection) -> Vec<StoredApiKey> {
    select(database, SELECT_API_KEYS, &[])
        .iter()
        .map(|row| decode_api_key(&mut RowReader::new(row)).unwrap())
        .collect()
}

fn revoke(database: &rusqlite::Connection, id: &str, now: i64) -> usize {
    execute(
        database,
        REVOKE_API_KEY,
        &[Value::from(id), Value::Integer(now)],
    )
    .unwrap()
}

fn touch(database: &rusqlite::Connection, id: &str, now: i64) -> usize {
    execute(
        database,
        TOUCH_API_KEY,
        &[Value::from(id), Value::Integer(now)],
    )
    .unwrap()
}

fn stored(key: &NewApiKey) -> StoredApiKey {
    StoredApiKey {
        id: key.id.clone(),
        name: key.name.clone(),
        scopes: key.scopes.clone(),
        created_at: key.created_at,
        last_used_at: None,
        revoked_at: None,
    }
}

#[test]
fn key_round_trips_by_hash() {
    let database = migrated_database();
    let key = new_key("key_0123456789abcdef", hash(1), CREATED_AT);
    insert(&database, &key).unwrap();

    assert_eq!(find_by_hash(&database, &hash(1)), Some(stored(&key)));
}

#[test]
fn unknown_hash_finds_nothing() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(1), CREATED_AT),
    )
    .unwrap();

    assert_eq!(find_by_hash(&database, &hash(2)), None);
}

#[test]
fn row_with_other_hash_is_not_a_match() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(1), CREATED_AT),
    )
    .unwrap();
    let rows = select(
        &database,
        SELECT_API_KEY_BY_HASH,
        &[Value::Blob(hash(1).to_vec())],
    );

    let mut other = hash(1);
    other[31] = 0;
    assert_eq!(decode_matching_key(&rows[0], &other).unwrap(), None);
}

#[test]
fn stored_hash_is_the_only_key_material() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(7), CREATED_AT),
    )
    .unwrap();

    let stored_hash: Vec<u8> = database
        .query_row("SELECT key_hash FROM api_keys", [], |row| row.get(0))
        .unwrap();
    assert_eq!(stored_hash, hash(7).to_vec());
}

#[test]
fn scopes_are_stored_space_separated() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(1), CREATED_AT),
    )
    .unwrap();

    let scopes: String = database
        .query_row("SELECT scopes FROM api_keys", [], |row| row.get(0))
        .unwrap();
    assert_eq!(scopes, "read:leads write:analytics");
}

#[test]
fn scope_with_whitespace_is_rejected() {
    for scope in ["", "read:leads write:leads", "read:leads\t", " admin"] {
        let error = join_scopes(&[scope.to_owned()]).unwrap_err();
        assert!(matches!(error, StorageError::Statement(_)), "{scope:?}");
    }
}

#[test]
fn list_is_ordered_by_creation_then_id() {
    let database = migrated_database();
    let later = new_key("key_aaaaaaaaaaaaaaaa", hash(1), CREATED_AT + 10);
    let second = new_key("key_cccccccccccccccc", hash(2), CREATED_AT);
    let first = new_key("key_bbbbbbbbbbbbbbbb", hash(3), CREATED_AT);
    for key in [&later, &second, &first] {
        insert(&database, key).unwrap();
    }

    let ids: Vec<String> = list(&database).into_iter().map(|key| key.id).collect();
    assert_eq!(ids, [first.id, second.id, later.id]);
}

#[test]
fn list_of_empty_table_is_empty() {
    assert!(list(&migrated_database()).is_empty());
}

#[test]
fn list_includes_revoked_keys() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(1), CREATED_AT),
    )
    .unwrap();
    revoke(&database, "key_0123456789abcdef", CREATED_AT + 5);

    let keys = list(&database);
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys[0].revoked_at,
        Some(Timestamp::from_unix_seconds(CREATED_AT + 5))
    );
    assert!(keys[0].is_revoked());
}

#[test]
fn revoke_reports_existing_key() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(1), CREATED_AT),
    )
    .unwrap();

    assert_eq!(revoke(&database, "key_0123456789abcdef", CREATED_AT + 5), 1);
    assert_eq!(revoke(&database, "key_missing000000000", CREATED_AT + 5), 0);
}

#[test]
fn second_revoke_keeps_first_time() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(1), CREATED_AT),
    )
    .unwrap();
    revoke(&database, "key_0123456789abcdef", CREATED_AT + 5);

    assert_eq!(revoke(&database, "key_0123456789abcdef", CREATED_AT + 9), 1);
    let key = find_by_hash(&database, &hash(1)).unwrap();
    assert_eq!(
        key.revoked_at,
        Some(Timestamp::from_unix_seconds(CREATED_AT + 5))
    );
}

#[test]
fn revoke_leaves_other_keys_valid() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_aaaaaaaaaaaaaaaa", hash(1), CREATED_AT),
    )
    .unwrap();
    insert(
        &database,
        &new_key("key_bbbbbbbbbbbbbbbb", hash(2), CREATED_AT),
    )
    .unwrap();
    revoke(&database, "key_aaaaaaaaaaaaaaaa", CREATED_AT + 5);

    assert!(!find_by_hash(&database, &hash(2)).unwrap().is_revoked());
}

#[test]
fn touch_sets_last_used() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(1), CREATED_AT),
    )
    .unwrap();

    assert_eq!(touch(&database, "key_0123456789abcdef", CREATED_AT + 70), 1);
    let key = find_by_hash(&database, &hash(1)).unwrap();
    assert_eq!(
        key.last_used_at,
        Some(Timestamp::from_unix_seconds(CREATED_AT + 70))
    );
}

#[test]
fn touch_never_moves_last_used_backwards() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(1), CREATED_AT),
    )
    .unwrap();
    touch(&database, "key_0123456789abcdef", CREATED_AT + 70);

    assert_eq!(touch(&database, "key_0123456789abcdef", CREATED_AT + 10), 0);
    assert_eq!(touch(&database, "key_0123456789abcdef", CREATED_AT + 70), 0);
    let key = find_by_hash(&database, &hash(1)).unwrap();
    assert_eq!(
        key.last_used_at,
        Some(Timestamp::from_unix_seconds(CREATED_AT + 70))
    );
}

#[test]
fn duplicate_id_is_conflict() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_0123456789abcdef", hash(1), CREATED_AT),
    )
    .unwrap();

    let message = insert(
        &database,
        &new_key("key_0123456789abcdef", hash(2), CREATED_AT),
    )
    .unwrap_err()
    .to_string();
    let error = StorageError::from(spin_sdk::sqlite::Error::Io(message));
    assert!(matches!(error, StorageError::Conflict(_)), "{error:?}");
}

#[test]
fn duplicate_hash_is_conflict() {
    let database = migrated_database();
    insert(
        &database,
        &new_key("key_aaaaaaaaaaaaaaaa", hash(1), CREATED_AT),
    )
    .unwrap();

    let message = insert(
        &database,
        &new_key("key_bbbbbbbbbbbbbbbb", hash(1), CREATED_AT),
    )
    .unwrap_err()
    .to_string();
    let error = StorageError::from(spin_sdk::sqlite::Error::Io(message));
    assert!(matches!(error, StorageError::Conflict(_)), "{error:?}");
}

#[test]
fn schema_rejects_hash_of_wrong_length() {
    let database = migrated_database();
    let error = execute(
        &database,
        INSERT_API_KEY,
        &[
            Value::from("key_0123456789abcdef"),
            Value::from("short hash"),
            Value::Blob(vec![1; 31]),
            Value::from("admin"),
            Value::Integer(CREATED_AT),
        ],
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("CHECK constraint failed"),
        "{error}"
    );
}

#[test]
fn schema_rejects_text_hash() {
    let database = migrated_database();
    let result = execute(
        &database,
        INSERT_API_KEY,
        &[
            Value::from("key_0123456789abcdef"),
            Value::from("text hash"),
            Value::from("0123456789abcdef0123456789abcdef"),
            Value::from("admin"),
            Value::Integer(CREATED_AT),
        ],
    );
    assert!(result.is_err());
}

#[test]
fn hash_lookup_uses_unique_index() {
    let database = migrated_database();
    let plan: String = database
        .query_row(
            &format!("EXPLAIN QUERY PLAN {SELECT_API_KEY_BY_HASH}"),
            [vec![0_u8; 32]],
            |row| row.get(3),
        )
        .unwrap();
    assert!(
        plan.contains("USING INDEX sqlite_autoindex_api_keys"),
        "{plan}"
    );
}

#[test]
fn never_used_key_is_stale() {
    let key = stored(&new_key("key_0123456789abcdef", hash(1), CREATED_AT));
    assert!(key.last_used_is_stale(Timestamp::from_unix_seconds(CREATED_AT)));
}

#[test]
fn last_used_is_stale_after_interval() {
    let mut key = stored(&new_key("key_0123456789abcdef", hash(1), CREATED_AT));
    key.last_used_at = Some(Timestamp::from_unix_seconds(CREATED_AT));

    let at = |offset: i64| Timestamp::from_unix_seconds(CREATED_AT + offset);
    assert!(!key.last_used_is_stale(at(0)));
    assert!(!key.last_used_is_stale(at(LAST_USED_INTERVAL_SECONDS - 1)));
    assert!(key.last_used_is_stale(at(LAST_USED_INTERVAL_SECONDS)));
    assert!(key.last_used_is_stale(at(3600)));
}

#[test]
fn last_used_in_future_is_not_stale() {
    let mut key = stored(&new_key("key_0123456789abcdef", hash(1), CREATED_AT));
    key.last_used_at = Some(Timestamp::from_unix_seconds(CREATED_AT + 600));
    assert!(!key.last_used_is_stale(Timestamp::from_unix_seconds(CREATED_AT)));
}

#[test]
fn new_key_debug_hides_hash() {
    let text = format!(
        "{:?}",
        new_key("key_0123456789abcdef", hash(0xab), CREATED_AT)
    );
    assert!(text.contains("[redacted]"), "{text}");
    assert!(!text.contains("171"), "{text}");
}
