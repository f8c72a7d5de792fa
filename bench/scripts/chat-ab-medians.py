"""Medians of chat-ab.sh's runs per configuration, and their ratios to ncat (else the last one listed; stdin: its lines)."""
import re
import statistics
import sys

runs = {}
for line in sys.stdin:
    m = re.match(r'round=\d+ cfg="(.*)" (.*)$', line.strip())
    if not m:
        continue
    fields = dict(kv.split("=", 1) for kv in m.group(2).split())
    try:
        row = {k: float(fields[k]) for k in ("delivered", "p50", "p99", "cpu", "other")}
    except (KeyError, ValueError):
        continue
    if row["delivered"] > 0:
        runs.setdefault(m.group(1), []).append(row)
if not runs:
    sys.exit(0)
med = {cfg: {k: statistics.median(r[k] for r in rows) for k in rows[0]} for cfg, rows in runs.items()}
last = "ncat" if "ncat" in med else list(med)[-1]
ref = med[last]
print(f"\n| configuration | runs | lines/s | ÷ {last} | p50 µs | p99 µs | ÷ {last} | CPU % | ÷ {last} | other CPU % (max) |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for cfg, v in med.items():
    mx = max(r["other"] for r in runs[cfg])
    ratio = lambda k: f"{v[k] / ref[k]:.2f}" if ref[k] else "-"
    print(f"| {cfg} | {len(runs[cfg])} | {v['delivered']:,.0f} | {ratio('delivered')} | {v['p50']:,.0f} | {v['p99']:,.0f} | {ratio('p99')} | {v['cpu']:.0f} | {ratio('cpu')} | {mx:.0f} |")
