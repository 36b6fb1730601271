#!/usr/bin/env python3
"""Two builds of spacesmith side by side: `new` (docker, gradio, streamlit) and `validate`, interleaved
round by round so machine noise hits both alike; medians and the change in percent.

    python3 benches/compare.py BASELINE_BIN [CURRENT_BIN]     # CURRENT_BIN: target/release/spacesmith

BENCH_ROUNDS sets the rounds (default 60). Each build keeps its own warm plugin cache.
"""
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SDKS = ("docker", "gradio", "streamlit")


def timed(binary, args, cache):
    env = dict(os.environ, SPACESMITH_CACHE_DIR=str(cache))
    start = time.perf_counter()
    subprocess.run([binary, *args], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    builds = {"baseline": sys.argv[1], "current": sys.argv[2] if len(sys.argv) == 3 else str(ROOT / "target/release/spacesmith")}
    rounds = int(os.environ.get("BENCH_ROUNDS", "60"))
    work = pathlib.Path(tempfile.mkdtemp(prefix="spacesmith-compare-"))
    times = {}
    try:
        for name, binary in builds.items():
            # Warm-up: compiles the plugins into this build's cache and leaves projects to validate.
            for sdk in SDKS:
                timed(binary, ["new", str(work / name / sdk), "--sdk", sdk, "--title", "Bench"], work / f"cache-{name}")
        for i in range(rounds):
            for name, binary in builds.items():
                cache = work / f"cache-{name}"
                for sdk in SDKS:
                    out = work / f"out-{name}-{i}-{sdk}"
                    times.setdefault(f"new {sdk}", {}).setdefault(name, []).append(
                        timed(binary, ["new", str(out), "--sdk", sdk, "--title", "Bench"], cache))
                    shutil.rmtree(out)
                for sdk in ("docker", "gradio"):
                    times.setdefault(f"validate {sdk}", {}).setdefault(name, []).append(
                        timed(binary, ["validate", str(work / name / sdk)], cache))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"medians of {rounds} interleaved rounds; baseline {builds['baseline']}, current {builds['current']}")
    for what, by in times.items():
        base, cur = statistics.median(by["baseline"]), statistics.median(by["current"])
        print(f"  {what:18} baseline {base * 1e3:7.2f} ms   current {cur * 1e3:7.2f} ms   {100 * (cur / base - 1):+6.1f} %")


if __name__ == "__main__":
    main()
