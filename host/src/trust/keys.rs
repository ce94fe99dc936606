//! The trusted keys: the public key files the config names, each known by a name (the
//! file's stem, for messages and `signed_by`) and a fingerprint (for logs).

use super::SignatureError;
use super::key::{KeyError, PublicKey};
use std::fmt;
use std::path::Path;

/// Which trusted key verified a signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyId {
    /// The key file's stem: `ops` for `keys/ops.pub`.
    pub name: String,
    /// The first 16 hex digits of the SHA-256 of the key's SPKI DER.
    pub fingerprint: String,
}

impl fmt::Display for KeyId {
    /// `ops (sha256 1a2b3c4d5e6f7a8b)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (sha256 {})", self.name, self.fingerprint)
    }
}

/// A set of trusted public keys, any of which may verify a signature.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    keys: Vec<(KeyId, PublicKey)>,
}

impl Keys {
    /// The keys in these `.pub` files (`[trust] keys = ["ops.pub", …]`), named by
    /// their stems; two files of one name, or one key in two files, are refused.
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<Self, KeyError> {
        let mut keys = Self::default();
        for path in paths.iter().map(AsRef::as_ref) {
            let name = path.file_stem().unwrap_or(path.as_os_str()).to_string_lossy().into_owned();
            keys.add(name, PublicKey::read(path)?)?;
        }
        Ok(keys)
    }

    /// Adds `key` as `name`.
    pub fn add(&mut self, name: String, key: PublicKey) -> Result<(), KeyError> {
        if self.keys.iter().any(|(id, _)| id.name == name) {
            return Err(KeyError::DuplicateName(name));
        }
        if let Some((id, _)) = self.keys.iter().find(|(_, k)| *k == key) {
            return Err(KeyError::DuplicateKey(id.name.clone(), name));
        }
        self.keys.push((KeyId { name, fingerprint: key.fingerprint() }, key));
        Ok(())
    }

    /// The keys of these names alone (a plugin's `signed_by`); a name no key has is
    /// returned as the error.
    pub fn only(&self, names: &[String]) -> Result<Self, String> {
        let mut chosen = Self::default();
        for name in names {
            let found = self.keys.iter().find(|(id, _)| &id.name == name).ok_or_else(|| name.clone())?;
            if !chosen.keys.iter().any(|(id, _)| &id.name == name) {
                chosen.keys.push(found.clone());
            }
        }
        Ok(chosen)
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys' ids, in the order they were given.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|(id, _)| id)
    }

    /// The key that made `signature` (ASN.1 DER) over `message`.
    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<KeyId, SignatureError> {
        if self.keys.is_empty() {
            return Err(SignatureError::NoKeys);
        }
        let found = self.keys.iter().find(|(_, key)| key.verifies(message, signature));
        found.map(|(id, _)| id.clone()).ok_or_else(|| SignatureError::Unverified(self.names()))
    }

    /// `ops, release`: the names, for a message.
    pub fn names(&self) -> String {
        self.ids().map(|id| id.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::key::SigningKey;

    fn write_pub(dir: &Path, file: &str, key: &SigningKey) -> std::path::PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, key.public_key().to_pem()).unwrap();
        path
    }

    #[test]
    fn keys_are_named_by_stem_and_report_which_verified() {
        let dir = tempfile::tempdir().unwrap();
        let (ops, release) = (SigningKey::generate().unwrap(), SigningKey::generate().unwrap());
        let keys =
            Keys::load(&[write_pub(dir.path(), "ops.pub", &ops), write_pub(dir.path(), "release.pub", &release)])
                .unwrap();
        let signature = release.sign(b"m").unwrap();
        let id = keys.verify(b"m", &signature).unwrap();
        assert_eq!(id.name, "release");
        assert_eq!(id.fingerprint, release.public_key().fingerprint());
        let refused = keys.verify(b"other", &signature).unwrap_err();
        assert_eq!(refused.to_string(), "signature does not verify with any of the trusted keys (ops, release)");
    }

    #[test]
    fn duplicate_names_and_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::generate().unwrap();
        std::fs::create_dir(dir.path().join("b")).unwrap();
        let twice = [write_pub(dir.path(), "ops.pub", &key), write_pub(dir.path(), "b/ops.pub", &key)];
        assert!(matches!(Keys::load(&twice), Err(KeyError::DuplicateName(n)) if n == "ops"));
        let same = [write_pub(dir.path(), "ops.pub", &key), write_pub(dir.path(), "release.pub", &key)];
        assert!(matches!(Keys::load(&same), Err(KeyError::DuplicateKey(a, b)) if a == "ops" && b == "release"));
    }

    #[test]
    fn signed_by_narrows_the_keys_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let (ops, release) = (SigningKey::generate().unwrap(), SigningKey::generate().unwrap());
        let keys =
            Keys::load(&[write_pub(dir.path(), "ops.pub", &ops), write_pub(dir.path(), "release.pub", &release)])
                .unwrap();
        let only = keys.only(&["release".into()]).unwrap();
        assert_eq!(only.names(), "release");
        assert!(only.verify(b"m", &ops.sign(b"m").unwrap()).is_err());
        assert_eq!(only.verify(b"m", &release.sign(b"m").unwrap()).unwrap().name, "release");
        assert_eq!(keys.only(&["nobody".into()]).unwrap_err(), "nobody");
    }

    #[test]
    fn no_keys_verify_nothing() {
        let key = SigningKey::generate().unwrap();
        let none = Keys::load(&[] as &[&Path]).unwrap();
        assert!(matches!(none.verify(b"m", &key.sign(b"m").unwrap()), Err(SignatureError::NoKeys)));
    }
}
