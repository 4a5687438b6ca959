#!/usr/bin/env bash
# The flake hunt (#12): runs the end-to-end test and the playout suites N times in a row, each run with
# fresh XDG folders, and prints how many runs and test executions passed and failed per binary.
#   bash scripts/flake-hunt.sh            # 10 runs of e2e and playout
#   bash scripts/flake-hunt.sh 3 playout
# Run it on a clean clone after scripts/test.sh (which builds what it needs and sets the machine up);
# it builds the test binaries if they are missing. Each run goes through scripts/test-binaries.sh (a
# time limit per binary, no process left behind). A failed run's output is kept in
# target/flake-hunt/<binary>-<run>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

runs=${1:-10}
shift || true
names=("$@")
((${#names[@]})) || names=(e2e playout)

cargo build --workspace --bins --locked >&2
cargo test --workspace --locked --no-run >&2

out=target/flake-hunt
mkdir -p "$out"
declare -A runs_ok runs_bad tests_ok tests_bad secs
for n in "${names[@]}"; do runs_ok[$n]=0 runs_bad[$n]=0 tests_ok[$n]=0 tests_bad[$n]=0 secs[$n]=0; done
for ((i = 1; i <= runs; i++)); do
  for n in "${names[@]}"; do
    xdg=$(mktemp -d)
    log="$out/$n-$i.log"
    start=$SECONDS
    status=0
    # One binary as the test command runs it: from its package's folder, under a time limit, failed
    # if it leaves a process behind.
    XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" XDG_CACHE_HOME="$xdg/cache" \
      XDG_STATE_HOME="$xdg/state" COURTDECK_TEST_ARTIFACTS="$xdg/artifacts" RUST_LOG=warn \
      bash scripts/test-binaries.sh --only "$n" -- --test-threads=1 >"$log" 2>&1 || status=$?
    secs[$n]=$((secs[$n] + SECONDS - start))
    passed=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
    failed=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' "$log" | tail -1)
    tests_ok[$n]=$((tests_ok[$n] + ${passed:-0}))
    tests_bad[$n]=$((tests_bad[$n] + ${failed:-0}))
    if ((status == 0)); then
      runs_ok[$n]=$((runs_ok[$n] + 1))
      rm -f "$log"
    else
      runs_bad[$n]=$((runs_bad[$n] + 1))
      ((${failed:-0} > 0)) || tests_bad[$n]=$((tests_bad[$n] + 1)) # it died before its summary
      echo "flake-hunt: $n run $i FAILED (status $status), output in $log" >&2
    fi
    rm -rf "$xdg"
    echo "flake-hunt: run $i/$runs $n: status $status, $((SECONDS - start)) s" >&2
  done
done

printf '\n| binary | runs passed | runs failed | tests passed | tests failed | mean s/run |\n|---|---:|---:|---:|---:|---:|\n'
total_bad=0
for n in "${names[@]}"; do
  printf '| %s | %d | %d | %d | %d | %d |\n' "$n" "${runs_ok[$n]}" "${runs_bad[$n]}" "${tests_ok[$n]}" \
    "${tests_bad[$n]}" "$((secs[$n] / runs))"
  total_bad=$((total_bad + runs_bad[$n]))
done
echo "commit $(git rev-parse --short HEAD), $runs runs, $(date -u +%FT%TZ)"
((total_bad == 0))
