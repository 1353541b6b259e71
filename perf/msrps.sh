#!/usr/bin/env bash
# perf/msrps.sh [ROUNDS] [DURATION_S]: msrps against plaintext in one run, for issue 14's note.
#  - deliveries per heraldd core-second at 10^5 participants over 10^3 connections, plaintext and msrps
#    interleaved (ROUNDS each, default 2), with heraldd's RSS per idle connection once connected;
#  - full handshakes per server core-second (bench_tls_handshake) beside `openssl speed ecdsap256`.
# Needs a release build in build/perf-rel with perf/ attached (perf/run.sh makes one; or the commands
# in perf/README.md). Prints a markdown report on stdout; raw JSON goes to build/perf-rel/perf-raw/msrps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/perf-rel
rounds=${1:-2}
duration=${2:-8}
raw=$build/perf-raw/msrps
mkdir -p "$raw"
driver=$build/perf/herald_driver/perf_herald_driver
[ -x "$driver" ] || driver=$(find "$build" -name perf_herald_driver -type f | head -1)
bench=$(find "$build" -name bench_tls_handshake -type f | head -1)

for r in $(seq 1 "$rounds"); do
  for mode in plain tls; do
    flag=""
    [ "$mode" = tls ] && flag=--tls
    "$driver" --participants 100000 --connections 1000 --size 256 --duration "$duration" --window 4 \
      --shards 1 --samples 50 $flag >"$raw/$mode-$r.json" 2>"$raw/$mode-$r.err" ||
      { echo "driver failed ($mode round $r):" >&2; cat "$raw/$mode-$r.err" >&2; exit 1; }
  done
done
openssl speed -seconds 3 ecdsap256 >"$raw/openssl-speed.txt" 2>/dev/null
"$bench" --benchmark_min_time=2 --benchmark_format=json >"$raw/handshake.json" 2>/dev/null

/usr/bin/python3 - "$raw" "$rounds" <<'PY'
import json, sys, re, statistics
raw, rounds = sys.argv[1], int(sys.argv[2])
def load(mode):
    return [json.load(open(f"{raw}/{mode}-{r}.json")) for r in range(1, rounds + 1)]
plain, tls = load("plain"), load("tls")
def med(rs, k): return statistics.median(x[k] for x in rs)
p, t = med(plain, "deliveries_per_server_core_s"), med(tls, "deliveries_per_server_core_s")
print("## msrps vs plaintext, 10^5 participants over 10^3 connections, 1 shard, 256-byte body, window 4\n")
print("| round | plaintext deliveries/server core-s | msrps deliveries/server core-s | ratio |")
print("| --- | ---: | ---: | ---: |")
for i, (a, b) in enumerate(zip(plain, tls), 1):
    x, y = a["deliveries_per_server_core_s"], b["deliveries_per_server_core_s"]
    print(f"| {i} | {x:,.0f} | {y:,.0f} | {y / x:.2f} |")
print(f"| median | {p:,.0f} | {t:,.0f} | **{t / p:.2f}** |\n")
print("| | plaintext | msrps |\n| --- | ---: | ---: |")
print(f"| completion p50 / p99 ms (median of rounds) | {med(plain,'completion_p50_ms'):.1f} / {med(plain,'completion_p99_ms'):.1f} | {med(tls,'completion_p50_ms'):.1f} / {med(tls,'completion_p99_ms'):.1f} |")
print(f"| heraldd RSS per idle connection (connected, nothing bound) | {med(plain,'rss_bytes_per_idle_connection'):,.0f} B | {med(tls,'rss_bytes_per_idle_connection'):,.0f} B |")
print(f"| heraldd RSS per bound participant | {med(plain,'rss_bytes_per_participant'):,.0f} B | {med(tls,'rss_bytes_per_participant'):,.0f} B |")
print()
speed = open(f"{raw}/openssl-speed.txt").read()
m = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", speed)
sign = float(m.group(1)) if m else float("nan")
print("## Full handshakes per server core-second (memory I/O, no resumption)\n")
print("| case | server handshakes/core-s | µs per handshake (client + server) |\n| --- | ---: | ---: |")
for b in json.load(open(f"{raw}/handshake.json"))["benchmarks"]:
    if "FullHandshake" in b["name"]:
        print(f"| {b['name'][3:]} | {b['server_handshakes_per_core_s']:,.0f} | {b['real_time']:.0f} |")
print(f"\n`openssl speed ecdsap256`, same run: {sign:,.0f} ECDSA P-256 signs/s (one core). A TLS 1.3 full")
print("handshake costs the server one signature, one ECDHE (X25519) key pair and agreement, and the key schedule.")
PY
