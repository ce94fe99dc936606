use super::*;
use crate::trust::trusted_ops as ops;

const HEX: &str = "d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f";

fn digest() -> Digest {
    Digest::parse(&format!("sha256:{HEX}")).unwrap()
}

fn repo(name: &str) -> Repository {
    Repository::parse(name).unwrap()
}

/// `text` signed by `key`, verified as an artifact of `example.com/test/image`.
fn verify_signed(text: &str) -> Result<KeyId, SignatureError> {
    let (key, keys) = ops();
    let signature = sign_payload(&key, text.as_bytes()).unwrap();
    verify_payload(&keys, text.as_bytes(), &signature, &repo("example.com/test/image"), &digest())
}

fn document(critical: &str, rest: &str) -> String {
    format!(r#"{{"critical":{critical},"optional":null{rest}}}"#)
}

fn critical(reference: &str, digest: &str, kind: &str) -> String {
    format!(
        r#"{{"identity":{{"docker-reference":"{reference}"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{kind}"}}"#
    )
}

fn good_critical() -> String {
    critical("example.com/test/image", &format!("sha256:{HEX}"), COSIGN_SIGNATURE_TYPE)
}

#[test]
fn the_payload_is_byte_for_byte_what_cosign_writes() {
    // sigstore/sigstore pkg/signature/payload/payload_test.go, "no claims".
    let expected = r#"{"critical":{"identity":{"docker-reference":"example.com/test/image"},"image":{"docker-manifest-digest":"sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f"},"type":"cosign container image signature"},"optional":null}"#;
    assert_eq!(String::from_utf8(payload(&repo("example.com/test/image"), &digest())).unwrap(), expected);
    let hub = String::from_utf8(payload(&repo("ubuntu"), &digest())).unwrap();
    assert!(hub.contains(r#""docker-reference":"index.docker.io/library/ubuntu""#), "{hub}");
}

#[test]
fn the_layout_names_are_cosigns() {
    assert_eq!(signature_tag(&digest()), format!("sha256-{HEX}.sig"));
    assert_eq!(SIMPLE_SIGNING_MEDIA_TYPE, "application/vnd.dev.cosign.simplesigning.v1+json");
    assert_eq!(SIGNATURE_ANNOTATION, "dev.cosignproject.cosign/signature");
}

#[test]
fn a_signed_payload_verifies_and_names_its_key() {
    let (key, keys) = ops();
    let bytes = payload(&repo("ghcr.io/ops/pii-detector"), &digest());
    let signature = sign_payload(&key, &bytes).unwrap();
    let id = verify_payload(&keys, &bytes, &signature, &repo("ghcr.io/ops/pii-detector"), &digest()).unwrap();
    assert_eq!(id.name, "ops");
}

#[test]
fn the_signed_bytes_are_verified_as_given_not_re_serialised() {
    let spaced = format!("{}\n", document(&good_critical(), "").replace("\":", "\": ").replace(',', ", "));
    assert_eq!(verify_signed(&spaced).unwrap().name, "ops");
    let (key, keys) = ops();
    let bytes = payload(&repo("example.com/test/image"), &digest());
    let signature = sign_payload(&key, &bytes).unwrap();
    let mut respaced = bytes.clone();
    respaced.push(b' ');
    let refused = verify_payload(&keys, &respaced, &signature, &repo("example.com/test/image"), &digest());
    assert!(matches!(refused, Err(SignatureError::Unverified(_))));
}

#[test]
fn another_digest_is_refused_naming_both() {
    let other = format!("sha256:{}", "0".repeat(64));
    let text = document(&critical("example.com/test/image", &other, COSIGN_SIGNATURE_TYPE), "");
    let message = verify_signed(&text).unwrap_err().to_string();
    assert_eq!(message, format!("signed for \"{other}\", not for this artifact sha256:{HEX}"));
}

#[test]
fn another_repository_is_refused_naming_both() {
    let text = document(&critical("example.com/other/image", &format!("sha256:{HEX}"), COSIGN_SIGNATURE_TYPE), "");
    let message = verify_signed(&text).unwrap_err().to_string();
    assert_eq!(message, "signed for repository \"example.com/other/image\", pulled from example.com/test/image");
    for other_host in ["mirror.example.com/test/image", "example.com:5000/test/image"] {
        let text = document(&critical(other_host, &format!("sha256:{HEX}"), COSIGN_SIGNATURE_TYPE), "");
        assert!(matches!(verify_signed(&text), Err(SignatureError::Repository { .. })), "{other_host}");
    }
}

#[test]
fn a_tag_in_the_signed_reference_and_host_case_do_not_matter() {
    for same in ["example.com/test/image:v1", "EXAMPLE.com/test/image"] {
        let text = document(&critical(same, &format!("sha256:{HEX}"), COSIGN_SIGNATURE_TYPE), "");
        assert!(verify_signed(&text).is_ok(), "{same}");
    }
}

#[test]
fn another_type_is_refused() {
    let text =
        document(&critical("example.com/test/image", &format!("sha256:{HEX}"), "atomic container signature"), "");
    assert!(matches!(verify_signed(&text), Err(SignatureError::Type(t)) if t.contains("atomic")));
}

#[test]
fn unknown_members_are_refused_in_critical_and_accepted_in_optional() {
    let extra_critical = good_critical().replacen('{', r#"{"extra":1,"#, 1);
    assert!(matches!(verify_signed(&document(&extra_critical, "")), Err(SignatureError::Payload(_))));
    let extra_image = good_critical().replace(r#""image":{"#, r#""image":{"docker-manifest-digest-2":"x","#);
    assert!(matches!(verify_signed(&document(&extra_image, "")), Err(SignatureError::Payload(_))));
    assert!(matches!(verify_signed(&document(&good_critical(), r#","extra":1"#)), Err(SignatureError::Payload(_))));
    let claims = format!(r#"{{"critical":{},"optional":{{"creator":"ci","nested":{{"a":[1,2]}}}}}}"#, good_critical());
    assert!(verify_signed(&claims).is_ok());
    assert!(verify_signed(&format!(r#"{{"critical":{}}}"#, good_critical())).is_ok(), "optional may be absent");
}

#[test]
fn duplicated_members_are_refused() {
    let twice = format!(r#"{{"critical":{0},"critical":{0},"optional":null}}"#, good_critical());
    assert!(matches!(verify_signed(&twice), Err(SignatureError::Payload(m)) if m.contains("duplicate")));
    let other = critical("example.com/test/image", &format!("sha256:{}", "0".repeat(64)), COSIGN_SIGNATURE_TYPE);
    let ambiguous = format!(r#"{{"critical":{},"critical":{},"optional":null}}"#, other, good_critical());
    assert!(matches!(verify_signed(&ambiguous), Err(SignatureError::Payload(_))));
    let digest_twice =
        good_critical().replace(r#""type""#, &format!(r#""image":{{"docker-manifest-digest":"sha256:{HEX}"}},"type""#));
    assert!(matches!(verify_signed(&document(&digest_twice, "")), Err(SignatureError::Payload(_))));
}

#[test]
fn hostile_payloads_are_refused_without_panic() {
    for text in ["", "null", "[]", "{", "\u{0}", r#"{"critical":null}"#, r#"{"critical":{"type":1}}"#] {
        assert!(matches!(verify_signed(text), Err(SignatureError::Payload(_))), "{text:?}");
    }
    let deep = format!(r#"{{"critical":{},"optional":{}{}}}"#, good_critical(), "[".repeat(20_000), "]".repeat(20_000));
    assert!(matches!(verify_signed(&deep), Err(SignatureError::Payload(_))));
    let bad_reference = document(&critical("Not A Repo", &format!("sha256:{HEX}"), COSIGN_SIGNATURE_TYPE), "");
    assert!(matches!(verify_signed(&bad_reference), Err(SignatureError::Payload(_))));
    let huge = "x".repeat(MAX_PAYLOAD_BYTES + 1);
    assert!(matches!(verify_signed(&huge), Err(SignatureError::PayloadTooLarge(_))));
}

#[test]
fn the_signature_is_checked_before_the_payload_is_read() {
    let (_, keys) = ops();
    let stranger = SigningKey::generate().unwrap();
    let signature = sign_payload(&stranger, b"{").unwrap();
    let refused = verify_payload(&keys, b"{", &signature, &repo("example.com/test/image"), &digest());
    assert!(matches!(refused, Err(SignatureError::Unverified(_))));
}
