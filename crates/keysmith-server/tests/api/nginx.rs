//! A real nginx (Debian's, started here unprivileged with its own config and folders) in front
//! of a test upstream, asking Keysmith through `auth_request` — with the configuration the
//! README gives, 429 handling included.

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use axum::http::HeaderMap as AxumHeaders;
use keysmith_core::{IpAllowlist, Restrictions, UsageLimit};

use super::gateway::{issue, restricted};
use super::*;

/// The README's nginx configuration (`docs/gateways/nginx.conf`), with its placeholders for
/// Keysmith's, the upstream's and its own addresses.
const CONFIG: &str = include_str!("../../../../docs/gateways/nginx.conf");

/// nginx serving `CONFIG` on a free port, stopped (by its PID) when dropped.
pub(crate) struct Nginx {
    child: Child,
    pub(crate) base: String,
    dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts nginx in front of `upstream`, asking `keysmith`, with the README's configuration.
async fn nginx(keysmith: &str, upstream: &str) -> Nginx {
    serve("http", |_, port| {
        CONFIG
            .replace("127.0.0.1:8700", keysmith)
            .replace("127.0.0.1:9000", upstream)
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
    })
    .await
}

/// Starts nginx with the `http` block's contents `sites` makes (given nginx's folder and the
/// free port its server listens on), answering `scheme`.
pub(crate) async fn serve(scheme: &str, sites: impl FnOnce(&Path, u16) -> String) -> Nginx {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let sites = sites(dir.path(), port);
    let config = format!(
        "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log info;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n  \
         proxy_temp_path {dir}/proxy;\n  fastcgi_temp_path {dir}/fastcgi;\n  \
         uwsgi_temp_path {dir}/uwsgi;\n  scgi_temp_path {dir}/scgi;\n{sites}\n}}\n",
        dir = dir.path().display(),
    );
    std::fs::write(dir.path().join("nginx.conf"), config).unwrap();
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir.path())
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx is installed (scripts/setup installs it)");
    let nginx = Nginx {
        child,
        base: format!("{scheme}://127.0.0.1:{port}"),
        dir,
    };
    listening(port, "nginx", nginx.dir.path()).await;
    nginx
}

/// Waits (up to 10 s) until `what`, its log in `dir`, listens on `port`.
pub(crate) async fn listening(port: u16, what: &str, dir: &Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not start: {}",
            log(dir)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
}

/// The test upstream: answers 200 with the owner and credential headers it was given, and
/// whether the client's token reached it (and, behind Apache, the introspected user).
pub(crate) async fn upstream() -> (String, tokio::task::JoinHandle<()>) {
    async fn answer(headers: AxumHeaders) -> String {
        let header = |name: &str| {
            headers
                .get(name)
                .map_or("-", |value| value.to_str().unwrap_or("?"))
                .to_owned()
        };
        if let Some(user) = headers.get("oidc_claim_username") {
            return format!("user={}", user.to_str().unwrap_or("?"));
        }
        format!(
            "owner={} credential={} authorization={}",
            header("x-keysmith-owner"),
            header("x-keysmith-credential"),
            header("authorization"),
        )
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let app = axum::Router::new().fallback(answer);
    let served = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (address, served)
}

#[tokio::test(flavor = "multi_thread")]
async fn nginx_lets_good_tokens_through_and_refuses_the_rest() {
    let (api, pat, _) = start(Access::Open).await;
    let (upstream, upstream_task) = upstream().await;
    let keysmith = api.base.trim_start_matches("http://").to_owned();
    let nginx = nginx(&keysmith, &upstream).await;
    let get = |path: &str, token: Option<&str>| {
        let mut request = api.client.get(format!("{}{path}", nginx.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request
                // A browser's cross-origin call carries an Origin: the config drops it.
                .header("origin", "https://app.example.com")
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            (status, headers, response.text().await.unwrap())
        }
    };
    let token = pat.token.expose();

    let (status, _, body) = get("/payables/invoices", Some(token)).await;
    assert_eq!(status, 200, "{body}\n{}", log(nginx.dir.path()));
    assert_eq!(
        body,
        format!(
            "owner=Ada Holder credential={} authorization=-",
            pat.credential.id.0
        )
    );
    // A scope the token lacks (read-only: no payables:write).
    let (status, headers, _) = get("/payables-admin/", Some(token)).await;
    assert_eq!(status, 403);
    assert!(headers.get("x-keysmith-owner").is_none());
    // No token, a bad one: 401 with Keysmith's challenge.
    assert_eq!(get("/payables/", None).await.0, 401);
    let (status, headers, body) = get("/payables/", Some("ks_pat_nonsense")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        headers["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );

    // A usage limit spent: 429, not nginx's 500.
    let once = issue(&api, |api| {
        restricted(
            api,
            "once",
            Restrictions {
                usage: Some(UsageLimit::new(1, None).unwrap()),
                ..Restrictions::default()
            },
        )
    });
    assert_eq!(get("/payables/", Some(once.token.expose())).await.0, 200);
    assert_eq!(get("/payables/", Some(once.token.expose())).await.0, 429);
    // A rate limit spent: 429 with Keysmith's Retry-After.
    let slow = issue(&api, |api| NewCredential {
        rate_limit: RateLimit::new(1).unwrap(),
        ..restricted(api, "one a minute", Restrictions::default())
    });
    assert_eq!(get("/payables/", Some(slow.token.expose())).await.0, 200);
    let (status, headers, _) = get("/payables/", Some(slow.token.expose())).await;
    assert_eq!(status, 429);
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");

    // An allowlist: the client (127.0.0.1, as nginx forwards it) is outside 10.0.0.0/8, and a
    // X-Forwarded-For the client wrote itself does not help.
    let office = issue(&api, |api| {
        restricted(
            api,
            "office",
            Restrictions {
                allowed_ips: IpAllowlist::parse(&["10.0.0.0/8"]).unwrap(),
                ..Restrictions::default()
            },
        )
    });
    assert_eq!(get("/payables/", Some(office.token.expose())).await.0, 403);
    let spoofed = api
        .client
        .get(format!("{}/payables/", nginx.base))
        .bearer_auth(office.token.expose())
        .header("x-forwarded-for", "10.1.2.3")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 403);
    let home = issue(&api, |api| {
        restricted(
            api,
            "home",
            Restrictions {
                allowed_ips: IpAllowlist::parse(&["127.0.0.1"]).unwrap(),
                ..Restrictions::default()
            },
        )
    });
    assert_eq!(get("/payables/", Some(home.token.expose())).await.0, 200);

    // Revoked: refused on the next request.
    api.open_vault().revoke(pat.credential.id).unwrap();
    assert_eq!(get("/payables/", Some(token)).await.0, 401);
    drop(nginx);
    upstream_task.abort();
    api.stop().await;
}
