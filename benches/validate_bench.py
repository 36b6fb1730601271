#!/usr/bin/env python3
"""`spacesmith validate --json` on a generated 50,000-file repository: wall time and peak RSS.

The repository is a real docker Space (`spacesmith new --sdk docker`) grown to 50,000 files: a source
tree nested five levels deep, a `node_modules`-like tree and build output that `.gitignore` excludes,
logs excluded by a glob with a negation, a nested `.gitignore`, a few files over the text cap and over
the LFS threshold, and a `.git` directory. The plugin cache is warmed first, so the runs measure
validation, not compilation. Peak RSS comes from wait4's rusage of each run.
"""
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
# BENCH_BIN measures another build (e.g. a baseline commit's binary) on the same repository.
BIN = pathlib.Path(os.environ.get("BENCH_BIN") or ROOT / "target" / "release" / "spacesmith")
TOTAL_FILES = 50_000
GOAL_SECONDS = 2.0
# Bounded: what validate keeps is the text it checks (capped per file and in all), not the repository.
GOAL_RSS_MIB = 256


def generate(repo, env):
    subprocess.run([str(BIN), "new", str(repo), "--sdk", "docker", "--title", "Big Space"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    count = sum(1 for p in repo.rglob("*") if p.is_file())
    with open(repo / ".gitignore", "a") as f:
        f.write("node_modules/\nbuild/\n*.log\n!keep.log\n")
    (repo / "src").mkdir()
    (repo / "src" / ".gitignore").write_text("*.tmp\n")
    count += 1
    big = {"data/model.bin": 12 << 20, "data/weights.safetensors": 24 << 20, "data/corpus.txt": 3 << 20}
    for rel, size in big.items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "wb") as f:
            chunk = (b"\0\1\2\3" if rel.endswith((".bin", ".safetensors")) else b"lorem ipsum dolor\n") * 4096
            while f.tell() < size:
                f.write(chunk)
        count += 1
    git = repo / ".git"
    (git / "info").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "info" / "exclude").write_text("*.swp\n")
    count += 2
    ignored = 10_000
    body = b"module.exports = function () { return 42; };\n" * 20
    for i in range(ignored):
        d = repo / "node_modules" / f"pkg{i // 100}" / "lib"
        if i % 100 == 0:
            d.mkdir(parents=True)
        (d / f"f{i % 100}.js").write_bytes(body)
    count += ignored
    for i in range(500):
        (repo / "build").mkdir(exist_ok=True)
        (repo / "build" / f"out{i}.js").write_bytes(body)
        (repo / f"run{i}.log").write_text("log line\n")
    count += 1000
    source = b"import os\n\n\ndef handler(x):\n    return os.environ.get('PORT', 7860) + x\n" * 8
    i = 0
    while count < TOTAL_FILES:
        d = repo / "src" / f"a{i // 4000}" / f"b{i // 400 % 10}" / f"c{i // 40 % 10}" / f"d{i // 4 % 10}"
        if i % 4 == 0:
            d.mkdir(parents=True)
        ext = (".py", ".md", ".json", ".tmp")[i % 4]
        (d / f"m{i}{ext}").write_bytes(source)
        i += 1
        count += 1
    return count


def run(cmd, env):
    """(wall seconds, peak RSS in MiB, stdout) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out, proc.returncode


def main():
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    work = pathlib.Path(tempfile.mkdtemp(prefix="spacesmith-validate-bench-"))
    try:
        env = dict(os.environ, SPACESMITH_CACHE_DIR=str(work / "cache"))
        repo = work / "big-space"
        t = time.perf_counter()
        files = generate(repo, env)
        generated = time.perf_counter() - t
        cmd = [str(BIN), "validate", "--json", str(repo)]
        run(cmd, env)  # warms the compiled-plugin cache
        walls, rss = [], []
        for _ in range(rounds):
            wall, peak, out, code = run(cmd, env)
            walls.append(wall)
            rss.append(peak)
        report = json.loads(out)
        if code not in (0, 1):
            print(f"validate exited {code}: {out[:500]!r}")
            return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)

    wall, peak = statistics.median(walls), max(rss)
    print(f"\nvalidate --json on a {files:,}-file repository (generated in {generated:.1f} s), {rounds} runs")
    print(f"  {'wall time, median':<44}{wall * 1e3:8.0f} ms")
    print(f"  {'wall time, slowest':<44}{max(walls) * 1e3:8.0f} ms")
    print(f"  {'peak RSS, largest':<44}{peak:8.1f} MiB")
    print(f"  {'findings (errors/warnings/infos)':<44}{report['errors']}/{report['warnings']}/{report['infos']}")
    goals = [(f"validate 50,000 files < {GOAL_SECONDS:.0f} s", wall < GOAL_SECONDS),
             (f"validate peak RSS <= {GOAL_RSS_MIB} MiB", peak <= GOAL_RSS_MIB)]
    for name, ok in goals:
        print(f"  goal {name:<39}{'met' if ok else 'MISSED'}")
    return 0 if all(ok for _, ok in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
