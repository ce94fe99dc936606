//! TLS for `aiir serve` (rustls, with ring): the server's certificate and key and,
//! with `client_ca`, client certificates checked against that CA (mutual TLS). A
//! client that presents one is then known by its sha256 ([`super::auth`]); one that
//! presents none may still prove itself by a bearer token.

use super::auth::{self, TlsFiles};
use anyhow::Context as _;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerConfig, ServerConnection, WebPkiClientVerifier};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// The acceptor for `files`, offering `alpn` (`http/1.1`, `h2`).
pub fn acceptor(files: &TlsFiles, alpn: &[&[u8]]) -> anyhow::Result<TlsAcceptor> {
    let provider = crate::net::tls_provider();
    let certs = read_certs(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("cannot read a private key from {}", files.key.display()))?;
    let builder = ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let builder = match &files.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in read_certs(ca)? {
                roots
                    .add(cert)
                    .with_context(|| format!("{} holds a CA certificate rustls cannot use", ca.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).with_context(|| {
        format!("{} and {} do not make a certificate and its key", files.cert.display(), files.key.display())
    })?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read_certs(path: &std::path::Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<_, _>>())
        .with_context(|| format!("cannot read certificates from {}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{} holds no certificate", path.display());
    Ok(certs)
}

/// The sha256 of the certificate the client proved it holds, if it sent one.
pub fn client_fingerprint(connection: &ServerConnection) -> Option<[u8; 32]> {
    connection.peer_certificates()?.first().map(|der| auth::fingerprint(der))
}
