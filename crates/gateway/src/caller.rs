//! Callers, the identities whose budgets requests spend, and the route
//! groups that share a budget.

use std::fmt;
use std::net::IpAddr;

/// A set of routes that share one rate-limit budget per caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteGroup {
    /// `/api/leads` and `/api/leads/{id}` (`rate_limit_leads`).
    Leads,
    /// `/api/analytics/…` (`rate_limit_analytics`).
    Analytics,
    /// `/api/analyze` and `/api/classify-lead` (`rate_limit_ai`).
    Ai,
    /// `/health`, limited per client address (`rate_limit_health`).
    Health,
    /// `/api/admin/…`, which is not rate limited.
    Admin,
}

impl RouteGroup {
    /// Every group.
    pub const ALL: [RouteGroup; 5] = [
        RouteGroup::Leads,
        RouteGroup::Analytics,
        RouteGroup::Ai,
        RouteGroup::Health,
        RouteGroup::Admin,
    ];

    /// Returns the group's name in rate-limit keys, such as `leads`.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteGroup::Leads => "leads",
            RouteGroup::Analytics => "analytics",
            RouteGroup::Ai => "ai",
            RouteGroup::Health => "health",
            RouteGroup::Admin => "admin",
        }
    }
}

impl fmt::Display for RouteGroup {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The identity whose budget a request spends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A stored API key, by its id (`key_…`).
    ApiKey(String),
    /// The key in the `bootstrap_api_key` setting.
    Bootstrap,
    /// The subject (`sub`) of a verified JWT.
    Subject(String),
    /// A request without credentials on a public route, by client address.
    /// `None` when Spin reported no readable address, in which case all such
    /// requests share one budget.
    Client(Option<IpAddr>),
}

impl Caller {
    /// Returns the caller's part of a rate-limit key: the API key id,
    /// `bootstrap`, `sub:` and the subject, or `ip:` and the address
    /// (`ip:unknown` without one).
    ///
    /// Key ids contain only letters, digits and `_`, so the prefixes keep a
    /// subject or an address from naming another caller's budget.
    pub fn rate_limit_id(&self) -> String {
        match self {
            Caller::ApiKey(id) => id.clone(),
            Caller::Bootstrap => "bootstrap".to_owned(),
            Caller::Subject(subject) => format!("sub:{subject}"),
            Caller::Client(Some(address)) => format!("ip:{address}"),
            Caller::Client(None) => "ip:unknown".to_owned(),
        }
    }
}

impl Caller {
    /// Returns the caller as lead events name it in `updated_by`: the JWT
    /// subject as it is, the API key id, `bootstrap`, or `ip:` and the client
    /// address for a request without credentials.
    pub fn event_actor(&self) -> String {
        match self {
            Caller::Subject(subject) => subject.clone(),
            other => other.rate_limit_id(),
        }
    }
}

/// Writes [`Caller::rate_limit_id`].
impl fmt::Display for Caller {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.rate_limit_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_distinct() {
        let names: std::collections::HashSet<&str> =
            RouteGroup::ALL.iter().map(|group| group.as_str()).collect();
        assert_eq!(names.len(), RouteGroup::ALL.len());
    }

    #[test]
    fn caller_ids_name_their_kind() {
        let cases = [
            (
                Caller::ApiKey("key_0123456789abcdef".into()),
                "key_0123456789abcdef",
            ),
            (Caller::Bootstrap, "bootstrap"),
            (Caller::Subject("user_123456".into()), "sub:user_123456"),
            (
                Caller::Client(Some("203.0.113.7".parse().unwrap())),
                "ip:203.0.113.7",
            ),
            (
                Caller::Client(Some("2001:db8::1".parse().unwrap())),
                "ip:2001:db8::1",
            ),
            (Caller::Client(None), "ip:unknown"),
        ];
        for (caller, id) in cases {
            assert_eq!(caller.rate_limit_id(), id);
            assert_eq!(caller.to_string(), id);
        }
    }

    #[test]
    fn event_actor_is_subject_key_id_or_bootstrap() {
        let cases = [
            (Caller::Subject("user_789".into()), "user_789"),
            (
                Caller::ApiKey("key_0123456789abcdef".into()),
                "key_0123456789abcdef",
            ),
            (Caller::Bootstrap, "bootstrap"),
        ];
        for (caller, actor) in cases {
            assert_eq!(caller.event_actor(), actor);
        }
    }

    #[test]
    fn subject_cannot_take_another_callers_budget() {
        for subject in ["bootstrap", "key_0123456789abcdef", "ip:203.0.113.7"] {
            let id = Caller::Subject(subject.into()).rate_limit_id();
            assert_ne!(id, Caller::Bootstrap.rate_limit_id());
            assert_ne!(id, Caller::ApiKey(subject.into()).rate_limit_id());
            assert_ne!(id, subject);
        }
    }
}
