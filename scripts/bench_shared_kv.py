#!/usr/bin/env python3
"""Time to continue a conversation on a replica that has never seen it: from the shared KV tier
(Redis on loopback, and a shared directory) against prefill.

  scripts/bench_shared_kv.py [--lengths 1000,4000,16000] [--reps 3] [-- SERVE FLAGS...]

Starts Redis (scripts/redis.sh) and five servers on loopback (./parley serve; without --model the tiny
demo model): a writer and a reader on Redis, a writer and a reader on a shared directory, and one
without a shared tier. For each length, a new conversation whose first turn is about that many tokens
goes to each writer; its second turn then goes to the readers and to the plain server, and the time
of that request (one generated token, so about its time to first token) is measured. Prints a
markdown table; --json writes the raw rows too.
"""
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        out = json.load(r)
    return out, (time.perf_counter() - t0) * 1000


def health(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as r:
        return json.load(r)


def wait_up(port, log, proc):
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        try:
            health(port)
            return
        except OSError:
            time.sleep(0.2)
    with open(log) as f:
        tail = f.readlines()[-20:]
    raise SystemExit(f"the server on {port} did not start:\n" + "".join(tail))


def text(tokens, seed):
    words = ["harbour", "lantern", "granite", "meadow", "copper", "violet", "thunder", "orchard", "saffron", "glacier",
             "mosaic", "falcon", "ember", "willow", "quartz", "canyon", "marble", "tundra", "pepper", "cobalt"]
    rnd = random.Random(seed)
    return " ".join(rnd.choice(words) for _ in range(tokens))


def main(argv):
    lengths, reps, serve, out_json = [1000, 4000, 16000], 3, [], None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--lengths":
            lengths = [int(x) for x in argv[i + 1].split(",")]
            i += 2
        elif a == "--reps":
            reps = int(argv[i + 1])
            i += 2
        elif a == "--json":
            out_json = argv[i + 1]
            i += 2
        elif a == "--":
            serve = argv[i + 1:]
            break
        else:
            sys.exit(__doc__)
    work = tempfile.mkdtemp(prefix="parley-bench-shared-")
    shared_dir = os.path.join(work, "shared")
    os.makedirs(shared_dir)
    redis_dir = os.path.join(work, "redis")
    redis_url = subprocess.check_output([os.path.join(HERE, "redis.sh"), "start", redis_dir, str(free_port())], text=True).strip()
    ctx = str(max(lengths) * 2 + 2048)
    roles = {"redis-writer": redis_url, "redis-reader": redis_url, "file-writer": "file://" + shared_dir,
             "file-reader": "file://" + shared_dir, "plain": None}
    procs, ports = [], {}
    try:
        for name, url in roles.items():
            port = free_port()
            ports[name] = port
            args = [os.path.join(ROOT, "parley"), "serve", "--port", str(port), "--slots", "1", "--ctx-size", ctx,
                    "--data-dir", os.path.join(work, name), "--no-kv-disk"] + (["--kv-shared", url] if url else []) + serve
            log = os.path.join(work, name + ".log")
            procs.append(subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT))
            # One at a time: the first may build the jar (./parley serve rebuilds stale sources), which must not run five times at once.
            wait_up(port, log, procs[-1])
        for port in ports.values():  # a first request pays for lazy initialisation: not part of any figure
            post(port, {"messages": [{"role": "user", "content": "warm up"}], "max_tokens": 1})
        rows = []
        for n in lengths:
            for rep in range(reps):
                row = {"length": n, "rep": rep}
                for backend in ("redis", "file"):
                    seed = n * 100 + rep * 10 + (1 if backend == "redis" else 2)
                    history = [{"role": "system", "content": text(n, seed)}, {"role": "user", "content": "Summarise."}]
                    first, _ = post(ports[backend + "-writer"], {"messages": history, "max_tokens": 8, "temperature": 0})
                    history += [{"role": "assistant", "content": first["choices"][0]["message"]["content"]},
                                {"role": "user", "content": "And then?"}]
                    deadline = time.time() + 60
                    while health(ports[backend + "-writer"])["kv_shared"]["queued"] > 0 and time.time() < deadline:
                        time.sleep(0.01)
                    time.sleep(0.2)  # the write in flight lands
                    read_before = health(ports[backend + "-reader"])["kv_shared"]["bytes_read"]
                    second, ms = post(ports[backend + "-reader"], {"messages": history, "max_tokens": 1, "temperature": 0})
                    u = second["usage"]
                    row[backend + "_ms"] = ms
                    row[backend + "_cached"] = u["prompt_tokens_details"]["cached_tokens"]
                    row[backend + "_prompt_tokens"] = u["prompt_tokens"]
                    row[backend + "_state_bytes"] = health(ports[backend + "-reader"])["kv_shared"]["bytes_read"] - read_before
                    if backend == "redis":
                        _, row["prefill_ms"] = post(ports["plain"], {"messages": history, "max_tokens": 1, "temperature": 0})
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
        if out_json:
            with open(out_json, "w") as f:
                for r in rows:
                    f.write(json.dumps(r) + "\n")
        print("| history tokens | state MiB | prefill ms | from the shared tier on Redis ms (cached tokens) | from the shared directory ms (cached tokens) |")
        print("|---|---|---|---|---|")
        for n in lengths:
            rs = [r for r in rows if r["length"] == n]
            med = lambda k: sorted(r[k] for r in rs)[len(rs) // 2]
            print(f"| {med('redis_prompt_tokens')} | {med('redis_state_bytes') / 2**20:.1f} | {med('prefill_ms'):.0f} | "
                  f"{med('redis_ms'):.0f} ({med('redis_cached')}) | {med('file_ms'):.0f} ({med('file_cached')}) |")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.call([os.path.join(HERE, "redis.sh"), "stop", redis_dir])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
