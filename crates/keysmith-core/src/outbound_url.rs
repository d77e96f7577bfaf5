//! The rule for every URL Keysmith sends to — webhooks and renewal callbacks: absolute, https,
//! or plain http only to a loopback address (a receiver on this computer); no user name or
//! password in it (they would show wherever the URL does; webhooks have Basic auth for that),
//! no fragment, at most 2,048 characters; and never to a link-local or cloud-metadata address
//! (169.254.169.254 and its kind), whose answers would be someone's instance credentials.
//!
//! Where a request may go is its [`Reach`]: a renewal callback, which any member sets for
//! their own credentials, goes to public addresses only, unless the account holder allows
//! private ones (loopback, 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7); the account
//! holder's own webhooks may go to private addresses. The URL's text is checked when it is
//! saved, and the address a name resolves to when it is sent to (`keysmith-delivery`), so a
//! name that resolves elsewhere later (DNS rebinding) gets nowhere.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How far an outbound request may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses only.
    Public,
    /// Private and loopback addresses as well.
    Private,
}

/// Cloud-metadata addresses outside the link-local range: Alibaba's (in 100.64/10) and AWS's
/// IPv6 one (in fc00::/7).
const METADATA: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)),
];

/// Names of cloud-metadata services, refused whatever they resolve to.
const METADATA_NAMES: [&str; 4] = [
    "metadata",
    "metadata.google.internal",
    "metadata.azure.internal",
    "instance-data",
];

impl Reach {
    /// Whether a request of this reach may go to `address`. Never to a link-local,
    /// cloud-metadata, unspecified, multicast or broadcast address.
    pub fn allows(self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        if is_never(address) {
            return false;
        }
        self == Reach::Private || !is_private(address)
    }
}

/// Addresses no request goes to.
fn is_never(address: IpAddr) -> bool {
    METADATA.contains(&address)
        || match address {
            IpAddr::V4(v4) => {
                v4.is_link_local()
                    || v4.is_unspecified()
                    || v4.is_multicast()
                    || v4.is_broadcast()
                    || v4.octets()[0] == 0
            }
            IpAddr::V6(v6) => {
                (v6.segments()[0] & 0xffc0) == 0xfe80 || v6.is_unspecified() || v6.is_multicast()
            }
        }
}

/// Loopback and the private ranges: this machine and the company's own network.
fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback() || v4.is_private() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Whether `url` (checked by [`check`]) names a private address or this machine by its text:
/// an address in a private range or loopback, or `localhost`. A name is judged when it is
/// resolved, at sending.
pub(crate) fn names_private(url: &str) -> bool {
    match url::Url::parse(url)
        .ok()
        .and_then(|url| url.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(domain)) => {
            let name = domain.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => !Reach::Public.allows(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => !Reach::Public.allows(IpAddr::V6(ip)),
        None => false,
    }
}

/// The longest URL accepted.
const MAX_LEN: usize = 2048;
/// Why a link-local, metadata, unspecified, multicast or broadcast address is refused.
const NEVER: &str =
    "Keysmith never sends to a link-local, cloud-metadata, multicast or unspecified address";

/// `text` as a URL Keysmith may send to, normalized; or why not, in words.
pub(crate) fn check(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    if text.len() > MAX_LEN {
        return Err("The URL is longer than 2,048 characters");
    }
    let url = url::Url::parse(text)
        .map_err(|_| "Enter a full URL, e.g. https://hooks.example.com/keysmith")?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => {
            let name = domain.trim_end_matches('.');
            if METADATA_NAMES.iter().any(|m| name.eq_ignore_ascii_case(m)) {
                return Err("That is a cloud-metadata service, which Keysmith never sends to");
            }
            name.eq_ignore_ascii_case("localhost")
        }
        Some(url::Host::Ipv4(ip)) if !Reach::Private.allows(IpAddr::V4(ip)) => {
            return Err(NEVER);
        }
        Some(url::Host::Ipv6(ip)) if !Reach::Private.allows(IpAddr::V6(ip)) => {
            return Err(NEVER);
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("The URL needs a host"),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(
            "Use https; plain http is only for a receiver on this computer (127.0.0.1, localhost)",
        ),
        _ => return Err("The URL must start with https://"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Put no user name or password in the URL");
    }
    if url.fragment().is_some() {
        return Err("The URL cannot have a #fragment");
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_this_computer() {
        for good in [
            "https://hooks.example.com/k",
            "http://127.0.0.1:8080/in",
            "http://localhost/x",
            "http://[::1]:9/",
            "http://127.3.2.1/",
        ] {
            assert!(check(good).is_ok(), "{good}");
        }
        for bad in [
            "http://hooks.example.com/",
            "http://10.0.0.1/",
            "ftp://example.com/",
            "hooks.example.com",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
            "",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(check(&format!("https://example.com/{}", "a".repeat(2048))).is_err());
    }

    #[test]
    fn link_local_and_metadata_addresses_are_never_sent_to() {
        for never in [
            "https://169.254.169.254/latest/meta-data/",
            "https://[fe80::1]/",
            "https://100.100.100.200/",
            "https://[fd00:ec2::254]/",
            "https://[::ffff:169.254.169.254]/",
            "https://0.0.0.0/",
            "https://224.0.0.1/",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://Metadata.Google.Internal./",
            "https://instance-data/",
        ] {
            assert!(check(never).is_err(), "{never}");
        }
        for address in [
            "169.254.169.254",
            "fe80::1",
            "100.100.100.200",
            "::",
            "ff02::1",
        ] {
            let address: IpAddr = address.parse().unwrap();
            assert!(!Reach::Private.allows(address), "{address}");
            assert!(!Reach::Public.allows(address), "{address}");
        }
    }

    #[test]
    fn private_addresses_are_for_private_reach_only() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd12::1",
            "::ffff:10.0.0.1",
        ] {
            let address: IpAddr = private.parse().unwrap();
            assert!(Reach::Private.allows(address), "{private}");
            assert!(!Reach::Public.allows(address), "{private}");
        }
        for public in [
            "93.184.216.34",
            "2606:2800:220:1::1",
            "172.32.0.1",
            "100.128.0.1",
        ] {
            let address: IpAddr = public.parse().unwrap();
            assert!(
                Reach::Public.allows(address) && Reach::Private.allows(address),
                "{public}"
            );
        }
        assert!(names_private("http://localhost:8080/x"));
        assert!(names_private("https://LocalHost./x"));
        assert!(names_private("https://api.localhost/x"));
        assert!(names_private("https://10.0.0.5/claims"));
        assert!(names_private("http://[::1]/"));
        assert!(!names_private("https://claims.example.com/in"));
        assert!(!names_private("https://93.184.216.34/in"));
    }
}
