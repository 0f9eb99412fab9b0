//! The rate-limit check: Redis when configured and reachable, SQLite
//! otherwise.

use cloudvelous_storage::{Database, RateDecision, StorageError};

use crate::caller::{Caller, RouteGroup};
use crate::log::{LogContext, log_limiter_fallback};
use crate::rate_limit::WINDOW_MS;
use crate::redis_limiter::admit_in_redis;
use crate::settings::Settings;

/// Checks and records a request of `caller` in `group` at `now_ms` against
/// `limit`.
///
/// With a Redis address configured, the Redis limiter decides. When Redis
/// cannot be reached or the script fails, a `warn` line is logged and the
/// SQLite limiter decides for this request, so a queue outage does not fail
/// requests.
pub(crate) async fn check_rate_limit(
    settings: &Settings,
    group: RouteGroup,
    caller: &Caller,
    limit: u32,
    now_ms: i64,
    database: &Database,
    context: &LogContext,
) -> Result<RateDecision, StorageError> {
    let caller_id = caller.rate_limit_id();
    if let Some(address) = settings.redis_address() {
        let key = redis_key(settings.redis_key_prefix(), group, &caller_id);
        match admit_in_redis(address.expose(), &key, now_ms, limit).await {
            Ok(decision) => return Ok(decision),
            Err(error) => log_limiter_fallback(context, &caller_id, &error.to_string()),
        }
    }
    let bucket = sqlite_bucket(group, &caller_id);
    database
        .admit_rate_limited(&bucket, now_ms, limit, WINDOW_MS)
        .await
}

/// Returns the Redis key `{prefix}:ratelimit:{group}:{caller}`.
fn redis_key(prefix: &str, group: RouteGroup, caller_id: &str) -> String {
    format!("{prefix}:ratelimit:{group}:{caller_id}")
}

/// Returns the SQLite bucket `{group}:{caller}`. The database belongs to one
/// deployment, so it needs no prefix.
fn sqlite_bucket(group: RouteGroup, caller_id: &str) -> String {
    format!("{group}:{caller_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_key_has_prefix_group_and_caller() {
        let caller = Caller::Subject("user_123456".into());
        assert_eq!(
            redis_key("cloudvelous", RouteGroup::Leads, &caller.rate_limit_id()),
            "cloudvelous:ratelimit:leads:sub:user_123456"
        );
    }

    #[test]
    fn sqlite_bucket_has_group_and_caller() {
        let caller = Caller::Client(Some("203.0.113.7".parse().unwrap()));
        assert_eq!(
            sqlite_bucket(RouteGroup::Health, &caller.rate_limit_id()),
            "health:ip:203.0.113.7"
        );
    }

    #[test]
    fn groups_do_not_share_keys() {
        let caller_id = Caller::Bootstrap.rate_limit_id();
        let leads = redis_key("p", RouteGroup::Leads, &caller_id);
        let analytics = redis_key("p", RouteGroup::Analytics, &caller_id);
        assert_ne!(leads, analytics);
    }
}
