//! The `keysmith-app` binary: starts the desktop app (see the `keysmith_app` library).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Every heap block is zeroed when freed: secrets do not outlive the values that held them.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

fn main() {
    keysmith_app::run();
}
