//! The harness for the real-window tests: starts `tauri-driver` (which starts WebKitWebDriver,
//! which starts the built app) with the app pointed at a vault of the test's choosing, and
//! gives the test a WebDriver client plus helpers for waiting, typing, screenshots and the X
//! clipboard. Run under Xvfb; `scripts/test` sets that up.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::process::{Child, Command};

pub mod flows;

/// How long any one wait for the UI may take before the test fails.
pub const UI_TIMEOUT: Duration = Duration::from_secs(30);

/// A running app under WebDriver. Dropping it ends tauri-driver's whole process group:
/// tauri-driver, the WebKitWebDriver it starts, and the app.
pub struct Session {
    /// The WebDriver client.
    pub client: Client,
    _driver: ProcessGroup,
    artifacts: PathBuf,
    log: PathBuf,
}

/// The built app binary: `$KEYSMITH_E2E_APP`, set by scripts/test.
pub fn app_binary() -> PathBuf {
    let path = PathBuf::from(
        std::env::var_os("KEYSMITH_E2E_APP")
            .expect("KEYSMITH_E2E_APP must name the built app; run the tests with scripts/test"),
    );
    assert!(path.exists(), "no app binary at {}", path.display());
    path
}

/// The built `keysmith` command line: `$KEYSMITH_E2E_CLI`, set by scripts/test.
pub fn cli_binary() -> PathBuf {
    let path = PathBuf::from(
        std::env::var_os("KEYSMITH_E2E_CLI")
            .expect("KEYSMITH_E2E_CLI must name the built CLI; run the tests with scripts/test"),
    );
    assert!(path.exists(), "no keysmith binary at {}", path.display());
    path
}

/// Where screenshots go: `$KEYSMITH_E2E_ARTIFACTS`, or `artifacts/e2e` in the repository.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("KEYSMITH_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts/e2e"));
    std::fs::create_dir_all(&dir).expect("artifacts folder");
    dir
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Session {
    /// Starts the app on the vault at `vault`, with `env` added to its environment, and
    /// connects to it. The app logs to `<artifacts>/<vault file name>.log` and keeps its config
    /// in a fresh `<artifacts>/<vault file name>.config` (unless `env` sets `XDG_CONFIG_HOME`)
    /// and the window's storage (the theme chosen on this desktop) in a fresh `….data`.
    pub async fn start(vault: &Path, env: &[(&str, &str)]) -> Session {
        Session::start_binary(&app_binary(), vault, env).await
    }

    /// [`Session::start`] with another build of the app: the binary at `app`.
    pub async fn start_binary(app: &Path, vault: &Path, env: &[(&str, &str)]) -> Session {
        let port = free_port();
        let native_port = free_port();
        let artifacts = artifacts_dir();
        let name = vault
            .file_stem()
            .expect("a vault file name")
            .to_string_lossy();
        let log = artifacts.join(format!("{name}.log"));
        let _ = std::fs::remove_file(&log);
        let driver_log = std::fs::File::create(artifacts.join(format!("{name}.driver.log")))
            .expect("driver log file");
        // A config folder of its own (the remembered window lives there), unless the test
        // brings one to share between launches.
        let config = artifacts.join(format!("{name}.config"));
        let _ = std::fs::remove_dir_all(&config);
        // The window's local storage, too: a theme one test picks is not the next one's.
        let data = artifacts.join(format!("{name}.data"));
        let _ = std::fs::remove_dir_all(&data);
        let driver = ProcessGroup(
            Command::new("tauri-driver")
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native_port.to_string(),
                ])
                .env("KEYSMITH_VAULT", vault)
                .env("KEYSMITH_LOG", &log)
                .env("XDG_CONFIG_HOME", &config)
                .env("XDG_DATA_HOME", &data)
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(driver_log)
                // Its own process group, so ending the session ends WebKitWebDriver and the app too.
                .process_group(0)
                .spawn()
                .expect("tauri-driver on PATH (cargo install tauri-driver --locked)"),
        );
        let url = format!("http://127.0.0.1:{port}");
        let capabilities = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": app },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::native()
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Session {
                        client,
                        _driver: driver,
                        artifacts,
                        log,
                    }
                }
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not connect to tauri-driver: {last_error:?}");
    }

    /// Waits for the element matching the CSS selector.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(UI_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Whether an element matching the selector is on the page now.
    pub async fn present(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Waits for the Settings section to say its changes are saved, then goes back to the
    /// Credentials section.
    pub async fn settings_saved(&self) {
        self.wait_text("[data-testid=settings-saved]", "Saved")
            .await;
        self.click("[data-testid=nav-credentials]").await;
    }

    /// Waits until no element matches the selector.
    pub async fn wait_gone(&self, css: &str) {
        eventually(UI_TIMEOUT, async || match self.present(css).await {
            true => Err(format!("{css} stayed on screen")),
            false => Ok(()),
        })
        .await
    }

    /// Clicks the element matching the selector, first scrolling it into the middle of its
    /// scroll container (WebKitWebDriver does not scroll inside a scrolled dialog by itself).
    pub async fn click(&self, css: &str) {
        // An element redrawn between finding and clicking is found again.
        let mut last_error = None;
        for _ in 0..5 {
            let element = self.find(css).await;
            let reference = serde_json::to_value(&element).expect("an element reference");
            let scrolled = self
                .client
                .execute(
                    "arguments[0].scrollIntoView({block: 'center'});",
                    vec![reference],
                )
                .await;
            match scrolled {
                Ok(_) => match element.click().await {
                    Ok(()) => return,
                    Err(error) => last_error = Some(error),
                },
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot click {css}: {last_error:?}");
    }

    /// Types into the element matching the selector.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// Replaces the text of the input matching the selector with `text`.
    pub async fn replace_text(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input
            .clear()
            .await
            .unwrap_or_else(|e| panic!("cannot clear {css}: {e}"));
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// The rendered text of the element matching the selector (`innerText`: what CSS shows,
    /// whole even where an ellipsis cuts it on screen). WebDriver's own element text reads
    /// nothing inside a box that clips its overflow, as every one-line cell here does.
    pub async fn text(&self, css: &str) -> String {
        // An element redrawn between finding and reading is found again.
        let mut last_error = None;
        for _ in 0..5 {
            let element = self.find(css).await;
            let reference = serde_json::to_value(&element).expect("an element reference");
            match self
                .client
                .execute("return arguments[0].innerText;", vec![reference])
                .await
            {
                Ok(text) => return text.as_str().unwrap_or_default().to_owned(),
                Err(error) => last_error = Some(error),
            }
        }
        panic!("cannot read the text of {css}: {last_error:?}");
    }

    /// Whether the element matching the selector is wholly in view: inside the window and
    /// inside every box around it that scrolls.
    pub async fn in_view(&self, css: &str) -> bool {
        let seen = self
            .client
            .execute(
                "const element = document.querySelector(arguments[0]);
                 const rect = element.getBoundingClientRect();
                 for (let box = element.parentElement; box; box = box.parentElement) {
                   if (!['auto', 'scroll'].includes(getComputedStyle(box).overflowY)) continue;
                   const frame = box.getBoundingClientRect();
                   if (rect.top < frame.top || rect.bottom > frame.bottom) return false;
                 }
                 return rect.top >= 0 && rect.bottom <= window.innerHeight;",
                vec![css.into()],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot tell whether {css} is in view: {e}"));
        seen.as_bool() == Some(true)
    }

    /// The `id` of the element that has the keyboard focus.
    pub async fn focused_id(&self) -> String {
        let id = self
            .client
            .execute("return document.activeElement?.id ?? '';", vec![])
            .await
            .expect("the focused element");
        id.as_str().unwrap_or_default().to_owned()
    }

    /// The test id of the element that has the keyboard focus ('' when it has none).
    pub async fn focused_testid(&self) -> String {
        let testid = self
            .client
            .execute(
                "return document.activeElement?.dataset?.testid ?? ''",
                vec![],
            )
            .await
            .expect("the focused element");
        testid.as_str().unwrap_or_default().to_owned()
    }

    /// Looks inside the frame matching the selector from now on (until `leave_frame`).
    pub async fn enter_frame(&self, css: &str) {
        self.find(css)
            .await
            .enter_frame()
            .await
            .unwrap_or_else(|e| panic!("cannot enter the frame {css}: {e}"));
    }

    /// Looks at the window's page again, out of the frame entered last.
    pub async fn leave_frame(&self) {
        self.client
            .enter_parent_frame()
            .await
            .unwrap_or_else(|e| panic!("cannot leave the frame: {e}"));
    }

    /// Runs `script` in the page, `arguments` holding `args`; what it returns.
    pub async fn script(&self, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("the script failed: {e}"))
    }

    /// Runs `script` in the page until it calls its last argument back; what it passed.
    pub async fn script_async(&self, script: &str) -> serde_json::Value {
        self.client
            .execute_async(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("the script failed: {e}"))
    }

    /// Waits until the element's text contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        eventually(UI_TIMEOUT, async || {
            let text = self.text(css).await;
            match text.contains(needle) {
                true => Ok(text),
                false => Err(format!("{css} never showed {needle:?}; it shows {text:?}")),
            }
        })
        .await
    }

    /// Saves a screenshot of the window as `<name>.png` among the run's artifacts.
    ///
    /// Taken from the X server, once the page has painted its next frame: WebKitWebDriver's
    /// own screenshot never answers while WebKit paints without compositing (WebKitGTK 2.50),
    /// as the app has it on a machine without a GPU (`src-tauri/src/painting.rs`).
    pub async fn screenshot(&self, name: &str) {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await
            .expect("a painted frame");
        let window = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "Keysmith"])
            .output()
            .await
            .expect("xdotool");
        let window = String::from_utf8_lossy(&window.stdout);
        let window = window.lines().next().expect("the app's window");
        let path = self.artifacts.join(format!("{name}.png"));
        let status = Command::new("import")
            .args(["-window", window])
            .arg(&path)
            .status()
            .await
            .expect("import (ImageMagick)");
        assert!(status.success(), "screenshot {name}");
    }

    /// Everything the app has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Ends the WebDriver session (closing the app), then tauri-driver's process group.
    pub async fn end(self) {
        let _ = self.client.clone().close().await;
    }
}

/// A child started in its own process group; dropping it ends the whole group, so nothing it
/// started outlives the test (or holds the test's output open).
struct ProcessGroup(Child);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if let Some(pid) = self.0.id() {
            // SIGTERM to the negative pid reaches every process of the group.
            let _ = std::process::Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .status();
        }
    }
}

/// Whether an X window titled exactly `title` exists (xdotool, on the test's display).
pub fn window_titled(title: &str) -> bool {
    std::process::Command::new("xdotool")
        .args(["search", "--name", &format!("^{}$", regex_escape(title))])
        .output()
        .map(|out| out.status.success() && !out.stdout.is_empty())
        .unwrap_or(false)
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '(' | ')' | '.' | '[' | ']' | '*' | '+' | '?' | '^' | '$' | '\\' | '|' => {
                vec!['\\', c]
            }
            _ => vec![c],
        })
        .collect()
}

/// Waits for a window titled exactly `title`.
pub async fn wait_title(title: &str) {
    eventually(UI_TIMEOUT, async || match window_titled(title) {
        true => Ok(()),
        false => Err(format!("no window titled {title:?}")),
    })
    .await
}

/// Polls `check` every 100 ms until it answers `Ok`, and fails the test after `within` with
/// the last `Err`, which says what was seen instead.
pub async fn eventually<T>(
    within: Duration,
    mut check: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(seen) => assert!(
                tokio::time::Instant::now() < deadline,
                "gave up after {within:?}: {seen}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The X clipboard's text, or `None` when it holds none (xclip fails on an empty selection).
pub async fn clipboard_text() -> Option<String> {
    let output = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .stderr(Stdio::null())
        .output()
        .await
        .expect("xclip on PATH");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}
