#!/usr/bin/env bash
# The directory-lock benchmark (perf_directory_lock) against two heraldd builds, interleaved in one run:
#   perf/directory_lock.sh [--rev REV | --before HERALDD] [--rounds N] [--duration S] [--out FILE]
# "before" is heraldd built from REV (release preset, in build/rev-REV) or the binary given; "after" is
# build/release's. Prints one JSON line per run and a summary of medians.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rev="" before="" rounds=3 duration=20 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rev) rev=$2; shift 2 ;;
    --before) before=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
after="$root/build/release/engine/daemon/heraldd"
bench="$root/build/release/perf/perf_directory_lock"
cmake --build build/release --target heraldd perf_directory_lock >/dev/null
if [ -n "$rev" ]; then
  tree="$root/build/rev-$rev"
  [ -d "$tree/src" ] || git worktree add -f "$tree/src" "$rev" >/dev/null
  cmake -S "$tree/src" -B "$tree/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DHERALD_BUILD_BENCH=OFF >/dev/null
  cmake --build "$tree/build" --target heraldd >/dev/null
  before="$tree/build/engine/daemon/heraldd"
fi
[ -x "$before" ] || { echo "need --rev REV or --before HERALDD" >&2; exit 2; }
results=$(mktemp)
for i in $(seq "$rounds"); do
  for which in before after; do
    bin=$before; [ "$which" = after ] && bin=$after
    HERALDD=$bin "$bench" --duration "$duration" --label "$which" | tee -a "$results"
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for which in ("before", "after"):
    r = [x for x in rows if x["heraldd"] == which]
    med = lambda k: statistics.median(x[k] for x in r)
    print(f"{which:6s} runs={len(r)} msgs/s={med('messages_per_s'):.0f} accepted={med('accepted'):.3f} "
          f"api p50={med('api_p50_ms'):.2f} ms p99={med('api_p99_ms'):.2f} ms max={med('api_max_ms'):.1f} ms "
          f"binds/s={med('binds_per_s'):.0f} heraldd cores={med('heraldd_cpu_cores'):.2f}")
PY
[ -z "$out" ] || cp "$results" "$out"
rm -f "$results"
