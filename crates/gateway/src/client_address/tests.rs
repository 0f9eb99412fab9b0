use http::HeaderValue;

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn proxies(text: &str) -> TrustedProxies {
    TrustedProxies::parse(text).unwrap()
}

fn headers(peer: &str, forwarded_for: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CLIENT_ADDRESS_HEADER, HeaderValue::from_str(peer).unwrap());
    for value in forwarded_for {
        headers.append(FORWARDED_FOR_HEADER, HeaderValue::from_str(value).unwrap());
    }
    headers
}

#[test]
fn empty_list_trusts_nothing() {
    let trusted = proxies("");
    assert!(trusted.is_empty());
    assert!(!trusted.contains(ip("127.0.0.1")));
}

#[test]
fn list_accepts_commas_and_whitespace() {
    let trusted = proxies("10.0.0.1, 10.0.0.2\t10.0.0.3\n,10.0.0.4");
    for address in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"] {
        assert!(trusted.contains(ip(address)), "{address}");
    }
    assert!(!trusted.contains(ip("10.0.0.5")));
}

#[test]
fn ipv4_range_contains_its_addresses() {
    let trusted = proxies("10.1.0.0/16");
    assert!(trusted.contains(ip("10.1.0.0")));
    assert!(trusted.contains(ip("10.1.255.255")));
    assert!(!trusted.contains(ip("10.2.0.0")));
    assert!(!trusted.contains(ip("10.0.255.255")));
}

#[test]
fn host_bits_of_range_are_ignored() {
    assert!(proxies("10.1.2.3/8").contains(ip("10.200.0.1")));
}

#[test]
fn zero_prefix_contains_whole_family() {
    let trusted = proxies("0.0.0.0/0");
    assert!(trusted.contains(ip("203.0.113.7")));
    assert!(!trusted.contains(ip("2001:db8::1")));
}

#[test]
fn ipv6_range_contains_its_addresses() {
    let trusted = proxies("2001:db8::/32");
    assert!(trusted.contains(ip("2001:db8::1")));
    assert!(trusted.contains(ip("2001:db8:ffff::1")));
    assert!(!trusted.contains(ip("2001:db9::1")));
    assert!(!trusted.contains(ip("10.0.0.1")));
}

#[test]
fn single_ipv6_address_is_exact() {
    let trusted = proxies("::1");
    assert!(trusted.contains(ip("::1")));
    assert!(!trusted.contains(ip("::2")));
}

#[test]
fn mapped_ipv4_address_matches_ipv4_entry() {
    let trusted = proxies("10.0.0.1");
    assert!(trusted.contains(ip("::ffff:10.0.0.1")));
}

#[test]
fn mapped_ipv4_range_matches_ipv4_address() {
    let trusted = proxies("::ffff:10.0.0.0/104");
    assert!(trusted.contains(ip("10.9.8.7")));
    assert!(!trusted.contains(ip("11.0.0.1")));
}

#[test]
fn invalid_entries_are_all_reported() {
    let invalid =
        TrustedProxies::parse("10.0.0.1, proxy.local, 10.0.0.0/33, ::1/129, 10.0.0.0/x, /8")
            .unwrap_err();
    assert_eq!(
        invalid,
        ["proxy.local", "10.0.0.0/33", "::1/129", "10.0.0.0/x", "/8"]
    );
}

#[test]
fn peer_address_drops_port() {
    let headers = headers("203.0.113.7:52114", &[]);
    assert_eq!(
        client_address(&headers, &TrustedProxies::default()),
        Some(ip("203.0.113.7"))
    );
}

#[test]
fn ipv6_peer_address_drops_port() {
    let headers = headers("[2001:db8::7]:52114", &[]);
    assert_eq!(
        client_address(&headers, &TrustedProxies::default()),
        Some(ip("2001:db8::7"))
    );
}

#[test]
fn peer_address_without_port_is_read() {
    let headers = headers("203.0.113.7", &[]);
    assert_eq!(
        client_address(&headers, &TrustedProxies::default()),
        Some(ip("203.0.113.7"))
    );
}

#[test]
fn mapped_peer_address_is_canonical() {
    let headers = headers("[::ffff:203.0.113.7]:52114", &[]);
    assert_eq!(
        client_address(&headers, &TrustedProxies::default()),
        Some(ip("203.0.113.7"))
    );
}

#[test]
fn missing_or_unreadable_peer_is_unknown() {
    assert_eq!(
        client_address(&HeaderMap::new(), &TrustedProxies::default()),
        None
    );
    let headers = headers("not-an-address", &[]);
    assert_eq!(client_address(&headers, &TrustedProxies::default()), None);
}

#[test]
fn forwarded_for_from_untrusted_peer_is_ignored() {
    let headers = headers("203.0.113.7:52114", &["198.51.100.1"]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8")),
        Some(ip("203.0.113.7"))
    );
}

#[test]
fn forwarded_for_from_trusted_peer_names_client() {
    let headers = headers("10.0.0.5:443", &["198.51.100.1"]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
}

#[test]
fn right_most_untrusted_entry_is_client() {
    let headers = headers("10.0.0.5:443", &["192.0.2.66, 198.51.100.1, 10.0.0.9"]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
}

#[test]
fn several_forwarded_for_headers_form_one_chain() {
    let headers = headers("10.0.0.5:443", &["192.0.2.66", "198.51.100.1, 10.0.0.9"]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
}

#[test]
fn all_trusted_chain_gives_left_most_entry() {
    let headers = headers("10.0.0.5:443", &["10.0.0.7, 10.0.0.9"]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8")),
        Some(ip("10.0.0.7"))
    );
}

#[test]
fn trusted_peer_without_forwarded_for_is_client() {
    let headers = headers("10.0.0.5:443", &[]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8")),
        Some(ip("10.0.0.5"))
    );
}

#[test]
fn unreadable_entry_stops_at_last_trusted_hop() {
    let headers = headers("10.0.0.5:443", &["198.51.100.1, garbage, 10.0.0.9"]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8")),
        Some(ip("10.0.0.9"))
    );
}

#[test]
fn unreadable_right_most_entry_gives_peer() {
    let headers = headers("10.0.0.5:443", &["198.51.100.1, unknown"]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8")),
        Some(ip("10.0.0.5"))
    );
}

#[test]
fn forwarded_entries_may_carry_ports() {
    let headers = headers("10.0.0.5:443", &["[2001:db8::5]:1234, 198.51.100.1:80"]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8")),
        Some(ip("198.51.100.1"))
    );
}

#[test]
fn spoofed_entries_left_of_client_ignored() {
    let headers = headers("10.0.0.5:443", &["127.0.0.1, 10.0.0.1, 198.51.100.1"]);
    assert_eq!(
        client_address(&headers, &proxies("10.0.0.0/8, 127.0.0.1")),
        Some(ip("198.51.100.1"))
    );
}
