#!/usr/bin/env bash
# Runs every test and gate: formatting, clippy, the UI's type check and unit tests, the Rust tests
# (including the playout process tests with real GStreamer pipelines and the end-to-end test that drives
# the real app under Xvfb through tauri-driver). Installs whatever is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "setup"
bash scripts/setup.sh --with-tauri-driver

step "cargo fmt --check"
cargo fmt --all -- --check

step "UI type check and unit tests"
(cd ui && npm run --silent check && npm test --silent)

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build every binary (the tests drive the app and the playout process)"
cargo build --workspace --bins --locked

step "cargo test"
# The tests need no display of their own: the e2e test starts Xvfb itself. Playout tests use fakesinks.
# Config, caches and logs go to throwaway XDG dirs so tests never touch the user's.
xdg=$(mktemp -d)
trap 'rm -rf "$xdg"' EXIT
XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" XDG_CACHE_HOME="$xdg/cache" XDG_STATE_HOME="$xdg/state" \
  RUST_LOG="${RUST_LOG:-warn}" cargo test --workspace --locked -- --test-threads=1
