//! A team vault through real parts: `keysmith serve --team` on 127.0.0.1 with its own
//! self-signed certificate, devices that join with invitations (their keys sealed in files
//! under their own config folders), and `--remote` commands acting through them. What bad
//! input and bad luck get: used, forged and damaged invitations, a member's device calling
//! admin operations, a removed device, a replayed request, a changed certificate, a server
//! restarted mid-session, guessing.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use serde_json::Value;

mod support;
use support::{in_days, init, keysmith, ok_json, refused_with, stdout, ShippedUnit, PASSPHRASE};

const DEVICE_PASSPHRASE: &str = "this laptop's passphrase";

/// `keysmith --vault VAULT serve --team` on a port of its own; killed on drop.
struct TeamServer {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    base: String,
    fingerprint: String,
}

impl TeamServer {
    fn start(vault: &Path, listen: &str) -> TeamServer {
        TeamServer::start_with(vault, listen, &[])
    }

    fn start_with(vault: &Path, listen: &str, extra: &[&str]) -> TeamServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keysmith"))
            .arg("--vault")
            .arg(vault)
            .args(["serve", "--team", "--listen", listen])
            .args(extra)
            .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = |prefix: &str| {
            let mut text = String::new();
            out.read_line(&mut text).unwrap();
            text.trim()
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("expected {prefix:?}, got {text:?}"))
                .to_owned()
        };
        let base = line("listening on ");
        let fingerprint = line("certificate fingerprint ");
        TeamServer {
            child,
            _stdout: out,
            base,
            fingerprint,
        }
    }

    /// The port it listens on.
    fn port(&self) -> &str {
        self.base.rsplit(':').next().unwrap()
    }

    /// Kills it as a crash would (SIGKILL).
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for TeamServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A computer of someone's: its own config folder, where `join` keeps profiles and keys, and
/// the passphrase that seals its device key (none: the OS keychain keeps it).
struct Computer {
    config: PathBuf,
    passphrase: Option<&'static str>,
}

impl Computer {
    fn new(root: &Path, name: &str) -> Computer {
        Computer {
            config: root.join(name),
            passphrase: Some(DEVICE_PASSPHRASE),
        }
    }

    /// A computer whose device key the OS keychain keeps (the suite runs a real one).
    fn with_keychain(root: &Path, name: &str) -> Computer {
        Computer {
            passphrase: None,
            ..Computer::new(root, name)
        }
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keysmith"));
        command
            .args(args)
            .env("XDG_CONFIG_HOME", &self.config)
            .env_remove("KEYSMITH_PASSPHRASE")
            .env_remove("KEYSMITH_VAULT");
        if let Some(passphrase) = self.passphrase {
            command.env("KEYSMITH_PASSPHRASE", passphrase);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn join(&self, name: &str, invitation: &str) -> Output {
        self.run(&["join", "--name", name], &format!("{invitation}\n"))
    }

    /// `keysmith --remote PROFILE args…`.
    fn remote(&self, profile: &str, args: &[&str]) -> Output {
        let mut all = vec!["--remote", profile];
        all.extend_from_slice(args);
        self.run(&all, "")
    }

    /// Every file under its config folder, read.
    fn files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut found = Vec::new();
        let mut folders = vec![self.config.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    found.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        found
    }
}

fn succeeded(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

fn invite(vault: &Path, email: &str) -> String {
    let line = succeeded(keysmith(vault, &["invite", email]));
    assert_eq!(line.lines().count(), 1, "the invitation alone on one line");
    line.trim().to_owned()
}

/// Ada's laptop joined to the team vault at `vault`, its key sealed in a file: the computer,
/// its profiles folder and the passphrase that opens the key.
fn ada_laptop(root: &Path, vault: &Path) -> (Computer, PathBuf, keysmith_core::Secret) {
    let ada = Computer::new(root, "ada");
    succeeded(ada.join("ada-laptop", &invite(vault, "ada@example.com")));
    let folder = ada.config.join("keysmith").join("profiles");
    (ada, folder, keysmith_core::Secret::from(DEVICE_PASSPHRASE))
}

/// A vault with Ada (account holder) and Cleo (a member with API access), served as a team.
fn team_vault(root: &Path) -> (PathBuf, TeamServer) {
    let vault = root.join("team.vault");
    init(&vault);
    succeeded(keysmith(
        &vault,
        &[
            "user",
            "add",
            "--name",
            "Cleo Member",
            "--email",
            "cleo@example.com",
            "--api-access",
        ],
    ));
    let server = TeamServer::start(&vault, "127.0.0.1:0");
    (vault, server)
}

#[test]
fn desktops_join_with_invitations_and_work_on_the_team_vault() {
    let root = tempfile::tempdir().unwrap();
    let (vault, server) = team_vault(root.path());
    assert!(server.base.starts_with("https://127.0.0.1:"));
    assert!(server.fingerprint.starts_with("SHA256:"));

    let ada = Computer::new(root.path(), "ada");
    let invitation = invite(&vault, "ada@example.com");
    assert!(invitation.starts_with("ksinv1."));
    let joined = succeeded(ada.join("ada-laptop", &invitation));
    assert!(joined.contains("as ada@example.com"), "{joined}");

    // The device issues; the vault file (another door) has it at once, named with the device.
    let expires = in_days(30);
    let issued: Value = serde_json::from_str(&succeeded(ada.remote(
        "ada-laptop",
        &[
            "issue",
            "--name",
            "billing sync",
            "--expires",
            &expires,
            "--scope",
            "payables:read",
            "--json",
        ],
    )))
    .unwrap();
    let token = issued["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ks_pat_"));
    let id = issued["id"].to_string();
    let local = ok_json(keysmith(&vault, &["show", &id, "--json"]));
    assert_eq!(local["status"], "active");
    let log = succeeded(keysmith(&vault, &["audit", "--credential", &id]));
    assert!(
        log.contains("Ada Holder <ada@example.com> on ada-laptop\tcredential.issued"),
        "{log}"
    );

    // The same spellings over --remote as over a vault file.
    let remote_list = ok_json(ada.remote("ada-laptop", &["list", "--json"]));
    let local_list = ok_json(keysmith(&vault, &["list", "--json"]));
    assert_eq!(remote_list, local_list);
    succeeded(ada.remote("ada-laptop", &["revoke", &id]));
    assert_eq!(
        ok_json(keysmith(&vault, &["show", &id, "--json"]))["status"],
        "revoked"
    );
    let settings =
        succeeded(ada.remote("ada-laptop", &["settings", "--set", "auto_lock_minutes=12"]));
    assert!(settings.contains("auto_lock_minutes=12"));
    refused_with(&ada.remote("ada-laptop", &["rekey"]), "not_remote");

    // Nothing of the vault's secrets on the device: the profile and the sealed key only.
    let files = ada.files();
    let names: Vec<String> = files
        .iter()
        .map(|(path, _)| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["ada-laptop.json", "ada-laptop.key"]);
    let invitation_secret = "ks_inv_";
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(&token), "{} holds the token", path.display());
        assert!(
            !text.contains(invitation_secret),
            "{} holds the invitation",
            path.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} is readable by others", path.display());
        }
    }

    // An invitation works once; a forged or damaged one is refused; nothing enrolls.
    let other = Computer::new(root.path(), "other");
    refused_with(&other.join("again", &invitation), "invitation_used");
    let forged = {
        let fresh = invite(&vault, "cleo@example.com");
        // Same server and certificate, a secret of its own making.
        let mut line = fresh.clone();
        line.pop();
        line.push(if fresh.ends_with('A') { 'B' } else { 'A' });
        line
    };
    let forged_out = other.join("forged", &forged);
    let stderr = String::from_utf8_lossy(&forged_out.stderr).into_owned();
    assert!(
        stderr.contains("invitation_not_found") || stderr.contains("invalid_invitation"),
        "{stderr}"
    );
    refused_with(
        &other.join("damaged", "ksinv1.not-an-invitation"),
        "invalid_invitation",
    );
    refused_with(&other.join("empty", ""), "invitation_missing");
    assert!(
        !other.config.exists() || other.files().is_empty(),
        "nothing saved on refusal"
    );
    let devices = ok_json(keysmith(&vault, &["devices", "--json"]));
    assert_eq!(devices.as_array().unwrap().len(), 1, "{devices}");
}

#[test]
fn roles_hold_on_the_server_and_a_removed_device_is_refused_at_once() {
    let root = tempfile::tempdir().unwrap();
    let (vault, server) = team_vault(root.path());
    let cleo = Computer::with_keychain(root.path(), "cleo");
    // A profile name no other test uses: the keychain is shared by the suite.
    succeeded(cleo.join("cleo-desk-keychain", &invite(&vault, "cleo@example.com")));
    let cleo_files = cleo.files();
    assert_eq!(
        cleo_files.len(),
        1,
        "the profile alone: the key is in the keychain"
    );

    // A member's device calling admin operations: refused by the server, nothing changed.
    refused_with(
        &cleo.remote(
            "cleo-desk-keychain",
            &[
                "user",
                "add",
                "--name",
                "Mallory",
                "--email",
                "m@example.com",
            ],
        ),
        "forbidden",
    );
    refused_with(
        &cleo.remote("cleo-desk-keychain", &["invite", "cleo@example.com"]),
        "forbidden",
    );
    refused_with(
        &cleo.remote(
            "cleo-desk-keychain",
            &["settings", "--set", "auto_lock_minutes=1"],
        ),
        "forbidden",
    );
    let people = ok_json(keysmith(&vault, &["people", "--json"]));
    assert_eq!(people.as_array().unwrap().len(), 2, "no one was added");
    // What a member may do, she does.
    let own = ok_json(cleo.remote("cleo-desk-keychain", &["devices", "--json"]));
    assert_eq!(own.as_array().unwrap().len(), 1);

    // The account holder removes her device: its next call is refused.
    let device = own[0]["id"].to_string();
    succeeded(keysmith(&vault, &["devices", "--remove", &device]));
    refused_with(
        &cleo.remote("cleo-desk-keychain", &["list"]),
        "device_not_found",
    );
    drop(server);
}

#[test]
fn a_replayed_request_is_refused_and_a_restart_costs_the_device_nothing() {
    use base64::Engine as _;
    let root = tempfile::tempdir().unwrap();
    let (vault, server) = team_vault(root.path());
    let (_ada, folder, passphrase) = ada_laptop(root.path(), &vault);

    // An attacker who captured a signed request (here: made one with the key) sends it again.
    let key = keysmith_client::keystore::load(&folder, "ada-laptop", Some(&passphrase)).unwrap();
    let profile = keysmith_client::Profile::load(&folder, "ada-laptop").unwrap();
    let http = reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let post = |path: &str, body: &str, headers: &[(&str, String)]| {
        let mut request = http
            .post(format!("{}{path}", server.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().unwrap(),
        )
    };
    let device = profile.device_id.0.to_string();
    let (_, given) = post(
        "/v1/team/session",
        &format!(r#"{{"device_id":{device}}}"#),
        &[],
    );
    let challenge = b64.decode(given["challenge"].as_str().unwrap()).unwrap();
    let signature = key.sign_challenge(&challenge, &profile.fingerprint);
    let signed = format!(
        r#"{{"device_id":{device},"challenge":"{}","signature":"{}"}}"#,
        b64.encode(&challenge),
        b64.encode(signature)
    );
    let (status, opened) = post("/v1/team/session", &signed, &[]);
    assert_eq!(status, 200, "{opened}");
    let session = opened["session"].as_str().unwrap().to_owned();
    let (again, _) = post("/v1/team/session", &signed, &[]);
    assert_eq!(again, 401, "a challenge is answered once");

    let path = "/v1/admin/add_catalogue_entry";
    let body = r#"{"catalogue":"applications","name":"Ledger","description":""}"#;
    let proof = key.sign_request(&keysmith_core::team::proof::SignedRequest {
        session: &session,
        counter: 1,
        path,
        retry_key: None,
        body: body.as_bytes(),
    });
    let headers = [
        ("authorization", format!("Keysmith {session}")),
        ("keysmith-proof", format!("1.{}", b64.encode(proof))),
    ];
    let (first, _) = post(path, body, &headers);
    assert_eq!(first, 200);
    let (replayed, answer) = post(path, body, &headers);
    assert_eq!(
        (replayed, answer["code"].as_str()),
        (401, Some("request_replayed"))
    );
    // The same signature on another body, or under another counter, is no signature.
    let other_body = r#"{"catalogue":"applications","name":"Payroll","description":""}"#;
    let (tampered, answer) = post(
        path,
        other_body,
        &[
            headers[0].clone(),
            ("keysmith-proof", format!("2.{}", b64.encode(proof))),
        ],
    );
    assert_eq!(
        (tampered, answer["code"].as_str()),
        (401, Some("bad_signature"))
    );
    let (no_session, answer) = post(
        path,
        body,
        &[("keysmith-proof", format!("3.{}", b64.encode(proof)))],
    );
    assert_eq!(
        (no_session, answer["code"].as_str()),
        (401, Some("session_required"))
    );
    let catalogue = ok_json(keysmith(&vault, &["catalogue", "list", "--json"]));
    assert!(!catalogue.to_string().contains("Payroll"), "{catalogue}");

    // A device's door, its session open.
    let remote = keysmith_client::Remote::open(&folder, "ada-laptop", Some(&passphrase)).unwrap();
    let before = remote
        .call(&keysmith_ops::ListCredentials { query: None })
        .unwrap();
    // Bad signatures in a row: the device (from this address) is made to wait (until the
    // restart below, which forgets it).
    let mut codes = Vec::new();
    for counter in 10..24 {
        let (_, answer) = post(
            path,
            other_body,
            &[
                headers[0].clone(),
                ("keysmith-proof", format!("{counter}.{}", b64.encode(proof))),
            ],
        );
        codes.push(answer["code"].as_str().unwrap_or("").to_owned());
    }
    assert_eq!(codes[0], "bad_signature");
    assert_eq!(
        codes.last().map(String::as_str),
        Some("too_many_failures"),
        "{codes:?}"
    );
    // The server is killed mid-session and comes back (same certificate, same port): the
    // device opens a new session with its key, asking no one.
    let port = server.port().to_owned();
    server.kill();
    let unreachable = remote.call(&keysmith_ops::ListCredentials { query: None });
    assert!(
        matches!(
            unreachable,
            Err(keysmith_client::ClientError::Unreachable { .. })
        ),
        "{unreachable:?}"
    );
    let _back = TeamServer::start(&vault, &format!("127.0.0.1:{port}"));
    let after = remote
        .call(&keysmith_ops::ListCredentials { query: None })
        .unwrap();
    assert_eq!(before.total, after.total);
}

#[test]
fn a_different_certificate_is_refused_before_anything_is_sent() {
    let root = tempfile::tempdir().unwrap();
    let (vault, server) = team_vault(root.path());
    let ada = Computer::new(root.path(), "ada");
    succeeded(ada.join("ada-laptop", &invite(&vault, "ada@example.com")));
    let port = server.port().to_owned();
    server.kill();
    // Someone else answers at the same address with a certificate of their own.
    let (cert, key) = keysmith_server::tls::paths_beside(&vault);
    std::fs::remove_file(cert).unwrap();
    std::fs::remove_file(key).unwrap();
    let _impostor = TeamServer::start(&vault, &format!("127.0.0.1:{port}"));
    let output = ada.remote(
        "ada-laptop",
        &["user", "add", "--name", "Eve", "--email", "eve@example.com"],
    );
    refused_with(&output, "certificate_changed");
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing was sent"));
    let people = ok_json(keysmith(&vault, &["people", "--json"]));
    assert!(!people.to_string().contains("eve@example.com"));
}

#[test]
fn guessing_invitations_from_one_address_is_slowed_down() {
    let root = tempfile::tempdir().unwrap();
    let (vault, _server) = team_vault(root.path());
    let real = invite(&vault, "cleo@example.com");
    let guesser = Computer::new(root.path(), "guesser");
    let mut codes = Vec::new();
    for attempt in 0..12 {
        // Same server and certificate as a real invitation, a guessed secret.
        let guess = {
            let invitation = keysmith_core::team::invitation::Invitation::decode(&real).unwrap();
            keysmith_core::team::invitation::Invitation {
                secret: keysmith_core::Secret::from(format!("ks_inv_{attempt:0>22}").as_str()),
                ..invitation
            }
            .encode()
        };
        let output = guesser.join(&format!("guess{attempt}"), guess.expose());
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        codes.push(stderr.split(':').nth(1).unwrap_or("").trim().to_owned());
    }
    assert_eq!(codes[0], "invitation_not_found");
    assert_eq!(
        codes.last().map(String::as_str),
        Some("too_many_failures"),
        "{codes:?}"
    );
}

/// A TCP relay on 127.0.0.1 in front of the server that, once armed, lets the next answer from
/// the server die with its connection: the request arrived and was carried out, its answer
/// never reaches the client (a dropped connection at the worst moment).
struct Relay {
    port: u16,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cut: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Relay {
    fn start(server_port: u16) -> Relay {
        use std::net::{Shutdown, TcpListener, TcpStream};
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let armed = Arc::new(AtomicBool::new(false));
        let cut = Arc::new(AtomicUsize::new(0));
        let (armed_in, cut_in) = (Arc::clone(&armed), Arc::clone(&cut));
        std::thread::spawn(move || {
            for client in listener.incoming().take(20) {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", server_port)) else {
                    continue;
                };
                let (mut client_read, mut server_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut client_read, &mut server_write);
                    let _ = server_write.shutdown(Shutdown::Write);
                });
                let (armed, cut) = (Arc::clone(&armed_in), Arc::clone(&cut_in));
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    let (mut server, mut client) = (server, client);
                    let mut buffer = [0u8; 16 * 1024];
                    loop {
                        let read = match server.read(&mut buffer) {
                            Ok(0) | Err(_) => break,
                            Ok(read) => read,
                        };
                        if armed.swap(false, Ordering::SeqCst) {
                            cut.fetch_add(1, Ordering::SeqCst);
                            let _ = client.shutdown(Shutdown::Both);
                            let _ = server.shutdown(Shutdown::Both);
                            break;
                        }
                        if client.write_all(&buffer[..read]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Relay { port, armed, cut }
    }
}

#[test]
fn an_issue_whose_answer_is_lost_is_retried_into_the_same_credential() {
    use std::sync::atomic::Ordering;
    let root = tempfile::tempdir().unwrap();
    let vault = root.path().join("team.vault");
    init(&vault);
    // The server's port is chosen first, so that the relay in front of it can be named as
    // the address invitations carry.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server_port = probe.local_addr().unwrap().port();
    drop(probe);
    let relay = Relay::start(server_port);
    let url = format!("https://127.0.0.1:{}", relay.port);
    let _server = TeamServer::start_with(
        &vault,
        &format!("127.0.0.1:{server_port}"),
        &["--url", &url],
    );
    let (_ada, folder, passphrase) = ada_laptop(root.path(), &vault);
    let remote = keysmith_client::Remote::open(&folder, "ada-laptop", Some(&passphrase)).unwrap();
    let people = remote.call(&keysmith_ops::ShowPeople {}).unwrap();

    relay.armed.store(true, Ordering::SeqCst);
    let request: keysmith_core::IssueRequest = serde_json::from_value(serde_json::json!({
        "kind": "personal_access_token", "owner_id": people.operator.user_id,
        "name": "lost answer", "description": "", "scopes": ["payables:read"],
        "rights": "read", "applications": ["Internal tools"], "rate_limit": null,
        "expires_on": in_days(30),
    }))
    .unwrap();
    let revealed = remote
        .call(&keysmith_ops::IssueCredential { request })
        .unwrap();
    assert_eq!(
        relay.cut.load(Ordering::SeqCst),
        1,
        "the first answer was lost"
    );

    // One credential, and the token the retry answered is its token.
    let listed = ok_json(keysmith(&vault, &["list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], revealed.credential.credential.id.0);
    let verified = support::keysmith_with_stdin(&vault, &["verify"], revealed.token.expose());
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

/// The shipped team unit passes `systemd-analyze verify`, and its command, run as systemd
/// would (the passphrase credential on stdin, nothing in the environment), serves the vault
/// over TLS and stops with success on SIGTERM.
#[test]
fn the_shipped_team_unit_verifies_and_its_command_serves_with_the_credential_on_stdin() {
    let unit = ShippedUnit::read("keysmith-team.service");
    assert_eq!(
        unit.directive("LoadCredential"),
        "passphrase:/etc/keysmith/passphrase"
    );
    assert_eq!(unit.directive("StandardInput"), "file:%d/passphrase");
    let dir = tempfile::tempdir().unwrap();
    let command = unit.verify(dir.path(), "keysmith-team.service", false);

    // The unit's command, with a vault and a port of the test's own.
    let vault = dir.path().join("team.vault");
    init(&vault);
    let credential = dir.path().join("passphrase");
    std::fs::write(&credential, format!("{PASSPHRASE}\n")).unwrap();
    let args: Vec<String> = command[1..]
        .iter()
        .map(|arg| match arg.as_str() {
            "/var/lib/keysmith/team.vault" => vault.display().to_string(),
            "0.0.0.0:8443" => "127.0.0.1:0".to_owned(),
            other => other.to_owned(),
        })
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keysmith"))
        .args(&args)
        .env_clear()
        .env("HOME", dir.path())
        .stdin(std::fs::File::open(&credential).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = [String::new(), String::new()];
    for line in &mut lines {
        out.read_line(line).unwrap();
    }
    assert!(
        lines[0].starts_with("listening on https://127.0.0.1:"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("certificate fingerprint SHA256:"),
        "{lines:?}"
    );
    let invitation = invite(&vault, "ada@example.com");
    let decoded = keysmith_core::team::invitation::Invitation::decode(&invitation).unwrap();
    assert_eq!(
        decoded.server, "https://keysmith.internal:8443",
        "the unit's --url"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// The team server killed (SIGKILL) while a device is issuing one credential after another:
/// the vault file opens, its integrity check passes, every credential the device was answered
/// for is there, and every credential there has its audit row — nothing half-written.
#[test]
fn a_team_server_killed_in_the_middle_of_changes_leaves_nothing_half_written() {
    let root = tempfile::tempdir().unwrap();
    let (vault, server) = team_vault(root.path());
    let (_ada, folder, passphrase) = ada_laptop(root.path(), &vault);
    let remote = keysmith_client::Remote::open(&folder, "ada-laptop", Some(&passphrase)).unwrap();
    let owner = remote
        .call(&keysmith_ops::ShowPeople {})
        .unwrap()
        .operator
        .user_id;
    let issuing = std::thread::spawn(move || {
        let mut answered = Vec::new();
        for n in 0..500 {
            let request: keysmith_core::IssueRequest = serde_json::from_value(serde_json::json!({
                "kind": "personal_access_token", "owner_id": owner,
                "name": format!("burst {n}"), "description": "", "scopes": ["payables:read"],
                "rights": "read", "applications": ["Internal tools"], "rate_limit": null,
                "expires_on": in_days(30),
            }))
            .unwrap();
            match remote.call(&keysmith_ops::IssueCredential { request }) {
                Ok(revealed) => answered.push(revealed.credential.credential.id.0),
                Err(_) => break,
            }
        }
        answered
    });
    std::thread::sleep(std::time::Duration::from_millis(400));
    server.kill();
    let answered = issuing.join().unwrap();
    assert!(
        !answered.is_empty() && answered.len() < 500,
        "{} answered",
        answered.len()
    );

    let opened = keysmith_core::Vault::unlock(
        &vault,
        &keysmith_core::Secret::from(PASSPHRASE),
        keysmith_core::clock::system(),
    )
    .unwrap();
    opened.integrity_check().wait().unwrap();
    let listed: Vec<i64> = opened
        .query_credentials(&keysmith_core::CredentialQuery::default())
        .unwrap()
        .into_iter()
        .map(|credential| credential.id.0)
        .collect();
    for id in &answered {
        assert!(
            listed.contains(id),
            "credential {id} was answered for, and is gone"
        );
    }
    let issued_rows = opened
        .audit_log(None)
        .unwrap()
        .into_iter()
        .filter(|entry| entry.action == "credential.issued")
        .count();
    assert_eq!(
        issued_rows,
        listed.len(),
        "every credential has its audit row, and no more"
    );
    assert!(opened.verify_audit_chain().unwrap().first_broken.is_none());
}
