#!/usr/bin/env bash
# Runs every test and gate: formatting, clippy, the UI's type check and unit tests, the Rust tests
# (including the playout process tests with real GStreamer pipelines and the end-to-end test that drives
# the real app under Xvfb through tauri-driver). Installs whatever is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# Throwaway XDG dirs for the tests (config, caches and logs never touch the user's); and the package's
# background build, stopped if this script ends early.
xdg=$(mktemp -d)
package_pid=""
trap 'rm -rf "$xdg"; [[ -z $package_pid ]] || kill -- "-$package_pid" 2>/dev/null || true' EXIT

# Each step says how long the one before it took; the last line sums them up (where CI time goes).
timings=()
step_name=""
step_start=$SECONDS
step() {
  if [[ -n $step_name ]]; then timings+=("$((SECONDS - step_start)) s  $step_name"); fi
  step_name="$*"
  step_start=$SECONDS
  printf '\n==> %s\n' "$*"
}

step "setup"
bash scripts/setup.sh --with-tauri-driver

step "cargo fmt --check"
cargo fmt --all -- --check

step "UI type check and unit tests"
(cd ui && npm run --silent check && npm test --silent)

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the process line: the app links no GStreamer and no X11"
# ARCHITECTURE.md's invariant, kept by Cargo: only the playout binary (courtdeck-engine) links them.
for pkg in courtdeck-app courtdeck-cli courtdeck-api; do
  if linked=$(cargo tree --locked -p "$pkg" -e normal,build --prefix none | grep -E '^(gstreamer|x11rb|courtdeck-engine)\b'); then
    echo "FAIL: $pkg links what only the playout process may:" >&2
    echo "$linked" | sort -u >&2
    exit 1
  fi
done
echo "courtdeck-app, courtdeck-cli, courtdeck-api: no gstreamer, no x11rb, no courtdeck-engine"
# No product crate builds on test code: the media and PDF corpora, the harness and the benchmark are
# dev-only crates (courtdeck-testdata, courtdeck-testkit, courtdeck-bench).
for pkg in courtdeck-app courtdeck-cli courtdeck-api courtdeck-engine courtdeck-store courtdeck-audit courtdeck-core courtdeck-playout; do
  if linked=$(cargo tree --locked -p "$pkg" -e normal,build --prefix none | grep -E '^courtdeck-(testdata|testkit|bench)\b'); then
    echo "FAIL: $pkg builds on test code:" >&2
    echo "$linked" | sort -u >&2
    exit 1
  fi
  if cargo tree --locked -p "$pkg" -e normal,build,features --prefix none | grep -q 'feature "test-support"'; then
    echo "FAIL: $pkg builds with a test-support feature" >&2
    exit 1
  fi
done
echo "no product crate builds on courtdeck-testdata, courtdeck-testkit or courtdeck-bench, or with test-support"

step "build every binary and every test (the tests drive the app and the playout process)"
cargo build --workspace --bins --locked
cargo test --workspace --locked --no-run

step "the kiosk's Debian package: release build, started beside the tests"
# The release build (most of this script's compiling) runs while the tests run: they mostly wait on
# real time (media playing, servers, the app under Xvfb), so it takes their idle CPU, at the lowest
# priority so it never takes theirs. target/release has its own lock; the tests use target/debug.
mkdir -p target
# Its own process group (setsid), so an early exit stops all of it.
setsid nice -n 19 bash scripts/package.sh --no-setup >target/package.log 2>&1 &
package_pid=$!

step "cargo test: every test binary, each under a time limit, none leaving a process behind"
# The tests need no display of their own: the e2e test starts Xvfb itself. Playout tests use fakesinks.
# Config, caches and logs go to throwaway XDG dirs so tests never touch the user's.
# --show-output keeps what passing tests print: the figures, and the RELIABILITY lines of the fault tests.
# scripts/test-binaries.sh runs each binary as cargo test would, killed after 20 min (the slowest,
# playout, takes about 8), and fails naming any process one left behind.
mkdir -p target
: >target/test-output.log
export XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" XDG_CACHE_HOME="$xdg/cache" XDG_STATE_HOME="$xdg/state" \
  COURTDECK_TEST_ARTIFACTS="$xdg/artifacts" RUST_LOG="${RUST_LOG:-warn}"
bash scripts/test-binaries.sh --skip package --limit 20m --log target/test-output.log
# Documentation examples (cargo test ran them too).
if ! timeout --kill-after=30s 15m cargo test --workspace --locked --doc >>target/test-output.log 2>&1; then
  echo "FAIL: the documentation tests; the end of their output:" >&2
  tail -n 40 target/test-output.log >&2
  exit 1
fi

step "every benchmark section, short (figures printed, none asserted: a section that breaks fails here)"
# The debug build the tests used; BENCHMARKS.md's figures come from full runs of the release build.
if ! timeout --kill-after=30s 20m target/debug/courtdeck-bench --short >target/bench-short.log 2>&1; then
  echo "FAIL: courtdeck-bench --short; the end of its output:" >&2
  tail -n 40 target/bench-short.log >&2
  exit 1
fi
grep -c . target/bench-short.log | xargs printf '%s lines of figures in target/bench-short.log\n'

step "the kiosk's Debian package: wait for its build, install, run from the installed files, purge"
if ! wait "$package_pid"; then
  echo "FAIL: the package build failed; its output:" >&2
  tail -n 60 target/package.log >&2
  exit 1
fi
package_pid=""
deb=$(tail -n 1 target/package.log)
echo "built $deb"
# The package carries the product only: no test binary, no test data.
if shipped=$(dpkg-deb -c "$deb" | grep -Ei 'courtdeck-bench|xmonitors|testkit|testdata|corpus'); then
  echo "FAIL: the package carries test code:" >&2
  echo "$shipped" >&2
  exit 1
fi
echo "$(dpkg-deb -c "$deb" | wc -l) entries in the package, none of them test code"
# Installing a package needs root (the test uses sudo when it is not root): say so rather than skip.
if [[ $(id -u) -ne 0 ]] && ! sudo -n true 2>/dev/null; then
  echo "FAIL: the package test installs the .deb and needs root (or password-less sudo)" >&2
  exit 1
fi
root=""
[[ $(id -u) -ne 0 ]] && root="sudo -n"
# A package left by an earlier, interrupted run would be tested instead of this one's.
if dpkg -s courtdeck >/dev/null 2>&1; then $root dpkg --purge courtdeck >/dev/null; fi
status=0
COURTDECK_DEB="$PWD/$deb" bash scripts/test-binaries.sh --only package --limit 20m --log target/test-output.log \
  -- --ignored --test-threads=1 --show-output || status=$?
# The test purges the package itself; after a failure, this machine must not keep it either.
if dpkg -s courtdeck >/dev/null 2>&1; then $root dpkg --purge courtdeck >/dev/null; fi
((status == 0)) || exit "$status"

step "reliability table (target/RELIABILITY.md)"
bash scripts/reliability.sh target/test-output.log > target/RELIABILITY.md
tail -n 3 target/RELIABILITY.md

step "secrets: no test credential in any file the suite wrote"
# Every config, log, audit log and cache the tests left in the throwaway XDG dirs and kept work folders.
files=$(find "$xdg" -type f | wc -l)
logs=$(find "$xdg/artifacts" -name '*.log.json' 2>/dev/null | wc -l)
if ((logs == 0)); then
  echo "FAIL: no test kept its logs under $xdg/artifacts; the secrets check would search nothing" >&2
  exit 1
fi
if hits=$(grep -rlF --binary-files=text -f tests/test-secrets.txt "$xdg"); then
  echo "FAIL: a test credential was written to:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "searched $files files ($logs kept logs) for $(grep -c . tests/test-secrets.txt) test credentials: 0 hits"

step "done"
printf '\n==> time per step (%d s in all)\n' "$SECONDS"
printf '  %s\n' "${timings[@]}"
