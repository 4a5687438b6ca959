#!/usr/bin/env bash
# Boots the installed kiosk under a real systemd, as a PC would, and checks it from the outside:
# systemd (PID 1 of a private PID namespace, on an overlay of this machine's root so nothing is
# changed) starts graphical.target, courtdeck-kiosk.service brings up Xorg (the dummy video driver
# stands in for a graphics card) and the app, READY=1 makes the unit active; then kill -9 of playout
# (the app restarts it, the unit is untouched), kill -9 of the app (systemd restarts the unit) and a
# SIGSTOPped app (systemd's watchdog restarts it). Prints the figures BENCHMARKS.md records.
#
# Needs root and the package installed (apt-get install ./Courtdeck_*.deb), plus Xorg's dummy driver
# (apt-get install xserver-xorg-video-dummy; setup-system.sh installs it). tests/tests/package.rs runs
# it between install and purge.
set -euo pipefail

[[ $(id -u) == 0 ]] || { echo "kiosk-boot: needs root" >&2; exit 2; }
[[ -e /lib/systemd/system/courtdeck-kiosk.service ]] || { echo "kiosk-boot: install the .deb first" >&2; exit 2; }
[[ -e /usr/lib/xorg/modules/drivers/dummy_drv.so ]] || { echo "kiosk-boot: needs xserver-xorg-video-dummy" >&2; exit 2; }

S=$(mktemp -d /tmp/kiosk-boot.XXXXXX)
audit_before=$(stat -c %s /var/lib/courtdeck/audit.jsonl 2>/dev/null || echo 0)
unshare --mount --pid --net --uts --ipc --fork --propagation private bash -c '
  set -e
  S=$1
  mount -t tmpfs tmpfs "$S"; mkdir "$S/upper" "$S/work" "$S/root"
  mount -t overlay overlay -o "lowerdir=/,upperdir=$S/upper,workdir=$S/work" "$S/root"; R=$S/root
  mount --rbind /dev "$R/dev"; mount --rbind /sys "$R/sys"
  # What this machine runs that a kiosk PC would not, or that would touch the real devices.
  for u in postgresql.service getty@.service console-getty.service serial-getty@.service \
      systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
      man-db.timer dpkg-db-backup.timer nginx.service systemd-udevd.service systemd-udev-trigger.service; do
    ln -sf /dev/null "$R/etc/systemd/system/$u"
  done
  mkdir -p "$R/etc/X11/xorg.conf.d"
  cat > "$R/etc/X11/xorg.conf.d/10-dummy.conf" <<EOF
Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam 256000
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Virtual 1920 1080
  EndSubSection
EndSection
EOF
  cd "$R"; exec chroot . /usr/bin/env -i container=courtdeck-kiosk-boot /lib/systemd/systemd --unit=graphical.target
' kiosk-boot "$S" >"$S.console" 2>&1 &
booted=$(date +%s.%N)
P=""
for _ in $(seq 100); do P=$(pgrep -P $! -x systemd || true); [[ -z $P ]] || break; sleep 0.1; done
[[ -n $P ]] || { echo "FAIL: systemd did not start: $(cat "$S.console")" >&2; exit 1; }
ns() { nsenter -t "$P" -m -p -n -r -w "$@"; }
finish() {
  local rc=$?
  ns journalctl --no-pager -o short-monotonic > "$S.journal" 2>&1 || true
  kill -9 "$P" 2>/dev/null || true
  if ((rc != 0)); then
    echo "kiosk-boot: the booted machine's journal (the last 60 lines of $S.journal):" >&2
    tail -n 60 "$S.journal" >&2
  else
    echo "journal: $S.journal"
  fi
}
trap finish EXIT
since() { echo "$(date +%s.%N) - $1" | bc; }
prop() { ns systemctl show courtdeck-kiosk -p "$1" --value; }
wait_for() { # what, seconds, command…
  local what=$1 secs=$2; shift 2
  for _ in $(seq $((secs * 10))); do "$@" && return 0; sleep 0.1; done
  echo "FAIL: $what" >&2; exit 1
}
# From the unit's start (ExecStartPre, Xorg, D-Bus, keyring, app) to the app's READY=1, by systemd's clock.
start_to_ready() { echo "$((($(prop ActiveEnterTimestampMonotonic) - $(prop InactiveExitTimestampMonotonic)) / 1000)) ms"; }
running() { [[ $(prop ActiveState) == active && $(prop SubState) == running ]]; }
restarts_are() { [[ $(prop NRestarts) == "$1" ]] && running; }
playout() { ns pgrep -f '^/usr/bin/courtdeck-playout$' || true; }

answering() { ns systemctl show -p Version --value >/dev/null 2>&1; }
wait_for "systemd answering" 30 answering
[[ $(ns systemctl is-enabled courtdeck-kiosk) == enabled ]] || { echo "FAIL: not enabled" >&2; exit 1; }
wait_for "the kiosk unit active (READY=1 from the app)" 120 running
echo "boot to the kiosk's READY=1: $(since "$booted") s; the unit's start to READY=1: $(start_to_ready) (a first boot: the demo store's media are made first)"
main=$(prop MainPID)
# The app's own READY=1, not the X server's (Xorg sends one when it finds NOTIFY_SOCKET).
ns journalctl -t courtdeck-kiosk --no-pager | grep -q "control surface ready" \
  || { echo "FAIL: the unit is active but the app never said its surface is ready" >&2; exit 1; }
# The custody log is written by the kiosk, whatever an earlier root-run command left in its folder.
audited() { [[ $(ns stat -c %U:%s /var/lib/courtdeck/audit.jsonl 2>/dev/null) =~ ^courtdeck:([0-9]+)$ ]] && ((BASH_REMATCH[1] > audit_before)); }
wait_for "the kiosk's custody log written (owned by courtdeck, grown)" 30 audited
if ns journalctl -t courtdeck-kiosk --no-pager | grep -E "audit log unavailable|custody log is unavailable"; then
  echo "FAIL: the kiosk could not write its custody log" >&2; exit 1
fi

playout_is_not() { local p; p=$(playout); [[ -n $p && $p != "$1" ]]; }
wait_for "playout started" 30 playout_is_not ""
old=$(playout); ns kill -9 "$old"; t=$(date +%s.%N)
wait_for "playout restarted by the app" 30 playout_is_not "$old"
echo "kill -9 of playout to a new playout process: $(since "$t") s"
[[ $(prop MainPID) == "$main" && $(prop NRestarts) == 0 ]] || { echo "FAIL: the unit restarted for a playout crash" >&2; exit 1; }

app=$(ns pgrep -x courtdeck-app); ns kill -9 "$app"; t=$(date +%s.%N)
wait_for "the unit restarted after kill -9 of the app" 60 restarts_are 1
echo "kill -9 of the app to the restarted kiosk's READY=1: $(since "$t") s (RestartSec=2); the unit's start to READY=1: $(start_to_ready)"

app=$(ns pgrep -x courtdeck-app); ns kill -STOP "$app"; t=$(date +%s.%N)
wait_for "the watchdog restarted a hung app" 120 restarts_are 2
echo "SIGSTOP of the app to the restarted kiosk's READY=1: $(since "$t") s (WatchdogSec=30, pinged every 15 s); the unit's start to READY=1: $(start_to_ready)"
[[ $(ns journalctl -u courtdeck-kiosk --no-pager | grep -c "Watchdog timeout") -ge 1 ]] || { echo "FAIL: not the watchdog" >&2; exit 1; }
gone() { ! ns kill -0 "$1" 2>/dev/null; }
wait_for "the hung app gone" 30 gone "$app"
echo "PASS"
