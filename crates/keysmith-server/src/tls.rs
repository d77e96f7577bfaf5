//! The team server's TLS: a certificate given (`--tls-cert`/`--tls-key`, PEM), or one made at
//! first start and kept beside the vault (`<vault>.tls-cert.pem` and `<vault>.tls-key.pem`,
//! the key readable by its owner only). Devices do not check it against certificate
//! authorities: they pin its SHA-256 fingerprint, which the invitation carries, so a
//! self-signed certificate is as good as a bought one, and any other certificate is refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use keysmith_core::team::invitation::Fingerprint;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file that cannot be read or is not PEM of the right kind.
    #[error("Cannot use {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The certificate and key do not go together, or rustls refused them.
    #[error("The certificate and key cannot serve TLS: {0}")]
    Config(String),
}

/// A TLS set-up: what rustls serves with, and the fingerprint devices pin.
#[derive(Clone)]
pub struct Tls {
    /// The server configuration.
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the certificate's DER.
    pub fingerprint: Fingerprint,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("fingerprint", &self.fingerprint.to_string())
            .finish_non_exhaustive()
    }
}

/// Where the certificate made for `vault` is kept, and its key.
pub fn paths_beside(vault: &Path) -> (PathBuf, PathBuf) {
    let with = |suffix: &str| {
        let mut name = vault.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    (with(".tls-cert.pem"), with(".tls-key.pem"))
}

/// The certificate kept beside `vault`, made now (self-signed, for `names` and the loopback
/// names) if there is none yet. The key is written readable by its owner only.
pub fn beside_vault(vault: &Path, names: &[String]) -> Result<Tls, TlsError> {
    let (cert, key) = paths_beside(vault);
    if !cert.exists() || !key.exists() {
        make_self_signed(&cert, &key, names)?;
    }
    from_files(&cert, &key)
}

fn make_self_signed(cert: &Path, key: &Path, names: &[String]) -> Result<(), TlsError> {
    let mut all = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    all.extend(names.iter().cloned());
    all.sort();
    all.dedup();
    let made = rcgen::generate_simple_self_signed(all)
        .map_err(|error| TlsError::Config(error.to_string()))?;
    let key_pem = Zeroizing::new(made.key_pair.serialize_pem());
    keysmith_core::export::write_private(key, key_pem.as_bytes()).map_err(|error| {
        TlsError::File {
            path: key.to_owned(),
            reason: error.to_string(),
        }
    })?;
    std::fs::write(cert, made.cert.pem()).map_err(|error| TlsError::File {
        path: cert.to_owned(),
        reason: error.to_string(),
    })
}

/// The certificate chain in `cert` and the private key in `key` (PEM).
pub fn from_files(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
    let unreadable = |path: &Path, reason: String| TlsError::File {
        path: path.to_owned(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|error| unreadable(cert, error.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| unreadable(cert, error.to_string()))?;
    let Some(leaf) = chain.first() else {
        return Err(unreadable(cert, "no certificate in it".into()));
    };
    let fingerprint = Fingerprint::of(leaf.as_ref());
    let private =
        PrivateKeyDer::from_pem_file(key).map_err(|error| unreadable(key, error.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError::Config(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|error| TlsError::Config(error.to_string()))?;
    Ok(Tls {
        config: Arc::new(config),
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_made_once_beside_the_vault_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("team.vault");
        let first = beside_vault(&vault, &["keysmith.internal".into()]).unwrap();
        let again = beside_vault(&vault, &[]).unwrap();
        assert_eq!(first.fingerprint, again.fingerprint, "kept, not made anew");
        let (cert, key) = paths_beside(&vault);
        assert!(std::fs::read_to_string(&cert)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is its owner's alone: {mode:o}");
        }
        std::fs::write(&key, "not a key").unwrap();
        let error = from_files(&cert, &key).unwrap_err();
        assert!(error.to_string().contains("tls-key.pem"), "{error}");
    }
}
