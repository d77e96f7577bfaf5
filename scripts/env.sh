# Shared environment for scripts/launch and scripts/test (sourced, not run).
# One cargo target folder outside the clone, so CI runs and fresh clones reuse the build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keysmith-target}"
export PATH="$HOME/.cargo/bin:$PATH"
# The Python with aiosmtpd that the renewal-mail tests start as a real SMTP server (setup
# makes it).
export KEYSMITH_PYTHON="${KEYSMITH_PYTHON:-$HOME/.cache/keysmith-venv/bin/python}"
