#!/usr/bin/env bash
# Drain benchmark, Herald against BullMQ in one run (docs/benchmarks.md, "Drain against BullMQ").
#
#   bench/drain.sh                       # 20,000 no-op jobs, 3 rounds, defaults
#   JOBS=50000 ROUNDS=5 bench/drain.sh
#   bench/drain.sh --env PREFETCH_COUNT=10   # extra args go to Herald's drain bench
#
# Each round drains JOBS no-op jobs three ways, one after the other: BullMQ 6.7 (a Worker
# of concurrency 200 on Redis at REDIS_URL), then Herald with 1 and with 2 worker
# processes (SQLite + RabbitMQ at HERALD_TEST_RABBITMQ_URL, `log` jobs, start-up
# included: worker/benches/drain.rs). It prints each round's rates, the medians, and
# Herald's ratio to BullMQ; compare only ratios from one run (the machine drifts).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
JOBS="${JOBS:-20000}"
ROUNDS="${ROUNDS:-3}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "bench/drain.sh: needs node and npm (apt-get install nodejs npm)" >&2
  exit 2
fi
if ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    echo "starting redis-server for the BullMQ peer" >&2
    redis-server --port "$(echo "$REDIS_URL" | sed -E 's#.*:([0-9]+).*#\1#')" --save '' \
      --appendonly no --daemonize yes >/dev/null
    for _ in $(seq 50); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.1; done
  else
    echo "bench/drain.sh: no Redis at $REDIS_URL (apt-get install redis-server)" >&2
    exit 2
  fi
fi
if [ ! -d "$here/bullmq/node_modules/bullmq" ]; then
  (cd "$here/bullmq" && npm ci --no-audit --no-fund >&2)
fi

# Build once, outside the timed part.
(cd "$root" && cargo bench -p herald-worker --bench drain --no-run >&2)

bull=() one=() two=() r1=() r2=()
for round in $(seq "$ROUNDS"); do
  echo "== round $round/$ROUNDS (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  b=$(cd "$here/bullmq" && node drain.mjs --jobs "$JOBS" --concurrency 200 --redis "$REDIS_URL" \
    | sed -n 's/^bullmq_drain_jobs_per_s=//p')
  out=$(cd "$root" && cargo bench -q -p herald-worker --bench drain -- \
    --jobs "$JOBS" --workers 1,2 --latency-secs 0 "$@")
  echo "$out" >&2
  h1=$(echo "$out" | sed -n 's/^herald_drain workers=1 jobs_per_s=//p')
  h2=$(echo "$out" | sed -n 's/^herald_drain workers=2 jobs_per_s=//p')
  echo "round $round: bullmq $b jobs/s, herald 1 worker $h1, 2 workers $h2" >&2
  bull+=("$b") one+=("$h1") two+=("$h2")
  r1+=("$(awk -v h="$h1" -v b="$b" 'BEGIN {printf "%.2f", h/b}')")
  r2+=("$(awk -v h="$h2" -v b="$b" 'BEGIN {printf "%.2f", h/b}')")
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mb=$(median "${bull[@]}") m1=$(median "${one[@]}") m2=$(median "${two[@]}")
echo "rounds:  bullmq ${bull[*]} | herald-1 ${one[*]} | herald-2 ${two[*]}"
echo "median:  bullmq $mb jobs/s | herald 1 worker $m1 jobs/s | herald 2 workers $m2 jobs/s"
echo "ratio to BullMQ in each round: 1 worker ${r1[*]} | 2 workers ${r2[*]}"
echo "median ratio to BullMQ: 1 worker $(median "${r1[@]}")x, 2 workers $(median "${r2[@]}")x (target >= 1.2x)"
