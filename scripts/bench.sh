#!/usr/bin/env bash
# certctl's own benchmark: the release binary against its emulator (`certctl sandbox
# serve`), no shared harness needed. Prints one table per benchmark:
#
#   bulk      disable 10,000 BCdiploma keys in 1,000 batched PUTs, concurrency 4,
#             journal off and on (goal: the ratio >= 0.7)
#   per-item  revoke 2,000 DigiCert orders, one PUT each, 16 then 64 in flight,
#             journal off/on
#   pacing    revoke 1,500 orders under DigiCert's windows at 1/100 scale (100 per
#             50 ms, 1,000 per 3 s): zero 429s, and the time over the 3.2 s the
#             windows allow at best (goal: within 1 %, zero 429s)
#   startup   `certctl --version` against exec of /bin/true, 200 calls each (goal <= 1.5x)
#   memory    peak RSS of a dry run over 1,000,000 keys on stdin (goal <= 28 MB)
#   floor     per-item again, journal off, beside a bare reqwest loop sending the same
#             PUTs (examples/reqwest_floor.rs): what certctl adds over its HTTP stack
#   list      `digicert orders list -o ndjson` of 100,000 emulator orders (100 pages):
#             peak RSS (goal <= 30 MB) and time against curl fetching the same pages
#             one after another, in one process (goal <= 0.5x)
#   history   a synthetic journal of 3,000,000 lines (about 1 GB, HISTORY_LINES sets
#             it; examples/journal_history.rs), then `journal list --limit 20`, and
#             `journal show`, `--resume` (and `reconcile` where it exists) of a
#             100-item run near its start and one near its end: median time and peak
#             RSS of each (goal: <= 100 ms and <= 30 MB); the first read, which
#             builds the index, is timed apart
#
# Usage: scripts/bench.sh [bulk|per-item|pacing|startup|memory|floor|list|history]...   (default: all)
# The emulator does real work per request (JSON, state, stats), so bulk/per-item
# rates are lower than against a bare mock; compare runs of this script with each
# other, before and after a change. ROUNDS (default 3) sets the repetitions; the
# median is shown.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
BENCHES=${*:-bulk per-item pacing startup memory floor list history}
cargo build --release --quiet --bins --examples
# Where cargo puts binaries: CARGO_TARGET_DIR, a config's build.target-dir, or target/.
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
BIN=$TARGET_DIR/release/certctl
FLOOR_BIN=$TARGET_DIR/release/examples/reqwest_floor
HISTORY_BIN=$TARGET_DIR/release/examples/journal_history
WORK=$(mktemp -d "$TARGET_DIR/bench.XXXXXX")
SERVER=
# Every emulator's PID is also listed in $WORK/servers, since most are started in
# `$( ... )` subshells whose variables the exit trap cannot see: the trap stops them all.
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

stop_server() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  SERVER=
}

stop_all() {
  stop_server
  local pid
  if [ -f "$WORK/servers" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$WORK/servers"
  fi
}

# A fresh emulator (revoked orders stay revoked) holding ORDERS DigiCert orders
# (default 2,500), with any further `sandbox serve` options, and two configs
# pointing at it.
start_server() {
  local orders=${1:-2500}
  [ $# -gt 0 ] && shift
  stop_server
  rm -f "$WORK/serve.toml"
  "$BIN" sandbox serve --listen 127.0.0.1:0 --orders "$orders" "$@" --write-config "$WORK/serve.toml" > /dev/null 2>&1 &
  SERVER=$!
  echo "$SERVER" >> "$WORK/servers"
  until [ -e "$WORK/serve.toml" ]; do
    kill -0 "$SERVER" 2>/dev/null || { echo "the emulator did not start" >&2; exit 1; }
    sleep 0.01
  done
  { echo 'default_profile = "sandbox"'; echo '[profiles.sandbox]'; echo 'journal = false'
    grep -v -e '^#' -e '^default_profile' "$WORK/serve.toml"; } > "$WORK/off.toml"
  cp "$WORK/serve.toml" "$WORK/on.toml"
  chmod 600 "$WORK/off.toml" "$WORK/on.toml"
}

now() { date +%s.%N; }
has_gnu_time() { /usr/bin/time -f '%M' true 2> /dev/null; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run CONFIG EXPECTED ARGS... : one timed run on a fresh emulator; prints seconds.
run() {
  local config=$1 expected=$2 start end
  shift 2
  start_server
  rm -f "$WORK/journal.ndjson"
  start=$(now)
  env -i PATH="$PATH" HOME="$WORK" CERTCTL_CONFIG="$WORK/$config" \
    CERTCTL_JOURNAL="$WORK/journal.ndjson" "$BIN" -q -o json --yes --rate 0 "$@" > "$WORK/out.json"
  end=$(now)
  stop_server
  grep -q "\"succeeded\":$expected," "$WORK/out.json" ||
    { echo "run failed: $(tail -c 300 "$WORK/out.json")" >&2; exit 1; }
  echo "$end - $start" | bc -l
}

# throughput NAME REQUESTS EXPECTED ARGS...
throughput() {
  local name=$1 requests=$2 expected=$3 off on
  shift 3
  run off.toml "$expected" "$@" > /dev/null # warm-up
  off=$(for _ in $(seq "$ROUNDS"); do run off.toml "$expected" "$@"; done | median)
  on=$(for _ in $(seq "$ROUNDS"); do run on.toml "$expected" "$@"; done | median)
  printf '%-15s journal off %.3f s (%6.0f req/s)   journal on %.3f s (%6.0f req/s)   on/off %.2f\n' \
    "$name" "$off" "$(echo "$requests / $off" | bc -l)" "$on" "$(echo "$requests / $on" | bc -l)" \
    "$(echo "$off / $on" | bc -l)"
}

for bench in $BENCHES; do
  case $bench in
    bulk)
      seq -f 'BULKKEY%05g' 10000 > "$WORK/keys.txt"
      throughput bulk 1000 10000 --concurrency 4 bcdiploma certificates disable \
        --batch-size 10 --from "$WORK/keys.txt"
      ;;
    per-item)
      # The emulator's issued orders: those whose ID does not end in 0 or 5.
      seq 10001 12500 | grep -v '[05]$' | head -2000 > "$WORK/orders.txt"
      # A revoke's `sent` line is synced as it leaves, and the requests leaving
      # together share the sync: about half of those in flight, so the journal's
      # cost per request falls as --concurrency rises (README, "Benchmarks").
      for c in 16 64; do
        throughput "per-item c=$c" 2000 2000 --concurrency "$c" digicert orders revoke \
          --comment bench --from "$WORK/orders.txt"
      done
      ;;
    pacing)
      stop_server
      seq 10001 12000 | grep -v '[05]$' | head -1500 > "$WORK/orders.txt"
      start=$(now)
      env -i PATH="$PATH" HOME="$WORK" CERTCTL_SANDBOX_LIMITS=1 CERTCTL_SANDBOX_LIMIT_SCALE=0.01 \
        "$BIN" --sandbox -v -o json --yes --retries 0 --concurrency 16 digicert orders revoke \
        --comment bench --from "$WORK/orders.txt" > "$WORK/out.json" 2> "$WORK/log"
      end=$(now)
      took=$(echo "$end - $start" | bc -l)
      printf 'pacing    1500 orders in %.3f s = %.3fx the 3.2 s the windows allow; %s x 201, %s x 429\n' \
        "$took" "$(echo "$took / 3.2" | bc -l)" "$(grep -c ' -> 201 ' "$WORK/log" || true)" \
        "$(grep -c ' -> 429 ' "$WORK/log" || true)"
      ;;
    startup)
      calls() { local start end; start=$(now); for _ in $(seq 200); do "$@" > /dev/null; done; end=$(now); echo "$end - $start" | bc -l; }
      calls /bin/true > /dev/null
      floor=$(for _ in $(seq "$ROUNDS"); do calls /bin/true; done | median)
      ours=$(for _ in $(seq "$ROUNDS"); do calls "$BIN" --version; done | median)
      printf 'startup   --version %.3f ms, /bin/true %.3f ms: %.2fx\n' \
        "$(echo "$ours * 5" | bc -l)" "$(echo "$floor * 5" | bc -l)" "$(echo "$ours / $floor" | bc -l)"
      ;;
    memory)
      if ! has_gnu_time; then echo "memory    skipped: needs GNU time at /usr/bin/time"; continue; fi
      seq -f 'KEY-%07g-abcdefghijklmnopqrstuvwxyz-0123456789' 1000000 > "$WORK/million.txt"
      for format in ndjson json; do
        kb=$(env -i PATH="$PATH" HOME="$WORK" CERTCTL_BCDIPLOMA_TOKEN=x /usr/bin/time -f '%M' \
          "$BIN" -q -o "$format" --dry-run bcdiploma certificates disable --from - \
          < "$WORK/million.txt" 2>&1 > /dev/null | tail -1)
        printf 'memory    1,000,000 keys on stdin, dry run, -o %-6s peak RSS %.1f MB\n' "$format" "$(echo "$kb / 1024" | bc -l)"
      done
      ;;
    floor)
      seq 10001 12500 | grep -v '[05]$' | head -2000 > "$WORK/orders.txt"
      echo '{"comments":"bench"}' > "$WORK/body.json"
      bare() {
        local start end
        start_server
        start=$(now)
        FLOOR_IDS="$WORK/orders.txt" "$FLOOR_BIN" \
          "$(grep -A1 'sandbox.digicert' "$WORK/serve.toml" | sed -n 's/^base_url = "\(.*\)"/\1/p')/order/certificate/{}/revoke" \
          2000 16 "$WORK/body.json" "X-DC-DEVKEY: sandbox-token" "Content-Type: application/json"
        end=$(now)
        stop_server
        echo "$end - $start" | bc -l
      }
      bare > /dev/null # warm-up
      floor=$(for _ in $(seq "$ROUNDS"); do bare; done | median)
      ours=$(for _ in $(seq "$ROUNDS"); do run off.toml 2000 --concurrency 16 digicert orders revoke --comment bench --from "$WORK/orders.txt"; done | median)
      printf 'floor     2,000 revokes: certctl %.3f s, bare reqwest loop %.3f s: %.2fx\n' \
        "$ours" "$floor" "$(echo "$ours / $floor" | bc -l)"
      ;;
    list)
      if ! /usr/bin/time -f '%M' true 2> /dev/null; then echo "list      skipped: needs GNU time at /usr/bin/time"; continue; fi
      command -v curl > /dev/null || { echo "list      skipped: needs curl"; continue; }
      # The sequential references: one curl, one connection, the 100 pages in turn;
      # and one curl per page, as a shell loop over offsets runs it.
      sequential() {
        local start end
        start=$(now)
        xargs curl -sf -H 'X-DC-DEVKEY: sandbox-token' -H 'Content-Type: application/json' \
          < "$WORK/pages.txt" > "$WORK/curl.out"
        end=$(now)
        echo "$end - $start" | bc -l
      }
      looped() {
        local start end url
        start=$(now)
        while read -r url; do
          curl -sf -H 'X-DC-DEVKEY: sandbox-token' -H 'Content-Type: application/json' "$url"
        done < "$WORK/pages.txt" > "$WORK/curl.out"
        end=$(now)
        echo "$end - $start" | bc -l
      }
      ours() {
        local start end
        start=$(now)
        env -i PATH="$PATH" HOME="$WORK" CERTCTL_CONFIG="$WORK/off.toml" /usr/bin/time -f '%M' -o "$WORK/rss" \
          "$BIN" -o ndjson digicert orders list > "$WORK/list.ndjson"
        end=$(now)
        grep -q '^{"type":"summary","total":100000}$' "$WORK/list.ndjson" ||
          { echo "list failed: $(tail -c 300 "$WORK/list.ndjson")" >&2; exit 1; }
        echo "$(echo "$end - $start" | bc -l) $(cat "$WORK/rss")"
      }
      # measure LABEL [SERVE OPTIONS]: one emulator of 100,000 orders for every round.
      measure() {
        local label=$1 curl_s loop_s runs ours_s rss_kb loop=""
        shift
        start_server 100000 "$@"
        local base
        base=$(grep -A1 'sandbox.digicert' "$WORK/serve.toml" | sed -n 's/^base_url = "\(.*\)"/\1/p')
        seq 0 1000 99000 | sed "s|.*|$base/order/certificate?limit=1000\&offset=&|" > "$WORK/pages.txt"
        sequential > /dev/null; ours > /dev/null # warm-up
        curl_s=$(for _ in $(seq "$ROUNDS"); do sequential; done | median)
        [ $# -eq 0 ] && loop_s=$(for _ in $(seq "$ROUNDS"); do looped; done | median)
        runs=$(for _ in $(seq "$ROUNDS"); do ours; done)
        ours_s=$(echo "$runs" | cut -d' ' -f1 | median)
        rss_kb=$(echo "$runs" | cut -d' ' -f2 | sort -g | tail -1)
        stop_server
        if [ $# -eq 0 ]; then
          loop=$(printf '; a curl per page %.3f s: %.2fx' "$loop_s" "$(echo "$ours_s / $loop_s" | bc -l)")
        fi
        printf 'list      %s: certctl %.3f s, peak RSS %.1f MB; one sequential curl %.3f s: %.2fx%s (load %s)\n' \
          "$label" "$ours_s" "$(echo "$rss_kb / 1024" | bc -l)" "$curl_s" "$(echo "$ours_s / $curl_s" | bc -l)" \
          "$loop" "$(cut -d' ' -f1 /proc/loadavg)"
      }
      measure '100,000 orders (100 pages), -o ndjson'
      # A live API answers a page in tens of milliseconds, not in the emulator's few.
      measure 'the same, each page answered 20 ms later' --faults slow=1:20ms
      ;;
    history)
      if ! has_gnu_time; then echo "history   skipped: needs GNU time at /usr/bin/time"; continue; fi
      lines=${HISTORY_LINES:-3000000}
      journal=$WORK/history.ndjson
      read -r early late < <("$HISTORY_BIN" "$journal" "$lines")
      seq 10001 10100 > "$WORK/targets.txt"
      start_server
      # hist ARGS...: certctl on the history journal, with the emulator's profile.
      hist() {
        env -i PATH="$PATH" HOME="$WORK" CERTCTL_CONFIG="$WORK/on.toml" CERTCTL_JOURNAL="$journal" \
          /usr/bin/time -o "$WORK/rss" -f '%M' "$BIN" -q "$@" > "$WORK/out" 2> "$WORK/err"
      }
      start=$(now)
      hist journal list --limit 1 || { echo "history: $(cat "$WORK/err")" >&2; exit 1; }
      end=$(now)
      printf 'history   %s lines, %.0f MB: the first read builds the index (%.1f MB) in %.2f s, once\n' \
        "$lines" "$(echo "$(stat -c %s "$journal") / 1048576" | bc -l)" \
        "$(echo "$(stat -c %s "$journal.index") / 1048576" | bc -l)" "$(echo "$end - $start" | bc -l)"
      # timed NAME EXIT ARGS...: ROUNDS runs; median time, peak RSS of all.
      timed() {
        local name=$1 expected=$2 times='' peak=0 start end status kb
        shift 2
        for _ in $(seq "$ROUNDS"); do
          status=0
          start=$(now)
          hist "$@" || status=$?
          end=$(now)
          [ "$status" = "$expected" ] || { echo "history: $name exited $status: $(tail -c 300 "$WORK/err")" >&2; exit 1; }
          times="$times$(echo "($end - $start) * 1000" | bc -l)"$'\n'
          kb=$(tail -1 "$WORK/rss")
          [ "$kb" -gt "$peak" ] && peak=$kb
        done
        printf 'history   %-34s %6.1f ms   peak RSS %5.1f MB\n' "$name" \
          "$(printf '%s' "$times" | median)" "$(echo "$peak / 1024" | bc -l)"
      }
      timed 'journal list --limit 20' 0 journal list --limit 20
      for where in start end; do
        if [ $where = start ]; then run_id=$early; else run_id=$late; fi
        timed "journal show (run near the $where)" 0 journal show "$run_id"
        timed "--resume (run near the $where)" 0 -o json --yes digicert orders revoke \
          --comment bench --from "$WORK/targets.txt" --resume "$run_id"
        if "$BIN" reconcile --help > /dev/null 2>&1; then
          timed "reconcile (run near the $where)" 0 -o json reconcile "$run_id"
        fi
      done
      stop_server
      rm -f "$journal" "$journal.index"
      ;;
    *) echo "unknown benchmark: $bench (bulk, per-item, pacing, startup, memory, floor, list, history)" >&2; exit 2 ;;
  esac
done
