#!/usr/bin/env python3
"""Embeddings throughput of a running Parley: POST /v1/embeddings for a few seconds per setting.

    scripts/bench_embeddings.py [BASE_URL] [SECONDS]

Each input is the same ~50-token text; a setting is (inputs per request, concurrent clients). Prints
inputs/s and tokens/s (the server's usage.prompt_tokens) per setting. Standard library only.
"""
import concurrent.futures as cf
import json
import sys
import time
import urllib.request

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
url = base.rstrip("/") + "/v1/embeddings"
text = " ".join(["The quick brown fox jumps over the lazy dog."] * 5)


def call(n):
    body = json.dumps({"input": [text] * n, "encoding_format": "float"}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["usage"]["prompt_tokens"]


call(1)  # warm-up
print("| inputs/request | clients | inputs/s | tokens/s |\n|---|---|---|---|")
for batch, clients in [(1, 1), (16, 1), (1, 4), (16, 4)]:
    start, tokens, requests = time.time(), 0, 0
    with cf.ThreadPoolExecutor(clients) as pool:
        while time.time() - start < seconds:
            for t in pool.map(call, [batch] * clients):
                tokens += t
                requests += 1
    dt = time.time() - start
    print(f"| {batch} | {clients} | {requests * batch / dt:.1f} | {tokens / dt:.0f} |")
