//! ECDSA P-256 keys in the files cosign and OpenSSL exchange: a private key as
//! unencrypted PKCS#8 PEM (`PRIVATE KEY`), a public key as SPKI PEM (`PUBLIC KEY`,
//! what `cosign public-key` prints and `cosign verify --key` reads).

use super::pem;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use sha2::{Digest as _, Sha256};
use std::ffi::OsString;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The most a key file may hold: a P-256 key in PEM is under 300 bytes.
const KEY_FILE_CAP: u64 = 64 << 10;

/// The DER of a P-256 public key's SubjectPublicKeyInfo up to its point: SEQUENCE,
/// AlgorithmIdentifier (id-ecPublicKey, prime256v1), BIT STRING of 66 bytes. DER has
/// one encoding, so every P-256 SPKI starts with exactly these bytes.
const SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// An uncompressed P-256 point: 0x04, x, y.
const POINT_LEN: usize = 65;

/// What is wrong with a key file's text.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    /// No PEM, or broken PEM.
    #[error("{0}")]
    Pem(String),
    /// A SEC 1 EC key, as `openssl ecparam -genkey` writes.
    #[error(
        "holds an EC private key in SEC 1 form (BEGIN EC PRIVATE KEY); aiir reads PKCS#8: convert it with `openssl pkcs8 -topk8 -nocrypt -in FILE -out NEW.key`"
    )]
    Sec1,
    /// A password-protected PKCS#8 key.
    #[error(
        "holds an encrypted private key; aiir reads an unencrypted PKCS#8 key: decrypt it with `openssl pkey -in FILE -out NEW.key` and keep NEW.key private (mode 0600)"
    )]
    Encrypted,
    /// A key `cosign generate-key-pair` encrypted in its own format.
    #[error(
        "holds a cosign-encrypted key (cosign generate-key-pair), which aiir cannot read; make a key with `aiir keygen` and give cosign the same key with `cosign import-key-pair --key PREFIX.key`"
    )]
    CosignEncrypted,
    /// A block of another kind than the one wanted.
    #[error("holds no {want} block (it holds {found})")]
    Missing {
        /// The label read.
        want: &'static str,
        /// The labels there are.
        found: String,
    },
    /// More than one key block: which one is meant is not clear.
    #[error("holds {0} {1} blocks; give each key a file of its own")]
    Several(usize, &'static str),
    /// A key of another algorithm or curve.
    #[error("holds {0}, not an ECDSA P-256 key (the curve of cosign's keyed signatures)")]
    Algorithm(&'static str),
    /// A P-256 key that does not parse, or whose parts do not agree.
    #[error("holds an invalid P-256 key: {0}")]
    Invalid(String),
}

/// Why a key was not read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read key file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: crate::file::FileError,
    },
    /// The file was read but holds no usable key.
    #[error("key file {} {problem}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: KeyProblem,
    },
    /// `keygen` found a file where it would write.
    #[error("{} exists; aiir keygen does not overwrite a key", .0.display())]
    Exists(PathBuf),
    /// A key file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The system's random source failed.
    #[error("cannot read random bytes from the system")]
    Random,
    /// Two trusted key files share a name.
    #[error("two trusted keys are named {0}: rename one file, the name is what messages and `signed_by` use")]
    DuplicateName(String),
    /// One key under two names.
    #[error("trusted keys {0} and {1} are the same key")]
    DuplicateKey(String, String),
}

/// A private key that signs: ECDSA P-256 with SHA-256, the DER signatures cosign makes.
pub struct SigningKey {
    pair: EcdsaKeyPair,
    pkcs8: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    /// The public half only: a private key is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("public", &self.public_key()).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let document =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).map_err(|_| KeyError::Random)?;
        Self::from_pkcs8(document.as_ref().to_vec()).map_err(|_| KeyError::Random)
    }

    /// The key in the file at `path` (PKCS#8 PEM, as `aiir keygen` and
    /// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` write it).
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        Self::from_pem(&read_key_file(path)?).map_err(|problem| KeyError::Invalid { path: path.into(), problem })
    }

    /// The key in a PEM text.
    pub fn from_pem(text: &str) -> Result<Self, KeyProblem> {
        let blocks = pem::decode(text).map_err(|e| KeyProblem::Pem(e.to_string()))?;
        if let Some(problem) = blocks.iter().find_map(|b| refused_private_label(&b.label)) {
            return Err(problem);
        }
        let der = only_block(blocks, "PRIVATE KEY")?;
        require_p256(&der)?;
        Self::from_pkcs8(der)
    }

    fn from_pkcs8(pkcs8: Vec<u8>) -> Result<Self, KeyProblem> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &SystemRandom::new())
            .map_err(|e| KeyProblem::Invalid(rejected(&e.to_string()).into()))?;
        Ok(Self { pair, pkcs8 })
    }

    /// The key as PKCS#8 PEM, for a `.key` file.
    pub fn to_pem(&self) -> String {
        pem::encode("PRIVATE KEY", &self.pkcs8)
    }

    /// Its public half.
    pub fn public_key(&self) -> PublicKey {
        let mut point = [0; POINT_LEN];
        point.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey { point }
    }

    /// The ASN.1 DER signature of SHA-256(`message`).
    pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let signature = self.pair.sign(&SystemRandom::new(), message).map_err(|_| KeyError::Random)?;
        Ok(signature.as_ref().to_vec())
    }
}

/// A public key that verifies: ECDSA P-256 with SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    point: [u8; POINT_LEN],
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

impl PublicKey {
    /// The key in the file at `path` (SPKI PEM, as `aiir keygen`, `cosign public-key`
    /// and `openssl pkey -pubout` write it).
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        Self::from_pem(&read_key_file(path)?).map_err(|problem| KeyError::Invalid { path: path.into(), problem })
    }

    /// The key in a PEM text.
    pub fn from_pem(text: &str) -> Result<Self, KeyProblem> {
        let blocks = pem::decode(text).map_err(|e| KeyProblem::Pem(e.to_string()))?;
        if blocks.iter().any(|b| b.label.ends_with("PRIVATE KEY")) {
            return Err(KeyProblem::Missing { want: "PUBLIC KEY", found: "a private key: give the .pub file".into() });
        }
        Self::from_spki(&only_block(blocks, "PUBLIC KEY")?)
    }

    fn from_spki(der: &[u8]) -> Result<Self, KeyProblem> {
        let Some(point) = der.strip_prefix(&SPKI_PREFIX) else {
            require_p256(der)?;
            return Err(KeyProblem::Invalid(
                "not an uncompressed point in DER (cosign and OpenSSL write that form)".into(),
            ));
        };
        let point: [u8; POINT_LEN] =
            point.try_into().map_err(|_| KeyProblem::Invalid("truncated or overlong".into()))?;
        on_curve(&point)?;
        Ok(Self { point })
    }

    /// The key as SPKI PEM, for a `.pub` file.
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki())
    }

    /// The first 16 hex digits of the SHA-256 of its SPKI DER: a name for logs that
    /// stays the same whatever the file is called.
    pub fn fingerprint(&self) -> String {
        Sha256::digest(self.spki()).iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    fn spki(&self) -> Vec<u8> {
        [&SPKI_PREFIX[..], &self.point].concat()
    }

    /// Whether `signature` (ASN.1 DER) signs `message` with this key.
    pub(super) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &self.point).verify(message, signature).is_ok()
    }
}

/// What ring's reason for refusing a PKCS#8 key means to an operator.
fn rejected(reason: &str) -> &'static str {
    match reason {
        "PublicKeyIsMissing" => {
            "it lacks the public key, which aiir needs: rewrite it with `openssl pkey -in FILE -out NEW.key`"
        }
        "InconsistentComponents" => "its public and private parts do not match",
        _ => "not a PKCS#8 encoding of one",
    }
}

/// Refused unless `point` is on P-256: key agreement with a fresh key checks it, so a
/// broken `.pub` file is named when it is read, not met later as "does not verify".
fn on_curve(point: &[u8; POINT_LEN]) -> Result<(), KeyProblem> {
    use ring::agreement::{ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey, agree_ephemeral};
    let mine = EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new())
        .map_err(|_| KeyProblem::Invalid("no random bytes to check it".into()))?;
    agree_ephemeral(mine, &UnparsedPublicKey::new(&ECDH_P256, point), |_| ())
        .map_err(|_| KeyProblem::Invalid("not a point on the curve".into()))
}

/// Writes a new key pair to `PREFIX.key` (mode 0600) and `PREFIX.pub`; refuses when
/// either exists, so a key in use is never lost. Returns the two paths.
pub fn write_key_pair(prefix: &Path) -> Result<(PathBuf, PathBuf), KeyError> {
    let (private, public) = (with_suffix(prefix, ".key"), with_suffix(prefix, ".pub"));
    for path in [&private, &public] {
        if path.symlink_metadata().is_ok() {
            return Err(KeyError::Exists(path.clone()));
        }
    }
    let key = SigningKey::generate()?;
    write_new(&private, &key.to_pem(), 0o600)?;
    if let Err(e) = write_new(&public, &key.public_key().to_pem(), 0o644) {
        // Half a pair is of no use, and a stray private key is a liability.
        let _ = std::fs::remove_file(&private);
        return Err(e);
    }
    Ok((private, public))
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(prefix.as_os_str());
    name.push(suffix);
    name.into()
}

/// Creates `path`, which must not exist (not even as a dangling link), with `mode`.
fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), KeyError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let write = |options: &std::fs::OpenOptions| options.open(path)?.write_all(text.as_bytes());
    write(&options).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::Exists(path.into()),
        _ => KeyError::Write { path: path.into(), source },
    })
}

fn read_key_file(path: &Path) -> Result<String, KeyError> {
    crate::file::read_text_capped(path, KEY_FILE_CAP).map_err(|source| KeyError::Read { path: path.into(), source })
}

/// What to say of a private-key block aiir cannot use, by its label.
fn refused_private_label(label: &str) -> Option<KeyProblem> {
    match label {
        "EC PRIVATE KEY" => Some(KeyProblem::Sec1),
        "ENCRYPTED PRIVATE KEY" => Some(KeyProblem::Encrypted),
        "ENCRYPTED SIGSTORE PRIVATE KEY" | "ENCRYPTED COSIGN PRIVATE KEY" => Some(KeyProblem::CosignEncrypted),
        "RSA PRIVATE KEY" => Some(KeyProblem::Algorithm("an RSA key")),
        _ => None,
    }
}

/// The DER of the one block labelled `want`.
fn only_block(blocks: Vec<pem::Block>, want: &'static str) -> Result<Vec<u8>, KeyProblem> {
    let found: Vec<String> = blocks.iter().map(|b| b.label.clone()).collect();
    let mut matching: Vec<Vec<u8>> = blocks.into_iter().filter(|b| b.label == want).map(|b| b.der).collect();
    match matching.len() {
        0 if found.iter().any(|l| l == "RSA PUBLIC KEY") => Err(KeyProblem::Algorithm("an RSA key")),
        0 => Err(KeyProblem::Missing { want, found: found.join(", ") }),
        1 => Ok(matching.remove(0)),
        n => Err(KeyProblem::Several(n, want)),
    }
}

/// Refused unless the DER names id-ecPublicKey on P-256, saying what it names instead.
fn require_p256(der: &[u8]) -> Result<(), KeyProblem> {
    const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const KINDS: [(&[u8], &str); 6] = [
        (&[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01], "an RSA key"),
        (&[0x06, 0x03, 0x2b, 0x65, 0x70], "an Ed25519 key"),
        (&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22], "an EC key on P-384"),
        (&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23], "an EC key on P-521"),
        (&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a], "an EC key on secp256k1"),
        (&[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01], "an EC key on another curve"),
    ];
    let has = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
    if has(P256) && has(KINDS[5].0) {
        return Ok(());
    }
    Err(KeyProblem::Algorithm(KINDS.iter().find(|(oid, _)| has(oid)).map_or("an unknown kind of key", |k| k.1)))
}

#[cfg(test)]
#[path = "key_tests.rs"]
mod tests;
