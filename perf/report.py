#!/usr/bin/env python3
"""perf/report.py RAW_DIR RESULTS_DIR STAMP MODE: turns perf/run.sh's raw JSON into the results markdown
and the PNG plots (scaling, latency under load). Standard library + matplotlib only."""
import glob
import json
import os
import platform
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

raw, out, stamp, mode = sys.argv[1:5]


def load(name):
    path = os.path.join(raw, name)
    try:
        with open(path) as f:
            text = f.read().strip().splitlines()
        return json.loads(text[-1]) if text else None
    except (OSError, ValueError):
        return None


phys = {m: load(f"phys-{m}.json") for m in ("uring", "writev")}
herald, redis, nats = load("herald.json"), load("redis.json"), load("nats.json")
scale = sorted((d for d in (load(os.path.basename(p)) for p in glob.glob(os.path.join(raw, "scale-*.json"))) if d),
               key=lambda d: d["participants"])
lat = sorted((d for d in (load(os.path.basename(p)) for p in glob.glob(os.path.join(raw, "lat-*.json"))) if d),
             key=lambda d: d["rate"])
callgrind = {}
try:
    with open(os.path.join(raw, "callgrind.txt")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            callgrind[k] = v
except OSError:
    pass

# The ceiling is the better of the two send paths on this run.
limit = max((d["frames_per_sender_core_s"] for d in phys.values() if d), default=None)


def fmt(x):
    return f"{x:,.0f}" if isinstance(x, (int, float)) else "n/a"


def ratio(x):
    return f"{x / limit:.1%}" if limit and isinstance(x, (int, float)) else "n/a"


cpu = platform.processor() or platform.machine()
try:
    with open("/proc/cpuinfo") as f:
        cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
except (OSError, StopIteration):
    pass

lines = [f"# Herald perf results {stamp} ({mode} mode)", "",
         f"Machine: {os.cpu_count()} cores, {cpu}, kernel {platform.release()}. "
         "The machine is shared, so wall-clock rates are noisy; the per-core figures divide deliveries by the "
         "CPU seconds the server process (or the physical-limit sender) actually used, from /proc.", ""]
shape = herald or {}
lines += ["## Deliveries per server core-second", "",
          f"Same shape for all: message body {shape.get('size', '?')} B, {shape.get('connections', '?')} receiving "
          f"connections; Herald fans each message to {shape.get('participants', '?')} sessions multiplexed over "
          "those connections, Redis/NATS deliver each publish to every subscriber connection. A Herald delivery is "
          f"a full MSRP SEND with CPIM headers ({phys['uring']['frame_bytes'] if phys['uring'] else '?'} B on the "
          "wire) answered by a 200; a Redis/NATS delivery is the bare payload plus its framing, unacknowledged.", "",
          "| system | deliveries/s (wall) | server CPU s | deliveries per server core-s | vs physical limit |",
          "| --- | ---: | ---: | ---: | ---: |"]
for m, d in phys.items():
    if d:
        lines.append(f"| physical limit, {m} (sender only) | {fmt(d['frames_per_s'])} | {d['sender_cpu_s']:.2f} | "
                     f"{fmt(d['frames_per_sender_core_s'])} | {ratio(d['frames_per_sender_core_s'])} |")
batch = load("phys-uring-batch.json")
if batch:
    lines.append(f"| physical limit, uring, {batch['batch']} frames per call (one message's frames per connection) | "
                 f"{fmt(batch['frames_per_s'])} | {batch['sender_cpu_s']:.2f} | {fmt(batch['frames_per_sender_core_s'])} | "
                 f"{ratio(batch['frames_per_sender_core_s'])} |")
for name, d in (("Herald (heraldd, 1 shard)", herald), ("Redis pub/sub", redis), ("NATS", nats)):
    if d:
        lines.append(f"| {name} | {fmt(d['deliveries_per_s'])} | {d['server_cpu_s']:.2f} | "
                     f"{fmt(d['deliveries_per_server_core_s'])} | {ratio(d['deliveries_per_server_core_s'])} |")
hl = load("herald-load.json")
if hl and isinstance(hl.get("deliveries_per_s"), (int, float)):
    comp = hl.get("latency_ms", {}).get("completion", {})
    lines += ["", f"tools/herald-load, same shape, open loop at {hl.get('rate_per_s', 0):.1f} msgs/s: "
              f"{fmt(hl['deliveries_per_s'])} deliveries/s, completion p50 {comp.get('p50', 0):.0f} ms / "
              f"p99 {comp.get('p99', 0):.0f} ms (client-side), heraldd RSS "
              f"{fmt(hl.get('heraldd_rss_bytes_per_participant'))} B/participant, ok={hl.get('ok')}."]
    offered = hl.get("rate_per_s", 0) * hl.get("participants", 0)
    if offered and hl["deliveries_per_s"] < 0.95 * offered:
        lines += ["", f"That run offered {fmt(offered)} deliveries/s, more than herald-load can check on these two "
                  "cores next to heraldd (it parses every SEND's CPIM and checksums its body): its latency is the "
                  "load generator's backlog, not heraldd's."]
if batch and herald:
    lines += ["", f"The ceiling rows batch {phys['uring']['batch'] if phys['uring'] else '?'} frames per call (a sender "
              f"that always has a backlog). One message puts {batch['batch']} frames on each connection, so a fan-out "
              f"without a backlog coalesces at most that many: Herald reaches "
              f"{herald['deliveries_per_server_core_s'] / batch['frames_per_sender_core_s']:.1%} of that sender, "
              "while also reading and parsing a 200 for every SEND."]
lines += ["", "Raw JSON of every run is in `build/perf-rel/perf-raw/" + stamp + "/` on the machine that ran it.", ""]

zc = [(int(os.path.basename(p).split("-")[1]), load(os.path.basename(p)))
      for p in glob.glob(os.path.join(raw, "zc-*-uring.json"))]
zc = sorted((size, d, load(f"zc-{size}-uring-zc.json")) for size, d in zc if d)
if zc:
    lines += ["## Large bodies: sendmsg vs SENDMSG_ZC (physical-limit sender, 50 connections, 4 frames per call)", "",
              "CPU is sender and sink together: on loopback the copy zero-copy saves the sender is made when the "
              "data reaches the receiving socket.", "",
              "| body bytes | sendmsg frames/s | SENDMSG_ZC frames/s | ZC / sendmsg | sendmsg frames per CPU-s | "
              "ZC frames per CPU-s |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size, d, z in zc:
        per_cpu = lambda r: r["frames"] / (r["sender_cpu_s"] + r["sink_cpu_s"])
        if z:
            lines.append(f"| {size:,} | {fmt(d['frames_per_s'])} | {fmt(z['frames_per_s'])} | "
                         f"{z['frames_per_s'] / d['frames_per_s']:.2f} | {fmt(per_cpu(d))} | {fmt(per_cpu(z))} |")
        else:
            lines.append(f"| {size:,} | {fmt(d['frames_per_s'])} | not supported here | | {fmt(per_cpu(d))} | |")
    lines.append("")

if scale:
    lines += ["## Scaling (closed loop, 2 messages in flight)", "",
              "| participants | connections | deliveries/s | per server core-s | completion p50 ms | p99 ms | "
              "RSS bound KiB | RSS bytes/participant | setup s |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for d in scale:
        lines.append(f"| {d['participants']:,} | {d['connections']:,} | {fmt(d['deliveries_per_s'])} | "
                     f"{fmt(d['deliveries_per_server_core_s'])} | {d['completion_p50_ms']:.0f} | "
                     f"{d['completion_p99_ms']:.0f} | {d['rss_bound_kib']:,} | {d['rss_bytes_per_participant']:,.0f} | "
                     f"{d['setup_s']:.1f} |")
    lines += ["", "![scaling](" + stamp + "-scaling.png)", ""]

issue4 = [(label, load(f"issue4-{name}.json")) for name, label in (("closed", "closed loop, 2 in flight"),
                                                                     ("open", "open loop, 5 msgs/s"))]
if any(d for _, d in issue4):
    lines += ["## Issue #4 benchmark (100,000 participants over 1,000 connections, 2 shards)", "",
              "Written: API accept to the last frame's last byte handed to the kernel (issue #4's completion). "
              "Completion: to the last 200 received, which includes the single-threaded test client answering "
              "every SEND on the same two cores.", "",
              "| run | deliveries/s | per server core-s | written p50 ms | p99 ms | completion p50 ms | p99 ms | "
              "RSS bytes/participant |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, d in issue4:
        if d:
            lines.append(f"| {label} | {fmt(d['deliveries_per_s'])} | {fmt(d['deliveries_per_server_core_s'])} | "
                         f"{d.get('written_p50_ms', float('nan')):.0f} | {d.get('written_p99_ms', float('nan')):.0f} | "
                         f"{d['completion_p50_ms']:.0f} | {d['completion_p99_ms']:.0f} | "
                         f"{d['rss_bytes_per_participant']:,.0f} |")
    lines.append("")

if lat:
    driver = "tools/herald-load" if lat[0].get("source") == "herald-load" else "perf_herald_driver"
    lines += [f"## Latency under load ({lat[0]['participants']:,}-participant conference, open loop, {driver})", "",
              "Completion: from the message's scheduled send time to its last recipient's delivery. Where "
              "deliveries/s stops following the offered rate, the bottleneck is herald-load itself (it checks every "
              "delivery on the same two cores as heraldd); the closed-loop figures above are the server's.", "",
              "| offered msgs/s | deliveries/s | completion p50 ms | p99 ms |", "| ---: | ---: | ---: | ---: |"]
    for d in lat:
        lines.append(f"| {d['rate']:.1f} | {fmt(d['deliveries_per_s'])} | {d['completion_p50_ms']:.0f} | "
                     f"{d['completion_p99_ms']:.0f} |")
    lines += ["", "![latency](" + stamp + "-latency.png)", ""]

if callgrind.get("stamp_ir_per_recipient"):
    lines += ["## Instructions per delivery (callgrind)", "",
              f"`perf/callgrind.sh`: one system message to {callgrind.get('recipients')} recipients, counted by "
              "callgrind only inside the measured region (deterministic).", ""]
    if callgrind.get("engine_ir_per_delivery"):
        lines.append(f"- engine (send_system_message + shard::run_once, 200s included): "
                     f"**{int(callgrind['engine_ir_per_delivery']):,} instructions per delivery**")
    else:
        lines.append("- engine on a caller-run shard: not measured (" + callgrind.get("engine_error", "failed") +
                     "; see perf/README.md)")
    lines += [f"- frame_template::stamp (per-recipient header bytes): "
              f"**{int(callgrind['stamp_ir_per_recipient']):,} instructions per recipient**", ""]

lines += ["## Reproduce", "", "```sh", f"bash perf/run.sh{' --quick' if mode == 'quick' else ''}", "```", ""]
with open(os.path.join(out, stamp + ".md"), "w") as f:
    f.write("\n".join(lines))

if scale:
    fig, ax = plt.subplots(1, 3, figsize=(11, 3.2), dpi=80)
    xs = [d["participants"] for d in scale]
    ax[0].plot(xs, [d["deliveries_per_s"] for d in scale], "o-", label="wall")
    ax[0].plot(xs, [d["deliveries_per_server_core_s"] for d in scale], "s--", label="per server core-s")
    ax[0].set_title("deliveries/s")
    ax[0].legend(fontsize=7)
    ax[1].plot(xs, [d["completion_p99_ms"] for d in scale], "o-")
    ax[1].set_title("completion p99 (ms)")
    ax[2].plot(xs, [d["rss_bytes_per_participant"] for d in scale], "o-")
    ax[2].set_title("server RSS bytes / participant")
    for a in ax:
        a.set_xscale("log")
        a.set_xlabel("conference size")
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, stamp + "-scaling.png"))

if lat:
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=80)
    ax.plot([d["rate"] * d["participants"] for d in lat], [d["completion_p99_ms"] for d in lat], "o-", label="p99")
    ax.plot([d["rate"] * d["participants"] for d in lat], [d["completion_p50_ms"] for d in lat], "s--", label="p50")
    ax.set_xlabel("offered load (messages/s x participants)")
    ax.set_ylabel("completion (ms)")
    ax.set_title(f"latency under load, {lat[0]['participants']:,} participants")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, stamp + "-latency.png"))
