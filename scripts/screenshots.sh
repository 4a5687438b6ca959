#!/usr/bin/env bash
# Makes the screenshots in docs/screenshots: runs the end-to-end test (the real app under Xvfb, driven
# through tauri-driver, screens on virtual monitors) and copies the shots of each view under their
# stable names. Each shot is the whole Xvfb screen: the control surface on the left, the courtroom
# monitors (BENCH above PUBLIC) on the right, as the test grabbed them after checking what they show.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh --with-tauri-driver
cargo build --workspace --bins --locked
shots=$(mktemp -d)
trap 'rm -rf "$shots"' EXIT
COURTDECK_SHOTS="$shots" cargo test --locked -p courtdeck-testkit --test e2e -- --nocapture
# The output windows alone (the playout process on BENCH and PUBLIC monitors): slates, rotation.
cargo test --locked -p courtdeck-testkit --test playout -- --nocapture outputs::
cp target/debug/screenshots/outputs-*.png "$shots/"
declare -A names=(
  [01-today]=today
  [03-public-blanked]=presented-public-blanked
  [05-restricted-bench-only]=restricted-bench-only
  [02b-side-by-side]=side-by-side
  [05a-transcript-captions-bench]=transcript-captions-bench
  [05b-still-zoomed]=still-zoomed
  [05b2-still-zoomed-to-box]=still-zoomed-to-box
  [05c-document-page-2]=document-plan-page-2
  [05e-document-annotated]=document-annotated
  [05f-marked-page-kept]=document-marked-page-kept
  [06-identify-card]=setup-identify-card
  [07-setup-checks]=setup-checks
  [08-cath-today]=cath-list-today
  [08b-cath-hearing-banner]=reporting-restriction-banner
  [09-week-ahead]=week-ahead
  [10-bag-provenance]=bag-exhibit-provenance
  [11-live-on-air]=live-on-air
  [11b-live-no-signal]=live-no-signal
  [12-blank-key]=blank-key-tiles
  [12b-keys-help]=keys-help
  [13-1280x800-JS1]=on-air-video-1280x800
  [13-1280x800-JS2]=on-air-audio-1280x800
  [13-1280x800-JS3]=on-air-transcript-1280x800
  [13-1280x800-JS4]=on-air-still-1280x800
  [13-1280x800-JS7]=on-air-document-1280x800
  [13-1280x800-JS7-cy]=on-air-document-cy-1280x800
  [layout-1280x800]=hearing-1280x800
  [layout-1920x1080]=hearing-1920x1080
  [outputs-slate-standby]=slate-standby
  [outputs-slate-unavailable]=slate-unavailable
  [outputs-phone-rotated]=phone-rotated
)
for shot in "${!names[@]}"; do
  cp "$shots/$shot.png" "docs/screenshots/${names[$shot]}.png"
done
echo "docs/screenshots updated: ${names[*]}"
