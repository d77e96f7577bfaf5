//! The TLS the client speaks: the server must present exactly the certificate whose SHA-256
//! the profile pins. Names and certificate authorities are not consulted (a self-signed
//! certificate at an address is the normal case); the handshake's signatures are checked as
//! rustls always checks them, so only the holder of that certificate's key gets through.

use std::sync::{Arc, Mutex};

use keysmith_core::team::invitation::Fingerprint;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, SignatureScheme};

/// Accepts only the certificate with the pinned fingerprint; remembers what was presented
/// otherwise, to say so.
#[derive(Debug)]
pub(crate) struct Pinned {
    pinned: Fingerprint,
    provider: Arc<CryptoProvider>,
    /// The fingerprint of the last certificate refused.
    pub(crate) refused: Mutex<Option<Fingerprint>>,
}

impl Pinned {
    /// A verifier pinning `fingerprint`, and a client configuration that uses it.
    pub(crate) fn config(fingerprint: Fingerprint) -> (Arc<Pinned>, ClientConfig) {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let pinned = Arc::new(Pinned {
            pinned: fingerprint,
            provider: Arc::clone(&provider),
            refused: Mutex::new(None),
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|_| unreachable!("ring supports the default protocol versions"))
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(&pinned) as Arc<dyn ServerCertVerifier>)
            .with_no_client_auth();
        (pinned, config)
    }
}

impl Pinned {
    /// The fingerprint it pins.
    pub(crate) fn fingerprint(&self) -> &Fingerprint {
        &self.pinned
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let presented = Fingerprint::of(end_entity.as_ref());
        if presented == self.pinned {
            Ok(ServerCertVerified::assertion())
        } else {
            *self
                .refused
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(presented);
            Err(Error::General(
                "certificate does not match the pinned fingerprint".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
