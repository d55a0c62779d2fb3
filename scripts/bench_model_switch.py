#!/usr/bin/env python3
"""Time to switch models on a running Parley that serves several (see docs/benchmarks.md for the server).

    scripts/bench_model_switch.py [BASE_URL] [ROUNDS] [DEFAULT B C]

The server must serve DEFAULT (kept loaded), B and C (default names: a, b, c) with --models-max-loaded 2,
so that B and C cannot both stay loaded beside DEFAULT. Each timed request is one chat completion of one
token, wall time from send to the whole answer:
  loaded   - DEFAULT, already loaded: the answer alone;
  cold     - B after it was unloaded (Ollama keep_alive 0, /api/ps polled until it is gone): load + answer;
  evicting - B and C in turn: each load first unloads the other, least recently used (LRU eviction).
Prints min / median / max milliseconds per case. Standard library only.
"""
import json
import statistics
import sys
import time
import urllib.request

base = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080").rstrip("/")
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
default, b, c = sys.argv[3:6] if len(sys.argv) > 5 else ("a", "b", "c")


def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def loaded():
    with urllib.request.urlopen(base + "/api/ps") as r:
        return {m["name"] for m in json.load(r)["models"]}


def chat(model):
    start = time.perf_counter()
    post("/v1/chat/completions", {"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]})
    return (time.perf_counter() - start) * 1000


def unload(model):
    post("/api/generate", {"model": model, "prompt": "hi", "stream": False, "options": {"num_predict": 1}, "keep_alive": 0})
    deadline = time.time() + 30
    while model in loaded():
        if time.time() > deadline:
            sys.exit(f"{model} is still loaded 30 s after keep_alive 0")
        time.sleep(0.02)


chat(default)  # warm-up: the default model's first turn
cases = {"loaded": [], "cold": [], "evicting": []}
for _ in range(rounds):
    cases["loaded"].append(chat(default))
    unload(b)
    cases["cold"].append(chat(b))
    unload(b)
unload(c)
chat(b)
for _ in range(rounds):
    for model, other in ((c, b), (b, c)):
        assert other in loaded() and model not in loaded(), loaded()
        cases["evicting"].append(chat(model))
print(f"| case | requests | min ms | median ms | max ms |\n|---|---|---|---|---|")
for name, ms in cases.items():
    print(f"| {name} | {len(ms)} | {min(ms):.1f} | {statistics.median(ms):.1f} | {max(ms):.1f} |")
