#!/usr/bin/env python3
"""Tabulates scripts/bench-compare.sh results (one JSON object per run) as markdown: medians over repetitions."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = defaultdict(list)
for r in rows:
    by[(r["workload"], r["params"].split(" (")[0], r["label"])].append(r)


def med(workload, params, label, field):
    runs = by.get((workload, params, label), [])
    return statistics.median(r[field] for r in runs) if runs else float("nan")


def per_stream(workload, params, label, field):
    """Per-stream decode rate: 1000 / median inter-token gap (LoadGen reports gaps, not per-stream rates)."""
    itl = med(workload, params, label, "itl_p50_ms")
    return 1000.0 / itl if itl else float("nan")


def table(workload, title, fields):
    params = sorted({k[1] for k in by if k[0] == workload}, key=lambda p: [int(x) if x.isdigit() else x for x in p.replace("=", " ").split()])
    if not params:
        return
    no_reuse = any(k[0] == workload and k[2] == "parley-no-reuse" for k in by)
    print(f"\n### {title}\n")
    print("| case | metric | Parley | llama-server | Parley / llama-server |" + (" Parley, prefix reuse off |" if no_reuse else ""))
    print("|---|---|---|---|---|" + ("---|" if no_reuse else ""))
    for p in params:
        for field, name in fields:
            value = per_stream if field == "per_stream" else med
            a, b, c = (value(workload, p, label, field) for label in ("parley", "llama-server", "parley-no-reuse"))
            ratio = a / b if b else float("nan")
            print(f"| {p} | {name} | {a:.1f} | {b:.1f} | {ratio:.2f} |" + (f" {c:.1f} |" if no_reuse else ""))
    errors = sum(r["errors"] for k, runs in by.items() if k[0] == workload for r in runs)
    if errors:
        print(f"\n{errors} request(s) failed in this workload (see loadgen.err).")


table("multiturn", "Multi-turn conversations", [("ttft_p50_ms", "TTFT p50 ms"), ("ttft_p95_ms", "TTFT p95 ms"),
                                                  ("itl_p50_ms", "inter-token p50 ms"), ("tokens_per_s", "tokens/s")])
table("independent", "Independent prompts", [("tokens_per_s", "aggregate tokens/s"), ("per_stream", "per-stream tokens/s (1000 / ITL p50)"),
                                             ("ttft_p50_ms", "TTFT p50 ms"), ("itl_p95_ms", "inter-token p95 ms")])
table("longhistory", "Long-history continue", [("ttft_p50_ms", "TTFT ms")])

known = {"multiturn", "independent", "longhistory", "warm-up"}
for other in sorted({k[0] for k in by} - known):  # workloads this report has no table of its own for
    table(other, other, [("tokens_per_s", "tokens/s"), ("ttft_p50_ms", "TTFT p50 ms"), ("ttft_p95_ms", "TTFT p95 ms"),
                         ("itl_p50_ms", "inter-token p50 ms")])
