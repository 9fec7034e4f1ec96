#!/usr/bin/env bash
# Peak memory of the processes a `herald-load-test --spawn` run starts (docs/benchmarks.md, "Memory").
#
#   bench/rss.sh __serve-worker & target/release/herald-load-test --spawn --backlog 20000 --channel log --workers 2
#   bench/rss.sh __serve-api    & target/release/herald-load-test --spawn --rate 1000 --duration 20s
#
# Waits for the first process whose command line holds "$RSS_MATCH <role>" (RSS_MATCH
# defaults to herald-load-test, the name of the executable), samples /proc/<pid>/status
# every 200 ms while any lives, and prints per process the kernel's VmHWM (peak RSS),
# the highest VmRSS and the highest RssAnon (RSS less the mapped executable and files).
set -euo pipefail
role="${1:?usage: bench/rss.sh __serve-worker|__serve-api}"
match="${RSS_MATCH:-herald-load-test} $role"
declare -A hwm rss anon
seen=0
while true; do
  pids=$(pgrep -f -- "$match" || true)
  if [ -z "$pids" ]; then
    [ "$seen" = 1 ] && break
    sleep 0.05
    continue
  fi
  seen=1
  for p in $pids; do
    read -r h r a < <(awk '/^VmHWM:/{h=$2} /^VmRSS:/{r=$2} /^RssAnon:/{a=$2} END{print h+0, r+0, a+0}' \
      "/proc/$p/status" 2>/dev/null || echo "0 0 0")
    [ "$h" -gt "${hwm[$p]:-0}" ] && hwm[$p]=$h
    [ "$r" -gt "${rss[$p]:-0}" ] && rss[$p]=$r
    [ "$a" -gt "${anon[$p]:-0}" ] && anon[$p]=$a
  done
  sleep 0.2
done
for p in "${!hwm[@]}"; do
  awk -v p="$p" -v h="${hwm[$p]}" -v r="${rss[$p]}" -v a="${anon[$p]}" -v role="$role" \
    'BEGIN {printf "%s pid %s: VmHWM %.1f MB, highest VmRSS %.1f MB, highest RssAnon %.1f MB\n", role, p, h/1024, r/1024, a/1024}'
done
