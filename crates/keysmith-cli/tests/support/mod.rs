//! What the command-line tests share: running `keysmith` on a vault, making one, and
//! `keysmith serve` as a child process.
#![allow(dead_code)] // each test file uses its own share of these

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub const PASSPHRASE: &str = "cli test passphrase";

pub fn keysmith(vault: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keysmith"))
        .arg("--vault")
        .arg(vault)
        .args(args)
        .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
        .output()
        .expect("keysmith runs")
}

/// `keysmith` with `input` on its stdin, as secrets should travel.
pub fn keysmith_with_stdin(vault: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_keysmith"))
        .arg("--vault")
        .arg(vault)
        .args(args)
        .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keysmith runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// Creates the vault at `vault` with `keysmith init` (Ada Holder as account holder).
pub fn init(vault: &Path) {
    let init = keysmith(
        vault,
        &["init", "--name", "Ada Holder", "--email", "ada@example.com"],
    );
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `keysmith` and insists it succeeded; its stdout.
pub fn ok(vault: &Path, args: &[&str]) -> String {
    let output = keysmith(vault, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

pub fn ok_json(output: Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON value")
}

/// A JSON stdout whatever the exit code.
pub fn ok_json_lenient(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "not one JSON value; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `keysmith issue --name NAME --expires <in 30 days> --json` with `extra` arguments; the
/// printed JSON.
pub fn issue_json(vault: &Path, name: &str, extra: &[&str]) -> Value {
    let expires = in_days(30);
    let mut args = vec!["issue", "--name", name, "--expires", &expires, "--json"];
    // A credential must grant something: one scope, unless the test gives its own or picks a
    // kind that takes none.
    let takes_none = extra
        .windows(2)
        .any(|pair| pair[0] == "--kind" && matches!(pair[1], "verifier" | "api-client"));
    if !takes_none && !extra.contains(&"--scope") {
        args.extend(["--scope", "payables:read"]);
    }
    args.extend_from_slice(extra);
    ok_json(keysmith(vault, &args))
}

pub fn in_days(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

/// The base URL `keysmith serve` (a child with piped stdout) says it listens on, from its first
/// line.
pub fn listening_on(serve: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned()
}

/// `keysmith serve --listen 127.0.0.1:0` and `extra` arguments; stops (SIGTERM) on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn start(vault: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keysmith"))
            .arg("--vault")
            .arg(vault)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("KEYSMITH_PASSPHRASE", PASSPHRASE)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let base = listening_on(&mut child);
        Server { child, base }
    }

    pub fn stop(self) -> std::process::ExitStatus {
        self.stop_with_log().0
    }

    /// Stops the server (SIGTERM); its exit status and what it logged on stderr.
    pub fn stop_with_log(mut self) -> (std::process::ExitStatus, String) {
        use std::io::Read;
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        let mut log = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut log).unwrap();
        }
        (status, log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

pub async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let response = client.post(url).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Adds Bob Admin (an admin) to the vault at `vault`, unlocking it with `passphrase` of his own.
pub fn add_admin(vault: &Path, passphrase: &str) {
    use keysmith_core::{clock, EmailAddress, KdfParams, Name, Role, UserSpec, Vault};
    let mut holder = Vault::unlock(vault, &PASSPHRASE.into(), clock::system()).unwrap();
    let bob = holder
        .create_user(&UserSpec {
            name: Name::new("Bob Admin").unwrap(),
            email: EmailAddress::try_from("bob@example.com".to_owned()).unwrap(),
            role: Role::Admin,
            api_access: true,
        })
        .unwrap();
    holder
        .add_operator(bob.id, &passphrase.into(), KdfParams::MINIMUM)
        .unwrap();
}

/// A unit file shipped in packaging/systemd, as text.
pub struct ShippedUnit(pub String);

impl ShippedUnit {
    /// The unit `packaging/systemd/<name>`.
    pub fn read(name: &str) -> ShippedUnit {
        let path = format!(
            "{}/../../packaging/systemd/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        ShippedUnit(std::fs::read_to_string(path).unwrap())
    }

    /// The value of its first `name=` line.
    pub fn directive(&self, name: &str) -> &str {
        self.0
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("no {name}= in the unit"))
    }

    /// Checks it with `systemd-analyze verify` (`--user` for a user unit), written into `dir`
    /// with the keysmith just built standing in for the installed one (systemd-analyze wants
    /// the command to exist); the command's words, the installed path first.
    pub fn verify(&self, dir: &Path, file_name: &str, user: bool) -> Vec<String> {
        let command: Vec<String> = self
            .directive("ExecStart")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        assert_eq!(
            command[0], "/usr/bin/keysmith",
            "where the packages install it"
        );
        let here = dir.join(file_name);
        std::fs::write(
            &here,
            self.0.replace(&command[0], env!("CARGO_BIN_EXE_keysmith")),
        )
        .unwrap();
        let runtime = dir.join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        let mut analyze = Command::new("systemd-analyze");
        if user {
            analyze.arg("--user");
        }
        let verified = analyze
            .arg("verify")
            .arg(&here)
            .env("XDG_RUNTIME_DIR", &runtime)
            .output()
            .expect("systemd-analyze runs (scripts/setup installs systemd)");
        let complaints = String::from_utf8_lossy(&verified.stderr);
        assert!(
            verified.status.success() && complaints.is_empty(),
            "{complaints}"
        );
        command
    }
}

/// Insists `output` failed with exit 2 and `code` on stderr (`error: <code>: …`).
pub fn refused_with(output: &Output, code: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("error: {code}: ")),
        "wanted {code}: {stderr}"
    );
}
