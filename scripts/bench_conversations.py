#!/usr/bin/env python3
"""Tabulates the many-conversations suite of scripts/bench-compare.sh --conversations as markdown."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
runs = [r for r in rows if r["workload"] == "conversations"]


def find(label, turns=None):
    for r in runs:
        if r["label"] == label and (turns is None or r["params"].split(" ")[1] == "turns=" + turns):
            return r
    return None


def row(name, r, ref):
    if r is None:
        return
    ratio = lambda f: f"{r[f] / ref[f]:.2f}" if ref and ref[f] else "-"
    print(f"| {name} | {r['wall_s']:.1f} ({ratio('wall_s')}) | {r['ttft_p50_ms']:.0f} ({ratio('ttft_p50_ms')}) "
          f"| {r['ttft_p90_ms']:.0f} ({ratio('ttft_p90_ms')}) | {r['prompt_evaluated_per_request']:.0f} | {r['errors']} |")


print("\n### Many conversations on few slots\n")
print("| server | total s (x llama-server) | TTFT p50 ms (x) | TTFT p90 ms (x) | prompt tokens evaluated / request | errors |")
print("|---|---|---|---|---|---|")
ref = find("llama-server")
for label, name in [("llama-server", "llama-server (RAM prompt cache on)"), ("parley", "Parley, KV tiers on"),
                    ("parley-tiers-off", "Parley, tiers off"), ("ideal", "ideal: one slot per user (only new tokens prefilled)"),
                    ("by-memory", "Parley, one sequence per user in the same KV memory")]:
    row(name, find(label), ref)
first = find("parley") or find("llama-server")
if first:
    print("\nTTFT p50 ms by turn:\n")
    labels = [l for l in ["llama-server", "parley", "parley-tiers-off", "ideal", "by-memory"] if find(l)]
    print("| turn | " + " | ".join(labels) + " |")
    print("|---" * (len(labels) + 1) + "|")
    for t in sorted(first["ttft_p50_ms_by_turn"], key=int):
        print(f"| {t} | " + " | ".join(f"{find(l)['ttft_p50_ms_by_turn'][t]:.0f}" for l in labels) + " |")

ls, pa = find("llama-server-restart", "5-8"), find("parley-restart", "5-8")
if ls and pa:
    a, b = pa["ttft_p50_ms_by_turn"]["5"], ls["ttft_p50_ms_by_turn"]["5"]
    print("\n### Restart between turns 4 and 5\n")
    print("| server | turn 5 TTFT p50 ms | turns 5-8 TTFT p50 ms | prompt tokens evaluated / request (turns 5-8) |")
    print("|---|---|---|---|")
    print(f"| llama-server | {b:.0f} | {ls['ttft_p50_ms']:.0f} | {ls['prompt_evaluated_per_request']:.0f} |")
    print(f"| Parley | {a:.0f} ({a / b:.2f}x) | {pa['ttft_p50_ms']:.0f} | {pa['prompt_evaluated_per_request']:.0f} |")

ls, pa = find("llama-server-ram"), find("parley-ram")
if ls and pa:
    print("\n### More conversations than the RAM cache holds\n")
    print("| server | total s | TTFT p50 ms | TTFT p90 ms | prompt tokens evaluated / request | errors |")
    print("|---|---|---|---|---|---|")
    row("llama-server", ls, ls)
    row("Parley (RAM tier, then disk)", pa, ls)
