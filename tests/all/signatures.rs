//! `aiir keygen`, `sign-blob` and `verify-blob` against an independent implementation:
//! OpenSSL reads aiir's keys and checks its signatures, and aiir reads OpenSSL's keys
//! and checks its signatures (issue 14, item 3). OpenSSL must be installed: without it
//! these tests fail, saying so.

use crate::support::aiir;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::path::Path;
use std::process::Command;

/// `openssl ARGS…` in `dir`, asserting it succeeded; its stdout.
pub fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("openssl").current_dir(dir).args(args).output().unwrap_or_else(|e| {
        panic!("these tests check aiir against OpenSSL, which cannot be run ({e}): install it (Debian: apt-get install openssl)")
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "openssl {args:?} failed: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

/// A directory with a plugin-like file to sign.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut wasm = b"\0asm\x0d\0\x01\0".to_vec();
    wasm.extend((0..4096u32).map(|i| (i * 7 % 251) as u8));
    std::fs::write(dir.path().join("detector.wasm"), wasm).unwrap();
    dir
}

fn openssl_key(dir: &Path) {
    openssl(dir, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ops.key"]);
    openssl(dir, &["pkey", "-in", "ops.key", "-pubout", "-out", "ops.pub"]);
}

#[test]
fn openssl_verifies_what_aiir_signs_with_an_openssl_key() {
    let dir = workspace();
    let d = dir.path();
    openssl_key(d);
    let signed = aiir(d, &["sign-blob", "--key", "ops.key", "--output", "detector.wasm.sig", "detector.wasm"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let base64 = std::fs::read_to_string(d.join("detector.wasm.sig")).unwrap();
    std::fs::write(d.join("sig.der"), STANDARD.decode(base64.trim()).unwrap()).unwrap();
    let verified = openssl(d, &["dgst", "-sha256", "-verify", "ops.pub", "-signature", "sig.der", "detector.wasm"]);
    assert_eq!(verified.trim(), "Verified OK");
    let printed = aiir(d, &["sign-blob", "--key", "ops.key", "detector.wasm"]);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    let checked = aiir(d, &["verify-blob", "--key", "ops.pub", "--signature", "detector.wasm.sig", "detector.wasm"]);
    assert_eq!(checked.code, 0, "{}", checked.stderr);
}

#[test]
fn aiir_verifies_what_openssl_signs() {
    let dir = workspace();
    let d = dir.path();
    openssl_key(d);
    openssl(d, &["dgst", "-sha256", "-sign", "ops.key", "-out", "sig.der", "detector.wasm"]);
    let base64 = STANDARD.encode(std::fs::read(d.join("sig.der")).unwrap());
    std::fs::write(d.join("detector.wasm.sig"), format!("{base64}\n")).unwrap();
    let run = aiir(d, &["verify-blob", "--key", "ops.pub", "--signature", "detector.wasm.sig", "detector.wasm"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("signed by ops (sha256 "), "{}", run.stdout);

    std::fs::write(d.join("detector.wasm"), b"another plugin").unwrap();
    let refused = aiir(d, &["verify-blob", "--key", "ops.pub", "--signature", "detector.wasm.sig", "detector.wasm"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("does not verify with any of the trusted keys (ops)"), "{}", refused.stderr);
}

#[test]
fn openssl_reads_the_keys_aiir_makes() {
    let dir = workspace();
    let d = dir.path();
    let made = aiir(d, &["keygen", "release"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let text = openssl(d, &["pkey", "-pubin", "-in", "release.pub", "-text", "-noout"]);
    assert!(text.contains("ASN1 OID: prime256v1") && text.contains("NIST CURVE: P-256"), "{text}");
    let public_of_private = openssl(d, &["pkey", "-in", "release.key", "-pubout"]);
    assert_eq!(public_of_private, std::fs::read_to_string(d.join("release.pub")).unwrap());

    openssl(d, &["dgst", "-sha256", "-sign", "release.key", "-out", "sig.der", "detector.wasm"]);
    let signed = aiir(d, &["sign-blob", "--key", "release.key", "detector.wasm"]);
    std::fs::write(d.join("sig.der"), STANDARD.decode(signed.stdout.trim()).unwrap()).unwrap();
    let verified = openssl(d, &["dgst", "-sha256", "-verify", "release.pub", "-signature", "sig.der", "detector.wasm"]);
    assert_eq!(verified.trim(), "Verified OK");

    let again = aiir(d, &["keygen", "release"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("does not overwrite"), "{}", again.stderr);
}

#[test]
fn an_openssl_sec1_key_is_refused_with_the_command_that_converts_it() {
    let dir = workspace();
    let d = dir.path();
    openssl(d, &["ecparam", "-name", "prime256v1", "-genkey", "-out", "old.key"]);
    let run = aiir(d, &["sign-blob", "--key", "old.key", "detector.wasm"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("old.key") && run.stderr.contains("openssl pkcs8 -topk8 -nocrypt"), "{}", run.stderr);
    openssl(d, &["pkcs8", "-topk8", "-nocrypt", "-in", "old.key", "-out", "new.key"]);
    let converted = aiir(d, &["sign-blob", "--key", "new.key", "detector.wasm"]);
    assert_eq!(converted.code, 0, "{}", converted.stderr);
}

#[test]
fn a_public_key_of_another_kind_is_refused_naming_the_file() {
    let dir = workspace();
    let d = dir.path();
    openssl(d, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.key"]);
    openssl(d, &["pkey", "-in", "p384.key", "-pubout", "-out", "p384.pub"]);
    std::fs::write(d.join("detector.wasm.sig"), "MEUCIQ==").unwrap();
    let run = aiir(d, &["verify-blob", "--key", "p384.pub", "--signature", "detector.wasm.sig", "detector.wasm"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("p384.pub") && run.stderr.contains("P-384"), "{}", run.stderr);
}
