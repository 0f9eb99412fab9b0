//! The sliding-log rate limiter in Redis: one sorted set per bucket, checked
//! and updated by one Lua script.

use std::fmt;
use std::time::Duration;

use cloudvelous_domain::random_alphanumeric;
use cloudvelous_storage::RateDecision;
use cloudvelous_storage::redis::{discard_connection, shared_connection, with_timeout};
use spin_sdk::redis::{RedisParameter, RedisResult};

use crate::rate_limit::WINDOW_MS;

/// Removes the entries that left the window, admits the request when fewer
/// than the limit remain, and returns `{admitted, count, oldest}`, or
/// `{admitted, count}` when the set is empty. Scores are admission times in
/// Unix milliseconds from the component's clock, never Redis `TIME`, so the
/// window follows the clock the rest of the request reads. Redis runs a
/// script without interleaving other commands, which makes the check atomic.
///
/// `KEYS[1]`: the bucket's sorted set. `ARGV`: now, the cutoff (entries at
/// or before it have left the window), the window length for `PEXPIRE`, the
/// limit, and a member name unique to this request.
const SCRIPT: &str = r"
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
local count = redis.call('ZCARD', key)
local admitted = 0
if count < tonumber(ARGV[4]) then
  redis.call('ZADD', key, ARGV[1], ARGV[5])
  count = count + 1
  admitted = 1
end
if count == 0 then
  return {admitted, count}
end
redis.call('PEXPIRE', key, ARGV[3])
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {admitted, count, tonumber(oldest[2])}
";

/// Maximum wait for the connection and the script's reply together. A Redis
/// host that drops packets would otherwise hold every request until the TCP
/// connection attempt times out.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);

/// Random characters that make a sorted-set member unique when several
/// requests share a millisecond.
const MEMBER_SUFFIX_LENGTH: usize = 16;

/// A failure of the Redis limiter. Its text never contains the Redis
/// address, which may carry a password.
#[derive(Debug)]
pub(crate) struct RedisLimiterError(String);

impl fmt::Display for RedisLimiterError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Checks and records a request at `now_ms` against `limit` in the sorted
/// set `key` of the Redis server at `address`.
pub(crate) async fn admit_in_redis(
    address: &str,
    key: &str,
    now_ms: i64,
    limit: u32,
) -> Result<RateDecision, RedisLimiterError> {
    let member = unique_member(now_ms)?;
    let arguments = script_arguments(key, now_ms, limit, member);
    let reply = with_timeout(run_script(address, arguments), REDIS_TIMEOUT).await;
    match reply {
        Some(Ok(values)) => decode_reply(&values),
        Some(Err(error)) => {
            discard_connection(address);
            Err(describe_redis_error(&error, address))
        }
        None => {
            discard_connection(address);
            Err(RedisLimiterError(format!(
                "no reply within {} ms",
                REDIS_TIMEOUT.as_millis()
            )))
        }
    }
}

/// Runs the script on the request's connection to `address`, which the
/// event publisher reuses after the handler.
async fn run_script(
    address: &str,
    arguments: Vec<RedisParameter>,
) -> Result<Vec<RedisResult>, spin_sdk::redis::Error> {
    let connection = shared_connection(address).await?;
    connection.execute("EVAL", arguments).await
}

/// Builds the arguments of `EVAL`: the script, one key, then `ARGV`.
fn script_arguments(key: &str, now_ms: i64, limit: u32, member: String) -> Vec<RedisParameter> {
    vec![
        RedisParameter::Binary(SCRIPT.as_bytes().to_vec()),
        RedisParameter::Int64(1),
        RedisParameter::Binary(key.as_bytes().to_vec()),
        RedisParameter::Int64(now_ms),
        RedisParameter::Int64(now_ms.saturating_sub(WINDOW_MS)),
        RedisParameter::Int64(WINDOW_MS),
        RedisParameter::Int64(i64::from(limit)),
        RedisParameter::Binary(member.into_bytes()),
    ]
}

fn unique_member(now_ms: i64) -> Result<String, RedisLimiterError> {
    let suffix = random_alphanumeric(MEMBER_SUFFIX_LENGTH)
        .map_err(|error| RedisLimiterError(format!("random member name unavailable: {error}")))?;
    Ok(format!("{now_ms}-{suffix}"))
}

/// Reads the script's reply. Spin flattens the array into a list of
/// results, one integer per element.
fn decode_reply(values: &[RedisResult]) -> Result<RateDecision, RedisLimiterError> {
    let integers: Vec<i64> = values
        .iter()
        .map(|value| match value {
            RedisResult::Int64(integer) => Ok(*integer),
            other => Err(RedisLimiterError(format!(
                "unexpected script reply element {}",
                describe_result(other)
            ))),
        })
        .collect::<Result<_, _>>()?;

    let (admitted, count, oldest_at_ms) = match integers.as_slice() {
        [admitted, count] => (*admitted, *count, None),
        [admitted, count, oldest] => (*admitted, *count, Some(*oldest)),
        _ => {
            return Err(RedisLimiterError(format!(
                "script reply has {} elements, expected 2 or 3",
                integers.len()
            )));
        }
    };
    let count_in_window = u32::try_from(count)
        .map_err(|_| RedisLimiterError(format!("script reply count {count} is out of range")))?;
    Ok(RateDecision {
        admitted: admitted == 1,
        count_in_window,
        oldest_at_ms,
    })
}

fn describe_result(value: &RedisResult) -> &'static str {
    match value {
        RedisResult::Nil => "nil",
        RedisResult::Status(_) => "status",
        RedisResult::Int64(_) => "integer",
        RedisResult::Binary(_) => "bulk string",
    }
}

/// Describes a Redis error with every occurrence of the address, and of
/// its user-information part, replaced by a placeholder.
fn describe_redis_error(error: &spin_sdk::redis::Error, address: &str) -> RedisLimiterError {
    let text = match error {
        spin_sdk::redis::Error::InvalidAddress => "invalid Redis address".to_owned(),
        spin_sdk::redis::Error::TooManyConnections => "too many Redis connections".to_owned(),
        spin_sdk::redis::Error::TypeError => "Redis reply of the wrong type".to_owned(),
        spin_sdk::redis::Error::Other(message) => redact_address(message, address),
    };
    RedisLimiterError(text)
}

fn redact_address(message: &str, address: &str) -> String {
    let mut redacted = message.replace(address, "[redis address]");
    if let Some(user_information) = user_information(address) {
        redacted = redacted.replace(user_information, "[redacted]");
    }
    redacted
}

/// Returns the `user:password` part of `redis://user:password@host`.
fn user_information(address: &str) -> Option<&str> {
    let after_scheme = address.split_once("://").map_or(address, |(_, rest)| rest);
    let authority = after_scheme.split('/').next().unwrap_or_default();
    let (user_information, _) = authority.rsplit_once('@')?;
    (!user_information.is_empty()).then_some(user_information)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: i64 = 1_760_783_400_000;

    #[test]
    fn reply_with_oldest_decodes() {
        let reply = [
            RedisResult::Int64(1),
            RedisResult::Int64(7),
            RedisResult::Int64(NOW_MS - 5),
        ];
        assert_eq!(
            decode_reply(&reply).unwrap(),
            RateDecision {
                admitted: true,
                count_in_window: 7,
                oldest_at_ms: Some(NOW_MS - 5),
            }
        );
    }

    #[test]
    fn rejection_reply_decodes() {
        let reply = [
            RedisResult::Int64(0),
            RedisResult::Int64(20),
            RedisResult::Int64(NOW_MS - 5),
        ];
        let decision = decode_reply(&reply).unwrap();
        assert!(!decision.admitted);
        assert_eq!(decision.count_in_window, 20);
    }

    #[test]
    fn empty_set_reply_has_no_oldest() {
        let reply = [RedisResult::Int64(0), RedisResult::Int64(0)];
        assert_eq!(
            decode_reply(&reply).unwrap(),
            RateDecision {
                admitted: false,
                count_in_window: 0,
                oldest_at_ms: None,
            }
        );
    }

    #[test]
    fn malformed_replies_are_errors() {
        let replies: [&[RedisResult]; 5] = [
            &[],
            &[RedisResult::Int64(1)],
            &[RedisResult::Int64(1), RedisResult::Nil],
            &[RedisResult::Status("OK".into())],
            &[RedisResult::Int64(1), RedisResult::Int64(-1)],
        ];
        for reply in replies {
            assert!(decode_reply(reply).is_err(), "{reply:?}");
        }
    }

    #[test]
    fn script_arguments_follow_script() {
        let arguments = script_arguments("cv:ratelimit:leads:bootstrap", NOW_MS, 100, "m".into());
        assert!(
            matches!(&arguments[0], RedisParameter::Binary(script) if script == SCRIPT.as_bytes())
        );
        assert!(matches!(arguments[1], RedisParameter::Int64(1)));
        assert!(
            matches!(&arguments[2], RedisParameter::Binary(key) if key == b"cv:ratelimit:leads:bootstrap")
        );
        assert!(matches!(arguments[3], RedisParameter::Int64(now) if now == NOW_MS));
        assert!(
            matches!(arguments[4], RedisParameter::Int64(cutoff) if cutoff == NOW_MS - WINDOW_MS)
        );
        assert!(matches!(arguments[5], RedisParameter::Int64(WINDOW_MS)));
        assert!(matches!(arguments[6], RedisParameter::Int64(100)));
        assert!(matches!(&arguments[7], RedisParameter::Binary(member) if member == b"m"));
        assert_eq!(arguments.len(), 8);
    }

    #[test]
    fn members_are_unique_within_a_millisecond() {
        let first = unique_member(NOW_MS).unwrap();
        let second = unique_member(NOW_MS).unwrap();
        assert_ne!(first, second);
        assert!(first.starts_with("1760783400000-"), "{first}");
    }

    #[test]
    fn error_text_hides_address_and_password() {
        let address = "redis://user:s3cret@cache.internal:6379";
        let message = format!("failed to connect to {address}; auth user:s3cret rejected");
        let error = describe_redis_error(&spin_sdk::redis::Error::Other(message), address);
        let text = error.to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("[redis address]"), "{text}");
    }

    #[test]
    fn address_without_password_has_no_user_information() {
        assert_eq!(user_information("redis://cache.internal:6379"), None);
        assert_eq!(user_information("redis://:pw@cache:6379"), Some(":pw"));
        assert_eq!(user_information("redis://cache:6379/0?x=a@b"), None);
    }
}
