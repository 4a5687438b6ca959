#!/usr/bin/env bash
# Runs the Courtdeck app on the built-in demo store (generated on first run). Installs whatever is missing.
# On a machine without a display, pass --xvfb: a virtual X server with four virtual monitors (CONTROL,
# BENCH, WITNESS, PUBLIC) is started, and screenshots can be taken with `import -window root shot.png`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

if [[ "${1:-}" != "--xvfb" && -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "There is no display here (DISPLAY is not set)." >&2
  echo "Run it under a virtual display with four virtual monitors instead:  scripts/run-app.sh --xvfb" >&2
  exit 2
fi

bash scripts/setup.sh
cargo build --workspace --bins --locked

if [[ "${1:-}" == "--xvfb" ]]; then
  display=":${COURTDECK_XVFB_DISPLAY:-77}"
  Xvfb "$display" -screen 0 2560x800x24 +extension RANDR -nolisten tcp -nolisten local -noreset >/dev/null 2>&1 &
  xvfb_pid=$!
  export DISPLAY="$display"
  for _ in $(seq 1 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
  target/debug/xmonitors CONTROL=1280x800+0+0 BENCH=640x400+1280+0 WITNESS=640x400+1920+0 PUBLIC=1280x400+1280+400
  echo "Courtdeck is running under Xvfb on DISPLAY=$display (CONTROL | BENCH WITNESS above PUBLIC)."
  echo "Screenshot: DISPLAY=$display import -window root shot.png    Stop: Ctrl-C"
fi

# The app runs as a child this script waits for, so a TERM or INT sent to the script alone (a service
# manager, `timeout`) ends the app, then the virtual display, rather than waiting for the app to end.
target/debug/courtdeck-app &
app_pid=$!
stop() {
  kill "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  if [[ -n "${xvfb_pid:-}" ]]; then kill "$xvfb_pid" 2>/dev/null || true; fi
}
trap stop EXIT
trap 'exit 130' INT TERM
wait "$app_pid"
