//! Links in a text (markdown and HTML images and links, bare URLs), the parts of a
//! URL, host allow-lists, and the decodings a payload hides behind.

use crate::spans::Taken;
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

/// How a client treats a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// An image: fetched by the client as soon as the text renders, with no click.
    Image,
    /// A link: fetched when someone follows it.
    Link,
}

/// A link found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Link<'a> {
    /// Image or link.
    pub kind: LinkKind,
    /// The URL as written.
    pub url: &'a str,
    /// Where the URL is in the text, in bytes.
    pub range: Range<usize>,
}

static PATTERNS: LazyLock<[(LinkKind, Regex); 4]> = LazyLock::new(|| {
    let target = r"\(\s*<?(https?://[^\s)>]+)";
    [
        (LinkKind::Image, Regex::new(&format!(r"!\[[^\]]{{0,500}}\]{target}")).unwrap()),
        (LinkKind::Link, Regex::new(&format!(r"\[[^\]]{{0,500}}\]{target}")).unwrap()),
        (LinkKind::Image, Regex::new(r#"(?i)<img\b[^>]{0,500}?\bsrc\s*=\s*["']?(https?://[^"'\s>]+)"#).unwrap()),
        (LinkKind::Link, Regex::new(r#"(?i)<a\b[^>]{0,500}?\bhref\s*=\s*["']?(https?://[^"'\s>]+)"#).unwrap()),
    ]
});
static REFERENCE_DEF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^ {0,3}\[([^\]]+)\]:\s*<?(https?://[^\s>]+)").unwrap());
static REFERENCE_IMAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"!\[[^\]]{0,500}\]\[([^\]]*)\]").unwrap());
static BARE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"\bhttps?://[^\s<>"'()\[\]{}`]+"#).unwrap());

/// Every http(s) link in `text`, in order: markdown images, links and reference
/// definitions (an image when an image uses the reference), HTML `img` and `a`, then
/// bare URLs not already inside one of those.
pub fn links(text: &str) -> Vec<Link<'_>> {
    let mut found: Vec<Link<'_>> = Vec::new();
    let mut taken = Taken::default();
    let mut push = |kind, range: Range<usize>| {
        if taken.take(&range) {
            found.push(Link { kind, url: &text[range.clone()], range });
        }
    };
    for (kind, regex) in PATTERNS.iter() {
        for c in regex.captures_iter(text) {
            push(*kind, c.get(1).expect("every pattern captures its URL").range());
        }
    }
    let image_refs: HashSet<String> = REFERENCE_IMAGE.captures_iter(text).map(|c| c[1].to_lowercase()).collect();
    for c in REFERENCE_DEF.captures_iter(text) {
        let kind = if image_refs.contains(&c[1].to_lowercase()) { LinkKind::Image } else { LinkKind::Link };
        push(kind, c.get(2).expect("captured").range());
    }
    for m in BARE.find_iter(text) {
        let url = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
        push(LinkKind::Link, m.start()..m.start() + url.len());
    }
    found.sort_by_key(|l| l.range.start);
    found
}

/// The parts of an http(s) URL that say where it goes and what it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Url<'a> {
    /// The host, lowercased, without port or trailing dot.
    pub host: String,
    /// The path, from its leading `/` (may be empty).
    pub path: &'a str,
    /// The query, without its `?` (may be empty).
    pub query: &'a str,
    /// The fragment, without its `#` (may be empty).
    pub fragment: &'a str,
}

/// Split an `http://` or `https://` URL; `None` for anything else.
pub fn parse(url: &str) -> Option<Url<'_>> {
    let lower = url.get(..8)?.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else {
        url.get(7..).filter(|_| lower.starts_with("http://"))?
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host_port.split(':').next().unwrap_or(host_port),
    };
    let (tail, fragment) = tail.split_once('#').unwrap_or((tail, ""));
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(Url { host, path, query, fragment })
}

/// Whether a host is an IP address rather than a name (dotted, or the decimal and
/// hex integer forms that resolvers also accept).
pub fn is_ip_literal(host: &str) -> bool {
    let dotted = host.split('.').count() == 4
        && host.split('.').all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    let integer = !host.is_empty() && host.bytes().all(|b| b.is_ascii_digit());
    let hex = host.strip_prefix("0x").is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
    dotted || integer || hex || host.contains(':')
}

/// Hosts an operator trusts: each entry covers the host and its subdomains.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostList {
    hosts: Vec<String>,
}

impl HostList {
    /// Parse entries such as `northwind.example` or `*.northwind.example`; the error
    /// names each bad entry by index.
    pub fn parse(entries: &[String]) -> Result<Self, Vec<(usize, String)>> {
        let mut errors = Vec::new();
        let mut hosts = Vec::new();
        for (n, entry) in entries.iter().enumerate() {
            let host = entry.trim().trim_start_matches("*.").trim_end_matches('.').to_ascii_lowercase();
            let valid = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            match () {
                _ if entry.contains("://") || entry.contains('/') => {
                    errors.push((n, format!("must be a host name such as `help.example.com`, not a URL: {entry:?}")))
                }
                _ if !valid => errors.push((n, format!("is not a host name: {entry:?}"))),
                _ => hosts.push(host),
            }
        }
        if errors.is_empty() { Ok(Self { hosts }) } else { Err(errors) }
    }

    /// Whether `host` (lowercase) is listed, or is a subdomain of a listed host.
    pub fn allows(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| host == h || host.strip_suffix(h.as_str()).is_some_and(|sub| sub.ends_with('.')))
    }

    /// Whether no host is listed.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }
}

/// `%XX` escapes decoded (and `+` as a space when `plus_is_space`), lossily as UTF-8.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        match bytes[i] {
            b'%' if hex(i + 1).is_some() && hex(i + 2).is_some() => {
                out.push((hex(i + 1).unwrap_or(0) * 16 + hex(i + 2).unwrap_or(0)) as u8);
                i += 2;
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Base64 (standard or URL-safe, padded or not) decoded; `None` when `s` is not base64.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    static TABLE: LazyLock<HashMap<u8, u32>> = LazyLock::new(|| {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut t: HashMap<u8, u32> = alphabet.iter().enumerate().map(|(i, b)| (*b, i as u32)).collect();
        t.insert(b'-', 62);
        t.insert(b'_', 63);
        t
    });
    let body = s.trim_end_matches('=');
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for b in body.bytes() {
        acc = (acc << 6) | TABLE.get(&b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Build this module's tables now, for pre-initialisation ([`crate::warm_up`]).
pub(crate) fn warm_up() {
    LazyLock::force(&PATTERNS);
    crate::union::force(&[&REFERENCE_DEF, &REFERENCE_IMAGE, &BARE]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_images_links_and_bare_urls() {
        let text = "See ![x](https://a.example/p.png?d=1) and [help](https://help.example/faq), \
                    <img src=\"https://b.example/i.gif\"> or https://c.example/path.\n\
                    ![y][r]\n[r]: https://d.example/q";
        let got: Vec<(LinkKind, &str)> = links(text).into_iter().map(|l| (l.kind, l.url)).collect();
        assert_eq!(
            got,
            [
                (LinkKind::Image, "https://a.example/p.png?d=1"),
                (LinkKind::Link, "https://help.example/faq"),
                (LinkKind::Image, "https://b.example/i.gif"),
                (LinkKind::Link, "https://c.example/path"),
                (LinkKind::Image, "https://d.example/q"),
            ]
        );
    }

    #[test]
    fn parses_hosts_ports_userinfo_and_queries() {
        let u = parse("HTTPS://user:pw@Help.Example.:8443/a/b?x=1&y=2#top").unwrap();
        assert_eq!((u.host.as_str(), u.path, u.query, u.fragment), ("help.example", "/a/b", "x=1&y=2", "top"));
        assert_eq!(parse("http://[::1]:80/").unwrap().host, "::1");
        assert!(parse("ftp://x.example/").is_none());
    }

    #[test]
    fn host_lists_cover_subdomains_only() {
        let list = HostList::parse(&["northwind.example".into(), "*.cdn.example".into()]).unwrap();
        assert!(list.allows("help.northwind.example") && list.allows("northwind.example"));
        assert!(list.allows("img.cdn.example"));
        assert!(!list.allows("evilnorthwind.example") && !list.allows("northwind.example.evil.net"));
        let errors = HostList::parse(&["ok.example".into(), "https://x.example/".into(), "bad host".into()]);
        assert_eq!(errors.unwrap_err().iter().map(|e| e.0).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn decodes_percent_and_base64() {
        assert_eq!(percent_decode("a%20b+c%2", true), "a b c%2");
        assert_eq!(base64_decode("aGVsbG8gd29ybGQ").unwrap(), b"hello world");
        assert!(base64_decode("not base64!").is_none());
        assert!(is_ip_literal("203.0.113.9") && is_ip_literal("2130706433") && !is_ip_literal("a.example"));
    }
}
