#!/usr/bin/env bash
# Live match stream benchmarks (docs/benchmarks.md, "Live match streams").
#
#   bench/streams.sh              # all three: fanout, idle, max
#   bench/streams.sh fanout       # 2 APIs, 9 matches, 100 events/s, 1,000 SSE subscribers
#   bench/streams.sh idle         # 10,000 idle SSE streams on one API: RSS per connection
#   bench/streams.sh max          # step up 1k, 2k, 4k, ... until the fan-out p99 > 100 ms
#   TRANSPORT=ws DURATION=20s bench/streams.sh fanout
#
# Every run is `herald-load-test --spawn --subscribers N` (release build): a local stack
# of API and worker processes on a fresh SQLite file with RabbitMQ at
# HERALD_TEST_RABBITMQ_URL (or amqp://127.0.0.1:5672), events posted to API 0 and the
# streams on API 1. The load average is printed before each run: the machine is shared.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
LT="${LT:-$root/target/release/herald-load-test}"
TRANSPORT="${TRANSPORT:-sse}"
DURATION="${DURATION:-30s}"
RABBITMQ_URL="${RABBITMQ_URL:-${HERALD_TEST_RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}}"
export RABBITMQ_URL

if [ ! -x "$LT" ]; then
  (cd "$root" && CARGO_INCREMENTAL=0 cargo build --release -p herald-load-test)
fi
# The load test raises its soft limit itself, up to this hard one.
echo "open files: soft $(ulimit -Sn), hard $(ulimit -Hn)" >&2

load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2; }

fanout() {
  load
  "$LT" --spawn --subscribers 1000 --matches 9 --event-rate 100 --duration "$DURATION" \
    --transport "$TRANSPORT" --max-p99-ms 50
}

idle() {
  load
  "$LT" --spawn --apis 1 --subscribers 10000 --event-rate 0 --duration 10s \
    --transport "$TRANSPORT"
}

max() {
  local n=1000 best=0
  while :; do
    load
    local out rc=0
    out="$("$LT" --spawn --subscribers "$n" --matches 9 --event-rate 100 --duration "$DURATION" \
      --transport "$TRANSPORT" --max-p99-ms 100 --json --quiet)" || rc=$?
    echo "$out" | python3 -c 'import json, sys
r = json.load(sys.stdin)
f = r["fanoutMs"]
print("%6d subscribers: p50 %.1f ms, p99 %.1f ms, missed %d, duplicated %d, reconnects %d, connected %d, passed %s"
      % (r["subscribers"], f["p50"], f["p99"], r["missed"], r["duplicates"], r["reconnects"], r["connected"], r["passed"]))' \
      || { echo "$n subscribers: no report (exit $rc)"; break; }
    [ "$rc" -eq 0 ] || break
    best=$n
    n=$((n * 2))
  done
  echo "highest subscriber count holding p99 <= 100 ms: $best (the next step, $n, did not)"
}

case "${1:-all}" in
  fanout) fanout ;;
  idle) idle ;;
  max) max ;;
  all) fanout; idle; max ;;
  *) echo "usage: bench/streams.sh [fanout|idle|max|all]" >&2; exit 2 ;;
esac
