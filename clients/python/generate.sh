#!/usr/bin/env bash
# Generates herald-client/ from docs/openapi.json with openapi-python-client
# (.herald-test/contract-venv has it; scripts/contract.sh installs it).
#   ./generate.sh          # rewrite herald-client/
#   ./generate.sh --check  # fail when the committed package differs from a fresh one
set -euo pipefail
cd "$(dirname "$0")"
GEN=${OPENAPI_PYTHON_CLIENT:-openapi-python-client}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$GEN" generate --path ../../docs/openapi.json --config config.yml --meta setup \
  --output-path "$out/herald-client" --overwrite >/dev/null
if [ "${1:-}" = --check ]; then
  if ! diff -r -q "$out/herald-client" herald-client; then
    echo "clients/python/herald-client is stale: run clients/python/generate.sh" >&2
    exit 1
  fi
  echo "clients/python/herald-client matches docs/openapi.json"
else
  rm -rf herald-client
  cp -r "$out/herald-client" herald-client
fi
