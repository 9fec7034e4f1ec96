//! The SSRF guard: tenant-chosen targets may not point into the platform's own network.
//!
//! A webhook URL is chosen by a tenant, and the worker that posts to it sits inside the
//! deployment, next to MongoDB, RabbitMQ and the cloud metadata endpoint. So a target
//! that is — or resolves to — a loopback, private, link-local (which includes the
//! metadata address `169.254.169.254`), carrier-grade NAT, multicast, reserved or
//! unspecified address is refused, unless the operator lists its range in
//! `WEBHOOK_ALLOWED_CIDRS` (tests and local demos allow `127.0.0.0/8`).
//!
//! Two places check, with the same [`TargetGuard`]:
//! - the API, on the literal URL ([`TargetGuard::check_url`]): an IP-literal host (in
//!   any spelling the URL standard accepts, e.g. `http://2130706433/` is 127.0.0.1) or
//!   `localhost` is refused with 422 before anything is stored;
//! - the worker, on an IP-literal host ([`TargetGuard::check_ip_literal`]) and on every
//!   address a host name resolves to at delivery time ([`TargetGuard::check_ip`]),
//!   connecting only to the addresses it checked, so a DNS answer that changes between
//!   check and connect (rebinding) cannot slip through.
//!
//! The same guard, with the same allow-list, covers the sms and push adapters' base
//! URLs (operator settings, but a provider is never internal unless the operator says
//! so): a literal internal base URL stops the worker at start-up, and one whose name
//! resolves inside fails the delivery permanently. The SMTP relay is not guarded: an
//! internal relay (a local MTA) is the usual set-up.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::config::{ConfigError, Env};

/// The variable that lists the exempt ranges.
pub const ALLOWED_CIDRS_VAR: &str = "WEBHOOK_ALLOWED_CIDRS";

/// An address range such as `10.0.0.0/8` or `::1/128` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether the range holds `ip`, or the IPv4 address `ip` embeds (so allowing
    /// `127.0.0.0/8` allows `[::ffff:127.0.0.1]` too).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.holds(ip) || self.holds(canonical(ip))
    }

    fn holds(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[full] & mask) == (b[full] & mask)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an address or CIDR"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?} has a bad prefix length"))?,
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// An IPv6 address that carries an IPv4 address is judged as that IPv4 address: it is
/// where a packet to it ends up (through the host's own stack, a NAT64 gateway, a 6to4
/// or Teredo relay), so `[::ffff:127.0.0.1]`, `[::127.0.0.1]`, `[64:ff9b::7f00:1]` and
/// `[2002:7f00:1::]` are all loopback.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => embedded_v4(v6).map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The IPv4 address an IPv6 address embeds, if it is of a form that does:
/// - IPv4-mapped `::ffff:0:0/96` and IPv4-compatible `::/96` (deprecated, but a stack
///   may still route it; `::` and `::1` are IPv6's own unspecified and loopback);
/// - NAT64 well-known `64:ff9b::/96` (RFC 6052) and local-use `64:ff9b:1::/48`
///   (RFC 8215, the IPv4 in bits 48–87 around the reserved `u` octet);
/// - 6to4 `2002::/16` (RFC 3056, the IPv4 in bits 16–47);
/// - Teredo `2001::/32` (RFC 4380: the client's IPv4, bit-inverted, in the last 32 bits).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let o = v6.octets();
    let s = v6.segments();
    let last = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] {
        return (!v6.is_unspecified() && !v6.is_loopback()).then_some(last);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(last);
    }
    if s[..3] == [0x64, 0xff9b, 1] {
        return Some(Ipv4Addr::new(o[6], o[7], o[9], o[10]));
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    if s[..2] == [0x2001, 0] {
        return Some(Ipv4Addr::new(!o[12], !o[13], !o[14], !o[15]));
    }
    None
}

/// Whether `ip` is inside the deployment's own network rather than on the internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local() // includes the cloud metadata address 169.254.169.254
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (b & 0xc0) == 64) // carrier-grade NAT 100.64/10
        || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18/15
        || a >= 240 // reserved
}

fn is_internal_v6(v6: Ipv6Addr) -> bool {
    let first = v6.segments()[0];
    v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site local (deprecated) fec0::/10
}

/// A target the guard refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "{ip} is a loopback, private, link-local or otherwise internal address; \
         an operator can allow its range with {ALLOWED_CIDRS_VAR}"
    )]
    Internal { ip: IpAddr },
    #[error("{0}")]
    BadUrl(String),
}

/// What a tenant is told when its target is refused: a code and nothing about the
/// address. The address a name resolved to maps the deployment's internal DNS, so it
/// goes to the operator's log only (`Refused`'s own text).
pub const REFUSED_FOR_TENANTS: &str =
    "target_refused: the target is not allowed by this platform's network policy";

/// Decides whether a target may be contacted: internal addresses are refused unless
/// an allowed range contains them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetGuard {
    allowed: Vec<Cidr>,
}

impl TargetGuard {
    pub fn new(allowed: Vec<Cidr>) -> Self {
        Self { allowed }
    }

    /// Parses `WEBHOOK_ALLOWED_CIDRS`-style text: comma-separated ranges, blanks ignored.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let allowed = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse::<Cidr>)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { allowed })
    }

    /// `WEBHOOK_ALLOWED_CIDRS`, which the API and the workers read the same way.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.var(ALLOWED_CIDRS_VAR) {
            Some(raw) => Self::parse(&raw).map_err(|m| ConfigError::new(ALLOWED_CIDRS_VAR, m)),
            None => Ok(Self::default()),
        }
    }

    pub fn allowed(&self) -> &[Cidr] {
        &self.allowed
    }

    /// Checks one address (the worker calls this for every resolved address).
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        if is_internal(ip) && !self.allowed.iter().any(|c| c.contains(ip)) {
            return Err(Refused::Internal { ip });
        }
        Ok(())
    }

    /// Checks what can be known from the URL alone: an IP-literal host, or
    /// `localhost` (which always means loopback). Other host names pass here and are
    /// checked on their resolved addresses at delivery. (The API's check.)
    pub fn check_url(&self, raw: &str) -> Result<(), Refused> {
        let url = url::Url::parse(raw).map_err(|e| Refused::BadUrl(format!("not a URL: {e}")))?;
        match url.host() {
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name == "localhost" || name.ends_with(".localhost") {
                    self.check_ip(IpAddr::V4(Ipv4Addr::LOCALHOST))
                } else {
                    Ok(())
                }
            }
            _ => self.check_ip_literal(&url),
        }
    }

    /// Checks an IP-literal host, the one kind a DNS resolver never sees; a host name
    /// passes (the worker's resolver checks what it resolves to — `localhost`
    /// included, so that path is the one that refuses it there).
    pub fn check_ip_literal(&self, url: &url::Url) -> Result<(), Refused> {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => Ok(()),
            None => Err(Refused::BadUrl("the URL has no host".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn cidrs_match_their_ranges() {
        let lo: Cidr = "127.0.0.0/8".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(lo.contains(ip("127.1.2.3")));
        assert!(lo.contains(ip("::ffff:127.0.0.1")));
        assert!(!lo.contains(ip("128.0.0.1")));
        let odd: Cidr = "10.64.0.0/10".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(odd.contains(ip("10.127.255.255")));
        assert!(!odd.contains(ip("10.128.0.0")));
        let one: Cidr = "::1".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(one.contains(ip("::1")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nonsense".parse::<Cidr>().is_err());
        assert!(TargetGuard::parse("10.0.0.0/8, bad").is_err());
    }

    #[test]
    fn internal_ranges_are_internal_and_public_ones_are_not() {
        for internal in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            // IPv4-compatible, NAT64 local-use, 6to4 and Teredo, each embedding an
            // internal IPv4 (127.0.0.1, 10.0.0.1, 169.254.169.254, 127.0.0.1).
            "::127.0.0.1",
            "::a00:1",
            "64:ff9b:1:7f00:0:100::",
            "64:ff9b:1:a00:0:100::",
            "2002:a9fe:a9fe::1",
            "2002:7f00:1::",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
        ] {
            assert!(is_internal(ip(internal)), "{internal} should be internal");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "::808:808",
            "64:ff9b:1:808:8:800::",
            "2002:808:808::1",
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
        ] {
            assert!(!is_internal(ip(public)), "{public} should be public");
        }
    }

    #[test]
    fn literal_urls_are_refused_unless_allowed() {
        let guard = TargetGuard::default();
        for url in [
            "http://127.0.0.1/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.1:8080/",
            "http://[::1]/",
            "http://localhost:3000/",
            "http://2130706433/",
            "http://0x7f.1/",
            "https://[::ffff:192.168.0.1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[64:ff9b:1:7f00:0:100::]/",
            "http://[2002:7f00:1::]/",
            "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
        ] {
            assert!(
                matches!(guard.check_url(url), Err(Refused::Internal { .. })),
                "{url} should be refused"
            );
        }
        assert_eq!(guard.check_url("https://hooks.example.com/x"), Ok(()));
        assert_eq!(guard.check_url("http://93.184.216.34/"), Ok(()));

        let allowed = TargetGuard::parse("127.0.0.0/8").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(allowed.check_url("http://127.0.0.1:9/x"), Ok(()));
        assert_eq!(allowed.check_url("http://localhost:9/x"), Ok(()));
        assert!(allowed.check_url("http://10.0.0.1/").is_err());
        assert_eq!(allowed.check_url("http://[2002:7f00:1::]/"), Ok(()));
    }
}
