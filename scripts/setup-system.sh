#!/usr/bin/env bash
# Installs every system package Courtdeck needs to build, run and test on Debian 12 / Ubuntu 24.04.
# Idempotent: it skips apt-get when every package is already present.
set -euo pipefail

PACKAGES=(
  # Tauri 2 / WebKitGTK build
  libwebkit2gtk-4.1-dev build-essential file pkg-config libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev
  # GStreamer (build and runtime)
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools gstreamer1.0-x gstreamer1.0-gl
  # ALSA: a capture card's own sound (alsasrc), and sound out where there is no sound server
  gstreamer1.0-alsa
  # A display, a WebDriver and screenshots for the end-to-end tests
  xvfb x11-xserver-utils x11-utils webkit2gtk-driver imagemagick
  # Secret Service for keyring tests
  gnome-keyring dbus dbus-x11 libdbus-1-dev libsecret-tools
  # Evidence store for tests
  nginx-light openssl curl
  # Fonts so the UI and slates render text
  fonts-dejavu-core
  # Test media from a tool other than the library that plays it; Xlib for the playout process's
  # X error handler
  ffmpeg libx11-dev
  # Documents: poppler renders PDF pages in the playout process; the tests write PDFs with
  # Ghostscript and encrypt them with qpdf; pdftoppm is the page-render benchmark's reference
  libpoppler-glib-dev poppler-utils ghostscript qpdf
  # The installed kiosk booted under a real systemd (scripts/kiosk-boot.sh): Xorg's dummy video
  # driver stands in for a graphics card (the package itself brings Xorg and xinit)
  xserver-xorg-video-dummy
  # Real monitors' EDIDs are read in the tests as edid-decode reads them
  edid-decode
  # Virtual environments for the PyPI tools (SeaweedFS, the reference validators jsonschema and bagit)
  python3 python3-venv
  # The lists benchmark times whole processes (wall time and peak RSS) with /usr/bin/time
  time
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} system packages: ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
