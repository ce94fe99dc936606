//! `aiir push`, `aiir pull`, `aiir sign` and `aiir verify`: plugins to and from OCI
//! registries, and their cosign signatures there.

use crate::oci::{self, Reference, Signed, Store};
use crate::output::{diagnostic, print_text, terminal};
use crate::trust::key::SigningKey;
use crate::trust::reference::Repository;
use crate::trust::{Keys, payload, policy, sign_payload};
use anyhow::Context as _;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub(super) struct PushArgs {
    /// The component to push (.wasm).
    file: PathBuf,
    /// Where: `oci://HOST[:PORT]/REPOSITORY[:TAG]` (the tag defaults to `latest`).
    reference: String,
}

#[derive(Debug, Args)]
pub(super) struct PullArgs {
    /// What: `oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:DIGEST]`.
    reference: String,
    /// Where to write the component [default: the repository's last name, `.wasm`,
    /// in the current directory].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(super) struct SignArgs {
    /// The private key (PKCS#8 PEM, from `aiir keygen` or OpenSSL).
    #[arg(long, value_name = "PREFIX.key")]
    key: PathBuf,
    /// The plugin: `oci://HOST/REPOSITORY:TAG` (signed at the digest the tag names
    /// now) or `…@sha256:DIGEST`.
    reference: String,
}

#[derive(Debug, Args)]
pub(super) struct VerifyArgs {
    /// A trusted public key (SPKI PEM); repeat for several, any of which may have signed.
    #[arg(long, value_name = "PREFIX.pub", required = true)]
    key: Vec<PathBuf>,
    /// The plugin: `oci://HOST/REPOSITORY:TAG` or `…@sha256:DIGEST`.
    reference: String,
}

/// Push; print the pinned reference on stdout, for scripts and configs.
pub(super) async fn push(args: PushArgs) -> anyhow::Result<()> {
    let reference = Reference::parse(&args.reference).map_err(anyhow::Error::msg)?;
    let wasm =
        crate::runtime::read_component(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let title = args.file.file_name().map(|n| n.to_string_lossy().into_owned());
    let digest = oci::push(&wasm, &reference, title.as_deref())
        .await
        .with_context(|| format!("cannot push {} to {reference}", args.file.display()))?;
    crate::output::diagnostic(&format!("pushed {} ({} bytes) as {digest}", args.file.display(), wasm.len()));
    crate::output::print_text(&reference.pinned(&digest).to_string());
    Ok(())
}

/// Pull into a file; print the pinned reference on stdout.
pub(super) async fn pull(args: PullArgs) -> anyhow::Result<()> {
    let reference = Reference::parse(&args.reference).map_err(anyhow::Error::msg)?;
    let store = Store::default_dir().map(Store::new);
    let pulled = oci::pull(&reference, store.as_ref()).await.with_context(|| format!("cannot pull {reference}"))?;
    let output = args.output.unwrap_or_else(|| {
        let name = reference.repository.rsplit('/').next().unwrap_or("plugin");
        PathBuf::from(format!("{name}.wasm"))
    });
    crate::runtime::write_atomic(&output, &pulled.wasm)
        .with_context(|| format!("cannot write {}", output.display()))?;
    crate::output::diagnostic(&format!("pulled {} bytes to {}", pulled.wasm.len(), output.display()));
    crate::output::print_text(&pulled.reference.to_string());
    Ok(())
}

/// Sign the artifact's manifest digest and store the signature beside it, as cosign does.
pub(super) async fn sign(args: SignArgs) -> anyhow::Result<()> {
    let reference = Reference::parse(&args.reference).map_err(anyhow::Error::msg)?;
    let key = SigningKey::read(&args.key)?;
    let client = oci::Client::new(&reference.registry);
    let (_, digest, _) = client.manifest(&reference.repository, reference.target()).await?;
    let repository = Repository::parse(&reference.name())?;
    let payload = payload(&repository, &digest);
    let signature = sign_payload(&key, &payload)?;
    oci::attach_signature(&reference, &digest, &Signed { payload, signature })
        .await
        .with_context(|| format!("cannot store the signature of {reference}"))?;
    let pinned = reference.pinned(&digest);
    diagnostic(&format!("signed {pinned} with {} (sha256 {})", args.key.display(), key.public_key().fingerprint()));
    print_text(&pinned.to_string());
    Ok(())
}

/// Check the artifact's signatures against the keys, offline but for the registry:
/// 0 when a key signed it, 1 when none did, 2 when something could not be read.
pub(super) async fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let reference = Reference::parse(&args.reference).map_err(anyhow::Error::msg)?;
    let keys = Keys::load(&args.key)?;
    let store = Store::default_dir().map(Store::new);
    let pulled = oci::pull(&reference, store.as_ref()).await.with_context(|| format!("cannot pull {reference}"))?;
    // The signature check runs registry calls on a thread of its own, off this runtime.
    let checked = tokio::task::spawn_blocking(move || {
        let result = policy::check_pulled(&keys, &pulled, store.as_ref());
        (pulled.reference, result)
    });
    let (pinned, result) = checked.await?;
    match result {
        Ok(signer) => {
            print_text(&format!("verified: {pinned} is signed by {signer}"));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            diagnostic(&format!("aiir: {pinned}: {}", terminal::line(&e)));
            Ok(ExitCode::from(1))
        }
    }
}
