#!/usr/bin/env python3
"""Load on `spacesmith serve` (issue 9): N concurrent deploys of small projects through one gateway against
the hub-emulator binary, each to its own Space. Every deploy must end `running` with the right files on the
emulator. Prints p50/p99 latency (POST .../deploy to the deployment's `finished` event) and the gateway's
peak RSS (VmHWM). A figure, not a test: nothing here is timed against a goal.

    cargo build --release -p spacesmith -p hub-emulator
    python3 benches/gateway_bench.py            # BENCH_DEPLOYS=50 BENCH_SDK=static by default
"""

import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
BIN = TARGET / "release" / "spacesmith"
EMU = TARGET / "release" / "hub-emulator"
TOKEN = "hf_bench_gateway_token"
N = int(os.environ.get("BENCH_DEPLOYS", "50"))
SDK = os.environ.get("BENCH_SDK", "static")


def start(cmd, env, stream):
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = getattr(p, stream).readline()
    m = re.search(r"http://\S+", line)
    if not m:
        raise SystemExit(f"{cmd[0]} did not start: {line!r}")
    # Drain the other output so the process never blocks on a full pipe.
    for s in (p.stdout, p.stderr):
        threading.Thread(target=lambda s=s: [None for _ in s], daemon=True).start()
    return p, m.group(0)


def request(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"authorization": f"Bearer {TOKEN}", **(headers or {})})
    if data is not None:
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=300) as r:
        return r.status, r.read()


def wait_finished(gateway, events_url):
    req = urllib.request.Request(gateway + events_url, headers={"authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=600) as r:
        event = None
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("finished", "failed"):
                return event, json.loads(line[5:])


def peak_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    for b in (BIN, EMU):
        if not b.exists():
            raise SystemExit(f"{b} is missing: cargo build --release -p spacesmith -p hub-emulator")
    tmp = tempfile.mkdtemp(prefix="gateway-bench-")
    emu, emu_url = start([str(EMU), "--addr", "127.0.0.1:0", "--user", f"alice:{TOKEN}", "--build-seconds", "0.2"], dict(os.environ), "stdout")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "SPACESMITH_GATEWAY_KEYS")}
    env.update(HF_ENDPOINT=emu_url, SPACESMITH_DATA_DIR=f"{tmp}/data", SPACESMITH_CACHE_DIR=f"{tmp}/cache", TMPDIR=tmp)
    gw, gw_url = start([str(BIN), "serve", "--addr", "127.0.0.1:0", "-q"], env, "stderr")
    try:
        # Warm: the plugin cache and the first connection, outside the figures.
        request("POST", f"{gw_url}/v1/scaffold", {"sdk": SDK}, {"accept": "application/json"})
        latencies, failures = [0.0] * N, []
        barrier = threading.Barrier(N)

        def one(i):
            barrier.wait()
            t = time.perf_counter()
            try:
                status, body = request("POST", f"{gw_url}/v1/spaces/alice/bench-{i}/deploy", {"sdk": SDK, "title": f"Bench {i}"})
                assert status == 202, status
                event, data = wait_finished(gw_url, json.loads(body)["events_url"])
                latencies[i] = time.perf_counter() - t
                if event != "finished" or not data.get("success"):
                    failures.append((i, event, data))
            except Exception as e:  # noqa: BLE001 - reported below
                failures.append((i, "exception", repr(e)))

        load = open("/proc/loadavg").read().split()[0]
        t0 = time.perf_counter()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(N)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        rss = peak_rss_mib(gw.pid)
        # The remote state: every Space exists, runs, and has the scaffold's README.
        wrong = []
        with urllib.request.urlopen(f"{emu_url}/__emulator/state", timeout=60) as r:
            repos = {repo["id"]: repo for repo in json.load(r)["repos"]}
        for i in range(N):
            repo = repos.get(f"alice/bench-{i}")
            files = {f["path"] for f in repo["files"]} if repo else set()
            stage = repo["space"]["stage"] if repo else None
            if "README.md" not in files or stage != "RUNNING":
                wrong.append((i, sorted(files), stage))
        ok = N - len(failures)
        lat = sorted(latencies)
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
        print(f"{N} concurrent deploys ({SDK}) through one gateway, load {load} before:")
        print(f"  succeeded {ok}/{N}; remote state right for {N - len(wrong)}/{N}; wall {wall:.2f} s")
        print(f"  latency POST -> finished: p50 {p(0.50):.2f} s, p99 {p(0.99):.2f} s, max {lat[-1]:.2f} s")
        print(f"  gateway peak RSS {rss:.1f} MiB")
        if failures or wrong:
            print("failures:", failures[:5], "wrong remote state:", wrong[:5], file=sys.stderr)
            return 1
        return 0
    finally:
        gw.terminate()
        emu.terminate()


if __name__ == "__main__":
    sys.exit(main())
