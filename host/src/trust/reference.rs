//! What a registry signature names: a repository (the manifest digest is
//! [`crate::oci::Digest`]), validated.
//!
//! A [`Repository`] is normalised the way cosign writes `docker-reference` (it uses
//! go-containerregistry's `Repository.Name()`): the first path part is the registry
//! when it holds a `.` or a `:`, else the registry is Docker Hub, written
//! `index.docker.io`, which `docker.io` also means; a one-part Docker Hub name gets
//! `library/`. So `ubuntu`, `docker.io/ubuntu` and `index.docker.io/library/ubuntu`
//! are one repository. The registry's host is compared without case (it is a DNS
//! name); its port is part of its name, as in cosign, Docker and containers/image,
//! which compare names, not addresses: `reg.example:443/a` is not `reg.example/a`.

use std::fmt;

/// Docker Hub's registry as cosign writes it.
const DOCKER_HUB: &str = "index.docker.io";

/// Why a repository or digest was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// Not a repository name.
    #[error("invalid repository {0}: {1}")]
    Repository(String, &'static str),
}

/// A repository, e.g. `ghcr.io/ops/pii-detector`, normalised as cosign writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repository {
    registry: String,
    path: String,
}

impl Repository {
    /// The repository of a reference: `HOST[:PORT]/PATH`, with a `:tag` or `@digest`
    /// that is dropped (a signed `docker-reference` may carry either).
    pub fn parse(reference: &str) -> Result<Self, ReferenceError> {
        let refuse = |why| ReferenceError::Repository(super::shown(reference), why);
        let name = reference.split_once('@').map_or(reference, |(name, _)| name);
        let (registry, path) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) => (first.to_ascii_lowercase(), rest),
            _ => (DOCKER_HUB.to_owned(), name),
        };
        let path = without_tag(path);
        check_registry(&registry).map_err(refuse)?;
        check_path(path).map_err(refuse)?;
        let registry = if registry == "docker.io" { DOCKER_HUB.to_owned() } else { registry };
        let path = if registry == DOCKER_HUB && !path.contains('/') { format!("library/{path}") } else { path.into() };
        Ok(Self { registry, path })
    }

    /// The registry: `ghcr.io`, `localhost:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }
}

impl fmt::Display for Repository {
    /// `REGISTRY/PATH`, what cosign writes as `docker-reference`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.path)
    }
}

/// `path` without a `:tag` on its last part.
fn without_tag(path: &str) -> &str {
    let last = path.rfind('/').map_or(0, |i| i + 1);
    path[last..].find(':').map_or(path, |colon| &path[..last + colon])
}

/// A host name or address, with an optional port: no path, user, space or escape.
fn check_registry(registry: &str) -> Result<(), &'static str> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-:[]_".contains(c);
    if registry.is_empty() || registry.len() > 255 || !registry.chars().all(allowed) {
        return Err("the registry is not a host[:port]");
    }
    Ok(())
}

/// Lowercase letters, digits and `_-./`, in non-empty `/`-separated parts (the
/// characters go-containerregistry allows).
fn check_path(path: &str) -> Result<(), &'static str> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.".contains(c);
    if path.is_empty() || path.len() > 255 {
        return Err("the repository path is empty or longer than 255 characters");
    }
    if !path.split('/').all(|part| !part.is_empty() && part.chars().all(allowed)) {
        return Err("the repository path must be lowercase letters, digits and _-. in /-separated parts");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(reference: &str) -> String {
        Repository::parse(reference).unwrap().to_string()
    }

    #[test]
    fn repositories_are_normalised_as_cosign_writes_them() {
        assert_eq!(name("ghcr.io/ops/pii-detector"), "ghcr.io/ops/pii-detector");
        assert_eq!(name("ubuntu"), "index.docker.io/library/ubuntu");
        assert_eq!(name("docker.io/ubuntu"), "index.docker.io/library/ubuntu");
        assert_eq!(name("index.docker.io/library/ubuntu"), "index.docker.io/library/ubuntu");
        assert_eq!(name("ops/detector"), "index.docker.io/ops/detector");
        assert_eq!(name("localhost:5000/detector"), "localhost:5000/detector");
        assert_eq!(name("GHCR.io/ops/x"), "ghcr.io/ops/x", "a host name has no case");
        // As go-containerregistry reads it: a first part without `.` or `:` is a path.
        assert_eq!(name("localhost/detector"), "index.docker.io/localhost/detector");
    }

    #[test]
    fn a_tag_or_digest_is_dropped_and_the_port_kept() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(name(&format!("ghcr.io/ops/x:1.2@{digest}")), "ghcr.io/ops/x");
        assert_eq!(name("localhost:5000/x:latest"), "localhost:5000/x");
        assert_ne!(Repository::parse("reg.example:443/a"), Repository::parse("reg.example/a"));
    }

    #[test]
    fn bad_repositories_are_refused() {
        for bad in
            ["", "ghcr.io/", "ghcr.io/Ops/x", "ghcr.io/ops//x", "ghcr.io/ops/x/", "a b/c", "ho st.io/x", "é.io/x"]
        {
            assert!(Repository::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Repository::parse(&format!("ghcr.io/{}", "a".repeat(300))).is_err());
    }
}
