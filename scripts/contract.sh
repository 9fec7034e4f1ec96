#!/usr/bin/env bash
# The API contract against a live API (docs/contract-testing.md): a herald-api on a
# fresh SQLite file and RabbitMQ, and a herald-worker on the same file (without
# network: see start_worker), then
#   schemathesis  Schemathesis 4 over docs/openapi.json: examples, coverage, fuzzing
#                 and stateful phases, every check (contract/schemathesis.toml); then
#                 contract/parity.py: schema and API agree on each pattern's edge cases;
#   typescript    the TypeScript client's smoke test (clients/typescript, npm test);
#   python        the Python client's smoke test (clients/python).
#
#   scripts/contract.sh                       # all three, seed 20 (what CI runs)
#   scripts/contract.sh schemathesis          # one of them
#   CONTRACT_SEED=random scripts/contract.sh schemathesis   # a new seed (printed)
#   CONTRACT_MAX_EXAMPLES=500 scripts/contract.sh schemathesis
#
# Needs RABBITMQ_URL (scripts/test.sh sets it) or a broker on 127.0.0.1:5672.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE="$ROOT/.herald-test"
mkdir -p "$STATE"
RABBITMQ_URL=${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
SEED=${CONTRACT_SEED:-20}
MAX_EXAMPLES=${CONTRACT_MAX_EXAMPLES:-100}
KEY="contract-key-$RANDOM$RANDOM"

log() { printf '\033[1m[contract]\033[0m %s\n' "$*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Schemathesis and openapi-python-client, in a venv of their own under .herald-test/.
ensure_contract_venv() {
  VENV="$STATE/contract-venv"
  if [ ! -x "$VENV/bin/schemathesis" ] || [ ! -x "$VENV/bin/openapi-python-client" ]; then
    log "installing Schemathesis and openapi-python-client into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r contract/requirements.txt
  fi
}

# Node and npm from Debian's packages when missing (the TypeScript client).
ensure_node() {
  if command -v npm >/dev/null && command -v node >/dev/null; then return; fi
  log "installing nodejs and npm from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
}

API_PID=""
WORKER_PID=""
RUN_DIR=""
GROUP=""
stop_stack() {
  if [ -n "$API_PID" ]; then kill "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; fi
  if [ -n "$WORKER_PID" ]; then kill "$WORKER_PID" 2>/dev/null || true; wait "$WORKER_PID" 2>/dev/null || true; fi
  API_PID="" WORKER_PID=""
  # The run's queues (and the messages no one consumed) go with it.
  if [ -n "$GROUP" ] && command -v rabbitmqctl >/dev/null; then
    rabbitmqctl list_queues -q name 2>/dev/null | grep "^$GROUP\." | while read -r queue; do
      rabbitmqctl delete_queue "$queue" </dev/null >/dev/null 2>&1 || true
    done
  fi
}
trap stop_stack EXIT

# The worker runs with no network: the fuzzed webhook URLs name arbitrary public
# hosts, and a contract run must not send them anything. In a network namespace of
# its own it cannot reach RabbitMQ either, so it runs embedded: its poller claims the
# jobs the API stored (and published to RabbitMQ, where this run's queues are deleted
# at the end). Without user namespaces there is no worker: the contract holds without
# one (nothing is delivered, nothing dies, /v1/workers lists no one).
start_worker() {
  if ! unshare -rn true 2>/dev/null; then
    log "no user namespaces here: running without a worker (webhooks must not reach the Internet)"
    return
  fi
  env -u RABBITMQ_URL METRICS_PORT=0 WEBHOOK_TIMEOUT_MS=2000 \
    RETRY_BASE_MS=200 RETRY_MAX_MS=1000 \
    unshare -rn sh -c 'ip link set lo up 2>/dev/null; exec "$0"' "$ROOT/target/debug/herald-worker" \
    >"$RUN_DIR/worker.log" 2>&1 &
  WORKER_PID=$!
}

# Starts herald-api and herald-worker on a new SQLite file and consumer group, and
# waits (bounded) until /ready answers 200. Sets BASE_URL.
start_stack() {
  cargo build -q -p herald-api -p herald-worker
  # Each run keeps its database, logs and report; the last five are kept.
  { ls -dt "$STATE"/contract-run.* 2>/dev/null || true; } | tail -n +5 | xargs -r rm -rf
  RUN_DIR=$(mktemp -d "$STATE/contract-run.XXXXXX")
  local port
  port=$(free_port)
  GROUP="contract-$(date +%s)-$$"
  BASE_URL="http://127.0.0.1:$port"
  export API_KEYS="contract:$KEY" SQLITE_PATH="$RUN_DIR/herald.db" \
    RABBITMQ_CONSUMER_GROUP="$GROUP" RUST_LOG=warn
  # Rate limiting (and the failed-authentication throttle, which the missing-header
  # checks of every route would trip) off, so every generated request reaches
  # validation; every address
  # allowed, so the only refusals are the contract's (the SSRF guard is a policy of
  # the deployment, documented as 422 forbidden_target).
  RABBITMQ_URL=$RABBITMQ_URL PORT=$port RATE_LIMIT_PER_SEC=0 AUTH_FAILURE_LIMIT_BURST=1000000 STREAM_TOKEN_SECRET=contract-run-stream-token-secret-0123456789 WEBHOOK_ALLOWED_CIDRS=0.0.0.0/0,::/0 \
    target/debug/herald-api >"$RUN_DIR/api.log" 2>&1 &
  API_PID=$!
  start_worker
  local i
  for ((i = 0; i < 300; i++)); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
      "$BASE_URL/ready" >/dev/null 2>&1; then
      log "API ready at $BASE_URL (logs in $RUN_DIR)"
      if [ -n "$WORKER_PID" ] && ! kill -0 "$WORKER_PID" 2>/dev/null; then
        log "the worker exited at start-up (running without one):"
        cat "$RUN_DIR/worker.log" >&2
        WORKER_PID=""
      fi
      return 0
    fi
    kill -0 "$API_PID" 2>/dev/null || { log "herald-api exited"; cat "$RUN_DIR/api.log" >&2; return 1; }
    sleep 0.1
  done
  log "the API was not ready within 30 s"
  cat "$RUN_DIR/api.log" >&2
  return 1
}

run_schemathesis() {
  ensure_contract_venv
  local seed=$SEED
  if [ "$seed" = random ]; then seed=$(python3 -c 'import random; print(random.randrange(1 << 31))'); fi
  log "Schemathesis: seed $seed, at most $MAX_EXAMPLES examples per operation (reproduce: CONTRACT_SEED=$seed CONTRACT_MAX_EXAMPLES=$MAX_EXAMPLES scripts/contract.sh schemathesis)"
  local report="$RUN_DIR/schemathesis"
  mkdir -p "$report"
  # From the run's directory: Schemathesis keeps its state in ./.schemathesis.
  (cd "$RUN_DIR" && SCHEMATHESIS_HOOKS=contract.hooks PYTHONPATH="$ROOT" \
    "$VENV/bin/schemathesis" --config-file "$ROOT/contract/schemathesis.toml" run "$BASE_URL/openapi.json" \
    -H "Authorization: Bearer $KEY" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --exclude-path '/v1/matches/{id}/ws' --exclude-path '/v1/matches/{id}/stream' \
    --seed "$seed" \
    --max-examples "$MAX_EXAMPLES" \
    --generation-database none \
    --report ndjson --report-ndjson-path "$report/events.ndjson" \
    --no-color)
  "$VENV/bin/python" contract/summarise.py "$report/events.ndjson" | tee "$STATE/schemathesis-summary.md" >&2
  log "parity: the document's verdict and the API's on the tricky values of every pattern"
  (cd "$RUN_DIR" && "$VENV/bin/python" "$ROOT/contract/parity.py" "$BASE_URL" "$KEY" "$seed")
}

run_typescript() {
  ensure_node
  log "TypeScript client: npm ci, check the generated types, build, smoke test"
  (
    cd clients/typescript
    npm ci --no-audit --no-fund --loglevel=error
    npm run check-generated
    HERALD_URL="$BASE_URL" HERALD_API_KEY="$KEY" npm test
    # The package builds (prepack) and packs; publishing is out of scope.
    npm pack --dry-run --loglevel=error >/dev/null
  )
}

run_python() {
  ensure_contract_venv
  log "Python client: check the generated package, smoke test"
  (
    cd clients/python
    PATH="$VENV/bin:$PATH" ./generate.sh --check
    HERALD_URL="$BASE_URL" HERALD_API_KEY="$KEY" PYTHONPATH="$ROOT/clients/python/herald-client" \
      "$VENV/bin/python" smoke_test.py
  )
}

what=${1:-all}
start_stack
case "$what" in
  schemathesis) run_schemathesis ;;
  typescript) run_typescript ;;
  python) run_python ;;
  all) run_schemathesis; run_typescript; run_python ;;
  *) log "unknown: $what (schemathesis, typescript, python or all)"; exit 2 ;;
esac
