//! TLS settings shared by the components that speak it (rustls, ring provider).
//!
//! Client side today (the Elasticsearch sink's `tls = { ca_file, verify }`): the system's
//! trust store by default, a PEM bundle of CA certificates with `ca_file`, and no check at
//! all with `verify = false`, which is logged as a warning at start.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `tls = { ca_file, verify }` of a client.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTlsConfig {
    /// PEM file of the CA certificates to trust; absent: the system's trust store.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Check the server's certificate and name (default). `false` trusts any server.
    #[serde(default = "yes")]
    pub verify: bool,
}

fn yes() -> bool {
    true
}

impl Default for ClientTlsConfig {
    fn default() -> Self {
        ClientTlsConfig {
            ca_file: None,
            verify: true,
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The CA certificates of a PEM file; an error names the file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("`{}` is not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("`{}` has no PEM certificate", path.display()));
    }
    Ok(certs)
}

impl ClientTlsConfig {
    /// A rustls client configuration; the error says which file or store failed.
    pub fn build(&self) -> Result<Arc<ClientConfig>, String> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let config = if !self.verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerify(provider())))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore::empty();
            match &self.ca_file {
                Some(path) => {
                    for c in load_certs(path)? {
                        roots.add(c).map_err(|e| {
                            format!("a certificate of `{}` is not usable: {e}", path.display())
                        })?;
                    }
                }
                None => {
                    let found = rustls_native_certs::load_native_certs();
                    roots.add_parsable_certificates(found.certs);
                    if roots.is_empty() {
                        return Err(
                            "the system's trust store has no certificate; set tls.ca_file".into(),
                        );
                    }
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        Ok(Arc::new(config))
    }
}

/// `verify = false`: any certificate is accepted; signatures are still checked so that
/// the handshake itself is sound.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_named() {
        let c = ClientTlsConfig {
            ca_file: Some("/nonexistent/ca.pem".into()),
            verify: true,
        };
        let e = c.build().unwrap_err();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        let f = tempfile_with(b"not a certificate\n");
        let c = ClientTlsConfig {
            ca_file: Some(f.clone()),
            verify: true,
        };
        let e = c.build().unwrap_err();
        assert!(e.contains("has no PEM certificate"), "{e}");
        let _ = std::fs::remove_file(f);
        let c = ClientTlsConfig {
            ca_file: None,
            verify: false,
        };
        assert!(c.build().is_ok());
    }

    fn tempfile_with(bytes: &[u8]) -> PathBuf {
        let p = std::env::temp_dir().join(format!("sluice-tls-test-{}.pem", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// A listener's `tls = { crt_file, key_file, ca_file, verify_client }`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServerTlsConfig {
    /// The server's certificate chain (PEM), leaf first.
    pub crt_file: PathBuf,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// CAs (PEM) that client certificates must chain to.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Require a client certificate signed by `ca_file` (mutual TLS). Off: a client
    /// certificate is checked when one is offered, and not required.
    #[serde(default)]
    pub verify_client: bool,
}

impl ServerTlsConfig {
    /// The files it reads, to watch for changes.
    pub fn files(&self) -> Vec<&Path> {
        let mut f = vec![self.crt_file.as_path(), self.key_file.as_path()];
        f.extend(self.ca_file.as_deref());
        f
    }

    /// Reads the files into a rustls server config; the error names the file and what
    /// is wrong (never the key's contents).
    pub fn build(&self) -> Result<Arc<rustls::ServerConfig>, String> {
        use rustls::pki_types::PrivateKeyDer;
        let certs = load_certs(&self.crt_file)?;
        let key = PrivateKeyDer::from_pem_file(&self.key_file).map_err(|e| {
            format!(
                "`{}` is not a PEM private key: {e}",
                self.key_file.display()
            )
        })?;
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let builder = match &self.ca_file {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for c in load_certs(ca)? {
                    roots.add(c).map_err(|e| {
                        format!("a certificate of `{}` is not usable: {e}", ca.display())
                    })?;
                }
                let v = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider(),
                );
                let v = if self.verify_client {
                    v
                } else {
                    v.allow_unauthenticated()
                };
                builder.with_client_cert_verifier(v.build().map_err(|e| e.to_string())?)
            }
            None if self.verify_client => {
                return Err(
                    "verify_client needs ca_file: the CAs client certificates must chain to".into(),
                )
            }
            None => builder.with_no_client_auth(),
        };
        let config = builder.with_single_cert(certs, key).map_err(|e| {
            format!(
                "`{}` and `{}` do not make a usable certificate and key: {e}",
                self.crt_file.display(),
                self.key_file.display()
            )
        })?;
        Ok(Arc::new(config))
    }
}
