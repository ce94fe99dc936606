//! `aiir push` and `aiir pull`: plugins to and from OCI registries.

use crate::oci::{self, Reference, Store};
use anyhow::Context as _;
use clap::Args;
use std::path::PathBuf;

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
