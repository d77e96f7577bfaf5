//! An RFC 7662 client no one here wrote: Apache with mod_auth_openidc (Debian's
//! `libapache2-mod-auth-openidc`) as an OAuth 2.0 resource server, introspecting the tokens
//! clients bring at `/v1/introspect` with HTTP Basic (the verifier key as the secret). The
//! module insists on https for the endpoint, so a real nginx terminates TLS (a certificate
//! made for the test) in front of Keysmith, as a deployment would.

use std::process::{Child, Command, Stdio};

use super::nginx::{free_port, listening, log, serve, upstream};
use super::*;

/// Apache serving `config`, stopped when dropped.
struct Apache {
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Apache {
    fn drop(&mut self) {
        // `-k stop` (SIGTERM to the PID file's process): Apache stops its workers, then itself.
        let _ = Command::new("apache2")
            .arg("-f")
            .arg(self.dir.path().join("httpd.conf"))
            .args(["-k", "stop"])
            .status();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate and key for 127.0.0.1 in `dir`, made with openssl.
fn certificate(dir: &std::path::Path) {
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn apache_with_mod_auth_openidc_introspects_keysmith_tokens() {
    let (api, pat, _) = start(Access::Open).await;
    let keysmith = api.base.trim_start_matches("http://").to_owned();
    let tls = serve("https", |dir, port| {
        certificate(dir);
        format!(
            "server {{\n  listen 127.0.0.1:{port} ssl;\n  ssl_certificate {dir}/cert.pem;\n  \
             ssl_certificate_key {dir}/key.pem;\n  location / {{ proxy_pass http://{keysmith}; }}\n}}",
            dir = dir.display()
        )
    })
    .await;
    let (upstream, upstream_task) = upstream().await;

    let dir = tempfile::tempdir().unwrap();
    // Apache's workers (nobody, when started as root) read nothing here but need to reach it.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let port = free_port();
    let modules = "/usr/lib/apache2/modules";
    let config = format!(
        r#"ServerRoot {dir}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {dir}/httpd.pid
DefaultRuntimeDir {dir}
Mutex file:{dir} default
ErrorLog {dir}/error.log
LogLevel warn
User nobody
Group nogroup
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule authn_core_module {modules}/mod_authn_core.so
LoadModule authz_user_module {modules}/mod_authz_user.so
LoadModule proxy_module {modules}/mod_proxy.so
LoadModule proxy_http_module {modules}/mod_proxy_http.so
LoadModule auth_openidc_module {modules}/mod_auth_openidc.so
OIDCOAuthIntrospectionEndpoint {tls}/v1/introspect
OIDCOAuthIntrospectionEndpointAuth client_secret_basic
OIDCOAuthClientID gateway
OIDCOAuthClientSecret {key}
OIDCOAuthRemoteUserClaim username
OIDCOAuthSSLValidateServer Off
OIDCPassClaimsAs headers
OIDCCryptoPassphrase apache-test-only
OIDCCacheType shm
<Location /api/>
  AuthType oauth20
  Require valid-user
  ProxyPass http://{upstream}/
</Location>
"#,
        dir = dir.path().display(),
        tls = tls.base,
        key = api.verifier_key.expose(),
    );
    std::fs::write(dir.path().join("httpd.conf"), config).unwrap();
    let child = Command::new("apache2")
        .arg("-f")
        .arg(dir.path().join("httpd.conf"))
        .arg("-DFOREGROUND")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("Apache is installed (scripts/setup installs it)");
    let apache = Apache { child, dir };
    listening(port, "Apache", apache.dir.path()).await;
    let get = |token: &str| {
        let request = api
            .client
            .get(format!("http://127.0.0.1:{port}/api/invoices"))
            .bearer_auth(token);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };

    let (status, body) = get(pat.token.expose()).await;
    assert_eq!(status, 200, "{body}\n{}", log(apache.dir.path()));
    assert_eq!(body, "user=Ada Holder");
    let (status, _) = get("ks_pat_made_up").await;
    assert_eq!(status, 401);
    // A token switched off is inactive to the module (before it ever cached it as active).
    let other = api
        .open_vault()
        .issue(&super::gateway::restricted(
            &api,
            "apache",
            Default::default(),
        ))
        .unwrap();
    api.open_vault()
        .set_enabled(other.credential.id, false)
        .unwrap();
    assert_eq!(get(other.token.expose()).await.0, 401);
    drop(apache);
    drop(tls);
    upstream_task.abort();
    api.stop().await;
}
