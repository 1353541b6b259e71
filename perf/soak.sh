#!/usr/bin/env bash
# perf/soak.sh [--duration 600] [--out DIR] [--rate R] [...]: issue #6's soak. Measures the highest message rate
# a 10^4-participant conference over 100 connections sustains (mixed scenario), then runs herald-load --spawn at
# half of it for --duration seconds with participants churning, samples heraldd's RSS once a second, and writes
# DIR/<date>-<host>-soak.md, the RSS CSV, the JSON report and (with python3-matplotlib) a PNG of the curve.
# Exit 0 only if every delivery checked out and RSS growth stayed within --max-rss-growth.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

duration=600
out=$root/perf/results
rate=""
churn=10
participants=10000
connections=100
size=300
max_growth=10
herald_load=""
plot=1
render_only=0
retention=""
shards=2
stamp=$(date +%Y-%m-%d)-$(hostname -s)-soak

usage() {
  cat <<EOF
usage: perf/soak.sh [options]
  --duration S         soak length in seconds (600; the CI form is 60)
  --out DIR            where the results go (perf/results)
  --rate R             messages/s for the soak; skips the max-rate measurement
  --churn R            participants leaving and joining per second (10)
  --participants N     conference size (10000)
  --connections C      MSRP connections the sessions are multiplexed over (100)
  --max-rss-growth P   fail if RSS grew more than P% (late 20% vs the 20% after warm-up; 10)
  --retention S        heraldd --message-retention in seconds (default duration/12, at least 5)
  --shards N           heraldd shards (2)
  --herald-load PATH   the herald-load binary (default: build it with the release preset)
  --stamp NAME         file name stem (<date>-<host>-soak)
  --no-plot            skip the PNG
  --render-only        only redo the summary and PNG of an earlier run with the same --out and --stamp
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --churn) churn=$2; shift 2 ;;
    --participants) participants=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --max-rss-growth) max_growth=$2; shift 2 ;;
    --retention) retention=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --herald-load) herald_load=$2; shift 2 ;;
    --stamp) stamp=$2; shift 2 ;;
    --no-plot) plot=0; shift ;;
    --render-only) render_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

log() { printf '[soak %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
py=python3
# Debian's matplotlib belongs to the system interpreter, not a pyenv/venv one earlier in PATH (as perf/run.sh).
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
mkdir -p "$out"
out=$(cd "$out" && pwd)
raw=$out/$stamp.raw
csv=$out/$stamp.csv
report=$out/$stamp.json
if [ $render_only = 1 ]; then
  # What the run recorded about itself (rate, max-rate steps, load, source revision): see the end of step 2.
  # shellcheck disable=SC1091
  source "$raw/meta.sh"
else  # measure and run (up to "not --render-only" below)
rm -rf "$raw"
mkdir -p "$raw"

if [ -z "$herald_load" ]; then
  log "building herald-load (release preset, build/release)"
  (cd "$root" && cmake --preset release >"$raw/configure.log" 2>&1 &&
    cmake --build --preset release --target herald-load heraldd >"$raw/build.log" 2>&1) ||
    { tail -40 "$raw/build.log" "$raw/configure.log" 2>/dev/null; exit 1; }
  herald_load=$root/build/release/tools/herald-load/herald-load
fi
[ -x "$herald_load" ] || { echo "soak.sh: $herald_load is not executable" >&2; exit 1; }

# Delivery state is kept --message-retention after each message; the warm-up (first 10%) must cover it, or the
# records of a still-filling retention window would read as growth.
[ -n "$retention" ] || retention=$(( duration / 12 > 5 ? duration / 12 : 5 ))
heraldd_args="--shards $shards --message-retention ${retention}s"
shape=(--participants "$participants" --msrp-connections "$connections" --size "$size" --scenario mixed)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain -- engine 2>/dev/null | wc -l)
[ "$dirty" != 0 ] && rev="$rev + $dirty uncommitted engine files"

json() {  # json FILE EXPR: evaluate EXPR over the report object d
  "$py" -c "import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print($2)" "$1"
}

# 1. The max rate: open-loop steps of 1.5x until one is not sustained (a delivery error, fan-out completion p99
#    over 1 s, or POSTs starting more than 250 ms late at p99), then one bisection step. Half of the best sustained
#    rate is the soak rate.
steps_md=""
if [ -z "$rate" ]; then
  step_s=$(( duration >= 300 ? 8 : 4 ))
  r=4
  best=0
  failed=0
  for i in $(seq 1 10); do
    f=$raw/max-$i.json
    log "max rate: step $i at $r msgs/s for ${step_s}s"
    if timeout 300 "$herald_load" --spawn --json "${shape[@]}" --rate "$r/s" --duration "${step_s}s" --drain 10s \
        --heraldd-args "$heraldd_args" >"$f" 2>"$raw/max-$i.log"; then ok=1; else ok=0; fi
    sustained=0
    if [ -s "$f" ]; then
      read -r p99 lag dps <<<"$(json "$f" "d['latency_ms']['completion']['p99'], d['latency_ms']['send_lag']['p99'], round(d['deliveries_per_s'])" | tr -d '(),')"
      [ "$ok" = 1 ] && "$py" -c "import sys; sys.exit(0 if $p99 <= 1000 and $lag <= 250 else 1)" && sustained=1
      steps_md+="| $r | $dps | $p99 | $lag | $([ $ok = 1 ] && echo yes || echo no) | $([ $sustained = 1 ] && echo yes || echo no) |"$'\n'
    else
      steps_md+="| $r | - | - | - | no | no |"$'\n'
    fi
    if [ $sustained = 1 ]; then
      best=$r
      [ "$failed" != 0 ] && break
      r=$("$py" -c "print(round($r * 1.5, 1))")
    elif [ "$best" = 0 ]; then
      # Not even the first step: halve until one is sustained (or give up below 0.5 msgs/s).
      r=$("$py" -c "print(round($r / 2, 2))")
      "$py" -c "import sys; sys.exit(0 if $r >= 0.5 else 1)" || break
    else
      [ "$failed" != 0 ] && break
      failed=$r
      r=$("$py" -c "print(round(($best + $failed) / 2, 1))")
    fi
  done
  if [ "$best" = 0 ]; then
    echo "soak.sh: no rate was sustained; see $raw/max-*.log" >&2
    exit 1
  fi
  max_rate=$best
  rate=$("$py" -c "print(round($max_rate / 2, 2))")
  log "max sustained rate $max_rate msgs/s; soaking at $rate msgs/s"
else
  max_rate=""
  log "soaking at the given $rate msgs/s"
fi

# 2. The soak.
cmd=("$herald_load" --spawn --json "${shape[@]}" --rate "$rate/s" --duration "${duration}s" --churn "$churn/s"
     --drain 60s --rss-csv "$csv" --max-rss-growth "$max_growth" --heraldd-args "$heraldd_args")
log "soak: ${duration}s, churn $churn/s, heraldd $heraldd_args"
if timeout $((duration + 600)) "${cmd[@]}" >"$report" 2>"$raw/soak.log"; then soak_ok=1; else soak_ok=0; fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
# Everything the summary needs besides the report and the CSV, for --render-only.
declare -p steps_md max_rate rate load_start load_end rev heraldd_args duration max_growth soak_ok >"$raw/meta.sh"
fi  # not --render-only
[ -s "$report" ] || { echo "soak.sh: herald-load wrote no report; see $raw/soak.log" >&2; tail -20 "$raw/soak.log" >&2; exit 1; }

# 3. The plot (optional) and the summary.
png=""
if [ $plot = 1 ]; then
  if "$py" -c "import matplotlib" 2>/dev/null; then
    png=$stamp.png
    "$py" - "$csv" "$out/$png" "$duration" <<'EOF'
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
path, png, duration = sys.argv[1], sys.argv[2], float(sys.argv[3])
rows = list(csv.DictReader(open(path)))
t = [float(r["elapsed_s"]) for r in rows]
mib = [int(r["rss_bytes"]) / 2**20 for r in rows]
# Deliveries per second between samples: a dip (a stall) next to an RSS step tells a backlog from a leak.
dps = [(int(b["deliveries"]) - int(a["deliveries"])) / max(1e-9, float(b["elapsed_s"]) - float(a["elapsed_s"]))
       for a, b in zip(rows, rows[1:])]
fig, ax = plt.subplots(figsize=(7, 3.5), dpi=90)
ax2 = ax.twinx()
ax2.plot(t[1:], [x / 1000 for x in dps], color="0.6", lw=0.6)
ax2.set_ylabel("deliveries/s (thousands, grey)", color="0.4")
ax2.set_ylim(bottom=0)
ax.set_zorder(ax2.get_zorder() + 1)
ax.patch.set_visible(False)
ax.axvspan(0, 0.1 * duration, color="0.8", alpha=0.35, label="warm-up (not judged)")
ax.axvspan(0.1 * duration, 0.3 * duration, color="tab:green", alpha=0.12, label="early window")
ax.axvspan(0.8 * duration, duration, color="tab:red", alpha=0.12, label="late window")
ax.plot(t, mib, color="tab:blue", lw=1.2, label="heraldd RSS")
ax.set_xlabel("seconds since the first message")
ax.set_ylabel("RSS (MiB)")
ax.set_ylim(bottom=0)
ax.grid(alpha=0.3)
ax.legend(fontsize=7, loc="lower right")
fig.tight_layout()
fig.savefig(png)
EOF
  else
    log "python3-matplotlib is not installed: no PNG (apt-get install python3-matplotlib)"
  fi
fi

"$py" - "$report" "$csv" "$out/$stamp.md" <<EOF
import csv, json, statistics, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
rows = list(csv.DictReader(open(sys.argv[2])))
dps = [(float(b["elapsed_s"]), (int(b["deliveries"]) - int(a["deliveries"])) /
        max(1e-9, float(b["elapsed_s"]) - float(a["elapsed_s"]))) for a, b in zip(rows, rows[1:])
       if float(b["elapsed_s"]) <= d["duration_s"]]
median = statistics.median(x for _, x in dps) if dps else 0
stalls = [f"{t:.0f} s ({x:,.0f}/s)" for t, x in dps if x < median / 2]
rss, churn, dl, lat = d.get("rss", {}), d.get("churn", {}), d["deliveries"], d["latency_ms"]
mib = lambda b: f"{b / 2**20:,.1f} MiB"
max_rate = "$max_rate"
lines = [f"# Herald soak $stamp", "",
         f"{d['participants']:,} participants over {d['msrp_connections']} MSRP connections, mixed scenario "
         f"(system, chat, external in turn), {d['size_bytes']} B bodies, {d['rate_per_s']:g} msgs/s for "
         f"{d['duration_s']:g} s, churn {churn.get('per_s', 0):g}/s (as many join as leave); heraldd "
         f"\`$heraldd_args\` (source $rev). Machine: $(nproc) cores shared with other work; load average "
         f"$load_start at the start, $load_end at the end.", ""]
if max_rate:
    lines += [f"Max rate: open-loop steps of this shape without churn (1.5x until one is not sustained, then one "
              f"bisection step); sustained = every delivery checked out, completion p99 <= 1000 ms, POST lag p99 <= "
              f"250 ms. Best sustained: **{max_rate} msgs/s** ({float(max_rate) * d['participants']:,.0f} "
              f"deliveries/s offered); the soak runs at half of it.", "",
              "| msgs/s | deliveries/s | completion p99 ms | POST lag p99 ms | exact | sustained |",
              "| ---: | ---: | ---: | ---: | --- | --- |"]
    lines += """$steps_md""".strip().splitlines()
    lines += [""]
else:
    lines += ["Rate given with --rate (no max-rate measurement).", ""]
lines += ["## Deliveries", "",
          f"- messages sent {d['messages']['sent']:,} of {d['messages']['scheduled']:,}; deliveries {dl['delivered']:,} "
          f"received, {dl['missing']} missing, {dl['duplicates']} duplicated, {dl['mismatches']} mismatched",
          f"- churn: {churn.get('joins', 0):,} joined, {churn.get('leaves', 0):,} left; heraldd failed "
          f"{churn.get('failed_participant_removed', 0):,} deliveries participant_removed and "
          f"{churn.get('failed_not_connected', 0):,} not_connected ({churn.get('received_then_failed', 0):,} "
          "were received before the removal settled them failed); outside membership "
          f"{churn.get('outside_membership', 0)}, unexplained failures {churn.get('unexplained_failures', 0)}, "
          f"unverified messages {churn.get('unverified_messages', 0)}, count mismatches "
          f"{churn.get('count_mismatches', 0)}",
          f"- latency (ms, from the scheduled time): delivery p50 {lat['delivery']['p50']:.1f} / p99 "
          f"{lat['delivery']['p99']:.1f}; fan-out completion p50 {lat['completion']['p50']:.1f} / p99 "
          f"{lat['completion']['p99']:.1f} / max {lat['completion']['max']:.1f}",
          f"- connections lost {d['connections_lost']}, bind failures {d['bind_failures']}", ""]
lines += ["## RSS", "",
          "Rule: skip the first 10% of the sending time, compare the mean RSS of the last 20% with the mean of the 20% "
          "after the warm-up; growth above --max-rss-growth ($max_growth%) fails.", ""]
if rss.get("judged"):
    def fit(lo, hi):  # least squares over the CSV, for reports from a herald-load without the slope keys
        p = [(float(r["elapsed_s"]), int(r["rss_bytes"])) for r in rows if lo < float(r["elapsed_s"]) <= hi]
        if len(p) < 2:
            return 0
        mt, mb = sum(t for t, _ in p) / len(p), sum(b for _, b in p) / len(p)
        return sum((t - mt) * (b - mb) for t, b in p) / sum((t - mt) ** 2 for t, _ in p)
    D = d["duration_s"]
    rss.setdefault("early_slope_bytes_per_s", fit(0.1 * D, 0.3 * D))
    rss.setdefault("late_slope_bytes_per_s", fit(0.8 * D, D))
    slope = lambda k: f"{rss[k] * 60 / 2**20:+.2f} MiB/min"
    lines += [f"| at start | after warm-up (mean 10-30%) | end (mean 80-100%) | last | peak | growth | slope in early / late window |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
              f"| {mib(rss['first_bytes'])} | {mib(rss['early_mean_bytes'])} | {mib(rss['late_mean_bytes'])} | "
              f"{mib(rss['last_bytes'])} | {mib(rss['peak_bytes'])} | {rss['growth_pct']:+.2f}% | "
              f"{slope('early_slope_bytes_per_s')} / {slope('late_slope_bytes_per_s')} |", "",
              f"Deliveries/s median {median:,.0f}; seconds below half of it (stalls: RSS steps there are backlogs, "
              f"not leaks, if the slope after them is flat): " + (", ".join(stalls[:15]) or "none") +
              (f" and {len(stalls) - 15} more" if len(stalls) > 15 else "") + ".", ""]
else:
    lines += ["Too few samples to judge.", ""]
if "$png":
    lines += ["![RSS]($png)", ""]
lines += [f"Samples (elapsed_s, rss_bytes, deliveries, participants): \`$(basename "$csv")\`; report: "
          f"\`$(basename "$report")\`.", "",
          f"**Result: {'PASS' if d['ok'] else 'FAIL'}**" + ("" if d["ok"] else " — " + "; ".join(d["errors"])), "",
          "Reproduce:", "", "\`\`\`sh", "bash perf/soak.sh --duration ${duration}" +
          ("" if max_rate else " --rate $rate") + "", "\`\`\`", ""]
open(sys.argv[3], "w").write("\n".join(lines))
EOF
log "wrote $out/$stamp.md"
grep -E "^\| [0-9]|Result" "$out/$stamp.md" | tail -3 >&2 || true
[ "$soak_ok" = 1 ]
