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


def table(workload, title, fields):
    params = sorted({k[1] for k in by if k[0] == workload}, key=lambda p: [int(x) if x.isdigit() else x for x in p.replace("=", " ").split()])
    print(f"\n### {title}\n")
    print("| case | metric | Parley | llama-server | Parley / llama-server | Parley, prefix reuse off |")
    print("|---|---|---|---|---|---|")
    for p in params:
        for field, name in fields:
            a, b, c = med(workload, p, "parley", field), med(workload, p, "llama-server", field), med(workload, p, "parley-no-reuse", field)
            ratio = a / b if b else float("nan")
            print(f"| {p} | {name} | {a:.1f} | {b:.1f} | {ratio:.2f} | {c:.1f} |")
    errors = sum(r["errors"] for k, runs in by.items() if k[0] == workload for r in runs)
    if errors:
        print(f"\n{errors} request(s) failed in this workload (see loadgen.err).")


table("multiturn", "Multi-turn conversations", [("ttft_p50_ms", "TTFT p50 ms"), ("ttft_p95_ms", "TTFT p95 ms"),
                                                  ("itl_p50_ms", "inter-token p50 ms"), ("tokens_per_s", "tokens/s")])
table("independent", "Independent prompts", [("tokens_per_s", "aggregate tokens/s"), ("ttft_p50_ms", "TTFT p50 ms"),
                                             ("itl_p95_ms", "inter-token p95 ms")])
table("longhistory", "Long-history continue", [("ttft_p50_ms", "TTFT ms")])
