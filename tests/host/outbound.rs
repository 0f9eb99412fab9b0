//! `allowed_outbound_hosts` patterns such as `redis://*:*`,
//! `https://*.example.com` or `http://127.0.0.1:8080`.

use anyhow::{Result, bail};

/// One allowed destination pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowedHost {
    scheme: String,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq)]
enum HostPattern {
    Any,
    Suffix(String),
    Exact(String),
}

#[derive(Debug, Clone, PartialEq)]
enum PortPattern {
    Any,
    Exact(u16),
    Range(u16, u16),
}

/// The allowed destinations of one component.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allowed: Vec<AllowedHost>,
}

impl OutboundPolicy {
    /// Parses every pattern of a component's manifest entry.
    pub fn parse(patterns: &[String]) -> Result<OutboundPolicy> {
        let allowed = patterns
            .iter()
            .map(|p| AllowedHost::parse(p))
            .collect::<Result<_>>()?;
        Ok(OutboundPolicy { allowed })
    }

    /// Checks whether a connection to `url` (such as `redis://127.0.0.1:6379`) is allowed.
    pub fn allows_url(&self, url: &str) -> bool {
        let Some((scheme, rest)) = url.split_once("://") else {
            return false;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let (host, port) = split_host_port(authority);
        let Some(port) = port.or_else(|| default_port(scheme)) else {
            return false;
        };
        self.allows(scheme, host, port)
    }

    /// Checks whether `scheme://host:port` is allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        self.allowed.iter().any(|a| a.matches(scheme, &host, port))
    }
}

impl AllowedHost {
    fn parse(pattern: &str) -> Result<AllowedHost> {
        let Some((scheme, authority)) = pattern.split_once("://") else {
            bail!("allowed host {pattern:?} needs a scheme, such as https://");
        };
        let authority = authority.trim_end_matches('/');
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
                (host, Some(port))
            }
            _ => (authority, None),
        };
        let host = match host {
            "*" => HostPattern::Any,
            h if h.starts_with("*.") => HostPattern::Suffix(h[1..].to_ascii_lowercase()),
            h if h.contains('*') => {
                bail!("allowed host {pattern:?}: `*` must be the whole host or its first label")
            }
            h => HostPattern::Exact(h.trim_matches(['[', ']']).to_ascii_lowercase()),
        };
        let port = match port {
            Some("*") => PortPattern::Any,
            Some(p) => match p.split_once("..") {
                Some((from, to)) => PortPattern::Range(from.parse()?, to.parse()?),
                None => PortPattern::Exact(p.parse()?),
            },
            None => match default_port(scheme) {
                Some(p) => PortPattern::Exact(p),
                None => bail!("allowed host {pattern:?} needs a port"),
            },
        };
        Ok(AllowedHost {
            scheme: scheme.to_string(),
            host,
            port,
        })
    }

    fn matches(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self.scheme == "*" || self.scheme == scheme;
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Suffix(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Exact(exact) => exact == host.trim_matches(['[', ']']),
        };
        let port_ok = match self.port {
            PortPattern::Any => true,
            PortPattern::Exact(p) => p == port,
            PortPattern::Range(from, to) => (from..to).contains(&port),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn split_host_port(authority: &str) -> (&str, Option<u16>) {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        return (host, after.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()),
        None => (authority, None),
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "redis" => Some(6379),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(patterns: &[&str]) -> OutboundPolicy {
        OutboundPolicy::parse(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn wildcard_redis_allows_any_redis_host() {
        let p = policy(&["redis://*:*"]);
        assert!(p.allows_url("redis://127.0.0.1:6379"));
        assert!(p.allows_url("redis://cache.internal"));
        assert!(!p.allows_url("https://example.com"));
    }

    #[test]
    fn exact_host_and_default_port() {
        let p = policy(&["https://api.example.com"]);
        assert!(p.allows_url("https://api.example.com/v1"));
        assert!(!p.allows_url("https://api.example.com:8443/v1"));
        assert!(!p.allows_url("https://evil.example.com/"));
    }

    #[test]
    fn subdomain_wildcard_and_port_range() {
        let p = policy(&["http://*.example.com:8000..8010"]);
        assert!(p.allows_url("http://a.example.com:8005/"));
        assert!(!p.allows_url("http://a.example.com:8010/"));
        assert!(!p.allows_url("http://example.org:8005/"));
    }

    #[test]
    fn no_patterns_allow_nothing() {
        assert!(!policy(&[]).allows_url("redis://127.0.0.1:6379"));
    }
}
