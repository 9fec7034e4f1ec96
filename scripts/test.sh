#!/usr/bin/env bash
# Runs every Herald test against real services, setting up what is missing:
#   - RabbitMQ on 127.0.0.1:5672 (installed from Debian's packages and started if absent);
#   - SecantusDB, a MongoDB-wire-protocol server, in a venv under .herald-test/ (started
#     on a free port unless MONGODB_URI is already given);
#   - Chromium and chromedriver (Debian's packages) for the console's browser test;
# then fmt/clippy checks, the whole workspace's tests (cargo-nextest when present), and
# the API contract (scripts/contract.sh: Schemathesis and the clients' smoke tests).
#
#   scripts/test.sh                 # everything
#   scripts/test.sh conformance     # extra arguments filter the tests
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE="$ROOT/.herald-test"
mkdir -p "$STATE"

log() { printf '\033[1m[test]\033[0m %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port, seconds, what
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    port_open "$1" && return 0
    sleep 0.1
  done
  log "$3 did not open port $1 within $2 s"
  return 1
}

apt_install() {
  if [ -z "${HERALD_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    export HERALD_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_rabbitmq() {
  if [ -n "${RABBITMQ_URL:-}" ]; then
    log "using RABBITMQ_URL from the environment"
    return
  fi
  if ! port_open 5672; then
    if ! command -v rabbitmq-server >/dev/null; then
      log "installing rabbitmq-server"
      apt_install rabbitmq-server
    fi
    log "starting RabbitMQ"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_port 5672 90 RabbitMQ
  fi
  # The tests drop connections and stop/start the app: they need rabbitmqctl.
  rabbitmqctl await_startup >/dev/null 2>&1 || true
  export RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/%2f"
  log "RabbitMQ ready at 127.0.0.1:5672"
}

ensure_secantus() {
  local venv="$STATE/secantus-venv"
  if [ ! -x "$venv/bin/secantusd-py" ]; then
    log "installing SecantusDB (MongoDB-wire-protocol test server) into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --pre secantusdb
  fi
  export SECANTUSD="$venv/bin/secantusd-py"
  if [ -n "${MONGODB_URI:-}" ]; then
    log "using MONGODB_URI from the environment"
    export HERALD_TEST_MONGODB_URI="$MONGODB_URI"
    return
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  log "starting SecantusDB on 127.0.0.1:$port"
  "$SECANTUSD" --host 127.0.0.1 --port "$port" --storage-path :memory: --log-level WARNING \
    >"$STATE/secantus.log" 2>&1 &
  SECANTUS_PID=$!
  wait_port "$port" 60 SecantusDB
  export HERALD_TEST_MONGODB_URI="mongodb://127.0.0.1:$port/?directConnection=true"
}

# The email tests run a real SMTP server (aiosmtpd, worker/tests/smtp_sink.py) with the
# test venv's Python.
ensure_smtp_sink() {
  local venv="$STATE/secantus-venv"
  if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    log "installing aiosmtpd into $venv (SMTP server for the email tests)"
    "$venv/bin/pip" install -q aiosmtpd
  fi
  export HERALD_TEST_PYTHON="$venv/bin/python"
}

# The deployment checks (deploy-checks/) run the real tools on the committed artifacts.
ensure_deploy_tools() {
  local missing=()
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
  { command -v prometheus >/dev/null && command -v promtool >/dev/null; } || missing+=(prometheus)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} (for the deployment checks)"
    apt_install "${missing[@]}"
  fi
}

# The console's browser test (worker/tests/console.rs) drives Debian's headless
# Chromium over WebDriver.
ensure_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    log "installing chromium and chromium-driver (for the console's browser test)"
    apt_install chromium chromium-driver
  fi
}

cleanup() {
  if [ -n "${SECANTUS_PID:-}" ]; then kill "$SECANTUS_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

ensure_rabbitmq
ensure_secantus
ensure_smtp_sink
ensure_deploy_tools
ensure_chromium

# Tests read the test servers from HERALD_TEST_*; the services under test must not
# pick up a developer's MONGODB_URI by accident.
unset MONGODB_URI
export HERALD_TEST_RABBITMQ_URL="$RABBITMQ_URL"

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

if cargo nextest --version >/dev/null 2>&1; then
  log "cargo nextest run"
  cargo nextest run --workspace --no-fail-fast "$@"
else
  log "cargo test"
  cargo test --workspace --no-fail-fast -- "$@"
fi

# The API contract (docs/contract-testing.md): Schemathesis with a fixed seed, then the
# TypeScript and Python clients' smoke tests, each against a live API on SQLite and
# RabbitMQ. Skipped when the run is filtered; CONTRACT_SEED=random for a new seed.
contract_tests() {
  if [ "$#" -gt 0 ]; then
    log "contract tests skipped (the run is filtered)"
    return
  fi
  log "contract tests: Schemathesis and the client smoke tests (scripts/contract.sh)"
  scripts/contract.sh all
}
contract_tests "$@"

# The chaos run: every fault at once under load (worker and API kills, SIGSTOP past a
# lease, broker connection kills and a broker restart, a SQLite write lock, failing
# receivers, poison messages), judged by its own ledger; it exits non-zero on any
# loss, duplicate without the same key, stuck job or match mismatch. It runs after
# the tests because it restarts RabbitMQ's app, and only for a full run (no filter).
# A fixed seed keeps CI repeatable; HERALD_CHAOS_SEED=random draws a new one.
if [ "$#" -eq 0 ]; then
  seed="${HERALD_CHAOS_SEED:-20261201}"
  chaos_args=(--chaos --duration 60s --rate 100 --quiet)
  if [ "$seed" != random ]; then chaos_args+=(--seed "$seed"); fi
  log "chaos run: herald-load-test ${chaos_args[*]}"
  cargo run --quiet -p herald-load-test -- "${chaos_args[@]}"
fi
