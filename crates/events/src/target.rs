//! Checks of a webhook subscription's target URL.
//!
//! A target must be an absolute `http` or `https` URL without user
//! credentials or a fragment. Unless private targets are allowed, its host
//! may be neither `localhost` nor a name under `.localhost`. Nor may it be
//! an IP address that is loopback, private, link-local, unique-local,
//! unspecified, shared (RFC 6598), multicast, broadcast or reserved.
//! Link-local includes the cloud metadata address 169.254.169.254. IPv6
//! addresses that embed an IPv4 address (IPv4-mapped, NAT64 `64:ff9b::/96`
//! and 6to4 `2002::/16`) are judged by the embedded address.
//!
//! NOTE: a DNS name is not resolved here, so a public name that resolves to
//! a private address passes. The worker's `allowed_outbound_hosts` decides
//! which hosts it can reach at all.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Longest accepted target URL, in bytes.
pub const MAX_URL_LENGTH: usize = 2048;

/// The reason a target URL was rejected. Its text suits a validation detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// Longer than [`MAX_URL_LENGTH`].
    TooLong,
    /// Not an absolute URL.
    Invalid,
    /// A scheme other than `http` or `https`.
    Scheme,
    /// A user name or password in the URL.
    Credentials,
    /// A `#fragment`, which is never sent.
    Fragment,
    /// No host.
    MissingHost,
    /// A loopback, private or otherwise internal host.
    PrivateHost,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = match self {
            TargetError::TooLong => "must be at most 2048 characters",
            TargetError::Invalid => "must be an absolute URL",
            TargetError::Scheme => "must use http or https",
            TargetError::Credentials => "must not contain a user name or password",
            TargetError::Fragment => "must not contain a fragment",
            TargetError::MissingHost => "must name a host",
            TargetError::PrivateHost => {
                "must not point to a loopback, private, link-local or other internal address"
            }
        };
        formatter.write_str(message)
    }
}

impl std::error::Error for TargetError {}

/// Parses and checks a target URL. Returns it in the normalised form that
/// the worker requests, such as `http://127.0.0.1/` for `http://0x7f.1`.
///
/// With `allow_private`, internal hosts are accepted, for deployments whose
/// subscribers live on a private network (the `webhook_allow_private`
/// variable).
pub fn check_target(raw: &str, allow_private: bool) -> Result<Url, TargetError> {
    if raw.len() > MAX_URL_LENGTH {
        return Err(TargetError::TooLong);
    }
    let url = Url::parse(raw).map_err(|_| TargetError::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    if url.fragment().is_some() {
        return Err(TargetError::Fragment);
    }
    let host = url.host().ok_or(TargetError::MissingHost)?;
    if !allow_private && is_internal_host(&host) {
        return Err(TargetError::PrivateHost);
    }
    Ok(url)
}

fn is_internal_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => is_local_name(name),
        Host::Ipv4(address) => is_internal_ipv4(*address),
        Host::Ipv6(address) => is_internal_ipv6(*address),
    }
}

/// `localhost` and names under it resolve to loopback (RFC 6761). The URL
/// parser lower-cases names; a trailing dot names the same host.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name == "localhost" || name.ends_with(".localhost")
}

fn is_internal_ipv4(address: Ipv4Addr) -> bool {
    let [first, second, ..] = address.octets();
    address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_unspecified()
        || address.is_broadcast()
        || address.is_multicast()
        // 0.0.0.0/8, "this network".
        || first == 0
        // 100.64.0.0/10, shared address space for carrier-grade NAT.
        || (first == 100 && (64..128).contains(&second))
        // 240.0.0.0/4, reserved.
        || first >= 240
}

fn is_internal_ipv6(address: Ipv6Addr) -> bool {
    if let Some(embedded) = embedded_ipv4(address) {
        return is_internal_ipv4(embedded);
    }
    let first = address.segments()[0];
    address.is_loopback()
        || address.is_unspecified()
        || address.is_multicast()
        // fc00::/7, unique local addresses.
        || (first & 0xfe00) == 0xfc00
        // fe80::/10, link-local unicast.
        || (first & 0xffc0) == 0xfe80
        // fec0::/10, the deprecated site-local unicast.
        || (first & 0xffc0) == 0xfec0
}

/// Returns the IPv4 address inside an IPv4-mapped (`::ffff:0:0/96`), NAT64
/// (`64:ff9b::/96`) or 6to4 (`2002::/16`) address.
fn embedded_ipv4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(mapped) = address.to_ipv4_mapped() {
        return Some(mapped);
    }
    let segments = address.segments();
    let octets = address.octets();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(
            octets[12], octets[13], octets[14], octets[15],
        ));
    }
    if segments[0] == 0x2002 {
        return Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_targets_are_accepted() {
        for raw in [
            "https://hooks.example.com/cloudvelous",
            "http://hooks.example.com:8080/path?x=1",
            "https://93.184.215.14/hook",
            "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
        ] {
            assert!(check_target(raw, false).is_ok(), "{raw}");
        }
    }

    #[test]
    fn internal_targets_are_rejected() {
        for raw in [
            "http://localhost/hook",
            "http://LOCALHOST./hook",
            "http://api.localhost/hook",
            "http://127.0.0.1:8080/hook",
            "http://127.1/hook",
            "http://0x7f000001/hook",
            "http://2130706433/hook",
            "http://10.1.2.3/hook",
            "http://172.16.0.1/hook",
            "http://192.168.1.1/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/hook",
            "http://100.64.0.1/hook",
            "http://224.0.0.1/hook",
            "http://255.255.255.255/hook",
            "http://[::1]/hook",
            "http://[::]/hook",
            "http://[fd00::1]/hook",
            "http://[fc00::1]/hook",
            "http://[fe80::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[::ffff:169.254.169.254]/hook",
            "http://[64:ff9b::a00:1]/hook",
            "http://[2002:c0a8:101::1]/hook",
        ] {
            assert_eq!(
                check_target(raw, false).map(|url| url.to_string()),
                Err(TargetError::PrivateHost),
                "{raw}"
            );
        }
    }

    #[test]
    fn internal_targets_pass_when_allowed() {
        let url = check_target("http://127.0.0.1:9000/hook", true).unwrap();

        assert_eq!(url.as_str(), "http://127.0.0.1:9000/hook");
    }

    #[test]
    fn malformed_targets_are_rejected() {
        let cases = [
            ("hooks.example.com/path", TargetError::Invalid),
            ("", TargetError::Invalid),
            ("ftp://hooks.example.com/", TargetError::Scheme),
            ("file:///etc/passwd", TargetError::Scheme),
            ("redis://hooks.example.com/", TargetError::Scheme),
            (
                "https://user:pw@hooks.example.com/",
                TargetError::Credentials,
            ),
            ("https://user@hooks.example.com/", TargetError::Credentials),
            ("https://hooks.example.com/#top", TargetError::Fragment),
        ];
        for (raw, expected) in cases {
            assert_eq!(check_target(raw, false), Err(expected), "{raw}");
        }
    }

    #[test]
    fn overlong_target_is_rejected() {
        let raw = format!("https://hooks.example.com/{}", "a".repeat(MAX_URL_LENGTH));

        assert_eq!(check_target(&raw, false), Err(TargetError::TooLong));
    }

    #[test]
    fn target_is_normalised() {
        let url = check_target("HTTPS://Hooks.Example.COM", false).unwrap();

        assert_eq!(url.as_str(), "https://hooks.example.com/");
    }
}
