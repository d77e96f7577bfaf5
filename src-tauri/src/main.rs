//! The `keysmith-app` binary: starts the desktop app (see the `keysmith_app` library).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    keysmith_app::run();
}
