//! Authentication: from the request's credentials to a caller and the
//! scopes it holds.

use cloudvelous_auth::{ApiKey, AuthFailure, Credentials, Grants, Scope, hashes_equal, verify_jwt};
use cloudvelous_domain::Timestamp;
use cloudvelous_storage::{Database, StoredApiKey};
use http::HeaderMap;

use crate::caller::Caller;
use crate::log::{LogContext, log_touch_failure};
use crate::settings::Settings;

/// A caller whose every credential is valid.
pub(crate) struct Authenticated {
    pub(crate) caller: Caller,
    /// The grants of each credential sent. A scope is allowed only when
    /// every credential allows it, so sending a second credential never
    /// widens access.
    grants: Vec<Grants>,
}

impl Authenticated {
    pub(crate) fn allows(&self, scope: Scope) -> bool {
        !self.grants.is_empty() && self.grants.iter().all(|grants| grants.allows(scope))
    }

    /// Returns the scopes that every credential allows.
    pub(crate) fn shared_grants(&self) -> Grants {
        Grants::from_scopes(Scope::ALL.into_iter().filter(|scope| self.allows(*scope)))
    }
}

/// Why authentication failed: a rejected credential, or a database that
/// could not look an API key up.
pub(crate) enum AuthenticationError {
    Rejected(AuthFailure),
    Storage(cloudvelous_storage::StorageError),
}

impl From<AuthFailure> for AuthenticationError {
    fn from(failure: AuthFailure) -> Self {
        AuthenticationError::Rejected(failure)
    }
}

/// Checks the request's credentials. When both an API key and a bearer
/// token are sent, both must be valid, and the API key names the caller.
///
/// The token is verified first because that needs no database. A stored
/// key's last-used time is refreshed, when stale, only once every
/// credential has passed.
pub(crate) async fn authenticate(
    settings: &Settings,
    headers: &HeaderMap,
    now: Timestamp,
    database: &Database,
    context: &LogContext,
) -> Result<Authenticated, AuthenticationError> {
    let credentials = Credentials::from_headers(headers)?;
    if credentials.is_empty() {
        return Err(AuthFailure::MissingCredentials.into());
    }

    let token = match &credentials.bearer {
        Some(token) => {
            let keys = settings.jwt_keys().ok_or(AuthFailure::JwtDisabled)?;
            Some(verify_jwt(
                token.expose(),
                keys,
                settings.jwt(),
                now.unix_seconds(),
            )?)
        }
        None => None,
    };
    let key = match &credentials.api_key {
        Some(text) => Some(find_api_key(settings, text.expose(), database).await?),
        None => None,
    };

    let mut grants = Vec::new();
    let mut caller = None;
    if let Some(key) = key {
        grants.push(key.grants());
        caller = Some(key.caller());
        if let KeyHolder::Stored(stored) = &key {
            touch_if_stale(stored, now, database, context).await;
        }
    }
    if let Some(token) = token {
        grants.push(token.grants);
        caller.get_or_insert(Caller::Subject(token.subject));
    }

    let caller = caller.ok_or(AuthFailure::MissingCredentials)?;
    Ok(Authenticated { caller, grants })
}

/// The holder of a valid API key.
enum KeyHolder {
    Bootstrap,
    Stored(StoredApiKey),
}

impl KeyHolder {
    fn caller(&self) -> Caller {
        match self {
            KeyHolder::Bootstrap => Caller::Bootstrap,
            KeyHolder::Stored(key) => Caller::ApiKey(key.id.clone()),
        }
    }

    fn grants(&self) -> Grants {
        match self {
            KeyHolder::Bootstrap => Grants::all(),
            KeyHolder::Stored(key) => key_grants(key),
        }
    }
}

/// Finds the holder of an `X-API-Key` value: the bootstrap key, or a stored
/// key that is not revoked.
async fn find_api_key(
    settings: &Settings,
    text: &str,
    database: &Database,
) -> Result<KeyHolder, AuthenticationError> {
    let key_hash = ApiKey::parse(text)?.hash();

    if let Some(bootstrap_hash) = settings.bootstrap_key_hash()
        && hashes_equal(&key_hash, bootstrap_hash.expose())
    {
        return Ok(KeyHolder::Bootstrap);
    }

    let key = database
        .find_api_key_by_hash(&key_hash)
        .await
        .map_err(AuthenticationError::Storage)?
        .ok_or(AuthFailure::UnknownApiKey)?;
    if key.is_revoked() {
        return Err(AuthFailure::RevokedApiKey.into());
    }
    Ok(KeyHolder::Stored(key))
}

/// Writes the key's last-used time when the stored one is stale. A failed
/// write is logged and the request goes on, because the time is
/// bookkeeping.
async fn touch_if_stale(
    key: &StoredApiKey,
    now: Timestamp,
    database: &Database,
    context: &LogContext,
) {
    if !key.last_used_is_stale(now) {
        return;
    }
    if let Err(error) = database.touch_api_key(&key.id, now).await {
        log_touch_failure(context, &key.id, &error.to_string());
    }
}

/// Stored scope names that are no longer known grant nothing.
fn key_grants(key: &StoredApiKey) -> Grants {
    Grants::from_scopes(key.scopes.iter().filter_map(|name| Scope::parse(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authenticated(grants: Vec<Grants>) -> Authenticated {
        Authenticated {
            caller: Caller::Bootstrap,
            grants,
        }
    }

    #[test]
    fn single_credential_allows_its_scopes() {
        let caller = authenticated(vec![Grants::from_scopes([Scope::WriteLeads])]);
        assert!(caller.allows(Scope::WriteLeads));
        assert!(caller.allows(Scope::ReadLeads));
        assert!(!caller.allows(Scope::ReadAnalytics));
    }

    #[test]
    fn two_credentials_allow_only_shared_scopes() {
        let caller = authenticated(vec![Grants::all(), Grants::from_scopes([Scope::ReadLeads])]);
        assert!(caller.allows(Scope::ReadLeads));
        assert!(!caller.allows(Scope::WriteLeads));
        assert!(!caller.allows(Scope::Admin));
    }

    #[test]
    fn shared_grants_are_the_common_scopes() {
        let caller = authenticated(vec![
            Grants::all(),
            Grants::from_scopes([Scope::WriteLeads, Scope::ReadAnalytics]),
        ]);
        assert_eq!(
            caller.shared_grants(),
            Grants::from_scopes([Scope::WriteLeads, Scope::ReadAnalytics])
        );
        let admin = authenticated(vec![Grants::all()]);
        assert!(admin.shared_grants().allows(Scope::Admin));
        assert_eq!(authenticated(Vec::new()).shared_grants(), Grants::none());
    }

    #[test]
    fn no_credentials_allow_nothing() {
        let caller = authenticated(Vec::new());
        for scope in Scope::ALL {
            assert!(!caller.allows(scope), "{scope}");
        }
    }

    #[test]
    fn stored_scopes_become_grants() {
        let key = StoredApiKey {
            id: "key_0123456789abcdef".into(),
            name: "reporting".into(),
            scopes: vec![
                "read:leads".into(),
                "write:analytics".into(),
                "retired".into(),
            ],
            created_at: Timestamp::from_unix_seconds(1_760_783_400),
            last_used_at: None,
            revoked_at: None,
        };
        let grants = key_grants(&key);
        assert!(grants.allows(Scope::ReadLeads));
        assert!(grants.allows(Scope::ReadAnalytics));
        assert!(grants.allows(Scope::WriteAnalytics));
        assert!(!grants.allows(Scope::WriteLeads));
        assert!(!grants.allows(Scope::Admin));
    }
}
