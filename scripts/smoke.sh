#!/usr/bin/env bash
# The README's runnable snippets ("Use in CI", the resume rehearsal, the plan
# walk-through, the cron job's metrics file, choosing targets), run for real:
# each shell block between its markers in README.md, read from there so the two
# cannot drift, run in a fresh directory with the debug build first on the PATH, as
# a CI job would run it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
# Where cargo puts binaries: CARGO_TARGET_DIR, a config's build.target-dir, or target/.
target_dir=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin_dir=$target_dir/debug
[ -x "$bin_dir/certctl" ] || { echo "smoke: no certctl in $bin_dir" >&2; exit 1; }
# Each README block between `<!-- NAME:begin -->` and `<!-- NAME:end -->` markers
# runs in a fresh directory, as a user pasting it into a script would run it.
# A third argument names a metrics file the block leaves, read back with a Prometheus
# text-format parser (examples/check_metrics.rs).
run_block() {
  local name=$1 expect=$2 metrics=${3:-} work
  work=$(mktemp -d)
  sed -n "/<!-- $name:begin -->/,/<!-- $name:end -->/p" README.md |
    sed -e '/^<!--/d' -e '/^```/d' > "$work/snippet.sh"
  grep -q 'certctl' "$work/snippet.sh" ||
    { echo "smoke: no $name block in README.md" >&2; rm -rf "$work"; exit 1; }
  (cd "$work" && PATH="$bin_dir:$PATH" bash -euo pipefail snippet.sh) > "$work/out" 2>&1 ||
    { cat "$work/out"; echo "smoke: the README's $name failed" >&2; rm -rf "$work"; exit 1; }
  grep -q "$expect" "$work/out" ||
    { cat "$work/out"; echo "smoke: the README's $name did not print $expect" >&2; rm -rf "$work"; exit 1; }
  if [ -n "$metrics" ]; then
    cargo run --quiet --example check_metrics -- "$work/$metrics" ||
      { echo "smoke: the README's $name left a metrics file that does not parse" >&2; rm -rf "$work"; exit 1; }
  fi
  # The snippet's trap must have stopped its emulator: none may be left in its directory.
  left_running() {
    local pid
    for pid in $(pgrep -f 'certctl sandbox serve' || true); do
      [ "$(readlink "/proc/$pid/cwd" 2> /dev/null)" = "$work" ] && return 0
    done
    return 1
  }
  for _ in $(seq 20); do left_running || break; sleep 0.05; done
  if left_running; then echo "smoke: the $name left its emulator running" >&2; rm -rf "$work"; exit 1; fi
  rm -rf "$work"
}
run_block ci-snippet '"outcome":"succeeded"'
run_block resume-snippet '0 failed, 0 unknown,'
run_block plan-snippet 'apply exited 3'
run_block cron-snippet 'certctl_last_run_exit_code{profile="sandbox",provider="digicert",operation="orders.revoke"} 5' certctl.prom
run_block targets-snippet 'the wide selection exited 2'
echo "smoke: 5 passed, 0 failed"
