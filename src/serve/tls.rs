//! TLS for the HTTPS binding: rustls on the ring provider (no OpenSSL, no
//! cmake), HTTP/1.1 only. The configuration is rebuilt at every reload, so
//! a renewed certificate is served without a restart.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::diagnostic::{Diagnostic, Level};

fn fail(message: String, help: &str) -> Vec<Diagnostic> {
    vec![
        Diagnostic::without_location("rolecall::serve::tls", Level::Error, message).with_help(help),
    ]
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, Vec<Diagnostic>> {
    crate::syntax::read_limited(path).map_err(|e| {
        fail(
            format!("cannot read the TLS {what} {}: {e}", path.display()),
            &format!("check the --tls-{what} path"),
        )
    })
}

/// The server configuration for a PEM certificate chain and its PEM private key.
pub fn config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, Vec<Diagnostic>> {
    let chain = CertificateDer::pem_slice_iter(&read(cert, "cert")?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            fail(
                format!("{} is not a PEM certificate chain: {e}", cert.display()),
                "give the server certificate first, then its intermediates, each as -----BEGIN CERTIFICATE-----",
            )
        })?;
    if chain.is_empty() {
        return Err(fail(
            format!("{} holds no certificate", cert.display()),
            "give the server certificate first, then its intermediates, each as -----BEGIN CERTIFICATE-----",
        ));
    }
    // The key's text is never put in a message.
    let private = PrivateKeyDer::from_pem_slice(&read(key, "key")?).map_err(|e| {
        fail(
            format!("{} is not a PEM private key: {e}", key.display()),
            "give a PKCS#8, PKCS#1 (RSA) or SEC1 (EC) key in PEM",
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(format!("TLS: {e}"), "report this"))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            fail(
                format!(
                    "{} and {} do not make a usable TLS identity: {e}",
                    cert.display(),
                    key.display()
                ),
                "the key must be the certificate's own private key",
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
