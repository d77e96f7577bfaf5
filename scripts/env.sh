# Shared environment for scripts/launch and scripts/test (sourced, not run).
# One cargo target folder outside the clone, so CI runs and fresh clones reuse the build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keysmith-target}"
export PATH="$HOME/.cargo/bin:$PATH"
# The Python with aiosmtpd that the renewal-mail tests start as a real SMTP server (setup
# makes it).
export KEYSMITH_PYTHON="${KEYSMITH_PYTHON:-$HOME/.cache/keysmith-venv/bin/python}"
# The shared target folder must not fill the disk (a full disk kills the linker with a bus
# error): builds and artifacts nothing has touched for two days are removed, and CI builds
# without incremental state (each CI run is a fresh clone; incremental state would only pile up).
if [ -d "$CARGO_TARGET_DIR" ]; then
  find "$CARGO_TARGET_DIR"/{debug,release}/{deps,incremental} -mindepth 1 -maxdepth 1 -mtime +2 \
    -exec rm -rf {} + 2>/dev/null || true
fi
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
