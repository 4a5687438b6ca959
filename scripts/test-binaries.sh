#!/usr/bin/env bash
# Runs the workspace's test binaries one at a time (as `cargo test` does), each under a time limit,
# and fails naming any process a binary left behind. Never hangs: a binary that runs past its limit
# is killed with its whole process group, and the run fails with its name and its last output.
#
#   scripts/test-binaries.sh [--only TARGET] [--skip TARGET] [--limit DURATION] [--log FILE] [-- TEST ARGS…]
#
# --only/--skip name a test target (`e2e`, `package`, `courtdeck_core` for a library's unit tests);
# --limit is per binary, in timeout(1)'s units (default 15m); --log gets every binary's output
# appended; TEST ARGS go to each test binary (default: --test-threads=1 --show-output).
#
# A binary's output goes to a file, never through a pipe: a child a test left behind kept
# `cargo test | tee` waiting forever on the pipe it inherited. Every process a binary starts carries
# COURTDECK_TEST_RUN in its environment (helpers inherit it); what still carries it after the binary
# ended, and has not gone within 10 s, is named and killed, and the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

only=()
skip=()
limit=15m
log=""
while (($#)); do
  case $1 in
    --only) only+=("$2"); shift 2 ;;
    --skip) skip+=("$2"); shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "test-binaries.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
test_args=("$@")
((${#test_args[@]})) || test_args=(--test-threads=1 --show-output)
[[ -z $log ]] || touch "$log"

# Every test binary cargo builds: package, target kind, target name, package folder, executable.
mkdir -p target
cargo test --workspace --locked --no-run --message-format=json-render-diagnostics 2>/dev/null \
  | python3 -c '
import json, os, sys
rows = []
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("profile", {}).get("test") or not m.get("executable"):
        continue
    t = m["target"]
    # path+file:///…/crates/courtdeck-core#0.1.0, or …/tests#courtdeck-testkit@0.1.0
    where, _, version = m["package_id"].partition("#")
    package = version.split("@")[0] if "@" in version else where.rsplit("/", 1)[-1]
    rows.append((package, t["kind"][0], t["name"], os.path.dirname(m["manifest_path"]), m["executable"]))
for r in sorted(set(rows)):
    print("\t".join(r))
' >target/test-binaries.tsv
if [[ ! -s target/test-binaries.tsv ]]; then
  echo "FAIL: cargo listed no test binaries (cargo test --no-run failed?)" >&2
  exit 1
fi

# The processes (pid and command line) whose environment carries this run's marker.
marked() {
  python3 - "$1" <<'PY'
import os, sys
want = b"COURTDECK_TEST_RUN=" + sys.argv[1].encode()
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            if want not in f.read().split(b"\0"):
                continue
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        continue  # gone, or a zombie
    if cmd:
        print(pid, cmd)
PY
}

failures=()
ran=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
while IFS=$'\t' read -r package kind name dir exe; do
  if ((${#only[@]})) && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  if ((${#skip[@]})) && [[ " ${skip[*]} " == *" $name "* ]]; then continue; fi
  label="$package ($kind $name)"
  out="$logs/$name-$kind.log"
  marker="$name-$$-$RANDOM$RANDOM"
  printf '\n---- %s: %s\n' "$label" "${exe#"$root"/}"
  started=$SECONDS
  # timeout(1) leads a process group of its own: at the limit the binary and what stayed in its group
  # are killed (SIGTERM, then SIGKILL 30 s later); helpers in groups of their own are left to the
  # leftover check below.
  # The file exists before tail opens it (tail -f gives up on a file that is not there yet, and the
  # binary's output went unseen).
  : >"$out"
  (cd "$dir" && exec env COURTDECK_TEST_RUN="$marker" timeout --kill-after=30s "$limit" "$exe" "${test_args[@]}") \
    >>"$out" 2>&1 </dev/null &
  pid=$!
  tail -n +1 -f --pid="$pid" "$out" || true
  status=0
  wait "$pid" || status=$?
  ran=$((ran + 1))
  [[ -z $log ]] || cat "$out" >>"$log"
  if ((status == 124 || status == 137)); then
    failures+=("$label did not finish within $limit (killed); its last output is above")
    printf '\n==> FAIL: %s did not finish within %s; its last 40 lines:\n' "$label" "$limit" >&2
    tail -n 40 "$out" >&2
  elif ((status != 0)); then
    failures+=("$label failed (exit $status)")
  fi
  printf -- '---- %s: exit %d in %d s\n' "$label" "$status" "$((SECONDS - started))"
  # What the binary started must have ended with it.
  left=""
  for _ in $(seq 1 50); do
    left=$(marked "$marker")
    [[ -z $left ]] && break
    sleep 0.2
  done
  if [[ -n $left ]]; then
    failures+=("$label left processes behind: $(echo "$left" | cut -c1-200 | paste -sd ';' -)")
    printf '\n==> FAIL: %s left these processes running (killed now):\n%s\n' "$label" "$left" >&2
    echo "$left" | while read -r p _; do kill -9 "$p" 2>/dev/null || true; done
  fi
done <target/test-binaries.tsv

if ((ran == 0)); then
  echo "FAIL: no test binary matched ${only[*]:-}" >&2
  exit 1
fi
if ((${#failures[@]})); then
  printf '\n==> FAIL: %d test binaries ran; what failed:\n' "$ran" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
printf '\n==> %d test binaries passed, none left a process behind\n' "$ran"
