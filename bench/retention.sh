#!/usr/bin/env bash
# Retention at scale on SQLite (docs/benchmarks.md, "Retention at 10M jobs").
#
#   bench/retention.sh                 # 10 days x 1M jobs; 5 days x 1M backlog
#   PER_DAY=100000 bench/retention.sh  # a tenth of it
#
# 1. Fills DAYS days of PER_DAY finished jobs ending now (core/benches/retention.rs,
#    release build) and times the depth, lag and GET /v1/queues reads at that size.
# 2. Starts a release herald-worker on that file and times 20 scrapes of /metrics.
# 3. Fills a backlog of BACKLOG_DAYS days ending 8 days ago (past the 7-day retention
#    of succeeded and cancelled jobs: 95% of it is due for pruning), then runs the
#    README's end-to-end load (herald-load-test --spawn) at RATE/s for DURATION twice
#    on it, one run after the other: without pruning (RETENTION_*=off), then with the
#    pruner working through the backlog. It prints both runs' API and end-to-end p99
#    and their ratio, and how many jobs the pruner deleted during the run.
# Keep WORK (default a fresh directory under /tmp) on a disk with ~15 GB free.
# STEPS="3" runs only the load part (reusing WORK/backlog.db when it is there).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
PER_DAY="${PER_DAY:-1000000}"
DAYS="${DAYS:-10}"
BACKLOG_DAYS="${BACKLOG_DAYS:-5}"
RATE="${RATE:-200}"
DURATION="${DURATION:-30s}"
WORK="${WORK:-$(mktemp -d /tmp/herald-retention-bench.XXXXXX)}"
STEPS="${STEPS:-1 2 3}"
mkdir -p "$WORK"
step() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
cd "$root"

log() { printf '\033[1m[retention]\033[0m %s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
bench() { cargo bench -q -p herald-core --bench retention -- "$@"; }

log "building (release)"
cargo bench -p herald-core --bench retention --no-run >&2
# The bench profile (release with debug info), so the dependencies built for the bench
# are reused; it writes to target/release.
cargo build -q --profile bench -p herald-worker -p herald-load-test >&2

ten="$WORK/ten-days.db"
if step 1; then
log "1. filling $DAYS days x $PER_DAY jobs into $ten (load $(load))"
bench fill "$ten" "$PER_DAY" "$DAYS" 0
bench measure "$ten"
fi

if step 2; then
log "2. /metrics scrape time on a worker over $ten (load $(load))"
port=$(free_port)
SQLITE_PATH="$ten" METRICS_PORT="$port" RUST_LOG=warn RETENTION_SUCCEEDED=off RETENTION_DEAD=off \
  RETENTION_CANCELLED=off RETENTION_MATCH_EVENTS=off target/release/herald-worker \
  >"$WORK/worker.log" 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -q '^notification_queue_depth{state="succeeded"} [1-9]' && break
  sleep 0.1
done
times=()
for _ in $(seq 20); do
  times+=("$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/metrics")")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1*1000} END {printf "metrics_scrape samples=%d median_ms=%.2f max_ms=%.2f\n", NR, a[int((NR+1)/2)], a[NR]}'
kill "$worker"; wait "$worker" 2>/dev/null || true
trap - EXIT
fi

step 3 || exit 0
backlog="$WORK/backlog.db"
if [ ! -f "$backlog" ]; then
  log "3. filling a backlog of $BACKLOG_DAYS days x $PER_DAY jobs ending 8 days ago into $backlog"
  bench fill "$backlog" "$PER_DAY" "$BACKLOG_DAYS" 8
fi
run() { # label, extra env...
  local label=$1; shift
  log "load at $RATE/s for $DURATION, $label (load $(load))"
  env "$@" PRUNE_INTERVAL_MS=1000 target/release/herald-load-test --spawn --sqlite-path "$backlog" \
    --rate "$RATE" --duration "$DURATION" --quiet --json >"$WORK/$label.json"
  python3 - "$WORK/$label.json" "$label" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"load_{sys.argv[2]} accepted={r['accepted']} delivered={r['delivered']} lost={r['lost']} "
      f"api_p99_ms={r['apiLatencyMs']['p99']:.2f} e2e_p99_ms={r['endToEndMs']['p99']:.2f}")
EOF
}
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM jobs').fetchone()[0])" "$backlog"; }
before=$(count)
run no_pruning RETENTION_SUCCEEDED=off RETENTION_DEAD=off RETENTION_CANCELLED=off RETENTION_MATCH_EVENTS=off
mid=$(count)
run pruning
after=$(count)
echo "pruned_during_run jobs=$((mid - after)) rows_before=$before"
python3 - "$WORK/no_pruning.json" "$WORK/pruning.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("apiLatencyMs", "endToEndMs"):
    print(f"ratio {k} p99 pruning/no_pruning = {b[k]['p99'] / max(a[k]['p99'], 1e-9):.2f}")
EOF
log "files kept in $WORK (delete them when done)"
