//! Which address a request came from, for rate limits and logs. Behind a reverse proxy the
//! socket peer is the proxy, so every user would share one budget; the proxy names the
//! client in `Forwarded` (RFC 7239) or `X-Forwarded-For`. Those headers are anyone's to
//! write, so they are read only when the peer is a configured trusted proxy, and then from
//! the right: the nearest address that is not itself a trusted proxy is the client.
use std::net::IpAddr;

/// One trusted proxy address or network (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedNetwork {
    address: IpAddr,
    prefix: u8,
}

impl TrustedNetwork {
    pub fn parse(text: &str) -> Result<TrustedNetwork, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or network"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?} has a prefix length outside 0..={max}"))?,
            None => max,
        };
        Ok(TrustedNetwork { address, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (net, ip, bits) = match (self.address, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                (u32::from(net) as u128, u32::from(ip) as u128, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => (u128::from(net), u128::from(ip), 128),
            _ => return false,
        };
        if self.prefix == 0 {
            return true;
        }
        let shift = bits - u32::from(self.prefix);
        (net >> shift) == (ip >> shift)
    }
}

/// Parses a comma-separated list of trusted proxies (empty: trust none).
pub fn parse_trusted(list: &str) -> Result<Vec<TrustedNetwork>, String> {
    list.split(',')
        .filter(|item| !item.trim().is_empty())
        .map(TrustedNetwork::parse)
        .collect()
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address. `forwarded` is the `Forwarded` header (preferred when present),
/// `forwarded_for` the `X-Forwarded-For` header; both may hold several comma-separated hops.
pub fn client_address(
    peer: IpAddr,
    forwarded: Option<&str>,
    forwarded_for: Option<&str>,
    trusted: &[TrustedNetwork],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = canonical(peer);
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<Option<IpAddr>> = match (forwarded, forwarded_for) {
        (Some(header), _) => header.split(',').map(forwarded_for_element).collect(),
        (None, Some(header)) => header.split(',').map(|hop| parse_hop(hop.trim())).collect(),
        (None, None) => return peer,
    };
    for hop in hops.into_iter().rev() {
        match hop {
            // An unreadable or obfuscated hop ends the trust chain: the proxy that wrote it
            // is the last address we can stand behind.
            None => break,
            Some(ip) if is_trusted(canonical(ip)) => continue,
            Some(ip) => return canonical(ip),
        }
    }
    peer
}

/// The `for=` parameter of one `Forwarded` element, e.g. `for="[2001:db8::1]:443";proto=https`.
fn forwarded_for_element(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_hop(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// An address with an optional port: `1.2.3.4`, `1.2.3.4:80`, `[::1]:80`, `::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (address, _port) = hop.rsplit_once(':')?;
    address.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies() -> Vec<TrustedNetwork> {
        parse_trusted("10.0.0.0/8, 127.0.0.1, fd00::/8").unwrap()
    }

    #[test]
    fn headers_from_untrusted_peers_are_ignored() {
        assert_eq!(
            client_address(ip("203.0.113.9"), None, Some("1.1.1.1"), &proxies()),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), None, Some("1.1.1.1"), &[]),
            ip("10.0.0.2"),
            "nothing is trusted unless configured"
        );
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        // The client spoofed the first entry; our proxies appended the real address.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                None,
                Some("6.6.6.6, 198.51.100.7, 10.1.1.1"),
                &proxies()
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), None, Some("10.1.1.1"), &proxies()),
            ip("127.0.0.1"),
            "only proxies: the peer stands"
        );
    }

    #[test]
    fn forwarded_is_preferred_and_parsed() {
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                Some("for=192.0.2.43, for=\"[2001:db8:cafe::17]:4711\";proto=https"),
                Some("9.9.9.9"),
                &proxies()
            ),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), Some("for=unknown"), None, &proxies()),
            ip("10.0.0.2"),
            "an obfuscated hop ends the chain"
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), None, Some("198.51.100.7:5000"), &proxies()),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn networks_match_by_prefix_and_mapped_addresses() {
        let net = TrustedNetwork::parse("192.168.0.0/16").unwrap();
        assert!(net.contains(ip("192.168.44.1")));
        assert!(!net.contains(ip("192.169.0.1")));
        assert!(net.contains(ip("::ffff:192.168.1.1")));
        assert!(TrustedNetwork::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("8.8.8.8")));
        assert!(TrustedNetwork::parse("10.0.0.0/33").is_err());
        assert!(TrustedNetwork::parse("proxy.local").is_err());
        assert!(parse_trusted("").unwrap().is_empty());
    }
}
