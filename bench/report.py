"""Turns bench/run's RESULT lines into bench/RESULTS.md (stdout) and a plot of throughput and p99
against connections. Arguments: results ceiling tasks scale duration peak-rss-KiB plot.png
pgbench-tps postgres-pool-connections"""
import datetime
import os
import platform
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

results, ceiling, tasks, scale, duration, rss_kib, plot, pg_ceiling, pg_connections = sys.argv[1:10]
ceiling, rss_mib = float(ceiling), int(rss_kib) / 1024
rows = {}
for line in open(results):
    name, connections, _, *fields = line.split()
    values = dict(field.split("=") for field in fields)
    seconds = int(values["duration_us"]) / 1e6
    ok = int(values["requests"]) - int(values["non2xx"])
    rows[(name, int(connections))] = {
        "rate": ok / seconds, "non2xx": int(values["non2xx"]), "errors": int(values["socket_errors"]),
        "p50": int(values["p50_us"]) / 1000, "p99": int(values["p99_us"]) / 1000,
    }

health = rows[("healthz", 64)]["rate"]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print("# Benchmark results\n")
print(f"Machine: {os.cpu_count()} cores, {cpu}. Date: {datetime.date.today()}. {int(tasks):,} tasks in the store "
      f"(then {int(scale):,}), {duration} s per run, wrk on loopback sharing the cores, release build, SQLite in WAL "
      f"with synchronous=FULL. Only 2xx count.\n")
print("| figure | Taskport | ceiling | ratio | target | non-2xx | p50 | p99 |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
print(f"| disk: one-row UPDATE commits/s (bench/ceiling.c) | | {ceiling:.0f} | | | | | |")


def row(label, rate, versus, versus_label, target, data):
    ratio = rate / versus
    print(f"| {label} | {rate:.0f} | {versus:.0f} ({versus_label}) | {ratio:.2f} | {target} | {data['non2xx']} | "
          f"{data['p50']:.1f} ms | {data['p99']:.1f} ms |")


row("/healthz @ 64, req/s", health, health, "itself", "shown beside PUT", rows[("healthz", 64)])
for (name, connections), data in rows.items():
    if name == "native-patch":
        target = "1: ≥ 1.00" if connections == 64 else ("2: p99 ≤ 10 ms" if connections == 16 else "")
        row(f"native PATCH @ {connections}, 2xx/s", data["rate"], ceiling, "disk", target, data)
        if connections == 64:
            row("native PATCH @ 64 vs /healthz", data["rate"], health, "/healthz", "", data)
native = rows[("native-patch", 64)]
# The vendors ran between two native runs at 64; they are held to the mean of the two (the store
# grows through the runs, and the second native run is usually the slower).
after = rows.get(("native-patch-after", 64))
if after:
    row("native PATCH @ 64 after the vendors' runs, 2xx/s", after["rate"], native["rate"], "native PATCH @ 64 before", "", after)
reference = (native["rate"] + after["rate"]) / 2 if after else native["rate"]
reference_label = "mean of native PATCH @ 64 before and after" if after else "native PATCH @ 64"
for name, label in [("rollout-put", "Rollout PUT"), ("thena-put", "Thena PUT"), ("nexudus-put", "Nexudus PUT")]:
    if (name, 64) in rows:
        row(f"{label} @ 64, 2xx/s", rows[(name, 64)]["rate"], reference, reference_label, "3: ≥ 0.80", rows[(name, 64)])
small = rows[("native-patch", 64)]
large = rows[("native-patch-at-scale", 64)]
row(f"native PATCH @ 64 with {int(scale):,} tasks, 2xx/s", large["rate"], small["rate"], f"{int(tasks):,} tasks",
    "5: ≥ 0.90", large)
first, deep = rows[("first-page", 4)], rows[("deep-page", 4)]
print(f"| list page 50 deep in {int(scale):,} tasks (keyset), p50 | {deep['p50']:.2f} ms | {first['p50']:.2f} ms (first page) "
      f"| {deep['p50'] / first['p50']:.2f} | ≤ 2.00 | {deep['non2xx']} | | {deep['p99']:.1f} ms |")
if ("console-first-page", 4) in rows and ("console-deep-page", 4) in rows:
    cfirst, cdeep = rows[("console-first-page", 4)], rows[("console-deep-page", 4)]
    print(f"| console task list, page {int(scale) * 9 // 10:,} tasks into {int(scale):,}, p50 | {cdeep['p50']:.2f} ms | "
          f"{cfirst['p50']:.2f} ms (first page) | {cdeep['p50'] / cfirst['p50']:.2f} | ≤ 2.00 | {cdeep['non2xx']} | | {cdeep['p99']:.1f} ms |")
    print(f"| console task list, first page, p50 | {cfirst['p50']:.2f} ms | {first['p50']:.2f} ms (API first page) "
          f"| {cfirst['p50'] / first['p50']:.2f} | | {cfirst['non2xx']} | | {cfirst['p99']:.1f} ms |")
print(f"| peak RSS of the server (VmHWM), whole run | {rss_mib:.0f} MiB | 150 MiB | {rss_mib / 150:.2f} | ≤ 1.00 | | | |")
pg = rows[("postgres-native-patch", 64)]
row(f"PostgreSQL: native PATCH @ 64 ({pg_connections}-connection pool), 2xx/s", pg["rate"], float(pg_ceiling),
    "pgbench UPDATE by key @ 64", "4: ≥ 0.25", pg)
print("\nPostgreSQL: a throwaway cluster made by the run (Debian's build, default settings, fsync on) on the same disk, "
      f"{int(tasks):,} tasks loaded through the store just before. Per update the server sends one statement "
      "(the write with its audit and outbox rows) for a task it read or wrote before, two (the task read, then the write) "
      "for one it has not; API keys come from its directory cache. pgbench sends one from C. Where the time goes: `bench/README.md`. Plot: `bench/results.png`.")

sweep = sorted((c, d) for (n, c), d in rows.items() if n == "native-patch")
figure, throughput = plt.subplots(figsize=(7, 4))
throughput.plot([c for c, _ in sweep], [d["rate"] for _, d in sweep], "o-", label="native PATCH 2xx/s")
throughput.axhline(ceiling, linestyle="--", color="gray", label="disk ceiling (commits/s)")
throughput.set_xscale("log", base=2)
throughput.set_xlabel("connections")
throughput.set_ylabel("successful updates per second")
latency = throughput.twinx()
latency.plot([c for c, _ in sweep], [d["p99"] for _, d in sweep], "s-", color="tab:red", label="p99 (ms)")
latency.set_ylabel("p99 latency (ms)")
lines = throughput.get_legend_handles_labels()[0] + latency.get_legend_handles_labels()[0]
labels = throughput.get_legend_handles_labels()[1] + latency.get_legend_handles_labels()[1]
throughput.legend(lines, labels, loc="upper left", fontsize="small")
throughput.set_title(f"Taskport update path, {int(tasks):,} tasks, synchronous=FULL")
figure.tight_layout()
figure.savefig(plot, dpi=110)
