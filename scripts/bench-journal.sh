#!/usr/bin/env bash
# Times a 1,000-request BCdiploma disable (--batch-size 1 --rate 0 --concurrency 4)
# against a tiny local mock, once with the journal on and once with `journal = false`,
# and prints both wall times and their ratio. The journal goes under target/ (a real
# disk, so its fdatasync costs what it costs in use), not a tmpfs.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
cargo build --quiet 2>/dev/null || cargo build
BIN=target/debug/certctl
WORK=$(mktemp -d target/bench-journal.XXXXXX)
trap 'kill "$MOCK_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cat > "$WORK/mock.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_PUT(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b"{}"
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$WORK/mock.py" > "$WORK/port" &
MOCK_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")
seq -f "key-%06g" "$N" > "$WORK/ids.txt"
printf '[profiles.default]\njournal = false\n' > "$WORK/off.toml"
printf '[profiles.default]\n' > "$WORK/on.toml"

run() { # config -> seconds
  local start end
  start=$(date +%s.%N)
  env -i PATH="$PATH" HOME="$WORK" CERTCTL_CONFIG="$WORK/$1" \
    CERTCTL_JOURNAL="$WORK/journal.ndjson" \
    CERTCTL_BCDIPLOMA_BASE_URL="http://127.0.0.1:$PORT" CERTCTL_BCDIPLOMA_TOKEN=bench-token \
    "$BIN" -q -o json --rate 0 --concurrency 4 bcdiploma certificates disable \
    --batch-size 1 --from "$WORK/ids.txt" > "$WORK/out.json"
  end=$(date +%s.%N)
  grep -q "\"succeeded\":$N" "$WORK/out.json" || { echo "run failed: $(head -c 300 "$WORK/out.json")" >&2; exit 1; }
  echo "$end - $start" | bc -l
}
run off.toml > /dev/null # warm-up
OFF=$(run off.toml)
ON=$(run on.toml)
LINES=$(wc -l < "$WORK/journal.ndjson")
printf 'requests: %s\njournal off: %.3f s\njournal on:  %.3f s (%s journal lines)\nratio on/off: %.2f\n' \
  "$N" "$OFF" "$ON" "$LINES" "$(echo "$ON / $OFF" | bc -l)"
