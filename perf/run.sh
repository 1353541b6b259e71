#!/usr/bin/env bash
# perf/run.sh [--quick]: one command for the whole perf comparison. Installs redis-server, nats-server and
# matplotlib if missing, builds the release targets in build/perf-rel, measures the physical limit,
# heraldd, Redis pub/sub and NATS in the same fan-out shape, the scaling curve and latency under load,
# counts instructions per delivery under callgrind, and writes perf/results/<date>-<host>.md + PNGs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/perf-rel
results=$root/perf/results
quick=0
[ "${1:-}" = "--quick" ] && quick=1

stamp=$(date +%Y-%m-%d)-$(hostname -s)
raw=$build/perf-raw/$stamp
rm -rf "$raw"
mkdir -p "$raw" "$results"
log() { printf '[perf %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# 1. Packages (quiet, skipped when present).
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd=sudo
missing=()
for pkg in redis-server nats-server python3-matplotlib valgrind; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$raw/apt.log" 2>&1 ||
    { cat "$raw/apt.log"; exit 1; }
fi
# Debian's matplotlib is for the system interpreter, not a pyenv/venv one that may come first in PATH.
py=/usr/bin/python3

# 2. Build (release flags as the release preset; perf/ attached if the top level does not add it yet).
log "building in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE='-O2 -DNDEBUG' \
  -DHERALD_BUILD_BENCH=OFF -DCMAKE_PROJECT_herald_INCLUDE="$root/perf/cmake/attach.cmake" >"$raw/configure.log" 2>&1 ||
  { cat "$raw/configure.log"; exit 1; }
cmake --build "$build" -j2 --target heraldd perf_physical_limit perf_redis_nats perf_herald_driver \
  perf_fanout_instr >"$raw/build.log" 2>&1 || { tail -50 "$raw/build.log"; exit 1; }
bin() { if [ -x "$build/$1" ]; then echo "$build/$1"; else echo "$build/perf/$1"; fi; }
export HERALDD=$build/engine/daemon/heraldd

# Shape of the headline comparison: one conference, the same message size and receiving connections.
size=256
if [ $quick = 1 ]; then
  dur=2; participants=1000; conns=100; scale="1000 10000"; lat_participants=1000; lat_steps="20 50 80 100"
else
  dur=8; participants=10000; conns=1000; scale="1000 10000 100000 1000000"; lat_participants=10000
  lat_steps="10 20 30 40 50 60 70 80 90 100"
fi
shards=${HERALD_PERF_SHARDS:-1}
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
conns_for() { local c=$(($1 / 10)); [ $c -gt 10000 ] && c=10000; [ $c -lt 1 ] && c=1; echo $c; }

# 3. Physical limit: io_uring sendmsg coalescing and plain writev.
for mode in uring writev; do
  log "physical limit ($mode, $conns connections)"
  timeout 120 "$(bin perf_physical_limit)" --mode $mode --connections $conns --size $size --duration $dur --json \
    >"$raw/phys-$mode.json"
done

# The same sender at one message's coalescing: each message puts participants/connections frames on each
# connection, so a fan-out with no backlog cannot batch more per sendmsg than that.
per_conn=$((participants / conns))
[ $per_conn -lt 1 ] && per_conn=1
log "physical limit (uring, $per_conn frames per call)"
timeout 120 "$(bin perf_physical_limit)" --mode uring --connections $conns --size $size --duration $dur \
  --batch $per_conn --json >"$raw/phys-uring-batch.json"

# The same sender with IORING_OP_SENDMSG_ZC for large bodies (issue #4: "large bodies may be [sent with
# SEND_ZC], if measured faster"): frames per wall second and per CPU second of sender + sink together,
# since on loopback the copy zero-copy avoids at the sender is made at delivery instead.
log "physical limit: sendmsg vs SENDMSG_ZC at 4 KiB, 64 KiB and 256 KiB bodies"
for zc_size in 4096 65536 262144; do
  for mode in uring uring-zc; do
    timeout 60 "$(bin perf_physical_limit)" --mode $mode --connections 50 --size $zc_size --batch 4 --duration 2 \
      --json >"$raw/zc-$zc_size-$mode.json" 2>"$raw/zc-$zc_size-$mode.log" || rm -f "$raw/zc-$zc_size-$mode.json"
  done
done

# 4. Herald: heraldd (one shard unless HERALD_PERF_SHARDS) + driver, closed loop.
log "heraldd: $participants participants over $conns connections"
timeout 600 "$(bin perf_herald_driver)" --participants $participants --connections $conns --size $size \
  --duration $dur --shards $shards >"$raw/herald.json"
# tools/herald-load, when it builds: the same shape, open loop at 80% of the closed-loop message rate
# measured above, for its client-side latency histogram (reported next to the driver's figures).
herald_load=$build/tools/herald-load/herald-load
cmake --build "$build" -j2 --target herald-load >"$raw/build-herald-load.log" 2>&1 || true
if [ -x "$herald_load" ]; then
  hl_rate=$($py -c "import json; d=json.load(open('$raw/herald.json')); print(round(max(1.0, 0.8 * d['messages'] / d['wall_s']), 1))")
  log "herald-load at $hl_rate msgs/s"
  timeout 600 "$herald_load" --spawn --json --participants $participants --msrp-connections $conns --size $size \
    --rate "$hl_rate/s" --duration ${dur}s --scenario system --heraldd-args "--shards $shards" \
    >"$raw/herald-load.json" 2>"$raw/herald-load.log" || log "herald-load reported a failure (see $raw/herald-load.log)"
else
  log "tools/herald-load not built; perf_herald_driver figures only"
fi

# 5. Redis and NATS, each started here on a free loopback port without persistence, stopped after.
run_broker() {
  local name=$1 port pid
  port=$(free_port)
  if [ "$name" = redis ]; then
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --maxclients 20000 \
      --loglevel warning >"$raw/redis.log" 2>&1 &
  else
    nats-server -a 127.0.0.1 -p "$port" >"$raw/nats.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
  log "$name: $conns subscribers"
  timeout 300 "$(bin perf_redis_nats)" --server "$name" --port "$port" --server-pid $pid --subscribers $conns \
    --size $size --duration $dur >"$raw/$name.json" || log "$name run reported a shortfall"
  kill $pid; wait $pid 2>/dev/null || true
}
run_broker redis
run_broker nats

# 6. Scaling: conference size, sessions multiplexed over at most 10,000 connections.
for p in $scale; do
  log "scaling: $p participants over $(conns_for $p) connections"
  timeout 900 "$(bin perf_herald_driver)" --participants $p --connections "$(conns_for $p)" --size $size \
    --duration $dur --shards $shards --window 2 >"$raw/scale-$p.json" || log "scaling $p reported a shortfall"
done

# 6b. Issue #4's benchmark shape: 100,000 participants over 1,000 connections, two shards; closed loop
# (throughput per server core) and open loop at 5 messages/s (500,000 deliveries/s offered) for the
# fan-out completion time as issue #4 defines it (API accept to last byte written: written_ms).
if [ $quick = 0 ]; then
  log "issue #4 shape: 100000 participants over 1000 connections, 2 shards"
  timeout 900 "$(bin perf_herald_driver)" --participants 100000 --connections 1000 --size $size \
    --duration $dur --shards 2 --window 2 >"$raw/issue4-closed.json" || log "issue #4 closed loop shortfall"
  timeout 900 "$(bin perf_herald_driver)" --participants 100000 --connections 1000 --size $size \
    --duration $dur --shards 2 --rate 5 >"$raw/issue4-open.json" || log "issue #4 open loop shortfall"
fi

# 7. Latency under load: open loop at a share of the closed-loop maximum message rate, driven by
# tools/herald-load (latency from the scheduled send time, every delivery checked) when it is built, else
# by the perf driver. Each step is written in the driver's JSON shape for report.py.
max_rate=$($py -c "import json; d=json.load(open('$raw/scale-$lat_participants.json')); print(d['messages']/d['wall_s'])")
for pct in $lat_steps; do
  rate=$($py -c "print(round(max(0.5, $max_rate * $pct / 100), 2))")
  log "latency: $pct% of $max_rate msgs/s"
  if [ -x "$herald_load" ]; then
    timeout 300 "$herald_load" --spawn --json --participants $lat_participants \
      --msrp-connections "$(conns_for $lat_participants)" --size $size --rate "$rate/s" --duration ${dur}s \
      --scenario system --heraldd-args "--shards $shards" >"$raw/hl-lat-$pct.json" 2>"$raw/hl-lat-$pct.log" ||
      log "latency $pct%: herald-load reported a failure (see $raw/hl-lat-$pct.log)"
    $py - "$raw/hl-lat-$pct.json" "$raw/lat-$pct.json" <<'PY' || log "latency $pct%: no herald-load report"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["latency_ms"]["completion"]
json.dump({"source": "herald-load", "rate": d["rate_per_s"], "participants": d["participants"],
           "deliveries_per_s": d["deliveries_per_s"], "completion_p50_ms": c["p50"],
           "completion_p99_ms": c["p99"], "missing": d["deliveries"]["missing"]}, open(sys.argv[2], "w"))
PY
  else
    timeout 300 "$(bin perf_herald_driver)" --participants $lat_participants --connections "$(conns_for $lat_participants)" \
      --size $size --duration $dur --shards $shards --rate "$rate" >"$raw/lat-$pct.json" || log "latency $pct% shortfall"
  fi
done

# 8. Instructions per delivery (deterministic up to loop-iteration counts).
log "callgrind: 10,000 recipients"
bash "$root/perf/callgrind.sh" "$build" 10000 >"$raw/callgrind.txt" || log "callgrind failed"

# 9. Report.
$py "$root/perf/report.py" "$raw" "$results" "$stamp" "$([ $quick = 1 ] && echo quick || echo full)"
log "wrote $results/$stamp.md"
