//! The client address of a request: the peer that Spin reports, or the
//! address that trusted proxies forwarded.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use http::HeaderMap;

/// Header in which Spin passes the peer's socket address, such as
/// `203.0.113.7:52114` or `[2001:db8::1]:52114`.
pub const CLIENT_ADDRESS_HEADER: &str = "spin-client-addr";

/// Header in which proxies list the addresses a request passed through,
/// the client first.
pub const FORWARDED_FOR_HEADER: &str = "x-forwarded-for";

/// Addresses and CIDR ranges of the proxies whose `X-Forwarded-For` is
/// believed. An empty list trusts no proxy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    ranges: Vec<IpRange>,
}

impl TrustedProxies {
    /// Parses addresses and CIDR ranges such as `10.0.0.0/8` or
    /// `2001:db8::1`, separated by commas or whitespace.
    ///
    /// # Errors
    ///
    /// Returns every entry that is neither an IP address nor a CIDR range.
    pub fn parse(text: &str) -> Result<TrustedProxies, Vec<String>> {
        let mut ranges = Vec::new();
        let mut invalid = Vec::new();
        let entries = text
            .split(|character: char| character == ',' || character.is_whitespace())
            .filter(|entry| !entry.is_empty());
        for entry in entries {
            match IpRange::parse(entry) {
                Some(range) => ranges.push(range),
                None => invalid.push(entry.to_owned()),
            }
        }
        if invalid.is_empty() {
            Ok(TrustedProxies { ranges })
        } else {
            Err(invalid)
        }
    }

    /// Returns whether `address` is one of the trusted proxies. An IPv4-mapped IPv6
    /// address counts as its IPv4 address.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.ranges.iter().any(|range| range.contains(address))
    }

    /// Returns whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// A network: an address whose first `prefix_length` bits are fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IpRange {
    network: IpAddr,
    prefix_length: u8,
}

impl IpRange {
    /// Parses `address` or `address/prefix-length`. Host bits set in the
    /// address are ignored, as `10.1.2.3/8` means `10.0.0.0/8`.
    fn parse(text: &str) -> Option<IpRange> {
        let (address, prefix_length) = match text.split_once('/') {
            Some((address, length)) => {
                let length = length.parse::<u8>().ok()?;
                (address.parse::<IpAddr>().ok()?, Some(length))
            }
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let range = match (address, prefix_length) {
            (IpAddr::V4(_), Some(length)) if length > 32 => return None,
            (IpAddr::V6(_), Some(length)) if length > 128 => return None,
            (IpAddr::V4(_), length) => IpRange {
                network: address,
                prefix_length: length.unwrap_or(32),
            },
            (IpAddr::V6(v6), length) => from_ipv6(v6, length.unwrap_or(128)),
        };
        Some(range)
    }

    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix_length));
                let mask = mask.unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix_length));
                let mask = mask.unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// Builds an IPv6 range. An IPv4-mapped range such as `::ffff:10.0.0.0/104`
/// becomes the IPv4 range `10.0.0.0/8`, because addresses are compared in
/// canonical form.
fn from_ipv6(address: Ipv6Addr, prefix_length: u8) -> IpRange {
    match address.to_ipv4_mapped() {
        Some(v4) if prefix_length >= 96 => IpRange {
            network: IpAddr::V4(v4),
            prefix_length: prefix_length - 96,
        },
        _ => IpRange {
            network: IpAddr::V6(address),
            prefix_length,
        },
    }
}

/// Returns the address of the client that sent the request, or `None` when
/// Spin reported no readable peer address.
///
/// The peer address comes from the `spin-client-addr` header. When the peer
/// is a trusted proxy, the `X-Forwarded-For` entries are read from the right,
/// and the first entry that is not itself a trusted proxy is the client. If
/// every entry is trusted, the left-most is the client. An entry that is not
/// an address stops the walk, and the last trusted hop before it counts as
/// the client, because nothing to its left can be believed.
pub fn client_address(headers: &HeaderMap, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = headers
        .get(CLIENT_ADDRESS_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_address)?;
    if !trusted.contains(peer) {
        return Some(peer);
    }

    let mut client = peer;
    for entry in forwarded_for_entries(headers).iter().rev() {
        let Some(address) = entry.and_then(parse_address) else {
            break;
        };
        client = address;
        if !trusted.contains(address) {
            break;
        }
    }
    Some(client)
}

/// Collects every `X-Forwarded-For` entry in order, across all such headers. A header
/// value that is not visible ASCII is one unreadable entry.
fn forwarded_for_entries(headers: &HeaderMap) -> Vec<Option<&str>> {
    let mut entries = Vec::new();
    for value in headers.get_all(FORWARDED_FOR_HEADER) {
        match value.to_str() {
            Ok(text) => entries.extend(text.split(',').map(|entry| Some(entry.trim()))),
            Err(_) => entries.push(None),
        }
    }
    entries
}

/// Parses an address with or without a port: `203.0.113.7`,
/// `203.0.113.7:52114`, `2001:db8::1` or `[2001:db8::1]:52114`. The result
/// is canonical, so an IPv4-mapped IPv6 address becomes IPv4.
fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let address = match text.parse::<IpAddr>() {
        Ok(address) => address,
        Err(_) => text.parse::<SocketAddr>().ok()?.ip(),
    };
    Some(address.to_canonical())
}

#[cfg(test)]
mod tests;
