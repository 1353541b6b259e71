#!/usr/bin/env bash
# perf/callgrind.sh [build-dir] [recipients]: instructions per delivery for one system message fanned out to
# 10,000 recipients by the real engine (perf_fanout_instr), counted by callgrind only while engine code
# runs; also the frame_template::stamp floor. Prints "engine_ir_per_delivery=N" and "stamp_ir_per_recipient=N".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/perf-rel}
recipients=${2:-10000}
bin=$build/perf_fanout_instr
[ -x "$bin" ] || bin=$build/perf/perf_fanout_instr
if [ ! -x "$bin" ]; then
  echo "perf_fanout_instr not built in $build" >&2
  exit 1
fi
command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Total Ir of the collected regions, from callgrind's summary line.
measure() {
  local mode=$1
  timeout 600 valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$tmp/$mode.out" \
    "$bin" --mode "$mode" --recipients "$recipients" >"$tmp/$mode.json" 2>"$tmp/$mode.log" ||
    return 1
  awk '/^summary:|^totals:/ {print $2; exit}' "$tmp/$mode.out"
}

stamp_ir=$(measure template)
echo "recipients=$recipients"
echo "stamp_ir=$stamp_ir"
echo "stamp_ir_per_recipient=$((stamp_ir / recipients))"
# The whole engine on a caller-run shard; reported only when it completes (see perf/README.md).
if engine_ir=$(measure engine); then
  echo "engine_ir=$engine_ir"
  echo "engine_ir_per_delivery=$((engine_ir / recipients))"
  echo "engine_run=$(cat "$tmp/engine.json")"
else
  echo "engine_error=$(grep -v "^==" "$tmp/engine.log" | tail -1)"
fi
