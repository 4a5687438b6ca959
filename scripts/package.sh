#!/usr/bin/env bash
# Builds the kiosk's Debian package: a release build of the app (Tauri's bundler), the playout process
# as its sidecar, and the courtdeck CLI, with the systemd kiosk unit and the installed config
# (src-tauri/tauri.deb.conf.json, assets/kiosk/). Installs whatever it needs. Prints the .deb's path
# on its last line.
#   bash scripts/package.sh            # -> target/release/bundle/deb/Courtdeck_<version>_amd64.deb
#   bash scripts/package.sh --no-setup # the same, without running scripts/setup.sh first
# Install: sudo apt-get install ./target/release/bundle/deb/Courtdeck_*_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# --no-setup: the caller has set the machine up (scripts/test.sh, which builds this beside its tests
# and must not have ui/dist rebuilt under them).
[[ "${1:-}" == "--no-setup" ]] || bash scripts/setup.sh >&2
triple=$(rustc -vV | sed -n 's/^host: //p')

echo "package: release build of courtdeck-playout and courtdeck" >&2
cargo build --release --locked -p courtdeck-engine --bin courtdeck-playout -p courtdeck-cli --bin courtdeck >&2
mkdir -p src-tauri/binaries
cp target/release/courtdeck-playout "src-tauri/binaries/courtdeck-playout-$triple"

echo "package: release build of the app and the .deb (tauri build)" >&2
# ui/dist is built by setup.sh; the bundler's own cargo build embeds it.
ui/node_modules/.bin/tauri build --bundles deb --ci --config src-tauri/tauri.deb.conf.json -- --locked >&2

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
deb="target/release/bundle/deb/Courtdeck_${version}_amd64.deb"
test -f "$deb" || { echo "package: $deb was not made" >&2; exit 1; }
dpkg-deb --info "$deb" >&2
echo "$deb"
