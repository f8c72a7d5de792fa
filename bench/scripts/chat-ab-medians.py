"""Medians of chat-ab.sh's runs per configuration, and their ratios to ncat (else the last one listed; stdin: its lines).

Each ratio is given twice: the ratio of the medians, then the median of the ratios within each round (both
configurations ran one after the other in that round, so a slow phase of the box hits both and cancels out).
"""
import re
import statistics
import sys

runs = {}
for line in sys.stdin:
    m = re.match(r'round=(\d+) cfg="(.*)" (.*)$', line.strip())
    if not m:
        continue
    fields = dict(kv.split("=", 1) for kv in m.group(3).split())
    try:
        row = {k: float(fields[k]) for k in ("delivered", "p50", "p99", "cpu", "other")}
    except (KeyError, ValueError):
        continue
    if row["delivered"] > 0:
        row["round"] = int(m.group(1))
        runs.setdefault(m.group(2), []).append(row)
if not runs:
    sys.exit(0)
keys = ("delivered", "p50", "p99", "cpu", "other")
med = {cfg: {k: statistics.median(r[k] for r in rows) for k in keys} for cfg, rows in runs.items()}
last = "ncat" if "ncat" in med else list(med)[-1]
ref = med[last]
ref_by_round = {r["round"]: r for r in runs[last]}


def ratio(cfg, k):
    """'ratio of medians; median of per-round ratios' against the reference configuration."""
    if not ref[k]:
        return "-"
    text = f"{med[cfg][k] / ref[k]:.2f}"
    if cfg == last:
        return text
    paired = [r[k] / ref_by_round[r["round"]][k] for r in runs[cfg] if ref_by_round.get(r["round"], {}).get(k)]
    return f"{text}; {statistics.median(paired):.2f}" if paired else text


print(f"\nRatios to {last}: of the medians; median of the per-round ratios.")
print(f"\n| configuration | runs | lines/s | ÷ {last} | p50 µs | p99 µs | ÷ {last} | CPU % | ÷ {last} | other CPU % (max) |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for cfg, v in med.items():
    mx = max(r["other"] for r in runs[cfg])
    print(f"| {cfg} | {len(runs[cfg])} | {v['delivered']:,.0f} | {ratio(cfg, 'delivered')} | {v['p50']:,.0f} | {v['p99']:,.0f} | {ratio(cfg, 'p99')} | {v['cpu']:.0f} | {ratio(cfg, 'cpu')} | {mx:.0f} |")
