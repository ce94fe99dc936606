//! `oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:HEX]`: where a plugin lives in a registry.
//!
//! The registry is always written out (there is no default registry, so a reference
//! never silently means Docker Hub), and names follow the OCI distribution spec's
//! grammar, checked here so that nothing odd reaches a URL path.

use std::fmt;

/// The scheme prefix of a registry reference in the config and on the command line.
pub const SCHEME: &str = "oci://";

/// A content digest, `sha256:` and 64 lowercase hex digits (the only algorithm aiir
/// accepts: it is what every registry computes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// Parse `sha256:HEX`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hex = text.strip_prefix("sha256:").ok_or_else(|| format!("{text:?} is not a sha256: digest"))?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(format!("{text:?} is not sha256: and 64 lowercase hex digits"));
        }
        Ok(Self(text.to_owned()))
    }

    /// The digest of these bytes.
    pub fn of(bytes: &[u8]) -> Self {
        Self(format!("sha256:{}", crate::runtime::sha256_hex(bytes)))
    }

    /// The 64 hex digits.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }

    /// `sha256:HEX`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A parsed `oci://` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `HOST[:PORT]`, lowercase.
    pub registry: String,
    /// `team/detectors/canary`.
    pub repository: String,
    /// The tag, when one was given.
    pub tag: Option<String>,
    /// The digest, when one was given; it wins over the tag.
    pub digest: Option<Digest>,
}

impl Reference {
    /// Parse `oci://HOST[:PORT]/REPO[:TAG][@sha256:HEX]`; without a tag or a digest,
    /// the tag is `latest`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: String| format!("{text:?} is not an oci:// reference: {why}");
        let rest = text.strip_prefix(SCHEME).ok_or_else(|| bad(format!("it does not start with {SCHEME}")))?;
        let (rest, digest) = match rest.split_once('@') {
            Some((rest, digest)) => (rest, Some(Digest::parse(digest).map_err(bad)?)),
            None => (rest, None),
        };
        let (registry, path) = rest.split_once('/').ok_or_else(|| bad("no repository after the registry".into()))?;
        check_registry(registry).map_err(bad)?;
        // A colon after the last slash starts the tag (one before it is the port's).
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repository, tag)) if !tag.contains('/') => (repository, Some(tag)),
            _ => (path, None),
        };
        check_repository(repository).map_err(bad)?;
        if let Some(tag) = tag {
            check_tag(tag).map_err(bad)?;
        }
        let tag = tag.map(str::to_owned).or_else(|| digest.is_none().then(|| "latest".to_owned()));
        Ok(Self { registry: registry.to_ascii_lowercase(), repository: repository.to_owned(), tag, digest })
    }

    /// Whether `text` is meant as a registry reference.
    pub fn is_oci(text: &str) -> bool {
        text.starts_with(SCHEME)
    }

    /// What to ask the registry's manifest endpoint for: the digest, else the tag.
    pub fn target(&self) -> &str {
        self.digest.as_ref().map_or_else(|| self.tag.as_deref().unwrap_or("latest"), Digest::as_str)
    }

    /// `HOST/REPO`: the name cosign signs for.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The same reference pinned to this digest, its tag kept for the reader:
    /// `oci://h/r:1.0@sha256:…` loads the digest whatever the tag moves to.
    pub fn pinned(&self, digest: &Digest) -> Self {
        Self { digest: Some(digest.clone()), ..self.clone() }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// `HOST[:PORT]`: a DNS name or an IPv4 address, or `[IPv6]`, and an optional port.
fn check_registry(registry: &str) -> Result<(), String> {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (registry, None),
    };
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(format!("the registry's port {port:?} is not a port number"));
    }
    let ipv6 = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    let valid = match ipv6 {
        Some(address) => address.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                })
        }
    };
    if valid { Ok(()) } else { Err(format!("{registry:?} is not a registry host")) }
}

/// Path components of `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`, split by `/`.
fn check_repository(repository: &str) -> Result<(), String> {
    let component_ok = |c: &str| {
        let bytes = c.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
        alnum(first)
            && alnum(last)
            && bytes.iter().all(|b| alnum(b) || matches!(b, b'.' | b'_' | b'-'))
            && !c.contains("..")
            && !c.contains("___")
            && !c.contains("._")
            && !c.contains("_.")
    };
    if repository.len() > 255 || !repository.split('/').all(component_ok) {
        return Err(format!(
            "{repository:?} is not a repository name (lowercase letters and digits, joined by . _ -, split by /)"
        ));
    }
    Ok(())
}

/// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn check_tag(tag: &str) -> Result<(), String> {
    let ok = tag.len() <= 128
        && tag.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok { Ok(()) } else { Err(format!("{tag:?} is not a tag")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_reference_has_a_registry_a_repository_and_a_tag_or_digest() {
        let r = Reference::parse("oci://127.0.0.1:5000/team/canary:1.2.0").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "team/canary", Some("1.2.0"))
        );
        assert_eq!(r.target(), "1.2.0");
        let r = Reference::parse(&format!("oci://Registry.example/canary@sha256:{HEX}")).unwrap();
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref(), r.digest.as_ref().map(Digest::hex)),
            ("registry.example", None, Some(HEX))
        );
        assert_eq!(r.target(), format!("sha256:{HEX}"));
        assert_eq!(r.to_string(), format!("oci://registry.example/canary@sha256:{HEX}"));
        let r = Reference::parse("oci://[::1]:5000/canary").unwrap();
        assert_eq!((r.registry.as_str(), r.tag.as_deref()), ("[::1]:5000", Some("latest")));
        let r = Reference::parse(&format!("oci://h/a/b:v1@sha256:{HEX}")).unwrap();
        assert_eq!((r.tag.as_deref(), r.target()), (Some("v1"), format!("sha256:{HEX}").as_str()));
    }

    #[test]
    fn what_is_not_a_reference_says_why() {
        for (text, why) in [
            ("https://h/r", "does not start with oci://"),
            ("oci://h", "no repository"),
            ("oci://h:99999/r", "not a port number"),
            ("oci://h_x/r", "not a registry host"),
            ("oci://h/Upper", "not a repository name"),
            ("oci://h/a//b", "not a repository name"),
            ("oci://h/../etc", "not a repository name"),
            ("oci://h/r:-bad", "not a tag"),
            ("oci://h/r:a?b", "not a tag"),
            ("oci://h/r@sha256:abc", "64 lowercase hex"),
            ("oci://h/r@md5:abc", "not a sha256: digest"),
        ] {
            let err = Reference::parse(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn digests_are_sha256_in_lowercase_hex() {
        let good = format!("sha256:{}", "0f".repeat(32));
        assert_eq!(Digest::parse(&good).unwrap().hex(), "0f".repeat(32));
        for bad in [
            "sha256:".to_owned(),
            good.to_uppercase(),
            format!("sha512:{}", "0f".repeat(32)),
            format!("{good}0"),
            "0f".repeat(32),
        ] {
            assert!(Digest::parse(&bad).is_err(), "{bad}");
        }
        assert_eq!(Digest::of(b"").as_str(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
