#!/usr/bin/env python3
"""End-to-end timings of the spacesmith binary, with cookiecutter rendering an equivalent template.

The cookiecutter template is built from spacesmith's own docker output (same files, same bytes, the
title and slug as variables), and both outputs are compared byte for byte, so the two tools do the
same job. Wall-clock medians of whole processes, as a user runs them.
"""
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
# BENCH_BIN compares another build (e.g. a baseline commit's binary) with the same workload.
BIN = pathlib.Path(os.environ.get("BENCH_BIN") or ROOT / "target" / "release" / "spacesmith")
COOKIECUTTER = pathlib.Path(sys.executable).parent / "cookiecutter"
TITLE, SLUG = "Bench Space", "bench-space"


def timed(cmd, env=None):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def env_with(cache):
    env = dict(os.environ)
    env["SPACESMITH_CACHE_DIR"] = str(cache)
    return env


def new_cmd(out, sdk="docker"):
    return [str(BIN), "new", str(out / SLUG), "--sdk", sdk, "--title", TITLE]


def tree(root):
    return {p.relative_to(root).as_posix(): (p.read_bytes(), os.access(p, os.X_OK)) for p in sorted(root.rglob("*")) if p.is_file()}


def ms(seconds):
    return f"{seconds * 1e3:8.2f} ms"


def build_template(generated, template):
    """A cookiecutter template whose output equals `generated` for title/slug."""
    jinja = re.compile(r"(\{\{|\}\}|\{%|%\}|\{#|#\})")
    template.mkdir(parents=True, exist_ok=True)
    (template / "cookiecutter.json").write_text(f'{{"title": "{TITLE}", "project_slug": "{SLUG}"}}\n')
    body = template / "{{cookiecutter.project_slug}}"
    for rel, (data, executable) in tree(generated).items():
        text = jinja.sub(lambda m: "{{ '" + m.group(0) + "' }}", data.decode())
        text = text.replace(TITLE, "{{ cookiecutter.title }}").replace(SLUG, "{{ cookiecutter.project_slug }}")
        dest = body / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
        if executable:
            dest.chmod(0o755)


def main():
    rounds = int(os.environ.get("BENCH_ROUNDS", "30"))
    work = pathlib.Path(tempfile.mkdtemp(prefix="spacesmith-bench-"))
    results = {}
    try:
        first = []
        for i in range(5):
            cache, out = work / f"cold-cache-{i}", work / f"cold-out-{i}"
            out.mkdir()
            first.append(timed(new_cmd(out), env_with(cache)))
        results["first-ever run (compile, empty cache)"] = statistics.median(first)

        cache = work / "warm-cache"
        warmup = work / "warmup"
        warmup.mkdir()
        for sdk in ("docker", "gradio", "streamlit"):
            timed(new_cmd(warmup / sdk, sdk), env_with(cache))
        for sdk in ("docker", "gradio", "streamlit"):
            runs = []
            for i in range(rounds):
                out = work / f"warm-{sdk}-{i}"
                out.mkdir()
                runs.append(timed(new_cmd(out, sdk), env_with(cache)))
            results[f"new --sdk {sdk} (warm)"] = statistics.median(runs)
            results[f"new --sdk {sdk} (warm, p90)"] = sorted(runs)[int(len(runs) * 0.9) - 1]
        validate = [timed([str(BIN), "validate", str(warmup / "docker" / SLUG)], env_with(cache)) for _ in range(rounds)]
        results["validate docker project (warm)"] = statistics.median(validate)

        template = work / "template"
        build_template(warmup / "docker" / SLUG, template)
        cc = []
        for i in range(max(5, rounds // 3)):
            out = work / f"cc-{i}"
            cc.append(timed([str(COOKIECUTTER), "--no-input", "-o", str(out), str(template)]))
        results["cookiecutter, equivalent template"] = statistics.median(cc)
        same = tree(work / "cc-0" / SLUG) == tree(warmup / "docker" / SLUG)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nspacesmith {BIN} — medians of whole processes, {rounds} rounds")
    for name, value in results.items():
        print(f"  {name:<44}{ms(value)}")
    warm = results["new --sdk docker (warm)"]
    ratio = results["cookiecutter, equivalent template"] / warm
    print(f"  {'identical output (cookiecutter vs spacesmith)':<44}{'yes' if same else 'NO'}")
    print(f"  {'speed-up over cookiecutter':<44}{ratio:8.1f} x")
    goals = [
        ("new warm <= 15 ms", warm <= 0.015),
        ("first-ever run <= 300 ms", results["first-ever run (compile, empty cache)"] <= 0.300),
        (">= 20x faster than cookiecutter", ratio >= 20),
        ("same output as cookiecutter", same),
    ]
    for name, ok in goals:
        print(f"  goal {name:<39}{'met' if ok else 'MISSED'}")
    return 0 if all(ok for _, ok in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
