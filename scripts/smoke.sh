#!/usr/bin/env bash
# The README's "Use in CI" snippet, run for real: the shell block between the
# `ci-snippet` markers of README.md, read from there so the two cannot drift, run in
# a fresh directory with the debug build first on the PATH, as a CI job would run it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
# Where cargo puts binaries: CARGO_TARGET_DIR, a config's build.target-dir, or target/.
target_dir=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin_dir=$target_dir/debug
[ -x "$bin_dir/certctl" ] || { echo "smoke: no certctl in $bin_dir" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -n '/<!-- ci-snippet:begin -->/,/<!-- ci-snippet:end -->/p' README.md |
  sed -e '/^<!--/d' -e '/^```/d' > "$work/snippet.sh"
grep -q 'certctl sandbox serve' "$work/snippet.sh" ||
  { echo "smoke: no ci-snippet block in README.md" >&2; exit 1; }
(cd "$work" && PATH="$bin_dir:$PATH" bash -euo pipefail snippet.sh) > "$work/out" 2>&1 ||
  { cat "$work/out"; echo "smoke: the README snippet failed" >&2; exit 1; }
grep -q '"outcome":"succeeded"' "$work/out" ||
  { cat "$work/out"; echo "smoke: the revoke did not succeed" >&2; exit 1; }
# The snippet's trap must have stopped its emulator: none may be left in its directory.
left_running() {
  local pid
  for pid in $(pgrep -f 'certctl sandbox serve' || true); do
    [ "$(readlink "/proc/$pid/cwd" 2> /dev/null)" = "$work" ] && return 0
  done
  return 1
}
for _ in $(seq 20); do left_running || break; sleep 0.05; done
if left_running; then echo "smoke: the snippet left its emulator running" >&2; exit 1; fi
echo "smoke: 1 passed, 0 failed"
