//! Measures the window over a large vault, for `scripts/bench-window` (which seeds the vault,
//! builds the release app and runs this under Xvfb): the app is driven through WebDriver and
//! timed with the User Timing marks the UI sets (ui/src/lib/timing.ts), never with timers
//! here, so WebDriver's own round trips are not counted.
//!
//! - **Unlock to first rows**: from submitting the passphrase to the first page painted, less
//!   the key derivation the app logs for that unlock (`key_ms`): the passphrase's argon2 time
//!   is chosen, not a cost of the vault's size. Several unlocks; the first is cold.
//! - **Search keystroke to repainted rows**: one keystroke at a time, each waited for; the
//!   search box's pause before it asks is included.
//! - **Scrolling the whole list**: one window-height further on every frame from the top to
//!   the end; the gaps between frames, as `requestAnimationFrame` sees them.
//! - **Memory**: resident size of the app's WebKit page process after the scroll.
//!
//! For finding where the time goes it also prints the frames of two idle seconds, each
//! keystroke's time, the page process's heap and file-backed memory, and, with
//! `$KEYSMITH_BENCH_SCRIPT_TIMES=1`, of each scroll frame the page's script between the scroll
//! event and the DOM changes it led to (a mutation observer on the whole list: its records are
//! allocated in the page measured, so it is off for the memory figure).
//!
//! `bench-window VAULT` with the passphrase in `$KEYSMITH_PASSPHRASE` and the app in
//! `$KEYSMITH_E2E_APP`.

use std::path::PathBuf;
use std::time::Duration;

use keysmith_e2e::{eventually, Session};

/// Unlocks timed (each after locking again).
const UNLOCKS: usize = 5;
/// What is typed into the search box, one keystroke at a time, then taken back.
const SEARCH: &str = "load 4242";
/// Backspace, as WebDriver sends it.
const BACKSPACE: &str = "\u{e003}";
/// How long the page is left idle after the scroll before its memory is read once more.
const SETTLE: Duration = Duration::from_secs(10);
/// How long the scroll may go on before it is stopped and the frames so far are reported, in
/// seconds; `$KEYSMITH_BENCH_SCROLL_SECONDS` sets another.
const SCROLL_LIMIT_SECONDS: u64 = 300;

#[tokio::main]
async fn main() {
    let vault = PathBuf::from(std::env::args().nth(1).expect("usage: bench-window VAULT"));
    let passphrase = std::env::var("KEYSMITH_PASSPHRASE").expect("KEYSMITH_PASSPHRASE is set");
    let app = Session::start(&vault, &[]).await;

    let mut first_rows = Vec::new();
    for run in 0..UNLOCKS {
        if run > 0 {
            app.click("[data-testid=lock-button]").await;
        }
        app.type_into("#passphrase", &passphrase).await;
        app.click("[data-testid=unlock-vault] button[type=submit]")
            .await;
        let whole = after(&app, "keysmith:unlock", "keysmith:rows").await;
        let key = key_derivation_ms(&app.log(), run);
        println!(
            "unlock {}: {whole:.0} ms to first rows, of which key derivation {key:.0} ms",
            run + 1
        );
        first_rows.push(whole - key);
    }
    println!("vault: {}", app.text("[data-testid=count]").await);
    report(
        "unlock → first rows, key derivation excluded (ms)",
        &first_rows,
        300.0,
    );
    let before_scroll = page_process_kib();

    app.click("[data-testid=search]").await;
    let mut keystrokes = Vec::new();
    let keys = SEARCH
        .chars()
        .map(String::from)
        .chain(SEARCH.chars().map(|_| BACKSPACE.to_owned()));
    for key in keys {
        app.find("[data-testid=search]")
            .await
            .send_keys(&key)
            .await
            .expect("a keystroke");
        keystrokes.push(after(&app, "keysmith:keystroke", "keysmith:rows").await);
    }
    let text = |keystrokes: &[f64]| {
        let shown: Vec<String> = keystrokes.iter().map(|ms| format!("{ms:.0}")).collect();
        shown.join(" ")
    };
    let (typed, erased) = keystrokes.split_at(SEARCH.chars().count());
    println!("typing {SEARCH:?}, ms a key: {}", text(typed));
    println!("erasing it, ms a key: {}", text(erased));
    report("search keystroke → repainted rows (ms)", &keystrokes, 100.0);

    let idle = idle_frames(&app).await;
    report("frame with nothing to do, for comparison (ms)", &idle, 50.0);
    let Scroll {
        frames,
        script,
        reached,
    } = scroll_to_end(&app).await;
    let after_scroll = page_process_kib();
    // What stays once the page has been idle a while (its allocator gives memory back late).
    tokio::time::sleep(SETTLE).await;
    let settled = page_process_kib();
    app.end().await;
    println!(
        "scrolled {:.0} % of the list (stopped after {} s if not all)",
        reached * 100.0,
        scroll_limit().as_secs()
    );
    report("frame while scrolling the whole list (ms)", &frames, 50.0);
    println!(
        "  {} frames, {} over 50 ms",
        frames.len(),
        frames.iter().filter(|&&f| f > 50.0).count()
    );
    if script_times() {
        report(
            "  of which the list's script after each scroll (ms)",
            &script,
            50.0,
        );
    }
    println!(
        "WebKit page process: {} MiB resident after first rows, {} MiB after scrolling (target < 300 MiB)",
        before_scroll.total / 1024,
        after_scroll.total / 1024
    );
    println!(
        "  of which anonymous (heap) {} → {} MiB, files (libraries, fonts) {} → {} MiB",
        before_scroll.anonymous / 1024,
        after_scroll.anonymous / 1024,
        before_scroll.files / 1024,
        after_scroll.files / 1024
    );
    println!(
        "  {} s later, idle: {} MiB (anonymous {} MiB)",
        SETTLE.as_secs(),
        settled.total / 1024,
        settled.anonymous / 1024
    );
}

/// How long the scroll may go on (see [`SCROLL_LIMIT_SECONDS`]).
fn scroll_limit() -> Duration {
    let seconds = std::env::var("KEYSMITH_BENCH_SCROLL_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SCROLL_LIMIT_SECONDS);
    Duration::from_secs(seconds)
}

/// Whether the scroll times each frame's script (`$KEYSMITH_BENCH_SCRIPT_TIMES=1`).
fn script_times() -> bool {
    std::env::var("KEYSMITH_BENCH_SCRIPT_TIMES").is_ok_and(|value| value == "1")
}

/// Waits for mark `end` to be newer than mark `start` and returns the time between them.
async fn after(app: &Session, start: &str, end: &str) -> f64 {
    eventually(Duration::from_secs(60), async || {
        let marks = app
            .client
            .execute(
                "const at = (name) => performance.getEntriesByName(name, 'mark')[0]?.startTime;
                 return [at(arguments[0]), at(arguments[1])];",
                vec![start.into(), end.into()],
            )
            .await
            .map_err(|e| e.to_string())?;
        match (marks[0].as_f64(), marks[1].as_f64()) {
            (Some(from), Some(to)) if to > from => Ok(to - from),
            seen => Err(format!("no {end} mark after {start} yet: {seen:?}")),
        }
    })
    .await
}

/// The key derivation time the app logged for unlock number `run` (from 0).
fn key_derivation_ms(log: &str, run: usize) -> f64 {
    log.lines()
        .filter(|line| line.contains("vault unlocked"))
        .nth(run)
        .and_then(|line| line.split("key_ms=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("the app logged no key derivation for unlock {}", run + 1))
}

/// The frames of two seconds in which the bench does nothing: what the window's own drawing
/// costs, for comparison with the scroll's.
async fn idle_frames(app: &Session) -> Vec<f64> {
    let frames = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const frames = [];
             let last;
             const until = performance.now() + 2000;
             const step = (now) => {
               if (last !== undefined) frames.push(now - last);
               last = now;
               if (now < until) requestAnimationFrame(step); else done(frames);
             };
             requestAnimationFrame(step);",
            vec![],
        )
        .await
        .expect("idle frames");
    numbers(&frames)
}

/// The numbers of a JSON array the page returned (none if it is not one).
fn numbers(array: &serde_json::Value) -> Vec<f64> {
    array
        .as_array()
        .map(|values| values.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default()
}

/// What a scroll through the inventory measured.
struct Scroll {
    /// Every frame's length, ms.
    frames: Vec<f64>,
    /// Of each frame, the time the page's script took to redraw the list after the scroll
    /// (only with [`script_times`]).
    script: Vec<f64>,
    /// How far down it got, of 1.
    reached: f64,
}

/// Scrolls the inventory from the top to its end, a window height a frame, and returns what
/// it measured. The scrolling runs in the page; this only waits for it, up to
/// [`scroll_limit`], after which it reports the frames so far.
async fn scroll_to_end(app: &Session) -> Scroll {
    app.client
        .execute(
            "const grid = document.querySelector('[data-testid=credential-grid]');
             grid.scrollTop = 0;
             const scroll = { frames: [], script: [], done: false, stop: false, at: 0 };
             window.keysmithScroll = scroll;
             let last, scrolled, redrawn;
             // The scroll event comes first in a frame's update (a capturing listener on the
             // document hears it before the list's own), then the list's redraw, whose DOM
             // changes the observer hears once it is done: the time between is the script's.
             if (arguments[0]) {
               document.addEventListener('scroll', () => { scrolled ??= performance.now(); }, true);
               new MutationObserver(() => {
                 if (scrolled !== undefined && redrawn === undefined) redrawn = performance.now();
               }).observe(grid, { childList: true, subtree: true, characterData: true, attributes: true });
             }
             const step = (now) => {
               if (last !== undefined) scroll.frames.push(now - last);
               if (redrawn !== undefined) scroll.script.push(redrawn - scrolled);
               last = now;
               scrolled = redrawn = undefined;
               scroll.at = (grid.scrollTop + grid.clientHeight) / grid.scrollHeight;
               if (scroll.stop || grid.scrollTop + grid.clientHeight >= grid.scrollHeight - 1) {
                 scroll.done = true;
                 return;
               }
               grid.scrollTop += grid.clientHeight;
               requestAnimationFrame(step);
             };
             requestAnimationFrame(step);",
            vec![script_times().into()],
        )
        .await
        .expect("the scroll starts");
    let deadline = tokio::time::Instant::now() + scroll_limit();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let done = app
            .client
            .execute("return window.keysmithScroll.done;", vec![])
            .await
            .expect("the scroll's state");
        if done.as_bool() == Some(true) {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            app.client
                .execute("window.keysmithScroll.stop = true;", vec![])
                .await
                .expect("the scroll stops");
        }
    }
    let scroll = app
        .client
        .execute("return window.keysmithScroll;", vec![])
        .await
        .expect("the scroll's frames");
    Scroll {
        frames: numbers(&scroll["frames"]),
        script: numbers(&scroll["script"]),
        reached: scroll["at"].as_f64().unwrap_or(0.0),
    }
}

/// Prints the median and the worst of `values` beside `target`.
fn report(what: &str, values: &[f64], target: f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what}: median {:.1}, p99 {:.1}, worst {:.1} of {} (target < {target}; worst / target {:.2})",
        at(0.5),
        at(0.99),
        at(1.0),
        sorted.len(),
        at(1.0) / target
    );
}

/// Resident memory, KiB: in all, and the anonymous (heap) and file-backed parts of it.
#[derive(Default)]
struct Resident {
    total: u64,
    anonymous: u64,
    files: u64,
}

/// The resident memory of the WebKit page processes this bench started (through
/// tauri-driver and the app): the processes named WebKitWebProcess descended from this one.
fn page_process_kib() -> Resident {
    let ours = std::process::id();
    let processes: Vec<(u32, u32, String)> = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid …": the name may hold spaces, so split after its ')'.
            let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
            let parent = rest.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, parent, name.to_owned()))
        })
        .collect();
    let parent_of = |pid: u32| processes.iter().find(|p| p.0 == pid).map(|p| p.1);
    let descends = |mut pid: u32| {
        while let Some(parent) = parent_of(pid) {
            if parent == ours {
                return true;
            }
            pid = parent;
        }
        false
    };
    processes
        .iter()
        .filter(|(pid, _, name)| name.starts_with("WebKitWebProces") && descends(*pid))
        .map(|(pid, _, _)| resident(*pid))
        .fold(Resident::default(), |sum, one| Resident {
            total: sum.total + one.total,
            anonymous: sum.anonymous + one.anonymous,
            files: sum.files + one.files,
        })
}

/// The resident memory of process `pid` (`VmRSS`, `RssAnon`, `RssFile`).
fn resident(pid: u32) -> Resident {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Resident {
        total: field("VmRSS"),
        anonymous: field("RssAnon"),
        files: field("RssFile"),
    }
}
