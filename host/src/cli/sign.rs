//! `aiir keygen`, `aiir sign-blob` and `aiir verify-blob`: plugin signatures kept as
//! files, in cosign's keyed format, so that cosign and OpenSSL make and check the
//! same signatures.

use crate::output::{diagnostic, print_text, terminal};
use crate::trust::key::{SigningKey, write_key_pair};
use crate::trust::{Keys, sign_blob, verify_blob};
use anyhow::Context as _;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Examples of `aiir keygen`.
pub(super) const KEYGEN_EXAMPLES: &str = "\
Examples:
  aiir keygen ops                 # writes ops.key and ops.pub
  cosign import-key-pair --key ops.key    # the same key for cosign

A key made by OpenSSL works as well:
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ops.key
  openssl pkey -in ops.key -pubout -out ops.pub";

/// Examples of `aiir sign-blob`.
pub(super) const SIGN_EXAMPLES: &str = "\
Examples:
  aiir sign-blob --key ops.key detector.wasm                       # prints the signature
  aiir sign-blob --key ops.key --output detector.wasm.sig detector.wasm

cosign (2.x) makes the same signature and checks this one, offline:
  cosign sign-blob --key ops.key --tlog-upload=false detector.wasm
  cosign verify-blob --key ops.pub --signature detector.wasm.sig --insecure-ignore-tlog detector.wasm";

/// Examples of `aiir verify-blob`.
pub(super) const VERIFY_EXAMPLES: &str = "\
Examples:
  aiir verify-blob --key ops.pub --signature detector.wasm.sig detector.wasm
  aiir verify-blob --key ops.pub --key release.pub --signature detector.wasm.sig detector.wasm

OpenSSL checks the same signature, decoded from base64:
  base64 -d detector.wasm.sig > detector.wasm.sig.der
  openssl dgst -sha256 -verify ops.pub -signature detector.wasm.sig.der detector.wasm";

#[derive(Debug, Args)]
pub(super) struct KeygenArgs {
    /// Where to write: PREFIX.key and PREFIX.pub.
    prefix: PathBuf,
}

#[derive(Debug, Args)]
pub(super) struct SignBlobArgs {
    /// The private key (PKCS#8 PEM, unencrypted).
    #[arg(long, value_name = "PREFIX.key")]
    key: PathBuf,
    /// Write the signature to this file instead of stdout.
    #[arg(short, long, value_name = "FILE.sig")]
    output: Option<PathBuf>,
    /// The file to sign: a plugin component.
    file: PathBuf,
}

#[derive(Debug, Args)]
pub(super) struct VerifyBlobArgs {
    /// A trusted public key (SPKI PEM); repeat for several, any of which may have signed.
    #[arg(long, value_name = "PREFIX.pub", required = true)]
    key: Vec<PathBuf>,
    /// The signature file: base64, as `aiir sign-blob` and `cosign sign-blob` write it.
    #[arg(long, value_name = "FILE.sig")]
    signature: PathBuf,
    /// The signed file.
    file: PathBuf,
}

/// `aiir keygen PREFIX`.
pub(super) fn keygen(args: KeygenArgs) -> anyhow::Result<()> {
    let (private, public) = write_key_pair(&args.prefix)?;
    print_text(&format!(
        "wrote {} (private: keep it secret) and {} (public: list it in the config's [trust] keys)",
        private.display(),
        public.display()
    ));
    Ok(())
}

/// `aiir sign-blob --key PREFIX.key FILE`.
pub(super) fn sign(args: SignBlobArgs) -> anyhow::Result<()> {
    let key = SigningKey::read(&args.key)?;
    let signature = sign_blob(&key, &read_blob(&args.file)?)?;
    match args.output {
        // As cosign's --output-signature: the base64 alone, no newline.
        Some(path) => std::fs::write(&path, &signature).with_context(|| format!("cannot write {}", path.display())),
        None => {
            print_text(&signature);
            Ok(())
        }
    }
}

/// `aiir verify-blob --key PREFIX.pub --signature FILE.sig FILE`: 0 when a trusted key
/// signed it, 1 when none did, 2 when something could not be read.
pub(super) fn verify(args: VerifyBlobArgs) -> anyhow::Result<ExitCode> {
    let keys = Keys::load(&args.key)?;
    let signature = crate::file::read_text_capped(&args.signature, 64 << 10)
        .with_context(|| format!("cannot read signature {}", args.signature.display()))?;
    let shown = args.file.display();
    match verify_blob(&keys, &read_blob(&args.file)?, &signature) {
        Ok(signer) => {
            print_text(&format!("verified: {shown} is signed by {signer}"));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            diagnostic(&format!("aiir: {shown}: {}", terminal::line(&e.to_string())));
            Ok(ExitCode::from(1))
        }
    }
}

fn read_blob(path: &Path) -> anyhow::Result<Vec<u8>> {
    crate::runtime::read_component(path).with_context(|| format!("cannot read {}", path.display()))
}
