#!/usr/bin/env python3
"""Upload figures of `spacesmith deploy` against the hub emulator binary, with huggingface_hub side by side.

1. 1,000 small files: `spacesmith deploy --no-wait` (create + plan + one commit) vs `HfApi.create_repo` +
   `upload_folder` to the same emulator, each into a fresh Space. Wall-clock medians of BENCH_ROUNDS rounds.
2. One big file (BENCH_BIG_MIB, default 1024 MiB, random bytes): deploy throughput and peak RSS
   (`/usr/bin/time -v`), next to this machine's sha256 rate and a loopback PUT of the same bytes to the
   emulator's LFS target, the limit an upload that hashes then sends cannot beat.
3. A re-deploy with one changed file: bytes the emulator received (its request log), against the file size.

Figures only: nothing here asserts a time.
"""
import hashlib
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BIN = TARGET / "release" / "spacesmith"
EMU = TARGET / "release" / "hub-emulator"
USER, TOKEN = "bench", "hf_bench_token_0123456789"
README = "---\ntitle: Bench\nemoji: 🚀\ncolorFrom: blue\ncolorTo: green\nsdk: static\n---\n# Bench\n"


def start_emulator():
    proc = subprocess.Popen(
        [str(EMU), "--addr", "127.0.0.1:0", "--user", f"{USER}:{TOKEN}", "--build-seconds", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    first = proc.stdout.readline().strip()
    m = re.match(r"listening on (http://\S+)", first)
    if not m:
        proc.kill()
        sys.exit(f"hub-emulator did not start: {first!r}")
    return proc, m.group(1)


def control(url, method, path):
    req = urllib.request.Request(f"{url}/__emulator/{path}", method=method)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def env_for(url):
    env = dict(os.environ)
    for k in ("HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HUGGINGFACE_CO_STAGING"):
        env.pop(k, None)
    env.update(HF_ENDPOINT=url, HF_TOKEN=TOKEN, HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_TELEMETRY="1", NO_COLOR="1")
    env.setdefault("SPACESMITH_CACHE_DIR", str(TARGET / "test-plugin-cache"))
    return env


def deploy_cmd(folder, space):
    return [str(BIN), "deploy", str(folder), "--space", space, "--no-wait"]


def timed(cmd, env):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def small_folder(root, n=1000):
    root.mkdir(parents=True)
    (root / "README.md").write_text(README)
    (root / "index.html").write_text("<h1>bench</h1>\n")
    for i in range(n):
        d = root / "data" / f"{i % 20:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"file-{i:04d}.txt").write_text(f"file {i}\n" + "x" * (200 + i % 300) + "\n")


def hf_upload(url, folder, space):
    from huggingface_hub import HfApi

    api = HfApi(endpoint=url, token=TOKEN)
    api.create_repo(space, repo_type="space", space_sdk="static", private=True)
    api.upload_folder(folder_path=str(folder), repo_id=space, repo_type="space")


def time_python(url, folder, space, env):
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'benches')!r}); import hub_bench; hub_bench.hf_upload({url!r}, {str(folder)!r}, {space!r})"
    return timed([sys.executable, "-c", code], env)


def mib_s(nbytes, seconds):
    return nbytes / (1 << 20) / seconds


def main():
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    big_mib = int(os.environ.get("BENCH_BIG_MIB", "1024"))
    work = pathlib.Path(tempfile.mkdtemp(prefix="spacesmith-hub-bench-"))
    proc, url = start_emulator()
    env = env_for(url)
    try:
        folder = work / "small"
        small_folder(folder)
        ours, theirs = [], []
        for r in range(rounds):
            ours.append(timed(deploy_cmd(folder, f"{USER}/ss-small-{r}"), env))
            theirs.append(time_python(url, folder, f"{USER}/hf-small-{r}", env))
        o, t = statistics.median(ours), statistics.median(theirs)
        print(f"1,000 small files, create + upload (median of {rounds}):")
        print(f"  spacesmith deploy --no-wait      {o * 1e3:9.1f} ms")
        print(f"  huggingface_hub upload_folder    {t * 1e3:9.1f} ms   ({t / o:.1f}x slower)")

        # One changed file: what the emulator receives.
        changed = folder / "data" / "07" / "file-0007.txt"
        changed.write_text(changed.read_text() + "changed\n")
        control(url, "DELETE", "requests")
        subprocess.run(deploy_cmd(folder, f"{USER}/ss-small-0"), check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reqs = control(url, "GET", "requests")
        received = sum(r.get("bytesReceived") or 0 for r in reqs)
        size = changed.stat().st_size
        print(f"re-deploy of one changed file ({size} B): {len(reqs)} requests, {received} B received "
              f"({received - size:+d} B over the file; goal ≤ +10240)")

        # One big file.
        big_dir = work / "big"
        big_dir.mkdir()
        (big_dir / "README.md").write_text(README)
        (big_dir / "index.html").write_text("<h1>big</h1>\n")
        big = big_dir / "big.bin"
        with open(big, "wb") as f:
            for _ in range(big_mib):
                f.write(os.urandom(1 << 20))
        nbytes = big.stat().st_size
        start = time.perf_counter()
        h = hashlib.sha256()
        with open(big, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        sha_s = time.perf_counter() - start
        tv = subprocess.run(["/usr/bin/time", "-v"] + deploy_cmd(big_dir, f"{USER}/ss-big"), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True).stderr
        elapsed = tv_field(tv, "Elapsed (wall clock) time")
        rss_kib = int(tv_field(tv, "Maximum resident set size (kbytes)"))
        secs = wall_seconds(elapsed)
        # Loopback: PUT the bytes to the emulator's basic LFS target (it checks the sha256 on receipt).
        # After the deploy, so the deploy's upload is not answered "already stored".
        oid = h.hexdigest()
        from huggingface_hub import HfApi

        HfApi(endpoint=url, token=TOKEN).create_repo(f"{USER}/loopback", repo_type="space", space_sdk="static")
        start = time.perf_counter()
        with open(big, "rb") as f:
            req = urllib.request.Request(
                f"{url}/__lfs/upload/spaces/{USER}/loopback/{oid}", data=f, method="PUT",
                headers={"Content-Length": str(nbytes), "Content-Type": "application/octet-stream"},
            )
            try:
                urllib.request.urlopen(req).read()
            except urllib.error.HTTPError:
                pass  # a refusal after reading still measured the bytes crossing the socket
        put_s = time.perf_counter() - start
        limit = nbytes / (sha_s + put_s)
        print(f"{big_mib} MiB file: deploy {secs:.2f} s = {mib_s(nbytes, secs):.0f} MiB/s, peak RSS {rss_kib / 1024:.1f} MiB")
        print(f"  limit: sha256 {mib_s(nbytes, sha_s):.0f} MiB/s (python hashlib), loopback PUT {mib_s(nbytes, put_s):.0f} MiB/s, "
              f"hash-then-send {limit / (1 << 20):.0f} MiB/s -> deploy at {100 * (nbytes / secs) / limit:.0f}% of it")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def tv_field(text, name):
    for line in text.splitlines():
        if line.strip().startswith(name):
            return line.split(": ", 1)[1].strip()
    raise SystemExit(f"/usr/bin/time -v printed no {name!r}:\n{text}")


def wall_seconds(s):
    parts = [float(p) for p in s.split(":")]
    secs = 0.0
    for p in parts:
        secs = secs * 60 + p
    return secs


if __name__ == "__main__":
    main()
