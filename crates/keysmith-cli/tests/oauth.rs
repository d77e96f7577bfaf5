//! OAuth over HTTP with a client library no one here wrote: authlib (Python, installed from PyPI
//! by scripts/setup into the venv `$KEYSMITH_PYTHON` names) drives the authorization-code flow
//! with PKCE and refresh rotation, and the device flow with revocation, against `keysmith
//! serve` on 127.0.0.1; the approvals go through the command line, as an operator's would.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use support::*;

/// The CSP every Keysmith page carries: nothing may load or run.
const PAGE_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// tests/oauth_client.py under the venv's Python, a line of JSON per step; killed after a
/// minute if it hangs.
struct AppProcess {
    child: Child,
    stdin: ChildStdin,
    lines: BufReader<ChildStdout>,
}

impl AppProcess {
    fn start(args: &[&str]) -> AppProcess {
        let python = std::env::var("KEYSMITH_PYTHON")
            .expect("KEYSMITH_PYTHON names the venv's python (scripts/env.sh, scripts/setup)");
        let mut child = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/oauth_client.py"
            ))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(60));
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        });
        AppProcess {
            stdin: child.stdin.take().unwrap(),
            lines: BufReader::new(child.stdout.take().unwrap()),
            child,
        }
    }

    /// The next step's JSON.
    fn next(&mut self) -> Value {
        let mut line = String::new();
        self.lines.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not a step: {line:?}"))
    }

    /// Lets the app go on after a decision.
    fn go_on(&mut self) {
        self.stdin.write_all(b"decided\n").unwrap();
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn add_app(vault: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "oauth",
        "app",
        "add",
        "--redirect-uri",
        REDIRECT,
        "--scope",
        "payables:read",
        "--json",
    ];
    args.extend_from_slice(extra);
    ok_json(keysmith(vault, &args))
}

fn approve(vault: &Path, code: &str) {
    let approved = keysmith(vault, &["oauth", "approve", code]);
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
}

#[test]
fn authlib_runs_the_code_flow_with_pkce_and_a_reused_refresh_token_ends_the_grant() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("oauth.vault");
    init(&vault);
    let app = add_app(&vault, &["--name", "Ledger", "--public"]);
    let client_id = app["client_id"].as_str().unwrap().to_owned();
    assert_eq!(app.get("client_secret"), None, "a public app has no secret");
    let server = Server::start(&vault, &[]);

    let mut authlib = AppProcess::start(&["code", &server.base, &client_id, REDIRECT]);
    let waiting = authlib.next();
    assert_eq!(
        (&waiting["authorize_status"], &waiting["wait_status"]),
        (&json!(303), &json!(200))
    );
    assert_eq!(waiting["csp"], PAGE_CSP);
    assert_eq!(
        (&waiting["refresh"], &waiting["script"]),
        (&json!(true), &json!(false))
    );
    let user_code = waiting["user_code"].as_str().unwrap();
    let pending = ok_json(keysmith(&vault, &["oauth", "pending", "--json"]));
    assert_eq!(pending[0]["user_code"], user_code);
    assert_eq!(pending[0]["app_name"], "Ledger");
    assert_eq!(pending[0]["scopes"], json!(["payables:read"]));
    approve(&vault, user_code);
    authlib.go_on();

    let done = authlib.next();
    assert_eq!(done["callback_state_ok"], true, "authlib's state came back");
    assert_eq!(
        done["wait_after_redirect"], 404,
        "the code is handed out once"
    );
    assert_eq!(
        (&done["token_type"], &done["expires_in"]),
        (&json!("Bearer"), &json!(3600))
    );
    assert_eq!(
        (&done["access_prefix"], &done["refresh_prefix"]),
        (&json!("ks_oat_"), &json!("ks_ort_"))
    );
    let first = &done["first"];
    assert_eq!(first["active"], true, "{first}");
    assert_eq!(first["client_id"], client_id.as_str());
    assert_eq!(first["kind"], "oauth_access_token");
    assert_eq!(first["owner"], "Ada Holder");
    assert_eq!(first["scopes"], json!(["payables:read"]));
    assert_eq!(done["rotated"], true);
    assert_eq!(done["live"]["active"], true);
    assert_eq!(done["reuse_error"], "invalid_grant");
    assert_eq!(
        done["after_reuse"],
        json!({ "active": false, "reason": "revoked" })
    );
    assert_eq!(
        ok_json(keysmith(&vault, &["oauth", "connections", "--json"])),
        json!([]),
        "the grant is revoked"
    );
    let (_, log) = server.stop_with_log();
    for token in done["tokens"].as_array().unwrap() {
        assert!(
            !log.contains(token.as_str().unwrap()),
            "a token in serve's log"
        );
    }
}

#[test]
fn authlib_runs_the_device_flow_as_a_confidential_client_and_revokes_its_grant() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("oauth.vault");
    init(&vault);
    let app = add_app(&vault, &["--name", "Backup job"]);
    let client_id = app["client_id"].as_str().unwrap();
    let secret = app["client_secret"].as_str().unwrap();
    assert!(secret.starts_with("ks_ocs_"));
    let server = Server::start(&vault, &[]);

    let mut authlib = AppProcess::start(&["device", &server.base, client_id, secret]);
    let waiting = authlib.next();
    assert_eq!(
        (&waiting["pending"], &waiting["too_soon"]),
        (&json!("authorization_pending"), &json!("slow_down"))
    );
    assert_eq!(
        (&waiting["interval"], &waiting["expires_in"]),
        (&json!(5), &json!(600))
    );
    assert_eq!(
        waiting["verification_uri"],
        format!("{}/v1/oauth/device", server.base)
    );
    // Typed as people type it: lower case, a space for the dash.
    let typed = waiting["user_code"]
        .as_str()
        .unwrap()
        .replace('-', " ")
        .to_lowercase();
    approve(&vault, &typed);
    authlib.go_on();

    let done = authlib.next();
    assert_eq!(done["active"]["active"], true, "{}", done["active"]);
    assert_eq!(done["active"]["client_id"], client_id);
    assert_eq!(
        done["after_revoke"],
        json!({ "active": false, "reason": "revoked" }),
        "revoking the refresh token ends the grant"
    );
    let metadata = &done["metadata"];
    assert_eq!(metadata["issuer"], server.base.as_str());
    assert_eq!(
        metadata["token_endpoint"],
        format!("{}/v1/oauth/token", server.base)
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    // RFC 7662 introspection is /v1/introspect (/v1/verify answers in Keysmith's own shape).
    assert_eq!(
        metadata["introspection_endpoint"],
        format!("{}/v1/introspect", server.base)
    );
    let (_, log) = server.stop_with_log();
    for token in done["tokens"].as_array().unwrap() {
        assert!(!log.contains(token.as_str().unwrap()));
    }
    assert!(!log.contains(secret));
}

#[test]
fn the_consent_pages_send_nothing_anywhere_a_web_page_could_use() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("oauth.vault");
    init(&vault);
    let app = add_app(&vault, &["--name", "Ledger", "--public"]);
    let client_id = app["client_id"].as_str().unwrap();
    let server = Server::start(&vault, &[]);
    let browser = reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let authorize = |redirect: &str| {
        format!(
            "{}/v1/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={redirect}\
             &state=s1&code_challenge={challenge}&code_challenge_method=S256",
            server.base
        )
    };

    // A redirect URI the app did not register: a page, and the browser goes nowhere.
    let refused = browser
        .get(authorize("https%3A%2F%2Fevil.example%2Fcb"))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.headers().get("location").is_none());
    assert_eq!(refused.headers()["content-security-policy"], PAGE_CSP);
    assert_eq!(refused.headers()["x-frame-options"], "DENY");

    // A scope the app may not ask for: back to the app with the error.
    let scoped = browser
        .get(format!("{}&scope=admin%3Awrite", authorize(REDIRECT)))
        .send()
        .unwrap();
    assert_eq!(scoped.status(), 302);
    let location = scoped.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert!(location.contains("error=invalid_scope") && location.contains("state=s1"));

    // A web page's request (it carries its Origin) and a rebound Host are refused.
    let from_page = browser
        .get(authorize(REDIRECT))
        .header("Origin", "https://evil.example")
        .send()
        .unwrap();
    assert_eq!(from_page.status(), 403);
    let rebound = browser
        .get(authorize(REDIRECT))
        .header("Host", "evil.example")
        .send()
        .unwrap();
    assert_eq!(rebound.status(), 421);

    // Denied in Keysmith: the page sends the browser back with access_denied.
    let to_wait = browser.get(authorize(REDIRECT)).send().unwrap();
    assert_eq!(to_wait.status(), 303);
    let wait_url = format!(
        "{}{}",
        server.base,
        to_wait.headers()["location"].to_str().unwrap()
    );
    let page = browser.get(&wait_url).send().unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let text = page.text().unwrap();
    assert!(!text.to_lowercase().contains("<script"));
    assert!(
        !text.contains(client_id),
        "the page names the app, not its client ID"
    );
    let pending = ok_json(keysmith(&vault, &["oauth", "pending", "--json"]));
    let code = pending[0]["user_code"].as_str().unwrap();
    assert!(text.contains(code));
    assert!(keysmith(&vault, &["oauth", "deny", code]).status.success());
    let back = browser.get(&wait_url).send().unwrap();
    assert_eq!(back.status(), 302);
    let location = back.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(REDIRECT) && location.contains("error=access_denied"));
    assert_eq!(browser.get(&wait_url).send().unwrap().status(), 404);

    let device_page = browser
        .get(format!("{}/v1/oauth/device", server.base))
        .send()
        .unwrap();
    assert_eq!(device_page.status(), 200);
    assert_eq!(device_page.headers()["content-security-policy"], PAGE_CSP);
}

/// A confidential app's wrong secret gets RFC 6749's `invalid_client` (401), and after 10
/// failures in a minute every attempt for that client ID — the right secret too — gets 429,
/// as the client-credentials exchange does; another app is not held up.
#[test]
fn wrong_client_secrets_are_rate_limited_like_the_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("oauth.vault");
    init(&vault);
    let app = add_app(&vault, &["--name", "Backup job"]);
    let other = add_app(&vault, &["--name", "Other job"]);
    let server = Server::start(&vault, &[]);
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let device = |client_id: &str, secret: &str| {
        client
            .post(format!("{}/v1/oauth/device_authorization", server.base))
            .basic_auth(client_id, Some(secret))
            .form(&[("scope", "payables:read")])
            .send()
            .unwrap()
    };
    let id = app["client_id"].as_str().unwrap();
    for _ in 0..10 {
        let refused = device(id, "ks_ocs_wrong");
        assert_eq!(refused.status(), 401);
        assert!(refused.headers().contains_key("www-authenticate"));
        let body: Value = refused.json().unwrap();
        assert_eq!(body["error"], "invalid_client");
    }
    let limited = device(id, app["client_secret"].as_str().unwrap());
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    let fine = device(
        other["client_id"].as_str().unwrap(),
        other["client_secret"].as_str().unwrap(),
    );
    assert_eq!(fine.status(), 200);
}
