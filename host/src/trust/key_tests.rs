use super::*;

/// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` (OpenSSL 3.0).
const OPENSSL_P256_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNPqjOgEsQhctkQGP
Hg6RWicILQsnOFKosTPklpVX3XahRANCAASUoBD9yS3DOkqKZ6nExyErDMdCgceC
FlgC/DX2VEXq/fivJiu57m7pMlzbiTxU7/TUY1UVRd5H4aKmfNMUeBCS
-----END PRIVATE KEY-----
";
/// Its public half, `openssl pkey -pubout`.
const OPENSSL_P256_PUB: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAElKAQ/cktwzpKimepxMchKwzHQoHH
ghZYAvw19lRF6v34ryYrue5u6TJc24k8VO/01GNVFUXeR+GipnzTFHgQkg==
-----END PUBLIC KEY-----
";
/// The same key, `openssl ec` (SEC 1).
const OPENSSL_SEC1_KEY: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIDT6ozoBLEIXLZEBjx4OkVonCC0LJzhSqLEz5JaVV912oAoGCCqGSM49
AwEHoUQDQgAElKAQ/cktwzpKimepxMchKwzHQoHHghZYAvw19lRF6v34ryYrue5u
6TJc24k8VO/01GNVFUXeR+GipnzTFHgQkg==
-----END EC PRIVATE KEY-----
";
/// The same public key with its point compressed (`openssl ec -conv_form compressed`).
const COMPRESSED_PUB: &str = "-----BEGIN PUBLIC KEY-----
MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgAClKAQ/cktwzpKimepxMchKwzHQoHH
ghZYAvw19lRF6v0=
-----END PUBLIC KEY-----
";
const P384_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAY2y1saqVh6Y2JWiYr
3s9BVQ6DnAh12BLOJd/VfuHHQPRNiOY2pV/0jJi6KgGZQqGhZANiAAR1ykjk+ogH
zjAxFH+6+dEWjNUDN0xabZ4Hq41zol97DGkq4xXGE3vdgnnrBJAXa8heZ+UszMGH
/NBt/Bhwz9szH9wmsh1W7/E6/wLAzoVZj6l5tYwOuKFhFllwrhliKcE=
-----END PRIVATE KEY-----
";
const P384_PUB: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEdcpI5PqIB84wMRR/uvnRFozVAzdMWm2e
B6uNc6JfewxpKuMVxhN73YJ56wSQF2vIXmflLMzBh/zQbfwYcM/bMx/cJrIdVu/x
Ov8CwM6FWY+pebWMDrihYRZZcK4ZYinB
-----END PUBLIC KEY-----
";
const RSA_PUB: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDfW7CIINq3GPKSMbIulRahyodB
7i7rv+9Qr15aKEWqdls6xWZeY7SqjPHOOgHjixYU40vMIr5M3qeU5DvSxCpi5A05
+jGcNt2tWzhU1g8Rz6unhKJOIiTLVYAWFQrX8JE8nbL1qNrXQP069jhw9rqQlqSF
T+Nrrrh8kwDoT/DOWQIDAQAB
-----END PUBLIC KEY-----
";
const ED25519_PUB: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAxHLpZ1rcW4qIxsBaSfHfS33a7ochWp3Tzx3TyK2dTAY=
-----END PUBLIC KEY-----
";

#[test]
fn a_generated_key_round_trips_through_its_pem_files() {
    let key = SigningKey::generate().unwrap();
    let again = SigningKey::from_pem(&key.to_pem()).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    assert_eq!(PublicKey::from_pem(&key.public_key().to_pem()).unwrap(), key.public_key());
    let signature = key.sign(b"plugin").unwrap();
    assert!(key.public_key().verifies(b"plugin", &signature));
    assert!(!key.public_key().verifies(b"plugin!", &signature));
}

#[test]
fn an_openssl_p256_key_is_read_and_matches_its_public_key() {
    let key = SigningKey::from_pem(OPENSSL_P256_KEY).unwrap();
    let public = PublicKey::from_pem(OPENSSL_P256_PUB).unwrap();
    assert_eq!(key.public_key(), public);
    assert_eq!(public.to_pem(), OPENSSL_P256_PUB, "the SPKI aiir writes is the one OpenSSL writes");
}

#[test]
fn the_fingerprint_is_16_hex_of_the_spki_sha256() {
    let fingerprint = PublicKey::from_pem(OPENSSL_P256_PUB).unwrap().fingerprint();
    // `openssl pkey -pubin -in p256.pub -outform DER | sha256sum | cut -c1-16`
    assert_eq!(fingerprint, "ec74864f5b778d2c");
}

#[test]
fn other_private_key_forms_are_refused_with_the_way_to_convert() {
    let sec1 = SigningKey::from_pem(OPENSSL_SEC1_KEY).unwrap_err();
    assert_eq!(sec1, KeyProblem::Sec1);
    assert!(sec1.to_string().contains("openssl pkcs8 -topk8 -nocrypt"), "{sec1}");
    let encrypted = pem::encode("ENCRYPTED PRIVATE KEY", b"x");
    assert_eq!(SigningKey::from_pem(&encrypted).unwrap_err(), KeyProblem::Encrypted);
    let cosign = pem::encode("ENCRYPTED SIGSTORE PRIVATE KEY", b"x");
    assert_eq!(SigningKey::from_pem(&cosign).unwrap_err(), KeyProblem::CosignEncrypted);
    assert_eq!(SigningKey::from_pem(P384_KEY).unwrap_err(), KeyProblem::Algorithm("an EC key on P-384"));
    assert!(matches!(SigningKey::from_pem(OPENSSL_P256_PUB).unwrap_err(), KeyProblem::Missing { .. }));
}

#[test]
fn public_keys_of_other_kinds_are_refused_by_kind() {
    assert_eq!(PublicKey::from_pem(P384_PUB).unwrap_err(), KeyProblem::Algorithm("an EC key on P-384"));
    assert_eq!(PublicKey::from_pem(RSA_PUB).unwrap_err(), KeyProblem::Algorithm("an RSA key"));
    assert_eq!(PublicKey::from_pem(ED25519_PUB).unwrap_err(), KeyProblem::Algorithm("an Ed25519 key"));
    assert!(matches!(PublicKey::from_pem(COMPRESSED_PUB).unwrap_err(), KeyProblem::Invalid(_)));
    let private = PublicKey::from_pem(OPENSSL_P256_KEY).unwrap_err();
    assert!(private.to_string().contains(".pub"), "{private}");
    assert!(matches!(PublicKey::from_pem("garbage").unwrap_err(), KeyProblem::Pem(_)));
}

#[test]
fn hostile_public_key_der_is_refused_without_panic() {
    let good = pem::decode(OPENSSL_P256_PUB).unwrap().remove(0).der;
    for len in 0..good.len() {
        let cut = pem::encode("PUBLIC KEY", &good[..len]);
        assert!(PublicKey::from_pem(&cut).is_err(), "{len} bytes");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert!(PublicKey::from_pem(&pem::encode("PUBLIC KEY", &longer)).is_err());
    let mut off_curve = good.clone();
    *off_curve.last_mut().unwrap() ^= 1;
    let refused = PublicKey::from_pem(&pem::encode("PUBLIC KEY", &off_curve)).unwrap_err();
    assert_eq!(refused, KeyProblem::Invalid("not a point on the curve".into()));
}

#[test]
fn hostile_private_key_der_is_refused_without_panic() {
    let good = pem::decode(OPENSSL_P256_KEY).unwrap().remove(0).der;
    for len in 0..good.len() {
        assert!(SigningKey::from_pem(&pem::encode("PRIVATE KEY", &good[..len])).is_err(), "{len} bytes");
    }
    let two = format!("{OPENSSL_P256_KEY}{OPENSSL_P256_KEY}");
    assert_eq!(SigningKey::from_pem(&two).unwrap_err(), KeyProblem::Several(2, "PRIVATE KEY"));
}

#[test]
fn keygen_writes_a_private_0600_key_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("ops");
    let (private, public) = write_key_pair(&prefix).unwrap();
    assert_eq!(SigningKey::read(&private).unwrap().public_key(), PublicKey::read(&public).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let before = std::fs::read(&private).unwrap();
    assert!(matches!(write_key_pair(&prefix), Err(KeyError::Exists(p)) if p == private));
    assert_eq!(std::fs::read(&private).unwrap(), before, "the key in use is untouched");
    std::fs::remove_file(&private).unwrap();
    assert!(matches!(write_key_pair(&prefix), Err(KeyError::Exists(p)) if p == public), "half a pair is kept too");
}

#[test]
fn a_key_file_error_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ops.pub");
    std::fs::write(&path, RSA_PUB).unwrap();
    let message = PublicKey::read(&path).unwrap_err().to_string();
    assert!(message.contains("ops.pub") && message.contains("RSA"), "{message}");
    let missing = PublicKey::read(&dir.path().join("none.pub")).unwrap_err().to_string();
    assert!(missing.contains("none.pub"), "{missing}");
}
