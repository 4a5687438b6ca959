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
# Log files go to a throwaway HOME so tests never touch the user's.
test_home=$(mktemp -d)
trap 'rm -rf "$test_home"' EXIT
HOME="$test_home" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUST_LOG="${RUST_LOG:-warn}" \
  cargo test --workspace --locked -- --test-threads=1
