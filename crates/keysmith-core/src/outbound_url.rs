//! The rule for every URL Keysmith sends to — webhooks and renewal callbacks: absolute, https,
//! or plain http only to a loopback address (a receiver on this computer); no user name or
//! password in it (they would show wherever the URL does; webhooks have Basic auth for that),
//! no fragment, at most 2,048 characters.

/// The longest URL accepted.
const MAX_LEN: usize = 2048;

/// `text` as a URL Keysmith may send to, normalized; or why not, in words.
pub(crate) fn check(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    if text.len() > MAX_LEN {
        return Err("The URL is longer than 2,048 characters");
    }
    let url = url::Url::parse(text)
        .map_err(|_| "Enter a full URL, e.g. https://hooks.example.com/keysmith")?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
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
}
